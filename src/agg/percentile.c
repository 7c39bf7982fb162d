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

#include "agg/agg.h"
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

#define PERCENTILE_INITIAL_CAPACITY 64

typedef struct PercentileState
{
	MemoryContext context;		/* the aggregate context owning this state */
	double	   *values;			/* collected non-NULL inputs */
	int64		n;				/* number of values */
	int64		capacity;		/* room in values */
	const char *received;		/* deserialized: the values, still unaligned
								 * in the message, instead of values */
	ParprocFractions f;			/* the fraction(s) */
} PercentileState;

/* Largest number of values parproc.percentile_max_memory allows. */
static int64
PercentileMaxValues(void)
{
	return (int64) parproc_percentile_max_memory * 1024 / sizeof(double);
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
	PercentileState *state = PercentileGetState(fcinfo);

	ParprocFractionsAccept(fcinfo, 2, false, state->context, &state->f);
	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Transition for the array forms: (state, x, fractions[]). */
Datum
parproc_percentile_multi_transfn(PG_FUNCTION_ARGS)
{
	PercentileState *state = PercentileGetState(fcinfo);

	ParprocFractionsAccept(fcinfo, 2, true, state->context, &state->f);
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
	{
		state->f.set = true;
		state->f.fraction = 0.5;
	}
	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
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

	/* only ever called as an aggregate's combine function */
	(void) ParprocAggContext(fcinfo);
	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}

	if (state1 == NULL)
		state1 = PercentileNewState(aggcontext);
	ParprocFractionsCombine(aggcontext, &state1->f, &state2->f);

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
	StringInfoData header;
	int32		version = PERCENTILE_SERIAL_VERSION;
	Size		total;
	bytea	   *result;

	ParprocAggContext(fcinfo);

	if ((Size) state->n > PERCENTILE_MAX_MESSAGE_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("exact percentile state of a parallel worker is too large to send to the leader"),
				 errdetail("A worker collected " INT64_FORMAT " values; at most %zu fit in one message.",
						   state->n, (Size) PERCENTILE_MAX_MESSAGE_VALUES),
				 errhint("Run the query with more parallel workers, or with max_parallel_workers_per_gather = 0.")));

	initStringInfo(&header);
	appendBinaryStringInfo(&header, (const char *) &version, sizeof(int32));
	ParprocFractionsSerialize(&header, &state->f);
	appendBinaryStringInfo(&header, (const char *) &state->n, sizeof(int64));

	total = VARHDRSZ + header.len + state->n * sizeof(double);
	result = palloc(total);
	ParprocPrefault(result, total);
	SET_VARSIZE(result, total);
	memcpy(VARDATA(result), header.data, header.len);
	if (state->n > 0)
		memcpy(VARDATA(result) + header.len, state->values, state->n * sizeof(double));
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
	PercentileState *state = PercentileNewState(CurrentMemoryContext);
	StringInfoData buf;
	int32		version;
	int64		n;

	ParprocAggContext(fcinfo);
	ParprocReadBytea(&buf, PG_GETARG_BYTEA_PP(0));
	if (buf.len < (int) sizeof(int32))
		elog(ERROR, "invalid parproc percentile state");
	memcpy(&version, buf.data, sizeof(int32));
	buf.cursor = sizeof(int32);
	if (version != PERCENTILE_SERIAL_VERSION)
		elog(ERROR, "invalid parproc percentile state version %d", version);
	ParprocFractionsDeserialize(&buf, &state->f);

	if (buf.len - buf.cursor < (int) sizeof(int64))
		elog(ERROR, "invalid parproc percentile state");
	memcpy(&n, buf.data + buf.cursor, sizeof(int64));
	buf.cursor += sizeof(int64);
	if (n < 0 || (Size) (buf.len - buf.cursor) != (Size) n * sizeof(double))
		elog(ERROR, "invalid parproc percentile state");

	state->n = n;
	state->received = buf.data + buf.cursor;
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
	pp_percentiles(state->values, state->n, &state->f.fraction, 1, continuous,
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

typedef struct PercentileCompute
{
	PercentileState *state;
	bool		continuous;
} PercentileCompute;

/* The percentiles at several fractions, for ParprocFractionsResult. */
static void
PercentileComputeMany(void *arg, const double *fractions, int n, double *results)
{
	PercentileCompute *c = (PercentileCompute *) arg;

	pp_percentiles(c->state->values, c->state->n, fractions, n, c->continuous,
				   results, palloc(2 * Max(n, 1) * sizeof(size_t)));
}

/* Array result of the same shape as the fraction array; NULL stays NULL. */
static Datum
PercentileMultiResult(FunctionCallInfo fcinfo, bool continuous)
{
	PercentileCompute c;

	c.state = PercentileFinalState(fcinfo);
	c.continuous = continuous;
	if (c.state == NULL)
		PG_RETURN_NULL();
	return ParprocFractionsResult(c.state->f.fractions, PercentileComputeMany, &c);
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
