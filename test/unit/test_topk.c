/*
 * test_topk.c
 *		Unit tests of src/kernels/topk.c.
 *
 * The space-saving guarantee against brute-force counts, the heap, encode
 * and load round trips, and mutation fuzz of the loader.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/kernels/hll.h"
#include "../../src/kernels/topk.h"
#include "unit.h"

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

/* Space-saving top-k: the guarantee, the heap, encodings and loader fuzz. */
void
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
