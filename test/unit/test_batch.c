/*
 * test_batch.c
 *		Unit tests of src/kernels/batch.c.
 *
 * Column arithmetic, math functions, comparisons and casts, with rows
 * PostgreSQL would refuse flagged; text to timestamptz with its per-hour
 * memo against one call per row.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/kernels/batch.h"
#include "unit.h"

static int	fake_lookups;

/* A zone at +1h, except that the offset changes inside hour 5. */
static int
fake_tz(void *arg, int64_t hour, int64_t *gmtoff)
{
	fake_lookups++;
	*gmtoff = 3600;
	return hour != 5;
}

/* Batch arithmetic, math, comparison and casts: errors flagged per row. */
void
test_batch(void)
{
	TestCol		a = {0},
				b = {0},
				o = {0};
	PpTzCache	cache;

	/* int4: overflow, division by zero, INT_MIN / -1, x % -1, NULL */
	a.i[0] = INT32_MAX;
	b.i[0] = 1;
	a.i[1] = 7;
	b.i[1] = 0;
	a.i[2] = INT32_MIN;
	b.i[2] = -1;
	a.i[3] = -7;
	b.i[3] = 2;
	a.null[4] = 1;
	b.status[5] = PP_ROW_UNPARSED;
	pp_int_arith(PP_ADD, INT32_MIN, INT32_MAX, tcol(&a), tcol(&b), tcol(&o), 6);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE && o.null[0], "int4 + overflows");
	CHECK(o.status[4] == PP_ROW_OK && o.null[4], "NULL + x is NULL");
	CHECK(o.status[5] == PP_ROW_UNPARSED, "an argument's status propagates");
	pp_int_arith(PP_DIV, INT32_MIN, INT32_MAX, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[1] == PP_ROW_DIVISION_BY_ZERO && o.status[2] == PP_ROW_OUT_OF_RANGE &&
		  o.status[3] == PP_ROW_OK && o.i[3] == -3, "int4 /: zero, INT_MIN / -1, truncation");
	pp_int_arith(PP_MOD, INT64_MIN, INT64_MAX, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[2] == PP_ROW_OK && o.i[2] == 0 && o.i[3] == -1, "x %% -1 is 0; -7 %% 2 is -1");
	a.i[0] = INT64_MIN;
	b.i[0] = -1;
	pp_int_arith(PP_DIV, INT64_MIN, INT64_MAX, tcol(&a), tcol(&b), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE, "int8 min / -1 overflows");
	a.i[0] = INT16_MIN;
	pp_int_neg(INT16_MIN, INT16_MAX, tcol(&a), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE, "-(-32768) overflows int2");

	/* float8: overflow, underflow, 0/0 and x/0, NaN and infinity pass */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.f[0] = 1e308;
	b.f[0] = 10;
	a.f[1] = 1e-308;
	b.f[1] = 1e-308;
	a.f[2] = INFINITY;
	b.f[2] = 0;
	a.f[3] = NAN;
	b.f[3] = 2;
	pp_f8_arith(PP_MUL, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[0] == PP_ROW_FLOAT_OVERFLOW && o.status[1] == PP_ROW_FLOAT_UNDERFLOW,
		  "float8 * overflow and underflow");
	CHECK(o.status[2] == PP_ROW_OK && isnan(o.f[2]) && o.status[3] == PP_ROW_OK && isnan(o.f[3]),
		  "Infinity * 0 and NaN * 2 are NaN, no error");
	pp_f8_arith(PP_DIV, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[2] == PP_ROW_DIVISION_BY_ZERO, "Infinity / 0 is division by zero");
	b.f[3] = 0;
	pp_f8_arith(PP_DIV, tcol(&a), tcol(&b), tcol(&o), 4);
	CHECK(o.status[3] == PP_ROW_OK && isnan(o.f[3]), "NaN / 0 is NaN");
	a.f[0] = -1;
	a.f[1] = -0.0;
	pp_f8_sqrt(tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_SQRT_NEGATIVE && o.status[1] == PP_ROW_OK && signbit(o.f[1]),
		  "sqrt(-1) flagged, sqrt(-0) is -0");
	/* float8 functions: PostgreSQL's errors and special cases flagged */
	a.f[0] = 0;
	a.f[1] = -1;
	a.f[2] = NAN;
	a.f[3] = 100;
	a.f[4] = 1;
	pp_f8_math(PP_LN, tcol(&a), tcol(&o), 5);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == log(100.0) &&
		  o.status[4] == PP_ROW_OK && o.f[4] == 0.0,
		  "ln: 0, -1 and NaN flagged, ln(100), ln(1) = 0");
	pp_f8_math(PP_LOG10, tcol(&a), tcol(&o), 5);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == 2.0,
		  "log10: 0 flagged, log10(100) = 2");
	a.f[0] = 1000;
	a.f[1] = -1000;
	a.f[2] = INFINITY;
	a.f[3] = 1;
	pp_f8_math(PP_EXP, tcol(&a), tcol(&o), 4);
	CHECK(o.status[0] == PP_ROW_SPECIAL && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_OK && o.f[3] == exp(1.0),
		  "exp: overflow, underflow and infinity flagged, exp(1)");
	a.f[0] = -2.5;
	a.f[1] = 2.5;
	a.f[2] = -0.5;
	a.f[3] = NAN;
	pp_f8_math(PP_ROUND, tcol(&a), tcol(&o), 4);
	CHECK(o.f[0] == -2 && o.f[1] == 2 && o.f[2] == 0 && signbit(o.f[2]) && isnan(o.f[3]),
		  "round is rint: halves to even, -0.5 to -0");
	pp_f8_math(PP_TRUNC, tcol(&a), tcol(&o), 4);
	CHECK(o.f[0] == -2 && o.f[1] == 2 && o.f[2] == 0 && signbit(o.f[2]) && isnan(o.f[3]),
		  "trunc toward zero");
	pp_f8_math(PP_FLOOR, tcol(&a), tcol(&o), 2);
	CHECK(o.f[0] == -3 && o.f[1] == 2, "floor");
	pp_f8_math(PP_CEIL, tcol(&a), tcol(&o), 2);
	CHECK(o.f[0] == -2 && o.f[1] == 3, "ceil");
	a.f[0] = -27;
	a.f[1] = 1e-320;
	pp_f8_math(PP_CBRT, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_OK && fabs(o.f[0] + 3) < 1e-15 && o.status[1] == PP_ROW_OK,
		  "cbrt(-27) = -3; cbrt of a subnormal is not zero");
	a.f[0] = 2;
	b.f[0] = 0.5;
	a.f[1] = 0;
	b.f[1] = -1;
	a.f[2] = -8;
	b.f[2] = 1.0 / 3;
	a.f[3] = 10;
	b.f[3] = 400;
	a.f[4] = 10;
	b.f[4] = -400;
	a.f[5] = -2;
	b.f[5] = 2;
	pp_f8_pow(tcol(&a), tcol(&b), tcol(&o), 6);
	CHECK(o.status[0] == PP_ROW_OK && o.f[0] == pow(2, 0.5) && o.status[1] == PP_ROW_SPECIAL &&
		  o.status[2] == PP_ROW_SPECIAL && o.status[3] == PP_ROW_SPECIAL &&
		  o.status[4] == PP_ROW_SPECIAL && o.status[5] == PP_ROW_SPECIAL,
		  "power: 2^0.5; 0^-1, complex, overflow, underflow, negative base flagged");
	memset(&b, 0, sizeof(b));
	a.f[0] = 3.5e38;
	pp_f8_to_f4(tcol(&a), tcol(&o), 1);
	CHECK(o.status[0] == PP_ROW_FLOAT_OVERFLOW, "float8 to float4 overflow");
	a.f[0] = 2147483647.5;
	a.f[1] = -2147483648.5;
	pp_float_to_int(0, INT32_MIN, INT32_MAX, tcol(&a), tcol(&o), 2);
	CHECK(o.status[0] == PP_ROW_OUT_OF_RANGE && o.status[1] == PP_ROW_OK && o.i[1] == INT32_MIN,
		  "rint then range: 2147483647.5 out, -2147483648.5 in");

	/* NaN sorts above everything and equals itself */
	a.f[0] = NAN;
	b.f[0] = INFINITY;
	a.f[1] = NAN;
	b.f[1] = NAN;
	pp_float_cmp(PP_GT, tcol(&a), tcol(&b), tcol(&o), 2);
	CHECK(o.i[0] == 1 && o.i[1] == 0, "NaN > Infinity, not NaN > NaN");

	/* AND: a false first argument hides the second's status */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.i[0] = 0;
	b.status[0] = PP_ROW_DIVISION_BY_ZERO;
	a.i[1] = 1;
	b.status[1] = PP_ROW_DIVISION_BY_ZERO;
	a.null[2] = 1;
	b.i[2] = 0;
	a.null[3] = 1;
	b.i[3] = 1;
	pp_bool_and_step(tcol(&a), tcol(&b), 4);
	CHECK(a.status[0] == PP_ROW_OK && !a.null[0] && a.i[0] == 0, "false AND error is false");
	CHECK(a.status[1] == PP_ROW_DIVISION_BY_ZERO, "true AND error is the error");
	CHECK(!a.null[2] && a.i[2] == 0 && a.null[3], "NULL AND false is false, NULL AND true NULL");

	/* text to timestamptz through the cache, a transition hour flagged */
	memset(&a, 0, sizeof(a));
	a.s[0].p = "2000-01-01 04:30:00";
	a.s[0].len = 19;
	a.s[1].p = "2000-01-01 04:59:59";
	a.s[1].len = 19;
	a.s[2].p = "2000-01-01 05:00:00";
	a.s[2].len = 19;
	a.s[3].p = "2000-01-01 04:00:00+02";
	a.s[3].len = 22;
	a.s[4].p = "2000-01-01 04:00:00 ";
	a.s[4].len = 20;
	fake_lookups = 0;
	pp_tz_cache_init(&cache, fake_tz, NULL);
	pp_text_to_timestamptz(tcol(&a), tcol(&o), &cache, 5);
	CHECK(o.status[0] == PP_ROW_OK && o.i[0] == (int64_t) 3 * 3600 * 1000000 + 30 * 60 * 1000000LL,
		  "local 04:30 at +1h is 03:30 UTC");
	CHECK(o.status[2] == PP_ROW_TIME_ZONE && o.status[3] == PP_ROW_OK &&
		  o.i[3] == (int64_t) 2 * 3600 * 1000000 && o.status[4] == PP_ROW_UNPARSED,
		  "transition hour flagged, explicit offset applied, trailing space unparsed");
	CHECK(fake_lookups == 2, "one lookup per hour (%d)", fake_lookups);
}

/*
 * text to timestamptz over a batch (rows of one hour share the parsed
 * hour) against the same rows one call each: rows in time order, with
 * minutes, seconds and hours out of range, other characters, fractions and
 * other forms mixed in, across the transition hour of fake_tz.
 */
void
test_timestamptz_hour_memo(void)
{
	enum
	{
		N = 6000
	};
	static char buf[N][40];
	static PpStr str[N];
	static int64_t v1[N],
				v2[N];
	static uint8_t nul0[N],
				st0[N],
				n1[N],
				s1[N],
				n2[N],
				s2[N];
	PpCol		a = {.s = str,.null = nul0,.status = st0};
	PpCol		o1 = {.i = v1,.null = n1,.status = s1};
	PpTzCache	cache;
	int			same = 1;
	uint64_t	seed = 42;

	for (int i = 0; i < N; i++)
	{
		int			t = 3 * 3600 + i * 2;	/* 03:00:00 on, 2 s apart */
		int			r;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (int) (seed >> 33) % 100;
		snprintf(buf[i], sizeof(buf[i]), "2000-01-%02d %02d:%02d:%02d", 1 + (r == 7),
				 t / 3600, t / 60 % 60, t % 60);
		if (r == 1)
			buf[i][14] = '6';	/* minute 6x */
		else if (r == 2)
			buf[i][17] = '7';	/* second 7x */
		else if (r == 3)
			buf[i][15] = 'x';
		else if (r == 4)
			buf[i][12] = '9';	/* another hour */
		else if (r == 5)
			strcat(buf[i], ".25");
		else if (r == 6)
			strcat(buf[i], "+02");
		else if (r == 8)
			buf[i][13] = '.';
		else if (r == 9)
			buf[i][11] = '2', buf[i][12] = '4'; /* hour 24 */
		str[i].p = buf[i];
		str[i].len = (int32_t) strlen(buf[i]);
	}
	pp_tz_cache_init(&cache, fake_tz, NULL);
	pp_text_to_timestamptz(&a, &o1, &cache, N);
	for (int i = 0; i < N; i++)
	{
		PpCol		ai = {.s = &str[i],.null = &nul0[i],.status = &st0[i]};
		PpCol		oi = {.i = &v2[i],.null = &n2[i],.status = &s2[i]};

		pp_tz_cache_init(&cache, fake_tz, NULL);
		pp_text_to_timestamptz(&ai, &oi, &cache, 1);
		if (s1[i] != s2[i] || n1[i] != n2[i] || (s1[i] == PP_ROW_OK && v1[i] != v2[i]))
		{
			if (same)
				printf("  row %d '%s': batch %d/%lld, alone %d/%lld\n", i, buf[i], s1[i],
					   (long long) v1[i], s2[i], (long long) v2[i]);
			same = 0;
		}
	}
	CHECK(same, "timestamptz of %d rows in one batch equals each row alone", N);
}
