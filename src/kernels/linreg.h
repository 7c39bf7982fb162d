/*
 * linreg.h
 *		Ordinary least squares from co-moments (comoments.h): the
 *		coefficients, their standard errors, t statistics and p-values, R²,
 *		and the condition number of XᵀX, of y regressed on d columns x.
 *
 * The co-moments are of the d + 1 columns (x..., y), y last.  The normal
 * equations are solved by a Cholesky factorization with R's (lm's)
 * limited pivoting: columns are taken in their order, and a column whose
 * part not explained by the columns taken before it has a norm below tol
 * times its own is dropped (its coefficient is undefined: collinear).
 *
 * An intercept is the caller's constant column.  The first nonzero
 * constant column is taken apart: the others are then factored from their
 * centred co-moments, which the state holds exactly, instead of from raw
 * sums of products (XᵀX = C + n mean meanᵀ), so that columns far from zero
 * (1e9 + noise, a year) keep their digits; the results are the same least
 * squares solution.  Without a constant column the regression goes
 * through the origin, and R² is then uncentred, as R's summary.lm has it.
 */
#ifndef PARPROC_KERNELS_LINREG_H
#define PARPROC_KERNELS_LINREG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comoments.h"

typedef struct PpLinregFit
{
	int32_t		d;				/* predictors */
	int64_t		n;				/* rows */
	bool		nonfinite;		/* a value was not finite: results NaN */
	int32_t		rank;			/* columns used (the intercept included) */
	int32_t		intercept;		/* the constant column, or -1 */
	double		df;				/* residual degrees of freedom n - rank */
	/* per column, d each (caller-provided) */
	bool	   *used;			/* false: dropped, collinear */
	double	   *coef;
	double	   *std_err;		/* NaN when df <= 0 */
	double	   *t_stat;
	double	   *p_value;
	double		rss;			/* residual sum of squares */
	double		tss;			/* total sum of squares (centred if intercept) */
	double		r2;				/* NaN when tss is 0 */
	double		adj_r2;			/* NaN when df <= 0 or tss is 0 */
	double		rmse;			/* sqrt(rss / n) */
	double		condition_number;	/* of XᵀX over the columns used */
} PpLinregFit;

/* R's default tolerance for dropping collinear columns. */
#define PP_LINREG_TOL 1e-7

/* Workspace for a fit of d predictors: doubles, and int32s. */
extern size_t pp_linreg_work_doubles(int32_t d);

/*
 * Fit y (the last of the s->d columns) on the others.  The per-column
 * arrays of fit must be set by the caller; work and cols are workspace
 * (pp_linreg_work_doubles(d) doubles, d int32s).  False when there are no
 * rows.
 */
extern bool pp_linreg_fit(const PpComoments *s, double tol, PpLinregFit *fit,
						  double *work, int32_t *cols);

/*
 * The regularized incomplete beta function I_x(a, b), given x and 1 - x
 * (so that neither loses digits), by its continued fraction.
 */
extern double pp_beta_inc(double a, double b, double x, double xc);

/* Two-sided p-value of Student's t statistic t with df degrees of freedom. */
extern double pp_student_t_p(double t, double df);

#endif							/* PARPROC_KERNELS_LINREG_H */
