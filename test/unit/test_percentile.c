/*
 * test_percentile.c
 *		Unit tests of src/kernels/percentile.c.
 *
 * Hand-worked percentiles, and several fractions at once against a sorted
 * copy (reference_sort, from test_sort.c).
 */
#include <math.h>
#include <string.h>

#include "../../src/kernels/percentile.h"
#include "unit.h"

/* One percentile through the kernel, on a copy of v. */
static double
percentile1(const double *v, size_t n, double f, bool continuous)
{
	double		copy[16];
	double		out;
	size_t		ranks[2];

	memcpy(copy, v, n * sizeof(double));
	pp_percentiles(copy, n, &f, 1, continuous, &out, ranks);
	return out;
}

/* Continuous and discrete percentiles: hand-worked cases and a sorted copy. */
void
test_percentile(void)
{
	double		v[] = {4, 2, 3, 1};
	double		one[] = {7};
	double		inf[] = {INFINITY, 1, INFINITY};
	double		fr[] = {0.9, 0.5, 0.5, 0.0, 1.0};
	double		out[5];
	size_t		ranks[10];
	double		big[1000];
	size_t		i;

	CHECK(percentile1(v, 4, 0.5, true) == 2.5, "cont median");
	CHECK(percentile1(v, 4, 0.0, true) == 1.0, "cont 0");
	CHECK(percentile1(v, 4, 1.0, true) == 4.0, "cont 1");
	CHECK(percentile1(v, 4, 0.25, true) == 1.75, "cont 0.25");
	CHECK(percentile1(v, 4, 0.5, false) == 2.0, "disc median");
	CHECK(percentile1(v, 4, 0.0, false) == 1.0, "disc 0");
	CHECK(percentile1(v, 4, 1.0, false) == 4.0, "disc 1");
	CHECK(percentile1(v, 4, 0.51, false) == 3.0, "disc 0.51");
	CHECK(percentile1(one, 1, 0.3, true) == 7.0 && percentile1(one, 1, 0.3, false) == 7.0,
		  "single row");
	/* interpolating between two infinities gives NaN, as core does */
	CHECK(isnan(percentile1(inf, 3, 0.75, true)), "inf lerp");
	CHECK(percentile1(inf, 3, 0.25, true) == INFINITY, "finite to inf lerp");
	CHECK(pp_fraction_valid(0) && pp_fraction_valid(1) && !pp_fraction_valid(NAN) &&
		  !pp_fraction_valid(-0.1) && !pp_fraction_valid(1.1), "fraction validity");

	/* several fractions, unsorted and repeated, against a sorted copy */
	for (i = 0; i < 1000; i++)
		big[i] = floor(rnd() * 300);
	{
		double		sorted[1000];

		reference_sort(big, 1000, sorted);
		pp_percentiles(big, 1000, fr, 5, true, out, ranks);
		CHECK(out[0] == sorted[899] + (0.9 * 999 - 899) * (sorted[900] - sorted[899]) &&
			  out[1] == sorted[499] + (0.5 * 999 - 499) * (sorted[500] - sorted[499]) &&
			  out[2] == out[1] && out[3] == sorted[0] && out[4] == sorted[999],
			  "several continuous");
		pp_percentiles(big, 1000, fr, 5, false, out, ranks);
		CHECK(out[0] == sorted[899] && out[1] == sorted[499] && out[3] == sorted[0] &&
			  out[4] == sorted[999], "several discrete");
	}

	/*
	 * From a window of the sorted values (rows 400..599 of 1000, shuffled):
	 * the same answers as from all of them, for rows inside; false for rows
	 * outside
	 */
	{
		double		sorted[1000],
					window[200],
					whole[1000],
					f[3] = {0.45, 0.5, 0.5991};
		double		w_out[3],
					a_out[3];
		size_t		j;
		int			cont;

		reference_sort(big, 1000, sorted);
		for (cont = 0; cont <= 1; cont++)
		{
			for (j = 0; j < 200; j++)
				window[j] = sorted[400 + (j * 37) % 200];
			memcpy(whole, big, sizeof(whole));
			CHECK(pp_percentiles_window(window, 200, 400, 1000, f, 3, cont, w_out, ranks),
				  "window covers the rows");
			pp_percentiles(whole, 1000, f, 3, cont, a_out, ranks);
			CHECK(memcmp(w_out, a_out, sizeof(w_out)) == 0, "window answers, continuous %d", cont);
		}
		f[0] = 0.6;				/* cont rows 599 and 600: 600 is outside */
		for (j = 0; j < 200; j++)
			window[j] = sorted[400 + j];
		CHECK(!pp_percentiles_window(window, 200, 400, 1000, f, 1, true, w_out, ranks),
			  "row past the window");
		f[0] = 0.3;
		CHECK(!pp_percentiles_window(window, 200, 400, 1000, f, 1, false, w_out, ranks),
			  "row before the window");
		CHECK(pp_percentile_rows(1000, fr, 5, true, ranks) == 6 && ranks[0] == 0 &&
			  ranks[1] == 499 && ranks[2] == 500 && ranks[5] == 999, "rows needed");
	}
}
