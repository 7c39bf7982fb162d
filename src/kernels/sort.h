/*
 * sort.h
 *		Sorting and merging plain arrays of doubles in PostgreSQL's float8
 *		order: -Infinity < finite values < +Infinity < NaN.
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
 * and -0 as equal to +0.  Equal keys keep their input order in the radix
 * sort and the insertion sort, as they mostly do in core's sort.
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
 * Sort v[0..n) ascending.  With scratch (room for n doubles) the sort is
 * stable and, for large n, an O(n) radix sort; without scratch an in-place,
 * unstable introsort runs.
 */
extern void pp_sort_f64(double *v, size_t n, double *scratch);

/*
 * Merge sorted b[0..nb) into sorted a[0..na); a has room for na + nb
 * values.  Works backwards, so no extra memory is needed.
 */
extern void pp_merge_f64(double *a, size_t na, const double *b, size_t nb);

/* Whether v[0..n) is sorted (for tests and assertions). */
extern int	pp_is_sorted_f64(const double *v, size_t n);

#endif							/* PARPROC_KERNELS_SORT_H */
