/*
 * vec.c
 *		Element-wise kernels for parproc.vec_sum / vec_avg / vec_min /
 *		vec_max.
 *
 * Each loop is branch-free over restrict arrays, and the Makefile compiles
 * this file with -fvect-cost-model=dynamic so that gcc vectorises them
 * (its -O2 default only vectorises loops of known length; checked with
 * -fopt-info-vec).  Sums do not test for overflow per element, which would
 * stop vectorisation: a second array records which positions saw a
 * non-finite input, and the overflow test runs once, at the end.
 */
#include <math.h>

#include "vec.h"

/* acc[i] += x[i], marking positions that saw a non-finite input. */
void
pp_vec_add(double *restrict acc, double *restrict nonfinite,
		   const double *restrict x, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		acc[i] += x[i];
		nonfinite[i] += x[i] - x[i];
	}
}

/* acc[i] += x[i]. */
void
pp_vec_add_plain(double *restrict acc, const double *restrict x, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		acc[i] += x[i];
}

/* Whether some position's sum of finite inputs overflowed. */
bool
pp_vec_overflowed(const double *acc, const double *nonfinite, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		if (!isfinite(acc[i]) && nonfinite[i] == 0.0)
			return true;
	return false;
}

/* acc[i] = min(acc[i], x[i]); NaN only when both are NaN. */
void
pp_vec_min(double *restrict acc, const double *restrict x, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		acc[i] = pp_min2(acc[i], x[i]);
}

/* acc[i] = max(acc[i], x[i]); NaN when either is NaN. */
void
pp_vec_max(double *restrict acc, const double *restrict x, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		acc[i] = pp_max2(acc[i], x[i]);
}

/* counts[i] += by. */
void
pp_vec_count(int64_t *restrict counts, int64_t by, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		counts[i] += by;
}

/* counts[i] += other[i]. */
void
pp_vec_count_add(int64_t *restrict counts, const int64_t *restrict other, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		counts[i] += other[i];
}
