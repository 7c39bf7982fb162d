/*
 * percentile.c
 *		Row selection and interpolation for exact percentiles.
 *
 * The arithmetic mirrors core's orderedsetaggs.c step for step (row
 * numbers from floor/ceil of fraction * (n - 1), interpolation as
 * lo + p * (hi - lo)), so results agree bit for bit, Infinity and NaN
 * included.
 */
#include <math.h>

#include "percentile.h"

/* Continuous percentile: interpolate between the two nearest rows. */
double
pp_percentile_cont(const double *v, int64_t n, double fraction)
{
	double		pos = fraction * (double) (n - 1);
	int64_t		first_row = (int64_t) floor(pos);
	int64_t		second_row = (int64_t) ceil(pos);
	double		lo,
				hi;

	lo = v[first_row];
	if (first_row == second_row)
		return lo;
	hi = v[second_row];
	return lo + ((pos - (double) first_row) * (hi - lo));
}

/* Discrete percentile: the first row whose cumulative share >= fraction. */
double
pp_percentile_disc(const double *v, int64_t n, double fraction)
{
	int64_t		row = (int64_t) ceil(fraction * (double) n);

	if (row < 1)
		row = 1;
	return v[row - 1];
}
