/*
 * test_kernels.c
 *		Unit tests of src/kernels, built and run without a server.
 *
 * Every check compares a kernel against an independent computation:
 * two-pass moments in long double, qsort with a NaN-aware comparator,
 * hand-worked percentiles and bucket numbers.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/batch.h"
#include "../../src/kernels/graph.h"
#include "../../src/kernels/histogram.h"
#include "../../src/kernels/hll.h"
#include "../../src/kernels/moments.h"
#include "../../src/kernels/percentile.h"
#include "../../src/kernels/qsketch.h"
#include "../../src/kernels/sort.h"
#include "../../src/kernels/textfn.h"
#include "../../src/kernels/textparse.h"
#include "../../src/kernels/topk.h"
#include "../../src/kernels/vec.h"

static int	passed = 0;
static int	failed = 0;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			passed++; \
		else \
		{ \
			failed++; \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__); \
			printf("\n"); \
		} \
	} while (0)

/* Deterministic xorshift generator, uniform in [0, 1). */
static uint64_t rng_state = 88172645463325252ULL;

static double
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double) (rng_state >> 11) / 9007199254740992.0;
}

static int
rel_close(double a, double b, double tol)
{
	if (a == b)
		return 1;
	return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

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

static void
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

static void
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

typedef struct KeyedValue
{
	double		v;
	size_t		pos;
} KeyedValue;

/* Stable float8 order: by key, then by input position. */
static int
cmp_stable(const void *a, const void *b)
{
	const KeyedValue *x = a;
	const KeyedValue *y = b;
	uint64_t	ka = pp_f64_key(x->v);
	uint64_t	kb = pp_f64_key(y->v);

	if (ka != kb)
		return ka < kb ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Order by raw bit pattern: to check that a sort is a permutation. */
static int
cmp_bits(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(double));
}

/* The reference: a stable sort of v into o. */
static void
reference_sort(const double *v, size_t n, double *o)
{
	KeyedValue *kv = malloc(n * sizeof(KeyedValue) + 1);
	size_t		i;

	for (i = 0; i < n; i++)
	{
		kv[i].v = v[i];
		kv[i].pos = i;
	}
	qsort(kv, n, sizeof(KeyedValue), cmp_stable);
	for (i = 0; i < n; i++)
		o[i] = kv[i].v;
	free(kv);
}

/*
 * Sort, and select a few rank sets, checking against the reference: the
 * same key at every position (equal keys may differ only in the sign of
 * zero or a NaN payload) and a permutation of the input.
 */
static void
check_sort(const double *v, size_t n, const char *what)
{
	double	   *a = malloc(n * sizeof(double) + 1);
	double	   *o = malloc(n * sizeof(double) + 1);
	double	   *ob = malloc(n * sizeof(double) + 1);
	size_t		ranks[5];
	size_t		i,
				r,
				nr;
	int			ok;

	reference_sort(v, n, o);
	memcpy(ob, o, n * sizeof(double));
	qsort(ob, n, sizeof(double), cmp_bits);

	memcpy(a, v, n * sizeof(double));
	pp_sort_f64(a, n);
	ok = pp_is_sorted_f64(a, n);
	for (i = 0; i < n; i++)
		ok &= pp_f64_key(a[i]) == pp_f64_key(o[i]);
	qsort(a, n, sizeof(double), cmp_bits);
	CHECK(ok && memcmp(a, ob, n * sizeof(double)) == 0, "sort %s n=%zu", what, n);

	/* radix sort: the same key at every position (NaNs come out canonical) */
	{
		uint64_t   *tmp = malloc(n * sizeof(uint64_t) + 1);

		memcpy(a, v, n * sizeof(double));
		pp_radix_sort_f64(a, tmp, n);
		ok = 1;
		for (i = 0; i < n; i++)
			ok &= pp_f64_key(a[i]) == pp_f64_key(o[i]);
		CHECK(ok, "radix sort %s n=%zu", what, n);
		free(tmp);
	}

	if (n == 0)
		goto done;
	/* rank sets: one rank, both ends, a spread of ranks with neighbours */
	for (r = 0; r < 3; r++)
	{
		if (r == 0)
		{
			ranks[0] = n / 3;
			nr = 1;
		}
		else if (r == 1)
		{
			ranks[0] = 0;
			ranks[1] = n - 1;
			nr = n > 1 ? 2 : 1;
		}
		else
		{
			nr = 0;
			for (i = 0; i < 5; i++)
			{
				size_t		k = (size_t) ((double) (n - 1) * (0.1 + 0.2 * (double) i));

				if (nr == 0 || ranks[nr - 1] < k)
					ranks[nr++] = k;
			}
		}
		memcpy(a, v, n * sizeof(double));
		pp_select_f64(a, n, ranks, nr);
		ok = 1;
		for (i = 0; i < nr; i++)
		{
			size_t		k = ranks[i],
						m;

			ok &= pp_f64_key(a[k]) == pp_f64_key(o[k]);
			for (m = 0; m < n; m++)
				ok &= m < k ? pp_f64_key(a[m]) <= pp_f64_key(a[k])
					: pp_f64_key(a[m]) >= pp_f64_key(a[k]);
		}
		qsort(a, n, sizeof(double), cmp_bits);
		CHECK(ok && memcmp(a, ob, n * sizeof(double)) == 0,
			  "select %s n=%zu rank set %zu", what, n, r);
	}
done:
	free(a);
	free(o);
	free(ob);
}

static void
test_sort(void)
{
	static const size_t sizes[] = {0, 1, 2, 3, 31, 32, 33, 100, 2047, 5000, 100000};
	double	   *v = malloc(100000 * sizeof(double));
	size_t		i,
				k;

	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
	{
		size_t		n = sizes[k];

		for (i = 0; i < n; i++)
			v[i] = (rnd() - 0.5) * 1e6;
		check_sort(v, n, "uniform");
		for (i = 0; i < n; i++)
			v[i] = floor(rnd() * 10);	/* many ties */
		check_sort(v, n, "ties");
		for (i = 0; i < n; i++)
			v[i] = (double) (n - i);	/* descending */
		check_sort(v, n, "descending");
		for (i = 0; i < n; i++)
			v[i] = 1.0;			/* all equal */
		check_sort(v, n, "constant");
		for (i = 0; i < n; i++)
		{
			static const double specials[] = {INFINITY, -INFINITY, NAN, -0.0, 0.0,
			1e-310, -1e-310, 1.7976931348623157e308};

			v[i] = (i % 7 == 0) ? specials[(i / 7) % 8] : rnd() - 0.5;
		}
		check_sort(v, n, "specials");
	}

	/* small inputs sort stably: -0 and +0 keep their order */
	{
		double		z[4] = {0.0, 1.0, -0.0, -1.0};
		size_t		rank = 1;

		pp_select_f64(z, 4, &rank, 1);
		CHECK(z[0] == -1.0 && !signbit(z[1]) && signbit(z[2]) && z[3] == 1.0,
			  "signed zeros stable");
	}

	/* NaN of either sign sorts last, after +Infinity */
	{
		double		w[4] = {-NAN, INFINITY, 1.0, -INFINITY};

		pp_sort_f64(w, 4);
		CHECK(w[0] == -INFINITY && w[1] == 1.0 && w[2] == INFINITY && isnan(w[3]),
			  "nan last");
	}
	free(v);
}

/* One percentile through the kernel, on a copy of v. */
static double
percentile1(const double *v, size_t n, double f, bool continuous)
{
	double		copy[16];
	double		out;
	size_t		ranks[2];

	memcpy(copy, v, n * sizeof(double));
	pp_percentiles(copy, n, &f, 1, continuous, &out, ranks);
	return out;
}

static void
test_percentile(void)
{
	double		v[] = {4, 2, 3, 1};
	double		one[] = {7};
	double		inf[] = {INFINITY, 1, INFINITY};
	double		fr[] = {0.9, 0.5, 0.5, 0.0, 1.0};
	double		out[5];
	size_t		ranks[10];
	double		big[1000];
	size_t		i;

	CHECK(percentile1(v, 4, 0.5, true) == 2.5, "cont median");
	CHECK(percentile1(v, 4, 0.0, true) == 1.0, "cont 0");
	CHECK(percentile1(v, 4, 1.0, true) == 4.0, "cont 1");
	CHECK(percentile1(v, 4, 0.25, true) == 1.75, "cont 0.25");
	CHECK(percentile1(v, 4, 0.5, false) == 2.0, "disc median");
	CHECK(percentile1(v, 4, 0.0, false) == 1.0, "disc 0");
	CHECK(percentile1(v, 4, 1.0, false) == 4.0, "disc 1");
	CHECK(percentile1(v, 4, 0.51, false) == 3.0, "disc 0.51");
	CHECK(percentile1(one, 1, 0.3, true) == 7.0 && percentile1(one, 1, 0.3, false) == 7.0,
		  "single row");
	/* interpolating between two infinities gives NaN, as core does */
	CHECK(isnan(percentile1(inf, 3, 0.75, true)), "inf lerp");
	CHECK(percentile1(inf, 3, 0.25, true) == INFINITY, "finite to inf lerp");
	CHECK(pp_fraction_valid(0) && pp_fraction_valid(1) && !pp_fraction_valid(NAN) &&
		  !pp_fraction_valid(-0.1) && !pp_fraction_valid(1.1), "fraction validity");

	/* several fractions, unsorted and repeated, against a sorted copy */
	for (i = 0; i < 1000; i++)
		big[i] = floor(rnd() * 300);
	{
		double		sorted[1000];

		reference_sort(big, 1000, sorted);
		pp_percentiles(big, 1000, fr, 5, true, out, ranks);
		CHECK(out[0] == sorted[899] + (0.9 * 999 - 899) * (sorted[900] - sorted[899]) &&
			  out[1] == sorted[499] + (0.5 * 999 - 499) * (sorted[500] - sorted[499]) &&
			  out[2] == out[1] && out[3] == sorted[0] && out[4] == sorted[999],
			  "several continuous");
		pp_percentiles(big, 1000, fr, 5, false, out, ranks);
		CHECK(out[0] == sorted[899] && out[1] == sorted[499] && out[3] == sorted[0] &&
			  out[4] == sorted[999], "several discrete");
	}
}

static void
test_histogram(void)
{
	int32_t		b = -1;

	CHECK(pp_histogram_check(0, 10, 0) == PP_BAD_COUNT, "count 0");
	CHECK(pp_histogram_check(NAN, 10, 5) == PP_NAN_ARGUMENT, "nan bound");
	CHECK(pp_histogram_check(0, INFINITY, 5) == PP_INFINITE_BOUND, "inf bound");
	CHECK(pp_histogram_check(3, 3, 5) == PP_EQUAL_BOUNDS, "equal bounds");
	CHECK(pp_histogram_check(0, 10, 5) == PP_OK, "ok bounds");

	CHECK(pp_width_bucket(-1, 0, 10, 5, &b) == PP_OK && b == 0, "below");
	CHECK(pp_width_bucket(0, 0, 10, 5, &b) == PP_OK && b == 1, "at lo");
	CHECK(pp_width_bucket(1.99, 0, 10, 5, &b) == PP_OK && b == 1, "first");
	CHECK(pp_width_bucket(2, 0, 10, 5, &b) == PP_OK && b == 2, "second");
	CHECK(pp_width_bucket(10, 0, 10, 5, &b) == PP_OK && b == 6, "at hi");
	CHECK(pp_width_bucket(INFINITY, 0, 10, 5, &b) == PP_OK && b == 6, "inf");
	CHECK(pp_width_bucket(-INFINITY, 0, 10, 5, &b) == PP_OK && b == 0, "-inf");
	CHECK(pp_width_bucket(NAN, 0, 10, 5, &b) == PP_NAN_ARGUMENT, "nan x");
	/* reversed bounds count downwards */
	CHECK(pp_width_bucket(9, 10, 0, 5, &b) == PP_OK && b == 1, "reversed");
	CHECK(pp_width_bucket(11, 10, 0, 5, &b) == PP_OK && b == 0, "reversed above");
	CHECK(pp_width_bucket(0, 10, 0, 5, &b) == PP_OK && b == 6, "reversed at hi");
	CHECK(pp_width_bucket(nextafter(10, 0), 0, 10, 3, &b) == PP_OK && b == 3, "just below hi");
	/* ranges whose bucket arithmetic would overflow are refused */
	CHECK(pp_histogram_check(-1e308, 1e308, 2) == PP_RANGE_TOO_WIDE, "huge bounds");
	CHECK(pp_histogram_check(-1e305, 1e305, 10000) == PP_RANGE_TOO_WIDE, "huge product");
	CHECK(pp_histogram_check(-1e305, 1e305, 1) == PP_OK, "wide but computable");
	CHECK(pp_width_bucket(1e304, -1e305, 1e305, 1, &b) == PP_OK && b == 1, "wide bucket");
}

/* float8 order of two values, NaN greatest: the oracle for min and max. */
static double
ref_min(double a, double b)
{
	return pp_f64_key(b) < pp_f64_key(a) ? b : a;
}

static double
ref_max(double a, double b)
{
	return pp_f64_key(b) > pp_f64_key(a) ? b : a;
}

static void
test_vec(void)
{
	enum
	{
		LEN = 37				/* not a multiple of any vector width */
	};
	static const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -1.5, 2.5};
	double		acc[LEN],
				nonfinite[LEN],
				mn[LEN],
				mx[LEN],
				x[LEN];
	long double exact[LEN];
	int64_t		counts[LEN],
				other[LEN];
	int			row,
				i,
				ok_sum = 1,
				ok_min = 1,
				ok_max = 1;

	memset(acc, 0, sizeof(acc));
	memset(nonfinite, 0, sizeof(nonfinite));
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < LEN; i++)
		exact[i] = 0;
	for (row = 0; row < 50; row++)
	{
		for (i = 0; i < LEN; i++)
			x[i] = (i % 5 == 0 && row % 7 == 3) ? specials[(row + i) % 6] : rnd() * 100 - 50;
		pp_vec_add(acc, nonfinite, x, LEN);
		pp_vec_count(counts, 1, LEN);
		if (row == 0)
		{
			memcpy(mn, x, sizeof(x));
			memcpy(mx, x, sizeof(x));
		}
		else
		{
			double		rmn[LEN],
						rmx[LEN];

			for (i = 0; i < LEN; i++)
			{
				rmn[i] = ref_min(mn[i], x[i]);
				rmx[i] = ref_max(mx[i], x[i]);
			}
			pp_vec_min(mn, x, LEN);
			pp_vec_max(mx, x, LEN);
			for (i = 0; i < LEN; i++)
			{
				ok_min &= pp_f64_key(mn[i]) == pp_f64_key(rmn[i]);
				ok_max &= pp_f64_key(mx[i]) == pp_f64_key(rmx[i]);
			}
		}
		for (i = 0; i < LEN; i++)
			exact[i] += x[i];
	}
	for (i = 0; i < LEN; i++)
	{
		if (i % 5 == 0)
			ok_sum &= isnan(nonfinite[i]) && !isfinite(acc[i]);
		else
			ok_sum &= nonfinite[i] == 0.0 && fabs(acc[i] - (double) exact[i]) < 1e-9 &&
				counts[i] == 50;
	}
	CHECK(ok_sum, "vec sum and non-finite markers");
	CHECK(ok_min, "vec min, NaN greatest");
	CHECK(ok_max, "vec max, NaN greatest");
	CHECK(!pp_vec_overflowed(acc, nonfinite, LEN), "no overflow when inputs were infinite");

	/* finite inputs whose sum overflows */
	acc[0] = 1e308;
	nonfinite[0] = 0;
	x[0] = 1e308;
	pp_vec_add(acc, nonfinite, x, 1);
	CHECK(pp_vec_overflowed(acc, nonfinite, 1), "finite overflow detected");

	for (i = 0; i < LEN; i++)
		other[i] = i;
	pp_vec_count_add(counts, other, LEN);
	CHECK(counts[0] == 50 && counts[LEN - 1] == 50 + LEN - 1, "count add");
	CHECK(pp_min2(NAN, 1.0) == 1.0 && pp_min2(1.0, NAN) == 1.0 && isnan(pp_min2(NAN, NAN)) &&
		  isnan(pp_max2(1.0, NAN)) && isnan(pp_max2(NAN, 1.0)) && pp_max2(1.0, 2.0) == 2.0,
		  "scalar min/max");
}

/* Build a sketch of n distinct values at precision p; returns the estimate. */
static double
hll_estimate_of(int p, long n, uint64_t salt)
{
	size_t		m = PP_HLL_REGISTERS(p);
	uint8_t    *r = calloc(m, 1);
	double		e;
	long		i;

	for (i = 0; i < n; i++)
		pp_hll_dense_add(r, p, pp_mix64((uint64_t) i * 0x9E3779B97F4A7C15ULL + salt));
	e = pp_hll_estimate(r, p);
	free(r);
	return e;
}

static void
test_hll(void)
{
	static const long ns[] = {10, 1000, 30000, 1000000};
	static const int ps[] = {8, 12, 16};
	uint64_t	table[64],
				hashes[40],
				out[40];
	uint8_t		buf[4096],
				regs[16];
	PpHllView	view;
	size_t		i,
				k,
				n,
				len;
	int			a,
				b,
				ok = 1;

	/* estimates within 4 standard errors (1.04 / sqrt(m)) across ranges */
	for (a = 0; a < 3; a++)
		for (b = 0; b < 4; b++)
		{
			double		e = hll_estimate_of(ps[a], ns[b], 12345);
			double		sigma = 1.04 / sqrt((double) PP_HLL_REGISTERS(ps[a]));

			CHECK(fabs(e - ns[b]) <= 4 * sigma * ns[b] + 1,
				  "hll estimate p=%d n=%ld: %.0f", ps[a], ns[b], e);
		}
	CHECK(hll_estimate_of(10, 0, 1) == 0.0, "hll empty estimate");

	/* sparse set: duplicates ignored, collect returns each hash once */
	memset(table, 0, sizeof(table));
	for (i = 0; i < 30; i++)
		hashes[i] = pp_mix64(i + 1);
	for (i = 0; i < 30; i++)
		ok &= pp_hll_sparse_insert(table, 64, hashes[i], 99);
	for (i = 0; i < 30; i++)
		ok &= !pp_hll_sparse_insert(table, 64, hashes[i], 99);
	n = pp_hll_sparse_collect(table, 64, out);
	pp_hll_sort_hashes(out, n);
	pp_hll_sort_hashes(hashes, 30);
	CHECK(ok && n == 30 && memcmp(out, hashes, 30 * sizeof(uint64_t)) == 0, "hll sparse set");

	/* encode / decode round trips */
	len = pp_hll_encode_sparse(buf, 10, out, (uint32_t) n);
	CHECK(pp_hll_decode(buf, len, &view) && !view.dense && view.nsparse == 30 &&
		  view.precision == 10 && pp_hll_view_hash(&view, 7) == out[7], "hll sparse round trip");
	for (i = 0; i < 16; i++)
		regs[i] = (uint8_t) (i % 62);
	len = pp_hll_encode_dense(buf, 4, regs);
	CHECK(pp_hll_decode(buf, len, &view) && view.dense && memcmp(view.payload, regs, 16) == 0,
		  "hll dense round trip");

	/* saturated registers (a crafted sketch) clamp instead of overflowing */
	memset(regs, 61, sizeof(regs));
	CHECK(pp_hll_dense_cardinality(regs, 4) == INT64_MAX, "hll saturated clamps");

	/* hashes sharing their low bits still spread over the table */
	{
		uint64_t	big[4096];

		memset(big, 0, sizeof(big));
		for (i = 0; i < 2048; i++)
			ok &= pp_hll_sparse_insert(big, 4096, ((uint64_t) (i + 1)) << 40, 7);
		n = 0;
		for (i = 0; i + 1 < 4096; i++)
			n = (big[i] != 0 && big[i + 1] != 0 && big[i + 2 < 4096 ? i + 2 : i] != 0) ? n + 1 : n;
		CHECK(ok && n < 1500, "hll crafted low bits do not cluster (%zu)", n);
	}

	/*
	 * Mutation fuzz of the decoder: flip bytes and truncate valid encodings;
	 * every accepted value must satisfy the invariants decode promises.
	 */
	len = pp_hll_encode_sparse(buf, 10, out, (uint32_t) n);
	for (k = 0; k < 200000; k++)
	{
		uint8_t		mut[4096];
		size_t		mlen = len;

		memcpy(mut, buf, len);
		mut[(size_t) (rnd() * len)] ^= (uint8_t) (1 + rnd() * 255);
		if (rnd() < 0.3)
			mut[(size_t) (rnd() * len)] = (uint8_t) (rnd() * 256);
		if (rnd() < 0.2)
			mlen = (size_t) (rnd() * len);
		if (pp_hll_decode(mut, mlen, &view))
		{
			uint32_t	j;

			ok &= view.precision >= PP_HLL_MIN_PRECISION && view.precision <= PP_HLL_MAX_PRECISION;
			if (view.dense)
				ok &= mlen == pp_hll_dense_size(view.precision);
			else
			{
				ok &= mlen == pp_hll_sparse_size(view.nsparse);
				for (j = 1; j < view.nsparse; j++)
					ok &= pp_hll_view_hash(&view, j - 1) < pp_hll_view_hash(&view, j);
			}
		}
	}
	CHECK(ok, "hll decoder mutation fuzz");
}

/* Key bytes of item v, for topk tests: its decimal text. */
static uint32_t
item_key(int v, char *buf)
{
	return (uint32_t) sprintf(buf, "%d", v);
}

/* A hash for topk tests. */
static uint64_t
test_hash(const uint8_t *key, uint32_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	uint32_t	i;

	for (i = 0; i < len; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return pp_mix64(h);
}

/*
 * Check the space-saving guarantee against brute-force counts: every item
 * more frequent than n/k has a counter, and count - error <= freq <= count.
 */
static int
topk_guarantee(const PpTopk *t, const long *freq, int nitems)
{
	int			v,
				ok = 1;
	char		buf[16];

	for (v = 0; v < nitems; v++)
	{
		uint32_t	len = item_key(v, buf);
		int32_t		e = pp_topk_find(t, test_hash((uint8_t *) buf, len), (uint8_t *) buf, len);

		if (e < 0)
			ok &= freq[v] <= t->total / t->k;
		else
			ok &= t->entries[e].count - t->entries[e].error <= freq[v] &&
				freq[v] <= t->entries[e].count;
	}
	return ok;
}

static void
test_topk(void)
{
	enum
	{
		NITEMS = 2000,
		K = 25,
		N = 200000
	};
	static long freq[NITEMS];
	static char keys[N][8];
	PpTopkEntry entries[K];
	uint32_t	heap[K],
				order[K];
	int32_t		slots[64];
	PpTopk		t;
	uint8_t		buf[4096];
	size_t		len,
				k;
	int			i,
				ok = 1;

	/* a skewed stream: item ~ 1 / rnd, with keys kept alive in keys[] */
	pp_topk_init(&t, K, entries, heap, slots);
	for (i = 0; i < N; i++)
	{
		int			v = (int) (1.0 / (rnd() + 1.0 / NITEMS)) % NITEMS;
		uint32_t	len2 = item_key(v, keys[i]),
					idx;
		const uint8_t *old = NULL;

		freq[v]++;
		pp_topk_add(&t, test_hash((uint8_t *) keys[i], len2), (uint8_t *) keys[i], len2, 1,
					&idx, &old);
	}
	CHECK(t.total == N && t.n == K, "topk counted the stream");
	CHECK(topk_guarantee(&t, freq, NITEMS), "topk guarantee against brute force");

	/* the heap's root is the least count */
	for (i = 0; i < K; i++)
		ok &= t.entries[t.heap[0]].count <= t.entries[i].count;
	CHECK(ok, "topk heap order");

	/* encode, load, encode again: the same bytes; load keeps the guarantee */
	pp_topk_order(&t, order);
	len = pp_topk_encode(&t, order, buf);
	{
		PpTopkEntry e2[K];
		uint32_t	h2[K],
					o2[K];
		int32_t		s2[64];
		PpTopk		t2;
		uint8_t		buf2[4096];

		pp_topk_init(&t2, K, e2, h2, s2);
		CHECK(pp_topk_encoded_k(buf, len) == K && pp_topk_load(&t2, buf, len, test_hash),
			  "topk load");
		pp_topk_order(&t2, o2);
		CHECK(pp_topk_encode(&t2, o2, buf2) == len && memcmp(buf, buf2, len) == 0,
			  "topk encode round trip");
		CHECK(topk_guarantee(&t2, freq, NITEMS), "topk guarantee after load");

		/* mutation fuzz of the loader: nothing accepted breaks invariants */
		for (k = 0; k < 100000; k++)
		{
			uint8_t		mut[4096];
			size_t		mlen = len,
						j;

			memcpy(mut, buf, len);
			mut[(size_t) (rnd() * len)] ^= (uint8_t) (1 + rnd() * 255);
			if (rnd() < 0.2)
				mlen = (size_t) (rnd() * len);
			if (pp_topk_encoded_k(mut, mlen) != K)
				continue;
			pp_topk_init(&t2, K, e2, h2, s2);
			if (pp_topk_load(&t2, mut, mlen, test_hash))
				for (j = 0; j < t2.n; j++)
					ok &= t2.entries[j].count >= 1 && t2.entries[j].error < t2.entries[j].count &&
						pp_topk_find(&t2, t2.entries[j].hash, t2.entries[j].key,
									 t2.entries[j].keylen) == (int32_t) j;
		}
		CHECK(ok, "topk loader mutation fuzz");
	}
}

/* A sketch with room for everything the tests do to it. */
typedef struct TestSketch
{
	PpQsketch	s;
	uint32_t	room;			/* buffer size */
	uint64_t   *tmp;
} TestSketch;

static void
ts_init(TestSketch *t, uint32_t accuracy, uint32_t room, size_t centroid_room)
{
	pp_qs_init(&t->s, accuracy, malloc(centroid_room * sizeof(PpCentroid)),
			   malloc(room * sizeof(double)));
	t->room = room;
	t->tmp = malloc(room * sizeof(uint64_t));
}

static void
ts_add(TestSketch *t, double x)
{
	if (t->s.nbuffer == t->room)
		pp_qs_flush(&t->s, t->tmp);
	pp_qs_add(&t->s, x);
}

static void
ts_free(TestSketch *t)
{
	free(t->s.centroids);
	free(t->s.buffer);
	free(t->tmp);
}

/* Invariants of a flushed sketch: ordered means within [min, max], weights. */
static int
qs_valid(const PpQsketch *s)
{
	int64_t		w = 0;
	uint32_t	i;
	int			ok = s->nbuffer == 0;

	for (i = 0; i < s->ncentroids; i++)
	{
		ok &= s->centroids[i].weight >= 1;
		ok &= s->centroids[i].mean >= s->min && s->centroids[i].mean <= s->max;
		ok &= i == 0 || s->centroids[i].mean >= s->centroids[i - 1].mean;
		w += s->centroids[i].weight;
	}
	return ok && w == s->n_finite;
}

/* Fraction of sorted[0..n) <= x. */
static double
true_rank(const double *sorted, size_t n, double x)
{
	size_t		lo = 0,
				hi = n;

	while (lo < hi)
	{
		size_t		mid = (lo + hi) / 2;

		if (sorted[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (double) lo / (double) n;
}

static void
test_qsketch(void)
{
	static const double fr[] = {0, 0.001, 0.01, 0.1, 0.25, 0.3333, 0.5, 0.75, 0.9, 0.99, 0.999, 1};
	const size_t nfr = sizeof(fr) / sizeof(fr[0]);
	const size_t big = 1000000;
	double	   *v = malloc(big * sizeof(double));
	double	   *sorted = malloc(big * sizeof(double));
	double		exact[12];
	size_t		ranks[24];
	TestSketch	t,
				a,
				b;
	size_t		i,
				k;
	int			ok;

	/* fewer than 2 x accuracy values: exactly percentile_cont, and exact ranks */
	for (k = 1; k < 400; k += 37)
	{
		ts_init(&t, 200, 64, 1024);
		for (i = 0; i < k; i++)
		{
			v[i] = floor(rnd() * 50) - 25;
			ts_add(&t, v[i]);
		}
		pp_qs_flush(&t.s, t.tmp);
		memcpy(sorted, v, k * sizeof(double));
		pp_percentiles(sorted, k, fr, nfr, true, exact, ranks);
		pp_sort_f64(sorted, k);
		ok = qs_valid(&t.s) && t.s.ncentroids <= k;
		for (i = 0; i < nfr; i++)
			ok &= pp_qs_quantile(&t.s, fr[i]) == exact[i];
		for (i = 0; i < k; i++)
			ok &= pp_qs_rank(&t.s, sorted[i]) == true_rank(sorted, k, sorted[i]) &&
				pp_qs_rank(&t.s, sorted[i] + 0.5) == true_rank(sorted, k, sorted[i] + 0.5);
		CHECK(ok, "qsketch exact for n=%zu", k);
		ts_free(&t);
	}

	/* 1M values of four shapes, in one sketch and in two merged halves */
	for (k = 0; k < 4; k++)
	{
		double		worst = 0,
					worst_tail = 0,
					worst_merged = 0;
		int			monotone = 1;

		for (i = 0; i < big; i++)
		{
			double		u = rnd();

			v[i] = k == 0 ? u : k == 1 ? sqrt(-2 * log(1 - u)) * cos(2 * M_PI * rnd()) :
				k == 2 ? -log(1 - u) : pow(u, 4);
		}
		memcpy(sorted, v, big * sizeof(double));
		pp_sort_f64(sorted, big);
		ts_init(&t, 200, 4096, 4096 + 4096);
		ts_init(&a, 200, 4096, 4096 + 8192);
		ts_init(&b, 200, 4096, 4096 + 4096);
		for (i = 0; i < big; i++)
		{
			ts_add(&t, v[i]);
			ts_add(i % 3 ? &a : &b, v[i]);
		}
		pp_qs_flush(&t.s, t.tmp);
		pp_qs_flush(&a.s, a.tmp);
		pp_qs_flush(&b.s, b.tmp);
		pp_qs_merge(&a.s, &b.s);
		for (i = 0; i < nfr; i++)
		{
			double		e = fabs(true_rank(sorted, big, pp_qs_quantile(&t.s, fr[i])) - fr[i]);
			double		m = fabs(true_rank(sorted, big, pp_qs_quantile(&a.s, fr[i])) - fr[i]);

			worst = fmax(worst, e);
			worst_merged = fmax(worst_merged, m);
			if (fr[i] <= 0.01 || fr[i] >= 0.99)
				worst_tail = fmax(worst_tail, fmax(e, m));
			monotone &= i == 0 || pp_qs_quantile(&t.s, fr[i]) >= pp_qs_quantile(&t.s, fr[i - 1]);
		}
		CHECK(qs_valid(&t.s) && qs_valid(&a.s) && t.s.n_finite == (int64_t) big &&
			  a.s.n_finite == (int64_t) big, "qsketch invariants, shape %zu", k);
		CHECK(pp_qs_quantile(&t.s, 0) == sorted[0] && pp_qs_quantile(&t.s, 1) == sorted[big - 1] &&
			  pp_qs_quantile(&a.s, 0) == sorted[0] && pp_qs_quantile(&a.s, 1) == sorted[big - 1],
			  "qsketch min and max exact, shape %zu", k);
		CHECK(worst < 0.0005 && worst_merged < 0.002 && worst_tail < 0.0001 && monotone,
			  "qsketch rank error, shape %zu: %g, merged %g, tails %g", k, worst, worst_merged,
			  worst_tail);
		CHECK(t.s.ncentroids < 200 / 2 * log(1e6) + 100, "qsketch size, shape %zu: %u centroids",
			  k, t.s.ncentroids);
		ts_free(&t);
		ts_free(&a);
		ts_free(&b);
	}

	/* non-finite values are counted apart and sort as in float8 */
	{
		static const double in[] = {NAN, 1, -INFINITY, INFINITY, 2, -INFINITY, 3};

		ts_init(&t, 10, 64, 64);
		for (i = 0; i < 7; i++)
			ts_add(&t, in[i]);
		pp_qs_flush(&t.s, t.tmp);
		CHECK(pp_qs_quantile(&t.s, 0) == -INFINITY && pp_qs_quantile(&t.s, 2.0 / 6) == 1 &&
			  pp_qs_quantile(&t.s, 0.5) == 2 && pp_qs_quantile(&t.s, 5.0 / 6) == INFINITY &&
			  isnan(pp_qs_quantile(&t.s, 1)) && pp_qs_rank(&t.s, -INFINITY) == 2.0 / 7 &&
			  pp_qs_rank(&t.s, 2) == 4.0 / 7 && pp_qs_rank(&t.s, INFINITY) == 6.0 / 7 &&
			  pp_qs_rank(&t.s, NAN) == 1, "qsketch specials");
		ts_free(&t);
	}

	/* encoding: round trip; every single-byte change is rejected or loads valid */
	{
		uint8_t    *enc,
				   *mut;
		size_t		len;
		PpQsketch	l;
		PpCentroid *lc;

		ts_init(&t, 50, 256, 1024);
		for (i = 0; i < 700; i++)
			ts_add(&t, i % 3 == 0 ? INFINITY : rnd());
		pp_qs_flush(&t.s, t.tmp);
		len = pp_qs_encoded_size(&t.s);
		enc = malloc(len);
		mut = malloc(len);
		CHECK(pp_qs_encode(&t.s, enc) == len && pp_qs_encoded_centroids(enc, len) == t.s.ncentroids,
			  "qsketch encode");
		lc = malloc(t.s.ncentroids * sizeof(PpCentroid) + 1);
		pp_qs_init(&l, 0, lc, NULL);
		ok = pp_qs_load(&l, enc, len) && l.ncentroids == t.s.ncentroids && l.n_posinf == t.s.n_posinf &&
			memcmp(lc, t.s.centroids, t.s.ncentroids * sizeof(PpCentroid)) == 0;
		CHECK(ok, "qsketch load round trip");
		ok = !pp_qs_load(&l, enc, len - 1) && pp_qs_encoded_centroids(enc, len - 1) < 0;
		for (i = 0; i < len; i++)
		{
			memcpy(mut, enc, len);
			mut[i] ^= (uint8_t) (1 + (i * 7) % 255);
			if (pp_qs_encoded_centroids(mut, len) != (int64_t) t.s.ncentroids)
				continue;
			if (pp_qs_load(&l, mut, len))
			{
				uint8_t    *again = malloc(len);

				ok &= qs_valid(&l) && pp_qs_encode(&l, again) == len && memcmp(again, mut, len) == 0;
				free(again);
			}
		}
		CHECK(ok, "qsketch loader mutations");
		free(enc);
		free(mut);
		free(lc);
		ts_free(&t);
	}
	free(v);
	free(sorted);
}

/*
 * The spreading-activation definition over an edge list, every node every
 * iteration: the oracle for pp_spread.  Results as pp_spread orders them.
 */
static size_t
spread_reference(size_t n, const uint32_t *eu, const uint32_t *ev, const double *ew, size_t m,
				 const PpSpreadParams *p, const uint32_t *seeds, const double *a0, size_t nseeds,
				 PpSpreadResult *out, size_t max_nodes)
{
	double	   *a = calloc(n, sizeof(double)),
			   *nx = calloc(n, sizeof(double)),
			   *wsum = calloc(n, sizeof(double)),
			   *recv = calloc(n, sizeof(double)),
			   *insum = calloc(n, sizeof(double));
	int32_t    *reached = malloc(n * sizeof(int32_t));
	size_t	   *indeg = calloc(n, sizeof(size_t));
	size_t		i,
				e,
				nout = 0;
	int32_t		t;

	for (i = 0; i < n; i++)
		reached[i] = -1;
	for (e = 0; e < m; e++)
	{
		wsum[eu[e]] += ew[e];
		indeg[ev[e]]++;
	}
	for (i = 0; i < nseeds; i++)
	{
		a[seeds[i]] = a0[i];
		reached[seeds[i]] = 0;
	}
	for (t = 1; t <= p->max_iterations; t++)
	{
		double		change = 0;

		memset(recv, 0, n * sizeof(double));
		memset(insum, 0, n * sizeof(double));
		for (e = 0; e < m; e++)
		{
			double		au = a[eu[e]];

			insum[ev[e]] += au;
			if (au > 0 && au >= p->threshold && (!p->normalize || wsum[eu[e]] > 0))
				recv[ev[e]] += p->spread * au * ew[e] / (p->normalize ? wsum[eu[e]] : 1);
		}
		for (i = 0; i < n; i++)
		{
			double		inh = indeg[i] ? p->inhibition * insum[i] / (double) indeg[i] : 0;
			double		x = (1 - p->decay) * a[i] + recv[i] - inh;

			nx[i] = x < 0 ? 0 : x > 1 ? 1 : x;
			change = fmax(change, fabs(nx[i] - a[i]));
		}
		for (i = 0; i < n; i++)
		{
			a[i] = nx[i];
			if (reached[i] < 0 && a[i] > 0 && a[i] >= p->threshold)
				reached[i] = t;
		}
		if (change < p->epsilon)
			break;
	}
	/* selection by repeated scans: fine for test sizes */
	while (nout < max_nodes)
	{
		int64_t		best = -1;

		for (i = 0; i < n; i++)
			if (a[i] > 0 && a[i] >= p->threshold &&
				(best < 0 || a[i] > a[best]))
				best = (int64_t) i;
		if (best < 0)
			break;
		out[nout].node = (uint32_t) best;
		out[nout].activation = a[best];
		out[nout++].iteration = reached[best];
		a[best] = -1;
	}
	free(a);
	free(nx);
	free(wsum);
	free(recv);
	free(insum);
	free(reached);
	free(indeg);
	return nout;
}

static void
test_graph(void)
{
	int			round,
				saw_dense = 0,
				saw_push_only = 0;
	PpSpreadScratch s;
	void	   *sblock = calloc(1, pp_spread_scratch_size(400));

	pp_spread_scratch_layout(&s, sblock, 400);
	for (round = 0; round < 60; round++)
	{
		size_t		m = 50 + (size_t) (rnd() * (round % 3 == 0 ? 4000 : 400)),
					i,
					nid;
		bool		directed = round % 4 != 1;
		int64_t    *src = malloc(m * sizeof(int64_t)),
				   *dst = malloc(m * sizeof(int64_t)),
				   *ids = malloc(2 * m * sizeof(int64_t));
		uint64_t   *tmp = malloc(2 * m * sizeof(uint64_t));
		double	   *w = malloc(m * sizeof(double));
		uint32_t   *eu = malloc(2 * m * sizeof(uint32_t)),
				   *ev = malloc(2 * m * sizeof(uint32_t));
		double	   *ew = malloc(2 * m * sizeof(double));
		uint32_t   *sn = malloc(m * sizeof(uint32_t)),
				   *dn = malloc(m * sizeof(uint32_t));
		bool		dense_ids = round % 2 == 0;
		PpGraph		g,
					g2;
		void	   *block,
				   *block2;
		uint32_t   *index = NULL;
		size_t		index_size,
					slice = 1 + (size_t) (rnd() * 60);
		PpSpreadParams p;
		uint32_t	seeds[3];
		double		a0[3];
		PpSpreadResult got[400],
					want[400];
		size_t		ngot,
					nwant,
					nm = 0;
		int32_t		iters,
					dense;
		int			ok = 1;

		for (i = 0; i < m; i++)
		{
			/*
			 * ids spread over negative and positive values (dense enough
			 * for a direct index in even rounds), some self-loops
			 */
			int64_t		scale = dense_ids ? 1 : 7919;

			src[i] = (int64_t) (rnd() * 300) * scale - 1000000;
			dst[i] = i % 17 == 0 ? src[i] : (int64_t) (rnd() * 300) * scale - 1000000;
			w[i] = i % 13 == 0 ? 0 : floor(rnd() * 100) / 10;
		}
		nid = pp_graph_distinct_ids(src, dst, m, ids, tmp);
		block = malloc(pp_graph_size(nid, directed ? m : 2 * m));
		pp_graph_layout(&g, block, nid, directed ? m : 2 * m);
		pp_graph_build(&g, ids, src, dst, w, m, directed, sn, dn);

		/*
		 * The same graph built step by step in slices, through the direct
		 * index when the ids are dense: byte for byte the same block.
		 */
		index_size = pp_graph_index_size(ids, nid);
		CHECK((index_size > 0) == dense_ids, "graph index chosen for dense ids only, round %d", round);
		if (index_size > 0)
		{
			index = malloc(index_size);
			pp_graph_index(ids, nid, index);
		}
		block2 = malloc(pp_graph_size(nid, directed ? m : 2 * m));
		pp_graph_layout(&g2, block2, nid, directed ? m : 2 * m);
		memset(sn, 0, m * sizeof(uint32_t));
		memset(dn, 0, m * sizeof(uint32_t));
		pp_graph_begin(&g2, ids);
		for (i = 0; i < m; i += slice)
		{
			size_t		k = m - i < slice ? m - i : slice;

			pp_graph_number(ids, nid, index, src + i, sn + i, k);
			pp_graph_number(ids, nid, index, dst + i, dn + i, k);
			pp_graph_count(&g2, sn + i, dn + i, k, directed);
		}
		pp_graph_offsets(&g2);
		for (i = 0; i < m; i += slice)
			pp_graph_fill(&g2, sn + i, dn + i, w + i, m - i < slice ? m - i : slice, directed);
		pp_graph_finish(&g2);
		CHECK(memcmp(g.ids, g2.ids, nid * sizeof(int64_t)) == 0 &&
			  memcmp(g.out_off, g2.out_off, (nid + 1) * sizeof(uint64_t)) == 0 &&
			  memcmp(g.in_off, g2.in_off, (nid + 1) * sizeof(uint64_t)) == 0 &&
			  memcmp(g.out_dst, g2.out_dst, g.nedges * sizeof(uint32_t)) == 0 &&
			  memcmp(g.in_src, g2.in_src, g.nedges * sizeof(uint32_t)) == 0 &&
			  memcmp(g.out_w, g2.out_w, g.nedges * sizeof(double)) == 0 &&
			  memcmp(g.in_w, g2.in_w, g.nedges * sizeof(double)) == 0 &&
			  memcmp(g.out_sum, g2.out_sum, nid * sizeof(double)) == 0,
			  "graph built in slices of %zu%s equals the one-step build, round %d",
			  slice, index ? " through the index" : "", round);
		for (i = 0; i < nid; i++)
			ok &= pp_graph_find(&g, ids[i]) == (int64_t) i && (i == 0 || ids[i] > ids[i - 1]);
		ok &= pp_graph_find(&g, ids[0] - 1) == -1 && g.out_off[nid] == g.nedges && g.in_off[nid] == g.nedges;
		for (i = 0; i < m; i++)
		{
			eu[nm] = (uint32_t) pp_graph_find(&g, src[i]);
			ev[nm] = (uint32_t) pp_graph_find(&g, dst[i]);
			ew[nm++] = w[i];
			if (!directed)
			{
				eu[nm] = ev[nm - 1];
				ev[nm] = eu[nm - 1];
				ew[nm++] = w[i];
			}
		}
		CHECK(ok, "graph build, round %d", round);

		p.spread = 0.3 + rnd();
		p.decay = rnd() * 0.5;
		p.threshold = round % 5 == 0 ? 0 : rnd() * 0.05;
		p.inhibition = round % 3 == 1 ? rnd() * 0.3 : 0;
		p.epsilon = round % 7 == 0 ? 0.01 : 1e-9;
		p.normalize = round % 6 != 2;
		p.max_iterations = (int32_t) (rnd() * 15);
		p.check = NULL;
		for (i = 0; i < 3; i++)
		{
			seeds[i] = (uint32_t) ((size_t) (rnd() * nid) % nid);
			a0[i] = i == 2 ? 0.3 : 1;
		}
		if (seeds[1] == seeds[0] || seeds[2] == seeds[0] || seeds[2] == seeds[1])
		{
			seeds[1] = (seeds[0] + 1) % nid;
			seeds[2] = (seeds[0] + 2) % nid;
		}
		ngot = pp_spread(&g, &s, &p, seeds, a0, nid >= 3 ? 3 : 1, got, 50, &iters, &dense);
		nwant = spread_reference(nid, eu, ev, ew, nm, &p, seeds, a0, nid >= 3 ? 3 : 1, want, 50);
		/*
		 * Position by position the same activation; node by node the same
		 * activation and iteration.  Nodes whose activations differ in the
		 * last bit only (summed in another order) may swap places.
		 */
		ok = ngot == nwant;
		for (i = 0; ok && i < ngot; i++)
		{
			size_t		j;

			ok &= fabs(got[i].activation - want[i].activation) <= 1e-9;
			for (j = 0; j < nwant && want[j].node != got[i].node; j++)
				;
			ok &= j < nwant && (j == i || fabs(want[j].activation - want[i].activation) <= 1e-12) &&
				got[i].iteration == want[j].iteration &&
				fabs(got[i].activation - want[j].activation) <= 1e-9;
		}
		CHECK(ok, "spread vs reference, round %d: %zu vs %zu results, %d dense steps",
			  round, ngot, nwant, dense);
		/* the scratch is left clean for the next query */
		ok = 1;
		for (i = 0; i < 400; i++)
			ok &= s.a[i] == 0 && s.next[i] == 0 && s.sum[i] == 0 && s.inh[i] == 0 &&
				s.reached[i] == 0 && s.mark[i] == 0;
		CHECK(ok, "spread scratch clean, round %d", round);
		if (dense > 0)
			saw_dense = 1;
		else if (iters > 2)
			saw_push_only = 1;
		free(src);
		free(dst);
		free(ids);
		free(tmp);
		free(w);
		free(eu);
		free(ev);
		free(ew);
		free(sn);
		free(dn);
		free(index);
		free(block);
		free(block2);
	}
	CHECK(saw_dense && saw_push_only, "both push-only and dense runs exercised (%d, %d)",
		  saw_dense, saw_push_only);
	free(sblock);
}


/* Days from 2000-01-01 by walking the calendar: the oracle for pp_days_from_2000. */
static int64_t
walk_days(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t		days = 0;

	for (int yy = (y < 2000 ? y : 2000); yy < (y < 2000 ? 2000 : y); yy++)
	{
		int			leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;

		days += (y < 2000 ? -1 : 1) * (365 + leap);
	}
	for (int mm = 1; mm < m; mm++)
		days += mdays[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return days + d - 1;
}

static void
test_textparse(void)
{
	PpDateTime	dt;
	int64_t		v;
	double		d;
	static const char *refused[] = {
		"", "2024", "2024-1-05", "2024-01-5", "0000-01-01", "10000-01-01", "2024-13-01",
		"2024-00-10", "2023-02-29", "2100-02-29", "2024-04-31", " 2024-01-01", "2024-01-01 ",
		"2024-01-01 24:00:00", "2024-01-01 23:60", "2024-01-01 23:59:60", "2024-01-01 12",
		"2024-01-01 12:00:00.", "2024-01-01 12:00:00.1234567", "2024-01-01t12:00",
		"2024-01-01 12:00Z", "2024-01-01 12:00+16", "2024-01-01 12:00+05:", "2024-01-01 12:00+5",
		"2024-01-01 12:00+05:60", "2024-01-01 12:00 +05", "2024-01-01+05", "01/02/2024",
		"2024-01-01 12:00:00 BC", "epoch", "2024-01-01\0"
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK(!pp_parse_iso_datetime(refused[i], strlen(refused[i]) + (i + 1 == sizeof(refused) / sizeof(refused[0])), &dt),
			  "refuses \"%s\"", refused[i]);

	CHECK(pp_parse_iso_datetime("2024-02-29", 10, &dt) && !dt.has_time &&
		  dt.year == 2024 && dt.mon == 2 && dt.day == 29, "a leap day");
	CHECK(pp_parse_iso_datetime("2000-01-01T00:00:00.5", 21, &dt) && dt.usec == 500000 &&
		  pp_datetime_local_usecs(&dt) == 500000, "T separator, half a second");
	CHECK(pp_parse_iso_datetime("1999-12-31 23:59:59.000001-05:30", 32, &dt) && dt.has_tz &&
		  dt.gmtoff == -(5 * 3600 + 30 * 60) &&
		  pp_datetime_local_usecs(&dt) == -999999, "offset and microsecond");
	CHECK(pp_parse_iso_datetime("2024-06-01 12:34+0200", 21, &dt) && dt.gmtoff == 7200 &&
		  dt.sec == 0, "+HHMM offset, no seconds");

	/* every day of a few centuries against walking the calendar */
	{
		int			bad = 0;

		for (int y = 1; y <= 9999; y += (y < 1590 || y > 2410) ? 97 : 1)
			for (int m = 1; m <= 12; m++)
				for (int dd = 1; dd <= 28; dd += 9)
					bad += pp_days_from_2000(y, m, dd) != walk_days(y, m, dd);
		CHECK(bad == 0, "pp_days_from_2000 agrees with the calendar (%d differ)", bad);
		CHECK(pp_days_from_2000(1, 1, 1) == -730119, "0001-01-01 is day -730119");
	}

	/*
	 * pp_parse_iso19, the fixed form: every refused string above is refused,
	 * and over every day of the years below and times around the edges it
	 * accepts exactly what pp_parse_iso_datetime accepts (with no offset or
	 * fraction), with the same fields; one byte changed is refused by both.
	 */
	{
		int			bad = 0,
					y,
					mo,
					dd,
					secs;
		static const char *times[] = {"00:00:00", "23:59:59", "12:34:56", "24:00:00",
		"23:60:00", "23:59:60", "1a:00:00", "09:05:07"};
		char		buf[32];

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			bad += pp_parse_iso19(refused[i], strlen(refused[i]), &y, &mo, &dd, &secs);
		CHECK(bad == 0, "pp_parse_iso19 refuses what the general parser refuses");
		for (int yy = 0; yy <= 10000; yy += (yy < 1890 || yy > 2110) ? 37 : 1)
			for (int m = 0; m <= 13; m++)
				for (int day = 0; day <= 32; day++)
					for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++)
					{
						int			n = snprintf(buf, sizeof(buf), "%04d-%02d-%02d %s", yy, m, day, times[t]);
						int			fast = pp_parse_iso19(buf, n, &y, &mo, &dd, &secs);
						int			gen = pp_parse_iso_datetime(buf, n, &dt);

						if (fast != gen ||
							(fast && (y != dt.year || mo != dt.mon || dd != dt.day ||
									  secs != (dt.hour * 60 + dt.min) * 60 + dt.sec ||
									  dt.has_tz || dt.usec != 0)))
							bad++;
						if (gen && day % 7 == 0)
						{
							/* a byte changed at every position */
							for (int k = 0; k < n; k++)
							{
								char		save = buf[k];

								buf[k] = k % 2 ? '/' : 'x';
								bad += pp_parse_iso19(buf, n, &y, &mo, &dd, &secs);
								buf[k] = save;
							}
						}
					}
		CHECK(bad == 0, "pp_parse_iso19 agrees with pp_parse_iso_datetime (%d differ)", bad);
		CHECK(!pp_parse_iso19("2024-01-01T12:00:00", 19, &y, &mo, &dd, &secs) &&
			  !pp_parse_iso19("2024-01-01 12:00:00.5", 21, &y, &mo, &dd, &secs) &&
			  !pp_parse_iso19("2024-01-01 12:00:00", 18, &y, &mo, &dd, &secs),
			  "pp_parse_iso19: only the 19-byte space-separated form");
	}

	CHECK(pp_parse_int("-2147483648", 11, INT32_MIN, INT32_MAX, &v) && v == INT32_MIN, "int4 min");
	CHECK(!pp_parse_int("2147483648", 10, INT32_MIN, INT32_MAX, &v), "int4 overflow refused");
	CHECK(pp_parse_int("+007", 4, INT16_MIN, INT16_MAX, &v) && v == 7, "sign and zeros");
	CHECK(!pp_parse_int(" 1", 2, INT16_MIN, INT16_MAX, &v) && !pp_parse_int("-", 1, 0, 9, &v) &&
		  !pp_parse_int("1_000", 5, 0, 9999, &v) && !pp_parse_int("9223372036854775807", 19,
																	INT64_MIN, INT64_MAX, &v),
		  "spaces, bare sign, underscores and 19 digits refused");
	CHECK(pp_parse_double("-1.25e-3", 8, &d) && d == -1.25e-3, "float8 with exponent");
	CHECK(pp_parse_double("5.", 2, &d) && d == 5.0 && pp_parse_double(".5", 2, &d) && d == 0.5,
		  "float8 5. and .5");
	CHECK(!pp_parse_double("1e400", 5, &d) && !pp_parse_double("1e-400", 6, &d) &&
		  !pp_parse_double("NaN", 3, &d) && !pp_parse_double("1e", 2, &d) &&
		  !pp_parse_double("0x1p3", 5, &d) && !pp_parse_double(".", 1, &d),
		  "out of range and other spellings refused");
	CHECK(pp_parse_bool("true", 4, &v) && v == 1 && pp_parse_bool("0", 1, &v) && v == 0 &&
		  !pp_parse_bool("TRUE", 4, &v) && !pp_parse_bool("yes", 3, &v), "bool spellings");
}

/* Columns of n rows for the batch kernel tests. */
typedef struct TestCol
{
	int64_t		i[8];
	double		f[8];
	PpStr		s[8];
	uint8_t		null[8];
	uint8_t		status[8];
	PpCol		col;
} TestCol;

static PpCol *
tcol(TestCol *t)
{
	t->col.i = t->i;
	t->col.f = t->f;
	t->col.s = t->s;
	t->col.null = t->null;
	t->col.status = t->status;
	return &t->col;
}

static int	fake_lookups;

/* A zone at +1h, except that the offset changes inside hour 5. */
static int
fake_tz(void *arg, int64_t hour, int64_t *gmtoff)
{
	fake_lookups++;
	*gmtoff = 3600;
	return hour != 5;
}

static void
test_batch(void)
{
	TestCol		a = {0},
				b = {0},
				o = {0};
	PpTzCache	cache;

	/* int4: overflow, division by zero, INT_MIN / -1, x % -1, NULL */
	a.i[0] = INT32_MAX; b.i[0] = 1;
	a.i[1] = 7; b.i[1] = 0;
	a.i[2] = INT32_MIN; b.i[2] = -1;
	a.i[3] = -7; b.i[3] = 2;
	a.null[4] = 1;
	b.status[5] = PP_ROW_UNPARSED;
	pp_int_arith(PP_ADD, INT32_MIN, INT32_MAX, tcol(&a), tcol(&b), tcol(&o), 6);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE && o.null[0], "int4 + overflows");
	CHECK(o.status[4] == PP_ROW_OK && o.null[4], "NULL + x is NULL");
	CHECK(o.status[5] == PP_ROW_UNPARSED, "an argument's status propagates");
	pp_int_arith(PP_DIV, INT32_MIN, INT32_MAX, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[1] == PP_ROW_DIVISION_BY_ZERO && o.status[2] == PP_ROW_OUT_OF_RANGE &&
		  o.status[3] == PP_ROW_OK && o.i[3] == -3, "int4 /: zero, INT_MIN / -1, truncation");
	pp_int_arith(PP_MOD, INT64_MIN, INT64_MAX, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[2] == PP_ROW_OK && o.i[2] == 0 && o.i[3] == -1, "x %% -1 is 0; -7 %% 2 is -1");
	a.i[0] = INT64_MIN; b.i[0] = -1;
	pp_int_arith(PP_DIV, INT64_MIN, INT64_MAX, tcol(&a), tcol(&b), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE, "int8 min / -1 overflows");
	a.i[0] = INT16_MIN;
	pp_int_neg(INT16_MIN, INT16_MAX, tcol(&a), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE, "-(-32768) overflows int2");

	/* float8: overflow, underflow, 0/0 and x/0, NaN and infinity pass */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.f[0] = 1e308; b.f[0] = 10;
	a.f[1] = 1e-308; b.f[1] = 1e-308;
	a.f[2] = INFINITY; b.f[2] = 0;
	a.f[3] = NAN; b.f[3] = 2;
	pp_f8_arith(PP_MUL, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[0] == PP_ROW_FLOAT_OVERFLOW && o.status[1] == PP_ROW_FLOAT_UNDERFLOW,
		  "float8 * overflow and underflow");
	CHECK(o.status[2] == PP_ROW_OK && isnan(o.f[2]) && o.status[3] == PP_ROW_OK && isnan(o.f[3]),
		  "Infinity * 0 and NaN * 2 are NaN, no error");
	pp_f8_arith(PP_DIV, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[2] == PP_ROW_DIVISION_BY_ZERO, "Infinity / 0 is division by zero");
	b.f[3] = 0;
	pp_f8_arith(PP_DIV, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[3] == PP_ROW_OK && isnan(o.f[3]), "NaN / 0 is NaN");
	a.f[0] = -1; a.f[1] = -0.0;
	pp_f8_sqrt(tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_SQRT_NEGATIVE && o.status[1] == PP_ROW_OK && signbit(o.f[1]),
		  "sqrt(-1) flagged, sqrt(-0) is -0");
	/* float8 functions: PostgreSQL's errors and special cases flagged */
	a.f[0] = 0; a.f[1] = -1; a.f[2] = NAN; a.f[3] = 100; a.f[4] = 1;
	pp_f8_math(PP_LN, tcol(&a), tcol(&o), 5);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == log(100.0) &&
		  o.status[4] == PP_ROW_OK && o.f[4] == 0.0,
		  "ln: 0, -1 and NaN flagged, ln(100), ln(1) = 0");
	pp_f8_math(PP_LOG10, tcol(&a), tcol(&o), 5);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == 2.0,
		  "log10: 0 flagged, log10(100) = 2");
	a.f[0] = 1000; a.f[1] = -1000; a.f[2] = INFINITY; a.f[3] = 1;
	pp_f8_math(PP_EXP, tcol(&a), tcol(&o), 4);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == exp(1.0),
		  "exp: overflow, underflow and infinity flagged, exp(1)");
	a.f[0] = -2.5; a.f[1] = 2.5; a.f[2] = -0.5; a.f[3] = NAN;
	pp_f8_math(PP_ROUND, tcol(&a), tcol(&o), 4);
	CHECK(o.f[0] == -2 && o.f[1] == 2 && o.f[2] == 0 && signbit(o.f[2]) && isnan(o.f[3]),
		  "round is rint: halves to even, -0.5 to -0");
	pp_f8_math(PP_TRUNC, tcol(&a), tcol(&o), 4);
	CHECK(o.f[0] == -2 && o.f[1] == 2 && o.f[2] == 0 && signbit(o.f[2]) && isnan(o.f[3]),
		  "trunc toward zero");
	pp_f8_math(PP_FLOOR, tcol(&a), tcol(&o), 2);
	CHECK(o.f[0] == -3 && o.f[1] == 2, "floor");
	pp_f8_math(PP_CEIL, tcol(&a), tcol(&o), 2);
	CHECK(o.f[0] == -2 && o.f[1] == 3, "ceil");
	a.f[0] = -27; a.f[1] = 1e-320;
	pp_f8_math(PP_CBRT, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_OK && fabs(o.f[0] + 3) < 1e-15 && o.status[1] == PP_ROW_OK,
		  "cbrt(-27) = -3; cbrt of a subnormal is not zero");
	a.f[0] = 2; b.f[0] = 0.5;
	a.f[1] = 0; b.f[1] = -1;
	a.f[2] = -8; b.f[2] = 1.0 / 3;
	a.f[3] = 10; b.f[3] = 400;
	a.f[4] = 10; b.f[4] = -400;
	a.f[5] = -2; b.f[5] = 2;
	pp_f8_pow(tcol(&a), tcol(&b), tcol(&o), 6);
	CHECK(o.status[0] == PP_ROW_OK && o.f[0] == pow(2, 0.5) && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_SPECIAL &&
		  o.status[4] == PP_ROW_SPECIAL && o.status[5] == PP_ROW_SPECIAL,
		  "power: 2^0.5; 0^-1, complex, overflow, underflow, negative base flagged");
	memset(&b, 0, sizeof(b));
	a.f[0] = 3.5e38;
	pp_f8_to_f4(tcol(&a), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_FLOAT_OVERFLOW, "float8 to float4 overflow");
	a.f[0] = 2147483647.5;
	a.f[1] = -2147483648.5;
	pp_float_to_int(0, INT32_MIN, INT32_MAX, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE && o.status[1] == PP_ROW_OK && o.i[1] == INT32_MIN,
		  "rint then range: 2147483647.5 out, -2147483648.5 in");

	/* NaN sorts above everything and equals itself */
	a.f[0] = NAN; b.f[0] = INFINITY;
	a.f[1] = NAN; b.f[1] = NAN;
	pp_float_cmp(PP_GT, tcol(&a), tcol(&b), tcol(&o), 2);
	CHECK(o.i[0] == 1 && o.i[1] == 0, "NaN > Infinity, not NaN > NaN");

	/* AND: a false first argument hides the second's status */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.i[0] = 0; b.status[0] = PP_ROW_DIVISION_BY_ZERO;
	a.i[1] = 1; b.status[1] = PP_ROW_DIVISION_BY_ZERO;
	a.null[2] = 1; b.i[2] = 0;
	a.null[3] = 1; b.i[3] = 1;
	pp_bool_and_step(tcol(&a), tcol(&b), 4);
	CHECK(a.status[0] == PP_ROW_OK && !a.null[0] && a.i[0] == 0, "false AND error is false");
	CHECK(a.status[1] == PP_ROW_DIVISION_BY_ZERO, "true AND error is the error");
	CHECK(!a.null[2] && a.i[2] == 0 && a.null[3], "NULL AND false is false, NULL AND true NULL");

	/* text to timestamptz through the cache, a transition hour flagged */
	memset(&a, 0, sizeof(a));
	a.s[0].p = "2000-01-01 04:30:00"; a.s[0].len = 19;
	a.s[1].p = "2000-01-01 04:59:59"; a.s[1].len = 19;
	a.s[2].p = "2000-01-01 05:00:00"; a.s[2].len = 19;
	a.s[3].p = "2000-01-01 04:00:00+02"; a.s[3].len = 22;
	a.s[4].p = "2000-01-01 04:00:00 "; a.s[4].len = 20;
	fake_lookups = 0;
	pp_tz_cache_init(&cache, fake_tz, NULL);
	pp_text_to_timestamptz(tcol(&a), tcol(&o), &cache, 5);
	CHECK(o.status[0] == PP_ROW_OK && o.i[0] == (int64_t) 3 * 3600 * 1000000 + 30 * 60 * 1000000LL,
		  "local 04:30 at +1h is 03:30 UTC");
	CHECK(o.status[2] == PP_ROW_TIME_ZONE && o.status[3] == PP_ROW_OK &&
		  o.i[3] == (int64_t) 2 * 3600 * 1000000 && o.status[4] == PP_ROW_UNPARSED,
		  "transition hour flagged, explicit offset applied, trailing space unparsed");
	CHECK(fake_lookups == 2, "one lookup per hour (%d)", fake_lookups);
}

/*
 * text to timestamptz over a batch (rows of one hour share the parsed
 * hour) against the same rows one call each: rows in time order, with
 * minutes, seconds and hours out of range, other characters, fractions and
 * other forms mixed in, across the transition hour of fake_tz.
 */
static void
test_timestamptz_hour_memo(void)
{
	enum
	{
		N = 6000
	};
	static char buf[N][40];
	static PpStr str[N];
	static int64_t v1[N],
				v2[N];
	static uint8_t nul0[N],
				st0[N],
				n1[N],
				s1[N],
				n2[N],
				s2[N];
	PpCol		a = {.s = str, .null = nul0, .status = st0};
	PpCol		o1 = {.i = v1, .null = n1, .status = s1};
	PpTzCache	cache;
	int			same = 1;
	uint64_t	seed = 42;

	for (int i = 0; i < N; i++)
	{
		int			t = 3 * 3600 + i * 2;	/* 03:00:00 on, 2 s apart */
		int			r;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (int) (seed >> 33) % 100;
		snprintf(buf[i], sizeof(buf[i]), "2000-01-%02d %02d:%02d:%02d", 1 + (r == 7),
				 t / 3600, t / 60 % 60, t % 60);
		if (r == 1)
			buf[i][14] = '6';	/* minute 6x */
		else if (r == 2)
			buf[i][17] = '7';	/* second 7x */
		else if (r == 3)
			buf[i][15] = 'x';
		else if (r == 4)
			buf[i][12] = '9';	/* another hour */
		else if (r == 5)
			strcat(buf[i], ".25");
		else if (r == 6)
			strcat(buf[i], "+02");
		else if (r == 8)
			buf[i][13] = '.';
		else if (r == 9)
			buf[i][11] = '2', buf[i][12] = '4';	/* hour 24 */
		str[i].p = buf[i];
		str[i].len = (int32_t) strlen(buf[i]);
	}
	pp_tz_cache_init(&cache, fake_tz, NULL);
	pp_text_to_timestamptz(&a, &o1, &cache, N);
	for (int i = 0; i < N; i++)
	{
		PpCol		ai = {.s = &str[i], .null = &nul0[i], .status = &st0[i]};
		PpCol		oi = {.i = &v2[i], .null = &n2[i], .status = &s2[i]};

		pp_tz_cache_init(&cache, fake_tz, NULL);
		pp_text_to_timestamptz(&ai, &oi, &cache, 1);
		if (s1[i] != s2[i] || n1[i] != n2[i] || (s1[i] == PP_ROW_OK && v1[i] != v2[i]))
		{
			if (same)
				printf("  row %d '%s': batch %d/%lld, alone %d/%lld\n", i, buf[i], s1[i],
					   (long long) v1[i], s2[i], (long long) v2[i]);
			same = 0;
		}
	}
	CHECK(same, "timestamptz of %d rows in one batch equals each row alone", N);
}

/* An allocator over malloc for the text kernels; fail: return NULL. */
static void *
test_alloc(void *arg, size_t size)
{
	return *(int *) arg ? NULL : malloc(size);
}

/* Row i of t is the C string str (NULL: SQL NULL). */
static void
set_str(TestCol *t, int i, const char *str)
{
	t->null[i] = str == NULL;
	t->status[i] = 0;
	t->s[i].p = str;
	t->s[i].len = str ? (int32_t) strlen(str) : 0;
}

/* Whether row i of t is the text str. */
static int
is_str(const TestCol *t, int i, const char *str)
{
	return t->status[i] == PP_ROW_OK && !t->null[i] &&
		t->s[i].len == (int32_t) strlen(str) && memcmp(t->s[i].p, str, strlen(str)) == 0;
}

/* The byte offsets of the characters of valid UTF8 s, from bit patterns. */
static int
utf8_offsets(const char *s, int *off)
{
	int			n = 0;

	for (int k = 0; s[k]; k++)
		if (((unsigned char) s[k] & 0xc0) != 0x80)
			off[n++] = k;
	off[n] = (int) strlen(s);
	return n;
}

/* Stand-in digests for the md5 kernel: the length in hex, or a failure. */
static bool
length_digest(const void *p, size_t len, char *hex)
{
	char		buf[40];

	snprintf(buf, sizeof(buf), "%032zx", len);
	memcpy(hex, buf, 32);
	return true;
}

static bool
failing_digest(const void *p, size_t len, char *hex)
{
	return false;
}

static void
test_textfn(void)
{
	/* strings of 1- to 4-byte characters */
	static const char *utf[] = {"", "a", "h\xc3\xa9llo", "\xe2\x82\xac", "x\xf0\x9f\x98\x80y",
		"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", "  pad  ", "abcdefgh"};
	TestCol		a = {0},
				b = {0},
				c = {0},
				o = {0};
	int			fail_alloc = 0;
	PpAlloc		mem = {test_alloc, &fail_alloc};

	/* md5: the column mechanics, with a stand-in digest (the glue passes PostgreSQL's MD5) */
	set_str(&a, 0, "abc");
	set_str(&a, 1, NULL);
	set_str(&a, 2, "");
	a.status[3] = PP_ROW_UNPARSED;
	a.null[3] = 1;
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, length_digest);
	CHECK(is_str(&o, 0, "00000000000000000000000000000003") && o.null[1] && !o.status[1] &&
		  is_str(&o, 2, "00000000000000000000000000000000") && o.status[3] == PP_ROW_UNPARSED,
		  "md5 column: value, NULL, empty, flag propagated");
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, failing_digest);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.null[1] && !o.status[1] && o.status[2] == PP_ROW_SPECIAL,
		  "a digest that fails flags its rows");
	fail_alloc = 1;
	pp_text_md5(tcol(&a), tcol(&o), 4, &mem, length_digest);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.null[1] && !o.status[1],
		  "no memory: rows with a value flagged");
	fail_alloc = 0;

	/* length: characters, against counting lead bytes */
	for (int k = 0; k < 8; k++)
		set_str(&a, k, utf[k]);
	pp_text_length(1, tcol(&a), tcol(&o), 8);
	for (int k = 0; k < 8; k++)
	{
		int			off[64];

		CHECK(o.status[k] == PP_ROW_OK && o.i[k] == utf8_offsets(utf[k], off),
			  "length(%s) = %lld", utf[k], (long long) o.i[k]);
	}
	pp_text_length(0, tcol(&a), tcol(&o), 8);
	CHECK(o.i[2] == 6 && o.i[5] == 10, "single-byte length is bytes");
	a.s[1].p = "\xf0\x9f";		/* a cut 4-byte character */
	a.s[1].len = 2;
	a.s[0].p = "a\0b";
	a.s[0].len = 3;
	pp_text_length(1, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL,
		  "a NUL byte or a cut character: flagged");

	/* substr: every start and count on every string, against the definition */
	for (int k = 0; k < 8; k++)
	{
		int			off[64],
					nch = utf8_offsets(utf[k], off);

		for (int st = -3; st <= 10; st++)
			for (int cnt = -2; cnt <= 12; cnt++)
			{
				int			big = cnt == 12;
				int64_t		count = big ? INT32_MAX : cnt;
				int64_t		from = st > 1 ? st : 1,
							to = st + count;	/* exclusive */
				char		want[64];
				int			wlen = 0;

				set_str(&a, 0, utf[k]);
				b.i[0] = st;
				b.null[0] = b.status[0] = 0;
				c.i[0] = count;
				c.null[0] = c.status[0] = 0;
				for (int64_t p = from; p < to && p <= nch; p++)
				{
					memcpy(want + wlen, utf[k] + off[p - 1], off[p] - off[p - 1]);
					wlen += off[p] - off[p - 1];
				}
				want[wlen] = '\0';
				pp_text_substr(1, tcol(&a), tcol(&b), tcol(&c), tcol(&o), 1);
				if (cnt < 0)
					CHECK(o.status[0] == PP_ROW_SPECIAL, "negative count flagged");
				else
					CHECK(is_str(&o, 0, want), "substr(%s, %d, %lld)", utf[k], st,
						  (long long) count);
				if (cnt == 0)
				{
					/* no count: to the end */
					want[0] = '\0';
					if (from <= nch)
						strcpy(want, utf[k] + off[from - 1]);
					pp_text_substr(1, tcol(&a), tcol(&b), NULL, tcol(&o), 1);
					CHECK(is_str(&o, 0, want), "substr(%s, %d)", utf[k], st);
				}
			}
	}
	set_str(&a, 0, "abc");
	b.null[0] = 1;
	pp_text_substr(1, tcol(&a), tcol(&b), tcol(&c), tcol(&o), 1);
	CHECK(o.null[0] && o.status[0] == PP_ROW_OK, "NULL start: NULL");
	b.null[0] = 0;

	/* trims: default (spaces) and given ASCII sets; a non-ASCII set flagged */
	set_str(&a, 0, "  a b  ");
	set_str(&a, 1, "xxaxbxx");
	set_str(&a, 2, "\xc3\xa9 x\xc3\xa9");
	set_str(&a, 3, "");
	set_str(&a, 4, "   ");
	set_str(&a, 5, NULL);
	set_str(&a, 6, "\t a\n");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b") && is_str(&o, 1, "xxaxbxx") &&
		  is_str(&o, 2, "\xc3\xa9 x\xc3\xa9") && is_str(&o, 3, "") && is_str(&o, 4, "") &&
		  o.null[5] && is_str(&o, 6, "\t a\n"), "btrim(a): spaces only");
	pp_text_trim(PP_TRIM_LEADING, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b  ") && is_str(&o, 4, ""), "ltrim(a)");
	pp_text_trim(PP_TRIM_TRAILING, tcol(&a), NULL, tcol(&o), 7);
	CHECK(is_str(&o, 0, "  a b") && is_str(&o, 4, ""), "rtrim(a)");
	for (int k = 0; k < 7; k++)
		set_str(&b, k, "x ");
	set_str(&b, 3, "");
	set_str(&b, 5, "x");
	set_str(&b, 6, "\xc3\xa9");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), tcol(&b), tcol(&o), 7);
	CHECK(is_str(&o, 0, "a b") && is_str(&o, 1, "axb") && is_str(&o, 2, "\xc3\xa9 x\xc3\xa9") &&
		  is_str(&o, 3, "") && o.null[5] && o.status[6] == PP_ROW_SPECIAL,
		  "btrim(a, set): set characters, never inside a character; non-ASCII set flagged");
	pp_text_trim(PP_TRIM_TRAILING, tcol(&a), tcol(&b), tcol(&o), 3);
	CHECK(is_str(&o, 1, "xxaxb"), "rtrim(a, set)");
	/* 0xa9, the last byte of \xc3\xa9, is ')' with the high bit set */
	set_str(&a, 0, ")\xc3\xa9)");
	set_str(&b, 0, ")");
	pp_text_trim(PP_TRIM_BOTH, tcol(&a), tcol(&b), tcol(&o), 1);
	CHECK(is_str(&o, 0, "\xc3\xa9"), "trims never take bytes of a multibyte character");

	/* lower/upper: ASCII letters only; non-ASCII rows flagged */
	set_str(&a, 0, "Hello, World 09 @[`{");
	set_str(&a, 1, "\xc3\x89t\xc3\xa9");
	set_str(&a, 2, "");
	set_str(&a, 3, NULL);
	pp_text_case(0, tcol(&a), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "hello, world 09 @[`{") && o.status[1] == PP_ROW_SPECIAL &&
		  is_str(&o, 2, "") && o.null[3] && !o.status[3], "lower");
	pp_text_case(1, tcol(&a), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "HELLO, WORLD 09 @[`{") && o.status[1] == PP_ROW_SPECIAL, "upper");

	/* concatenation: NULL either side, flags in argument order */
	set_str(&a, 0, "ab");
	set_str(&b, 0, "\xc3\xa9");
	set_str(&a, 1, "");
	set_str(&b, 1, "");
	set_str(&a, 2, NULL);
	b.status[2] = PP_ROW_OUT_OF_RANGE;
	b.null[2] = 1;
	set_str(&a, 3, "x");
	set_str(&b, 3, NULL);
	pp_text_cat(tcol(&a), tcol(&b), tcol(&o), 4, &mem);
	CHECK(is_str(&o, 0, "ab\xc3\xa9") && is_str(&o, 1, "") &&
		  o.status[2] == PP_ROW_OUT_OF_RANGE && o.null[3] && !o.status[3], "textcat");
	a.s[1].len = PP_TEXT_MAX_LEN;	/* only its length is read */
	b.s[1].p = "y";
	b.s[1].len = 1;
	pp_text_cat(tcol(&a), tcol(&b), tcol(&o), 2, &mem);
	CHECK(o.status[1] == PP_ROW_SPECIAL && is_str(&o, 0, "ab\xc3\xa9"),
		  "a result longer than text can be: flagged");
}

int
main(void)
{
	test_moments_against_two_pass(0.0);
	test_moments_against_two_pass(1e9);
	test_moments_edge_cases();
	test_sort();
	test_percentile();
	test_histogram();
	test_vec();
	test_hll();
	test_topk();
	test_qsketch();
	test_graph();
	test_textparse();
	test_batch();
	test_timestamptz_hour_memo();
	test_textfn();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
