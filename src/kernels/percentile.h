/*
 * percentile.h
 *		Exact percentiles of an array of doubles, computed exactly as core
 *		PostgreSQL's percentile_cont / percentile_disc do.
 */
#ifndef PARPROC_KERNELS_PERCENTILE_H
#define PARPROC_KERNELS_PERCENTILE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether f is a valid fraction: 0 <= f <= 1 and not NaN. */
static inline bool
pp_fraction_valid(double f)
{
	return f >= 0.0 && f <= 1.0;
}

/*
 * Percentiles of v[0..n), n >= 1, for nf valid fractions: out[i] is the
 * continuous (or discrete) percentile for fractions[i].  v is permuted in
 * place (selection, see sort.h); ranks is caller-provided room for 2 * nf
 * indices.
 */
extern void pp_percentiles(double *v, size_t n, const double *fractions,
						   size_t nf, bool continuous, double *out,
						   size_t *ranks);

#endif							/* PARPROC_KERNELS_PERCENTILE_H */
