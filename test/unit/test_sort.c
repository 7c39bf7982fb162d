/*
 * test_sort.c
 *		Unit tests of src/kernels/sort.c.
 *
 * Sorts and rank selection against a stable qsort with a NaN-aware
 * comparator.  reference_sort is also the oracle of test_percentile.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/sort.h"
#include "unit.h"

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
void
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

/* Sort and rank selection over several sizes and shapes of input. */
void
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
