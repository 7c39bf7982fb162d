/*
 * percentile.h
 *		Exact percentiles of a sorted array, computed exactly as core
 *		PostgreSQL's percentile_cont / percentile_disc do.
 */
#ifndef PARPROC_KERNELS_PERCENTILE_H
#define PARPROC_KERNELS_PERCENTILE_H

#include <stdint.h>

/* Whether f is a valid fraction: 0 <= f <= 1 and not NaN. */
static inline int
pp_fraction_valid(double f)
{
	return f >= 0.0 && f <= 1.0;
}

/* Continuous percentile of sorted v[0..n), n >= 1, valid fraction. */
extern double pp_percentile_cont(const double *v, int64_t n, double fraction);

/* Discrete percentile of sorted v[0..n), n >= 1, valid fraction. */
extern double pp_percentile_disc(const double *v, int64_t n, double fraction);

#endif							/* PARPROC_KERNELS_PERCENTILE_H */
