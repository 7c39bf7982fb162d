/*
 * agg.h
 *		Helpers shared by the aggregates' SQL glue (src/agg/): the aggregate
 *		memory context, the I/O of stored sketches, the fraction argument of
 *		percentile aggregates.
 */
#ifndef PARPROC_AGG_H
#define PARPROC_AGG_H

#include "compat.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "utils/expandeddatum.h"

/* src/agg/common.c */
extern MemoryContext ParprocAggContext(FunctionCallInfo fcinfo);
extern Oid	ParprocValueArgType(FunctionCallInfo fcinfo, int argno);
extern bytea *ParprocHexDecode(const char *str, const char *typname);
extern char *ParprocHexEncode(const void *p, size_t len);

/* Checks a sketch's stored bytes, raising errors with SQLSTATE sqlstate. */
typedef void (*ParprocSketchCheck) (bytea *bytes, int sqlstate);
extern Datum ParprocSketchIn(FunctionCallInfo fcinfo, const char *typname,
							 ParprocSketchCheck validate);
extern Datum ParprocSketchOut(FunctionCallInfo fcinfo);
extern Datum ParprocSketchRecv(FunctionCallInfo fcinfo, ParprocSketchCheck validate);
extern Datum ParprocSketchSend(FunctionCallInfo fcinfo);

/*
 * src/agg/state.c: aggregate states kept as expanded objects of a parproc
 * type.  A kind says how to decode the type's stored bytes into a state
 * (allocated in the given context, which the state owns; invalid bytes
 * raise an error) and how to encode a state (palloc'd).
 *
 * The aggregates without a type of their own keep their states in
 * parproc.agg_state, whose bytes start with the kind's 4-byte magic.  Such
 * a kind decodes with parse, given the bytes after the magic and the
 * SQLSTATE to raise when they do not decode: data corrupted for a stored
 * value, invalid representation for one that arrives from outside, which
 * the type's input checks (by parsing it, or with check when given, a
 * cheaper test), so that a value of the type can be trusted.
 */
typedef struct ParprocStateKind
{
	void	   *(*expand) (bytea *flat, MemoryContext context); /* own types */
	bytea	   *(*flatten) (void *state);
	const char *magic;			/* parproc.agg_state kinds: */
	void	   *(*parse) (const char *payload, Size len, int sqlstate,
						  MemoryContext context);
	void		(*check) (const char *payload, Size len, int sqlstate); /* optional */

	/*
	 * Optional, for large states: the bytes of the encoding (with the varlena
	 * header) and the encoding written straight where it goes, instead of
	 * flatten's copy kept with the object.
	 */
	Size		(*flat_size) (void *state);
	void		(*flatten_into) (void *state, bytea *dest, Size size);
} ParprocStateKind;

typedef struct ParprocState
{
	ExpandedObjectHeader hdr;
	const ParprocStateKind *kind;
	void	   *state;			/* allocated in hdr.eoh_context */
	bytea	   *flat;			/* encoded, until the state next changes */
} ParprocState;

extern ParprocState *ParprocStateNew(FunctionCallInfo fcinfo, const ParprocStateKind *kind);
extern void *ParprocStateOf(Datum d, const ParprocStateKind *kind);
extern void *ParprocStateExpand(const ParprocStateKind *kind, bytea *flat, MemoryContext context);
extern void *ParprocStateArg(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind);
extern ParprocState *ParprocStateCopyArg(FunctionCallInfo fcinfo, int argno,
										 const ParprocStateKind *kind);
extern void ParprocStateWrongKind(void);

/*
 * Fold state src into state dst and return dst, or, dst being NULL, return
 * a new state made from src in context; a kind may also return a new state
 * (in context) in place of dst, which it then frees.
 */
typedef void *(*ParprocStateMergeFn) (void *dst, void *src, MemoryContext context);
extern Datum ParprocStateUnion(FunctionCallInfo fcinfo, const ParprocStateKind *kind,
							   ParprocStateMergeFn merge);
extern PGDLLIMPORT const ExpandedObjectMethods ParprocStateMethods;
extern bytea *ParprocStateFlat(ParprocState *s);
extern void ParprocAggStateStart(StringInfo buf, const ParprocStateKind *kind, Size payload);
extern bytea *ParprocAggStateEnd(StringInfo buf);
extern const char *ParprocAggStatePayload(bytea *flat, const ParprocStateKind *kind,
										  Size *len);

/* the parproc.agg_state kinds */
extern PGDLLIMPORT const ParprocStateKind ParprocPercentileKind;
extern PGDLLIMPORT const ParprocStateKind ParprocApproxPercentileKind;
extern PGDLLIMPORT const ParprocStateKind ParprocHistogramKind;
extern PGDLLIMPORT const ParprocStateKind ParprocVecKind;
extern PGDLLIMPORT const ParprocStateKind ParprocMatrixKind;
extern PGDLLIMPORT const ParprocStateKind ParprocLinregKind;

/*
 * Argument argno as a state of kind that the caller may change: the
 * object itself when the aggregate passed its own (a read-write pointer,
 * in a transition or combine function; the state object of another kind
 * is an error), else a new object decoded from the value, which is left as
 * it was; a NULL argument gives NULL.  The
 * flattened bytes of the state are dropped: it is about to change.  Inline:
 * it runs for every row.
 */
static inline ParprocState *
ParprocStateForUpdate(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind)
{
	Datum		d;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (likely(VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d))) && fcinfo->context &&
		(IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState)))
	{
		ParprocState *s = (ParprocState *) DatumGetEOHP(d);

		if (likely(s->hdr.eoh_methods == &ParprocStateMethods))
		{
			/* (replacing it would delete the states of other groups) */
			if (unlikely(s->kind != kind))
				ParprocStateWrongKind();
			if (unlikely(s->flat != NULL))
			{
				pfree(s->flat);
				s->flat = NULL;
			}
			return s;
		}
	}
	return ParprocStateCopyArg(fcinfo, argno, kind);
}

/* The read-write pointer an aggregate keeps between rows. */
#define ParprocStateDatum(s) EOHPGetRWDatum(&(s)->hdr)

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
extern void ParprocFractionsDeserialize(StringInfo buf, ParprocFractions *f,
										MemoryContext context, int sqlstate);
extern Datum ParprocFractionsResult(struct ArrayType *fractions,
									ParprocFractionsFn compute, void *arg);

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

#endif							/* PARPROC_AGG_H */
