/*
 * status.h
 *		Status codes returned by parproc's pure-C kernels.
 *
 * Kernels never raise errors themselves: they return one of these codes and
 * the SQL glue turns it into an ereport with the right SQLSTATE.
 */
#ifndef PARPROC_KERNELS_STATUS_H
#define PARPROC_KERNELS_STATUS_H

typedef enum PpStatus
{
	PP_OK = 0,
	PP_OVERFLOW,				/* finite inputs gave an infinite result */
	PP_BAD_COUNT,				/* bucket count <= 0 */
	PP_NAN_ARGUMENT,			/* NaN operand or bound */
	PP_INFINITE_BOUND,			/* histogram bound is +/-Infinity */
	PP_EQUAL_BOUNDS,			/* lower bound equals upper bound */
	PP_RANGE_TOO_WIDE			/* buckets * (hi - lo) overflows */
} PpStatus;

#endif							/* PARPROC_KERNELS_STATUS_H */
