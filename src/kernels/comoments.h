/*
 * comoments.h
 *		One-pass, mergeable co-moments of d columns: the means and the
 *		matrix of sums of cross-products of deviations, from which
 *		covariance and correlation matrices follow.
 *
 * Rows enter with Welford's update (the deviation from the running mean
 * before and after the row) and partial states merge with Chan's formula,
 * so that data such as 1e9 + random() keeps its digits, where sums of raw
 * products lose them all; as in moments.c, each column is first shifted by
 * its first value, so that deviations far from zero are computed exactly
 * (Sterbenz) rather than against a mean carrying rounding error.  Only the
 * upper triangle is kept (d(d+1)/2 cells).
 *
 * Non-finite values (NaN, +/-Infinity), as in core's corr and covar_samp,
 * make every result that involves their column NaN; the row still counts
 * for the other columns (its non-finite elements enter as the column's
 * current mean, which moves nothing), so that results over finite columns
 * are those of the rows as they are.
 */
#ifndef PARPROC_KERNELS_COMOMENTS_H
#define PARPROC_KERNELS_COMOMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct PpComoments
{
	int32_t		d;				/* columns */
	int64_t		n;				/* rows */
	double	   *shift;			/* d first values (0 if not finite) */
	double	   *mean;			/* d running means of x - shift */
	double	   *c;				/* upper triangle, row by row: d(d+1)/2 */
	int64_t    *nonfinite;		/* d counts of non-finite values */
} PpComoments;

/* Cells of the upper triangle of a d x d matrix. */
static inline size_t
pp_comoments_cells(int32_t d)
{
	return (size_t) d * ((size_t) d + 1) / 2;
}

/* Index of cell (i, j), i <= j, in the upper triangle. */
static inline size_t
pp_comoments_index(int32_t d, int32_t i, int32_t j)
{
	return (size_t) i * (size_t) d - (size_t) i * ((size_t) i - 1) / 2 + (size_t) (j - i);
}

/*
 * Start an empty state over caller-provided zeroed arrays: shift, mean and
 * nonfinite of d elements, c of pp_comoments_cells(d).
 */
extern void pp_comoments_init(PpComoments *s, int32_t d, double *shift, double *mean,
							  double *c, int64_t *nonfinite);

/* Add one row of d values; scratch: 2d doubles. */
extern void pp_comoments_add(PpComoments *s, const double *x, double *scratch);

/* Merge b into a (the same d); scratch: d doubles. */
extern void pp_comoments_merge(PpComoments *a, const PpComoments *b, double *scratch);

/*
 * The d x d sample covariance matrix (row-major) into out; false when
 * there are fewer than two rows (core's covar_samp gives NULL).
 */
extern bool pp_comoments_covariance(const PpComoments *s, double *out);

/*
 * The d x d correlation matrix (row-major) into out, with null[i * d + j]
 * set where the correlation is undefined (a column without variance, as
 * core's corr gives NULL); false when there are no rows.
 */
extern bool pp_comoments_correlation(const PpComoments *s, double *out, bool *null);

#endif							/* PARPROC_KERNELS_COMOMENTS_H */
