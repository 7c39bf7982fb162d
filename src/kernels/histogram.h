/*
 * histogram.h
 *		Equal-width bucket numbers, the same as core's width_bucket(float8).
 */
#ifndef PARPROC_KERNELS_HISTOGRAM_H
#define PARPROC_KERNELS_HISTOGRAM_H

#include <stdint.h>

#include "status.h"

/* Whose arithmetic to follow: core's width_bucket changed in PostgreSQL 16. */
typedef enum PpBucketRule
{
	PP_BUCKET_PRODUCT_FIRST,	/* 15: count * (x - lo) / (hi - lo) */
	PP_BUCKET_QUOTIENT_FIRST	/* 16 on: count * ((x - lo) / (hi - lo)) */
} PpBucketRule;

/*
 * Validate histogram parameters as width_bucket does (NaN operand aside);
 * under the product-first rule, also reject ranges too wide to compute
 * bucket numbers in double precision.
 */
extern PpStatus pp_histogram_check(double lo, double hi, int32_t buckets,
								   PpBucketRule rule);

/*
 * Bucket of x in [0, buckets + 1] for parameters that passed
 * pp_histogram_check and buckets < INT32_MAX; PP_NAN_ARGUMENT for a NaN x.
 */
extern PpStatus pp_width_bucket(double x, double lo, double hi,
								int32_t buckets, PpBucketRule rule,
								int32_t *bucket);

#endif							/* PARPROC_KERNELS_HISTOGRAM_H */
