/*
 * test_histogram.c
 *		Unit tests of src/kernels/histogram.c.
 *
 * Bound checks and bucket numbers, hand-worked as core's
 * width_bucket(float8) computes them.
 */
#include <math.h>

#include "../../src/kernels/histogram.h"
#include "unit.h"

/* Bound checks and bucket numbers, hand-worked as core's width_bucket. */
void
test_histogram(void)
{
	int32_t		b = -1;

	CHECK(pp_histogram_check(0, 10, 0) == PP_BAD_COUNT, "count 0");
	CHECK(pp_histogram_check(NAN, 10, 5) == PP_NAN_ARGUMENT, "nan bound");
	CHECK(pp_histogram_check(0, INFINITY, 5) == PP_INFINITE_BOUND, "inf bound");
	CHECK(pp_histogram_check(3, 3, 5) == PP_EQUAL_BOUNDS, "equal bounds");
	CHECK(pp_histogram_check(0, 10, 5) == PP_OK, "ok bounds");

	CHECK(pp_width_bucket(-1, 0, 10, 5, &b) == PP_OK && b == 0, "below");
	CHECK(pp_width_bucket(0, 0, 10, 5, &b) == PP_OK && b == 1, "at lo");
	CHECK(pp_width_bucket(1.99, 0, 10, 5, &b) == PP_OK && b == 1, "first");
	CHECK(pp_width_bucket(2, 0, 10, 5, &b) == PP_OK && b == 2, "second");
	CHECK(pp_width_bucket(10, 0, 10, 5, &b) == PP_OK && b == 6, "at hi");
	CHECK(pp_width_bucket(INFINITY, 0, 10, 5, &b) == PP_OK && b == 6, "inf");
	CHECK(pp_width_bucket(-INFINITY, 0, 10, 5, &b) == PP_OK && b == 0, "-inf");
	CHECK(pp_width_bucket(NAN, 0, 10, 5, &b) == PP_NAN_ARGUMENT, "nan x");
	/* reversed bounds count downwards */
	CHECK(pp_width_bucket(9, 10, 0, 5, &b) == PP_OK && b == 1, "reversed");
	CHECK(pp_width_bucket(11, 10, 0, 5, &b) == PP_OK && b == 0, "reversed above");
	CHECK(pp_width_bucket(0, 10, 0, 5, &b) == PP_OK && b == 6, "reversed at hi");
	CHECK(pp_width_bucket(nextafter(10, 0), 0, 10, 3, &b) == PP_OK && b == 3, "just below hi");
	/* ranges whose bucket arithmetic would overflow are refused */
	CHECK(pp_histogram_check(-1e308, 1e308, 2) == PP_RANGE_TOO_WIDE, "huge bounds");
	CHECK(pp_histogram_check(-1e305, 1e305, 10000) == PP_RANGE_TOO_WIDE, "huge product");
	CHECK(pp_histogram_check(-1e305, 1e305, 1) == PP_OK, "wide but computable");
	CHECK(pp_width_bucket(1e304, -1e305, 1e305, 1, &b) == PP_OK && b == 1, "wide bucket");
}
