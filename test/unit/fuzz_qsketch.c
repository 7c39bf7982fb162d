/*
 * fuzz_qsketch.c
 *		libFuzzer target for the qsketch loader (src/kernels/qsketch.c): any
 *		byte string must be either rejected or loaded into a sketch that
 *		encodes back to the same bytes, answers quantiles in order (but for
 *		the NaN that interpolating between equal infinities gives) and
 *		ranks within [0, 1], and merges with itself, under AddressSanitizer.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/qsketch.h"
#include "../../src/kernels/sort.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		n = pp_qs_encoded_centroids(data, size);
	PpQsketch	s,
				copy;
	uint8_t    *again;
	double		prev = -INFINITY;
	int			i;

	if (n < 0)
		return 0;
	pp_qs_init(&s, 0, malloc(2 * (size_t) n * sizeof(PpCentroid) + 1), NULL);
	pp_qs_init(&copy, 0, malloc((size_t) n * sizeof(PpCentroid) + 1), NULL);
	if (pp_qs_load(&s, data, size))
	{
		again = malloc(size);
		if (pp_qs_encode(&s, again) != size || memcmp(again, data, size) != 0)
			abort();
		free(again);
		for (i = 0; i <= 20; i++)
		{
			double		q = pp_qs_quantile(&s, i / 20.0);
			double		r = pp_qs_rank(&s, q);

			/* NaN between equal infinities, as core's percentile_cont gives */
			if (isnan(q))
				continue;
			if (q < prev || !(r >= 0 && r <= 1))
				abort();
			prev = q;
		}
		/* merging with itself (when the counts allow) keeps the invariants */
		if (pp_qs_load(&copy, data, size) &&
			pp_qs_count(&s) <= INT64_MAX / 2)
		{
			pp_qs_merge(&s, &copy);
			for (i = 1; i < (int) s.ncentroids; i++)
				if (s.centroids[i].mean < s.centroids[i - 1].mean)
					abort();
		}
	}
	free(s.centroids);
	free(copy.centroids);
	return 0;
}
