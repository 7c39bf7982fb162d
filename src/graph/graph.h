/*
 * graph.h
 *		What the files of src/graph/ share, private to them: a graph's
 *		definition, read and kept by defs.c, loaded by load.c, queried by
 *		spread.c.
 */
#ifndef PARPROC_GRAPH_GRAPH_H
#define PARPROC_GRAPH_GRAPH_H

#include "graph/cache.h"

/* A row of parproc.graph_defs. */
typedef struct GraphDef
{
	Oid			edges;
	char	   *source;
	char	   *target;
	char	   *weight;			/* NULL: every weight 1 */
	bool		directed;
	int64		generation;
	Oid			owner;
} GraphDef;

/* defs.c */
extern void CheckGraphName(const char *name);
extern void CheckEdgeTable(const char *name, Oid edges);
extern GraphDef *GraphDefGet(const char *name, bool force, bool *spi);
extern void GraphPinVersion(const char *name, const GraphDef *def, GraphPin *pin, bool *spi);

/* load.c */
extern void GraphBuild(const char *name, const GraphDef *def, GraphPin *pin);

#endif							/* PARPROC_GRAPH_GRAPH_H */
