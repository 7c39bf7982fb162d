/*
 * hll.c
 *		HyperLogLog kernels: sparse hash set, dense registers, estimator,
 *		and the validated encoding.
 *
 * The estimator is Ertl's improved raw estimator ("New cardinality
 * estimation algorithms for HyperLogLog sketches", 2017): it corrects the
 * small- and large-range bias of the classic estimator in closed form from
 * the histogram of register values, without the empirical bias tables of
 * HyperLogLog++.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "hll.h"

/*
 * Insert into an open-addressing table with linear probing.  The slot is
 * chosen from the hash mixed with a salt, not from its raw bits: hashes
 * read from a stored sketch are the user's bytes and could otherwise be
 * chosen to share one probe run and make merging quadratic.
 */
bool
pp_hll_sparse_insert(uint64_t *table, size_t cap, uint64_t hash, uint64_t salt)
{
	size_t		mask = cap - 1;
	size_t		i;

	hash = pp_hll_sparse_key(hash);
	i = (size_t) (pp_mix64(hash ^ salt) & mask);
	for (;;)
	{
		if (table[i] == hash)
			return false;
		if (table[i] == 0)
		{
			table[i] = hash;
			return true;
		}
		i = (i + 1) & mask;
	}
}

/* Collect the non-empty slots. */
size_t
pp_hll_sparse_collect(const uint64_t *table, size_t cap, uint64_t *out)
{
	size_t		i,
				n = 0;

	for (i = 0; i < cap; i++)
		if (table[i] != 0)
			out[n++] = table[i];
	return n;
}

/* registers[i] = max(registers[i], other[i]). */
void
pp_hll_dense_merge(uint8_t *registers, const uint8_t *other, size_t m)
{
	size_t		i;

	for (i = 0; i < m; i++)
		registers[i] = other[i] > registers[i] ? other[i] : registers[i];
}

/* sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the small range. */
static double
ertl_sigma(double x)
{
	double		y = 1.0,
				z = x,
				prev;

	if (x == 1.0)
		return INFINITY;
	do
	{
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for the large range. */
static double
ertl_tau(double x)
{
	double		y = 1.0,
				z = 1.0 - x,
				prev;

	if (x == 0.0 || x == 1.0)
		return 0.0;
	do
	{
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != prev);
	return z / 3.0;
}

/* Cardinality estimate from dense registers. */
double
pp_hll_estimate(const uint8_t *registers, int precision)
{
	size_t		m = PP_HLL_REGISTERS(precision);
	int			q = 64 - precision;
	double		counts[66];
	double		z;
	size_t		i;
	int			k;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < m; i++)
		counts[registers[i]] += 1.0;

	z = (double) m * ertl_tau(1.0 - counts[q + 1] / (double) m);
	for (k = q; k >= 1; k--)
		z = 0.5 * (z + counts[k]);
	z += (double) m * ertl_sigma(counts[0] / (double) m);
	return (double) m * (double) m / (2.0 * log(2.0)) / z;
}

/* The estimate rounded to a count. */
int64_t
pp_hll_dense_cardinality(const uint8_t *registers, int precision)
{
	double		e = pp_hll_estimate(registers, precision);

	/* saturated registers (only crafted sketches) estimate beyond int64 */
	if (!(e < 9.2233720368547758e18))
		return INT64_MAX;
	return (int64_t) llround(e);
}

/* Bytes of an encoded sparse sketch. */
size_t
pp_hll_sparse_size(uint32_t n)
{
	return PP_HLL_HEADER + 4 + (size_t) n * 8;
}

/* Bytes of an encoded dense sketch. */
size_t
pp_hll_dense_size(int precision)
{
	return PP_HLL_HEADER + PP_HLL_REGISTERS(precision);
}

/* Validate every field; never reads past len. */
bool
pp_hll_decode(const uint8_t *bytes, size_t len, PpHllView *view)
{
	int			precision;
	uint32_t	i;

	if (len < PP_HLL_HEADER || bytes[0] != PP_HLL_VERSION || bytes[3] != 0)
		return false;
	precision = bytes[1];
	if (precision < PP_HLL_MIN_PRECISION || precision > PP_HLL_MAX_PRECISION)
		return false;
	view->precision = precision;

	if (bytes[2] == 0)
	{
		uint64_t	prev = 0;

		if (len < PP_HLL_HEADER + 4)
			return false;
		view->dense = false;
		view->nsparse = pp_get_le32(bytes + PP_HLL_HEADER);
		if (view->nsparse > PP_HLL_SPARSE_MAX(precision) ||
			len != pp_hll_sparse_size(view->nsparse))
			return false;
		view->payload = bytes + PP_HLL_HEADER + 4;
		for (i = 0; i < view->nsparse; i++)
		{
			uint64_t	h = pp_get_le64(view->payload + (size_t) i * 8);

			/* strictly ascending also rules out 0 after the first */
			if (h == 0 || (i > 0 && h <= prev))
				return false;
			prev = h;
		}
		return true;
	}
	if (bytes[2] == 1)
	{
		size_t		m = PP_HLL_REGISTERS(precision);
		size_t		r;

		if (len != pp_hll_dense_size(precision))
			return false;
		view->dense = true;
		view->nsparse = 0;
		view->payload = bytes + PP_HLL_HEADER;
		for (r = 0; r < m; r++)
			if (view->payload[r] > 64 - precision + 1)
				return false;
		return true;
	}
	return false;
}

/* The i-th hash of a sparse view. */
uint64_t
pp_hll_view_hash(const PpHllView *view, uint32_t i)
{
	return pp_get_le64(view->payload + (size_t) i * 8);
}

/* Write the header. */
static void
put_header(uint8_t *out, int precision, int kind)
{
	out[0] = PP_HLL_VERSION;
	out[1] = (uint8_t) precision;
	out[2] = (uint8_t) kind;
	out[3] = 0;
}

/* Encode a sparse sketch. */
size_t
pp_hll_encode_sparse(uint8_t *out, int precision, const uint64_t *hashes,
					 uint32_t n)
{
	uint32_t	i;

	put_header(out, precision, 0);
	pp_put_le32(out + PP_HLL_HEADER, n);
	for (i = 0; i < n; i++)
		pp_put_le64(out + PP_HLL_HEADER + 4 + (size_t) i * 8, hashes[i]);
	return pp_hll_sparse_size(n);
}

/* Encode a dense sketch. */
size_t
pp_hll_encode_dense(uint8_t *out, int precision, const uint8_t *registers)
{
	put_header(out, precision, 1);
	memcpy(out + PP_HLL_HEADER, registers, PP_HLL_REGISTERS(precision));
	return pp_hll_dense_size(precision);
}

/* qsort comparator for hashes. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/* Sort hashes ascending. */
void
pp_hll_sort_hashes(uint64_t *hashes, size_t n)
{
	qsort(hashes, n, sizeof(uint64_t), cmp_u64);
}
