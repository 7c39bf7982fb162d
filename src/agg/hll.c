/*
 * hll.c
 *		The parproc.hll type (HyperLogLog distinct-count sketch) and its
 *		aggregates: hll_agg, approx_count_distinct, merge_agg; cardinality
 *		and merge.
 *
 * Values are hashed with their type's own 64-bit extended hash function
 * (the one hash partitioning uses), so values equal under the type's
 * equality hash equal (1.0 and 1.00 as numeric, -0 and 0 as float8, and
 * strings equal under a nondeterministic collation), then mixed with a
 * 64-bit finalizer.  Small sets are kept as exact sets of hashes; beyond
 * 2^precision / 16 distinct hashes the sketch turns into dense registers.
 *
 * The aggregates over smallint, integer, bigint, text and uuid, and
 * merge_agg, keep the sketch being built as their parproc.hll state (an
 * expanded object, src/agg/state.c), which Citus can move between nodes;
 * the polymorphic forms keep an internal HllState (serialized for parallel
 * workers), as all did in 0.1.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "agg/agg.h"
#include "kernels/hll.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_hll_in);
PG_FUNCTION_INFO_V1(parproc_hll_out);
PG_FUNCTION_INFO_V1(parproc_hll_recv);
PG_FUNCTION_INFO_V1(parproc_hll_send);
PG_FUNCTION_INFO_V1(parproc_hll_transfn);
PG_FUNCTION_INFO_V1(parproc_hll_merge_transfn);
PG_FUNCTION_INFO_V1(parproc_hll_combinefn);
PG_FUNCTION_INFO_V1(parproc_hll_serialfn);
PG_FUNCTION_INFO_V1(parproc_hll_deserialfn);
PG_FUNCTION_INFO_V1(parproc_hll_finalfn);
PG_FUNCTION_INFO_V1(parproc_hll_count_finalfn);
PG_FUNCTION_INFO_V1(parproc_hll_cardinality);
PG_FUNCTION_INFO_V1(parproc_hll_merge);
PG_FUNCTION_INFO_V1(parproc_hll_accum);
PG_FUNCTION_INFO_V1(parproc_hll_union);
PG_FUNCTION_INFO_V1(parproc_hll_final);
PG_FUNCTION_INFO_V1(parproc_hll_count_final);

#define HLL_DEFAULT_PRECISION 16
#define HLL_INITIAL_SLOTS 16

/* Per-process salt for sparse-table slot placement (see hll.c). */
static uint64 hll_salt = 0;

typedef struct HllState
{
	MemoryContext context;
	int			precision;
	uint32		nsparse;		/* hashes in table (while sparse) */
	uint32		cap;			/* slots in table */
	uint64	   *table;			/* sparse: open-addressing set of hashes */
	uint8	   *registers;		/* dense: 2^precision registers */
	PpHllView	received;		/* deserialized: the sketch, still in the
								 * message (received.precision != 0) */
} HllState;

/*
 * How values are hashed.  The direct forms compute exactly what the type's
 * extended hash function returns (hash_text_extended under a deterministic
 * collation, hashint2/4/8extended), without a function call per row.
 */
typedef enum HllHashKind
{
	HLL_HASH_FMGR,				/* call the type's extended hash function */
	HLL_HASH_BYTES,				/* text, varchar: hash the bytes */
	HLL_HASH_INT2,
	HLL_HASH_INT4,
	HLL_HASH_INT8
} HllHashKind;

/* Per-call-site cache of how to hash the input type. */
typedef struct HllHashInfo
{
	Oid			collation;
	HllHashKind kind;
	FmgrInfo	hash;
} HllHashInfo;

/* Error for an invalid precision. */
static void
CheckPrecision(int32 precision)
{
	if (precision < PP_HLL_MIN_PRECISION || precision > PP_HLL_MAX_PRECISION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hll precision must be between %d and %d, not %d",
						PP_HLL_MIN_PRECISION, PP_HLL_MAX_PRECISION, precision)));
}

/* A new, empty, sparse state. */
static HllState *
HllNewState(MemoryContext context, int precision)
{
	HllState   *state = MemoryContextAllocZero(context, sizeof(HllState));

	state->context = context;
	state->precision = precision;
	return state;
}

/* Turn a sparse state into dense registers. */
static void
HllDensify(HllState *state)
{
	uint32		i;

	if (state->registers != NULL)
		return;
	state->registers = MemoryContextAllocZero(state->context,
											  PP_HLL_REGISTERS(state->precision));
	for (i = 0; i < state->cap; i++)
		if (state->table != NULL && state->table[i] != 0)
			pp_hll_dense_add(state->registers, state->precision, state->table[i]);
	if (state->table != NULL)
		pfree(state->table);
	state->table = NULL;
	state->nsparse = state->cap = 0;
}

/* Double the sparse table. */
static void
HllGrowTable(HllState *state)
{
	uint32		newcap = state->cap == 0 ? HLL_INITIAL_SLOTS : state->cap * 2;
	uint64	   *newtable = MemoryContextAllocZero(state->context, newcap * sizeof(uint64));
	uint32		i;

	if (hll_salt == 0)
		hll_salt = pg_prng_uint64(&pg_global_prng_state) | 1;
	for (i = 0; i < state->cap; i++)
		if (state->table[i] != 0)
			pp_hll_sparse_insert(newtable, newcap, state->table[i], hll_salt);
	if (state->table != NULL)
		pfree(state->table);
	state->table = newtable;
	state->cap = newcap;
}

/* Add one (mixed) hash. */
static void
HllAdd(HllState *state, uint64 hash)
{
	/* 0 marks empty sparse slots: count it as 1 in both forms alike */
	hash = pp_hll_sparse_key(hash);
	if (state->registers != NULL)
	{
		pp_hll_dense_add(state->registers, state->precision, hash);
		return;
	}
	if (state->table == NULL)
		HllGrowTable(state);
	if (!pp_hll_sparse_insert(state->table, state->cap, hash, hll_salt))
		return;
	state->nsparse++;
	if (state->nsparse > PP_HLL_SPARSE_MAX(state->precision))
		HllDensify(state);
	else if ((size_t) state->nsparse * 2 > state->cap)
		HllGrowTable(state);
}

/* Fold a decoded sketch into a state of the same precision. */
static void
HllAddView(HllState *state, const PpHllView *view)
{
	uint32		i;

	if (view->precision != state->precision)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge hll sketches of different precisions %d and %d",
						state->precision, view->precision),
				 errhint("Build the sketches with the same precision.")));
	if (view->dense)
	{
		HllDensify(state);
		pp_hll_dense_merge(state->registers, view->payload,
						   PP_HLL_REGISTERS(state->precision));
	}
	else
		for (i = 0; i < view->nsparse; i++)
			HllAdd(state, pp_hll_view_hash(view, i));
}

/* Encode a state as a varlena (the hll type and the serial form alike). */
static bytea *
HllEncode(HllState *state)
{
	bytea	   *result;
	size_t		len;

	if (state->registers != NULL)
	{
		len = pp_hll_dense_size(state->precision);
		result = palloc(VARHDRSZ + len);
		pp_hll_encode_dense((uint8 *) VARDATA(result), state->precision, state->registers);
	}
	else
	{
		uint64	   *hashes = palloc(Max(state->nsparse, 1) * sizeof(uint64));
		size_t		n = state->table ? pp_hll_sparse_collect(state->table, state->cap, hashes) : 0;

		pp_hll_sort_hashes(hashes, n);
		len = pp_hll_sparse_size((uint32) n);
		result = palloc(VARHDRSZ + len);
		pp_hll_encode_sparse((uint8 *) VARDATA(result), state->precision, hashes, (uint32) n);
		pfree(hashes);
	}
	SET_VARSIZE(result, VARHDRSZ + len);
	return result;
}

/* Decode a stored sketch, or raise the given error code. */
static void
HllDecode(const bytea *value, PpHllView *view, int errcode_invalid)
{
	if (!pp_hll_decode((const uint8 *) VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value), view))
		ereport(ERROR,
				(errcode(errcode_invalid),
				 errmsg("invalid hll value"),
				 errdetail("The version, precision, length, hash order or a register value is out of range.")));
}

/* Cardinality of a decoded sketch: exact while sparse. */
static int64
HllViewCardinality(const PpHllView *view)
{
	if (!view->dense)
		return view->nsparse;
	return pp_hll_dense_cardinality(view->payload, view->precision);
}

/* Cardinality of a state: exact while sparse. */
static int64
HllStateCardinality(const HllState *state)
{
	if (state->registers == NULL)
		return state->nsparse;
	return pp_hll_dense_cardinality(state->registers, state->precision);
}

/* Whether stored bytes are a valid sketch (ParprocSketchCheck). */
static void
HllCheck(bytea *bytes, int sqlstate)
{
	PpHllView	view;

	HllDecode(bytes, &view, sqlstate);
}

/* Text input: \x and hex, validated. */
Datum
parproc_hll_in(PG_FUNCTION_ARGS)
{
	return ParprocSketchIn(fcinfo, "hll", HllCheck);
}

/* Text output: \x and hex. */
Datum
parproc_hll_out(PG_FUNCTION_ARGS)
{
	return ParprocSketchOut(fcinfo);
}

/* Binary input: the encoded sketch, validated. */
Datum
parproc_hll_recv(PG_FUNCTION_ARGS)
{
	return ParprocSketchRecv(fcinfo, HllCheck);
}

/* Binary output: the encoded sketch. */
Datum
parproc_hll_send(PG_FUNCTION_ARGS)
{
	return ParprocSketchSend(fcinfo);
}

/*
 * How to hash the input type, looked up on the first row: the argument
 * type and collation of one call site never change.
 */
static HllHashInfo *
HllHashFunction(FunctionCallInfo fcinfo)
{
	HllHashInfo *info = (HllHashInfo *) fcinfo->flinfo->fn_extra;

	if (info == NULL)
	{
		Oid			type = ParprocValueArgType(fcinfo, 1);
		Oid			collation = PG_GET_COLLATION();
		TypeCacheEntry *tce = lookup_type_cache(type, TYPECACHE_HASH_EXTENDED_PROC_FINFO);

		if (!OidIsValid(tce->hash_extended_proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("could not identify an extended hash function for type %s",
							format_type_be(type)),
					 errhint("Cast the value to a type with a hash operator class, such as text.")));
		info = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(HllHashInfo));
		info->collation = collation;
		fmgr_info_copy(&info->hash, &tce->hash_extended_proc_finfo, fcinfo->flinfo->fn_mcxt);
		info->kind = HLL_HASH_FMGR;
		if ((type == TEXTOID || type == VARCHAROID) && OidIsValid(collation) &&
			get_collation_isdeterministic(collation))
			info->kind = HLL_HASH_BYTES;
		else if (type == INT2OID)
			info->kind = HLL_HASH_INT2;
		else if (type == INT4OID)
			info->kind = HLL_HASH_INT4;
		else if (type == INT8OID)
			info->kind = HLL_HASH_INT8;
		fcinfo->flinfo->fn_extra = info;
	}
	return info;
}

/* The type's 64-bit extended hash of a value, with seed 0. */
static uint64
HllHashValue(HllHashInfo *info, Datum value)
{
	switch (info->kind)
	{
		case HLL_HASH_BYTES:
			{
				text	   *t = DatumGetTextPP(value);

				return hash_bytes_extended((const unsigned char *) VARDATA_ANY(t),
										   VARSIZE_ANY_EXHDR(t), 0);
			}
		case HLL_HASH_INT2:
			return hash_bytes_uint32_extended((uint32) (int32) DatumGetInt16(value), 0);
		case HLL_HASH_INT4:
			return hash_bytes_uint32_extended((uint32) DatumGetInt32(value), 0);
		case HLL_HASH_INT8:
			{
				/* as hashint8extended: fold so int8 and int4 values agree */
				int64		val = DatumGetInt64(value);
				uint32		lohalf = (uint32) val;
				uint32		hihalf = (uint32) (val >> 32);

				lohalf ^= (val >= 0) ? hihalf : ~hihalf;
				return hash_bytes_uint32_extended(lohalf, 0);
			}
		case HLL_HASH_FMGR:
			break;
	}
	return DatumGetUInt64(FunctionCall2Coll(&info->hash, info->collation, value,
											UInt64GetDatum(0)));
}

/* The precision argument of hll_agg(x, precision), or the default. */
static int32
HllPrecisionArg(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() <= 2)
		return HLL_DEFAULT_PRECISION;
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("hll precision cannot be null")));
	return PG_GETARG_INT32(2);
}

/* Add the value argument (x) to a state of the given precision. */
static void
HllAddArg(FunctionCallInfo fcinfo, HllState *state, int32 precision)
{
	if (precision != state->precision)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hll precision must be the same for all rows of a group")));
	if (!PG_ARGISNULL(1))
		HllAdd(state, pp_mix64(HllHashValue(HllHashFunction(fcinfo), PG_GETARG_DATUM(1))));
}

/*
 * Transition of the polymorphic hll_agg(x [, precision]) and
 * approx_count_distinct(x), whose state is internal: hash x with its type's
 * hash function and add it.  NULLs are skipped.
 */
Datum
parproc_hll_transfn(PG_FUNCTION_ARGS)
{
	HllState   *state = PG_ARGISNULL(0) ? NULL : (HllState *) PG_GETARG_POINTER(0);
	int32		precision = HllPrecisionArg(fcinfo);

	if (state == NULL)
	{
		CheckPrecision(precision);
		state = HllNewState(ParprocAggContext(fcinfo), precision);
	}
	HllAddArg(fcinfo, state, precision);
	PG_RETURN_POINTER(state);
}

/* Transition of merge_agg(hll): fold in a stored sketch. */
Datum
parproc_hll_merge_transfn(PG_FUNCTION_ARGS)
{
	HllState   *state = PG_ARGISNULL(0) ? NULL : (HllState *) PG_GETARG_POINTER(0);
	PpHllView	view;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	HllDecode(PG_GETARG_BYTEA_PP(1), &view, ERRCODE_DATA_CORRUPTED);
	if (state == NULL)
		state = HllNewState(ParprocAggContext(fcinfo), view.precision);
	HllAddView(state, &view);
	PG_RETURN_POINTER(state);
}

/* Fold state2 (an aggregate state or a received sketch) into state1. */
static void
HllAddState(HllState *state1, HllState *state2)
{
	uint32		i;

	if (state2->received.precision != 0)
	{
		HllAddView(state1, &state2->received);
		return;
	}
	if (state1->precision != state2->precision)
		elog(ERROR, "hll states of different precisions %d and %d",
			 state1->precision, state2->precision);
	if (state2->registers != NULL)
	{
		HllDensify(state1);
		pp_hll_dense_merge(state1->registers, state2->registers,
						   PP_HLL_REGISTERS(state1->precision));
		return;
	}
	for (i = 0; i < state2->cap; i++)
		if (state2->table[i] != 0)
			HllAdd(state1, state2->table[i]);
}

/* Combine: fold the second partial state into the first. */
Datum
parproc_hll_combinefn(PG_FUNCTION_ARGS)
{
	HllState   *state1 = PG_ARGISNULL(0) ? NULL : (HllState *) PG_GETARG_POINTER(0);
	HllState   *state2 = PG_ARGISNULL(1) ? NULL : (HllState *) PG_GETARG_POINTER(1);

	/* only ever called as an aggregate's combine function */
	(void) ParprocAggContext(fcinfo);
	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	if (state1 == NULL)
		state1 = HllNewState(ParprocAggContext(fcinfo), state2->precision);
	HllAddState(state1, state2);
	PG_RETURN_POINTER(state1);
}

/* Serialize: the encoded sketch. */
Datum
parproc_hll_serialfn(PG_FUNCTION_ARGS)
{
	ParprocAggContext(fcinfo);
	PG_RETURN_BYTEA_P(HllEncode((HllState *) PG_GETARG_POINTER(0)));
}

/*
 * Deserialize: validate, and keep a view of the message, which stays valid
 * for the combinefn call that follows on the same input tuple (the state
 * itself lives in the per-input-tuple context deserialization runs in).
 */
Datum
parproc_hll_deserialfn(PG_FUNCTION_ARGS)
{
	HllState   *state;
	PpHllView	view;

	ParprocAggContext(fcinfo);
	HllDecode(PG_GETARG_BYTEA_PP(0), &view, ERRCODE_DATA_CORRUPTED);
	state = HllNewState(CurrentMemoryContext, view.precision);
	state->received = view;
	PG_RETURN_POINTER(state);
}

/* Final of hll_agg and merge_agg: the sketch; NULL when no rows. */
Datum
parproc_hll_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(HllEncode((HllState *) PG_GETARG_POINTER(0)));
}

/* Final of approx_count_distinct: the estimate; 0 when no rows. */
Datum
parproc_hll_count_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	PG_RETURN_INT64(HllStateCardinality((HllState *) PG_GETARG_POINTER(0)));
}

/* cardinality(hll): exact below the sparse limit, estimated above. */
Datum
parproc_hll_cardinality(PG_FUNCTION_ARGS)
{
	PpHllView	view;

	HllDecode(PG_GETARG_BYTEA_PP(0), &view, ERRCODE_DATA_CORRUPTED);
	PG_RETURN_INT64(HllViewCardinality(&view));
}

/* merge(a, b): the sketch of the union. */
Datum
parproc_hll_merge(PG_FUNCTION_ARGS)
{
	PpHllView	a,
				b;
	HllState   *state;

	HllDecode(PG_GETARG_BYTEA_PP(0), &a, ERRCODE_DATA_CORRUPTED);
	HllDecode(PG_GETARG_BYTEA_PP(1), &b, ERRCODE_DATA_CORRUPTED);
	state = HllNewState(CurrentMemoryContext, a.precision);
	HllAddView(state, &a);
	HllAddView(state, &b);
	PG_RETURN_BYTEA_P(HllEncode(state));
}

/*
 * parproc.hll as the transition type of the aggregates (0.2): the state
 * is an HllState in an expanded object (src/agg/state.c), flattened to the
 * sketch's bytes by HllEncode.
 */
static void *
HllExpand(bytea *flat, MemoryContext context)
{
	PpHllView	view;
	HllState   *state;

	HllDecode(flat, &view, ERRCODE_DATA_CORRUPTED);
	state = HllNewState(context, view.precision);
	HllAddView(state, &view);
	return state;
}

static bytea *
HllFlatten(void *state)
{
	return HllEncode((HllState *) state);
}

static const ParprocStateKind HllKind = {HllExpand, HllFlatten, NULL, NULL, NULL, NULL, NULL};

/* Transition of hll_agg(x [, precision]) and approx_count_distinct(x). */
Datum
parproc_hll_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &HllKind);
	int32		precision = HllPrecisionArg(fcinfo);

	if (s == NULL)
	{
		CheckPrecision(precision);
		s = ParprocStateNew(fcinfo, &HllKind);
		s->state = HllNewState(s->hdr.eoh_context, precision);
	}
	HllAddArg(fcinfo, (HllState *) s->state, precision);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/*
 * Union of two sketches, either a state or a stored value: the transition
 * of merge_agg(hll) and the combine function of all the hll aggregates.
 */
Datum
parproc_hll_union(PG_FUNCTION_ARGS)
{
	ParprocState *s;
	HllState   *other;
	PpHllView	view;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = ParprocStateOf(PG_GETARG_DATUM(1), &HllKind);
	if (other == NULL)
		HllDecode(PG_GETARG_BYTEA_PP(1), &view, ERRCODE_DATA_CORRUPTED);
	s = ParprocStateForUpdate(fcinfo, 0, &HllKind);
	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &HllKind);
		s->state = HllNewState(s->hdr.eoh_context, other ? other->precision : view.precision);
	}
	if (other != NULL)
		HllAddState((HllState *) s->state, other);
	else
		HllAddView((HllState *) s->state, &view);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* Final of hll_agg and merge_agg: the sketch; NULL when no rows. */
Datum
parproc_hll_final(PG_FUNCTION_ARGS)
{
	HllState   *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = ParprocStateOf(PG_GETARG_DATUM(0), &HllKind);
	if (state == NULL)
		PG_RETURN_BYTEA_P(PG_GETARG_BYTEA_P_COPY(0));
	PG_RETURN_BYTEA_P(HllEncode(state));
}

/* Final of approx_count_distinct: the estimate; 0 when no rows. */
Datum
parproc_hll_count_final(PG_FUNCTION_ARGS)
{
	HllState   *state;
	PpHllView	view;

	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	state = ParprocStateOf(PG_GETARG_DATUM(0), &HllKind);
	if (state == NULL)
	{
		HllDecode(PG_GETARG_BYTEA_PP(0), &view, ERRCODE_DATA_CORRUPTED);
		PG_RETURN_INT64(HllViewCardinality(&view));
	}
	PG_RETURN_INT64(HllStateCardinality(state));
}
