/*
 * qsketch.c
 *		The parproc.qsketch type (a merging t-digest, kernels/qsketch.c) and
 *		its functions: qsketch_agg, approx_percentile, quantile, rank, merge,
 *		merge_agg.
 *
 * An aggregate state holds the kernel's sketch with a buffer of up to
 * QS_BUFFER_MAX values, grown from small so that many small groups stay
 * small, and a centroid array with room for the centroids plus one full
 * buffer, where flushes and merges run in place.  The radix sort's scratch
 * is one array per backend.
 *
 * qsketch_agg and merge_agg keep that state in an expanded object of type
 * parproc.qsketch (src/agg/state.c), which Citus can move between nodes;
 * approx_percentile keeps it as an internal state, since it also carries
 * the fractions asked for.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
#include "kernels/qsketch.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_qsketch_in);
PG_FUNCTION_INFO_V1(parproc_qsketch_out);
PG_FUNCTION_INFO_V1(parproc_qsketch_recv);
PG_FUNCTION_INFO_V1(parproc_qsketch_send);
PG_FUNCTION_INFO_V1(parproc_qsketch_transfn);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_transfn);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_multi_transfn);
PG_FUNCTION_INFO_V1(parproc_qsketch_merge_transfn);
PG_FUNCTION_INFO_V1(parproc_qsketch_combinefn);
PG_FUNCTION_INFO_V1(parproc_qsketch_serialfn);
PG_FUNCTION_INFO_V1(parproc_qsketch_deserialfn);
PG_FUNCTION_INFO_V1(parproc_qsketch_finalfn);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_finalfn);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_multi_finalfn);
PG_FUNCTION_INFO_V1(parproc_qsketch_quantile);
PG_FUNCTION_INFO_V1(parproc_qsketch_quantiles);
PG_FUNCTION_INFO_V1(parproc_qsketch_rank);
PG_FUNCTION_INFO_V1(parproc_qsketch_merge);
PG_FUNCTION_INFO_V1(parproc_qsketch_accum);
PG_FUNCTION_INFO_V1(parproc_qsketch_union);
PG_FUNCTION_INFO_V1(parproc_qsketch_final);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_accum);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_multi_accum);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_union);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_final);
PG_FUNCTION_INFO_V1(parproc_approx_percentile_multi_final);

#define QS_DEFAULT_ACCURACY 200
#define QS_BUFFER_MIN		32
#define QS_BUFFER_MAX		4096

typedef struct QsketchState
{
	MemoryContext context;		/* owns the arrays */
	PpQsketch	s;
	uint32		buffer_room;
	uint32		centroid_room;
	ParprocFractions f;			/* approx_percentile's fraction(s) */
} QsketchState;

/* Scratch words for the radix sort, QS_BUFFER_MAX of them, per backend. */
static uint64 *sort_scratch;

/* A new empty sketch in context. */
static QsketchState *
QsketchNew(MemoryContext context, uint32 accuracy, uint32 centroid_room)
{
	QsketchState *state = MemoryContextAllocZero(context, sizeof(QsketchState));

	state->context = context;
	state->centroid_room = Max(centroid_room, QS_BUFFER_MIN);
	state->buffer_room = QS_BUFFER_MIN;
	pp_qs_init(&state->s, accuracy,
			   MemoryContextAlloc(context, state->centroid_room * sizeof(PpCentroid)),
			   MemoryContextAlloc(context, state->buffer_room * sizeof(double)));
	return state;
}

static void
QsketchFree(QsketchState *state)
{
	pfree(state->s.centroids);
	if (state->s.buffer)
		pfree(state->s.buffer);
	pfree(state);
}

/* Room for at least need centroids (and a full buffer more, when growing). */
static void
QsketchReserve(QsketchState *state, Size need)
{
	if (need <= state->centroid_room)
		return;
	if (need > MaxAllocSize / sizeof(PpCentroid))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("qsketch has too many centroids")));
	state->s.centroids = repalloc(state->s.centroids, need * sizeof(PpCentroid));
	state->centroid_room = (uint32) need;
}

/* Error when adding count more values would overflow the sketch's count. */
static void
QsketchCheckCount(const PpQsketch *s, int64 count)
{
	if (pp_qs_count(s) > PG_INT64_MAX - count)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("qsketch count out of range")));
}

/* Merge the buffer into the centroids. */
static void
QsketchFlush(QsketchState *state)
{
	if (state->s.nbuffer == 0)
		return;
	QsketchReserve(state, (Size) state->s.ncentroids + state->buffer_room);
	if (sort_scratch == NULL)
		sort_scratch = MemoryContextAlloc(TopMemoryContext,
										  QS_BUFFER_MAX * sizeof(uint64));
	pp_qs_flush(&state->s, sort_scratch);
}

/* Add one value: grow the buffer up to QS_BUFFER_MAX, then flush it. */
static inline void
QsketchAdd(QsketchState *state, double x)
{
	if (unlikely(state->s.nbuffer == state->buffer_room))
	{
		if (state->buffer_room < QS_BUFFER_MAX)
		{
			state->buffer_room *= 2;
			state->s.buffer = repalloc(state->s.buffer,
									   state->buffer_room * sizeof(double));
		}
		else
		{
			QsketchCheckCount(&state->s, QS_BUFFER_MAX);
			QsketchFlush(state);
		}
	}
	pp_qs_add(&state->s, x);
}

/* Merge b into a; both are flushed first. */
static void
QsketchMerge(QsketchState *a, QsketchState *b)
{
	QsketchFlush(a);
	QsketchFlush(b);
	QsketchCheckCount(&a->s, pp_qs_count(&b->s));
	QsketchReserve(a, (Size) a->s.ncentroids + b->s.ncentroids);
	pp_qs_merge(&a->s, &b->s);
}

/* Load an encoded sketch from bytes into a new state in context. */
static QsketchState *
QsketchLoadBytes(MemoryContext context, const uint8 *bytes, size_t len,
				 int errcode_invalid)
{
	int64		n = pp_qs_encoded_centroids(bytes, len);
	QsketchState *state;

	if (n < 0)
		ereport(ERROR,
				(errcode(errcode_invalid),
				 errmsg("invalid qsketch value"),
				 errdetail("The version or the length is invalid.")));
	state = QsketchNew(context, 0, (uint32) n);
	if (!pp_qs_load(&state->s, bytes, len))
		ereport(ERROR,
				(errcode(errcode_invalid),
				 errmsg("invalid qsketch value"),
				 errdetail("The accuracy, a count, a weight, the minimum, the maximum or the order of the centroids is invalid.")));
	return state;
}

/* Load a stored qsketch datum. */
static QsketchState *
QsketchLoad(const bytea *value, int errcode_invalid)
{
	return QsketchLoadBytes(CurrentMemoryContext, (const uint8 *) VARDATA_ANY(value),
							VARSIZE_ANY_EXHDR(value), errcode_invalid);
}

/* Append the encoded sketch (flushed) to buf. */
static void
QsketchEncodeTo(StringInfo buf, QsketchState *state)
{
	size_t		len;

	QsketchFlush(state);
	len = pp_qs_encoded_size(&state->s);
	enlargeStringInfo(buf, (int) len);
	pp_qs_encode(&state->s, (uint8 *) buf->data + buf->len);
	buf->len += (int) len;
	buf->data[buf->len] = '\0';
}

/* The sketch as a qsketch datum. */
static bytea *
QsketchEncode(QsketchState *state)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	QsketchEncodeTo(&buf, state);
	SET_VARSIZE(buf.data, buf.len);
	return (bytea *) buf.data;
}

/* Whether stored bytes are a valid sketch (ParprocSketchCheck). */
static void
QsketchCheck(bytea *bytes, int sqlstate)
{
	(void) QsketchLoad(bytes, sqlstate);
}

/* Text input: \x and hex, validated. */
Datum
parproc_qsketch_in(PG_FUNCTION_ARGS)
{
	return ParprocSketchIn(fcinfo, "qsketch", QsketchCheck);
}

/* Text output: \x and hex. */
Datum
parproc_qsketch_out(PG_FUNCTION_ARGS)
{
	return ParprocSketchOut(fcinfo);
}

/* Binary input: the encoded sketch, validated. */
Datum
parproc_qsketch_recv(PG_FUNCTION_ARGS)
{
	return ParprocSketchRecv(fcinfo, QsketchCheck);
}

/* Binary output: the encoded sketch. */
Datum
parproc_qsketch_send(PG_FUNCTION_ARGS)
{
	return ParprocSketchSend(fcinfo);
}

/* The state of a transition call, created on the first row. */
static QsketchState *
QsketchGetState(FunctionCallInfo fcinfo, uint32 accuracy)
{
	if (!PG_ARGISNULL(0))
		return (QsketchState *) PG_GETARG_POINTER(0);
	return QsketchNew(ParprocAggContext(fcinfo), accuracy, 0);
}

/* The accuracy argument of qsketch_agg(x, accuracy), or the default. */
static uint32
QsketchAccuracyArg(FunctionCallInfo fcinfo)
{
	int32		accuracy;

	if (PG_NARGS() <= 2)
		return QS_DEFAULT_ACCURACY;
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("qsketch accuracy cannot be null")));
	accuracy = PG_GETARG_INT32(2);
	if (accuracy < PP_QS_MIN_ACCURACY || accuracy > PP_QS_MAX_ACCURACY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qsketch accuracy must be between %d and %d, not %d",
						PP_QS_MIN_ACCURACY, PP_QS_MAX_ACCURACY, accuracy)));
	return (uint32) accuracy;
}

/* Add the value argument (x) to a state of the given accuracy. */
static inline void
QsketchAddArg(FunctionCallInfo fcinfo, QsketchState *state, uint32 accuracy)
{
	if (accuracy != state->s.accuracy)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("qsketch accuracy must be the same for all rows of a group")));
	if (!PG_ARGISNULL(1))
		QsketchAdd(state, PG_GETARG_FLOAT8(1));
}

/* Transition of 0.1's qsketch_agg(x [, accuracy]), whose state was internal. */
Datum
parproc_qsketch_transfn(PG_FUNCTION_ARGS)
{
	uint32		accuracy = QsketchAccuracyArg(fcinfo);
	QsketchState *state = QsketchGetState(fcinfo, accuracy);

	QsketchAddArg(fcinfo, state, accuracy);
	PG_RETURN_POINTER(state);
}

/* Fold one row (x, fraction(s)) of approx_percentile into the state. */
static inline void
ApproxPercentileRow(FunctionCallInfo fcinfo, QsketchState *state, bool multi)
{
	ParprocFractionsAccept(fcinfo, 2, multi, state->context, &state->f);
	if (!PG_ARGISNULL(1))
		QsketchAdd(state, PG_GETARG_FLOAT8(1));
}

/* Transition of 0.1's approx_percentile(x, fraction) and its array form. */
static Datum
ApproxPercentileTransition(FunctionCallInfo fcinfo, bool multi)
{
	QsketchState *state = QsketchGetState(fcinfo, QS_DEFAULT_ACCURACY);

	ApproxPercentileRow(fcinfo, state, multi);
	PG_RETURN_POINTER(state);
}

Datum
parproc_approx_percentile_transfn(PG_FUNCTION_ARGS)
{
	return ApproxPercentileTransition(fcinfo, false);
}

Datum
parproc_approx_percentile_multi_transfn(PG_FUNCTION_ARGS)
{
	return ApproxPercentileTransition(fcinfo, true);
}

/* Transition of merge_agg(qsketch). */
Datum
parproc_qsketch_merge_transfn(PG_FUNCTION_ARGS)
{
	QsketchState *state = PG_ARGISNULL(0) ? NULL : (QsketchState *) PG_GETARG_POINTER(0);
	QsketchState *other;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	other = QsketchLoad(PG_GETARG_BYTEA_PP(1), ERRCODE_DATA_CORRUPTED);
	if (state == NULL)
		state = QsketchNew(ParprocAggContext(fcinfo), other->s.accuracy,
						   other->s.ncentroids);
	QsketchMerge(state, other);
	QsketchFree(other);
	PG_RETURN_POINTER(state);
}

/* Combine: merge the second partial sketch into the first. */
Datum
parproc_qsketch_combinefn(PG_FUNCTION_ARGS)
{
	QsketchState *state1 = PG_ARGISNULL(0) ? NULL : (QsketchState *) PG_GETARG_POINTER(0);
	QsketchState *state2 = PG_ARGISNULL(1) ? NULL : (QsketchState *) PG_GETARG_POINTER(1);

	/* only ever called as an aggregate's combine function */
	MemoryContext aggcontext = ParprocAggContext(fcinfo);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
		state1 = QsketchNew(aggcontext, state2->s.accuracy, state2->s.ncentroids);
	ParprocFractionsCombine(aggcontext, &state1->f, &state2->f);
	QsketchMerge(state1, state2);
	PG_RETURN_POINTER(state1);
}

/* Append approx_percentile's fraction(s), then the encoded sketch. */
static void
ApproxPercentileEncodeTo(StringInfo buf, QsketchState *state)
{
	ParprocFractionsSerialize(buf, &state->f);
	if (pp_qs_count(&state->s) == 0)
	{
		/* no values (a group or a worker's share of NULLs): the accuracy */
		uint8		word[4];

		pp_put_le32(word, state->s.accuracy);
		appendBinaryStringInfo(buf, (const char *) word, sizeof(word));
		return;
	}
	QsketchEncodeTo(buf, state);
}

/*
 * Decode what ApproxPercentileEncodeTo wrote into a state in context;
 * SQLSTATE sqlstate if it does not decode.  (0.1's qsketch_agg shares the
 * encoding, without fractions.)
 */
static QsketchState *
ApproxPercentileParse(const char *payload, Size len, int sqlstate, MemoryContext context,
					  bool need_fraction)
{
	StringInfoData buf;
	ParprocFractions f = {0};
	QsketchState *state;

	buf.data = (char *) payload;
	buf.len = (int) len;
	buf.maxlen = 0;
	buf.cursor = 0;
	ParprocFractionsDeserialize(&buf, &f, context, sqlstate);
	if (buf.len - buf.cursor == 4)
	{
		uint32		accuracy = pp_get_le32((const uint8 *) buf.data + buf.cursor);

		if (accuracy < PP_QS_MIN_ACCURACY || accuracy > PP_QS_MAX_ACCURACY)
			ereport(ERROR,
					(errcode(sqlstate),
					 errmsg("invalid parproc percentile state"),
					 errdetail("The accuracy %u is out of range.", accuracy)));
		state = QsketchNew(context, accuracy, 0);
	}
	else
		state = QsketchLoadBytes(context, (const uint8 *) buf.data + buf.cursor,
								 buf.len - buf.cursor, sqlstate);
	if (need_fraction && pp_qs_count(&state->s) > 0 && !f.set)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid parproc percentile state"),
				 errdetail("The state holds values but no fraction.")));
	state->f = f;
	return state;
}

/* Serialize: approx_percentile's fraction(s), then the encoded sketch. */
Datum
parproc_qsketch_serialfn(PG_FUNCTION_ARGS)
{
	QsketchState *state = (QsketchState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	ParprocAggContext(fcinfo);
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	ApproxPercentileEncodeTo(&buf, state);
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P(buf.data);
}

/* Deserialize what serialfn wrote. */
Datum
parproc_qsketch_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);

	ParprocAggContext(fcinfo);
	PG_RETURN_POINTER(ApproxPercentileParse(VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes),
											ERRCODE_DATA_CORRUPTED, CurrentMemoryContext, false));
}

/* The state of a final call, NULL when there were no values. */
static QsketchState *
QsketchFinalState(FunctionCallInfo fcinfo)
{
	QsketchState *state;

	if (PG_ARGISNULL(0))
		return NULL;
	state = (QsketchState *) PG_GETARG_POINTER(0);
	if (pp_qs_count(&state->s) == 0)
		return NULL;
	QsketchFlush(state);
	return state;
}

/* Final of qsketch_agg and merge_agg: the sketch; NULL when no values. */
Datum
parproc_qsketch_finalfn(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchFinalState(fcinfo);

	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(QsketchEncode(state));
}

/* Quantiles at several fractions, for ParprocFractionsResult. */
static void
QsketchQuantiles(void *arg, const double *fractions, int n, double *results)
{
	const PpQsketch *s = (const PpQsketch *) arg;
	int			i;

	for (i = 0; i < n; i++)
		results[i] = pp_qs_quantile(s, fractions[i]);
}

/* Final of approx_percentile(x, fraction). */
Datum
parproc_approx_percentile_finalfn(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchFinalState(fcinfo);

	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pp_qs_quantile(&state->s, state->f.fraction));
}

/* Final of approx_percentile(x, fractions[]). */
Datum
parproc_approx_percentile_multi_finalfn(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchFinalState(fcinfo);

	if (state == NULL)
		PG_RETURN_NULL();
	return ParprocFractionsResult(state->f.fractions, QsketchQuantiles, &state->s);
}

/* quantile(s, fraction) */
Datum
parproc_qsketch_quantile(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED);
	double		fraction = PG_GETARG_FLOAT8(1);

	ParprocCheckFraction(fraction);
	PG_RETURN_FLOAT8(pp_qs_quantile(&state->s, fraction));
}

/* quantile(s, fractions[]): an array of the same shape, NULL for NULL. */
Datum
parproc_qsketch_quantiles(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED);
	ArrayType  *fractions = PG_GETARG_ARRAYTYPE_P(1);

	ParprocCheckFractionArray(fractions);
	return ParprocFractionsResult(fractions, QsketchQuantiles, &state->s);
}

/* rank(s, x): the estimated fraction of values <= x. */
Datum
parproc_qsketch_rank(PG_FUNCTION_ARGS)
{
	QsketchState *state = QsketchLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED);

	PG_RETURN_FLOAT8(pp_qs_rank(&state->s, PG_GETARG_FLOAT8(1)));
}

/* merge(a, b): the sketch of both inputs, at the lower accuracy. */
Datum
parproc_qsketch_merge(PG_FUNCTION_ARGS)
{
	QsketchState *a = QsketchLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED);
	QsketchState *b = QsketchLoad(PG_GETARG_BYTEA_PP(1), ERRCODE_DATA_CORRUPTED);

	QsketchMerge(a, b);
	PG_RETURN_BYTEA_P(QsketchEncode(a));
}

/*
 * parproc.qsketch as the transition type of qsketch_agg and merge_agg
 * (0.2): the state is a QsketchState in an expanded object
 * (src/agg/state.c), flushed and encoded when flattened, as serialfn does.
 * approx_percentile's state carries its fractions too: a parproc.agg_state
 * (below).
 */
static void *
QsketchExpand(bytea *flat, MemoryContext context)
{
	return QsketchLoadBytes(context, (const uint8 *) VARDATA_ANY(flat),
							VARSIZE_ANY_EXHDR(flat), ERRCODE_DATA_CORRUPTED);
}

static bytea *
QsketchFlatten(void *state)
{
	return QsketchEncode((QsketchState *) state);
}

static const ParprocStateKind QsketchKind = {QsketchExpand, QsketchFlatten, NULL, NULL, NULL, NULL, NULL};

/* Transition of qsketch_agg(x [, accuracy]); NULLs skipped. */
Datum
parproc_qsketch_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &QsketchKind);
	uint32		accuracy = QsketchAccuracyArg(fcinfo);

	if (s == NULL)
	{
		/*
		 * No state until a value comes: the state's bytes are a qsketch
		 * value, and there is no sketch of nothing
		 */
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		s = ParprocStateNew(fcinfo, &QsketchKind);
		s->state = QsketchNew(s->hdr.eoh_context, accuracy, 0);
	}
	QsketchAddArg(fcinfo, (QsketchState *) s->state, accuracy);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* Merge sketch src into dst, or into a new state like it in context. */
static void *
QsketchMergeStep(void *dst, void *src, MemoryContext context)
{
	QsketchState *a = (QsketchState *) dst;
	QsketchState *b = (QsketchState *) src;

	if (a == NULL)
		a = QsketchNew(context, b->s.accuracy, b->s.ncentroids);
	QsketchMerge(a, b);
	return a;
}

/*
 * Merge of two sketches, either a state or a stored value: the transition
 * of merge_agg(qsketch) and the combine function of both aggregates.
 */
Datum
parproc_qsketch_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &QsketchKind, QsketchMergeStep);
}

/* Final of qsketch_agg and merge_agg: the sketch; NULL when no values. */
Datum
parproc_qsketch_final(PG_FUNCTION_ARGS)
{
	QsketchState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = ParprocStateArg(fcinfo, 0, &QsketchKind);
	if (pp_qs_count(&state->s) == 0)
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(QsketchEncode(state));
}

/*
 * approx_percentile's state as a parproc.agg_state (0.2): the fraction(s)
 * and the sketch, encoded as serialfn does.
 */
/* approx_percentile's parse: fractions required when there are values. */
static void *
ApproxPercentileParseState(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	return ApproxPercentileParse(payload, len, sqlstate, context, true);
}

static bytea *
ApproxPercentileFlatten(void *arg)
{
	StringInfoData buf;

	ParprocAggStateStart(&buf, &ParprocApproxPercentileKind, 0);
	ApproxPercentileEncodeTo(&buf, (QsketchState *) arg);
	return ParprocAggStateEnd(&buf);
}

const ParprocStateKind ParprocApproxPercentileKind = {
	NULL, ApproxPercentileFlatten, "apx1", ApproxPercentileParseState, NULL, NULL, NULL
};

/* Transition of approx_percentile (0.2): the state object. */
static Datum
ApproxPercentileAccum(FunctionCallInfo fcinfo, bool multi)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocApproxPercentileKind);

	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocApproxPercentileKind);
		s->state = QsketchNew(s->hdr.eoh_context, QS_DEFAULT_ACCURACY, 0);
	}
	ApproxPercentileRow(fcinfo, (QsketchState *) s->state, multi);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

Datum
parproc_approx_percentile_accum(PG_FUNCTION_ARGS)
{
	return ApproxPercentileAccum(fcinfo, false);
}

Datum
parproc_approx_percentile_multi_accum(PG_FUNCTION_ARGS)
{
	return ApproxPercentileAccum(fcinfo, true);
}

/* Merge approx_percentile's state src into dst (or a new one), checking the fractions. */
static void *
ApproxPercentileMergeStep(void *dst, void *src, MemoryContext context)
{
	QsketchState *a = (QsketchState *) QsketchMergeStep(dst, src, context);

	ParprocFractionsCombine(a->context, &a->f, &((QsketchState *) src)->f);
	return a;
}

/* Combine of approx_percentile: merge the sketches, check the fractions. */
Datum
parproc_approx_percentile_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &ParprocApproxPercentileKind, ApproxPercentileMergeStep);
}

/*
 * The flushed state of a final call, or NULL when there were no values; a
 * state of the other form (one fraction or an array) is an error.
 */
static QsketchState *
ApproxPercentileFinalArg(FunctionCallInfo fcinfo, bool multi)
{
	QsketchState *state;

	if (PG_ARGISNULL(0))
		return NULL;
	state = ParprocStateArg(fcinfo, 0, &ParprocApproxPercentileKind);
	if (pp_qs_count(&state->s) == 0)
		return NULL;
	if (state->f.multi != multi)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("percentile state holds %s, not %s",
						state->f.multi ? "an array of fractions" : "one fraction",
						multi ? "an array" : "one fraction")));
	QsketchFlush(state);
	return state;
}

/* Final of approx_percentile(x, fraction) (0.2). */
Datum
parproc_approx_percentile_final(PG_FUNCTION_ARGS)
{
	QsketchState *state = ApproxPercentileFinalArg(fcinfo, false);

	if (state == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(pp_qs_quantile(&state->s, state->f.fraction));
}

/* Final of approx_percentile(x, fractions[]) (0.2). */
Datum
parproc_approx_percentile_multi_final(PG_FUNCTION_ARGS)
{
	QsketchState *state = ApproxPercentileFinalArg(fcinfo, true);

	if (state == NULL)
		PG_RETURN_NULL();
	return ParprocFractionsResult(state->f.fractions, QsketchQuantiles, &state->s);
}
