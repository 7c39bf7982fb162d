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

/*
 * The 0-based rows of n sorted values that the percentiles at nf valid
 * fractions need, sorted and without repeats, into rows (room for 2 * nf);
 * returns their number.
 */
extern size_t pp_percentile_rows(size_t n, const double *fractions, size_t nf,
								 bool continuous, size_t *rows);

/*
 * pp_percentiles over n values of which v[0..m) are the values of rows
 * offset .. offset + m - 1 in sorted order (v itself in any order, and
 * permuted): when every row needed lies in that window, the percentiles
 * go to out and the result is true; otherwise false.  rows: room for
 * 2 * nf indices.
 */
extern bool pp_percentiles_window(double *v, size_t m, size_t offset, size_t n,
								  const double *fractions, size_t nf,
								  bool continuous, double *out, size_t *rows);

#endif							/* PARPROC_KERNELS_PERCENTILE_H */
