/*
 * test_histogram.c
 *		Unit tests of src/kernels/histogram.c.
 *
 * Bound checks and bucket numbers, hand-worked as core's
 * width_bucket(float8) computes them; where the two rules differ, the
 * answers of core's width_bucket on PostgreSQL 15.18 and 17.12.
 */
#include <math.h>

#include "../../src/kernels/histogram.h"
#include "unit.h"

#define PRODUCT PP_BUCKET_PRODUCT_FIRST
#define QUOTIENT PP_BUCKET_QUOTIENT_FIRST

/* Bucket of x under rule, or -1 for an error. */
static int32_t
bucket(double x, double lo, double hi, int32_t n, PpBucketRule rule)
{
	int32_t		b;

	return pp_width_bucket(x, lo, hi, n, rule, &b) == PP_OK ? b : -1;
}

/* Checks and buckets on which both rules agree. */
static void
test_histogram_common(PpBucketRule rule)
{
	CHECK(pp_histogram_check(0, 10, 0, rule) == PP_BAD_COUNT, "count 0");
	CHECK(pp_histogram_check(NAN, 10, 5, rule) == PP_NAN_ARGUMENT, "nan bound");
	CHECK(pp_histogram_check(0, INFINITY, 5, rule) == PP_INFINITE_BOUND, "inf bound");
	CHECK(pp_histogram_check(3, 3, 5, rule) == PP_EQUAL_BOUNDS, "equal bounds");
	CHECK(pp_histogram_check(0, 10, 5, rule) == PP_OK, "ok bounds");

	CHECK(bucket(-1, 0, 10, 5, rule) == 0, "below");
	CHECK(bucket(0, 0, 10, 5, rule) == 1, "at lo");
	CHECK(bucket(1.99, 0, 10, 5, rule) == 1, "first");
	CHECK(bucket(2, 0, 10, 5, rule) == 2, "second");
	CHECK(bucket(10, 0, 10, 5, rule) == 6, "at hi");
	CHECK(bucket(INFINITY, 0, 10, 5, rule) == 6, "inf");
	CHECK(bucket(-INFINITY, 0, 10, 5, rule) == 0, "-inf");
	CHECK(bucket(NAN, 0, 10, 5, rule) == -1, "nan x");
	/* reversed bounds count downwards */
	CHECK(bucket(9, 10, 0, 5, rule) == 1, "reversed");
	CHECK(bucket(11, 10, 0, 5, rule) == 0, "reversed above");
	CHECK(bucket(0, 10, 0, 5, rule) == 6, "reversed at hi");
	CHECK(bucket(nextafter(10, 0), 0, 10, 3, rule) == 3, "just below hi");
	CHECK(pp_histogram_check(-1e305, 1e305, 1, rule) == PP_OK, "wide but computable");
	CHECK(bucket(1e304, -1e305, 1e305, 1, rule) == 1, "wide bucket");
}

/* Both rules, and the cases where PostgreSQL 15 and 16+ differ. */
void
test_histogram(void)
{
	test_histogram_common(PRODUCT);
	test_histogram_common(QUOTIENT);

	/* rounding: width_bucket's answers on 15.18 and on 17.12 */
	CHECK(bucket(0.1, -3.3, 17.1, 6, PRODUCT) == 1 &&
		  bucket(0.1, -3.3, 17.1, 6, QUOTIENT) == 2, "rounding 1");
	CHECK(bucket(5.2, -3.3, 17.1, 12, PRODUCT) == 5 &&
		  bucket(5.2, -3.3, 17.1, 12, QUOTIENT) == 6, "rounding 2");
	CHECK(bucket(0.1, -3.3, 17.1, 12, PRODUCT) == 2 &&
		  bucket(0.1, -3.3, 17.1, 12, QUOTIENT) == 3, "rounding 3");
	CHECK(bucket(0.45, 0.1, 0.7, 12, PRODUCT) == 7 &&
		  bucket(0.45, 0.1, 0.7, 12, QUOTIENT) == 8, "rounding 4");
	CHECK(bucket(0.35, 0.1, 0.7, 12, PRODUCT) == 5 &&
		  bucket(0.35, 0.1, 0.7, 12, QUOTIENT) == 6, "rounding 5");

	/* 15 overflows on these: refused; 16 on computes them on halves */
	CHECK(pp_histogram_check(-1e308, 1e308, 2, PRODUCT) == PP_RANGE_TOO_WIDE, "huge bounds");
	CHECK(pp_histogram_check(-1e305, 1e305, 10000, PRODUCT) == PP_RANGE_TOO_WIDE, "huge product");
	CHECK(pp_histogram_check(-1e308, 1e308, 3, QUOTIENT) == PP_OK, "huge bounds, 16");
	CHECK(bucket(0, -1e308, 1e308, 3, QUOTIENT) == 2, "middle of huge bounds");
	CHECK(bucket(-1e308, -1e308, 1e308, 3, QUOTIENT) == 1, "lower end of huge bounds");
	CHECK(bucket(nextafter(1e308, 0), -1e308, 1e308, 3, QUOTIENT) == 3, "upper end of huge bounds");
	CHECK(bucket(0, 1e308, -1e308, 3, QUOTIENT) == 2, "huge bounds reversed");
	CHECK(bucket(1e300, -1e305, 1e305, 10000, QUOTIENT) == 5001, "huge product, 16");
}
