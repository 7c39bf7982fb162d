/*
 * md5.c
 *		MD5 as specified in RFC 1321, written from the specification: 64
 *		steps per 512-bit block in four rounds, the constants being
 *		floor(|sin(i + 1)| * 2^32).  Used by the md5(text) column kernel;
 *		the unit tests check the RFC's test suite.
 */
#include <stdint.h>
#include <string.h>

#include "md5.h"

/* T[i] = floor(|sin(i + 1)| * 2^32) (RFC 1321, section 3.4) */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left rotations per round and step within a group of four. */
static const int md5_s[4][4] = {
	{7, 12, 17, 22},
	{5, 9, 14, 20},
	{4, 11, 16, 23},
	{6, 10, 15, 21},
};

static inline uint32_t
rotl(uint32_t x, int c)
{
	return (x << c) | (x >> (32 - c));
}

/* Fold one 64-byte block into the state h. */
static void
md5_block(uint32_t h[4], const unsigned char *p)
{
	uint32_t	x[16];
	uint32_t	a = h[0],
				b = h[1],
				c = h[2],
				d = h[3];

	/* the block's words are little-endian */
	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t) p[4 * i] | (uint32_t) p[4 * i + 1] << 8 |
			(uint32_t) p[4 * i + 2] << 16 | (uint32_t) p[4 * i + 3] << 24;
	for (int i = 0; i < 64; i++)
	{
		uint32_t	f,
					t;
		int			k;

		switch (i / 16)
		{
			case 0:
				f = (b & c) | (~b & d);
				k = i;
				break;
			case 1:
				f = (b & d) | (c & ~d);
				k = (5 * i + 1) % 16;
				break;
			case 2:
				f = b ^ c ^ d;
				k = (3 * i + 5) % 16;
				break;
			default:
				f = c ^ (b | ~d);
				k = (7 * i) % 16;
				break;
		}
		t = d;
		d = c;
		c = b;
		b = b + rotl(a + f + md5_t[i] + x[k], md5_s[i / 16][i % 4]);
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void
pp_md5_hex(const void *data, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	uint32_t	h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	unsigned char tail[128];
	size_t		full = len / 64 * 64,
				rest = len - full,
				tlen;
	uint64_t	bits = (uint64_t) len * 8;

	for (size_t off = 0; off < full; off += 64)
		md5_block(h, p + off);
	/* padding: 0x80, zeros to 56 mod 64, the length in bits little-endian */
	memset(tail, 0, sizeof(tail));
	if (rest > 0)
		memcpy(tail, p + full, rest);
	tail[rest] = 0x80;
	tlen = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[tlen - 8 + i] = (unsigned char) (bits >> (8 * i));
	for (size_t off = 0; off < tlen; off += 64)
		md5_block(h, tail + off);
	for (int i = 0; i < 16; i++)
	{
		unsigned char byte = (unsigned char) (h[i / 4] >> (8 * (i % 4)));

		hex[2 * i] = digits[byte >> 4];
		hex[2 * i + 1] = digits[byte & 15];
	}
}
