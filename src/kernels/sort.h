/*
 * sort.h
 *		Sorting and selection over plain arrays of doubles in PostgreSQL's
 *		float8 order: -Infinity < finite values < +Infinity < NaN.
 */
#ifndef PARPROC_KERNELS_SORT_H
#define PARPROC_KERNELS_SORT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Map a double to an unsigned key whose integer order is float8 order.
 * Every NaN maps to the largest key and -0 to the key of +0, as core's
 * float8 comparator treats all NaNs as equal and greater than any number,
 * and -0 as equal to +0.
 */
static inline uint64_t
pp_f64_key(double d)
{
	uint64_t	u;

	if (d != d)
		return UINT64_MAX;
	if (d == 0.0)
		return UINT64_C(0x8000000000000000);
	memcpy(&u, &d, sizeof(u));
	return (u & UINT64_C(0x8000000000000000)) ? ~u : u | UINT64_C(0x8000000000000000);
}

/*
 * Sort v[0..n) in place: a stable insertion sort for small n, an introsort
 * (quicksort, heapsort when too deep) otherwise.
 */
extern void pp_sort_f64(double *v, size_t n);

/*
 * Partially sort v[0..n) so that, for every k in ranks[0..nranks) (sorted
 * ascending, each < n), v[k] holds the value a full sort would put there:
 * everything before it is <= v[k], everything after it >= v[k].  Expected
 * O(n log nranks) time, O(n log n) at worst, no extra memory.  Arrays of up
 * to 32 values are sorted completely, stably.
 */
extern void pp_select_f64(double *v, size_t n, const size_t *ranks,
						  size_t nranks);

/*
 * Sort v[0..n) of non-NaN values by radix, with tmp[0..n) as scratch;
 * n < 2^32.  -0 comes out as +0 (they are equal in float8 order).
 * About 2 ns per value and pass on cache-resident arrays.
 */
extern void pp_radix_sort_f64(double *v, uint64_t *tmp, size_t n);

/* Sort v[0..n) ascending by radix, with tmp[0..n) as scratch; n < 2^32. */
extern void pp_radix_sort_u64(uint64_t *v, uint64_t *tmp, size_t n);

/* Whether v[0..n) is in float8 order (for tests and assertions). */
extern int	pp_is_sorted_f64(const double *v, size_t n);

#endif							/* PARPROC_KERNELS_SORT_H */
