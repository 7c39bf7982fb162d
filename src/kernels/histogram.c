/*
 * histogram.c
 *		Bucket numbering for parproc.histogram.
 *
 * Mirrors core's width_bucket_float8, whose arithmetic changed in
 * PostgreSQL 16; the caller says which version's rule to follow, so that a
 * histogram always counts what width_bucket on the same server returns.
 * Buckets are numbered 1..count, 0 for values below the lower bound and
 * count + 1 for values at or above the upper bound; reversed bounds count
 * downwards.
 *
 * PP_BUCKET_PRODUCT_FIRST (15): count * (x - lo) / (hi - lo) + 1, truncated.
 * Where that product overflows, core returns a meaningless number; here
 * such ranges are rejected up front (PP_RANGE_TOO_WIDE), so every bucket
 * number is in range.
 *
 * PP_BUCKET_QUOTIENT_FIRST (16 on): count * ((x - lo) / (hi - lo)),
 * truncated, at most count - 1, plus 1; a range whose width overflows is
 * computed on halved operands.  Nothing overflows, no range is refused.
 */
#include <math.h>

#include "histogram.h"

/* Check the parameters in the order width_bucket reports errors. */
PpStatus
pp_histogram_check(double lo, double hi, int32_t buckets, PpBucketRule rule)
{
	if (buckets <= 0)
		return PP_BAD_COUNT;
	if (isnan(lo) || isnan(hi))
		return PP_NAN_ARGUMENT;
	if (isinf(lo) || isinf(hi))
		return PP_INFINITE_BOUND;
	if (lo == hi)
		return PP_EQUAL_BOUNDS;
	if (rule == PP_BUCKET_PRODUCT_FIRST && isinf((double) buckets * fabs(hi - lo)))
		return PP_RANGE_TOO_WIDE;
	return PP_OK;
}

/*
 * Bucket of x strictly between lo and hi, for either order of the bounds.
 * Core computes reversed bounds as (lo - x) / (lo - hi): both operands
 * negated, which in IEEE arithmetic gives the same bits as (x - lo) /
 * (hi - lo), so one formula serves both.  The halved operands of the
 * quotient-first rule are computed only for a width that overflows.
 */
static inline int32_t
inner_bucket(double x, double lo, double hi, int32_t buckets, PpBucketRule rule)
{
	double		width = hi - lo;
	int32_t		result;

	if (rule == PP_BUCKET_PRODUCT_FIRST)
		return (int32_t) (((double) buckets * (x - lo) / width) + 1);

	if (!isinf(width))
		result = (int32_t) ((double) buckets * ((x - lo) / width));
	else
		result = (int32_t) ((double) buckets * ((x / 2 - lo / 2) / (hi / 2 - lo / 2)));
	/* the quotient may round to 1 */
	if (result >= buckets)
		result = buckets - 1;
	return result + 1;
}

/* Bucket number of x. */
PpStatus
pp_width_bucket(double x, double lo, double hi, int32_t buckets,
				PpBucketRule rule, int32_t *bucket)
{
	int32_t		result;

	if (isnan(x))
		return PP_NAN_ARGUMENT;

	if (lo < hi)
	{
		if (x < lo)
			result = 0;
		else if (x >= hi)
			result = buckets + 1;
		else
			result = inner_bucket(x, lo, hi, buckets, rule);
	}
	else
	{
		if (x > lo)
			result = 0;
		else if (x <= hi)
			result = buckets + 1;
		else
			result = inner_bucket(x, lo, hi, buckets, rule);
	}

	/* cannot happen for checked parameters; never index out of range */
	if (result < 0 || result > buckets + 1)
		return PP_RANGE_TOO_WIDE;
	*bucket = result;
	return PP_OK;
}
