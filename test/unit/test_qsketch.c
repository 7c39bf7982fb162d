/*
 * test_qsketch.c
 *		Unit tests of src/kernels/qsketch.c.
 *
 * Exactly percentile_cont while small, rank error on large inputs and on
 * merged halves, non-finite values, and encodings.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/percentile.h"
#include "../../src/kernels/qsketch.h"
#include "../../src/kernels/sort.h"
#include "unit.h"

/* A sketch with room for everything the tests do to it. */
typedef struct TestSketch
{
	PpQsketch	s;
	uint32_t	room;			/* buffer size */
	uint64_t   *tmp;
} TestSketch;

/* Set up t with a buffer of room values and centroid_room centroids. */
static void
ts_init(TestSketch *t, uint32_t accuracy, uint32_t room, size_t centroid_room)
{
	pp_qs_init(&t->s, accuracy, malloc(centroid_room * sizeof(PpCentroid)),
			   malloc(room * sizeof(double)));
	t->room = room;
	t->tmp = malloc(room * sizeof(uint64_t));
}

/* Add x to t, flushing the buffer when it is full. */
static void
ts_add(TestSketch *t, double x)
{
	if (t->s.nbuffer == t->room)
		pp_qs_flush(&t->s, t->tmp);
	pp_qs_add(&t->s, x);
}

/* Free the memory of t. */
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

/* Quantile sketch: exact when small, rank error, merges, specials, codec. */
void
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

	/*
	 * fewer than 2 x accuracy values: exactly percentile_cont, and exact
	 * ranks
	 */
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

	/*
	 * encoding: round trip; every single-byte change is rejected or loads
	 * valid
	 */
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
