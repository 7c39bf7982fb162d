/*
 * fuzz_hll.c
 *		libFuzzer target for the hll decoder (src/kernels/hll.c): any byte
 *		string must be either rejected or decoded into a view that can be
 *		read in full, under AddressSanitizer.  `make fuzz` runs it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/kernels/hll.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where results go so the compiler cannot drop the work. */
static volatile uint64_t sink;

/*
 * Decode, then use everything the view promises: the estimate of a dense
 * sketch, and for a sparse one every hash, inserted into a table as a
 * merge would.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PpHllView	view;
	uint64_t	table[2 * 16384];
	size_t		cap = 16;
	uint32_t	i;

	if (!pp_hll_decode(data, size, &view))
		return 0;
	if (view.dense)
	{
		sink = (uint64_t) pp_hll_dense_cardinality(view.payload, view.precision);
		return 0;
	}
	/* a table at most half full, as the aggregates keep it */
	while (cap < 2 * (size_t) view.nsparse)
		cap *= 2;
	memset(table, 0, cap * sizeof(uint64_t));
	for (i = 0; i < view.nsparse; i++)
		sink += pp_hll_sparse_insert(table, cap, pp_hll_view_hash(&view, i), 42);
	return 0;
}
