/*
 * topk.c
 *		The parproc.topk type (space-saving heavy hitters) and its functions:
 *		topk_agg, topk_items, merge, merge_agg.
 *
 * Values are counted by their text form (the type's output function), so
 * two values are the same item when they print the same.  Merging two
 * summaries of k counters (the parallel space-saving rule of Cafaro et
 * al.): an item missing from one side is charged that side's least counter
 * (0 when the side has a free counter, as it then counted every item) as
 * both count and error, and the k largest counts are kept.  The guarantee
 * of one summary carries over.
 *
 * Since 0.2, topk_agg over smallint, integer, bigint, text and uuid and
 * merge_agg(topk) keep the summary being built as their parproc.topk state,
 * an expanded object (src/agg/state.c), which Citus distributes; the
 * polymorphic topk_agg(anyelement, integer) keeps its internal state (Citus
 * would push it down and then refuse to run it).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "common/int.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "mb/pg_wchar.h"
#include "utils/lsyscache.h"

#include "agg/agg.h"
#include "compat.h"
#include "kernels/topk.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_topk_in);
PG_FUNCTION_INFO_V1(parproc_topk_out);
PG_FUNCTION_INFO_V1(parproc_topk_recv);
PG_FUNCTION_INFO_V1(parproc_topk_send);
PG_FUNCTION_INFO_V1(parproc_topk_transfn);
PG_FUNCTION_INFO_V1(parproc_topk_merge_transfn);
PG_FUNCTION_INFO_V1(parproc_topk_combinefn);
PG_FUNCTION_INFO_V1(parproc_topk_serialfn);
PG_FUNCTION_INFO_V1(parproc_topk_deserialfn);
PG_FUNCTION_INFO_V1(parproc_topk_finalfn);
PG_FUNCTION_INFO_V1(parproc_topk_items);
PG_FUNCTION_INFO_V1(parproc_topk_merge);
PG_FUNCTION_INFO_V1(parproc_topk_accum);
PG_FUNCTION_INFO_V1(parproc_topk_union);
PG_FUNCTION_INFO_V1(parproc_topk_final);

typedef struct TopkState
{
	MemoryContext context;		/* owns the arrays and (unless borrowed) keys */
	bool		borrowed;		/* keys point into a message or a datum */
	PpTopk		t;
} TopkState;

/* Hash of key bytes, for the kernel's table. */
static uint64_t
TopkHash(const uint8_t *key, uint32_t len)
{
	return hash_bytes_extended(key, (int) len, 0);
}

/* A new empty summary of k counters. */
static TopkState *
TopkNewState(MemoryContext context, uint32 k)
{
	TopkState  *state = MemoryContextAllocZero(context, sizeof(TopkState));

	state->context = context;
	pp_topk_init(&state->t, k,
				 MemoryContextAlloc(context, k * sizeof(PpTopkEntry)),
				 MemoryContextAlloc(context, k * sizeof(uint32)),
				 MemoryContextAlloc(context, pp_topk_slots(k) * sizeof(int32)));
	return state;
}

/* Free a state's memory (its arrays and owned keys). */
static void
TopkFreeState(TopkState *state)
{
	uint32		i;

	if (!state->borrowed)
		for (i = 0; i < state->t.n; i++)
			pfree((void *) state->t.entries[i].key);
	pfree(state->t.entries);
	pfree(state->t.heap);
	pfree(state->t.slots);
	pfree(state);
}

/* A lasting copy of key bytes in the state's context. */
static const uint8 *
TopkCopyKey(TopkState *state, const uint8 *key, uint32 len)
{
	uint8	   *copy = MemoryContextAlloc(state->context, Max(len, 1));

	if (len > 0)
		memcpy(copy, key, len);
	return copy;
}

/*
 * Load a stored summary into context; its keys point into value, which
 * must outlive it, unless own_keys, when they are copied.
 */
static TopkState *
TopkLoadInto(MemoryContext context, const bytea *value, int errcode_invalid, bool own_keys)
{
	const uint8 *bytes = (const uint8 *) VARDATA_ANY(value);
	size_t		len = VARSIZE_ANY_EXHDR(value);
	uint32		k = pp_topk_encoded_k(bytes, len);
	TopkState  *state;
	uint32		i;

	if (k == 0)
		ereport(ERROR,
				(errcode(errcode_invalid),
				 errmsg("invalid topk value"),
				 errdetail("The version or k is out of range.")));
	state = TopkNewState(context, k);
	state->borrowed = true;
	if (!pp_topk_load(&state->t, bytes, len, TopkHash))
		ereport(ERROR,
				(errcode(errcode_invalid),
				 errmsg("invalid topk value"),
				 errdetail("A length, count, error, total, the order of items or a repeated item is invalid.")));
	/* items are returned as text: they must be text of this encoding */
	for (i = 0; i < state->t.n; i++)
		if (!pg_verifymbstr((const char *) state->t.entries[i].key,
							(int) state->t.entries[i].keylen, true))
			ereport(ERROR,
					(errcode(errcode_invalid),
					 errmsg("invalid topk value"),
					 errdetail("An item is not valid text in the server encoding.")));
	if (own_keys)
	{
		for (i = 0; i < state->t.n; i++)
			state->t.entries[i].key = TopkCopyKey(state, state->t.entries[i].key,
												  state->t.entries[i].keylen);
		state->borrowed = false;
	}
	return state;
}

/* Load a stored summary; keys point into value, which must outlive it. */
static TopkState *
TopkLoad(const bytea *value, int errcode_invalid)
{
	return TopkLoadInto(CurrentMemoryContext, value, errcode_invalid, false);
}

/* Encode a summary as a varlena. */
static bytea *
TopkEncode(const TopkState *state)
{
	uint32	   *order = palloc(Max(state->t.n, 1) * sizeof(uint32));
	size_t		len = pp_topk_encoded_size(&state->t);
	bytea	   *result = palloc(VARHDRSZ + len);

	pp_topk_order(&state->t, order);
	pp_topk_encode(&state->t, order, (uint8 *) VARDATA(result));
	SET_VARSIZE(result, VARHDRSZ + len);
	pfree(order);
	return result;
}

/* a + b, or an error when the counts overflow. */
static int64
TopkAdd(int64 a, int64 b)
{
	int64		sum;

	if (pg_add_s64_overflow(a, b, &sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("topk counts out of range")));
	return sum;
}

/*
 * Merge two summaries into a new one in context.  Every item of either
 * side becomes a candidate; the k largest are kept.
 */
static TopkState *
TopkMerge(MemoryContext context, const TopkState *a, const TopkState *b)
{
	uint32		k = a->t.k;
	int64		floor_a = pp_topk_floor(&a->t),
				floor_b = pp_topk_floor(&b->t);
	TopkState  *all,
			   *result;
	uint32	   *order;
	uint32		i,
				keep;

	if (a->t.k != b->t.k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge topk summaries of different k (%u and %u)",
						a->t.k, b->t.k),
				 errhint("Build the summaries with the same k.")));

	/* candidates: a summary of up to 2k counters, keys borrowed */
	all = TopkNewState(CurrentMemoryContext, 2 * k);
	all->borrowed = true;
	for (i = 0; i < a->t.n; i++)
	{
		const PpTopkEntry *e = &a->t.entries[i];
		int32		j = pp_topk_find(&b->t, e->hash, e->key, e->keylen);

		pp_topk_insert(&all->t, e->hash, e->key, e->keylen,
					   TopkAdd(e->count, j >= 0 ? b->t.entries[j].count : floor_b),
					   TopkAdd(e->error, j >= 0 ? b->t.entries[j].error : floor_b));
	}
	for (i = 0; i < b->t.n; i++)
	{
		const PpTopkEntry *e = &b->t.entries[i];

		if (pp_topk_find(&a->t, e->hash, e->key, e->keylen) < 0)
			pp_topk_insert(&all->t, e->hash, e->key, e->keylen,
						   TopkAdd(e->count, floor_a), TopkAdd(e->error, floor_a));
	}

	order = palloc(Max(all->t.n, 1) * sizeof(uint32));
	pp_topk_order(&all->t, order);
	result = TopkNewState(context, k);
	keep = Min(all->t.n, k);
	for (i = 0; i < keep; i++)
	{
		const PpTopkEntry *e = &all->t.entries[order[i]];

		pp_topk_insert(&result->t, e->hash, TopkCopyKey(result, e->key, e->keylen),
					   e->keylen, e->count, e->error);
	}
	result->t.total = TopkAdd(a->t.total, b->t.total);
	pfree(order);
	TopkFreeState(all);
	return result;
}

/* Whether stored bytes are a valid summary (ParprocSketchCheck). */
static void
TopkCheck(bytea *bytes, int sqlstate)
{
	(void) TopkLoad(bytes, sqlstate);
}

/* Text input: \x and hex, validated. */
Datum
parproc_topk_in(PG_FUNCTION_ARGS)
{
	return ParprocSketchIn(fcinfo, "topk", TopkCheck);
}

/* Text output: \x and hex. */
Datum
parproc_topk_out(PG_FUNCTION_ARGS)
{
	return ParprocSketchOut(fcinfo);
}

/* Binary input: the encoded summary, validated. */
Datum
parproc_topk_recv(PG_FUNCTION_ARGS)
{
	return ParprocSketchRecv(fcinfo, TopkCheck);
}

/* Binary output: the encoded summary. */
Datum
parproc_topk_send(PG_FUNCTION_ARGS)
{
	return ParprocSketchSend(fcinfo);
}

/* The input type's output function, looked up once per call site. */
static FmgrInfo *
TopkOutputFunction(FunctionCallInfo fcinfo)
{
	FmgrInfo   *out = (FmgrInfo *) fcinfo->flinfo->fn_extra;

	if (out == NULL)
	{
		Oid			func;
		bool		varlena;

		getTypeOutputInfo(ParprocValueArgType(fcinfo, 1), &func, &varlena);
		out = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FmgrInfo));
		fmgr_info_cxt(func, out, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = out;
	}
	return out;
}

/* The k argument, checked: the same on every row of a state. */
static uint32
TopkArgK(FunctionCallInfo fcinfo, const TopkState *state)
{
	int32		k;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topk k cannot be null")));
	k = PG_GETARG_INT32(2);
	if (state == NULL && (k < 1 || k > PP_TOPK_MAX_K))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topk k must be between 1 and %d, not %d", PP_TOPK_MAX_K, k)));
	if (state != NULL && (uint32) k != state->t.k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topk k must be the same for all rows of a group")));
	return (uint32) k;
}

/* Count the value argument (not NULL) by its text form. */
static void
TopkRow(FunctionCallInfo fcinfo, TopkState *state)
{
	char	   *key;
	uint32		len,
				idx;
	const uint8 *old_key = NULL;
	PpTopkAdded added;

	key = OutputFunctionCall(TopkOutputFunction(fcinfo), PG_GETARG_DATUM(1));
	len = (uint32) strlen(key);
	added = pp_topk_add(&state->t, TopkHash((const uint8 *) key, len),
						(const uint8 *) key, len, 1, &idx, &old_key);
	if (added != PP_TOPK_COUNTED)
		state->t.entries[idx].key = TopkCopyKey(state, (const uint8 *) key, len);
	if (added == PP_TOPK_REPLACED)
		pfree((void *) old_key);
	pfree(key);
}

/* Transition of topk_agg(x, k): count x by its text form; NULLs skipped. */
Datum
parproc_topk_transfn(PG_FUNCTION_ARGS)
{
	TopkState  *state = PG_ARGISNULL(0) ? NULL : (TopkState *) PG_GETARG_POINTER(0);
	uint32		k = TopkArgK(fcinfo, state);

	if (state == NULL)
		state = TopkNewState(ParprocAggContext(fcinfo), k);
	if (!PG_ARGISNULL(1))
		TopkRow(fcinfo, state);
	PG_RETURN_POINTER(state);
}

/* Fold state2 into state1 (replaced by the merged summary). */
static TopkState *
TopkFold(MemoryContext aggcontext, TopkState *state1, TopkState *state2)
{
	TopkState  *merged;

	if (state1 == NULL)
		state1 = TopkNewState(aggcontext, state2->t.k);
	merged = TopkMerge(aggcontext, state1, state2);
	TopkFreeState(state1);
	return merged;
}

/* Transition of merge_agg(topk). */
Datum
parproc_topk_merge_transfn(PG_FUNCTION_ARGS)
{
	TopkState  *state = PG_ARGISNULL(0) ? NULL : (TopkState *) PG_GETARG_POINTER(0);
	MemoryContext aggcontext = ParprocAggContext(fcinfo);

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	PG_RETURN_POINTER(TopkFold(aggcontext, state,
							   TopkLoad(PG_GETARG_BYTEA_PP(1), ERRCODE_DATA_CORRUPTED)));
}

/* Combine: merge the second partial summary into the first. */
Datum
parproc_topk_combinefn(PG_FUNCTION_ARGS)
{
	TopkState  *state1 = PG_ARGISNULL(0) ? NULL : (TopkState *) PG_GETARG_POINTER(0);
	TopkState  *state2 = PG_ARGISNULL(1) ? NULL : (TopkState *) PG_GETARG_POINTER(1);

	/* only ever called as an aggregate's combine function */
	MemoryContext aggcontext = ParprocAggContext(fcinfo);

	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	PG_RETURN_POINTER(TopkFold(aggcontext, state1, state2));
}

/* Serialize: the encoded summary. */
Datum
parproc_topk_serialfn(PG_FUNCTION_ARGS)
{
	ParprocAggContext(fcinfo);
	PG_RETURN_BYTEA_P(TopkEncode((TopkState *) PG_GETARG_POINTER(0)));
}

/*
 * Deserialize: validated, keys still in the message, which stays valid for
 * the combinefn call that follows on the same input tuple.
 */
Datum
parproc_topk_deserialfn(PG_FUNCTION_ARGS)
{
	ParprocAggContext(fcinfo);
	PG_RETURN_POINTER(TopkLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED));
}

/* Final of topk_agg and merge_agg: the summary; NULL when no rows. */
Datum
parproc_topk_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(TopkEncode((TopkState *) PG_GETARG_POINTER(0)));
}

/* topk_items(t): (value, count, max_error), count descending. */
Datum
parproc_topk_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *value = PG_GETARG_BYTEA_PP(0);
	TopkState  *state;
	uint32	   *order;
	uint32		i;

	InitMaterializedSRF(fcinfo, 0);
	state = TopkLoad(value, ERRCODE_DATA_CORRUPTED);
	order = palloc(Max(state->t.n, 1) * sizeof(uint32));
	pp_topk_order(&state->t, order);
	for (i = 0; i < state->t.n; i++)
	{
		const PpTopkEntry *e = &state->t.entries[order[i]];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = PointerGetDatum(cstring_to_text_with_len((const char *) e->key, (int) e->keylen));
		values[1] = Int64GetDatum(e->count);
		values[2] = Int64GetDatum(e->error);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* merge(a, b): the summary of both streams. */
Datum
parproc_topk_merge(PG_FUNCTION_ARGS)
{
	TopkState  *a = TopkLoad(PG_GETARG_BYTEA_PP(0), ERRCODE_DATA_CORRUPTED);
	TopkState  *b = TopkLoad(PG_GETARG_BYTEA_PP(1), ERRCODE_DATA_CORRUPTED);

	PG_RETURN_BYTEA_P(TopkEncode(TopkMerge(CurrentMemoryContext, a, b)));
}

/*
 * parproc.topk as the transition type (0.2) ---------------------------------
 */
static void *
TopkExpand(bytea *flat, MemoryContext context)
{
	return TopkLoadInto(context, flat, ERRCODE_DATA_CORRUPTED, true);
}

static bytea *
TopkFlatten(void *state)
{
	return TopkEncode((TopkState *) state);
}

static const ParprocStateKind TopkKind = {TopkExpand, TopkFlatten, NULL, NULL, NULL, NULL, NULL};

/* Transition of topk_agg(x, k) over a concrete type; NULLs skipped. */
Datum
parproc_topk_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &TopkKind);
	uint32		k = TopkArgK(fcinfo, s == NULL ? NULL : (TopkState *) s->state);

	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &TopkKind);
		s->state = TopkNewState(s->hdr.eoh_context, k);
	}
	if (!PG_ARGISNULL(1))
		TopkRow(fcinfo, (TopkState *) s->state);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* The merge of summaries dst (or an empty one) and src, in context. */
static void *
TopkMergeStep(void *dst, void *src, MemoryContext context)
{
	TopkState  *a = dst != NULL ? (TopkState *) dst : TopkNewState(context, ((TopkState *) src)->t.k);
	TopkState  *merged = TopkMerge(context, a, (TopkState *) src);

	TopkFreeState(a);
	return merged;
}

/*
 * Merge of two summaries, either a state or a stored value: the transition
 * of merge_agg(topk) and the combine function of both aggregates.
 */
Datum
parproc_topk_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &TopkKind, TopkMergeStep);
}

/* Final of topk_agg and merge_agg: the summary; NULL when no rows. */
Datum
parproc_topk_final(PG_FUNCTION_ARGS)
{
	TopkState  *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = ParprocStateOf(PG_GETARG_DATUM(0), &TopkKind);
	if (state == NULL)
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	PG_RETURN_BYTEA_P(TopkEncode(state));
}
