/*
 * textparse.c
 *		Fast parsers of common text forms (see textparse.h).
 *
 * Each parser recognises a narrow grammar by hand and refuses everything
 * else, so the question "is this what PostgreSQL returns?" only arises for
 * inputs whose meaning is unambiguous: decimal integers, plain decimal
 * floats (converted by the same strtod/strtof PostgreSQL calls, in the same
 * C locale), and ISO 8601 dates and times with a four-digit year first,
 * which DecodeDate reads the same way under every DateStyle.
 */
#include <errno.h>
#include <stdlib.h>

#include "textparse.h"

/* Whether c is an ASCII digit. */
static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly k digits at s[*pos], as a number; -1 if not. */
static int
fixed_digits(const char *s, size_t len, size_t *pos, int k)
{
	int			v = 0;

	if (*pos + k > len)
		return -1;
	for (int i = 0; i < k; i++)
	{
		char		c = s[*pos + i];

		if (!is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	*pos += k;
	return v;
}

int
pp_parse_int(const char *s, size_t len, int64_t lo, int64_t hi, int64_t *v)
{
	size_t		i = 0;
	int			neg = 0;
	int64_t		acc = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+'))
	{
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len || len - i > 18)
		return 0;
	for (; i < len; i++)
	{
		if (!is_digit(s[i]))
			return 0;
		acc = acc * 10 + (s[i] - '0');
	}
	if (neg)
		acc = -acc;
	if (acc < lo || acc > hi)
		return 0;
	*v = acc;
	return 1;
}

/*
 * Whether s is a plain decimal number; copies it, terminated, into buf
 * (size 64).
 */
static int
plain_decimal(const char *s, size_t len, char *buf)
{
	size_t		i = 0;
	int			mant = 0;

	if (len == 0 || len > 63)
		return 0;
	if (s[0] == '-' || s[0] == '+')
		i++;
	while (i < len && is_digit(s[i]))
		i++, mant++;
	if (i < len && s[i] == '.')
	{
		i++;
		while (i < len && is_digit(s[i]))
			i++, mant++;
	}
	if (mant == 0)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		int			exp = 0;

		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < len && is_digit(s[i]))
			i++, exp++;
		if (exp == 0)
			return 0;
	}
	if (i != len)
		return 0;
	for (i = 0; i < len; i++)
		buf[i] = s[i];
	buf[len] = '\0';
	return 1;
}

int
pp_parse_double(const char *s, size_t len, double *v)
{
	char		buf[64];
	char	   *end;
	double		d;

	if (!plain_decimal(s, len, buf))
		return 0;
	errno = 0;
	d = strtod(buf, &end);
	if (errno != 0 || end != buf + len)
		return 0;
	*v = d;
	return 1;
}

int
pp_parse_float(const char *s, size_t len, float *v)
{
	char		buf[64];
	char	   *end;
	float		f;

	if (!plain_decimal(s, len, buf))
		return 0;
	errno = 0;
	f = strtof(buf, &end);
	if (errno != 0 || end != buf + len)
		return 0;
	*v = f;
	return 1;
}

int
pp_parse_bool(const char *s, size_t len, int64_t *v)
{
	if ((len == 1 && (s[0] == 't' || s[0] == '1')) ||
		(len == 4 && s[0] == 't' && s[1] == 'r' && s[2] == 'u' && s[3] == 'e'))
		*v = 1;
	else if ((len == 1 && (s[0] == 'f' || s[0] == '0')) ||
			 (len == 5 && s[0] == 'f' && s[1] == 'a' && s[2] == 'l' && s[3] == 's' &&
			  s[4] == 'e'))
		*v = 0;
	else
		return 0;
	return 1;
}

/* Days in month m of year y. */
static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

int64_t
pp_days_from_2000(int y, int m, int d)
{
	/* count years from March, so the leap day ends a year */
	int64_t		yy = (int64_t) y - (m <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;	/* 0..399 */
	int64_t		doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	/* era * 146097 + doe counts from 0000-03-01; 2000-01-01 is day 730425 */
	return era * 146097 + doe - 730425;
}

int64_t
pp_datetime_local_usecs(const PpDateTime *dt)
{
	int64_t		secs = (int64_t) (dt->hour * 60 + dt->min) * 60 + dt->sec;

	return pp_days_from_2000(dt->year, dt->mon, dt->day) * PP_USECS_PER_DAY +
		secs * PP_USECS_PER_SEC + dt->usec;
}

/* The offset +HH, +HH:MM, +HHMM (or -) at s[pos..len); 1 if it is one. */
static int
parse_offset(const char *s, size_t len, size_t pos, int32_t *gmtoff)
{
	int			sign = s[pos] == '-' ? -1 : 1;
	int			hh,
				mm = 0;

	pos++;
	if ((hh = fixed_digits(s, len, &pos, 2)) < 0 || hh > 15)
		return 0;
	if (pos < len)
	{
		if (s[pos] == ':')
			pos++;
		if ((mm = fixed_digits(s, len, &pos, 2)) < 0 || mm > 59)
			return 0;
	}
	if (pos != len)
		return 0;
	*gmtoff = sign * (hh * 3600 + mm * 60);
	return 1;
}

int
pp_parse_iso_datetime(const char *s, size_t len, PpDateTime *dt)
{
	size_t		pos = 0;

	dt->has_time = dt->has_tz = 0;
	dt->hour = dt->min = dt->sec = 0;
	dt->usec = 0;
	dt->gmtoff = 0;
	if ((dt->year = fixed_digits(s, len, &pos, 4)) < 1 ||
		pos == len || s[pos++] != '-' ||
		(dt->mon = fixed_digits(s, len, &pos, 2)) < 1 || dt->mon > 12 ||
		pos == len || s[pos++] != '-' ||
		(dt->day = fixed_digits(s, len, &pos, 2)) < 1 ||
		dt->day > days_in_month(dt->year, dt->mon))
		return 0;
	if (pos == len)
		return 1;
	if (s[pos] != ' ' && s[pos] != 'T')
		return 0;
	pos++;
	dt->has_time = 1;
	if ((dt->hour = fixed_digits(s, len, &pos, 2)) < 0 || dt->hour > 23 ||
		pos == len || s[pos++] != ':' ||
		(dt->min = fixed_digits(s, len, &pos, 2)) < 0 || dt->min > 59)
		return 0;
	if (pos < len && s[pos] == ':')
	{
		pos++;
		if ((dt->sec = fixed_digits(s, len, &pos, 2)) < 0 || dt->sec > 59)
			return 0;
		if (pos < len && s[pos] == '.')
		{
			int			k = 0;
			int32_t		frac = 0;

			pos++;
			while (pos < len && is_digit(s[pos]) && k < 7)
			{
				frac = frac * 10 + (s[pos++] - '0');
				k++;
			}
			/* more than 6 digits round: PostgreSQL's business */
			if (k == 0 || k > 6)
				return 0;
			while (k++ < 6)
				frac *= 10;
			dt->usec = frac;
		}
	}
	if (pos == len)
		return 1;
	if (s[pos] != '+' && s[pos] != '-')
		return 0;
	dt->has_tz = 1;
	return parse_offset(s, len, pos, &dt->gmtoff);
}
