/*
 * fuzz_textparse.c
 *		libFuzzer target for the fast text parsers (src/kernels/textparse.c):
 *		any byte string must be refused or parsed in full, under
 *		AddressSanitizer, and what is accepted must agree with an independent
 *		reading: integers with strtoll, ISO dates and times by printing the
 *		fields back and comparing with the input; the fixed 19-byte form
 *		(pp_parse_iso19) against the general ISO parser.  `make fuzz` runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/textparse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fields of dt printed in the form they were read from (len chars). */
static int
same_text(const PpDateTime *dt, const char *s, size_t len)
{
	char		buf[64];
	char		sep;
	int			n;

	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02d", dt->year, dt->mon, dt->day);
	if (dt->has_time)
	{
		sep = len > 10 ? s[10] : ' ';
		n += snprintf(buf + n, sizeof(buf) - n, "%c%02d:%02d", sep, dt->hour, dt->min);
		if (len > 16 && s[16] == ':')
			n += snprintf(buf + n, sizeof(buf) - n, ":%02d", dt->sec);
		if (len > 19 && s[19] == '.')
		{
			int			k = 0;
			char		frac[8];

			while (20 + k < len && s[20 + k] >= '0' && s[20 + k] <= '9')
				k++;
			snprintf(frac, sizeof(frac), "%06d", dt->usec);
			n += snprintf(buf + n, sizeof(buf) - n, ".%.*s", k, frac);
			/* the digits dropped must have been zeros */
			for (int j = k; j < 6; j++)
				if (frac[j] != '0')
					return 0;
		}
	}
	if (dt->has_tz)
	{
		int			off = dt->gmtoff < 0 ? -dt->gmtoff : dt->gmtoff;
		const char *tz = s + n;
		size_t		tzlen = len - n;

		/* -00 is offset 0: take the sign as written then */
		n += snprintf(buf + n, sizeof(buf) - n, "%c%02d",
					  dt->gmtoff < 0 ? '-' : dt->gmtoff > 0 ? '+' : tz[0], off / 3600);
		if (tzlen == 6)
			n += snprintf(buf + n, sizeof(buf) - n, ":%02d", off % 3600 / 60);
		else if (tzlen == 5)
			n += snprintf(buf + n, sizeof(buf) - n, "%02d", off % 3600 / 60);
		else if (off % 3600 != 0)
			return 0;
	}
	return (size_t) n == len && memcmp(buf, s, len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	PpDateTime	dt;
	int64_t		v;
	double		d;
	float		f;

	if (pp_parse_iso_datetime(s, size, &dt))
	{
		if (!same_text(&dt, s, size))
			abort();
		(void) pp_datetime_local_usecs(&dt);
	}
	{
		int			y,
					m,
					d19,
					secs;
		int			fast = pp_parse_iso19(s, size, &y, &m, &d19, &secs);

		/*
		 * the fixed form: accepted exactly when the general parser reads it
		 * so
		 */
		if (fast != (size == 19 && s[10] == ' ' && pp_parse_iso_datetime(s, size, &dt) &&
					 !dt.has_tz && s[16] == ':'))
			abort();
		if (fast && (y != dt.year || m != dt.mon || d19 != dt.day ||
					 secs != (dt.hour * 60 + dt.min) * 60 + dt.sec))
			abort();
	}
	if (pp_parse_int(s, size, INT64_MIN, INT64_MAX, &v))
	{
		char		buf[32];
		char	   *end;

		memcpy(buf, s, size);	/* at most 19 bytes when accepted */
		buf[size] = '\0';
		errno = 0;
		if (strtoll(buf, &end, 10) != v || *end != '\0' || errno != 0)
			abort();
	}
	if (pp_parse_double(s, size, &d) != pp_parse_double(s, size, &d))
		abort();
	(void) pp_parse_float(s, size, &f);
	(void) pp_parse_bool(s, size, &v);
	return 0;
}
