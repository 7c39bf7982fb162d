/*
 * test_linreg.c
 *		Unit tests of src/kernels/linreg.c: coefficients and standard errors
 *		against the normal equations solved by Gauss-Jordan elimination in
 *		quadruple precision (__float128: a column near 1e6 makes XᵀX's
 *		condition number near 1e15, beyond quad), collinear and
 *		constant columns, p-values against Student's t in closed form.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "../../src/kernels/linreg.h"
#include "unit.h"

#define P 4						/* predictors: 1, x1, x2, x3 */
#define M (P + 1)
#define ROWS 3000

/* Storage of a state and a fit over M columns. */
typedef struct Fixture
{
	double		shift[M],
				mean[M],
				c[M * (M + 1) / 2],
				scratch[2 * M];
	int64_t		nf[M];
	PpComoments s;
	bool		used[P];
	double		coef[P],
				se[P],
				t[P],
				p[P];
	double		work[M * M + 2 * P * P + 2 * P + M + 2 * P];
	int32_t		cols[P];
	PpLinregFit fit;
} Fixture;

static void
fixture_init(Fixture *f)
{
	memset(f, 0, sizeof(*f));
	pp_comoments_init(&f->s, M, f->shift, f->mean, f->c, f->nf);
	f->fit.used = f->used;
	f->fit.coef = f->coef;
	f->fit.std_err = f->se;
	f->fit.t_stat = f->t;
	f->fit.p_value = f->p;
}

typedef __float128 quad;

/* Absolute value (fabsq is in libquadmath). */
static quad
quad_abs(quad v)
{
	return v < 0 ? -v : v;
}

/*
 * The oracle: coefficients and standard errors of y on the columns of x
 * that are flagged in use, from the normal equations in quadruple
 * precision, inverted by Gauss-Jordan elimination with partial pivoting.
 */
static void
oracle(const double x[][M], int n, const bool *use, double *coef, double *se)
{
	quad		g[P][2 * P + 1];
	int			idx[P],
				k = 0,
				i,
				j,
				r;
	quad		rss = 0;

	for (j = 0; j < P; j++)
		if (use[j])
			idx[k++] = j;
	memset(g, 0, sizeof(g));
	for (r = 0; r < n; r++)
		for (i = 0; i < k; i++)
		{
			for (j = 0; j < k; j++)
				g[i][j] += (quad) x[r][idx[i]] * x[r][idx[j]];
			g[i][2 * P] += (quad) x[r][idx[i]] * x[r][P];
		}
	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			g[i][P + j] = i == j;
	for (i = 0; i < k; i++)
	{
		int			best = i;
		quad		tmp;

		for (r = i + 1; r < k; r++)
			if (quad_abs(g[r][i]) > quad_abs(g[best][i]))
				best = r;
		for (j = 0; j <= 2 * P; j++)
		{
			tmp = g[i][j];
			g[i][j] = g[best][j];
			g[best][j] = tmp;
		}
		tmp = g[i][i];
		for (j = 0; j <= 2 * P; j++)
			g[i][j] /= tmp;
		for (r = 0; r < k; r++)
			if (r != i)
			{
				tmp = g[r][i];
				for (j = 0; j <= 2 * P; j++)
					g[r][j] -= tmp * g[i][j];
			}
	}
	for (r = 0; r < n; r++)
	{
		quad		e = x[r][P];

		for (i = 0; i < k; i++)
			e -= g[i][2 * P] * x[r][idx[i]];
		rss += e * e;
	}
	for (i = 0; i < k; i++)
	{
		coef[idx[i]] = (double) g[i][2 * P];
		se[idx[i]] = (double) sqrtl((long double) (rss / (n - k) * g[i][P + i]));
	}
}

/*
 * Two-sided tail of Student's t with 30 (even) degrees of freedom, the
 * finite series of Abramowitz and Stegun 26.7.3, in long double.
 */
static double
t30(double t)
{
	long double th = atanl(t / sqrtl(30)),
				c2 = cosl(th) * cosl(th),
				term = 1,
				sum = 1;
	int			k;

	for (k = 1; k <= 14; k++)
	{
		term *= c2 * (2 * k - 1) / (2 * k);
		sum += term;
	}
	return (double) (1 - sinl(th) * sum);
}

void
test_linreg(void)
{
	static double x[ROWS][M];
	static Fixture f,
				half;
	double		coef[P],
				se[P];
	bool		all[P] = {true, true, true, true};
	double		worst = 0;
	int			r,
				j;

	/* y = 3 + 2 x1 - x2 + 0.5 x3 + noise, x2 far from zero */
	for (r = 0; r < ROWS; r++)
	{
		x[r][0] = 1;
		x[r][1] = rnd();
		x[r][2] = 1e6 + rnd();
		x[r][3] = rnd() + 0.3 * x[r][1];
		x[r][4] = 3 + 2 * x[r][1] - x[r][2] + 0.5 * x[r][3] + 0.1 * (rnd() - 0.5);
	}
	fixture_init(&f);
	fixture_init(&half);
	for (r = 0; r < ROWS; r++)
		pp_comoments_add(r < ROWS / 3 ? &f.s : &half.s, x[r], f.scratch);
	/* a merged state fits as one */
	pp_comoments_merge(&f.s, &half.s, f.scratch);
	CHECK(pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols), "fit");
	CHECK(f.fit.intercept == 0 && f.fit.rank == P && f.fit.df == ROWS - P,
		  "intercept %d rank %d df %g", f.fit.intercept, f.fit.rank, f.fit.df);
	oracle(x, ROWS, all, coef, se);
	for (j = 0; j < P; j++)
	{
		CHECK(f.used[j], "column %d used", j);
		worst = fmax(worst, fabs(f.coef[j] - coef[j]) / fmax(fabs(coef[j]), se[j]));
		CHECK(rel_close(f.se[j], se[j], 1e-8), "std_err %d: %.17g vs %.17g", j, f.se[j], se[j]);
		CHECK(rel_close(f.t[j], f.coef[j] / f.se[j], 1e-15), "t %d", j);
	}
	/* relative to the coefficient or its standard error, whichever larger */
	CHECK(worst < 1e-8, "coefficients off by %g", worst);
	CHECK(f.fit.r2 > 0.99 && f.fit.r2 < 1 && f.fit.adj_r2 < f.fit.r2, "r2 %g adj %g",
		  f.fit.r2, f.fit.adj_r2);
	CHECK(fabs(f.fit.rmse - 0.1 / sqrt(12)) < 0.005, "rmse %g", f.fit.rmse);
	CHECK(f.fit.condition_number > 1e12, "condition number %g", f.fit.condition_number);

	/*
	 * a column equal to another plus a third is dropped, the rest as without
	 * it
	 */
	fixture_init(&f);
	for (r = 0; r < ROWS; r++)
	{
		double		row[M];

		memcpy(row, x[r], sizeof(row));
		row[3] = row[1] + 2 * row[0];
		pp_comoments_add(&f.s, row, f.scratch);
		x[r][3] = row[3];
	}
	CHECK(pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols), "collinear fit");
	CHECK(f.fit.rank == 3 && !f.used[3] && isnan(f.coef[3]), "collinear dropped: rank %d",
		  f.fit.rank);
	all[3] = false;
	oracle(x, ROWS, all, coef, se);
	for (j = 0; j < 3; j++)
		CHECK(fabs(f.coef[j] - coef[j]) < 1e-8 * fmax(fabs(coef[j]), se[j]),
			  "collinear coef %d: %.17g vs %.17g", j, f.coef[j], coef[j]);

	/* no constant column: through the origin, uncentred R² */
	fixture_init(&f);
	for (r = 0; r < ROWS; r++)
	{
		x[r][0] = rnd();
		x[r][3] = 0;			/* no variance, no mean: dropped */
		pp_comoments_add(&f.s, x[r], f.scratch);
	}
	CHECK(pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols), "origin fit");
	CHECK(f.fit.intercept == -1 && f.fit.rank == 3, "origin: intercept %d rank %d",
		  f.fit.intercept, f.fit.rank);
	all[3] = false;
	oracle(x, ROWS, all, coef, se);
	for (j = 0; j < 3; j++)
		CHECK(fabs(f.coef[j] - coef[j]) < 1e-6 * fmax(fabs(coef[j]), se[j]),
			  "origin coef %d: %.17g vs %.17g", j, f.coef[j], coef[j]);

	/* no rows; too few rows for standard errors; a non-finite value */
	fixture_init(&f);
	CHECK(!pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols), "no rows");
	for (r = 0; r < 3; r++)
		pp_comoments_add(&f.s, x[r], f.scratch);
	CHECK(pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols) && f.fit.df <= 0 &&
		  isnan(f.se[0]) && !isnan(f.coef[0]), "three rows: df %g", f.fit.df);
	x[5][2] = INFINITY;
	pp_comoments_add(&f.s, x[5], f.scratch);
	CHECK(pp_linreg_fit(&f.s, PP_LINREG_TOL, &f.fit, f.work, f.cols) && f.fit.nonfinite &&
		  isnan(f.coef[1]) && isnan(f.fit.r2), "infinity");

	/* Student's t in closed form for 1 and 2 degrees of freedom */
	for (j = 0; j < 40; j++)
	{
		double		t = 0.1 + j * 0.37;

		CHECK(rel_close(pp_student_t_p(t, 1), 1 - 2 / M_PI * atan(t), 1e-12),
			  "t(1) at %g: %.17g", t, pp_student_t_p(t, 1));
		CHECK(rel_close(pp_student_t_p(-t, 2), 1 - t / sqrt(2 + t * t), 1e-12),
			  "t(2) at %g: %.17g", t, pp_student_t_p(-t, 2));

		/*
		 * many degrees of freedom: the normal distribution, to within its
		 * difference from Student's, about t^4 / 4df relative
		 */
		if (t < 6)
			CHECK(rel_close(pp_student_t_p(t, 1e12), erfc(t / sqrt(2)), 1e-9),
				  "t(1e12) at %g: %.17g vs %.17g", t, pp_student_t_p(t, 1e12),
				  erfc(t / sqrt(2)));

		/*
		 * the continued fraction and the corrected normal meet at 4e5 (to
		 * 2e-9 at p = 1e-6, 1e-7 at 1e-18, 2e-6 at 1e-47)
		 */
		if (t < 8.5)
			CHECK(rel_close(pp_student_t_p(t, 4e5 - 1), pp_student_t_p(t, 4e5 + 1), 1e-7),
				  "t(4e5) at %g: %.17g vs %.17g", t, pp_student_t_p(t, 4e5 - 1),
				  pp_student_t_p(t, 4e5 + 1));

		/*
		 * and with 30 degrees of freedom, the tail in closed form (where 1 -
		 * the series keeps 12 digits in long double)
		 */
		if (t30(t) > 1e-7)
			CHECK(rel_close(pp_student_t_p(t, 30), t30(t), 1e-10),
				  "t(30) at %g: %.17g vs %.17g", t, pp_student_t_p(t, 30), t30(t));
	}
	CHECK(pp_student_t_p(0, 5) == 1 && pp_student_t_p(INFINITY, 5) == 0 &&
		  isnan(pp_student_t_p(NAN, 5)), "t edges");
}
