/*
 * parproc.h
 *		Settings, the preload flag and large allocations: what every part
 *		of parproc's server-side code may use.
 */
#ifndef PARPROC_H
#define PARPROC_H

#include "compat.h"
#include "fmgr.h"

/* GUC variables (src/guc.c) */
extern int	parproc_percentile_max_memory;	/* kB */
extern int	parproc_graph_memory;	/* kB */
extern int	parproc_max_workers;
extern int	parproc_max_workers_per_run;
extern int	parproc_chunk_size; /* blocks */
extern int	parproc_batch_size; /* rows */
extern int	parproc_max_error_rows;
extern int	parproc_chunk_retries;
extern bool parproc_vectorize;

/* Whether the library was loaded through shared_preload_libraries. */
extern bool parproc_preloaded;

extern void DefineGucs(void);

/* src/memory.c: large allocations faulted in at once */
extern void ParprocPrefault(void *p, Size len);
extern void *ParprocAllocHuge(MemoryContext context, Size size);
extern void *ParprocReallocHuge(void *p, Size oldsize, Size newsize);

#endif							/* PARPROC_H */
