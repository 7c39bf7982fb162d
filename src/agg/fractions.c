/*
 * fractions.c
 *		The fraction argument of the percentile aggregates (exact
 *		percentile_cont/percentile_disc and approx_percentile), one value
 *		or an array, and the array-shaped results computed from it.
 *
 * These are ordinary aggregates, so that they can run in parallel, and the
 * fraction is an aggregated argument: it is checked on the first row and,
 * unless it is a constant, compared on every other row, and it travels
 * with the partial states to be compared again when they are combined.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/primnodes.h"
#include "utils/array.h"

#include "agg/agg.h"
#include "kernels/bytes.h"
#include "kernels/percentile.h"
#include "parproc.h"

/* Most fractions in one array. */
#define MAX_FRACTIONS 1000000

/* Raise the error for a fraction outside [0, 1], in core's words. */
void
ParprocCheckFraction(double fraction)
{
	if (!(fraction >= 0 && fraction <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("percentile value %g is not between 0 and 1",
						fraction)));
}

/* Error for a fraction that differs between rows or partial states. */
static void
FractionChanged(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("percentile fraction must be the same for all rows of a group"),
			 errhint("Pass the fraction as a constant or a query parameter.")));
}

/*
 * Whether argument argno of the current aggregate call is a constant, so
 * that rows need not be checked one by one.
 */
static bool
ArgIsConst(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *tle;

	if (aggref == NULL || list_length(aggref->args) < argno)
		return false;
	tle = (TargetEntry *) list_nth(aggref->args, argno - 1);
	return IsA(tle->expr, Const);
}

/* Check every non-NULL element of a fraction array. */
void
ParprocCheckFractionArray(ArrayType *fractions)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems,
				i;

	if (ArrayGetNItems(ARR_NDIM(fractions), ARR_DIMS(fractions)) > MAX_FRACTIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot compute more than %d percentiles at once",
						MAX_FRACTIONS)));
	deconstruct_array(fractions, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			ParprocCheckFraction(DatumGetFloat8(elems[i]));
	pfree(elems);
	pfree(nulls);
}

/*
 * Take the fraction argument argno (argument 0 being the state) of a
 * transition call: validate and keep it on the first row (f zeroed), check
 * it is unchanged on later ones.
 */
void
ParprocFractionsAccept(FunctionCallInfo fcinfo, int argno, bool multi,
					   MemoryContext context, ParprocFractions *f)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile fraction cannot be null")));
	if (!f->set)
	{
		f->set = true;
		f->multi = multi;
		f->check_rows = !ArgIsConst(fcinfo, argno);
		if (multi)
		{
			ArrayType  *fractions = PG_GETARG_ARRAYTYPE_P(argno);

			ParprocCheckFractionArray(fractions);
			f->fractions = MemoryContextAlloc(context, VARSIZE(fractions));
			memcpy(f->fractions, fractions, VARSIZE(fractions));
		}
		else
		{
			f->fraction = PG_GETARG_FLOAT8(argno);
			ParprocCheckFraction(f->fraction);
		}
	}
	else if (f->check_rows)
	{
		if (multi)
		{
			ArrayType  *fractions = PG_GETARG_ARRAYTYPE_P(argno);

			if (VARSIZE(fractions) != VARSIZE(f->fractions) ||
				memcmp(fractions, f->fractions, VARSIZE(fractions)) != 0)
				FractionChanged();
		}
		else if (PG_GETARG_FLOAT8(argno) != f->fraction)
			FractionChanged();
	}
}

/* Make dst (unset) a copy of src in context, or check that they agree. */
void
ParprocFractionsCombine(MemoryContext context, ParprocFractions *dst,
						const ParprocFractions *src)
{
	if (!src->set)
		return;
	if (!dst->set)
	{
		*dst = *src;
		if (src->multi)
		{
			dst->fractions = MemoryContextAlloc(context, VARSIZE(src->fractions));
			memcpy(dst->fractions, src->fractions, VARSIZE(src->fractions));
		}
		return;
	}
	if (dst->multi != src->multi ||
		(!dst->multi && dst->fraction != src->fraction) ||
		(dst->multi && (VARSIZE(dst->fractions) != VARSIZE(src->fractions) ||
						memcmp(dst->fractions, src->fractions,
							   VARSIZE(dst->fractions)) != 0)))
		FractionChanged();
}

/*
 * Append the fraction(s) to an encoded partial state, portably (the text
 * form of a state moves between Citus nodes): a byte 0 (no fraction yet), 1
 * and the fraction, or 2 and the array's dimensions, lower bounds and
 * elements (a byte 1 for NULL, else 0 and the value), numbers little-endian.
 */
void
ParprocFractionsSerialize(StringInfo buf, const ParprocFractions *f)
{
	uint8		word[8];

	appendStringInfoChar(buf, (char) (!f->set ? 0 : f->multi ? 2 : 1));
	if (f->set && f->multi)
	{
		ArrayType  *a = f->fractions;
		int			ndim = ARR_NDIM(a);
		int			nitems = ArrayGetNItems(ndim, ARR_DIMS(a));
		bits8	   *nulls = ARR_NULLBITMAP(a);
		const char *p = ARR_DATA_PTR(a);
		int			i;

		pp_put_le32(word, (uint32) ndim);
		appendBinaryStringInfo(buf, (const char *) word, 4);
		for (i = 0; i < ndim; i++)
		{
			pp_put_le32(word, (uint32) ARR_DIMS(a)[i]);
			appendBinaryStringInfo(buf, (const char *) word, 4);
			pp_put_le32(word, (uint32) ARR_LBOUND(a)[i]);
			appendBinaryStringInfo(buf, (const char *) word, 4);
		}
		for (i = 0; i < nitems; i++)
		{
			bool		isnull = nulls != NULL && !(nulls[i / 8] & (1 << (i % 8)));
			double		x;
			uint64		bits;

			appendStringInfoChar(buf, (char) isnull);
			if (isnull)
				continue;
			memcpy(&x, p, sizeof(double));
			p += sizeof(double);
			memcpy(&bits, &x, sizeof(double));
			pp_put_le64(word, bits);
			appendBinaryStringInfo(buf, (const char *) word, 8);
		}
	}
	else if (f->set)
	{
		uint64		bits;

		memcpy(&bits, &f->fraction, sizeof(double));
		pp_put_le64(word, bits);
		appendBinaryStringInfo(buf, (const char *) word, 8);
	}
}

/* Error for an encoded partial state that does not decode. */
static void
InvalidState(int sqlstate)
{
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid parproc percentile state")));
}

/* The next n bytes at buf's cursor, or the error. */
static const uint8 *
TakeBytes(StringInfo buf, int n, int sqlstate)
{
	const uint8 *p = (const uint8 *) buf->data + buf->cursor;

	if (buf->len - buf->cursor < n)
		InvalidState(sqlstate);
	buf->cursor += n;
	return p;
}

/* A fraction read from an encoded state: between 0 and 1, or the error. */
static double
TakeFraction(StringInfo buf, int sqlstate)
{
	uint64		bits = pp_get_le64(TakeBytes(buf, 8, sqlstate));
	double		x;

	memcpy(&x, &bits, sizeof(double));
	if (!pp_fraction_valid(x))
		InvalidState(sqlstate);
	return x;
}

/*
 * Read what ParprocFractionsSerialize wrote, at buf's cursor, into f
 * (zeroed), the array allocated in context.  Encoded states may come from
 * outside (text input), so everything is checked; what does not decode
 * raises SQLSTATE sqlstate.
 */
void
ParprocFractionsDeserialize(StringInfo buf, ParprocFractions *f,
							MemoryContext context, int sqlstate)
{
	int			kind = *TakeBytes(buf, 1, sqlstate);

	if (kind == 1)
		f->fraction = TakeFraction(buf, sqlstate);
	else if (kind == 2)
	{
		int			ndim = (int) pp_get_le32(TakeBytes(buf, 4, sqlstate));
		int			dims[MAXDIM],
					lbs[MAXDIM];
		int64		nitems = 1;
		Datum	   *elems;
		bool	   *nulls;
		int			i;
		MemoryContext old;

		if (ndim < 0 || ndim > MAXDIM)
			InvalidState(sqlstate);
		for (i = 0; i < ndim; i++)
		{
			dims[i] = (int) pp_get_le32(TakeBytes(buf, 4, sqlstate));
			lbs[i] = (int) pp_get_le32(TakeBytes(buf, 4, sqlstate));
			if (dims[i] < 0 || (int64) lbs[i] + dims[i] - 1 > PG_INT32_MAX)
				InvalidState(sqlstate);
			nitems *= dims[i];
			if (nitems > MAX_FRACTIONS)
				InvalidState(sqlstate);
		}
		if (ndim == 0)
			nitems = 0;
		elems = palloc(Max(nitems, 1) * sizeof(Datum));
		nulls = palloc(Max(nitems, 1) * sizeof(bool));
		for (i = 0; i < nitems; i++)
		{
			int			flag = *TakeBytes(buf, 1, sqlstate);

			if (flag > 1)
				InvalidState(sqlstate);
			nulls[i] = flag == 1;
			elems[i] = nulls[i] ? (Datum) 0 : Float8GetDatum(TakeFraction(buf, sqlstate));
		}
		old = MemoryContextSwitchTo(context);
		f->fractions = ndim == 0 ? construct_empty_array(FLOAT8OID)
			: construct_md_array(elems, nulls, ndim, dims, lbs, FLOAT8OID,
								 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
		MemoryContextSwitchTo(old);
		pfree(elems);
		pfree(nulls);
	}
	else if (kind != 0)
		InvalidState(sqlstate);
	f->set = kind != 0;
	f->multi = kind == 2;
}

/*
 * An array of the shape of fractions, with compute's result for each
 * non-NULL element and NULL for each NULL one.  compute gets the non-NULL
 * fractions in array order.
 */
Datum
ParprocFractionsResult(ArrayType *fractions, ParprocFractionsFn compute, void *arg)
{
	Datum	   *elems;
	bool	   *nulls;
	double	   *wanted,
			   *results;
	int			nelems,
				nwanted = 0,
				i;

	deconstruct_array(fractions, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	if (nelems == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));

	wanted = palloc(nelems * sizeof(double));
	results = palloc(nelems * sizeof(double));
	for (i = 0; i < nelems; i++)
		if (!nulls[i])
			wanted[nwanted++] = DatumGetFloat8(elems[i]);
	compute(arg, wanted, nwanted, results);
	for (i = 0, nwanted = 0; i < nelems; i++)
		if (!nulls[i])
			elems[i] = Float8GetDatum(results[nwanted++]);

	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls,
											 ARR_NDIM(fractions),
											 ARR_DIMS(fractions),
											 ARR_LBOUND(fractions),
											 FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
