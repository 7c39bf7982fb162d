/*
 * test_textparse.c
 *		Unit tests of src/kernels/textparse.c.
 *
 * ISO dates and timestamps (against walking the calendar), integers,
 * float8 and bool.
 */
#include <stdio.h>
#include <string.h>

#include "../../src/kernels/textparse.h"
#include "unit.h"

/* Days from 2000-01-01 by walking the calendar: the oracle for pp_days_from_2000. */
static int64_t
walk_days(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t		days = 0;

	for (int yy = (y < 2000 ? y : 2000); yy < (y < 2000 ? 2000 : y); yy++)
	{
		int			leap = (yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0;

		days += (y < 2000 ? -1 : 1) * (365 + leap);
	}
	for (int mm = 1; mm < m; mm++)
		days += mdays[mm - 1] + (mm == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	return days + d - 1;
}

/* Text to date, timestamp, integer, float8 and bool, against the calendar. */
void
test_textparse(void)
{
	PpDateTime	dt;
	int64_t		v;
	double		d;
	static const char *refused[] = {
		"", "2024", "2024-1-05", "2024-01-5", "0000-01-01", "10000-01-01", "2024-13-01",
		"2024-00-10", "2023-02-29", "2100-02-29", "2024-04-31", " 2024-01-01", "2024-01-01 ",
		"2024-01-01 24:00:00", "2024-01-01 23:60", "2024-01-01 23:59:60", "2024-01-01 12",
		"2024-01-01 12:00:00.", "2024-01-01 12:00:00.1234567", "2024-01-01t12:00",
		"2024-01-01 12:00Z", "2024-01-01 12:00+16", "2024-01-01 12:00+05:", "2024-01-01 12:00+5",
		"2024-01-01 12:00+05:60", "2024-01-01 12:00 +05", "2024-01-01+05", "01/02/2024",
		"2024-01-01 12:00:00 BC", "epoch", "2024-01-01\0"
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		CHECK(!pp_parse_iso_datetime(refused[i], strlen(refused[i]) + (i + 1 == sizeof(refused) / sizeof(refused[0])), &dt),
			  "refuses \"%s\"", refused[i]);

	CHECK(pp_parse_iso_datetime("2024-02-29", 10, &dt) && !dt.has_time &&
		  dt.year == 2024 && dt.mon == 2 && dt.day == 29, "a leap day");
	CHECK(pp_parse_iso_datetime("2000-01-01T00:00:00.5", 21, &dt) && dt.usec == 500000 &&
		  pp_datetime_local_usecs(&dt) == 500000, "T separator, half a second");
	CHECK(pp_parse_iso_datetime("1999-12-31 23:59:59.000001-05:30", 32, &dt) && dt.has_tz &&
		  dt.gmtoff == -(5 * 3600 + 30 * 60) &&
		  pp_datetime_local_usecs(&dt) == -999999, "offset and microsecond");
	CHECK(pp_parse_iso_datetime("2024-06-01 12:34+0200", 21, &dt) && dt.gmtoff == 7200 &&
		  dt.sec == 0, "+HHMM offset, no seconds");

	/* every day of a few centuries against walking the calendar */
	{
		int			bad = 0;

		for (int y = 1; y <= 9999; y += (y < 1590 || y > 2410) ? 97 : 1)
			for (int m = 1; m <= 12; m++)
				for (int dd = 1; dd <= 28; dd += 9)
					bad += pp_days_from_2000(y, m, dd) != walk_days(y, m, dd);
		CHECK(bad == 0, "pp_days_from_2000 agrees with the calendar (%d differ)", bad);
		CHECK(pp_days_from_2000(1, 1, 1) == -730119, "0001-01-01 is day -730119");
	}

	/*
	 * pp_parse_iso19, the fixed form: every refused string above is refused,
	 * and over every day of the years below and times around the edges it
	 * accepts exactly what pp_parse_iso_datetime accepts (with no offset or
	 * fraction), with the same fields; one byte changed is refused by both.
	 */
	{
		int			bad = 0,
					y,
					mo,
					dd,
					secs;
		static const char *times[] = {"00:00:00", "23:59:59", "12:34:56", "24:00:00",
		"23:60:00", "23:59:60", "1a:00:00", "09:05:07"};
		char		buf[32];

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
			bad += pp_parse_iso19(refused[i], strlen(refused[i]), &y, &mo, &dd, &secs);
		CHECK(bad == 0, "pp_parse_iso19 refuses what the general parser refuses");
		for (int yy = 0; yy <= 10000; yy += (yy < 1890 || yy > 2110) ? 37 : 1)
			for (int m = 0; m <= 13; m++)
				for (int day = 0; day <= 32; day++)
					for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++)
					{
						int			n = snprintf(buf, sizeof(buf), "%04d-%02d-%02d %s", yy, m, day, times[t]);
						int			fast = pp_parse_iso19(buf, n, &y, &mo, &dd, &secs);
						int			gen = pp_parse_iso_datetime(buf, n, &dt);

						if (fast != gen ||
							(fast && (y != dt.year || mo != dt.mon || dd != dt.day ||
									  secs != (dt.hour * 60 + dt.min) * 60 + dt.sec ||
									  dt.has_tz || dt.usec != 0)))
							bad++;
						if (gen && day % 7 == 0)
						{
							/* a byte changed at every position */
							for (int k = 0; k < n; k++)
							{
								char		save = buf[k];

								buf[k] = k % 2 ? '/' : 'x';
								bad += pp_parse_iso19(buf, n, &y, &mo, &dd, &secs);
								buf[k] = save;
							}
						}
					}
		CHECK(bad == 0, "pp_parse_iso19 agrees with pp_parse_iso_datetime (%d differ)", bad);
		CHECK(!pp_parse_iso19("2024-01-01T12:00:00", 19, &y, &mo, &dd, &secs) &&
			  !pp_parse_iso19("2024-01-01 12:00:00.5", 21, &y, &mo, &dd, &secs) &&
			  !pp_parse_iso19("2024-01-01 12:00:00", 18, &y, &mo, &dd, &secs),
			  "pp_parse_iso19: only the 19-byte space-separated form");
	}

	CHECK(pp_parse_int("-2147483648", 11, INT32_MIN, INT32_MAX, &v) && v == INT32_MIN, "int4 min");
	CHECK(!pp_parse_int("2147483648", 10, INT32_MIN, INT32_MAX, &v), "int4 overflow refused");
	CHECK(pp_parse_int("+007", 4, INT16_MIN, INT16_MAX, &v) && v == 7, "sign and zeros");
	CHECK(!pp_parse_int(" 1", 2, INT16_MIN, INT16_MAX, &v) && !pp_parse_int("-", 1, 0, 9, &v) &&
		  !pp_parse_int("1_000", 5, 0, 9999, &v) && !pp_parse_int("9223372036854775807", 19,
																  INT64_MIN, INT64_MAX, &v),
		  "spaces, bare sign, underscores and 19 digits refused");
	CHECK(pp_parse_double("-1.25e-3", 8, &d) && d == -1.25e-3, "float8 with exponent");
	CHECK(pp_parse_double("5.", 2, &d) && d == 5.0 && pp_parse_double(".5", 2, &d) && d == 0.5,
		  "float8 5. and .5");
	CHECK(!pp_parse_double("1e400", 5, &d) && !pp_parse_double("1e-400", 6, &d) &&
		  !pp_parse_double("NaN", 3, &d) && !pp_parse_double("1e", 2, &d) &&
		  !pp_parse_double("0x1p3", 5, &d) && !pp_parse_double(".", 1, &d),
		  "out of range and other spellings refused");
	CHECK(pp_parse_bool("true", 4, &v) && v == 1 && pp_parse_bool("0", 1, &v) && v == 0 &&
		  !pp_parse_bool("TRUE", 4, &v) && !pp_parse_bool("yes", 3, &v), "bool spellings");
}
