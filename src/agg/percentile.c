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
 *
 * Since 0.2 the state is a parproc.agg_state (src/agg/state.c): the same
 * PercentileState in an expanded object, encoded (fractions, count, the
 * values as little-endian doubles) only where a value must exist, such as
 * a parallel worker's partial state or the text in which Citus moves the
 * partial state of each shard to the coordinator.  The 0.1 functions, on
 * an internal state, remain for the 0.1 install script.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
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
PG_FUNCTION_INFO_V1(parproc_percentile_accum);
PG_FUNCTION_INFO_V1(parproc_percentile_multi_accum);
PG_FUNCTION_INFO_V1(parproc_median_accum);
PG_FUNCTION_INFO_V1(parproc_percentile_union);
PG_FUNCTION_INFO_V1(parproc_percentile_cont_final);
PG_FUNCTION_INFO_V1(parproc_percentile_disc_final);
PG_FUNCTION_INFO_V1(parproc_percentile_cont_multi_final);
PG_FUNCTION_INFO_V1(parproc_percentile_disc_multi_final);

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

/*
 * Append n values at src (any alignment; little-endian when le) to the
 * state, reserving exactly the room they need.
 */
static void
PercentileAppend(PercentileState *state, const void *src, int64 n, bool le)
{
	if (n == 0)
		return;
	PercentileReserve(state, state->n + n, true);
	if (le)
		pp_copy_le64(state->values + state->n, src, n);
	else
		memcpy(state->values + state->n, src, n * sizeof(double));
	state->n += n;
}

/* Fetch the state, creating it on the first row. */
static PercentileState *
PercentileGetState(FunctionCallInfo fcinfo)
{
	if (!PG_ARGISNULL(0))
		return (PercentileState *) PG_GETARG_POINTER(0);
	return PercentileNewState(ParprocAggContext(fcinfo));
}

typedef enum PercentileForm
{
	PERCENTILE_SINGLE,			/* (x, fraction) */
	PERCENTILE_MULTI,			/* (x, fractions[]) */
	PERCENTILE_MEDIAN			/* (x) */
} PercentileForm;

/* Fold one row (x, fraction argument) into the state. */
static inline void
PercentileRow(FunctionCallInfo fcinfo, PercentileState *state, PercentileForm form)
{
	if (form == PERCENTILE_MEDIAN)
	{
		if (!state->f.set)
		{
			state->f.set = true;
			state->f.fraction = 0.5;
		}
	}
	else
		ParprocFractionsAccept(fcinfo, 2, form == PERCENTILE_MULTI, state->context, &state->f);
	if (!PG_ARGISNULL(1))
		PercentileAdd(state, PG_GETARG_FLOAT8(1));
}

/* Transition for the single-fraction forms: (state, x, fraction). */
Datum
parproc_percentile_transfn(PG_FUNCTION_ARGS)
{
	PercentileState *state = PercentileGetState(fcinfo);

	PercentileRow(fcinfo, state, PERCENTILE_SINGLE);
	PG_RETURN_POINTER(state);
}

/* Transition for the array forms: (state, x, fractions[]). */
Datum
parproc_percentile_multi_transfn(PG_FUNCTION_ARGS)
{
	PercentileState *state = PercentileGetState(fcinfo);

	PercentileRow(fcinfo, state, PERCENTILE_MULTI);
	PG_RETURN_POINTER(state);
}

/* Transition for median(x): the fraction is 0.5. */
Datum
parproc_median_transfn(PG_FUNCTION_ARGS)
{
	PercentileState *state = PercentileGetState(fcinfo);

	PercentileRow(fcinfo, state, PERCENTILE_MEDIAN);
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
	if (state2->received != NULL)
		PercentileAppend(state1, state2->received, state2->n, false);
	else
		PercentileAppend(state1, state2->values, state2->n, false);
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
	ParprocFractionsDeserialize(&buf, &state->f, CurrentMemoryContext, ERRCODE_DATA_CORRUPTED);

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

/* The internal state of a 0.1 final call, or NULL. */
static PercentileState *
PercentileFinalState(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		return NULL;
	return (PercentileState *) PG_GETARG_POINTER(0);
}

/* Percentile of the single-fraction forms and median(x); NULL: no values. */
static Datum
PercentileSingleResult(FunctionCallInfo fcinfo, PercentileState *state, bool continuous)
{
	double		result;
	size_t		ranks[2];

	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	Assert(state->received == NULL);
	pp_percentiles(state->values, state->n, &state->f.fraction, 1, continuous,
				   &result, ranks);
	PG_RETURN_FLOAT8(result);
}

/* Final for percentile_cont(x, fraction) and median(x). */
Datum
parproc_percentile_cont_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, PercentileFinalState(fcinfo), true);
}

/* Final for percentile_disc(x, fraction). */
Datum
parproc_percentile_disc_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, PercentileFinalState(fcinfo), false);
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
PercentileMultiResult(FunctionCallInfo fcinfo, PercentileState *state, bool continuous)
{
	PercentileCompute c;

	c.state = state;
	c.continuous = continuous;
	if (state == NULL || state->n == 0)
		PG_RETURN_NULL();
	Assert(state->received == NULL);
	return ParprocFractionsResult(c.state->f.fractions, PercentileComputeMany, &c);
}

/* Final for percentile_cont(x, fractions[]). */
Datum
parproc_percentile_cont_multi_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, PercentileFinalState(fcinfo), true);
}

/* Final for percentile_disc(x, fractions[]). */
Datum
parproc_percentile_disc_multi_finalfn(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, PercentileFinalState(fcinfo), false);
}

/*
 * 0.2: the state as a parproc.agg_state ---------------------------------
 *
 * Encoded: the fraction(s) (ParprocFractionsSerialize), the number of
 * values (little-endian int64) and the values (little-endian doubles).
 */

/*
 * Read an encoded state up to its values: the fractions into f (in
 * context), the number of values and where they start.  What does not
 * decode raises SQLSTATE sqlstate.
 */
static void
PercentileParse(const char *payload, Size len, int sqlstate, MemoryContext context,
				ParprocFractions *f, int64 *n, const char **values)
{
	StringInfoData buf;
	uint64		count;

	buf.data = (char *) payload;
	buf.len = (int) len;
	buf.maxlen = 0;
	buf.cursor = 0;
	memset(f, 0, sizeof(ParprocFractions));
	ParprocFractionsDeserialize(&buf, f, context, sqlstate);
	if (buf.len - buf.cursor < (int) sizeof(int64))
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc percentile state")));
	count = pp_get_le64((const uint8 *) buf.data + buf.cursor);
	buf.cursor += sizeof(int64);
	if (count != (uint64) (buf.len - buf.cursor) / sizeof(double) ||
		(buf.len - buf.cursor) % sizeof(double) != 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc percentile state"),
				 errdetail("The state counts " UINT64_FORMAT " values but holds %d bytes of them.",
						   count, buf.len - buf.cursor)));
	if (count > 0 && !f->set)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc percentile state"),
				 errdetail("The state holds values but no fraction.")));
	*n = (int64) count;
	*values = buf.data + buf.cursor;
}

static void
PercentileCheck(const char *payload, Size len, int sqlstate)
{
	ParprocFractions f;
	int64		n;
	const char *values;

	PercentileParse(payload, len, sqlstate, CurrentMemoryContext, &f, &n, &values);
}

static void *
PercentileParseState(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	PercentileState *state = PercentileNewState(context);
	const char *values;
	int64		n;

	PercentileParse(payload, len, sqlstate, context, &state->f, &n, &values);
	PercentileAppend(state, values, n, true);
	return state;
}

/*
 * The encoding up to the values: magic, fraction(s), count.  In the
 * state's context, for the caller to pfree: flattening may run in a
 * context that cannot free (PostgreSQL 17's tuplesort writes tuples into a
 * bump context).
 */
static void
PercentileHeader(StringInfo buf, PercentileState *state)
{
	MemoryContext old = MemoryContextSwitchTo(state->context);
	uint8		word[8];

	ParprocAggStateStart(buf, &ParprocPercentileKind, 64);
	ParprocFractionsSerialize(buf, &state->f);
	pp_put_le64(word, (uint64) state->n);
	appendBinaryStringInfo(buf, (const char *) word, sizeof(word));
	MemoryContextSwitchTo(old);
}

/*
 * Bytes of the encoding.  It is written straight into its destination
 * (PercentileFlattenInto): the values may be most of a gigabyte.
 */
static Size
PercentileFlatSize(void *arg)
{
	PercentileState *state = (PercentileState *) arg;
	StringInfoData buf;
	Size		size;

	PercentileHeader(&buf, state);
	size = buf.len + (Size) state->n * sizeof(double);
	pfree(buf.data);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("exact percentile state of " INT64_FORMAT " values is too large to pass on", state->n),
				 errdetail("A state passed between processes or nodes holds at most %zu values.",
						   (Size) PERCENTILE_MAX_MESSAGE_VALUES),
				 errhint("Run the query with more parallel workers, or with max_parallel_workers_per_gather = 0; on Citus, spread the table over more shards.")));
	return size;
}

static void
PercentileFlattenInto(void *arg, bytea *dest, Size size)
{
	PercentileState *state = (PercentileState *) arg;
	StringInfoData buf;

	PercentileHeader(&buf, state);
	Assert(size == buf.len + (Size) state->n * sizeof(double));
	memcpy(dest, buf.data, buf.len);
	SET_VARSIZE(dest, size);
	pp_copy_le64((char *) dest + buf.len, state->values, state->n);
	pfree(buf.data);
}

/* The encoding as a new value. */
static bytea *
PercentileFlatten(void *arg)
{
	Size		size = PercentileFlatSize(arg);
	bytea	   *result = ParprocAllocHuge(CurrentMemoryContext, size);

	PercentileFlattenInto(arg, result, size);
	return result;
}

const ParprocStateKind ParprocPercentileKind = {
	NULL, PercentileFlatten, "pct1", PercentileParseState, PercentileCheck,
	PercentileFlatSize, PercentileFlattenInto
};

/* Transition of the 0.2 aggregates: the state object, made on the first row. */
static Datum
PercentileAccum(FunctionCallInfo fcinfo, PercentileForm form)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocPercentileKind);

	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocPercentileKind);
		s->state = PercentileNewState(s->hdr.eoh_context);
	}
	PercentileRow(fcinfo, (PercentileState *) s->state, form);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* Transition of percentile_cont/percentile_disc(x, fraction). */
Datum
parproc_percentile_accum(PG_FUNCTION_ARGS)
{
	return PercentileAccum(fcinfo, PERCENTILE_SINGLE);
}

/* Transition of percentile_cont/percentile_disc(x, fractions[]). */
Datum
parproc_percentile_multi_accum(PG_FUNCTION_ARGS)
{
	return PercentileAccum(fcinfo, PERCENTILE_MULTI);
}

/* Transition of median(x). */
Datum
parproc_median_accum(PG_FUNCTION_ARGS)
{
	return PercentileAccum(fcinfo, PERCENTILE_MEDIAN);
}

/*
 * Combine: append the second state's values to the first.  The second is
 * usually encoded (a parallel worker's, or a shard's from Citus) and is
 * read where it lies.
 */
Datum
parproc_percentile_union(PG_FUNCTION_ARGS)
{
	ParprocState *s;
	PercentileState *state;
	PercentileState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	s = ParprocStateForUpdate(fcinfo, 0, &ParprocPercentileKind);
	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocPercentileKind);
		s->state = PercentileNewState(s->hdr.eoh_context);
	}
	state = (PercentileState *) s->state;

	other = ParprocStateOf(PG_GETARG_DATUM(1), &ParprocPercentileKind);
	if (other != NULL)
	{
		ParprocFractionsCombine(state->context, &state->f, &other->f);
		PercentileAppend(state, other->values, other->n, false);
	}
	else
	{
		Size		len;
		const char *payload = ParprocAggStatePayload(PG_GETARG_BYTEA_PP(1),
													 &ParprocPercentileKind, &len);
		ParprocFractions f;
		const char *values;
		int64		n;

		PercentileParse(payload, len, ERRCODE_DATA_CORRUPTED, CurrentMemoryContext,
						&f, &n, &values);
		ParprocFractionsCombine(state->context, &state->f, &f);
		PercentileAppend(state, values, n, true);
	}
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/*
 * The state of a 0.2 final call (the object, or decoded from a value), or
 * NULL.  Selection reorders the values in place, which leaves the state
 * (and its encoding, if any) equivalent.
 */
static PercentileState *
PercentileStateArg(FunctionCallInfo fcinfo, bool multi)
{
	PercentileState *state;

	if (PG_ARGISNULL(0))
		return NULL;
	state = ParprocStateArg(fcinfo, 0, &ParprocPercentileKind);
	if (state->n > 0 && state->f.multi != multi)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("percentile state holds %s, not %s",
						state->f.multi ? "an array of fractions" : "one fraction",
						multi ? "an array" : "one fraction")));
	return state;
}

/* Final of percentile_cont(x, fraction) and median(x). */
Datum
parproc_percentile_cont_final(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, PercentileStateArg(fcinfo, false), true);
}

/* Final of percentile_disc(x, fraction). */
Datum
parproc_percentile_disc_final(PG_FUNCTION_ARGS)
{
	return PercentileSingleResult(fcinfo, PercentileStateArg(fcinfo, false), false);
}

/* Final of percentile_cont(x, fractions[]). */
Datum
parproc_percentile_cont_multi_final(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, PercentileStateArg(fcinfo, true), true);
}

/* Final of percentile_disc(x, fractions[]). */
Datum
parproc_percentile_disc_multi_final(PG_FUNCTION_ARGS)
{
	return PercentileMultiResult(fcinfo, PercentileStateArg(fcinfo, true), false);
}
