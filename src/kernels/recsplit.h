/*
 * recsplit.h
 *		Record boundaries of COPY's text and CSV formats, for cutting a file
 *		into byte ranges that COPY can read apart.
 *
 * A record ends where COPY FROM ends a line: at a line ending outside a
 * quoted CSV field and not after a text-format backslash.  The state a
 * record's scan needs (quote parity, a pending escape) starts afresh at
 * every record, so a range that begins where a record begins is read by
 * COPY exactly as the whole file would read it there, provided the range's
 * first line shows the file's line ending (COPY takes its line ending from
 * the first line it reads).  The splitter therefore cuts only before a
 * record whose scan found no other line ending ("clean"), and stops cutting
 * at an end-of-data marker (\. : in text anywhere unescaped, in CSV at the
 * start of a line): the range holding it reaches to the end of the file,
 * and COPY decides what the marker means.
 *
 * The bytes are scanned as they are in the file: right for every encoding
 * whose multibyte characters have no byte below 0x80, which is all server
 * encodings and UTF8; the client-only encodings (SJIS, BIG5, GBK, UHC,
 * GB18030, JOHAB) may hide a quote or backslash in a character, so the
 * caller does not cut files in those.
 */
#ifndef PARPROC_KERNELS_RECSPLIT_H
#define PARPROC_KERNELS_RECSPLIT_H

#include <stddef.h>
#include <stdint.h>

/* The file's line ending, from its first line, as COPY's eol_type. */
#define PP_EOL_UNKNOWN 0
#define PP_EOL_NL 1
#define PP_EOL_CR 2
#define PP_EOL_CRNL 3

typedef struct PpRecSplit
{
	/* the format */
	int			csv;
	char		quote;			/* CSV */
	char		escape;			/* CSV: '\0' when the same as quote */
	uint64_t	chunk_bytes;	/* cut after at least this many bytes */
	unsigned char special[256]; /* the bytes the scan must look at, */
	char		specials[5][16];	/* each 16 times (at most 5), for SIMD */

	/* the record being scanned */
	int			eol;
	int			in_quote;
	int			last_was_esc;
	int			first_char;
	int			after_bs;		/* the last byte was a backslash that matters */
	int			after_cr;		/* ... a \r whose next byte decides */
	int			odd;			/* it holds a line ending not the file's */
	uint64_t	pos;			/* bytes scanned */
	uint64_t	nl;				/* \n and \r bytes scanned */
	uint64_t	cr;
	uint64_t	rec_start;		/* where the record began */
	uint64_t	rec_line;		/* its line (1-based) */
	uint64_t	records;		/* records ended */

	/* cutting */
	uint64_t	last_cut;
	uint64_t	pending;		/* a cut waiting for its record; 0 = none */
	uint64_t	pending_line;
	int			stopped;		/* an end-of-data marker: no more cuts */

	/* what pp_recsplit_feed stopped for */
	uint64_t	cut;			/* a range begins here, */
	uint64_t	cut_line;		/* on this line */
} PpRecSplit;

/*
 * Begin a file.  quote and escape as COPY's CSV options (ignored for text);
 * chunk_bytes 0 stops after every record instead of cutting.
 */
extern void pp_recsplit_init(PpRecSplit *s, int csv, char quote, char escape,
							 uint64_t chunk_bytes);

/*
 * Scan the next len bytes of the file.  Returns how many were consumed:
 * all of them, or fewer when it stopped for a cut (*stop = 1: s->cut and
 * s->cut_line say where) or, with chunk_bytes 0, at a record's end
 * (*stop = 1: s->records records ended, the next begins at s->rec_start).
 */
extern size_t pp_recsplit_feed(PpRecSplit *s, const char *buf, size_t len, int *stop);

/*
 * The end of the file: a last record without a line ending ends here.
 * Returns 1 when that confirms a cut (s->cut), 0 otherwise.
 */
extern int	pp_recsplit_finish(PpRecSplit *s);

#endif							/* PARPROC_KERNELS_RECSPLIT_H */
