/*
 * test_hll.c
 *		Unit tests of src/kernels/hll.c.
 *
 * HyperLogLog estimates within 4 standard errors, the sparse set, encode
 * and decode round trips, and mutation fuzz of the decoder.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/hll.h"
#include "unit.h"

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

/* HyperLogLog: estimate error, sparse sets, encodings and decoder fuzz. */
void
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
