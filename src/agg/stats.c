/*
 * stats.c
 *		parproc.stats(double precision): one-pass descriptive statistics as
 *		a parallel-safe aggregate returning parproc.stats_result.
 *
 * The state is a PpMoments (src/kernels/moments.h) in the aggregate's
 * memory context; partial states travel between parallel workers as a
 * fixed-size bytea.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/float.h"

#include "agg/agg.h"
#include "kernels/moments.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_stats_transfn);
PG_FUNCTION_INFO_V1(parproc_stats_combinefn);
PG_FUNCTION_INFO_V1(parproc_stats_serialfn);
PG_FUNCTION_INFO_V1(parproc_stats_deserialfn);
PG_FUNCTION_INFO_V1(parproc_stats_finalfn);

#define STATS_RESULT_NATTS 11

/* A new empty state in the given context. */
static PpMoments *
StatsNewState(MemoryContext context)
{
	PpMoments  *state = MemoryContextAlloc(context, sizeof(PpMoments));

	pp_moments_init(state);
	return state;
}

/* Transition: add one value (NULLs skipped). */
Datum
parproc_stats_transfn(PG_FUNCTION_ARGS)
{
	PpMoments  *state;

	state = PG_ARGISNULL(0) ? StatsNewState(ParprocAggContext(fcinfo))
		: (PpMoments *) PG_GETARG_POINTER(0);
	if (!PG_ARGISNULL(1))
		pp_moments_add(state, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Combine: merge the second partial state into the first. */
Datum
parproc_stats_combinefn(PG_FUNCTION_ARGS)
{
	PpMoments  *state1 = PG_ARGISNULL(0) ? NULL : (PpMoments *) PG_GETARG_POINTER(0);
	PpMoments  *state2 = PG_ARGISNULL(1) ? NULL : (PpMoments *) PG_GETARG_POINTER(1);

	/* only ever called as an aggregate's combine function */
	(void) ParprocAggContext(fcinfo);
	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
		state1 = StatsNewState(ParprocAggContext(fcinfo));
	pp_moments_combine(state1, state2);
	PG_RETURN_POINTER(state1);
}

/* Serialize a state for the trip from a parallel worker to the leader. */
Datum
parproc_stats_serialfn(PG_FUNCTION_ARGS)
{
	PpMoments  *state = (PpMoments *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	ParprocAggContext(fcinfo);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->n);
	pq_sendint64(&buf, state->nfinite);
	pq_sendint64(&buf, state->nnan);
	pq_sendbyte(&buf, state->overflow ? 1 : 0);
	pq_sendfloat8(&buf, state->sum);
	pq_sendfloat8(&buf, state->shift);
	pq_sendfloat8(&buf, state->mean);
	pq_sendfloat8(&buf, state->m2);
	pq_sendfloat8(&buf, state->m3);
	pq_sendfloat8(&buf, state->m4);
	pq_sendfloat8(&buf, state->min);
	pq_sendfloat8(&buf, state->max);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Rebuild a state serialized by parproc_stats_serialfn.  It lives in the
 * per-input-tuple context deserialization runs in: combinefn, called next,
 * merges it into the group's state.
 */
Datum
parproc_stats_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	PpMoments  *state;
	StringInfoData buf;

	ParprocAggContext(fcinfo);
	state = StatsNewState(CurrentMemoryContext);

	ParprocReadBytea(&buf, bytes);
	state->n = pq_getmsgint64(&buf);
	state->nfinite = pq_getmsgint64(&buf);
	state->nnan = pq_getmsgint64(&buf);
	state->overflow = pq_getmsgbyte(&buf) != 0;
	state->sum = pq_getmsgfloat8(&buf);
	state->shift = pq_getmsgfloat8(&buf);
	state->mean = pq_getmsgfloat8(&buf);
	state->m2 = pq_getmsgfloat8(&buf);
	state->m3 = pq_getmsgfloat8(&buf);
	state->m4 = pq_getmsgfloat8(&buf);
	state->min = pq_getmsgfloat8(&buf);
	state->max = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}

/* Final: build the parproc.stats_result row; NULL when no rows. */
Datum
parproc_stats_finalfn(PG_FUNCTION_ARGS)
{
	PpMoments  *state = PG_ARGISNULL(0) ? NULL : (PpMoments *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	PpStatsResult r;
	Datum		values[STATS_RESULT_NATTS];
	bool		nulls[STATS_RESULT_NATTS];

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	if (pp_moments_result(state, &r) == PP_OVERFLOW)
		float_overflow_error();

	/* the row type is looked up once per query, not once per group */
	if (tupdesc == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(tupdesc);
		fcinfo->flinfo->fn_extra = tupdesc;
		MemoryContextSwitchTo(oldcxt);
	}
	if (tupdesc->natts != STATS_RESULT_NATTS)
		elog(ERROR, "parproc.stats_result has %d columns, expected %d",
			 tupdesc->natts, STATS_RESULT_NATTS);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(r.n);
	values[1] = Float8GetDatum(r.sum);
	values[2] = Float8GetDatum(r.mean);
	values[3] = Float8GetDatum(r.var_samp);
	nulls[3] = r.var_samp_null;
	values[4] = Float8GetDatum(r.var_pop);
	values[5] = Float8GetDatum(r.stddev_samp);
	nulls[5] = r.var_samp_null;
	values[6] = Float8GetDatum(r.stddev_pop);
	values[7] = Float8GetDatum(r.skewness);
	nulls[7] = r.skewness_null;
	values[8] = Float8GetDatum(r.kurtosis);
	nulls[8] = r.kurtosis_null;
	values[9] = Float8GetDatum(r.min);
	values[10] = Float8GetDatum(r.max);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
