/*
 * table_percentile.c
 *		parproc.table_percentile_cont / table_percentile_disc(relation,
 *		column, fractions): exact percentiles of a table's column that move
 *		only the values near the rows asked for.
 *
 * The aggregates must bring every value of a group to one process; on a
 * Citus cluster that is every value of every shard to the coordinator.
 * These functions read the table twice instead, each time with an
 * aggregate query that Citus computes on the shards:
 *
 *   1. the number of non-NULL values and a quantile sketch of them, which
 *      bounds, for each row the percentiles need, a narrow range of values
 *      that holds it;
 *   2. per range, the number of values below it and the values inside it
 *      (and the number of values again, so that both come from one
 *      snapshot of each shard).
 *
 * The rows' ranks within the gathered values are then known, and the
 * percentiles are selected from them with the arithmetic of the aggregates
 * (kernels/percentile.c), so the answers are theirs, bit for bit.  A range
 * that misses its row (the sketch's rank error is small but, for merged
 * sketches, not a hard bound, and rows may change between the reads) is
 * widened and read again, at last to the whole column, so the answer is
 * exact whatever happens.  Both reads run under the caller's snapshot
 * (the function is STABLE).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "agg/agg.h"
#include "kernels/percentile.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_table_percentile_cont);
PG_FUNCTION_INFO_V1(parproc_table_percentile_disc);

/* Rank margin of the first ranges, as a fraction of the rows, and at least. */
#define FIRST_MARGIN 0.001
#define MIN_MARGIN 64

typedef struct TablePercentile
{
	char	   *relation;		/* quoted, qualified */
	char	   *value;			/* the column as double precision */
	bool		continuous;
	int64		rows_read;		/* values gathered in round 2, all tries */
	int			reads;
} TablePercentile;

/* One range of values for one fraction. */
typedef struct Range
{
	double		lo;
	double		hi;
	int			group;			/* index of the merged range holding it */
} Range;

/* Run a read-only query with float8 parameters; one row expected. */
static void
RunQuery(const char *query, int nparams, const double *params)
{
	Oid		   *types = palloc(Max(nparams, 1) * sizeof(Oid));
	Datum	   *values = palloc(Max(nparams, 1) * sizeof(Datum));
	int			i,
				rc;

	for (i = 0; i < nparams; i++)
	{
		types[i] = FLOAT8OID;
		values[i] = Float8GetDatum(params[i]);
	}
	rc = SPI_execute_with_args(query, nparams, types, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "unexpected result of \"%s\": %d", query, rc);
}

/* Column col of the single result row; NULL gives isnull. */
static Datum
ResultValue(int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, isnull);
}

/* Values of the sketch at fractions q[0..n), from SQL (parproc.quantile). */
static void
SketchQuantiles(Datum sketch, Oid sketch_type, const double *q, int n, double *out)
{
	Datum	   *elems = palloc(n * sizeof(Datum));
	Oid			types[2] = {sketch_type, FLOAT8ARRAYOID};
	Datum		args[2];
	ArrayType  *result;
	Datum	   *values;
	bool	   *nulls;
	bool		isnull;
	int			i,
				count;

	for (i = 0; i < n; i++)
		elems[i] = Float8GetDatum(q[i]);
	args[0] = sketch;
	args[1] = PointerGetDatum(construct_array(elems, n, FLOAT8OID, sizeof(float8),
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_execute_with_args("SELECT parproc.quantile($1, $2)", 2, types, args, NULL, true, 1)
		!= SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not evaluate the quantile sketch");
	result = DatumGetArrayTypeP(ResultValue(1, &isnull));
	deconstruct_array(result, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &values, &nulls, &count);
	if (count != n)
		elog(ERROR, "could not evaluate the quantile sketch");
	for (i = 0; i < n; i++)
		out[i] = DatumGetFloat8(values[i]);
}

/* qsort comparator of ranges by lower bound (float8 order: NaN last). */
static int
RangeCmp(const void *a, const void *b)
{
	return float8_cmp_internal(((const Range *const *) a)[0]->lo,
							   ((const Range *const *) b)[0]->lo);
}

/*
 * Merge overlapping ranges: each range's group is the index of the merged
 * range holding it; returns the merged ranges' number.
 */
static int
MergeRanges(Range *ranges, int n, Range *merged)
{
	Range	  **order = palloc(n * sizeof(Range *));
	int			i,
				m = 0;

	for (i = 0; i < n; i++)
		order[i] = &ranges[i];
	qsort(order, n, sizeof(Range *), RangeCmp);
	for (i = 0; i < n; i++)
	{
		if (m > 0 && float8_cmp_internal(order[i]->lo, merged[m - 1].hi) <= 0)
		{
			if (float8_cmp_internal(order[i]->hi, merged[m - 1].hi) > 0)
				merged[m - 1].hi = order[i]->hi;
		}
		else
		{
			merged[m].lo = order[i]->lo;
			merged[m].hi = order[i]->hi;
			m++;
		}
		order[i]->group = m - 1;
	}
	return m;
}

/*
 * Ranges for the fractions from the sketch: around the rows each needs,
 * margin rows on either side (the whole column when margin covers it).
 */
static void
SketchRanges(Datum sketch, Oid sketch_type, int64 n, const double *fractions, int nf,
			 bool continuous, double margin, Range *ranges)
{
	double	   *q = palloc(2 * nf * sizeof(double));
	double	   *v = palloc(2 * nf * sizeof(double));
	size_t		rows[2];
	int			i;

	for (i = 0; i < nf; i++)
	{
		size_t		nrows = pp_percentile_rows(n, &fractions[i], 1, continuous, rows);
		double		first = (double) rows[0],
					last = (double) rows[nrows - 1];

		/* the sketch places fraction q at rank q * (n - 1) */
		q[2 * i] = n > 1 ? Max(0.0, (first - margin) / (double) (n - 1)) : 0.0;
		q[2 * i + 1] = n > 1 ? Min(1.0, (last + margin) / (double) (n - 1)) : 1.0;
	}
	SketchQuantiles(sketch, sketch_type, q, 2 * nf, v);
	for (i = 0; i < nf; i++)
	{
		ranges[i].lo = v[2 * i];
		ranges[i].hi = v[2 * i + 1];
	}
}

/* The error parproc.percentile_max_memory raises. */
static void
TooManyValues(int64 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("exact percentile needs more values than parproc.percentile_max_memory holds"),
			 errdetail("A range of " INT64_FORMAT " values was to be read; at 8 bytes per value, the limit of %d kB holds " INT64_FORMAT ".",
					   n, parproc_percentile_max_memory,
					   (int64) parproc_percentile_max_memory * 1024 / (int64) sizeof(double))));
}

/*
 * Round 2 for the merged ranges: per range, the values below it and in
 * it; true and the percentiles in out when every fraction's rows fell in
 * its range's window, false when one did not (bad[i] set for those).
 */
static bool
ReadRanges(TablePercentile *tp, const Range *merged, int m, const Range *ranges,
		   const double *fractions, int nf, double *out, bool *bad)
{
	StringInfoData query;
	double	   *params = palloc(2 * m * sizeof(double));
	int64		total;
	bool		isnull;
	bool		all = true;
	int			g,
				i;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT count(%s)", tp->value);
	for (g = 0; g < m; g++)
	{
		appendStringInfo(&query, ", count(*) FILTER (WHERE %s < $%d), array_agg(%s) FILTER (WHERE %s >= $%d AND %s <= $%d)",
						 tp->value, 2 * g + 1, tp->value, tp->value, 2 * g + 1,
						 tp->value, 2 * g + 2);
		params[2 * g] = merged[g].lo;
		params[2 * g + 1] = merged[g].hi;
	}
	appendStringInfo(&query, " FROM %s", tp->relation);
	RunQuery(query.data, 2 * m, params);
	tp->reads++;
	total = DatumGetInt64(ResultValue(1, &isnull));

	for (g = 0; g < m; g++)
	{
		int64		below = DatumGetInt64(ResultValue(2 * g + 2, &isnull));
		Datum		d = ResultValue(2 * g + 3, &isnull);
		double	   *window = NULL;
		int			count = 0;
		double	   *want = palloc(nf * sizeof(double));
		int		   *which = palloc(nf * sizeof(int));
		double	   *got = palloc(nf * sizeof(double));
		size_t	   *rows = palloc(2 * nf * sizeof(size_t));
		int			nwant = 0;

		if (!isnull)
		{
			ArrayType  *a = DatumGetArrayTypeP(d);

			count = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			if ((int64) count > (int64) parproc_percentile_max_memory * 1024 / (int64) sizeof(double))
				TooManyValues(count);
			if (ARR_HASNULL(a))
				elog(ERROR, "unexpected NULL among the values read");
			window = palloc(Max(count, 1) * sizeof(double));
			memcpy(window, ARR_DATA_PTR(a), count * sizeof(double));
		}
		tp->rows_read += count;

		for (i = 0; i < nf; i++)
			if (ranges[i].group == g)
			{
				which[nwant] = i;
				want[nwant++] = fractions[i];
			}
		if (nwant == 0)
			continue;
		if (count > 0 &&
			pp_percentiles_window(window, count, below, total, want, nwant,
								  tp->continuous, got, rows))
		{
			for (i = 0; i < nwant; i++)
				out[which[i]] = got[i];
		}
		else
		{
			for (i = 0; i < nwant; i++)
				bad[which[i]] = true;
			all = false;
		}
	}
	return all;
}

/* The percentiles at nf fractions, for ParprocFractionsResult. */
static void
TablePercentiles(void *arg, const double *fractions, int nf, double *out)
{
	TablePercentile *tp = (TablePercentile *) arg;
	StringInfoData query;
	Range	   *ranges = palloc(Max(nf, 1) * sizeof(Range));
	Range	   *merged = palloc(Max(nf, 1) * sizeof(Range));
	bool	   *bad = palloc0(Max(nf, 1) * sizeof(bool));
	double	   *margin = palloc(Max(nf, 1) * sizeof(double));
	Datum		sketch;
	Oid			sketch_type;
	int64		n;
	bool		isnull;
	int			i;

	if (nf == 0)
		return;

	/* round 1: how many values, and where they lie */
	initStringInfo(&query);
	appendStringInfo(&query, "SELECT count(%s), parproc.qsketch_agg(%s) FROM %s",
					 tp->value, tp->value, tp->relation);
	RunQuery(query.data, 0, NULL);
	tp->reads++;
	n = DatumGetInt64(ResultValue(1, &isnull));
	sketch = ResultValue(2, &isnull);
	sketch_type = SPI_gettypeid(SPI_tuptable->tupdesc, 2);
	if (n == 0 || isnull)
	{
		for (i = 0; i < nf; i++)
			out[i] = get_float8_nan();	/* replaced by NULL below */
		tp->rows_read = -1;
		return;
	}

	/* round 2, widening the ranges that missed */
	for (i = 0; i < nf; i++)
		margin[i] = Max((double) MIN_MARGIN, FIRST_MARGIN * (double) n);
	SketchRanges(sketch, sketch_type, n, fractions, nf, tp->continuous, margin[0], ranges);
	for (;;)
	{
		int			m = MergeRanges(ranges, nf, merged);

		memset(bad, 0, (Size) Max(nf, 1) * sizeof(bool));
		if (ReadRanges(tp, merged, m, ranges, fractions, nf, out, bad))
			break;
		for (i = 0; i < nf; i++)
		{
			Range		r;

			if (!bad[i])
				continue;
			margin[i] *= 16;
			SketchRanges(sketch, sketch_type, n, &fractions[i], 1, tp->continuous,
						 margin[i] >= (double) n ? (double) n : margin[i], &r);
			if (margin[i] >= (double) n)
			{
				/* the whole column: NULLs aside, every value is in it */
				r.lo = -get_float8_infinity();
				r.hi = get_float8_nan();
			}
			ranges[i].lo = r.lo;
			ranges[i].hi = r.hi;
		}
	}
}

/* Shared body of the two functions. */
static Datum
TablePercentileCall(FunctionCallInfo fcinfo, bool continuous)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	ArrayType  *fractions = PG_GETARG_ARRAYTYPE_P(2);
	TablePercentile tp = {0};
	char	   *relname = get_rel_name(relid);
	Datum		result;

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	ParprocCheckFractionArray(fractions);
	tp.relation = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											 relname);
	tp.value = psprintf("(%s)::float8", quote_identifier(column));
	tp.continuous = continuous;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	result = ParprocFractionsResult(fractions, TablePercentiles, &tp);
	if (tp.rows_read < 0)
	{
		/* no values: NULL, as the aggregates give */
		SPI_finish();
		PG_RETURN_NULL();
	}
	ereport(DEBUG1,
			(errmsg_internal("parproc.table_percentile: %d reads of %s, " INT64_FORMAT " values gathered",
							 tp.reads, tp.relation, tp.rows_read)));
	result = SPI_datumTransfer(result, false, -1);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* table_percentile_cont(relation, column, fractions[]) */
Datum
parproc_table_percentile_cont(PG_FUNCTION_ARGS)
{
	return TablePercentileCall(fcinfo, true);
}

/* table_percentile_disc(relation, column, fractions[]) */
Datum
parproc_table_percentile_disc(PG_FUNCTION_ARGS)
{
	return TablePercentileCall(fcinfo, false);
}
