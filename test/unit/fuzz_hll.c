/*
 * fuzz_hll.c
 *		libFuzzer target for the hll decoder (src/kernels/hll.c): any byte
 *		string must be either rejected or decoded into a view that can be
 *		read in full, under AddressSanitizer.  `make fuzz` runs it.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../src/kernels/hll.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode, then touch everything the view promises. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PpHllView	view;
	uint64_t	sum = 0;
	uint32_t	i;

	if (!pp_hll_decode(data, size, &view))
		return 0;
	if (view.dense)
		return pp_hll_estimate(view.payload, view.precision) < 0;
	for (i = 0; i < view.nsparse; i++)
		sum += pp_hll_view_hash(&view, i);
	return sum == 1;
}
