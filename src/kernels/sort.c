/*
 * sort.c
 *		Introsort and multi-rank quickselect of doubles.
 *
 * Exact percentiles need only the values at a few ranks, not a sorted
 * array: selection touches each value a few times and needs no scratch
 * memory, which matters more than comparisons on machines where fresh
 * memory is expensive.  Selection recurses on the middle requested rank
 * and splits the others between the two sides, so k ranks cost
 * O(n log k); a recursion that goes too deep falls back to introsort.
 */
#include "sort.h"

#define SMALL_SORT		32		/* insertion sort at or below this */

/* Stable insertion sort of a small run. */
static void
insertion_sort(double *v, size_t n)
{
	size_t		i,
				j;

	for (i = 1; i < n; i++)
	{
		double		x = v[i];
		uint64_t	kx = pp_f64_key(x);

		for (j = i; j > 0 && pp_f64_key(v[j - 1]) > kx; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Restore the heap property below node i of a heap of size n. */
static void
sift_down(double *v, size_t i, size_t n)
{
	for (;;)
	{
		size_t		child = 2 * i + 1;
		double		tmp;

		if (child >= n)
			return;
		if (child + 1 < n && pp_f64_key(v[child + 1]) > pp_f64_key(v[child]))
			child++;
		if (pp_f64_key(v[i]) >= pp_f64_key(v[child]))
			return;
		tmp = v[i];
		v[i] = v[child];
		v[child] = tmp;
		i = child;
	}
}

/* Heapsort: the fallback that bounds the worst case. */
static void
heap_sort(double *v, size_t n)
{
	size_t		i;

	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (i = n; i-- > 1;)
	{
		double		tmp = v[0];

		v[0] = v[i];
		v[i] = tmp;
		sift_down(v, 0, i);
	}
}

/*
 * Hoare partition of v[0..n), n > SMALL_SORT, around a median-of-three
 * pivot.  Returns j such that v[0..j] <= pivot <= v[j+1..n), with both
 * sides non-empty.
 */
static size_t
partition(double *v, size_t n)
{
	size_t		i = 0,
				j = n - 1,
				mid = n / 2;
	uint64_t	ka = pp_f64_key(v[0]),
				kb = pp_f64_key(v[mid]),
				kc = pp_f64_key(v[n - 1]),
				pivot;

	pivot = ka < kb ? (kb < kc ? kb : (ka < kc ? kc : ka))
		: (ka < kc ? ka : (kb < kc ? kc : kb));
	for (;;)
	{
		double		tmp;

		while (pp_f64_key(v[i]) < pivot)
			i++;
		while (pp_f64_key(v[j]) > pivot)
			j--;
		if (i >= j)
			return j;
		tmp = v[i];
		v[i] = v[j];
		v[j] = tmp;
		i++;
		j--;
	}
}

/* Quicksort, heapsort when too deep, insertion sort for small runs. */
static void
intro_sort(double *v, size_t n, int depth)
{
	while (n > SMALL_SORT)
	{
		size_t		j;

		if (depth-- == 0)
		{
			heap_sort(v, n);
			return;
		}
		j = partition(v, n);
		/* recurse into the smaller side, loop over the larger one */
		if (j + 1 < n - j - 1)
		{
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		}
		else
		{
			intro_sort(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

/* Twice the base-2 logarithm of n: the introsort depth budget. */
static int
depth_limit(size_t n)
{
	int			depth = 0;

	for (; n > 1; n >>= 1)
		depth += 2;
	return depth;
}

/* Sort v[0..n) in float8 order. */
void
pp_sort_f64(double *v, size_t n)
{
	intro_sort(v, n, depth_limit(n));
}

/*
 * Place the values of ranks[0..nranks) (absolute positions, ascending, all
 * in [lo, lo + n)) in v[lo..lo + n).
 */
static void
select_ranks(double *v, size_t lo, size_t n, const size_t *ranks,
			 size_t nranks, int depth)
{
	while (nranks > 0)
	{
		size_t		j,
					split;

		if (n <= SMALL_SORT)
		{
			insertion_sort(v + lo, n);
			return;
		}
		if (depth-- == 0)
		{
			intro_sort(v + lo, n, depth_limit(n));
			return;
		}

		/* v[lo..j] <= pivot <= v[j+1..lo+n) */
		j = lo + partition(v + lo, n);
		for (split = 0; split < nranks && ranks[split] <= j; split++)
			;

		/* recurse into the side with fewer ranks, loop over the other */
		if (split < nranks - split)
		{
			select_ranks(v, lo, j + 1 - lo, ranks, split, depth);
			n -= j + 1 - lo;
			lo = j + 1;
			ranks += split;
			nranks -= split;
		}
		else
		{
			select_ranks(v, j + 1, lo + n - j - 1, ranks + split,
						 nranks - split, depth);
			n = j + 1 - lo;
			nranks = split;
		}
	}
}

/* Put the values of the given ranks where a full sort would put them. */
void
pp_select_f64(double *v, size_t n, const size_t *ranks, size_t nranks)
{
	select_ranks(v, 0, n, ranks, nranks, depth_limit(n));
}

/* Whether v[0..n) is in float8 order. */
int
pp_is_sorted_f64(const double *v, size_t n)
{
	size_t		i;

	for (i = 1; i < n; i++)
		if (pp_f64_key(v[i - 1]) > pp_f64_key(v[i]))
			return 0;
	return 1;
}

/* Inverse of pp_f64_key for keys of non-NaN values. */
static inline double
f64_from_key(uint64_t k)
{
	uint64_t	u = (k & UINT64_C(0x8000000000000000)) ? k & ~UINT64_C(0x8000000000000000) : ~k;
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

/* The i-th 8-byte word of an array of keys or doubles (memcpy: no aliasing). */
static inline uint64_t
load_word(const void *base, size_t i)
{
	uint64_t	k;

	memcpy(&k, (const char *) base + 8 * i, sizeof(k));
	return k;
}

static inline void
store_word(void *base, size_t i, uint64_t k)
{
	memcpy((char *) base + 8 * i, &k, sizeof(k));
}

/*
 * LSD radix sort of words, one byte per pass, the words moving between a
 * and b (any alignment: accessed through memcpy).  All eight byte
 * histograms are counted in one read; a pass whose byte is the same for
 * every word is skipped, which for real data is usually the sign and most
 * of the exponent, or the high bytes of small integers.  Returns whichever
 * of a and b holds the sorted words.
 */
static void *
radix_sort_words(void *a, void *b, size_t n)
{
	uint32_t	counts[8][256];
	uint64_t	first = load_word(a, 0);
	void	   *src = a,
			   *dst = b;
	size_t		i;
	int			pass;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < n; i++)
	{
		uint64_t	k = load_word(a, i);

		for (pass = 0; pass < 8; pass++)
			counts[pass][(k >> (8 * pass)) & 255]++;
	}
	for (pass = 0; pass < 8; pass++)
	{
		uint32_t   *c = counts[pass];
		uint32_t	sum = 0;
		int			shift = 8 * pass;
		void	   *t;

		if (c[(first >> shift) & 255] == n)
			continue;
		for (i = 0; i < 256; i++)
		{
			uint32_t	x = c[i];

			c[i] = sum;
			sum += x;
		}
		for (i = 0; i < n; i++)
		{
			uint64_t	k = load_word(src, i);

			store_word(dst, c[(k >> shift) & 255]++, k);
		}
		t = src;
		src = dst;
		dst = t;
	}
	return src;
}

void
pp_radix_sort_f64(double *v, uint64_t *tmp, size_t n)
{
	const void *sorted;
	size_t		i;

	if (n <= SMALL_SORT)
	{
		insertion_sort(v, n);
		return;
	}
	for (i = 0; i < n; i++)
		tmp[i] = pp_f64_key(v[i]);
	sorted = radix_sort_words(tmp, v, n);
	for (i = 0; i < n; i++)
		v[i] = f64_from_key(load_word(sorted, i));
}

void
pp_radix_sort_u64(uint64_t *v, uint64_t *tmp, size_t n)
{
	if (n > 0 && radix_sort_words(v, tmp, n) != v)
		memcpy(v, tmp, n * sizeof(uint64_t));
}
