/*
 * fuzz_recsplit.c
 *		libFuzzer target for COPY's record boundaries (src/kernels/recsplit.c):
 *		any bytes, in either format with the first bytes choosing the
 *		options, must give the same cuts fed whole as fed in pieces, each a
 *		record start of the same scan with chunk_bytes 0, increasing and
 *		inside the file, under AddressSanitizer.  `make fuzz` runs it.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/recsplit.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXCUTS 70000

static uint64_t whole[MAXCUTS],
			pieces[MAXCUTS],
			starts[MAXCUTS];

/* Cuts (or with chunk 0 record starts) of buf, fed in pieces of step bytes. */
static int
cuts(const char *buf, size_t len, int csv, char quote, char escape, uint64_t chunk,
	 size_t step, uint64_t *out)
{
	PpRecSplit	s;
	size_t		off = 0;
	int			n = 0;

	pp_recsplit_init(&s, csv, quote, escape, chunk);
	while (off < len)
	{
		int			stop;
		size_t		piece = step < len - off ? step : len - off;

		off += pp_recsplit_feed(&s, buf + off, piece, &stop);
		if (stop)
			out[n++] = chunk ? s.cut : s.rec_start;
	}
	if (pp_recsplit_finish(&s) && chunk)
		out[n++] = s.cut;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf;
	size_t		len;
	int			csv;
	char		quote,
				escape;
	uint64_t	chunk;
	int			nw,
				np,
				ns;

	if (size < 4)
		return 0;
	csv = data[0] & 1;
	quote = (data[0] & 2) ? '\'' : '"';
	escape = (data[0] & 4) ? '\\' : quote;
	chunk = 1 + data[1] % 64;
	buf = (const char *) data + 3;
	len = size - 3;

	nw = cuts(buf, len, csv, quote, escape, chunk, len, whole);
	np = cuts(buf, len, csv, quote, escape, chunk, 1 + data[2] % 7, pieces);
	ns = cuts(buf, len, csv, quote, escape, 0, len, starts);
	if (nw != np || memcmp(whole, pieces, sizeof(uint64_t) * nw) != 0)
		abort();
	for (int i = 0, j = 0; i < nw; i++)
	{
		while (j < ns && starts[j] < whole[i])
			j++;
		if (j == ns || starts[j] != whole[i] || whole[i] >= len ||
			(i > 0 && whole[i] <= whole[i - 1]))
			abort();
	}
	return 0;
}
