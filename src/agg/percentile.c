/*
 * percentile.c
 *		Exact percentiles as ordinary, parallel-safe aggregates:
 *		parproc.percentile_cont, parproc.percentile_disc (one fraction or an
 *		array of them) and parproc.median.
 *
 * Core's percentile_cont(...) WITHIN GROUP is an ordered-set aggregate and
 * never runs in parallel.  Here every process collects its share of the
 * values in a plain double array; parallel workers send theirs to the
 * leader as one message, the leader appends them to its own and selects
 * the rows it needs (kernels/percentile.c) with the same arithmetic core
 * uses, so the answers are identical.
 *
 * Why select in the leader rather than sort in the workers and merge:
 * selection is O(n) and in place, while sorting needs a scratch copy and
 * merging another pass; measured on 10M rows, worker sorts plus a leader
 * merge were slower than the leader's selection alone (see README).
 *
 * Memory: a state may hold at most parproc.percentile_max_memory bytes of
 * values, and nothing else of that size is allocated: selection is in
 * place and received states are read straight from the message.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "kernels/percentile.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_percentile_transfn);
PG_FUNCTION_INFO_V1(parproc_percentile_multi_transfn);
PG_FUNCTION_INFO_V1(parproc_median_transfn);
PG_FUNCTION_INFO_V1(parproc_percentile_combinefn);
PG_FUNCTION_INFO_V1(parproc_percentile_serialfn);
PG_FUNCTION_INFO_V1(parproc_percentile_deserialfn);
PG_FUNCTION_INFO_V1(parproc_percentile_cont_finalfn);
PG_FUNCTION_INFO_V1(parproc_percentile_disc_finalfn);
PG_FUNCTION_INFO_V1(parproc_percentile_cont_multi_finalfn);
PG_FUNCTION_INFO_V1(parproc_percentile_disc_multi_finalfn);

#define PERCENTILE_SERIAL_VERSION 1

/*
 * Most values a worker may send: the message is one bytea inside a tuple
 * that also carries the grouping columns, so keep 1 MB of the 1 GB
 * allocation limit for those.
 */
#define PERCENTILE_MAX_MESSAGE_VALUES ((MaxAllocSize - 1024 * 1024) / sizeof(double))

/* Most fractions in one array (they need 2 ranks of 8 bytes each). */
#define PERCENTILE_MAX_FRACTIONS 1000000
#define PERCENTILE_INITIAL_CAPACITY 64

typedef struct PercentileState
{
	MemoryContext context;		/* the aggregate context owning this state */
	double	   *values;			/* collected non-NULL inputs */
	int64		n;				/* number of values */
	int64		capacity;		/* room in values */
	const char *received;		/* deserialized: the values, still unaligned
								 * in the message, instead of values */
	bool		multi;			/* fractions is an array */
	bool		check_rows;		/* fraction is not a constant: check each row */
	double		fraction;		/* the fraction, when !multi */
	ArrayType  *fractions;		/* flat copy of the fraction array, when multi */
} PercentileState;

/* Largest number of values parproc.percentile_max_memory allows. */
static int64
PercentileMaxValues(void)
{
	return (int64) parproc_percentile_max_memory * 1024 / sizeof(double);
}

/* Raise the error for a fraction outside [0, 1], in core's words. */
static void
CheckFraction(double fraction)
{
	if (!pp_fraction_valid(fraction))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("percentile value %g is not between 0 and 1",
						fraction)));
}

/* Error for a fraction that differs between rows of one group. */
static void
FractionChanged(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("percentile fraction must be the same for all rows of a group"),
			 errhint("Pass the fraction as a constant or a query parameter.")));
}

/* Error for a NULL fraction argument. */
static void
FractionIsNull(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("percentile fraction cannot be null")));
}

/* A new empty state in the given context. */
static PercentileState *
PercentileNewState(MemoryContext context)
{
	PercentileState *state = MemoryContextAllocZero(context, sizeof(PercentileState));

	state->context = context;
	return state;
}

/*
 * Whether the fraction argument of the current aggregate call is a
 * constant, so that rows need not be checked one by one.
 */
static bool
FractionArgIsConst(FunctionCallInfo fcinfo)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tle;

	if (aggref == NULL || list_length(aggref->args) < 2)
		return false;
	tle = (TargetEntry *) lsecond(aggref->args);
	return IsA(tle->expr, Const);
}

/*
 * Make room for need values, within parproc.percentile_max_memory: twice
 * the current room while collecting rows, exactly need when merging.
 */
static void
PercentileReserve(PercentileState *state, int64 need, bool exact)
{
	int64		limit = PercentileMaxValues();
	int64		newcap;

	if (need <= state->capacity)
		return;
	if (need > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("exact percentile state exceeds parproc.percentile_max_memory"),
				 errdetail("At 8 bytes per value, the limit of %d kB holds " INT64_FORMAT " values.",
						   parproc_percentile_max_memory, limit),
				 errhint("Raise parproc.percentile_max_memory, or use an approximate percentile.")));

	newcap = exact ? need : Max(Max(state->capacity * 2, PERCENTILE_INITIAL_CAPACITY), need);
	newcap = Min(newcap, limit);
	if (state->values == NULL)
		state->values = ParprocAllocHuge(state->context, newcap * sizeof(double));
	else
		state->values = ParprocReallocHuge(state->values,
										   state->capacity * sizeof(double),
										   newcap * sizeof(double));
	state->capacity = newcap;
}

/* Append one value. */
static inline void
PercentileAdd(PercentileState *state, double x)
{
	if (unlikely(state->n == state->capacity))
		PercentileReserve(state, state->n + 1, false);
	state->values[state->n++] = x;
}

/* Copy a fraction array into a context. */
static ArrayType *
CopyFractions(MemoryContext context, const ArrayType *fractions)
{
	ArrayType  *copy = MemoryContextAlloc(context, VARSIZE(fractions));

	memcpy(copy, fractions, VARSIZE(fractions));
	return copy;
}

/* Fetch the state, creating it on the first row. */
static PercentileState *
PercentileGetState(FunctionCallInfo fcinfo)
{
	if (!PG_ARGISNULL(0))
		return (PercentileState *) PG_GETARG_POINTER(0);
	return PercentileNewState(ParprocAggContext(fcinfo));
}

/* Transition for the single-fraction forms: (state, x, fraction). */
Datum
parproc_percentile_transfn(PG_FUNCTION_ARGS)
{
	bool		first = PG_ARGISNULL(0);
	PercentileState *state = PercentileGetState(fcinfo);
	double		fraction;

	if (PG_ARGISNULL(2))
		FractionIsNull();
	fraction = PG_GETARG_FLOAT8(2);
	if (first)
	{
		CheckFraction(fraction);
		state->fraction = fraction;
		state->check_rows = !FractionArgIsConst(fcinfo);
	}
	else if (state->check_rows && fraction != state->fraction)
		FractionChanged();

	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Check every non-NULL element of a fraction array. */
static void
CheckFractionArray(ArrayType *fractions)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				i;

	if (ArrayGetNItems(ARR_NDIM(fractions), ARR_DIMS(fractions)) > PERCENTILE_MAX_FRACTIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot compute more than %d percentiles at once",
						PERCENTILE_MAX_FRACTIONS)));
	deconstruct_array(fractions, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			CheckFraction(DatumGetFloat8(elems[i]));
	pfree(elems);
	pfree(nulls);
}

/* Transition for the array forms: (state, x, fractions[]). */
Datum
parproc_percentile_multi_transfn(PG_FUNCTION_ARGS)
{
	bool		first = PG_ARGISNULL(0);
	PercentileState *state = PercentileGetState(fcinfo);
	ArrayType  *fractions;

	if (PG_ARGISNULL(2))
		FractionIsNull();
	if (first)
	{
		fractions = PG_GETARG_ARRAYTYPE_P(2);
		CheckFractionArray(fractions);
		state->multi = true;
		state->fractions = CopyFractions(state->context, fractions);
		state->check_rows = !FractionArgIsConst(fcinfo);
	}
	else if (state->check_rows)
	{
		fractions = PG_GETARG_ARRAYTYPE_P(2);
		if (VARSIZE(fractions) != VARSIZE(state->fractions) ||
			memcmp(fractions, state->fractions, VARSIZE(fractions)) != 0)
			FractionChanged();
	}

	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Transition for median(x): the fraction is 0.5. */
Datum
parproc_median_transfn(PG_FUNCTION_ARGS)
{
	bool		first = PG_ARGISNULL(0);
	PercentileState *state = PercentileGetState(fcinfo);

	if (first)
		state->fraction = 0.5;
	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Whether two states were built with the same fraction(s). */
static bool
SameFractions(PercentileState *a, PercentileState *b)
{
	if (a->multi != b->multi)
		return false;
	if (!a->multi)
		return a->fraction == b->fraction;
	return VARSIZE(a->fractions) == VARSIZE(b->fractions) &&
		memcmp(a->fractions, b->fractions, VARSIZE(a->fractions)) == 0;
}

/*
 * Combine: append the second state's values to the first.  The second is
 * usually fresh from deserialfn, its values still in the message.
 */
Datum
parproc_percentile_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = ParprocAggContext(fcinfo);
	PercentileState *state1 = PG_ARGISNULL(0) ? NULL : (PercentileState *) PG_GETARG_POINTER(0);
	PercentileState *state2 = PG_ARGISNULL(1) ? NULL : (PercentileState *) PG_GETARG_POINTER(1);
	const void *src;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);

	if (state1 == NULL)
	{
		state1 = PercentileNewState(aggcontext);
		state1->multi = state2->multi;
		state1->fraction = state2->fraction;
		if (state2->multi)
			state1->fractions = CopyFractions(aggcontext, state2->fractions);
	}
	else if (!SameFractions(state1, state2))
		FractionChanged();

	if (state2->n > 0)
	{
		PercentileReserve(state1, state1->n + state2->n, true);
		src = state2->received != NULL ? (const void *) state2->received : (const void *) state2->values;
		memcpy(state1->values + state1->n, src, state2->n * sizeof(double));
		state1->n += state2->n;
	}
	PG_RETURN_POINTER(state1);
}

/*
 * Serialize: the fraction(s) and the raw values.  Parallel workers run the
 * same binary on the same machine, so host byte order is fine.
 */
Datum
parproc_percentile_serialfn(PG_FUNCTION_ARGS)
{
	PercentileState *state = (PercentileState *) PG_GETARG_POINTER(0);
	Size		fraclen = state->multi ? VARSIZE(state->fractions) : sizeof(double);
	Size		header = sizeof(int32) + sizeof(int32) + fraclen + sizeof(int64);
	Size		total;
	bytea	   *result;
	char	   *p;
	int32		flags = state->multi ? 1 : 0;
	int32		version = PERCENTILE_SERIAL_VERSION;

	ParprocAggContext(fcinfo);

	if ((Size) state->n > PERCENTILE_MAX_MESSAGE_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("exact percentile state of a parallel worker is too large to send to the leader"),
				 errdetail("A worker collected " INT64_FORMAT " values; at most %zu fit in one message.",
						   state->n, (Size) PERCENTILE_MAX_MESSAGE_VALUES),
				 errhint("Run the query with more parallel workers, or with max_parallel_workers_per_gather = 0.")));

	total = VARHDRSZ + header + state->n * sizeof(double);
	result = palloc(total);
	ParprocPrefault(result, total);
	SET_VARSIZE(result, total);
	p = VARDATA(result);
	memcpy(p, &version, sizeof(int32));
	p += sizeof(int32);
	memcpy(p, &flags, sizeof(int32));
	p += sizeof(int32);
	if (state->multi)
		memcpy(p, state->fractions, fraclen);
	else
		memcpy(p, &state->fraction, fraclen);
	p += fraclen;
	memcpy(p, &state->n, sizeof(int64));
	p += sizeof(int64);
	if (state->n > 0)
		memcpy(p, state->values, state->n * sizeof(double));
	PG_RETURN_BYTEA_P(result);
}

/*
 * Rebuild a state serialized by parproc_percentile_serialfn.  The values
 * are not copied: combinefn, which runs next on the same message, copies
 * them once into its own state.
 */
Datum
parproc_percentile_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	PercentileState *state = PercentileNewState(CurrentMemoryContext);
	const char *p = VARDATA_ANY(bytes);
	const char *end = p + VARSIZE_ANY_EXHDR(bytes);
	int32		version,
				flags;
	int64		n;

	ParprocAggContext(fcinfo);
	if (end - p < 2 * (int) sizeof(int32))
		elog(ERROR, "invalid parproc percentile state");
	memcpy(&version, p, sizeof(int32));
	p += sizeof(int32);
	memcpy(&flags, p, sizeof(int32));
	p += sizeof(int32);
	if (version != PERCENTILE_SERIAL_VERSION)
		elog(ERROR, "invalid parproc percentile state version %d", version);

	state->multi = (flags & 1) != 0;
	if (state->multi)
	{
		uint32		len;

		if (end - p < VARHDRSZ)
			elog(ERROR, "invalid parproc percentile state");
		memcpy(&len, p, sizeof(uint32));
		len = VARSIZE(&len);
		if (len < VARHDRSZ || (Size) (end - p) < len)
			elog(ERROR, "invalid parproc percentile state");
		state->fractions = palloc(len);
		memcpy(state->fractions, p, len);
		p += len;
	}
	else
	{
		if (end - p < (int) sizeof(double))
			elog(ERROR, "invalid parproc percentile state");
		memcpy(&state->fraction, p, sizeof(double));
		p += sizeof(double);
	}

	if (end - p < (int) sizeof(int64))
		elog(ERROR, "invalid parproc percentile state");
	memcpy(&n, p, sizeof(int64));
	p += sizeof(int64);
	if (n < 0 || (Size) (end - p) != (Size) n * sizeof(double))
		elog(ERROR, "invalid parproc percentile state");

	state->n = n;
	state->received = p;
	PG_RETURN_POINTER(state);
}

/* The state, or NULL when there were no values. */
static PercentileState *
PercentileFinalState(FunctionCallInfo fcinfo)
{
	PercentileState *state;

	if (PG_ARGISNULL(0))
		return NULL;
	state = (PercentileState *) PG_GETARG_POINTER(0);
	if (state->n == 0)
		return NULL;
	Assert(state->received == NULL);
	return state;
}

/* Final for the single-fraction forms and median(x). */
static Datum
PercentileSingleResult(FunctionCallInfo fcinfo, bool continuous)
{
	PercentileState *state = PercentileFinalState(fcinfo);
	double		result;
	size_t		ranks[2];

	if (state == NULL)
		PG_RETURN_NULL();
	pp_percentiles(state->values, state->n, &state->fraction, 1, continuous,
				   &result, ranks);
	PG_RETURN_FLOAT8(result);
}

/* Final for percentile_cont(x, fraction) and median(x). */
Datum
parproc_percentile_cont_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, true);
}

/* Final for percentile_disc(x, fraction). */
Datum
parproc_percentile_disc_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, false);
}

/* Array result of the same shape as the fraction array; NULL stays NULL. */
static Datum
PercentileMultiResult(FunctionCallInfo fcinfo, bool continuous)
{
	PercentileState *state = PercentileFinalState(fcinfo);
	ArrayType  *fractions;
	Datum	   *elems;
	bool	   *nulls;
	double	   *wanted,
			   *results;
	size_t	   *ranks;
	int			nelems,
				nwanted = 0,
				i;

	if (state == NULL)
		PG_RETURN_NULL();
	fractions = state->fractions;
	deconstruct_array(fractions, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	if (nelems == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));

	wanted = palloc(nelems * sizeof(double));
	results = palloc(nelems * sizeof(double));
	ranks = palloc(2 * nelems * sizeof(size_t));
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			wanted[nwanted++] = DatumGetFloat8(elems[i]);
	pp_percentiles(state->values, state->n, wanted, nwanted, continuous,
				   results, ranks);
	for (i = 0, nwanted = 0; i < nelems; i++)
		if (!nulls[i])
			elems[i] = Float8GetDatum(results[nwanted++]);

	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls,
											 ARR_NDIM(fractions),
											 ARR_DIMS(fractions),
											 ARR_LBOUND(fractions),
											 FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final for percentile_cont(x, fractions[]). */
Datum
parproc_percentile_cont_multi_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, true);
}

/* Final for percentile_disc(x, fractions[]). */
Datum
parproc_percentile_disc_multi_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, false);
}
