/*
 * fuzz_topk.c
 *		libFuzzer target for the topk loader (src/kernels/topk.c): any byte
 *		string must be either rejected or loaded into a summary whose
 *		entries can all be found again, under AddressSanitizer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../src/kernels/topk.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* A small hash: the fuzzer should find collisions too. */
static uint64_t
fuzz_hash(const uint8_t *key, uint32_t len)
{
	return len == 0 ? 0 : (uint64_t) key[0] * 31 + len;
}

/* Load, then look every entry up and encode it again. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t	k = pp_topk_encoded_k(data, size);
	PpTopk		t;
	PpTopkEntry *entries;
	uint32_t   *heap,
			   *order;
	int32_t    *slots;
	uint8_t    *out;
	uint32_t	i;

	if (k == 0 || k > 4096)
		return 0;
	entries = malloc(k * sizeof(PpTopkEntry));
	heap = malloc(k * sizeof(uint32_t));
	order = malloc(k * sizeof(uint32_t));
	slots = malloc(pp_topk_slots(k) * sizeof(int32_t));
	pp_topk_init(&t, k, entries, heap, slots);
	if (pp_topk_load(&t, data, size, fuzz_hash))
	{
		for (i = 0; i < t.n; i++)
			sink += (uint64_t) pp_topk_find(&t, entries[i].hash, entries[i].key, entries[i].keylen);
		pp_topk_order(&t, order);
		out = malloc(pp_topk_encoded_size(&t));
		sink += pp_topk_encode(&t, order, out);
		free(out);
	}
	free(entries);
	free(heap);
	free(order);
	free(slots);
	return 0;
}
