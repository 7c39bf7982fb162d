/*
 * moments.c
 *		Merging and finishing one-pass descriptive statistics.
 *
 * See moments.h for the accumulation scheme.  The skewness and excess
 * kurtosis are the adjusted Fisher-Pearson estimators G1 and G2 (the ones
 * Excel's SKEW/KURT, SAS and SPSS report):
 *
 *	g1 = (M3/n) / (M2/n)^1.5			G1 = g1 * sqrt(n(n-1)) / (n-2)
 *	g2 = (M4/n) / (M2/n)^2 - 3			G2 = ((n+1) g2 + 6) (n-1) / ((n-2)(n-3))
 */
#include "moments.h"

/* Start an empty state. */
void
pp_moments_init(PpMoments *m)
{
	m->n = 0;
	m->nfinite = 0;
	m->nnan = 0;
	m->overflow = false;
	m->sum = 0.0;
	m->shift = 0.0;
	m->mean = 0.0;
	m->m2 = 0.0;
	m->m3 = 0.0;
	m->m4 = 0.0;
	m->min = INFINITY;
	m->max = -INFINITY;
}

/* Add a NaN or +/-Infinity: it reaches the sum and min/max only. */
void
pp_moments_add_nonfinite(PpMoments *m, double x)
{
	m->n++;
	m->sum += x;
	if (isnan(x))
	{
		m->nnan++;
		return;
	}
	if (x < m->min)
		m->min = x;
	if (x > m->max)
		m->max = x;
}

/* Merge state b into state a (Chan et al. / Pebay pairwise update). */
void
pp_moments_combine(PpMoments *a, const PpMoments *b)
{
	double		na,
				nb,
				n,
				delta,
				delta2,
				delta3,
				delta4,
				newsum;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}

	newsum = a->sum + b->sum;
	if (isinf(newsum) && !isinf(a->sum) && !isinf(b->sum))
		a->overflow = true;
	a->overflow = a->overflow || b->overflow;
	a->sum = newsum;
	a->n += b->n;
	a->nnan += b->nnan;
	if (b->min < a->min)
		a->min = b->min;
	if (b->max > a->max)
		a->max = b->max;

	if (b->nfinite == 0)
		return;
	if (a->nfinite == 0)
	{
		a->nfinite = b->nfinite;
		a->shift = b->shift;
		a->mean = b->mean;
		a->m2 = b->m2;
		a->m3 = b->m3;
		a->m4 = b->m4;
		return;
	}

	na = (double) a->nfinite;
	nb = (double) b->nfinite;
	n = na + nb;
	/* difference of the means, keeping a's shift */
	delta = (b->shift - a->shift) + (b->mean - a->mean);
	delta2 = delta * delta;
	delta3 = delta2 * delta;
	delta4 = delta2 * delta2;

	a->m4 = a->m4 + b->m4
		+ delta4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
		+ 6.0 * delta2 * (na * na * b->m2 + nb * nb * a->m2) / (n * n)
		+ 4.0 * delta * (na * b->m3 - nb * a->m3) / n;
	a->m3 = a->m3 + b->m3
		+ delta3 * na * nb * (na - nb) / (n * n)
		+ 3.0 * delta * (na * b->m2 - nb * a->m2) / n;
	a->m2 = a->m2 + b->m2 + delta2 * na * nb / n;
	a->mean = a->mean + delta * nb / n;
	a->nfinite += b->nfinite;
}

/*
 * Derive the statistics.  Returns PP_OVERFLOW when finite inputs made a
 * result infinite (core raises "value out of range: overflow" then).
 * The caller handles n == 0 (no rows: the result is NULL).
 */
PpStatus
pp_moments_result(const PpMoments *m, PpStatsResult *out)
{
	double		n = (double) m->n;
	bool		nonfinite = m->nfinite < m->n;

	/* as core: finite inputs whose sum or variance overflows are an error */
	if (m->overflow)
		return PP_OVERFLOW;
	if (!nonfinite && !isfinite(m->m2))
		return PP_OVERFLOW;

	out->n = m->n;
	out->sum = m->sum;
	out->mean = m->sum / n;
	out->min = m->nnan == m->n ? NAN : m->min;
	out->max = m->nnan > 0 ? NAN : m->max;

	out->var_samp_null = m->n < 2;
	out->skewness_null = m->n < 3;
	out->kurtosis_null = m->n < 4;

	if (nonfinite)
	{
		/* as core: any NaN or Infinity makes the variance NaN */
		out->var_pop = out->var_samp = NAN;
		out->stddev_pop = out->stddev_samp = NAN;
		out->skewness = out->kurtosis = NAN;
		return PP_OK;
	}

	out->var_pop = m->m2 / n;
	out->stddev_pop = sqrt(out->var_pop);
	out->var_samp = out->var_samp_null ? 0.0 : m->m2 / (n - 1.0);
	out->stddev_samp = sqrt(out->var_samp);

	/* skewness and kurtosis are undefined for constant data */
	if (m->m2 == 0.0)
	{
		out->skewness_null = out->kurtosis_null = true;
		out->skewness = out->kurtosis = 0.0;
		return PP_OK;
	}

	/*
	 * Third and fourth powers overflow long before the variance does (data
	 * around 1e80): then skewness and kurtosis cannot be computed in double
	 * precision and are NaN, while the other statistics stay valid.
	 */
	if (!isfinite(m->m3) || !isfinite(m->m4))
	{
		out->skewness = out->kurtosis = NAN;
		return PP_OK;
	}

	out->skewness = 0.0;
	if (!out->skewness_null)
	{
		double		g1 = (m->m3 / n) / pow(m->m2 / n, 1.5);

		out->skewness = g1 * sqrt(n * (n - 1.0)) / (n - 2.0);
	}
	out->kurtosis = 0.0;
	if (!out->kurtosis_null)
	{
		double		g2 = (m->m4 / n) / ((m->m2 / n) * (m->m2 / n)) - 3.0;

		out->kurtosis = ((n + 1.0) * g2 + 6.0) * (n - 1.0) /
			((n - 2.0) * (n - 3.0));
	}
	return PP_OK;
}
