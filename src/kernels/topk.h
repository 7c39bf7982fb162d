/*
 * topk.h
 *		Heavy hitters by the space-saving algorithm (Metwally et al.): k
 *		counters in a min-heap, found through a linear-probing hash table.
 *
 * Guarantee, for a stream of n items: every item whose frequency exceeds
 * n / k has a counter, and for a counted item
 *		count - error <= true frequency <= count.
 * The caller owns all memory, including the key bytes each entry points to.
 */
#ifndef PARPROC_KERNELS_TOPK_H
#define PARPROC_KERNELS_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_TOPK_MAX_K		100000
#define PP_TOPK_VERSION		1
#define PP_TOPK_HEADER		20	/* version, 3 zero bytes, k, n, total */
#define PP_TOPK_ENTRY_HEADER 20 /* count, error, key length */

typedef struct PpTopkEntry
{
	uint64_t	hash;
	int64_t		count;
	int64_t		error;
	const uint8_t *key;
	uint32_t	keylen;
	uint32_t	heappos;
} PpTopkEntry;

typedef struct PpTopk
{
	uint32_t	k;				/* counters at most */
	uint32_t	n;				/* counters in use */
	uint32_t	mask;			/* hash table slots - 1 */
	int64_t		total;			/* stream length */
	PpTopkEntry *entries;		/* k */
	uint32_t   *heap;			/* k entry indices, least count first */
	int32_t    *slots;			/* mask + 1 entry indices, -1 when empty */
} PpTopk;

/* Hash table slots for k counters: a power of two, at least 2k. */
extern size_t pp_topk_slots(uint32_t k);

/* Start an empty summary over caller-provided arrays. */
extern void pp_topk_init(PpTopk *t, uint32_t k, PpTopkEntry *entries,
						 uint32_t *heap, int32_t *slots);

/* Entry index of a key, or -1. */
extern int32_t pp_topk_find(const PpTopk *t, uint64_t hash, const uint8_t *key,
							uint32_t keylen);

typedef enum PpTopkAdded
{
	PP_TOPK_COUNTED,			/* the key had a counter */
	PP_TOPK_NEW,				/* a free counter now holds the key */
	PP_TOPK_REPLACED			/* the least counter was given to the key */
} PpTopkAdded;

/*
 * Count `by` occurrences of a key.  For PP_TOPK_NEW and PP_TOPK_REPLACED the
 * entry at *idx points to the caller's key bytes, which the caller must
 * replace by a lasting copy; with PP_TOPK_REPLACED, *old_key is the key
 * whose counter was taken.
 */
extern PpTopkAdded pp_topk_add(PpTopk *t, uint64_t hash, const uint8_t *key,
							   uint32_t keylen, int64_t by, uint32_t *idx,
							   const uint8_t **old_key);

/* Add an entry with a given count and error (n < k, key not present). */
extern uint32_t pp_topk_insert(PpTopk *t, uint64_t hash, const uint8_t *key,
							   uint32_t keylen, int64_t count, int64_t error);

/* Least count when all k counters are in use, else 0. */
extern int64_t pp_topk_floor(const PpTopk *t);

/* Entry indices in output order: count descending, then key bytes. */
extern void pp_topk_order(const PpTopk *t, uint32_t *order);

/* Bytes of the encoded summary. */
extern size_t pp_topk_encoded_size(const PpTopk *t);

/* Encode in output order (order from pp_topk_order); returns bytes. */
extern size_t pp_topk_encode(const PpTopk *t, const uint32_t *order, uint8_t *out);

/* k of an encoded summary (to size the arrays for loading), 0 if invalid. */
extern uint32_t pp_topk_encoded_k(const uint8_t *bytes, size_t len);

/*
 * Load an encoded summary into t (initialized for its k), validating
 * everything: header, lengths, counts >= 1, 0 <= error < count, output
 * order, no duplicate keys, counts summing to at most the total (exactly,
 * with no errors, when fewer than k counters are used).  Keys point into
 * bytes.
 */
extern bool pp_topk_load(PpTopk *t, const uint8_t *bytes, size_t len,
						 uint64_t (*hash) (const uint8_t *, uint32_t));

#endif							/* PARPROC_KERNELS_TOPK_H */
