/*
 * percentile.c
 *		Row selection and interpolation for exact percentiles.
 *
 * The arithmetic mirrors core's orderedsetaggs.c step for step (row
 * numbers from floor/ceil of fraction * (n - 1), interpolation as
 * lo + p * (hi - lo), discrete rows from ceil(fraction * n)), so results
 * agree bit for bit, Infinity and NaN included.  Only the rows asked for
 * are put in place, by selection rather than a full sort.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "percentile.h"
#include "sort.h"

/* First and second 0-based rows of a continuous percentile. */
static void
cont_rows(size_t n, double fraction, size_t *first, size_t *second)
{
	double		pos = fraction * (double) (n - 1);

	*first = (size_t) floor(pos);
	*second = (size_t) ceil(pos);
}

/* The 0-based row of a discrete percentile. */
static size_t
disc_row(size_t n, double fraction)
{
	int64_t		row = (int64_t) ceil(fraction * (double) n);

	return row < 1 ? 0 : (size_t) row - 1;
}

/* qsort comparator for row numbers. */
static int
cmp_size(const void *a, const void *b)
{
	size_t		x = *(const size_t *) a;
	size_t		y = *(const size_t *) b;

	return x < y ? -1 : x > y;
}

/* The rows the percentiles need, sorted and without repeats. */
size_t
pp_percentile_rows(size_t n, const double *fractions, size_t nf, bool continuous,
				   size_t *rows)
{
	size_t		nrows = 0,
				i,
				u;

	for (i = 0; i < nf; i++)
	{
		if (continuous)
		{
			cont_rows(n, fractions[i], &rows[nrows], &rows[nrows + 1]);
			nrows += 2;
		}
		else
			rows[nrows++] = disc_row(n, fractions[i]);
	}
	qsort(rows, nrows, sizeof(size_t), cmp_size);
	for (i = 0, u = 0; i < nrows; i++)
		if (u == 0 || rows[i] != rows[u - 1])
			rows[u++] = rows[i];
	return u;
}

/* Percentiles from a window of the sorted values. */
bool
pp_percentiles_window(double *v, size_t m, size_t offset, size_t n,
					  const double *fractions, size_t nf, bool continuous,
					  double *out, size_t *rows)
{
	size_t		nrows = pp_percentile_rows(n, fractions, nf, continuous, rows),
				i;

	for (i = 0; i < nrows; i++)
	{
		if (rows[i] < offset || rows[i] - offset >= m)
			return false;
		rows[i] -= offset;
	}
	pp_select_f64(v, m, rows, nrows);

	for (i = 0; i < nf; i++)
	{
		if (continuous)
		{
			size_t		first,
						second;
			double		lo,
						hi;

			cont_rows(n, fractions[i], &first, &second);
			lo = v[first - offset];
			if (first == second)
				out[i] = lo;
			else
			{
				hi = v[second - offset];
				out[i] = lo + ((fractions[i] * (double) (n - 1) - (double) first) * (hi - lo));
			}
		}
		else
			out[i] = v[disc_row(n, fractions[i]) - offset];
	}
	return true;
}

/* Exact percentiles for several fractions at once. */
void
pp_percentiles(double *v, size_t n, const double *fractions, size_t nf,
			   bool continuous, double *out, size_t *ranks)
{
	(void) pp_percentiles_window(v, n, 0, n, fractions, nf, continuous, out, ranks);
}
