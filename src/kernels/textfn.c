/*
 * textfn.c
 *		Column kernels for text functions (see textfn.h): what textlen,
 *		textcat, btrim/ltrim/rtrim (dotrim), lower/upper under the "C"
 *		collation, text_substring and md5_text compute, or the row flagged.
 *
 * Characters in UTF8 are stepped over exactly as pg_utf_mblen does (from
 * the lead byte alone), and counted as pg_mbstrlen_with_len does, so the
 * kernels agree with PostgreSQL on every string it can store.  Strings
 * with a NUL byte (which text cannot hold) are flagged rather than
 * reasoned about.
 */
#include <string.h>

#include "textfn.h"

/* The status of a strict function's row: the first flagged argument's. */
static inline uint8_t
args_status(const PpCol *a, const PpCol *b, const PpCol *c, size_t i)
{
	if (a->status[i])
		return a->status[i];
	if (b && b->status[i])
		return b->status[i];
	if (c && c->status[i])
		return c->status[i];
	return PP_ROW_OK;
}

/* Whether any argument's row is NULL. */
static inline int
args_null(const PpCol *a, const PpCol *b, const PpCol *c, size_t i)
{
	return a->null[i] || (b && b->null[i]) || (c && c->null[i]);
}

/* Row i of out NULL with status st. */
static inline void
set_null(PpCol *out, size_t i, uint8_t st)
{
	out->null[i] = 1;
	out->status[i] = st;
	if (out->s)
	{
		out->s[i].p = NULL;
		out->s[i].len = 0;
	}
}

/*
 * size bytes for the results of a call; without them every row that has a
 * value is flagged (PostgreSQL then computes it) and NULL is returned.
 */
static char *
alloc_or_flag(const PpAlloc *mem, size_t size, PpCol *out, size_t n)
{
	char	   *buf = mem->alloc(mem->arg, size > 0 ? size : 1);

	if (buf == NULL)
		for (size_t i = 0; i < n; i++)
			if (!out->null[i])
				set_null(out, i, PP_ROW_SPECIAL);
	return buf;
}

/* Row i of out is the text [p, p + len). */
static inline void
set_text(PpCol *out, size_t i, const char *p, int32_t len)
{
	out->s[i].p = p;
	out->s[i].len = len;
	out->null[i] = 0;
	out->status[i] = PP_ROW_OK;
}

/* The byte length of the UTF8 character with lead byte c (pg_utf_mblen). */
static inline int
utf8_mblen(unsigned char c)
{
	if ((c & 0x80) == 0)
		return 1;
	if ((c & 0xe0) == 0xc0)
		return 2;
	if ((c & 0xf0) == 0xe0)
		return 3;
	if ((c & 0xf8) == 0xf0)
		return 4;
	return 1;
}

/* Whether s has a byte with the high bit set. */
static inline int
has_non_ascii(const PpStr *s)
{
	for (int32_t k = 0; k < s->len; k++)
		if ((unsigned char) s->p[k] & 0x80)
			return 1;
	return 0;
}

/*
 * Characters in s as pg_mbstrlen_with_len counts them, or -1 if s has a
 * NUL byte or its last character runs past the end.
 */
static inline int64_t
char_count(int utf8, const PpStr *s)
{
	const unsigned char *p = (const unsigned char *) s->p;
	int64_t		limit = s->len,
				count = 0;

	if (s->len > 0 && memchr(s->p, '\0', s->len))
		return -1;
	if (!utf8)
		return s->len;
	while (limit > 0)
	{
		int			l = utf8_mblen(*p);

		limit -= l;
		p += l;
		count++;
	}
	return limit == 0 ? count : -1;
}

void
pp_text_length(int utf8, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		int64_t		len;

		if (a->status[i] || a->null[i])
		{
			set_null(out, i, a->status[i]);
			continue;
		}
		len = char_count(utf8, &a->s[i]);
		if (len < 0)
		{
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		out->i[i] = len;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

void
pp_text_cat(const PpCol *a, const PpCol *b, PpCol *out, size_t n,
			const PpAlloc *mem)
{
	size_t		total = 0;
	char	   *buf;

	/* first pass: NULL and flagged rows; out->status 0 and not NULL: to do */
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = args_status(a, b, NULL, i);

		if (st || args_null(a, b, NULL, i))
			set_null(out, i, st);
		else if ((int64_t) a->s[i].len + b->s[i].len > PP_TEXT_MAX_LEN)
			set_null(out, i, PP_ROW_SPECIAL);
		else
		{
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
			total += (size_t) a->s[i].len + b->s[i].len;
		}
	}
	buf = alloc_or_flag(mem, total, out, n);
	if (buf == NULL)
		return;
	for (size_t i = 0; i < n; i++)
	{
		int32_t		la = a->s[i].len,
					lb = b->s[i].len;

		if (out->null[i])
			continue;
		if (la > 0)
			memcpy(buf, a->s[i].p, la);
		if (lb > 0)
			memcpy(buf + la, b->s[i].p, lb);
		set_text(out, i, buf, la + lb);
		buf += la + lb;
	}
}

void
pp_text_trim(PpTrimEnds ends, const PpCol *a, const PpCol *set, PpCol *out,
			 size_t n)
{
	uint8_t		in_set[128];
	const char *cur_p = NULL;
	int32_t		cur_len = -1;

	if (set == NULL)
	{
		/* btrim(a) and the others trim spaces */
		memset(in_set, 0, sizeof(in_set));
		in_set[' '] = 1;
		cur_len = 1;
	}
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = args_status(a, set, NULL, i);
		const unsigned char *s;
		int32_t		lo = 0,
					hi;

		if (st || args_null(a, set, NULL, i))
		{
			set_null(out, i, st);
			continue;
		}
		if (set && (set->s[i].p != cur_p || set->s[i].len != cur_len))
		{
			/* a new set: only ASCII characters are handled */
			if (has_non_ascii(&set->s[i]))
			{
				set_null(out, i, PP_ROW_SPECIAL);
				continue;
			}
			memset(in_set, 0, sizeof(in_set));
			for (int32_t k = 0; k < set->s[i].len; k++)
				in_set[(unsigned char) set->s[i].p[k]] = 1;
			cur_p = set->s[i].p;
			cur_len = set->s[i].len;
		}
		s = (const unsigned char *) a->s[i].p;
		hi = a->s[i].len;
		/* bytes >= 0x80 are never in the set, so never split a character */
		if (ends & PP_TRIM_LEADING)
			while (lo < hi && s[lo] < 128 && in_set[s[lo]])
				lo++;
		if (ends & PP_TRIM_TRAILING)
			while (hi > lo && s[hi - 1] < 128 && in_set[s[hi - 1]])
				hi--;
		set_text(out, i, a->s[i].p + lo, hi - lo);
	}
}

void
pp_text_case(int upper, const PpCol *a, PpCol *out, size_t n, const PpAlloc *mem)
{
	size_t		total = 0;
	char	   *buf;

	for (size_t i = 0; i < n; i++)
	{
		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else if (has_non_ascii(&a->s[i]) ||
				 (a->s[i].len > 0 && memchr(a->s[i].p, '\0', a->s[i].len)))
			set_null(out, i, PP_ROW_SPECIAL);
		else
		{
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
			total += a->s[i].len;
		}
	}
	buf = alloc_or_flag(mem, total, out, n);
	if (buf == NULL)
		return;
	for (size_t i = 0; i < n; i++)
	{
		const char *s = a->s[i].p;
		int32_t		len = a->s[i].len;

		if (out->null[i])
			continue;
		for (int32_t k = 0; k < len; k++)
		{
			char		c = s[k];

			if (upper && c >= 'a' && c <= 'z')
				c += 'A' - 'a';
			else if (!upper && c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			buf[k] = c;
		}
		set_text(out, i, buf, len);
		buf += len;
	}
}

void
pp_text_substr(int utf8, const PpCol *a, const PpCol *start, const PpCol *count,
			   PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = args_status(a, start, count, i);
		int64_t		s = 0,
					s1,
					e1,
					nchars;
		const char *p,
				   *end,
				   *from;

		if (st || args_null(a, start, count, i))
		{
			set_null(out, i, st);
			continue;
		}
		s = start->i[i];
		s1 = s > 1 ? s : 1;
		nchars = char_count(utf8, &a->s[i]);
		if (count && count->i[i] < 0)
		{
			/* "negative substring length not allowed": PostgreSQL raises it */
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		if (nchars < 0)
		{
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		/* characters s1 .. e1 - 1; s + count beyond int4 runs to the end */
		e1 = nchars + 1;
		if (count && s + count->i[i] <= INT32_MAX && s + count->i[i] < e1)
			e1 = s + count->i[i];
		if (e1 <= s1)
		{
			set_text(out, i, a->s[i].p, 0);
			continue;
		}
		p = a->s[i].p;
		end = p + a->s[i].len;
		if (!utf8)
		{
			set_text(out, i, p + (s1 - 1), (int32_t) (e1 - s1));
			continue;
		}
		for (int64_t k = 1; k < s1; k++)
			p += utf8_mblen((unsigned char) *p);
		from = p;
		for (int64_t k = s1; k < e1; k++)
			p += utf8_mblen((unsigned char) *p);
		if (p > end)
			set_null(out, i, PP_ROW_SPECIAL);	/* cannot happen: counted */
		else
			set_text(out, i, from, (int32_t) (p - from));
	}
}

void
pp_text_md5(const PpCol *a, PpCol *out, size_t n, const PpAlloc *mem, PpHexDigest digest)
{
	size_t		rows = 0;
	char	   *buf;

	for (size_t i = 0; i < n; i++)
	{
		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else
		{
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
			rows++;
		}
	}
	buf = alloc_or_flag(mem, rows * 32, out, n);
	if (buf == NULL)
		return;
	for (size_t i = 0; i < n; i++)
	{
		if (out->null[i])
			continue;
		if (!digest(a->s[i].p, (size_t) a->s[i].len, buf))
		{
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		set_text(out, i, buf, 32);
		buf += 32;
	}
}
