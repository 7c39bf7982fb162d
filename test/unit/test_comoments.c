/*
 * test_comoments.c
 *		Unit tests of src/kernels/comoments.c, against two-pass covariances
 *		and correlations in long double.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "../../src/kernels/comoments.h"
#include "unit.h"

#define D 4
#define N 2000

/* Two-pass sample covariance and correlation of columns i, j of rows x. */
static void
two_pass(const double x[][D], int n, int i, int j, double *cov, double *corr)
{
	long double mi = 0,
				mj = 0,
				sij = 0,
				sii = 0,
				sjj = 0;
	int			r;

	for (r = 0; r < n; r++)
	{
		mi += x[r][i];
		mj += x[r][j];
	}
	mi /= n;
	mj /= n;
	for (r = 0; r < n; r++)
	{
		sij += (x[r][i] - mi) * (x[r][j] - mj);
		sii += (x[r][i] - mi) * (x[r][i] - mi);
		sjj += (x[r][j] - mj) * (x[r][j] - mj);
	}
	*cov = (double) (sij / (n - 1));
	*corr = (double) (sij / sqrtl(sii * sjj));
}

/* Relative difference. */
static double
rel(double a, double b)
{
	return a == b ? 0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* A state over rows [from, to) of x. */
static void
fill(PpComoments *s, double *mean, double *c, int64_t *nf, const double x[][D], int from, int to)
{
	double		scratch[2 * D];
	double	   *shift = mean + D;
	int			r;

	memset(mean, 0, 2 * D * sizeof(double));
	memset(c, 0, pp_comoments_cells(D) * sizeof(double));
	memset(nf, 0, D * sizeof(int64_t));
	pp_comoments_init(s, D, shift, mean, c, nf);
	for (r = from; r < to; r++)
		pp_comoments_add(s, x[r], scratch);
}

void
test_comoments(void)
{
	static double x[N][D];
	double		mean[2 * D],
				c[D * (D + 1) / 2],
				mean2[2 * D],
				c2[D * (D + 1) / 2],
				cov[D * D],
				corr[D * D],
				scratch[D];
	bool		null[D * D];
	int64_t		nf[D],
				nf2[D];
	PpComoments s,
				t;
	int			r,
				i,
				j,
				base;

	CHECK(pp_comoments_index(4, 0, 0) == 0 && pp_comoments_index(4, 0, 3) == 3 &&
		  pp_comoments_index(4, 1, 1) == 4 && pp_comoments_index(4, 3, 3) == 9 &&
		  pp_comoments_cells(4) == 10, "triangle indexing");

	/* far from zero (1e9 + noise) and near it; correlated columns */
	for (base = 0; base <= 1; base++)
	{
		double		offset = base ? 1e9 : 0;
		double		worst_cov = 0,
					worst_corr = 0,
					worst_merge = 0;

		for (r = 0; r < N; r++)
		{
			double		a = rnd(),
						b = rnd();

			x[r][0] = offset + a;
			x[r][1] = offset + a + 0.5 * b;
			x[r][2] = offset - 3 * b;
			x[r][3] = offset + rnd();
		}
		fill(&s, mean, c, nf, x, 0, N);
		CHECK(pp_comoments_covariance(&s, cov) && pp_comoments_correlation(&s, corr, null),
			  "results exist");
		for (i = 0; i < D; i++)
			for (j = 0; j < D; j++)
			{
				double		ec,
							er;

				two_pass(x, N, i, j, &ec, &er);
				worst_cov = fmax(worst_cov, rel(cov[i * D + j], ec));
				worst_corr = fmax(worst_corr, fabs(corr[i * D + j] - er));
				CHECK(!null[i * D + j], "no NULL correlation");
			}
		CHECK(worst_cov < 1e-9, "covariance vs two-pass, offset %g: %g", offset, worst_cov);
		CHECK(worst_corr < 1e-9, "correlation vs two-pass, offset %g: %g", offset, worst_corr);
		CHECK(corr[0] == 1.0 && corr[D * D - 1] == 1.0, "unit diagonal");

		/* merging partial states gives the same matrix */
		fill(&s, mean, c, nf, x, 0, 700);
		fill(&t, mean2, c2, nf2, x, 700, N);
		pp_comoments_merge(&s, &t, scratch);
		{
			double		cov2[D * D];

			pp_comoments_covariance(&s, cov2);
			fill(&t, mean2, c2, nf2, x, 0, N);
			pp_comoments_covariance(&t, cov);
			for (i = 0; i < D * D; i++)
				worst_merge = fmax(worst_merge, rel(cov2[i], cov[i]));
		}
		CHECK(s.n == N && worst_merge < 1e-9, "merged vs one pass, offset %g: %g", offset, worst_merge);
	}

	/* an empty state merges as nothing; into an empty state, as a copy */
	fill(&s, mean, c, nf, x, 0, 10);
	fill(&t, mean2, c2, nf2, x, 0, 0);
	pp_comoments_merge(&s, &t, scratch);
	CHECK(s.n == 10, "merge of empty");
	pp_comoments_merge(&t, &s, scratch);
	CHECK(t.n == 10 && memcmp(c2, c, sizeof(c)) == 0, "merge into empty");

	/* fewer than two rows: no covariance; one row: correlations undefined */
	fill(&s, mean, c, nf, x, 0, 1);
	CHECK(!pp_comoments_covariance(&s, cov), "one row: no covariance");
	CHECK(pp_comoments_correlation(&s, corr, null) && null[0] && null[1], "one row: NULL correlation");

	/* a non-finite value makes its column NaN, the others as without it */
	for (r = 0; r < 50; r++)
	{
		x[r][0] = rnd();
		x[r][1] = rnd();
		x[r][2] = r == 7 ? NAN : rnd();
		x[r][3] = r == 9 ? INFINITY : 5.0;	/* constant: no variance */
	}
	fill(&s, mean, c, nf, x, 0, 50);
	pp_comoments_covariance(&s, cov);
	pp_comoments_correlation(&s, corr, null);
	{
		double		ec,
					er;

		two_pass(x, 50, 0, 1, &ec, &er);
		CHECK(rel(cov[1], ec) < 1e-12 && fabs(corr[1] - er) < 1e-12, "finite pair unaffected");
	}
	CHECK(isnan(cov[0 * D + 2]) && isnan(cov[2 * D + 2]) && isnan(corr[2 * D + 1]) &&
		  isnan(corr[3 * D + 0]), "non-finite column NaN");
}
