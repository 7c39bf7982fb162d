/*
 * histogram.c
 *		parproc.histogram(x, lo, hi, buckets): counts per equal-width bucket
 *		as a parallel-safe aggregate, numbered like core's width_bucket.
 *
 * The result has buckets + 2 elements: [1] counts x < lo, [2 .. buckets+1]
 * the buckets, [buckets+2] counts x >= hi (reversed for lo > hi, as
 * width_bucket does).
 *
 * Since 0.2 the state is a parproc.agg_state (src/agg/state.c), encoded as
 * the parallel serialization below (network byte order) where a value must
 * exist, as for Citus; the 0.1 functions remain for the 0.1 install script.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"

#include "agg/agg.h"
#include "kernels/histogram.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_histogram_transfn);
PG_FUNCTION_INFO_V1(parproc_histogram_combinefn);
PG_FUNCTION_INFO_V1(parproc_histogram_serialfn);
PG_FUNCTION_INFO_V1(parproc_histogram_deserialfn);
PG_FUNCTION_INFO_V1(parproc_histogram_finalfn);
PG_FUNCTION_INFO_V1(parproc_histogram_accum);
PG_FUNCTION_INFO_V1(parproc_histogram_union);
PG_FUNCTION_INFO_V1(parproc_histogram_final);

/* Most buckets: 80 MB of counters per group is already far past useful. */
#define HISTOGRAM_MAX_BUCKETS 10000000

typedef struct HistogramState
{
	double		lo;
	double		hi;
	int32		buckets;
	int64	   *counts;			/* buckets + 2 counters */
} HistogramState;

/* Turn a kernel status into width_bucket's error. */
static void
HistogramError(PpStatus status)
{
	switch (status)
	{
		case PP_OK:
			return;
		case PP_BAD_COUNT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
					 errmsg("count must be greater than zero")));
			break;
		case PP_NAN_ARGUMENT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
					 errmsg("operand, lower bound, and upper bound cannot be NaN")));
			break;
		case PP_INFINITE_BOUND:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
					 errmsg("lower and upper bounds must be finite")));
			break;
		case PP_EQUAL_BOUNDS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
					 errmsg("lower bound cannot equal upper bound")));
			break;
		case PP_RANGE_TOO_WIDE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
					 errmsg("histogram range is too wide"),
					 errdetail("The bucket count times the width of the range overflows double precision.")));
			break;
		default:
			elog(ERROR, "unexpected histogram status %d", (int) status);
	}
}

/* A new zeroed state for validated parameters. */
static HistogramState *
HistogramNewState(MemoryContext context, double lo, double hi, int32 buckets)
{
	HistogramState *state;

	HistogramError(pp_histogram_check(lo, hi, buckets, PP_WIDTH_BUCKET_RULE));
	if (buckets > HISTOGRAM_MAX_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("histogram cannot have more than %d buckets",
						HISTOGRAM_MAX_BUCKETS)));
	state = MemoryContextAlloc(context, sizeof(HistogramState));
	state->lo = lo;
	state->hi = hi;
	state->buckets = buckets;
	state->counts = MemoryContextAllocZero(context, (buckets + 2) * sizeof(int64));
	return state;
}

/* Error for parameters that differ between rows or partial states. */
static void
HistogramParamsChanged(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("histogram bounds and bucket count must be the same for all rows of a group")));
}

/*
 * Fold one row (x, lo, hi, buckets) into the state, made on the first row
 * in context; NULL x skipped.
 */
static HistogramState *
HistogramRow(FunctionCallInfo fcinfo, HistogramState *state, MemoryContext context)
{
	double		lo,
				hi;
	int32		buckets,
				bucket;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("histogram bounds and bucket count cannot be null")));
	lo = PG_GETARG_FLOAT8(2);
	hi = PG_GETARG_FLOAT8(3);
	buckets = PG_GETARG_INT32(4);

	if (state == NULL)
		state = HistogramNewState(context, lo, hi, buckets);
	else if (lo != state->lo || hi != state->hi || buckets != state->buckets)
		HistogramParamsChanged();

	if (!PG_ARGISNULL(1))
	{
		HistogramError(pp_width_bucket(PG_GETARG_FLOAT8(1), lo, hi, buckets,
									   PP_WIDTH_BUCKET_RULE, &bucket));
		state->counts[bucket]++;
	}
	return state;
}

/* Add the counts of src to dst, or make dst (NULL) a copy in context. */
static HistogramState *
HistogramMerge(HistogramState *dst, const HistogramState *src, MemoryContext context)
{
	int32		i;

	if (dst == NULL)
		dst = HistogramNewState(context, src->lo, src->hi, src->buckets);
	else if (dst->lo != src->lo || dst->hi != src->hi || dst->buckets != src->buckets)
		HistogramParamsChanged();
	for (i = 0; i < dst->buckets + 2; i++)
		dst->counts[i] += src->counts[i];
	return dst;
}

/* Transition: (state, x, lo, hi, buckets); NULL x skipped. */
Datum
parproc_histogram_transfn(PG_FUNCTION_ARGS)
{
	HistogramState *state = PG_ARGISNULL(0) ? NULL : (HistogramState *) PG_GETARG_POINTER(0);

	PG_RETURN_POINTER(HistogramRow(fcinfo, state,
								   state == NULL ? ParprocAggContext(fcinfo) : NULL));
}

/* Combine: add the counts of the second state to the first. */
Datum
parproc_histogram_combinefn(PG_FUNCTION_ARGS)
{
	HistogramState *state1 = PG_ARGISNULL(0) ? NULL : (HistogramState *) PG_GETARG_POINTER(0);
	HistogramState *state2 = PG_ARGISNULL(1) ? NULL : (HistogramState *) PG_GETARG_POINTER(1);
	MemoryContext aggcontext;

	/* only ever called as an aggregate's combine function */
	aggcontext = ParprocAggContext(fcinfo);
	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	PG_RETURN_POINTER(HistogramMerge(state1, state2, aggcontext));
}

/* Serialize: parameters, then the counters. */
Datum
parproc_histogram_serialfn(PG_FUNCTION_ARGS)
{
	HistogramState *state = (HistogramState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	ParprocAggContext(fcinfo);
	pq_begintypsend(&buf);
	pq_sendfloat8(&buf, state->lo);
	pq_sendfloat8(&buf, state->hi);
	pq_sendint32(&buf, state->buckets);
	for (i = 0; i < state->buckets + 2; i++)
		pq_sendint64(&buf, state->counts[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Rebuild a state serialized by parproc_histogram_serialfn, in the
 * per-input-tuple context deserialization runs in: combinefn, called next,
 * adds it to the group's state.
 */
Datum
parproc_histogram_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	HistogramState *state;
	double		lo,
				hi;
	int32		buckets,
				i;

	ParprocAggContext(fcinfo);
	ParprocReadBytea(&buf, bytes);
	lo = pq_getmsgfloat8(&buf);
	hi = pq_getmsgfloat8(&buf);
	buckets = pq_getmsgint(&buf, 4);
	state = HistogramNewState(CurrentMemoryContext, lo, hi, buckets);
	for (i = 0; i < buckets + 2; i++)
		state->counts[i] = pq_getmsgint64(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* The counts as bigint[]. */
static Datum
HistogramResult(HistogramState *state)
{
	Datum	   *elems = palloc((state->buckets + 2) * sizeof(Datum));
	int32		i;

	for (i = 0; i < state->buckets + 2; i++)
		elems[i] = Int64GetDatum(state->counts[i]);
	return PointerGetDatum(construct_array(elems, state->buckets + 2, INT8OID,
										   sizeof(int64), FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

/* Final: the counts as bigint[]; NULL when there were no rows. */
Datum
parproc_histogram_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(HistogramResult((HistogramState *) PG_GETARG_POINTER(0)));
}

/*
 * 0.2: the state as a parproc.agg_state ---------------------------------
 */

/* Decode an encoded state into context; SQLSTATE sqlstate if it does not. */
static void *
HistogramParse(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	StringInfoData buf;
	HistogramState *state;
	double		lo,
				hi;
	int32		buckets,
				i;

	buf.data = (char *) payload;
	buf.len = (int) len;
	buf.maxlen = 0;
	buf.cursor = 0;
	if (len < 2 * sizeof(double) + sizeof(int32))
		goto invalid;
	lo = pq_getmsgfloat8(&buf);
	hi = pq_getmsgfloat8(&buf);
	buckets = pq_getmsgint(&buf, 4);
	if (pp_histogram_check(lo, hi, buckets, PP_WIDTH_BUCKET_RULE) != PP_OK ||
		buckets > HISTOGRAM_MAX_BUCKETS ||
		len != 2 * sizeof(double) + sizeof(int32) + (Size) (buckets + 2) * sizeof(int64))
		goto invalid;
	state = HistogramNewState(context, lo, hi, buckets);
	for (i = 0; i < buckets + 2; i++)
	{
		state->counts[i] = pq_getmsgint64(&buf);
		if (state->counts[i] < 0)
			goto invalid;
	}
	return state;

invalid:
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid parproc histogram state")));
	return NULL;				/* keep compiler quiet */
}

static bytea *
HistogramFlatten(void *arg)
{
	HistogramState *state = (HistogramState *) arg;
	StringInfoData buf;
	int32		i;

	ParprocAggStateStart(&buf, &ParprocHistogramKind,
						 20 + (Size) (state->buckets + 2) * sizeof(int64));
	pq_sendfloat8(&buf, state->lo);
	pq_sendfloat8(&buf, state->hi);
	pq_sendint32(&buf, state->buckets);
	for (i = 0; i < state->buckets + 2; i++)
		pq_sendint64(&buf, state->counts[i]);
	return ParprocAggStateEnd(&buf);
}

const ParprocStateKind ParprocHistogramKind = {
	NULL, HistogramFlatten, "hst1", HistogramParse, NULL, NULL, NULL
};

/* Transition of histogram(x, lo, hi, buckets): the state object. */
Datum
parproc_histogram_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocHistogramKind);

	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocHistogramKind);
		s->state = HistogramRow(fcinfo, NULL, s->hdr.eoh_context);
	}
	else
		HistogramRow(fcinfo, (HistogramState *) s->state, NULL);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

static void *
HistogramMergeStep(void *dst, void *src, MemoryContext context)
{
	return HistogramMerge((HistogramState *) dst, (HistogramState *) src, context);
}

/* Combine: add the counts of the second state to the first. */
Datum
parproc_histogram_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &ParprocHistogramKind, HistogramMergeStep);
}

/* Final: the counts as bigint[]; NULL when there were no rows. */
Datum
parproc_histogram_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(HistogramResult(ParprocStateArg(fcinfo, 0, &ParprocHistogramKind)));
}
