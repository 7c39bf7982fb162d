/*
 * histogram.c
 *		Bucket numbering for parproc.histogram.
 *
 * Mirrors core's width_bucket_float8 as PostgreSQL 15 computes it: buckets
 * are numbered 1..count, 0 for values below the lower bound and count + 1
 * for values at or above the upper bound; reversed bounds count downwards;
 * the position is count * (x - lo) / (hi - lo) + 1, truncated.  Where that
 * product overflows, core returns a meaningless number; here such ranges
 * are rejected up front (PP_RANGE_TOO_WIDE), so every bucket number is in
 * range.
 */
#include <math.h>

#include "histogram.h"

/* Check the parameters in the order width_bucket reports errors. */
PpStatus
pp_histogram_check(double lo, double hi, int32_t buckets)
{
	if (buckets <= 0)
		return PP_BAD_COUNT;
	if (isnan(lo) || isnan(hi))
		return PP_NAN_ARGUMENT;
	if (isinf(lo) || isinf(hi))
		return PP_INFINITE_BOUND;
	if (lo == hi)
		return PP_EQUAL_BOUNDS;
	if (isinf((double) buckets * fabs(hi - lo)))
		return PP_RANGE_TOO_WIDE;
	return PP_OK;
}

/* Bucket number of x. */
PpStatus
pp_width_bucket(double x, double lo, double hi, int32_t buckets,
				int32_t *bucket)
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
			result = (int32_t) (((double) buckets * (x - lo) / (hi - lo)) + 1);
	}
	else
	{
		if (x > lo)
			result = 0;
		else if (x <= hi)
			result = buckets + 1;
		else
			result = (int32_t) (((double) buckets * (lo - x) / (lo - hi)) + 1);
	}

	/* cannot happen for checked parameters; never index out of range */
	if (result < 0 || result > buckets + 1)
		return PP_RANGE_TOO_WIDE;
	*bucket = result;
	return PP_OK;
}
