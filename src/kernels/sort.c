/*
 * sort.c
 *		Radix sort, introsort and in-place merge of doubles.
 *
 * With scratch memory every sort is stable, as tiny inputs are in core's
 * sort: insertion sort for runs, merge sort for mid-sized arrays, and for
 * large ones an LSD radix sort over 11-bit digits of pp_f64_key (six
 * passes), with all histograms counted in one read and passes skipped when
 * every key has the same digit (common for the exponent bits).  Keys are
 * recomputed on the fly instead of being stored, so NaN payloads and signs
 * come back exactly as they went in.
 */
#include "sort.h"

#define RADIX_BITS		11
#define RADIX_SIZE		(1 << RADIX_BITS)
#define RADIX_PASSES	6		/* ceil(64 / 11) */
#define SMALL_SORT		32		/* insertion sort below this */
#define RADIX_MIN		2048	/* radix histograms do not pay below this:
								 * merge sort there */

/* Insertion sort of a small run. */
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

/* Heapsort: the introsort fallback that bounds the worst case. */
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

/* Quicksort with median-of-three pivots, heapsort when too deep. */
static void
intro_sort(double *v, size_t n, int depth)
{
	while (n > SMALL_SORT)
	{
		size_t		i,
					j,
					mid = n / 2;
		uint64_t	ka,
					kb,
					kc,
					pivot;
		double		tmp;

		if (depth-- == 0)
		{
			heap_sort(v, n);
			return;
		}

		ka = pp_f64_key(v[0]);
		kb = pp_f64_key(v[mid]);
		kc = pp_f64_key(v[n - 1]);
		pivot = ka < kb ? (kb < kc ? kb : (ka < kc ? kc : ka))
			: (ka < kc ? ka : (kb < kc ? kc : kb));

		/* Hoare partition */
		i = 0;
		j = n - 1;
		for (;;)
		{
			while (pp_f64_key(v[i]) < pivot)
				i++;
			while (pp_f64_key(v[j]) > pivot)
				j--;
			if (i >= j)
				break;
			tmp = v[i];
			v[i] = v[j];
			v[j] = tmp;
			i++;
			j--;
		}

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

/* LSD radix sort; the result ends up in v. */
static void
radix_sort(double *v, size_t n, double *scratch)
{
	static const int shifts[RADIX_PASSES] = {0, 11, 22, 33, 44, 55};
	size_t		counts[RADIX_PASSES][RADIX_SIZE];
	double	   *src = v,
			   *dst = scratch;
	size_t		i;
	int			pass;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < n; i++)
	{
		uint64_t	k = pp_f64_key(v[i]);

		for (pass = 0; pass < RADIX_PASSES; pass++)
			counts[pass][(k >> shifts[pass]) & (RADIX_SIZE - 1)]++;
	}

	for (pass = 0; pass < RADIX_PASSES; pass++)
	{
		size_t	   *c = counts[pass];
		size_t		sum = 0;
		uint64_t	first = (pp_f64_key(src[0]) >> shifts[pass]) & (RADIX_SIZE - 1);
		double	   *tmp;
		int			d;

		/* every key has the same digit here: this pass would be a copy */
		if (c[first] == n)
			continue;

		for (d = 0; d < RADIX_SIZE; d++)
		{
			size_t		cnt = c[d];

			c[d] = sum;
			sum += cnt;
		}
		for (i = 0; i < n; i++)
		{
			double		x = src[i];

			dst[c[(pp_f64_key(x) >> shifts[pass]) & (RADIX_SIZE - 1)]++] = x;
		}
		tmp = src;
		src = dst;
		dst = tmp;
	}

	if (src != v)
		memcpy(v, src, n * sizeof(double));
}

/* Stable bottom-up merge sort over insertion-sorted runs. */
static void
merge_sort(double *v, size_t n, double *scratch)
{
	double	   *src = v,
			   *dst = scratch,
			   *tmp;
	size_t		width,
				lo;

	for (lo = 0; lo < n; lo += SMALL_SORT)
		insertion_sort(v + lo, n - lo < SMALL_SORT ? n - lo : SMALL_SORT);

	for (width = SMALL_SORT; width < n; width *= 2)
	{
		for (lo = 0; lo < n; lo += 2 * width)
		{
			size_t		mid = lo + width < n ? lo + width : n;
			size_t		hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t		i = lo,
						j = mid,
						k = lo;

			while (i < mid && j < hi)
				dst[k++] = pp_f64_key(src[j]) < pp_f64_key(src[i]) ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		tmp = src;
		src = dst;
		dst = tmp;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(double));
}

/* Sort v[0..n) in float8 order. */
void
pp_sort_f64(double *v, size_t n, double *scratch)
{
	size_t		m;
	int			depth = 0;

	if (n < 2)
		return;
	if (scratch != NULL)
	{
		if (n >= RADIX_MIN)
			radix_sort(v, n, scratch);
		else
			merge_sort(v, n, scratch);
		return;
	}
	for (m = n; m > 1; m >>= 1)
		depth += 2;
	intro_sort(v, n, depth);
}

/* Merge sorted b into sorted a (which has room for both), from the back. */
void
pp_merge_f64(double *a, size_t na, const double *b, size_t nb)
{
	size_t		i = na,
				j = nb,
				k = na + nb;

	while (j > 0)
	{
		if (i > 0 && pp_f64_key(a[i - 1]) > pp_f64_key(b[j - 1]))
			a[--k] = a[--i];
		else
			a[--k] = b[--j];
	}
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
