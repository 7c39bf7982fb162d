/*
 * test_vec.c
 *		Unit tests of src/kernels/vec.c.
 *
 * Vector sums (against long double), counts, and min and max (against
 * float8 order, NaN greatest), with NaN, infinities and overflow.
 */
#include <math.h>
#include <string.h>

#include "../../src/kernels/sort.h"
#include "../../src/kernels/vec.h"
#include "unit.h"

/* float8 order of two values, NaN greatest: the oracle for min and max. */
static double
ref_min(double a, double b)
{
	return pp_f64_key(b) < pp_f64_key(a) ? b : a;
}

static double
ref_max(double a, double b)
{
	return pp_f64_key(b) > pp_f64_key(a) ? b : a;
}

/* Vector sums, counts, min and max against scalar loops, specials included. */
void
test_vec(void)
{
	enum
	{
		LEN = 37				/* not a multiple of any vector width */
	};
	static const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -1.5, 2.5};
	double		acc[LEN],
				nonfinite[LEN],
				mn[LEN],
				mx[LEN],
				x[LEN];
	long double exact[LEN];
	int64_t		counts[LEN],
				other[LEN];
	int			row,
				i,
				ok_sum = 1,
				ok_min = 1,
				ok_max = 1;

	memset(acc, 0, sizeof(acc));
	memset(nonfinite, 0, sizeof(nonfinite));
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < LEN; i++)
		exact[i] = 0;
	for (row = 0; row < 50; row++)
	{
		for (i = 0; i < LEN; i++)
			x[i] = (i % 5 == 0 && row % 7 == 3) ? specials[(row + i) % 6] : rnd() * 100 - 50;
		pp_vec_add(acc, nonfinite, x, LEN);
		pp_vec_count(counts, 1, LEN);
		if (row == 0)
		{
			memcpy(mn, x, sizeof(x));
			memcpy(mx, x, sizeof(x));
		}
		else
		{
			double		rmn[LEN],
						rmx[LEN];

			for (i = 0; i < LEN; i++)
			{
				rmn[i] = ref_min(mn[i], x[i]);
				rmx[i] = ref_max(mx[i], x[i]);
			}
			pp_vec_min(mn, x, LEN);
			pp_vec_max(mx, x, LEN);
			for (i = 0; i < LEN; i++)
			{
				ok_min &= pp_f64_key(mn[i]) == pp_f64_key(rmn[i]);
				ok_max &= pp_f64_key(mx[i]) == pp_f64_key(rmx[i]);
			}
		}
		for (i = 0; i < LEN; i++)
			exact[i] += x[i];
	}
	for (i = 0; i < LEN; i++)
	{
		if (i % 5 == 0)
			ok_sum &= isnan(nonfinite[i]) && !isfinite(acc[i]);
		else
			ok_sum &= nonfinite[i] == 0.0 && fabs(acc[i] - (double) exact[i]) < 1e-9 &&
				counts[i] == 50;
	}
	CHECK(ok_sum, "vec sum and non-finite markers");
	CHECK(ok_min, "vec min, NaN greatest");
	CHECK(ok_max, "vec max, NaN greatest");
	CHECK(!pp_vec_overflowed(acc, nonfinite, LEN), "no overflow when inputs were infinite");

	/* finite inputs whose sum overflows */
	acc[0] = 1e308;
	nonfinite[0] = 0;
	x[0] = 1e308;
	pp_vec_add(acc, nonfinite, x, 1);
	CHECK(pp_vec_overflowed(acc, nonfinite, 1), "finite overflow detected");

	for (i = 0; i < LEN; i++)
		other[i] = i;
	pp_vec_count_add(counts, other, LEN);
	CHECK(counts[0] == 50 && counts[LEN - 1] == 50 + LEN - 1, "count add");
	CHECK(pp_min2(NAN, 1.0) == 1.0 && pp_min2(1.0, NAN) == 1.0 && isnan(pp_min2(NAN, NAN)) &&
		  isnan(pp_max2(1.0, NAN)) && isnan(pp_max2(NAN, 1.0)) && pp_max2(1.0, 2.0) == 2.0,
		  "scalar min/max");
}
