/*
 * parproc.h
 *		Declarations shared by parproc's SQL glue.
 */
#ifndef PARPROC_H
#define PARPROC_H

#include "fmgr.h"
#include "lib/stringinfo.h"

/* GUC variables (src/guc.c) */
extern int	parproc_percentile_max_memory;	/* kB */
extern int	parproc_graph_memory;	/* kB */
extern int	parproc_max_workers;
extern int	parproc_max_workers_per_run;
extern int	parproc_chunk_size;	/* blocks */
extern int	parproc_batch_size; /* rows */
extern int	parproc_max_error_rows;
extern bool parproc_vectorize;

/* Whether the library was loaded through shared_preload_libraries. */
extern bool parproc_preloaded;

extern void DefineGucs(void);

/* src/agg/common.c */
extern MemoryContext ParprocAggContext(FunctionCallInfo fcinfo);
extern bytea *ParprocHexIn(const char *str, const char *typname);
extern char *ParprocHexOut(const bytea *value);
extern bytea *ParprocBytesRecv(StringInfo buf);
extern bytea *ParprocBytesSend(const bytea *value);

/* src/agg/fractions.c: the fraction argument of percentile aggregates */
typedef struct ParprocFractions
{
	bool		set;			/* seen (or 0.5 for median) */
	bool		multi;			/* fractions is an array */
	bool		check_rows;		/* not a constant: compare on every row */
	double		fraction;		/* when !multi */
	struct ArrayType *fractions;	/* flat copy, when multi */
} ParprocFractions;

typedef void (*ParprocFractionsFn) (void *arg, const double *fractions, int n,
									double *results);

extern void ParprocCheckFraction(double fraction);
extern void ParprocCheckFractionArray(struct ArrayType *fractions);
extern void ParprocFractionsAccept(FunctionCallInfo fcinfo, int argno, bool multi,
								   MemoryContext context, ParprocFractions *f);
extern void ParprocFractionsCombine(MemoryContext context, ParprocFractions *dst,
									const ParprocFractions *src);
extern void ParprocFractionsSerialize(StringInfo buf, const ParprocFractions *f);
extern void ParprocFractionsDeserialize(StringInfo buf, ParprocFractions *f);
extern Datum ParprocFractionsResult(struct ArrayType *fractions,
									ParprocFractionsFn compute, void *arg);

/* src/memory.c: large allocations faulted in at once */
extern void ParprocPrefault(void *p, Size len);
extern void *ParprocAllocHuge(MemoryContext context, Size size);
extern void *ParprocReallocHuge(void *p, Size oldsize, Size newsize);

/*
 * Point a read-only StringInfo at a bytea's payload, for the pq_getmsg*
 * readers in deserialization functions (PostgreSQL 16 has
 * initReadOnlyStringInfo for this).
 */
static inline void
ParprocReadBytea(StringInfo buf, bytea *bytes)
{
	buf->data = VARDATA_ANY(bytes);
	buf->len = VARSIZE_ANY_EXHDR(bytes);
	buf->maxlen = 0;
	buf->cursor = 0;
}

#endif							/* PARPROC_H */
