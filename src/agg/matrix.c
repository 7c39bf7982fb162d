/*
 * matrix.c
 *		parproc.cov_matrix(x float8[]) and parproc.corr_matrix(x float8[]):
 *		the sample covariance and the correlation matrices of d columns in
 *		one parallel pass (kernels/comoments.c); parproc.linreg(y, x
 *		float8[]), least squares from the co-moments of (x..., y)
 *		(kernels/linreg.c), and linreg_predict.
 *
 * Each row is one array of the d values.  As core's corr and covar_samp do
 * for one pair, rows with a NULL (a NULL array or a NULL element) are left
 * out, and non-finite values make the results of their column NaN.  Every
 * array of a group must have the same length, from 1 to
 * MATRIX_MAX_COLUMNS.  The state is a parproc.agg_state (src/agg/state.c),
 * so the aggregates run in parallel and on Citus's shards.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
#include "kernels/comoments.h"
#include "kernels/linreg.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_comoments_accum);
PG_FUNCTION_INFO_V1(parproc_comoments_union);
PG_FUNCTION_INFO_V1(parproc_cov_matrix_final);
PG_FUNCTION_INFO_V1(parproc_corr_matrix_final);
PG_FUNCTION_INFO_V1(parproc_linreg_accum);
PG_FUNCTION_INFO_V1(parproc_linreg_union);
PG_FUNCTION_INFO_V1(parproc_linreg_final);
PG_FUNCTION_INFO_V1(parproc_linreg_predict);

/* Most columns: the state holds d(d+1)/2 cells, 4 MB at 1000. */
#define MATRIX_MAX_COLUMNS 1000

typedef struct MatrixState
{
	const ParprocStateKind *kind;	/* ParprocMatrixKind or ParprocLinregKind */
	PpComoments m;
	double	   *scratch;		/* 2d doubles for the kernel */
	double	   *row;			/* linreg: the row (x..., y) */
} MatrixState;

/* A new empty state of d columns in context. */
static MatrixState *
MatrixNewState(MemoryContext context, int32 d, const ParprocStateKind *kind)
{
	MatrixState *state = MemoryContextAllocZero(context, sizeof(MatrixState));

	state->kind = kind;
	pp_comoments_init(&state->m, d,
					  MemoryContextAllocZero(context, d * sizeof(double)),
					  MemoryContextAllocZero(context, d * sizeof(double)),
					  MemoryContextAllocZero(context, pp_comoments_cells(d) * sizeof(double)),
					  MemoryContextAllocZero(context, d * sizeof(int64)));
	state->scratch = MemoryContextAlloc(context, 2 * d * sizeof(double));
	if (kind == &ParprocLinregKind)
		state->row = MemoryContextAlloc(context, d * sizeof(double));
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

/*
 * Decode an encoded state of kind into context; SQLSTATE sqlstate if it
 * does not.
 */
static void *
MatrixParse(const char *payload, Size len, int sqlstate, MemoryContext context,
			const ParprocStateKind *kind)
{
	const uint8 *p = (const uint8 *) payload;
	MatrixState *state;
	int32		d,
				i,
				y;
	int64		n;

	if (len < 12)
		goto invalid;
	d = (int32) pp_get_le32(p);
	n = (int64) pp_get_le64(p + 4);
	y = kind == &ParprocLinregKind ? 1 : 0; /* linreg's y, after the columns */
	if (d < 1 + y || d > MATRIX_MAX_COLUMNS + y || n < 0 || len != MatrixPayloadSize(d))
		goto invalid;
	p += 12;
	state = MatrixNewState(context, d, kind);
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
			 errmsg("invalid parproc %s state", kind == &ParprocLinregKind ? "linreg" : "matrix")));
	return NULL;				/* keep compiler quiet */
}

static void *
CovParse(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	return MatrixParse(payload, len, sqlstate, context, &ParprocMatrixKind);
}

static void *
LinregParse(const char *payload, Size len, int sqlstate, MemoryContext context)
{
	return MatrixParse(payload, len, sqlstate, context, &ParprocLinregKind);
}

static bytea *
MatrixFlatten(void *arg)
{
	MatrixState *state = (MatrixState *) arg;
	int32		d = state->m.d;
	Size		size = MatrixPayloadSize(d);
	StringInfoData buf;
	uint8	   *p;

	ParprocAggStateStart(&buf, state->kind, size);
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
	NULL, MatrixFlatten, "cov1", CovParse, NULL, NULL, NULL
};

/* linreg's co-moments, of (x..., y): the same encoding, another kind */
const ParprocStateKind ParprocLinregKind = {
	NULL, MatrixFlatten, "lin1", LinregParse, NULL, NULL, NULL
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
		s->state = MatrixNewState(s->hdr.eoh_context, d, &ParprocMatrixKind);
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
		a = MatrixNewState(context, b->m.d, b->kind);
	else if (a->m.d != b->m.d)
	{
		int			y = a->kind == &ParprocLinregKind ? 1 : 0;	/* not a column of x */

		MatrixColumnsDiffer(a->m.d - y, b->m.d - y);
	}
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

/*
 * linreg's transition: fold one row (y, x) into the co-moments of
 * (x..., y).  A row with a NULL (y, x or an element) is left out, as
 * core's regr_* aggregates leave out a row with a NULL.
 */
Datum
parproc_linreg_accum(PG_FUNCTION_ARGS)
{
	ParprocState *s = ParprocStateForUpdate(fcinfo, 0, &ParprocLinregKind);
	MatrixState *state;
	ArrayType  *array;
	int32		d;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(ParprocStateDatum(s));
	}
	array = PG_GETARG_ARRAYTYPE_P(2);
	d = MatrixColumns(array);
	if (s == NULL)
	{
		s = ParprocStateNew(fcinfo, &ParprocLinregKind);
		s->state = MatrixNewState(s->hdr.eoh_context, d + 1, &ParprocLinregKind);
	}
	state = (MatrixState *) s->state;
	if (d + 1 != state->m.d)
		MatrixColumnsDiffer(state->m.d - 1, d);
	if (!ARR_HASNULL(array))
	{
		memcpy(state->row, ARR_DATA_PTR(array), d * sizeof(double));
		state->row[d] = PG_GETARG_FLOAT8(1);
		pp_comoments_add(&state->m, state->row, state->scratch);
	}
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

Datum
parproc_linreg_union(PG_FUNCTION_ARGS)
{
	return ParprocStateUnion(fcinfo, &ParprocLinregKind, MatrixMergeStep);
}

/* A float8[] of the d values, NULL where the column was not used. */
static Datum
LinregArray(const double *v, const PpLinregFit *fit, bool need_df)
{
	Datum	   *elems = palloc(fit->d * sizeof(Datum));
	bool	   *nulls = palloc(fit->d * sizeof(bool));
	int			dims[1] = {fit->d};
	int			lbs[1] = {1};
	int32		j;

	for (j = 0; j < fit->d; j++)
	{
		elems[j] = Float8GetDatum(v[j]);
		nulls[j] = !fit->used[j] || (need_df && !fit->nonfinite && !(fit->df > 0));
	}
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, FLOAT8OID,
											  sizeof(float8), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}

/*
 * linreg's final: a parproc.linreg_result, NULL without rows.  A column
 * dropped as collinear has NULL elements; so have the standard errors,
 * t statistics and p-values without residual degrees of freedom, and R²
 * where y does not vary.
 */
Datum
parproc_linreg_final(PG_FUNCTION_ARGS)
{
	MatrixState *state;
	PpLinregFit fit;
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};
	int32		d;
	bool		nan;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	state = ParprocStateArg(fcinfo, 0, &ParprocLinregKind);
	d = state->m.d - 1;
	fit.used = palloc(d * sizeof(bool));
	fit.coef = palloc(d * sizeof(double));
	fit.std_err = palloc(d * sizeof(double));
	fit.t_stat = palloc(d * sizeof(double));
	fit.p_value = palloc(d * sizeof(double));
	if (!pp_linreg_fit(&state->m, PP_LINREG_TOL, &fit,
					   palloc(pp_linreg_work_doubles(d) * sizeof(double)),
					   palloc(d * sizeof(int32))))
		PG_RETURN_NULL();

	nan = fit.nonfinite;
	values[0] = LinregArray(fit.coef, &fit, false);
	values[1] = LinregArray(fit.std_err, &fit, true);
	values[2] = LinregArray(fit.t_stat, &fit, true);
	values[3] = LinregArray(fit.p_value, &fit, true);
	values[4] = Float8GetDatum(fit.r2);
	nulls[4] = !nan && !(fit.tss > 0);
	values[5] = Float8GetDatum(fit.adj_r2);
	nulls[5] = !nan && !(fit.tss > 0 && fit.df > 0);
	values[6] = Float8GetDatum(fit.rmse);
	values[7] = Int64GetDatum(fit.n);
	values[8] = Float8GetDatum(fit.condition_number);
	nulls[8] = !nan && fit.rank == 0;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/*
 * linreg_predict(coef, x): the sum of coef[i] * x[i].  A NULL coefficient
 * (a column linreg dropped) counts as 0, as the fitted model has it; a
 * NULL x where the coefficient is not NULL gives NULL.
 */
Datum
parproc_linreg_predict(PG_FUNCTION_ARGS)
{
	ArrayType  *coef = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *x = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *cv,
			   *xv;
	bool	   *cn,
			   *xn;
	int			nc,
				nx,
				i;
	double		sum = 0;

	if (ARR_NDIM(coef) > 1 || ARR_NDIM(x) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("linreg_predict takes one-dimensional arrays")));
	deconstruct_array(coef, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &cv, &cn, &nc);
	deconstruct_array(x, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &xv, &xn, &nx);
	if (nc != nx)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("linreg_predict: %d coefficients for %d values", nc, nx)));
	for (i = 0; i < nc; i++)
	{
		if (cn[i])
			continue;
		if (xn[i])
			PG_RETURN_NULL();
		sum += DatumGetFloat8(cv[i]) * DatumGetFloat8(xv[i]);
	}
	PG_RETURN_FLOAT8(sum);
}
