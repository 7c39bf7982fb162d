/*
 * vec.c
 *		parproc.vec_sum, vec_avg, vec_min, vec_max: element-wise aggregates
 *		over double precision[], parallel safe.
 *
 * Every input array must have the same length; NULL arrays are skipped,
 * and NULL elements are skipped position by position (a position with no
 * value gives a NULL element).  Rows without NULL elements go through the
 * vectorised kernels in src/kernels/vec.c straight from the array's data.
 *
 * Since 0.2 the state is a parproc.agg_state (src/agg/state.c), encoded
 * (little-endian) only where a value must exist, as for Citus; the 0.1
 * functions, on an internal state, remain for the 0.1 install script.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/float.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
#include "kernels/vec.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_vec_sum_transfn);
PG_FUNCTION_INFO_V1(parproc_vec_min_transfn);
PG_FUNCTION_INFO_V1(parproc_vec_max_transfn);
PG_FUNCTION_INFO_V1(parproc_vec_combinefn);
PG_FUNCTION_INFO_V1(parproc_vec_serialfn);
PG_FUNCTION_INFO_V1(parproc_vec_deserialfn);
PG_FUNCTION_INFO_V1(parproc_vec_finalfn);
PG_FUNCTION_INFO_V1(parproc_vec_avg_finalfn);
PG_FUNCTION_INFO_V1(parproc_vec_sum_accum);
PG_FUNCTION_INFO_V1(parproc_vec_min_accum);
PG_FUNCTION_INFO_V1(parproc_vec_max_accum);
PG_FUNCTION_INFO_V1(parproc_vec_union);
PG_FUNCTION_INFO_V1(parproc_vec_final);
PG_FUNCTION_INFO_V1(parproc_vec_avg_final);

typedef enum VecKind
{
	VEC_SUM,					/* vec_sum and vec_avg */
	VEC_MIN,
	VEC_MAX
} VecKind;

typedef struct VecState
{
	VecKind		kind;
	int32		len;			/* length of every input array */
	bool		all_set;		/* every position has a value (min/max) */
	int64	   *counts;			/* non-NULL values per position */
	double	   *acc;			/* sums, minima or maxima */
	double	   *nonfinite;		/* sums: NaN where an input was not finite */
} VecState;

/* A new state for arrays of len elements. */
static VecState *
VecNewState(MemoryContext context, VecKind kind, int32 len)
{
	VecState   *state = MemoryContextAllocZero(context, sizeof(VecState));

	state->kind = kind;
	state->len = len;
	state->counts = MemoryContextAllocZero(context, Max(len, 1) * sizeof(int64));
	state->acc = MemoryContextAllocZero(context, Max(len, 1) * sizeof(double));
	if (kind == VEC_SUM)
		state->nonfinite = MemoryContextAllocZero(context, Max(len, 1) * sizeof(double));
	state->all_set = len == 0;
	return state;
}

/* Number of elements of a one-dimensional array; error otherwise. */
static int32
VecLength(ArrayType *array)
{
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("vector aggregates take one-dimensional arrays"),
				 errdetail("An input array has %d dimensions.", ARR_NDIM(array))));
	return ARR_NDIM(array) == 0 ? 0 : ARR_DIMS(array)[0];
}

/* Error for arrays of different lengths. */
static void
VecLengthMismatch(int32 expected, int32 got)
{
	ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("vector lengths differ: %d and %d", expected, got),
			 errdetail("Every input array of a vector aggregate must have the same number of elements.")));
}

/* Fold one value into position i (the slow path, for rows with NULLs). */
static inline void
VecAddOne(VecState *state, int32 i, double x)
{
	switch (state->kind)
	{
		case VEC_SUM:
			state->acc[i] += x;
			state->nonfinite[i] += x - x;
			break;
		case VEC_MIN:
			state->acc[i] = state->counts[i] == 0 ? x : pp_min2(state->acc[i], x);
			break;
		case VEC_MAX:
			state->acc[i] = state->counts[i] == 0 ? x : pp_max2(state->acc[i], x);
			break;
	}
	state->counts[i]++;
}

/* Whether every position has at least one value. */
static bool
VecAllSet(VecState *state)
{
	int32		i;

	for (i = 0; i < state->len; i++)
		if (state->counts[i] == 0)
			return false;
	return true;
}

/*
 * Fold the array argument (not NULL) into the state, made on the first row
 * in context.
 */
static VecState *
VecRow(FunctionCallInfo fcinfo, VecState *state, VecKind kind, MemoryContext context)
{
	ArrayType  *array;
	int32		len;
	const double *x;

	array = PG_GETARG_ARRAYTYPE_P(1);
	len = VecLength(array);
	if (state == NULL)
		state = VecNewState(context, kind, len);
	else if (len != state->len)
		VecLengthMismatch(state->len, len);
	if (len == 0)
		return state;

	x = (const double *) ARR_DATA_PTR(array);
	if (!ARR_HASNULL(array) && (kind == VEC_SUM || state->all_set))
	{
		/* the common case: whole vectors through the kernels */
		if (kind == VEC_SUM)
			pp_vec_add(state->acc, state->nonfinite, x, len);
		else if (kind == VEC_MIN)
			pp_vec_min(state->acc, x, len);
		else
			pp_vec_max(state->acc, x, len);
		pp_vec_count(state->counts, 1, len);
	}
	else
	{
		bits8	   *nullbitmap = ARR_NULLBITMAP(array);
		int32		i;

		for (i = 0; i < len; i++)
		{
			if (nullbitmap != NULL && !(nullbitmap[i / 8] & (1 << (i % 8))))
				continue;
			VecAddOne(state, i, *x++);
		}
		if (kind != VEC_SUM && !state->all_set)
			state->all_set = VecAllSet(state);
	}
	return state;
}

/* Shared transition of the 0.1 aggregates. */
static Datum
VecTransition(FunctionCallInfo fcinfo, VecKind kind)
{
	VecState   *state = PG_ARGISNULL(0) ? NULL : (VecState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1))
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}
	PG_RETURN_POINTER(VecRow(fcinfo, state, kind,
							 state == NULL ? ParprocAggContext(fcinfo) : NULL));
}

/* Transition of vec_sum and vec_avg. */
Datum
parproc_vec_sum_transfn(PG_FUNCTION_ARGS)
{
	return VecTransition(fcinfo, VEC_SUM);
}

/* Transition of vec_min. */
Datum
parproc_vec_min_transfn(PG_FUNCTION_ARGS)
{
	return VecTransition(fcinfo, VEC_MIN);
}

/* Transition of vec_max. */
Datum
parproc_vec_max_transfn(PG_FUNCTION_ARGS)
{
	return VecTransition(fcinfo, VEC_MAX);
}

/* Fold src into dst, or make dst (NULL) a copy in context. */
static VecState *
VecMerge(VecState *dst, const VecState *src, MemoryContext context)
{
	int32		i;

	if (dst == NULL)
		dst = VecNewState(context, src->kind, src->len);
	else if (dst->kind != src->kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot combine the states of different vector aggregates")));
	else if (dst->len != src->len)
		VecLengthMismatch(dst->len, src->len);

	if (src->kind == VEC_SUM)
	{
		pp_vec_add_plain(dst->acc, src->acc, dst->len);
		pp_vec_add_plain(dst->nonfinite, src->nonfinite, dst->len);
	}
	else
	{
		for (i = 0; i < dst->len; i++)
		{
			if (src->counts[i] == 0)
				continue;
			if (dst->counts[i] == 0)
				dst->acc[i] = src->acc[i];
			else if (src->kind == VEC_MIN)
				dst->acc[i] = pp_min2(dst->acc[i], src->acc[i]);
			else
				dst->acc[i] = pp_max2(dst->acc[i], src->acc[i]);
		}
	}
	pp_vec_count_add(dst->counts, src->counts, dst->len);
	if (dst->kind != VEC_SUM)
		dst->all_set = VecAllSet(dst);
	return dst;
}

/* Combine: fold the second partial state into the first. */
Datum
parproc_vec_combinefn(PG_FUNCTION_ARGS)
{
	VecState   *state1 = PG_ARGISNULL(0) ? NULL : (VecState *) PG_GETARG_POINTER(0);
	VecState   *state2 = PG_ARGISNULL(1) ? NULL : (VecState *) PG_GETARG_POINTER(1);
	MemoryContext aggcontext;

	/* only ever called as an aggregate's combine function */
	aggcontext = ParprocAggContext(fcinfo);
	if (state2 == NULL)
	{
		if (state1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state1);
	}
	PG_RETURN_POINTER(VecMerge(state1, state2, aggcontext));
}

/* Bytes of a serialized state's arrays. */
static Size
VecArraysSize(VecKind kind, int32 len)
{
	return (Size) len * (sizeof(int64) + sizeof(double) +
						 (kind == VEC_SUM ? sizeof(double) : 0));
}

/*
 * Serialize: kind, length, then the raw arrays (same binary on both sides
 * of a parallel query, so host byte order is fine).
 */
Datum
parproc_vec_serialfn(PG_FUNCTION_ARGS)
{
	VecState   *state = (VecState *) PG_GETARG_POINTER(0);
	Size		total = VARHDRSZ + 2 * sizeof(int32) + VecArraysSize(state->kind, state->len);
	bytea	   *result;
	char	   *p;
	int32		kind = (int32) state->kind;

	ParprocAggContext(fcinfo);
	result = palloc(total);
	SET_VARSIZE(result, total);
	p = VARDATA(result);
	memcpy(p, &kind, sizeof(int32));
	p += sizeof(int32);
	memcpy(p, &state->len, sizeof(int32));
	p += sizeof(int32);
	memcpy(p, state->counts, state->len * sizeof(int64));
	p += state->len * sizeof(int64);
	memcpy(p, state->acc, state->len * sizeof(double));
	p += state->len * sizeof(double);
	if (state->kind == VEC_SUM)
		memcpy(p, state->nonfinite, state->len * sizeof(double));
	PG_RETURN_BYTEA_P(result);
}

/*
 * Rebuild a state serialized by parproc_vec_serialfn, in the per-input-
 * tuple context deserialization runs in: combinefn, called next, folds it
 * into the group's state.
 */
Datum
parproc_vec_deserialfn(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	const char *p = VARDATA_ANY(bytes);
	Size		size = VARSIZE_ANY_EXHDR(bytes);
	int32		kind,
				len;
	VecState   *state;

	ParprocAggContext(fcinfo);
	if (size < 2 * sizeof(int32))
		elog(ERROR, "invalid parproc vector state");
	memcpy(&kind, p, sizeof(int32));
	memcpy(&len, p + sizeof(int32), sizeof(int32));
	if (kind < VEC_SUM || kind > VEC_MAX || len < 0 ||
		size != 2 * sizeof(int32) + VecArraysSize(kind, len))
		elog(ERROR, "invalid parproc vector state");
	p += 2 * sizeof(int32);

	state = VecNewState(CurrentMemoryContext, (VecKind) kind, len);
	memcpy(state->counts, p, len * sizeof(int64));
	p += len * sizeof(int64);
	memcpy(state->acc, p, len * sizeof(double));
	p += len * sizeof(double);
	if (kind == VEC_SUM)
		memcpy(state->nonfinite, p, len * sizeof(double));
	PG_RETURN_POINTER(state);
}

/* Build the float8[] result; positions without values are NULL. */
static Datum
VecResult(VecState *state, bool average)
{
	Datum	   *elems = palloc(Max(state->len, 1) * sizeof(Datum));
	bool	   *nulls = palloc(Max(state->len, 1) * sizeof(bool));
	int			dims[1] = {state->len};
	int			lbs[1] = {1};
	int32		i;

	if (state->len == 0)
		return PointerGetDatum(construct_empty_array(FLOAT8OID));
	if (state->kind == VEC_SUM &&
		pp_vec_overflowed(state->acc, state->nonfinite, state->len))
		float_overflow_error();

	for (i = 0; i < state->len; i++)
	{
		nulls[i] = state->counts[i] == 0;
		elems[i] = Float8GetDatum(average && !nulls[i]
								  ? state->acc[i] / (double) state->counts[i]
								  : state->acc[i]);
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  FLOAT8OID, sizeof(float8),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final of vec_sum, vec_min and vec_max. */
Datum
parproc_vec_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(VecResult((VecState *) PG_GETARG_POINTER(0), false));
}

/* Final of vec_avg. */
Datum
parproc_vec_avg_finalfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(VecResult((VecState *) PG_GETARG_POINTER(0), true));
}

/*
 * 0.2: the state as a parproc.agg_state ---------------------------------
 *
 * Encoded: kind and length (little-endian int32), then the counts, the
 * accumulators and, for sums, the non-finite markers (little-endian 8-byte
 * words).
 */

/* Most elements of a vector state that fit one encoded value. */
#define VEC_MAX_LEN ((int32) ((MaxAllocSize - 64) / (3 * sizeof(int64))))

/* Decode an encoded state into context; SQLSTATE sqlstate if it does not. */
static void *
VecParse(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	const uint8 *p = (const uint8 *) payload;
	int32		kind,
				n,
				i;
	VecState   *state;

	if (len < 2 * sizeof(int32))
		goto invalid;
	kind = (int32) pp_get_le32(p);
	n = (int32) pp_get_le32(p + 4);
	if (kind < VEC_SUM || kind > VEC_MAX || n < 0 || n > VEC_MAX_LEN ||
		len != 2 * sizeof(int32) + VecArraysSize(kind, n))
		goto invalid;
	p += 2 * sizeof(int32);
	state = VecNewState(context, (VecKind) kind, n);
	pp_copy_le64(state->counts, p, n);
	p += n * sizeof(int64);
	pp_copy_le64(state->acc, p, n);
	p += n * sizeof(double);
	if (kind == VEC_SUM)
		pp_copy_le64(state->nonfinite, p, n);
	for (i = 0; i < n; i++)
		if (state->counts[i] < 0)
			goto invalid;
	if (kind != VEC_SUM)
		state->all_set = VecAllSet(state);
	return state;

invalid:
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid parproc vector state")));
	return NULL;				/* keep compiler quiet */
}

static bytea *
VecFlatten(void *arg)
{
	VecState   *state = (VecState *) arg;
	Size		size = VecArraysSize(state->kind, state->len);
	StringInfoData buf;
	uint8	   *p;

	ParprocAggStateStart(&buf, &ParprocVecKind, 2 * sizeof(int32) + size);
	p = (uint8 *) buf.data + buf.len;
	pp_put_le32(p, (uint32) state->kind);
	pp_put_le32(p + 4, (uint32) state->len);
	p += 2 * sizeof(int32);
	pp_copy_le64(p, state->counts, state->len);
	p += state->len * sizeof(int64);
	pp_copy_le64(p, state->acc, state->len);
	p += state->len * sizeof(double);
	if (state->kind == VEC_SUM)
		pp_copy_le64(p, state->nonfinite, state->len);
	buf.len += 2 * sizeof(int32) + size;
	return ParprocAggStateEnd(&buf);
}

const ParprocStateKind ParprocVecKind = {
	NULL, VecFlatten, "vec1", VecParse, NULL, NULL, NULL
};

/* Transition of the 0.2 aggregates: the state object, made on the first array. */
static Datum
VecAccum(FunctionCallInfo fcinfo, VecKind kind)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocVecKind);

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(ParprocStateDatum(s));
	}
	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocVecKind);
		s->state = VecRow(fcinfo, NULL, kind, s->hdr.eoh_context);
	}
	else
	{
		if (((VecState *) s->state)->kind != kind)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cannot combine the states of different vector aggregates")));
		VecRow(fcinfo, (VecState *) s->state, kind, NULL);
	}
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* Transition of vec_sum and vec_avg. */
Datum
parproc_vec_sum_accum(PG_FUNCTION_ARGS)
{
	return VecAccum(fcinfo, VEC_SUM);
}

/* Transition of vec_min. */
Datum
parproc_vec_min_accum(PG_FUNCTION_ARGS)
{
	return VecAccum(fcinfo, VEC_MIN);
}

/* Transition of vec_max. */
Datum
parproc_vec_max_accum(PG_FUNCTION_ARGS)
{
	return VecAccum(fcinfo, VEC_MAX);
}

static void *
VecMergeStep(void *dst, void *src, MemoryContext context)
{
	return VecMerge((VecState *) dst, (VecState *) src, context);
}

/* Combine: fold the second state into the first. */
Datum
parproc_vec_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &ParprocVecKind, VecMergeStep);
}

/* Final of vec_sum, vec_min and vec_max. */
Datum
parproc_vec_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(VecResult(ParprocStateArg(fcinfo, 0, &ParprocVecKind), false));
}

/* Final of vec_avg. */
Datum
parproc_vec_avg_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(VecResult(ParprocStateArg(fcinfo, 0, &ParprocVecKind), true));
}
