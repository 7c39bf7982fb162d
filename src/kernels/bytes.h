/*
 * bytes.h
 *		Little-endian integers in byte strings of any alignment, for the
 *		encoded forms of the sketches (hll.c, topk.c).
 */
#ifndef PARPROC_KERNELS_BYTES_H
#define PARPROC_KERNELS_BYTES_H

#include <stdint.h>
#include <string.h>

/* Read a little-endian uint32. */
static inline uint32_t
pp_get_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Read a little-endian uint64. */
static inline uint64_t
pp_get_le64(const uint8_t *p)
{
	return (uint64_t) pp_get_le32(p) | ((uint64_t) pp_get_le32(p + 4) << 32);
}

/* Write a little-endian uint32. */
static inline void
pp_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* Write a little-endian uint64. */
static inline void
pp_put_le64(uint8_t *p, uint64_t v)
{
	pp_put_le32(p, (uint32_t) v);
	pp_put_le32(p + 4, (uint32_t) (v >> 32));
}

/*
 * Copy n 8-byte words between host order and little-endian (the same
 * operation both ways): a plain copy on little-endian hosts.
 */
static inline void
pp_copy_le64(void *dst, const void *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(dst, src, n * 8);
#else
	uint8_t    *d = dst;
	const uint8_t *s = src;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		uint64_t	v;

		memcpy(&v, s + 8 * i, 8);
		pp_put_le64(d + 8 * i, v);
	}
#endif
}

#endif							/* PARPROC_KERNELS_BYTES_H */
