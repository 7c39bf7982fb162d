/*
 * test_moments.c
 *		Unit tests of src/kernels/moments.c.
 *
 * One-pass and merged moments against two-pass central moments in long
 * double, and the edge cases: single values, constant data, infinities,
 * NaN, overflow and empty states.
 */
#include <math.h>

#include "../../src/kernels/moments.h"
#include "unit.h"

/*
 * Two-pass central moments in long double: the oracle for moments.  The
 * data are shifted by v[0] first (exact for values in one binade), since
 * a long double sum of 1e5 values near 1e9 still rounds at 1e-5.
 */
static void
two_pass(const double *v, int n, long double *mean, long double *m2,
		 long double *m3, long double *m4)
{
	long double s = 0,
				d;
	int			i;

	for (i = 0; i < n; i++)
		s += (long double) v[i] - v[0];
	*mean = s / n + v[0];
	*m2 = *m3 = *m4 = 0;
	for (i = 0; i < n; i++)
	{
		d = ((long double) v[i] - v[0]) - (*mean - v[0]);
		*m2 += d * d;
		*m3 += d * d * d;
		*m4 += d * d * d * d;
	}
}

/* Moments of 1e5 values shifted by offset, whole and merged, vs two_pass. */
void
test_moments_against_two_pass(double offset)
{
	enum
	{
		N = 100000
	};
	static double v[N];
	long double mean,
				m2,
				m3,
				m4,
				nn = N;
	PpMoments	whole,
				parts[3];
	PpStatsResult r,
				rp;
	double		g1,
				g2,
				tol = 1e-12,	/* mean and variance */
				tol_hi = 1e-10; /* skewness, kurtosis */
	int			i;

	pp_moments_init(&whole);
	for (i = 0; i < 3; i++)
		pp_moments_init(&parts[i]);
	for (i = 0; i < N; i++)
	{
		/* skewed data: exponential-ish */
		v[i] = offset - log(1.0 - rnd());
		pp_moments_add(&whole, v[i]);
		pp_moments_add(&parts[i % 3 == 0 ? 0 : (i < N / 2 ? 1 : 2)], v[i]);
	}
	two_pass(v, N, &mean, &m2, &m3, &m4);
	CHECK(pp_moments_result(&whole, &r) == PP_OK, "result ok");
	CHECK(r.n == N, "n");
	CHECK(rel_close(r.mean, (double) mean, 1e-12), "mean %.17g vs %.17g", r.mean, (double) mean);
	CHECK(rel_close(r.var_samp, (double) (m2 / (nn - 1)), tol),
		  "var_samp %.17g vs %.17g (offset %g)", r.var_samp, (double) (m2 / (nn - 1)), offset);
	CHECK(rel_close(r.var_pop, (double) (m2 / nn), tol), "var_pop");
	g1 = (double) ((m3 / nn) / powl(m2 / nn, 1.5L) * sqrtl(nn * (nn - 1)) / (nn - 2));
	g2 = (double) ((((m4 / nn) / ((m2 / nn) * (m2 / nn)) - 3) * (nn + 1) + 6) * (nn - 1) / ((nn - 2) * (nn - 3)));
	CHECK(rel_close(r.skewness, g1, tol_hi), "skewness %.17g vs %.17g", r.skewness, g1);
	CHECK(rel_close(r.kurtosis, g2, tol_hi), "kurtosis %.17g vs %.17g", r.kurtosis, g2);

	/* merging partial states gives the whole (parallel aggregation) */
	pp_moments_combine(&parts[0], &parts[1]);
	pp_moments_combine(&parts[0], &parts[2]);
	CHECK(pp_moments_result(&parts[0], &rp) == PP_OK, "combined ok");
	CHECK(rp.n == r.n, "combined n");
	CHECK(rel_close(rp.mean, r.mean, 1e-12), "combined mean");
	CHECK(rel_close(rp.var_samp, r.var_samp, tol), "combined var");
	CHECK(rel_close(rp.skewness, r.skewness, tol_hi), "combined skewness");
	CHECK(rel_close(rp.kurtosis, r.kurtosis, tol_hi), "combined kurtosis");
	CHECK(rp.min == r.min && rp.max == r.max, "combined min/max");
}

/* Moments of single values, constants, specials, overflow, empty states. */
void
test_moments_edge_cases(void)
{
	PpMoments	m,
				e;
	PpStatsResult r;

	/* single value: sample statistics undefined, population variance 0 */
	pp_moments_init(&m);
	pp_moments_add(&m, 5.0);
	CHECK(pp_moments_result(&m, &r) == PP_OK && r.var_samp_null && r.var_pop == 0.0 &&
		  r.skewness_null && r.kurtosis_null && r.min == 5.0 && r.max == 5.0,
		  "single value");

	/* constant data: variance 0, skewness/kurtosis undefined */
	pp_moments_init(&m);
	pp_moments_add(&m, 2.0);
	pp_moments_add(&m, 2.0);
	pp_moments_add(&m, 2.0);
	pp_moments_add(&m, 2.0);
	CHECK(pp_moments_result(&m, &r) == PP_OK && r.var_samp == 0.0 && r.skewness_null &&
		  r.kurtosis_null, "constant");

	/* Infinity: sum infinite, variance NaN, min/max follow */
	pp_moments_init(&m);
	pp_moments_add(&m, 1.0);
	pp_moments_add(&m, INFINITY);
	CHECK(pp_moments_result(&m, &r) == PP_OK && isinf(r.mean) && isnan(r.var_samp) &&
		  r.max == INFINITY && r.min == 1.0, "infinity");

	/* NaN sorts above everything: max NaN, min ignores it */
	pp_moments_init(&m);
	pp_moments_add(&m, NAN);
	pp_moments_add(&m, 3.0);
	CHECK(pp_moments_result(&m, &r) == PP_OK && isnan(r.max) && r.min == 3.0 &&
		  isnan(r.mean), "nan");
	pp_moments_init(&m);
	pp_moments_add(&m, NAN);
	CHECK(pp_moments_result(&m, &r) == PP_OK && isnan(r.max) && isnan(r.min), "all nan");

	/* +Inf and -Inf: mean NaN as in core */
	pp_moments_init(&m);
	pp_moments_add(&m, INFINITY);
	pp_moments_add(&m, -INFINITY);
	CHECK(pp_moments_result(&m, &r) == PP_OK && isnan(r.mean), "inf - inf");

	/* finite values whose sum overflows */
	pp_moments_init(&m);
	pp_moments_add(&m, 1e308);
	pp_moments_add(&m, 1e308);
	CHECK(pp_moments_result(&m, &r) == PP_OVERFLOW, "sum overflow");

	/* fourth powers overflow, the variance does not: only G1/G2 are NaN */
	pp_moments_init(&m);
	pp_moments_add(&m, 1e80);
	pp_moments_add(&m, -1e80);
	pp_moments_add(&m, 3e80);
	pp_moments_add(&m, 0);
	CHECK(pp_moments_result(&m, &r) == PP_OK && isfinite(r.var_samp) &&
		  isnan(r.skewness) && isnan(r.kurtosis), "higher moments overflow");

	/* ... and when the variance overflows, it is an error */
	pp_moments_init(&m);
	pp_moments_add(&m, 1e200);
	pp_moments_add(&m, -1e200);
	CHECK(pp_moments_result(&m, &r) == PP_OVERFLOW, "variance overflow");

	/* ... also when the overflow happens while merging */
	pp_moments_init(&m);
	pp_moments_init(&e);
	pp_moments_add(&m, 1e308);
	pp_moments_add(&e, 1e308);
	pp_moments_combine(&m, &e);
	CHECK(pp_moments_result(&m, &r) == PP_OVERFLOW, "combine overflow");

	/* merging with an empty state changes nothing */
	pp_moments_init(&m);
	pp_moments_init(&e);
	pp_moments_add(&m, 1.0);
	pp_moments_add(&m, 2.0);
	pp_moments_combine(&m, &e);
	pp_moments_combine(&e, &m);
	CHECK(pp_moments_result(&e, &r) == PP_OK && r.n == 2 && r.mean == 1.5 &&
		  r.var_samp == 0.5, "empty combine");
}
