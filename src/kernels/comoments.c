/*
 * comoments.c
 *		Co-moments of d columns: Welford's update per row, Chan's merge.
 */
#include <math.h>
#include <string.h>

#include "comoments.h"

void
pp_comoments_init(PpComoments *s, int32_t d, double *shift, double *mean, double *c,
				  int64_t *nonfinite)
{
	s->d = d;
	s->n = 0;
	s->shift = shift;
	s->mean = mean;
	s->c = c;
	s->nonfinite = nonfinite;
}

void
pp_comoments_add(PpComoments *s, const double *x, double *scratch)
{
	int32_t		d = s->d;
	double	   *before = scratch;	/* x - mean before the row */
	double	   *after = scratch + d;	/* x - mean after it */
	double		inv;
	double	   *c = s->c;
	int32_t		i,
				j;

	if (s->n == 0)
		for (i = 0; i < d; i++)
			s->shift[i] = isfinite(x[i]) ? x[i] : 0.0;
	s->n++;
	inv = 1.0 / (double) s->n;
	for (i = 0; i < d; i++)
	{
		double		v = x[i] - s->shift[i];

		if (!isfinite(v))
		{
			/* not finite, or a deviation that overflows: the column is NaN */
			s->nonfinite[i]++;
			v = s->mean[i];
		}
		before[i] = v - s->mean[i];
		s->mean[i] += before[i] * inv;
		after[i] = v - s->mean[i];
	}
	/* C += before * after^T, which is symmetric (after = before * (n-1)/n) */
	for (i = 0; i < d; i++)
	{
		double		bi = before[i];

		for (j = i; j < d; j++)
			*c++ += bi * after[j];
	}
}

void
pp_comoments_merge(PpComoments *a, const PpComoments *b, double *scratch)
{
	int32_t		d = a->d;
	double	   *delta = scratch;
	double		n,
				f;
	double	   *c = a->c;
	const double *cb = b->c;
	int32_t		i,
				j;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		a->n = b->n;
		memcpy(a->shift, b->shift, d * sizeof(double));
		memcpy(a->mean, b->mean, d * sizeof(double));
		memcpy(a->c, b->c, pp_comoments_cells(d) * sizeof(double));
		for (i = 0; i < d; i++)
			a->nonfinite[i] += b->nonfinite[i];
		return;
	}
	n = (double) a->n + (double) b->n;
	f = (double) a->n * (double) b->n / n;
	for (i = 0; i < d; i++)
	{
		/* b's mean as a deviation from a's shift, then from a's mean */
		delta[i] = (b->mean[i] + (b->shift[i] - a->shift[i])) - a->mean[i];
		a->mean[i] += delta[i] * ((double) b->n / n);
		a->nonfinite[i] += b->nonfinite[i];
	}
	for (i = 0; i < d; i++)
	{
		double		fi = delta[i] * f;

		for (j = i; j < d; j++)
			*c++ += *cb++ + fi * delta[j];
	}
	a->n += b->n;
}

bool
pp_comoments_covariance(const PpComoments *s, double *out)
{
	int32_t		d = s->d;
	double		denom = (double) s->n - 1.0;
	int32_t		i,
				j;

	if (s->n < 2)
		return false;
	for (i = 0; i < d; i++)
		for (j = i; j < d; j++)
		{
			double		v = s->nonfinite[i] || s->nonfinite[j] ? NAN
			: s->c[pp_comoments_index(d, i, j)] / denom;

			out[i * d + j] = v;
			out[j * d + i] = v;
		}
	return true;
}

bool
pp_comoments_correlation(const PpComoments *s, double *out, bool *null)
{
	int32_t		d = s->d;
	int32_t		i,
				j;

	if (s->n < 1)
		return false;
	for (i = 0; i < d; i++)
		for (j = i; j < d; j++)
		{
			double		sxx = s->c[pp_comoments_index(d, i, i)];
			double		syy = s->c[pp_comoments_index(d, j, j)];
			double		sxy = s->c[pp_comoments_index(d, i, j)];
			bool		isnull = false;
			double		v;

			if (s->nonfinite[i] || s->nonfinite[j])
				v = NAN;
			else if (sxx == 0 || syy == 0)
			{
				/* no variance: undefined, as core's corr */
				isnull = true;
				v = 0;
			}
			else
				v = sxy / sqrt(sxx * syy);
			out[i * d + j] = out[j * d + i] = v;
			null[i * d + j] = null[j * d + i] = isnull;
		}
	return true;
}
