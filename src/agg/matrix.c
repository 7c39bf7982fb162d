/*
 * matrix.c
 *		parproc.cov_matrix(x float8[]) and parproc.corr_matrix(x float8[]):
 *		the sample covariance and the correlation matrices of d columns in
 *		one parallel pass (kernels/comoments.c).
 *
 * Each row is one array of the d values.  As core's corr and covar_samp do
 * for one pair, rows with a NULL (a NULL array or a NULL element) are left
 * out, and non-finite values make the results of their column NaN.  Every
 * array of a group must have the same length, from 1 to
 * MATRIX_MAX_COLUMNS.  The state is a parproc.agg_state (src/agg/state.c),
 * so the aggregates run in parallel and on Citus's shards.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
#include "kernels/comoments.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_comoments_accum);
PG_FUNCTION_INFO_V1(parproc_comoments_union);
PG_FUNCTION_INFO_V1(parproc_cov_matrix_final);
PG_FUNCTION_INFO_V1(parproc_corr_matrix_final);

/* Most columns: the state holds d(d+1)/2 cells, 4 MB at 1000. */
#define MATRIX_MAX_COLUMNS 1000

typedef struct MatrixState
{
	PpComoments m;
	double	   *scratch;		/* 2d doubles for the kernel */
} MatrixState;

/* A new empty state of d columns in context. */
static MatrixState *
MatrixNewState(MemoryContext context, int32 d)
{
	MatrixState *state = MemoryContextAllocZero(context, sizeof(MatrixState));

	pp_comoments_init(&state->m, d,
					  MemoryContextAllocZero(context, d * sizeof(double)),
					  MemoryContextAllocZero(context, d * sizeof(double)),
					  MemoryContextAllocZero(context, pp_comoments_cells(d) * sizeof(double)),
					  MemoryContextAllocZero(context, d * sizeof(int64)));
	state->scratch = MemoryContextAlloc(context, 2 * d * sizeof(double));
	return state;
}

/* The number of columns of an input array, checked. */
static int32
MatrixColumns(ArrayType *array)
{
	int32		d;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("matrix aggregates take one-dimensional arrays"),
				 errdetail("An input array has %d dimensions.", ARR_NDIM(array))));
	d = ARR_NDIM(array) == 0 ? 0 : ARR_DIMS(array)[0];
	if (d < 1 || d > MATRIX_MAX_COLUMNS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("matrix aggregates take from 1 to %d columns, not %d",
						MATRIX_MAX_COLUMNS, d)));
	return d;
}

/* Error for arrays of different lengths in one group. */
static void
MatrixColumnsDiffer(int32 expected, int32 got)
{
	ereport(ERROR,
			(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
			 errmsg("matrix aggregate arrays differ in length: %d and %d", expected, got),
			 errdetail("Every array of a group must hold the same columns.")));
}

/*
 * Encoding (after the agg_state mark): d (le32), n (le64), then d
 * non-finite counts, d shifts, d means and the d(d+1)/2 co-moments, each
 * a little-endian 8-byte word.
 */
static Size
MatrixPayloadSize(int32 d)
{
	return 4 + 8 + (3 * (Size) d + pp_comoments_cells(d)) * 8;
}

/* Decode an encoded state into context; SQLSTATE sqlstate if it does not. */
static void *
MatrixParse(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	const uint8 *p = (const uint8 *) payload;
	MatrixState *state;
	int32		d,
				i;
	int64		n;

	if (len < 12)
		goto invalid;
	d = (int32) pp_get_le32(p);
	n = (int64) pp_get_le64(p + 4);
	if (d < 1 || d > MATRIX_MAX_COLUMNS || n < 0 || len != MatrixPayloadSize(d))
		goto invalid;
	p += 12;
	state = MatrixNewState(context, d);
	state->m.n = n;
	pp_copy_le64(state->m.nonfinite, p, d);
	p += 8 * d;
	pp_copy_le64(state->m.shift, p, d);
	p += 8 * d;
	pp_copy_le64(state->m.mean, p, d);
	p += 8 * d;
	pp_copy_le64(state->m.c, p, pp_comoments_cells(d));
	for (i = 0; i < d; i++)
		if (state->m.nonfinite[i] < 0 || state->m.nonfinite[i] > n)
			goto invalid;
	return state;

invalid:
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid parproc matrix state")));
	return NULL;				/* keep compiler quiet */
}

static bytea *
MatrixFlatten(void *arg)
{
	MatrixState *state = (MatrixState *) arg;
	int32		d = state->m.d;
	Size		size = MatrixPayloadSize(d);
	StringInfoData buf;
	uint8	   *p;

	ParprocAggStateStart(&buf, &ParprocMatrixKind, size);
	p = (uint8 *) buf.data + buf.len;
	pp_put_le32(p, (uint32) d);
	pp_put_le64(p + 4, (uint64) state->m.n);
	p += 12;
	pp_copy_le64(p, state->m.nonfinite, d);
	p += 8 * d;
	pp_copy_le64(p, state->m.shift, d);
	p += 8 * d;
	pp_copy_le64(p, state->m.mean, d);
	p += 8 * d;
	pp_copy_le64(p, state->m.c, pp_comoments_cells(d));
	buf.len += size;
	return ParprocAggStateEnd(&buf);
}

const ParprocStateKind ParprocMatrixKind = {
	NULL, MatrixFlatten, "cov1", MatrixParse, NULL, NULL, NULL
};

/* Transition: fold one row (an array of the d values) into the state. */
Datum
parproc_comoments_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocMatrixKind);
	MatrixState *state;
	ArrayType  *array;
	int32		d;
	const double *x;

	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(ParprocStateDatum(s));
	}
	array = PG_GETARG_ARRAYTYPE_P(1);
	d = MatrixColumns(array);
	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocMatrixKind);
		s->state = MatrixNewState(s->hdr.eoh_context, d);
	}
	state = (MatrixState *) s->state;
	if (d != state->m.d)
		MatrixColumnsDiffer(state->m.d, d);

	/* a row with a NULL is left out, as core's two-column aggregates do */
	if (!ARR_HASNULL(array))
	{
		x = (const double *) ARR_DATA_PTR(array);
		pp_comoments_add(&state->m, x, state->scratch);
	}
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/* Merge state src into dst, or into a new state in context. */
static void *
MatrixMergeStep(void *dst, void *src, MemoryContext context)
{
	MatrixState *a = (MatrixState *) dst;
	MatrixState *b = (MatrixState *) src;

	if (a == NULL)
		a = MatrixNewState(context, b->m.d);
	else if (a->m.d != b->m.d)
		MatrixColumnsDiffer(a->m.d, b->m.d);
	pp_comoments_merge(&a->m, &b->m, a->scratch);
	return a;
}

/* Combine: merge the second state into the first. */
Datum
parproc_comoments_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &ParprocMatrixKind, MatrixMergeStep);
}

/* A d x d float8 array, NULL where null[i] (when given). */
static Datum
MatrixResult(const double *v, const bool *null, int32 d)
{
	Datum	   *elems = palloc((Size) d * d * sizeof(Datum));
	int			dims[2] = {d, d};
	int			lbs[2] = {1, 1};
	Size		i;

	for (i = 0; i < (Size) d * d; i++)
		elems[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_md_array(elems, (bool *) null, 2, dims, lbs,
											  FLOAT8OID, sizeof(float8),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* Final of cov_matrix: NULL with fewer than two rows, as covar_samp. */
Datum
parproc_cov_matrix_final(PG_FUNCTION_ARGS)
{
	MatrixState *state;
	double	   *out;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = ParprocStateArg(fcinfo, 0, &ParprocMatrixKind);
	out = palloc((Size) state->m.d * state->m.d * sizeof(double));
	if (!pp_comoments_covariance(&state->m, out))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(MatrixResult(out, NULL, state->m.d));
}

/*
 * Final of corr_matrix: NULL without rows; an element is NULL where a
 * column has no variance, as corr gives.
 */
Datum
parproc_corr_matrix_final(PG_FUNCTION_ARGS)
{
	MatrixState *state;
	double	   *out;
	bool	   *null;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = ParprocStateArg(fcinfo, 0, &ParprocMatrixKind);
	out = palloc((Size) state->m.d * state->m.d * sizeof(double));
	null = palloc((Size) state->m.d * state->m.d * sizeof(bool));
	if (!pp_comoments_correlation(&state->m, out, null))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(MatrixResult(out, null, state->m.d));
}
