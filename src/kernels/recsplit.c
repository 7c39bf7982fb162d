/*
 * recsplit.c
 *		Record boundaries of COPY's text and CSV formats (see recsplit.h).
 *
 * The scan follows COPY FROM's line reader byte for byte: in CSV a quote
 * toggles the quoted state unless an escape (a different character than
 * the quote) inside quotes precedes it; outside quotes \r, \n or \r\n end
 * the record, the first one seen fixing the file's line ending; in text a
 * backslash takes the next byte as data (so an escaped newline does not
 * end the record), and \. is the end-of-data marker.  Where COPY would
 * raise an error (a line ending other than the file's) the scan goes on,
 * treating the byte as data, and marks the record as one not to cut
 * before.
 */
#include <string.h>

#include "recsplit.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

void
pp_recsplit_init(PpRecSplit *s, int csv, char quote, char escape, uint64_t chunk_bytes)
{
	int			n = 0;

	*s = (PpRecSplit)
	{
		0
	};
	s->csv = csv;
	s->quote = quote;
	/* as COPY: no separate escape handling when it is the quote */
	s->escape = escape == quote ? '\0' : escape;
	s->chunk_bytes = chunk_bytes;
	s->special['\r'] = s->special['\n'] = s->special['\\'] = 1;
	if (csv)
		s->special[(unsigned char) s->quote] = s->special[(unsigned char) s->escape] = 1;
	/* each special byte 16 times (the first again where there are fewer) */
	for (int c = 0; c < 256; c++)
		if (s->special[c])
			memset(s->specials[n++], c, 16);
	for (int k = n; k < 5; k++)
		memcpy(s->specials[k], s->specials[0], 16);
	s->first_char = 1;
	s->rec_line = 1;
}

/* The line the next byte is on. */
static uint64_t
current_line(const PpRecSplit *s)
{
	return 1 + (s->eol == PP_EOL_CR ? s->cr : s->nl);
}

static void
consume(PpRecSplit *s, unsigned char c)
{
	s->pos++;
	s->nl += c == '\n';
	s->cr += c == '\r';
}

/*
 * A record ended at s->pos: confirm a cut before it if it was clean, arm
 * the next cut, and begin the next record.  Returns 1 when feeding must
 * stop (a cut, or every record with chunk_bytes 0).
 */
static int
record_end(PpRecSplit *s, int at_eof)
{
	int			stop = s->chunk_bytes == 0;

	s->records++;
	if (s->pending)
	{
		if (!s->odd && !s->stopped)
		{
			s->cut = s->last_cut = s->pending;
			s->cut_line = s->pending_line;
			stop = 1;
		}
		s->pending = 0;
	}
	s->rec_start = s->pos;
	s->rec_line = current_line(s);
	if (!at_eof && !s->stopped && s->chunk_bytes > 0 &&
		s->pos - s->last_cut >= s->chunk_bytes)
	{
		s->pending = s->pos;
		s->pending_line = s->rec_line;
	}
	s->in_quote = 0;
	s->last_was_esc = 0;
	s->first_char = 1;
	s->odd = 0;
	return stop;
}

static void
stop_cutting(PpRecSplit *s)
{
	s->stopped = 1;
	s->pending = 0;
}

/*
 * One byte.  Returns 0 (consumed), 1 (consumed; the record ended after it)
 * or 2 (not consumed: the record ended before it, at a \r alone that made
 * the file's line ending \r).
 */
static int
scan_byte(PpRecSplit *s, unsigned char c)
{
	if (s->after_cr)
	{
		s->after_cr = 0;
		if (c == '\n')
		{
			if (s->eol == PP_EOL_UNKNOWN)
				s->eol = PP_EOL_CRNL;
			consume(s, c);
			return 1;
		}
		if (s->eol == PP_EOL_UNKNOWN)
		{
			s->eol = PP_EOL_CR;
			return 2;
		}
		s->odd = 1;				/* \r alone in a \r\n file */
	}
	if (s->after_bs)
	{
		s->after_bs = 0;
		if (c == '.')
		{
			stop_cutting(s);
			consume(s, c);
			return 0;
		}
		if (!s->csv)
		{
			consume(s, c);		/* escaped: data, even a line ending */
			return 0;
		}
		/* in CSV the byte after a backslash is an ordinary one */
	}
	consume(s, c);
	if (s->csv)
	{
		if (s->in_quote && c == (unsigned char) s->escape)
			s->last_was_esc = !s->last_was_esc;
		if (c == (unsigned char) s->quote && !s->last_was_esc)
			s->in_quote = !s->in_quote;
		if (c != (unsigned char) s->escape)
			s->last_was_esc = 0;
	}
	if (!s->csv || !s->in_quote)
	{
		if (c == '\r')
		{
			s->first_char = 0;
			if (s->eol == PP_EOL_UNKNOWN || s->eol == PP_EOL_CRNL)
			{
				s->after_cr = 1;
				return 0;
			}
			if (s->eol == PP_EOL_CR)
				return 1;
			s->odd = 1;			/* \r in a \n file */
			return 0;
		}
		if (c == '\n')
		{
			s->first_char = 0;
			if (s->eol == PP_EOL_CR || s->eol == PP_EOL_CRNL)
			{
				s->odd = 1;
				return 0;
			}
			s->eol = PP_EOL_NL;
			return 1;
		}
	}
	if (c == '\\' && (!s->csv || s->first_char))
		s->after_bs = 1;
	s->first_char = 0;
	return 0;
}

/* The first byte the scan must look at in buf[i..len), or len. */
static size_t
skip_plain(const PpRecSplit *s, const char *buf, size_t i, size_t len)
{
#ifdef __SSE2__
	/* 16 bytes at a time against each special byte (at most 5) */
	__m128i		sp[5];

	for (int k = 0; k < 5; k++)
		sp[k] = _mm_loadu_si128((const __m128i *) s->specials[k]);
	while (i + 16 <= len)
	{
		__m128i		x = _mm_loadu_si128((const __m128i *) (buf + i));
		__m128i		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp[0]),
												  _mm_cmpeq_epi8(x, sp[1])),
									 _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, sp[2]),
															   _mm_cmpeq_epi8(x, sp[3])),
												  _mm_cmpeq_epi8(x, sp[4])));
		int			mask = _mm_movemask_epi8(m);

		if (mask)
			return i + __builtin_ctz(mask);
		i += 16;
	}
#endif
	while (i < len && !s->special[(unsigned char) buf[i]])
		i++;
	return i;
}

size_t
pp_recsplit_feed(PpRecSplit *s, const char *buf, size_t len, int *stop)
{
	size_t		i = 0;

	*stop = 0;
	while (i < len)
	{
		int			ev;

		/* a run of bytes that change nothing but the position */
		if (!s->after_cr && !s->after_bs && !s->special[(unsigned char) buf[i]])
		{
			size_t		j = skip_plain(s, buf, i + 1, len);

			s->pos += j - i;
			s->first_char = 0;
			s->last_was_esc = 0;
			i = j;
			continue;
		}
		ev = scan_byte(s, (unsigned char) buf[i]);

		if (ev != 2)
			i++;
		if (ev && record_end(s, 0))
		{
			*stop = 1;
			break;
		}
	}
	return i;
}

int
pp_recsplit_finish(PpRecSplit *s)
{
	uint64_t	cuts = s->last_cut;

	if (s->after_cr)
	{
		s->after_cr = 0;
		if (s->eol == PP_EOL_UNKNOWN)
			s->eol = PP_EOL_CR;
		else if (s->eol == PP_EOL_CRNL)
			s->odd = 1;
	}
	s->after_bs = 0;
	if (s->pos > s->rec_start)
		record_end(s, 1);
	s->pending = 0;
	return s->last_cut != cuts;
}
