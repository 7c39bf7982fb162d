/*
 * cache.h
 *		The graph cache (cache.c) as graph.c uses it.
 *
 * A cached graph is one version of one definition: the key says which
 * (database, parproc.graph_defs table, name, generation, the edge table
 * read and the definition's owner, and the role whose view of the edge
 * table was read when row-level security makes that matter).  Only the
 * extension assigns generations (a trigger on graph_defs gives every
 * written row a fresh one), so no definition a user writes can claim a
 * version loaded for another.  With parproc preloaded the versions live
 * in a DSA area shared by every backend; otherwise in this backend's
 * memory.  Either way a version in use is pinned, and a version that a
 * newer generation replaced is freed when its last pin goes.
 */
#ifndef PARPROC_GRAPH_CACHE_H
#define PARPROC_GRAPH_CACHE_H

#include "compat.h"
#include "datatype/timestamp.h"
#include "storage/lwlock.h"

#include "kernels/graph.h"

typedef struct GraphKey
{
	Oid			dbid;
	Oid			defs;			/* parproc.graph_defs: new after re-creating
								 * the extension */
	char		name[NAMEDATALEN];
	int64		generation;
	Oid			edges;			/* the edge table read */
	Oid			owner;			/* the definition's owner */
	Oid			role;			/* InvalidOid: the same rows for every role */
} GraphKey;

/* What a loader knows about the version it built. */
typedef struct GraphInfo
{
	Oid			filenode;		/* its file node at load */
	int64		changes;		/* its inserted + updated + deleted tuples at
								 * load */
} GraphInfo;

/* A version pinned (or claimed for loading) by this process. */
typedef struct GraphPin
{
	int			slot;			/* -1: none */
	bool		loading;		/* claimed: this process builds it */
	Oid			edges;			/* the edge table the version was read from */
	PpGraph		g;				/* when pinned: arrays mapped in this process */
} GraphPin;

extern Size GraphShmemSize(void);
extern void GraphShmemInit(LWLock *lock);
extern bool GraphCachePin(const GraphKey *key, GraphPin *pin, bool may_wait);
extern void *GraphCacheAllocate(GraphPin *pin, Size bytes, const char *name);
extern void GraphCachePublish(GraphPin *pin, uint64 nnodes, uint64 nedges,
							  const GraphInfo *info);
extern void GraphCacheRelease(GraphPin *pin, double elapsed_ms);
extern void GraphCacheRetire(const GraphKey *key, bool all);

#endif							/* PARPROC_GRAPH_CACHE_H */
