/*
 * linreg.c
 *		Least squares from co-moments: a Cholesky factorization with
 *		limited pivoting, back substitution, the inverse of the factor for
 *		the standard errors, Student's t for the p-values, and power
 *		iteration for the condition number.
 */
#include <math.h>
#include <string.h>

#include "linreg.h"

size_t
pp_linreg_work_doubles(int32_t d)
{
	size_t		m = (size_t) d + 1;

	/* A (m x m), R and its inverse (d x d), z, beta, mu, two vectors */
	return m * m + 2 * (size_t) d * d + 2 * (size_t) d + m + 2 * (size_t) d;
}

/*
 * The largest eigenvalue of RᵀR (or, inverse, of (RᵀR)^-1 = R^-1 R^-T given
 * R^-1) by power iteration; R is p x p upper triangular, row stride d.
 * The Rayleigh quotients of the iterates rise to the eigenvalue; stop when
 * they no longer move in the 14th digit.
 */
static double
largest_eigenvalue(const double *R, int32_t d, int32_t p, bool inverse, double *v, double *u)
{
	double		lambda = 0;
	int			iter;
	int32_t		a,
				b;

	/* a start with a component along every eigenvector, almost surely */
	for (a = 0; a < p; a++)
		v[a] = 1.0 + 0.01 * a;
	for (iter = 0; iter < 2000; iter++)
	{
		double		norm = 0,
					prev = lambda;

		/* normalize v */
		for (a = 0; a < p; a++)
			norm += v[a] * v[a];
		norm = sqrt(norm);
		if (norm == 0)
			return 0;
		for (a = 0; a < p; a++)
			v[a] /= norm;

		/* u = R v, or R^-T v; lambda = |u|^2 is the Rayleigh quotient */
		lambda = 0;
		for (a = 0; a < p; a++)
		{
			double		sum = 0;

			if (inverse)
				for (b = 0; b <= a; b++)
					sum += R[b * d + a] * v[b];
			else
				for (b = a; b < p; b++)
					sum += R[a * d + b] * v[b];
			u[a] = sum;
			lambda += sum * sum;
		}
		/* v = R^T u, or R^-1 u: the next iterate */
		for (a = 0; a < p; a++)
		{
			double		sum = 0;

			if (inverse)
				for (b = a; b < p; b++)
					sum += R[a * d + b] * u[b];
			else
				for (b = 0; b <= a; b++)
					sum += R[b * d + a] * u[b];
			v[a] = sum;
		}
		if (iter > 2 && fabs(lambda - prev) <= 1e-14 * lambda)
			break;
	}
	return lambda;
}

bool
pp_linreg_fit(const PpComoments *s, double tol, PpLinregFit *fit, double *work, int32_t *cols)
{
	int32_t		m = s->d;
	int32_t		d = m - 1;
	int32_t		y = d;
	double	   *A = work;		/* m x m: C, or XᵀX without an intercept */
	double	   *R = A + (size_t) m * m; /* d x d, upper triangular */
	double	   *Ri = R + (size_t) d * d;	/* its inverse */
	double	   *z = Ri + (size_t) d * d;	/* R^-T Xᵀy */
	double	   *beta = z + d;
	double	   *mu = beta + d;	/* m means */
	double	   *v = mu + m;
	double	   *u = v + d;
	double		n = (double) s->n;
	double		sqrt_n = sqrt(n);
	double		sigma2 = NAN;
	int32_t		off,
				p,
				a,
				b,
				i,
				j;

	fit->d = d;
	fit->n = s->n;
	fit->nonfinite = false;
	fit->rank = 0;
	fit->intercept = -1;
	for (j = 0; j < d; j++)
	{
		fit->used[j] = false;
		fit->coef[j] = fit->std_err[j] = fit->t_stat[j] = fit->p_value[j] = NAN;
	}
	fit->rss = fit->tss = fit->r2 = fit->adj_r2 = fit->rmse = fit->condition_number = NAN;
	fit->df = NAN;
	if (s->n == 0)
		return false;

	/* a value not finite makes every result NaN, as core's regr_* */
	for (j = 0; j < m; j++)
		if (s->nonfinite[j] > 0)
			fit->nonfinite = true;
	if (fit->nonfinite)
	{
		for (j = 0; j < d; j++)
			fit->used[j] = true;
		fit->rank = d;
		fit->df = n - d;
		return true;
	}

	for (j = 0; j < m; j++)
		mu[j] = s->shift[j] + s->mean[j];
	/* the intercept: the first nonzero column without variance */
	for (j = 0; j < d; j++)
		if (s->c[pp_comoments_index(m, j, j)] == 0 && mu[j] != 0)
		{
			fit->intercept = j;
			break;
		}
	for (i = 0; i < m; i++)
		for (j = i; j < m; j++)
		{
			double		cell = s->c[pp_comoments_index(m, i, j)];

			if (fit->intercept < 0)
				cell += n * mu[i] * mu[j];
			A[i * m + j] = A[j * m + i] = cell;
		}

	/*
	 * R's first row is the intercept's: the raw XᵀX is RᵀR with R =
	 * [sqrt(n) mu_k, sqrt(n) mu_rest; 0, chol(C_rest)], and the other rows
	 * factor the centred co-moments.
	 */
	off = fit->intercept >= 0 ? 1 : 0;
	p = 0;
	if (off)
	{
		cols[p] = fit->intercept;
		R[0] = sqrt_n * mu[fit->intercept];
		p++;
	}
	for (j = 0; j < d; j++)
	{
		double		ajj = A[j * m + j];
		double		rest = ajj;

		if (j == fit->intercept || !(ajj > 0))
			continue;
		/* column j's part explained by those taken: R's new column */
		for (a = off; a < p; a++)
		{
			double		sum = A[cols[a] * m + j];

			for (b = off; b < a; b++)
				sum -= R[b * d + a] * u[b];
			u[a] = sum / R[a * d + a];
			rest -= u[a] * u[a];
		}
		if (!(rest > tol * tol * ajj))
			continue;			/* collinear with the columns taken */
		for (a = off; a < p; a++)
			R[a * d + p] = u[a];
		for (b = 0; b < p; b++)
			R[p * d + b] = 0;
		R[p * d + p] = sqrt(rest);
		if (off)
			R[p] = sqrt_n * mu[j];
		cols[p++] = j;
	}
	if (off)
		for (b = 1; b < p; b++)
			R[b * d] = 0;

	/* z = R^-T Xᵀy, and the residual sum of squares */
	fit->rss = A[y * m + y];
	if (off)
		z[0] = sqrt_n * mu[y];
	for (a = off; a < p; a++)
	{
		double		sum = A[cols[a] * m + y];

		for (b = off; b < a; b++)
			sum -= R[b * d + a] * z[b];
		z[a] = sum / R[a * d + a];
		fit->rss -= z[a] * z[a];
	}
	if (fit->rss < 0)
		fit->rss = 0;			/* rounding of an exact fit */
	fit->tss = A[y * m + y];

	/* coefficients by back substitution, and R's inverse */
	for (a = p - 1; a >= 0; a--)
	{
		double		sum = z[a];

		for (b = a + 1; b < p; b++)
			sum -= R[a * d + b] * beta[b];
		beta[a] = sum / R[a * d + a];
	}
	for (b = 0; b < p; b++)
	{
		Ri[b * d + b] = 1.0 / R[b * d + b];
		for (a = b - 1; a >= 0; a--)
		{
			double		sum = 0;

			for (i = a + 1; i <= b; i++)
				sum += R[a * d + i] * Ri[i * d + b];
			Ri[a * d + b] = -sum / R[a * d + a];
		}
		for (a = b + 1; a < p; a++)
			Ri[a * d + b] = 0;
	}

	fit->rank = p;
	fit->df = n - p;
	if (fit->df > 0)
		sigma2 = fit->rss / fit->df;
	for (a = 0; a < p; a++)
	{
		double		inv_diag = 0;	/* ((XᵀX)^-1)_aa = sum of row a of R^-1
									 * squared */

		j = cols[a];
		fit->used[j] = true;
		fit->coef[j] = beta[a];
		if (fit->df <= 0)
			continue;
		for (b = a; b < p; b++)
			inv_diag += Ri[a * d + b] * Ri[a * d + b];
		fit->std_err[j] = sqrt(sigma2 * inv_diag);
		fit->t_stat[j] = beta[a] / fit->std_err[j];
		fit->p_value[j] = pp_student_t_p(fit->t_stat[j], fit->df);
	}
	if (fit->tss > 0)
	{
		fit->r2 = 1.0 - fit->rss / fit->tss;
		if (fit->df > 0)
			fit->adj_r2 = 1.0 - (1.0 - fit->r2) * (n - off) / fit->df;
	}
	fit->rmse = sqrt(fit->rss / n);
	if (p > 0)
	{
		double		lmax = largest_eigenvalue(R, d, p, false, v, u);
		double		lmin_inv = largest_eigenvalue(Ri, d, p, true, v, u);

		fit->condition_number = lmax * lmin_inv;
	}
	return true;
}

/*
 * One step of the modified Lentz method for a continued fraction with
 * partial numerator num and denominator 1: updates its running D and C and
 * returns the factor the value is multiplied by.
 */
static double
lentz_step(double num, double *dd, double *c)
{
	const double tiny = 1e-300;

	*dd = 1.0 + num * *dd;
	if (fabs(*dd) < tiny)
		*dd = tiny;
	*c = 1.0 + num / *c;
	if (fabs(*c) < tiny)
		*c = tiny;
	*dd = 1.0 / *dd;
	return *dd * *c;
}

/*
 * The continued fraction of I_x(a, b) (DLMF 8.17.22); it converges fast
 * for x < (a + 1) / (a + b + 2).
 */
static double
beta_fraction(double a, double b, double x)
{
	double		c = 1.0,
				dd,
				f;
	int			k;

	/* 1 / (1 + d_1 / ...): D and the value start at 1 / (1 + d_1), C at 1 */
	dd = 1.0 - (a + b) * x / (a + 1.0);
	if (fabs(dd) < 1e-300)
		dd = 1e-300;
	dd = 1.0 / dd;
	f = dd;
	for (k = 1; k < 100000; k++)
	{
		double		delta;

		/* the even term d_2k, then the odd d_2k+1 */
		f *= lentz_step(k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k)), &dd, &c);
		delta = lentz_step(-(a + k) * (a + b + k) * x / ((a + 2 * k) * (a + 2 * k + 1)), &dd, &c);
		f *= delta;
		if (fabs(delta - 1.0) < 1e-16)
			break;
	}
	return f;
}

/*
 * log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).  With one argument
 * large, the difference of the two large lgamma loses digits (lgamma(5e8)
 * is 1e10): take it from Stirling's series instead, where it is
 * (big - 1/2) log1p(small / big) + small log(big + small) - small plus the
 * difference of the series' corrections.
 */
static double
stirling_correction(double x)
{
	double		x2 = x * x;

	return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260 - 1.0 / (1680 * x2)) / x2) / x2) / x;
}

static double
log_beta(double a, double b)
{
	double		big = fmax(a, b),
				small = fmin(a, b);

	if (big < 100)
		return lgamma(a) + lgamma(b) - lgamma(a + b);
	return lgamma(small) -
		((big - 0.5) * log1p(small / big) + small * log(big + small) - small +
		 stirling_correction(big + small) - stirling_correction(big));
}

double
pp_beta_inc(double a, double b, double x, double xc)
{
	double		front;

	if (x <= 0)
		return 0;
	if (xc <= 0)
		return 1;
	/* x^a (1 - x)^b / B(a, b), the logarithms from the smaller of x, 1 - x */
	front = exp(a * (x < 0.5 ? log(x) : log1p(-xc)) + b * (xc < 0.5 ? log(xc) : log1p(-x)) -
				log_beta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * beta_fraction(a, b, x) / a;
	return 1.0 - front * beta_fraction(b, a, xc) / b;
}

double
pp_student_t_p(double t, double df)
{
	double		t2;

	if (isnan(t) || !(df > 0))
		return NAN;
	if (isinf(t))
		return 0;

	/*
	 * Beyond 4e5 degrees of freedom the continued fraction converges slowly
	 * and t is normal but for terms in 1/df: take the normal tail at t
	 * corrected to first order in 1/df (as R's pt does), good to 1/df^2.
	 */
	if (df > 4e5)
	{
		double		q = 1.0 / (4.0 * df);

		return erfc(fabs(t) * (1.0 - q) / sqrt(1.0 + t * t * 2.0 * q) / M_SQRT2);
	}
	t2 = t * t;
	/* P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
	return pp_beta_inc(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2));
}
