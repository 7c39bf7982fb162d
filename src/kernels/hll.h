/*
 * hll.h
 *		HyperLogLog distinct counting: a sparse, exact set of 64-bit hashes
 *		for small cardinalities, dense 6-bit registers (one byte each) beyond.
 *
 * The caller owns all memory: it passes the sparse hash table and the
 * register array; kernels report when a table is full or a sketch should
 * turn dense.
 */
#ifndef PARPROC_KERNELS_HLL_H
#define PARPROC_KERNELS_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_HLL_MIN_PRECISION	4
#define PP_HLL_MAX_PRECISION	18
#define PP_HLL_VERSION			1

/* Registers of a dense sketch: 2^precision. */
#define PP_HLL_REGISTERS(p)		((size_t) 1 << (p))

/* Distinct hashes kept exactly before a sketch turns dense: m / 16, so
 * that the sparse table (at most half full) is no larger than the registers. */
#define PP_HLL_SPARSE_MAX(p)	(PP_HLL_REGISTERS(p) / 16)

/* Bytes of the encoded header: version, precision, kind, reserved. */
#define PP_HLL_HEADER			4

/* Mix a 64-bit hash so that every output bit depends on every input bit. */
static inline uint64_t
pp_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/*
 * Insert a hash into an open-addressing table of cap slots (a power of
 * two, 0 marks an empty slot); salt randomizes slot placement.  Returns
 * true when the hash was new.  The caller keeps the load at most one half.
 */
extern bool pp_hll_sparse_insert(uint64_t *table, size_t cap, uint64_t hash,
								 uint64_t salt);

/* The hash value stored for h: 0 is reserved for empty slots. */
static inline uint64_t
pp_hll_sparse_key(uint64_t h)
{
	return h == 0 ? 1 : h;
}

/* Fold one hash into dense registers of the given precision. */
static inline void
pp_hll_dense_add(uint8_t *registers, int precision, uint64_t hash)
{
	size_t		index = (size_t) (hash >> (64 - precision));
	uint64_t	rest = hash << precision;
	uint8_t		rank = rest == 0 ? (uint8_t) (64 - precision + 1)
	: (uint8_t) (__builtin_clzll(rest) + 1);

	if (rank > registers[index])
		registers[index] = rank;
}

/* Element-wise maximum of two register arrays of m registers. */
extern void pp_hll_dense_merge(uint8_t *registers, const uint8_t *other, size_t m);

/* Ertl's improved estimator (2017) over dense registers. */
extern double pp_hll_estimate(const uint8_t *registers, int precision);

/* The estimate rounded to a count (INT64_MAX beyond int64's range). */
extern int64_t pp_hll_dense_cardinality(const uint8_t *registers, int precision);

/* Collect the hashes of a table into out (unsorted); returns how many. */
extern size_t pp_hll_sparse_collect(const uint64_t *table, size_t cap, uint64_t *out);

/*
 * Encoded form (little-endian):
 *	version (1), precision, kind (0 sparse, 1 dense), 0
 *	sparse: uint32 n, then n hashes, strictly ascending, non-zero,
 *			n <= PP_HLL_SPARSE_MAX(precision)
 *	dense:	2^precision registers, each <= 65 - precision
 */
typedef struct PpHllView
{
	int			precision;
	bool		dense;
	uint32_t	nsparse;
	const uint8_t *payload;		/* hashes (unaligned LE) or registers */
} PpHllView;

/* Validate an encoded sketch; true and *view filled in when well formed. */
extern bool pp_hll_decode(const uint8_t *bytes, size_t len, PpHllView *view);

/* The i-th hash of a decoded sparse sketch. */
extern uint64_t pp_hll_view_hash(const PpHllView *view, uint32_t i);

/* Bytes of an encoded sparse sketch of n hashes / of a dense sketch. */
extern size_t pp_hll_sparse_size(uint32_t n);
extern size_t pp_hll_dense_size(int precision);

/* Encode; hashes must be sorted, distinct and non-zero.  Returns bytes. */
extern size_t pp_hll_encode_sparse(uint8_t *out, int precision,
								   const uint64_t *hashes, uint32_t n);
extern size_t pp_hll_encode_dense(uint8_t *out, int precision,
								  const uint8_t *registers);

/* Sort hashes ascending (for encoding). */
extern void pp_hll_sort_hashes(uint64_t *hashes, size_t n);

#endif							/* PARPROC_KERNELS_HLL_H */
