/*
 * test_recsplit.c
 *		COPY's record boundaries (src/kernels/recsplit.c): cases written out
 *		by hand, and on random files that every way of feeding the bytes
 *		gives the same cuts.  test/t/006_recsplit.pl checks the cuts against
 *		COPY itself.
 */
#include <string.h>

#include "unit.h"
#include "../../src/kernels/recsplit.h"

#define MAXREC 4096

/* Record starts (after the first) of s, fed whole or byte by byte. */
static int
record_starts(const char *buf, size_t len, int csv, char quote, char escape,
			  int bytewise, uint64_t *starts, uint64_t *lines)
{
	PpRecSplit	s;
	int			n = 0;
	size_t		off = 0;

	pp_recsplit_init(&s, csv, quote, escape, 0);
	while (off < len)
	{
		int			stop;

		off += pp_recsplit_feed(&s, buf + off, bytewise ? 1 : len - off, &stop);
		if (stop && s.rec_start < len && n < MAXREC)
		{
			lines[n] = s.rec_line;
			starts[n++] = s.rec_start;
		}
	}
	pp_recsplit_finish(&s);
	return n;
}

/* The cuts of buf with chunk_bytes, fed in pieces of random lengths. */
static int
cuts_of(const char *buf, size_t len, int csv, uint64_t chunk, int maxpiece,
		uint64_t *cuts, uint64_t *lines)
{
	PpRecSplit	s;
	int			n = 0;
	size_t		off = 0;

	pp_recsplit_init(&s, csv, '"', '"', chunk);
	while (off < len)
	{
		int			stop;
		size_t		piece = maxpiece ? 1 + (size_t) (rnd() * maxpiece) : len - off;

		if (piece > len - off)
			piece = len - off;
		off += pp_recsplit_feed(&s, buf + off, piece, &stop);
		if (stop && n < MAXREC)
		{
			lines[n] = s.cut_line;
			cuts[n++] = s.cut;
		}
	}
	if (pp_recsplit_finish(&s) && n < MAXREC)
	{
		lines[n] = s.cut_line;
		cuts[n++] = s.cut;
	}
	return n;
}

static void
check_starts(const char *what, const char *text, int csv, char quote, char escape,
			 int nwant, const uint64_t *want)
{
	uint64_t	got[MAXREC],
				lines[MAXREC];

	for (int bytewise = 0; bytewise < 2; bytewise++)
	{
		int			n = record_starts(text, strlen(text), csv, quote, escape, bytewise,
									  got, lines);
		int			same = n == nwant;

		for (int i = 0; same && i < n; i++)
			same = got[i] == want[i];
		CHECK(same, "recsplit %s (%s): %d record starts, wanted %d", what,
			  bytewise ? "bytewise" : "whole", n, nwant);
	}
}

/* A random file of records mixing everything that matters to boundaries. */
static size_t
random_file(char *buf, size_t max, int csv)
{
	static const char *const csvbits[] = {"a", ",", "\"", "\"\"", "\n", "\r\n", "x,y",
	"\"q\nq\"", "\\", "\\.", "1.5", ""};
	static const char *const textbits[] = {"a", "\t", "\\\n", "\\\\", "\\t", "\n",
	"\\.", "\\N", "x y", "\r", ""};
	const char *const *bits = csv ? csvbits : textbits;
	int			nbits = csv ? 12 : 11;
	size_t		len = 0;

	while (len + 8 < max)
	{
		const char *b = bits[(int) (rnd() * nbits)];
		size_t		l = strlen(b);

		/* mostly plain lines, so that there are many cuts to compare */
		if (rnd() < 0.6)
			b = csv ? "12,abc,\"d,e\"\n" : "12\tabc\tde\n", l = strlen(b);
		memcpy(buf + len, b, l);
		len += l;
	}
	return len;
}

void
test_recsplit(void)
{
	/* CSV: a quoted newline, a doubled quote, \r\n, a last line without \n */
	{
		uint64_t	w[] = {4, 15, 19};

		check_starts("csv quoted newline", "a,b\n\"x\ny\"\"\n\",z\nc,d\n\"\"", 1, '"', '"', 3, w);
	}
	{
		uint64_t	w[] = {5, 15};

		check_starts("csv crlf", "a,b\r\n\"x\r\ny\",z\r\nc", 1, '"', '"', 2, w);
	}
	/* CSV with ESCAPE '\': \" inside quotes does not end the field */
	{
		uint64_t	w[] = {8};

		check_starts("csv escape", "\"a\\\"\nb\"\nc\n", 1, '"', '\\', 1, w);
		/* without that escape the quote closes, and the \n ends the record */
		uint64_t	w2[] = {5};

		check_starts("csv no escape", "\"a\\\"\nb\"\nc\n", 1, '"', '"', 1, w2);
	}
	/* text: an escaped newline is data; an escaped backslash is not an escape */
	{
		uint64_t	w[] = {9};

		check_starts("text escapes", "a\\\nb\\\n\\\\\nc\n", 0, 0, 0, 1, w);
	}
	/* \r alone as the line ending */
	{
		uint64_t	w[] = {2, 4};

		check_starts("text cr", "a\rb\rc", 0, 0, 0, 2, w);
	}

	/* cuts: each range at least chunk bytes, before a record start */
	{
		const char *f = "aaaa\nbbbb\ncccc\ndddd\neeee\n";
		uint64_t	cuts[MAXREC],
					lines[MAXREC];
		int			n = cuts_of(f, strlen(f), 0, 8, 0, cuts, lines);

		CHECK(n == 2 && cuts[0] == 10 && cuts[1] == 20 && lines[0] == 3 && lines[1] == 5,
			  "recsplit: cuts of 8-byte chunks: %d", n);
	}

	/*
	 * no cut after an end-of-data marker, nor before a record with \r in a \n
	 * file
	 */
	{
		const char *f = "aaaa\nbbbb\n\\.\ncccc\ndddd\n";
		uint64_t	cuts[MAXREC],
					lines[MAXREC];
		int			n = cuts_of(f, strlen(f), 0, 4, 0, cuts, lines);

		CHECK(n == 1 && cuts[0] == 5, "recsplit: cuts stop at \\.: %d", n);
		f = "aaaa\nb\rbb\ncccc\ndddd\n";
		n = cuts_of(f, strlen(f), 0, 4, 0, cuts, lines);
		CHECK(n == 2 && cuts[0] == 10 && cuts[1] == 15,
			  "recsplit: no cut before an odd record: %d (%d)", n, n ? (int) cuts[0] : -1);
		f = "a,b\n\\.\nc\n";
		n = cuts_of(f, strlen(f), 1, 1, 0, cuts, lines);
		CHECK(n == 0, "recsplit: csv cuts stop at \\. at a line's start: %d", n);
		f = "a,b\nc\\.\nd\n";
		n = cuts_of(f, strlen(f), 1, 1, 0, cuts, lines);
		CHECK(n == 2, "recsplit: csv \\. inside a line is data: %d", n);
	}

	/* random files: byte-wise, random pieces and whole give the same cuts */
	for (int t = 0; t < 400; t++)
	{
		static char buf[8192];
		int			csv = t % 2;
		size_t		len = random_file(buf, 256 + (size_t) (rnd() * 7000), csv);
		uint64_t	chunk = 1 + (uint64_t) (rnd() * 300);
		uint64_t	a[MAXREC],
					b[MAXREC],
					la[MAXREC],
					lb[MAXREC],
					starts[MAXREC],
					sl[MAXREC];
		int			na = cuts_of(buf, len, csv, chunk, 0, a, la);
		int			nb = cuts_of(buf, len, csv, chunk, 1 + t % 17, b, lb);
		int			ns = record_starts(buf, len, csv, '"', '"', 0, starts, sl);
		int			same = na == nb;
		int			ok = 1;

		for (int i = 0; same && i < na; i++)
			same = a[i] == b[i] && la[i] == lb[i];
		CHECK(same, "recsplit: random file %d: cuts differ by feeding (%d, %d)", t, na, nb);
		/* every cut is a record start, on that record's line, increasing */
		for (int i = 0, j = 0; i < na; i++)
		{
			while (j < ns && starts[j] < a[i])
				j++;
			ok &= j < ns && starts[j] == a[i] && sl[j] == la[i] &&
				(i == 0 || a[i] > a[i - 1]) && a[i] < len;
		}
		CHECK(ok, "recsplit: random file %d: a cut is not a record start", t);
	}
}
