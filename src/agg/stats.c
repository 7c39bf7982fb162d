/*
 * stats.c
 *		parproc.stats(double precision): one-pass descriptive statistics as
 *		a parallel-safe aggregate returning parproc.stats_result.
 *
 * The transition type is parproc.stats_state: a PpMoments
 * (src/kernels/moments.h) behind a varlena header, updated in place when
 * called as an aggregate, as core's float8_accum updates its array.  Being
 * a real type (not internal), with text and binary forms that carry the
 * state exactly, partial states can leave the server: Citus computes them
 * on the shards and combines them on the coordinator.  Parallel workers
 * pass them to the leader as they are.
 *
 * The functions of 0.1's aggregate, whose state was an internal PpMoments
 * serialized to bytea, stay for the 0.1 install script.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/float.h"

#include "agg/agg.h"
#include "kernels/moments.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_stats_transfn);
PG_FUNCTION_INFO_V1(parproc_stats_combinefn);
PG_FUNCTION_INFO_V1(parproc_stats_serialfn);
PG_FUNCTION_INFO_V1(parproc_stats_deserialfn);
PG_FUNCTION_INFO_V1(parproc_stats_finalfn);
PG_FUNCTION_INFO_V1(parproc_stats_state_in);
PG_FUNCTION_INFO_V1(parproc_stats_state_out);
PG_FUNCTION_INFO_V1(parproc_stats_state_recv);
PG_FUNCTION_INFO_V1(parproc_stats_state_send);
PG_FUNCTION_INFO_V1(parproc_stats_accum);
PG_FUNCTION_INFO_V1(parproc_stats_merge);
PG_FUNCTION_INFO_V1(parproc_stats_final);

#define STATS_RESULT_NATTS 11

/* A parproc.stats_state value. */
typedef struct StatsState
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	int32		version;		/* STATS_STATE_VERSION; aligns m */
	PpMoments	m;
} StatsState;

#define STATS_STATE_VERSION 1

/* Length of the portable encoding of a PpMoments (StatsEncode). */
#define STATS_ENCODED_LEN (3 * 8 + 1 + 8 * 8)

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

/* Append the portable encoding of a state (network byte order). */
static void
StatsEncode(StringInfo buf, const PpMoments *state)
{
	pq_sendint64(buf, state->n);
	pq_sendint64(buf, state->nfinite);
	pq_sendint64(buf, state->nnan);
	pq_sendbyte(buf, state->overflow ? 1 : 0);
	pq_sendfloat8(buf, state->sum);
	pq_sendfloat8(buf, state->shift);
	pq_sendfloat8(buf, state->mean);
	pq_sendfloat8(buf, state->m2);
	pq_sendfloat8(buf, state->m3);
	pq_sendfloat8(buf, state->m4);
	pq_sendfloat8(buf, state->min);
	pq_sendfloat8(buf, state->max);
}

/*
 * Read a state StatsEncode wrote, from the rest of buf; bytes that are not
 * one, or describe no possible state, raise SQLSTATE sqlstate.
 */
static void
StatsDecode(StringInfo buf, PpMoments *state, int sqlstate)
{
	bool		ok;

	if (buf->len - buf->cursor != STATS_ENCODED_LEN)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc.stats_state"),
				 errdetail("A state has %d bytes; this value has %d.", STATS_ENCODED_LEN,
						   buf->len - buf->cursor)));
	pp_moments_init(state);
	state->n = pq_getmsgint64(buf);
	state->nfinite = pq_getmsgint64(buf);
	state->nnan = pq_getmsgint64(buf);
	state->overflow = pq_getmsgbyte(buf) != 0;
	state->sum = pq_getmsgfloat8(buf);
	state->shift = pq_getmsgfloat8(buf);
	state->mean = pq_getmsgfloat8(buf);
	state->m2 = pq_getmsgfloat8(buf);
	state->m3 = pq_getmsgfloat8(buf);
	state->m4 = pq_getmsgfloat8(buf);
	state->min = pq_getmsgfloat8(buf);
	state->max = pq_getmsgfloat8(buf);

	/* counts that add up; sums of even powers not negative */
	ok = state->nfinite >= 0 && state->nnan >= 0 &&
		state->nfinite <= state->n - state->nnan;
	if (ok && !state->overflow)
		ok = !(state->m2 < 0) && !(state->m4 < 0);
	if (ok && state->n - state->nnan > 0)
		ok = state->min <= state->max;
	if (!ok)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc.stats_state"),
				 errdetail("The counts or moments of the state are inconsistent.")));
}

/* Serialize a state for the trip from a parallel worker to the leader. */
Datum
parproc_stats_serialfn(PG_FUNCTION_ARGS)
{
	PpMoments  *state = (PpMoments *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	ParprocAggContext(fcinfo);
	pq_begintypsend(&buf);
	StatsEncode(&buf, state);
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
	StatsDecode(&buf, state, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(state);
}

/* The parproc.stats_result row of a state; NULL when no rows. */
static Datum
StatsResultRow(FunctionCallInfo fcinfo, const PpMoments *state)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	PpStatsResult r;
	Datum		values[STATS_RESULT_NATTS];
	bool		nulls[STATS_RESULT_NATTS];

	if (state == NULL || state->n == 0)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
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

	return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

/* Final (0.1): the row of an internal state. */
Datum
parproc_stats_finalfn(PG_FUNCTION_ARGS)
{
	return StatsResultRow(fcinfo, PG_ARGISNULL(0) ? NULL : (PpMoments *) PG_GETARG_POINTER(0));
}

/* A new empty parproc.stats_state in the current memory context. */
static StatsState *
StatsStateNew(void)
{
	StatsState *state = palloc0(sizeof(StatsState));

	SET_VARSIZE(state, sizeof(StatsState));
	state->version = STATS_STATE_VERSION;
	pp_moments_init(&state->m);
	return state;
}

/*
 * Argument argno as a parproc.stats_state; for updating, a copy unless
 * called as an aggregate (whose transition value it then is).
 */
static inline StatsState *
StatsStateArg(FunctionCallInfo fcinfo, int argno, bool update)
{
	struct varlena *value = (struct varlena *) PG_GETARG_POINTER(argno);
	StatsState *state;

	/* the checks of every row: no function calls where none are needed */
	if (unlikely(VARATT_IS_EXTENDED(value)))
		value = pg_detoast_datum(value);
	state = (StatsState *) value;
	if (unlikely(VARSIZE(state) != sizeof(StatsState) || state->version != STATS_STATE_VERSION))
		elog(ERROR, "invalid parproc.stats_state");
	/* what AggCheckCallContext asks first */
	if (update && !(fcinfo->context && IsA(fcinfo->context, AggState)) &&
		!AggCheckCallContext(fcinfo, NULL))
	{
		StatsState *copy = palloc(sizeof(StatsState));

		memcpy(copy, state, sizeof(StatsState));
		state = copy;
	}
	return state;
}

/* Text input: \x and the hex of the portable encoding. */
Datum
parproc_stats_state_in(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = ParprocHexDecode(PG_GETARG_CSTRING(0), "parproc.stats_state");
	StatsState *state = StatsStateNew();
	StringInfoData buf;

	ParprocReadBytea(&buf, bytes);
	StatsDecode(&buf, &state->m, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_POINTER(state);
}

/* Text output: \x and the hex of the portable encoding. */
Datum
parproc_stats_state_out(PG_FUNCTION_ARGS)
{
	StatsState *state = StatsStateArg(fcinfo, 0, false);
	StringInfoData buf;

	initStringInfo(&buf);
	StatsEncode(&buf, &state->m);
	PG_RETURN_CSTRING(ParprocHexEncode(buf.data, buf.len));
}

/* Binary input: the portable encoding. */
Datum
parproc_stats_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	StatsState *state = StatsStateNew();

	StatsDecode(buf, &state->m, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(state);
}

/* Binary output: the portable encoding. */
Datum
parproc_stats_state_send(PG_FUNCTION_ARGS)
{
	StatsState *state = StatsStateArg(fcinfo, 0, false);
	StringInfoData buf;

	pq_begintypsend(&buf);
	StatsEncode(&buf, &state->m);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Transition: add one value (NULLs skipped).  The first call makes the
 * state in the per-row context; the aggregate copies it into its own.
 */
Datum
parproc_stats_accum(PG_FUNCTION_ARGS)
{
	StatsState *state = PG_ARGISNULL(0) ? StatsStateNew() : StatsStateArg(fcinfo, 0, true);

	if (!PG_ARGISNULL(1))
		pp_moments_add(&state->m, PG_GETARG_FLOAT8(1));
	PG_RETURN_POINTER(state);
}

/* Combine (strict): merge the second state into the first. */
Datum
parproc_stats_merge(PG_FUNCTION_ARGS)
{
	StatsState *state1 = StatsStateArg(fcinfo, 0, true);
	StatsState *state2 = StatsStateArg(fcinfo, 1, false);

	pp_moments_combine(&state1->m, &state2->m);
	PG_RETURN_POINTER(state1);
}

/* Final: the parproc.stats_result row; NULL when no rows. */
Datum
parproc_stats_final(PG_FUNCTION_ARGS)
{
	return StatsResultRow(fcinfo, PG_ARGISNULL(0) ? NULL : &StatsStateArg(fcinfo, 0, false)->m);
}
