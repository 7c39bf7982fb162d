/*
 * textparse.h
 *		Fast parsers of the common text forms of numbers, booleans, dates and
 *		timestamps, for the text input kernels of batch.c.
 *
 * Each parser accepts a strict subset of what PostgreSQL's input function
 * accepts, and returns exactly what that function returns for it; for
 * anything else (surrounding spaces, other spellings, out-of-range fields,
 * more digits than it handles) it returns 0 and the caller lets
 * PostgreSQL's input function decide.  The inputs are not terminated.
 */
#ifndef PARPROC_KERNELS_TEXTPARSE_H
#define PARPROC_KERNELS_TEXTPARSE_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds per day and per second. */
#define PP_USECS_PER_SEC INT64_C(1000000)
#define PP_USECS_PER_DAY INT64_C(86400000000)

/* Fields of an ISO date or timestamp. */
typedef struct PpDateTime
{
	int			year;			/* 1..9999 */
	int			mon;			/* 1..12 */
	int			day;			/* 1..days in month */
	int			has_time;
	int			hour;			/* 0..23 */
	int			min;			/* 0..59 */
	int			sec;			/* 0..59 */
	int32_t		usec;			/* 0..999999 */
	int			has_tz;
	int32_t		gmtoff;			/* explicit offset, seconds east of UTC */
} PpDateTime;

/*
 * [+-]digits (at most 18) in [lo, hi]: what int2in/int4in/int8in return
 * for it.
 */
extern int	pp_parse_int(const char *s, size_t len, int64_t lo, int64_t hi,
						 int64_t *v);

/*
 * [+-]digits[.digits][e[+-]digits] (or .digits...), at most 63 bytes,
 * converted with strtod/strtof as float8in/float4in do; results that set
 * ERANGE are refused.
 */
extern int	pp_parse_double(const char *s, size_t len, double *v);
extern int	pp_parse_float(const char *s, size_t len, float *v);

/* t, true, f, false, 1, 0 (lower case): as boolin. */
extern int	pp_parse_bool(const char *s, size_t len, int64_t *v);

/*
 * YYYY-MM-DD, optionally followed by ' ' or 'T' and HH:MM[:SS[.f]] (1 to
 * 6 fraction digits), optionally followed by an offset +HH, +HH:MM or
 * +HHMM (or -), hours at most 15.  Fields are validated as PostgreSQL
 * does (real calendar dates; 24:00 and leap seconds are refused).
 */
extern int	pp_parse_iso_datetime(const char *s, size_t len, PpDateTime *dt);

/*
 * The fixed form 'YYYY-MM-DD HH:MM:SS' (exactly 19 bytes, what
 * timestamp::text prints under DateStyle ISO): year, month, day and the
 * seconds of the day, validated as pp_parse_iso_datetime validates them
 * (which accepts every string this accepts, with the same fields).  0 for
 * anything else, for the general parser to decide.  Inline: it is the
 * inner loop of the timestamp input kernels.
 */
static inline int
pp_parse_iso19(const char *s, size_t len, int *year, int *mon, int *day, int *secs)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const unsigned char *u = (const unsigned char *) s;
	unsigned	d[19];
	int			y,
				m,
				dd,
				hh,
				mi,
				ss;

	if (len != 19 || u[4] != '-' || u[7] != '-' || u[10] != ' ' || u[13] != ':' ||
		u[16] != ':')
		return 0;
	/* straight-line code, no loop: this runs once per row */
#define PP_DIGIT(k) ((d[k] = (unsigned) u[k] - '0') > 9)
	if (PP_DIGIT(0) | PP_DIGIT(1) | PP_DIGIT(2) | PP_DIGIT(3) | PP_DIGIT(5) |
		PP_DIGIT(6) | PP_DIGIT(8) | PP_DIGIT(9) | PP_DIGIT(11) | PP_DIGIT(12) |
		PP_DIGIT(14) | PP_DIGIT(15) | PP_DIGIT(17) | PP_DIGIT(18))
		return 0;
#undef PP_DIGIT
	y = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
	m = d[5] * 10 + d[6];
	dd = d[8] * 10 + d[9];
	hh = d[11] * 10 + d[12];
	mi = d[14] * 10 + d[15];
	ss = d[17] * 10 + d[18];
	if (y < 1 || m < 1 || m > 12 || dd < 1 || hh > 23 || mi > 59 || ss > 59)
		return 0;
	if (dd > 28 &&
		dd > mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return 0;
	*year = y;
	*mon = m;
	*day = dd;
	*secs = (hh * 60 + mi) * 60 + ss;
	return 1;
}

/* Days from 2000-01-01 to y-m-d in the proleptic Gregorian calendar. */
extern int64_t pp_days_from_2000(int y, int m, int d);

/* Local microseconds since 2000-01-01 00:00 of the fields. */
extern int64_t pp_datetime_local_usecs(const PpDateTime *dt);

#endif							/* PARPROC_KERNELS_TEXTPARSE_H */
