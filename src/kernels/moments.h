/*
 * moments.h
 *		One-pass, mergeable descriptive statistics over doubles.
 *
 * The sum is accumulated naively, exactly as core's sum(float8) and
 * avg(float8) do, so that mean = sum / n matches core bit for bit in a
 * serial plan.  The central moments M2..M4 use Welford's running mean with
 * Pebay's higher-order updates, and Chan/Pebay pairwise formulas to merge
 * partial states: stable on data such as 1e9 + random() where the naive
 * sum-of-squares formula loses every significant digit.  Values are
 * shifted by the first finite value seen before they enter the running
 * mean, so that for data far from zero the deviations are computed exactly
 * (Sterbenz) instead of against a mean that itself carries rounding error.
 *
 * Non-finite inputs (NaN, +/-Infinity) do not enter the central moments;
 * they are counted, and the results follow core's rules: variance and
 * higher moments are NaN once any non-finite value was seen, min/max order
 * NaN above everything.
 */
#ifndef PARPROC_KERNELS_MOMENTS_H
#define PARPROC_KERNELS_MOMENTS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "status.h"

typedef struct PpMoments
{
	int64_t		n;				/* values seen (NULLs excluded) */
	int64_t		nfinite;		/* of which finite: they form mean..m4 */
	int64_t		nnan;			/* of which NaN */
	bool		overflow;		/* finite inputs overflowed a result */
	double		sum;			/* naive sum of all values, as core */
	double		shift;			/* first finite value; moments are of x -
								 * shift */
	double		mean;			/* Welford mean of x - shift */
	double		m2;				/* sum of squared deviations */
	double		m3;				/* sum of cubed deviations */
	double		m4;				/* sum of fourth-power deviations */
	double		min;			/* smallest non-NaN value */
	double		max;			/* largest non-NaN value */
} PpMoments;

/* The statistics derived from a state; *_null flags mark undefined ones. */
typedef struct PpStatsResult
{
	int64_t		n;
	double		sum;
	double		mean;
	double		var_samp;
	double		var_pop;
	double		stddev_samp;
	double		stddev_pop;
	double		skewness;
	double		kurtosis;
	double		min;
	double		max;
	bool		var_samp_null;
	bool		skewness_null;
	bool		kurtosis_null;
} PpStatsResult;

extern void pp_moments_init(PpMoments *m);
extern void pp_moments_add_nonfinite(PpMoments *m, double x);
extern void pp_moments_combine(PpMoments *a, const PpMoments *b);
extern PpStatus pp_moments_result(const PpMoments *m, PpStatsResult *out);

/*
 * Add one value.  Inline: this is the per-row hot path of parproc.stats.
 */
static inline void
pp_moments_add(PpMoments *m, double x)
{
	double		n1,
				n,
				delta,
				delta_n,
				delta_n2,
				term1,
				newsum;

	if (!isfinite(x))
	{
		pp_moments_add_nonfinite(m, x);
		return;
	}

	/* core's float8_accum: finite inputs overflowing the sum is an error */
	newsum = m->sum + x;
	if (isinf(newsum) && !isinf(m->sum))
		m->overflow = true;
	m->sum = newsum;
	m->n++;

	if (m->nfinite == 0)
		m->shift = x;
	n1 = (double) m->nfinite;
	m->nfinite++;
	n = (double) m->nfinite;
	delta = (x - m->shift) - m->mean;
	delta_n = delta / n;
	delta_n2 = delta_n * delta_n;
	term1 = delta * delta_n * n1;
	m->mean += delta_n;
	m->m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0)
		+ 6.0 * delta_n2 * m->m2 - 4.0 * delta_n * m->m3;
	m->m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * m->m2;
	m->m2 += term1;

	if (x < m->min)
		m->min = x;
	if (x > m->max)
		m->max = x;
}

#endif							/* PARPROC_KERNELS_MOMENTS_H */
