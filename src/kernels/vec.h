/*
 * vec.h
 *		Element-wise accumulation of double arrays for parproc.vec_*.
 *
 * Loops take restrict-qualified arrays and have no branches, so that the
 * compiler vectorises them (gcc -O2 does; see vec.c).
 */
#ifndef PARPROC_KERNELS_VEC_H
#define PARPROC_KERNELS_VEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * acc[i] += x[i], and nonfinite[i] += x[i] - x[i]: 0 while every input at
 * position i was finite, NaN once one was +/-Infinity or NaN.
 */
extern void pp_vec_add(double *restrict acc, double *restrict nonfinite,
					   const double *restrict x, size_t n);

/* acc[i] += x[i] (merging partial sums or nonfinite markers). */
extern void pp_vec_add_plain(double *restrict acc, const double *restrict x,
							 size_t n);

/*
 * Whether a sum of finite inputs overflowed: some acc[i] is not finite
 * while nonfinite[i] is still 0.  Core raises "value out of range:
 * overflow" then.
 */
extern bool pp_vec_overflowed(const double *acc, const double *nonfinite,
							  size_t n);

/* acc[i] = least of acc[i] and x[i] in float8 order (NaN greatest). */
extern void pp_vec_min(double *restrict acc, const double *restrict x, size_t n);

/* acc[i] = greatest of acc[i] and x[i] in float8 order (NaN greatest). */
extern void pp_vec_max(double *restrict acc, const double *restrict x, size_t n);

/* counts[i] += by. */
extern void pp_vec_count(int64_t *restrict counts, int64_t by, size_t n);

/* counts[i] += other[i]. */
extern void pp_vec_count_add(int64_t *restrict counts,
							 const int64_t *restrict other, size_t n);

/* Scalar forms of min and max, for positions handled one by one. */
static inline double
pp_min2(double acc, double x)
{
	return (x < acc || acc != acc) ? x : acc;
}

static inline double
pp_max2(double acc, double x)
{
	return (x > acc || x != x) ? x : acc;
}

#endif							/* PARPROC_KERNELS_VEC_H */
