/*
 * recsplit_cuts.c
 *		Print where src/kernels/recsplit.c cuts a file: one "offset line"
 *		per cut.  test/t/007_recsplit.pl compares COPY of the pieces with
 *		COPY of the whole file.
 *
 *		recsplit_cuts csv|text QUOTE ESCAPE CHUNK_BYTES FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/recsplit.h"

int
main(int argc, char **argv)
{
	PpRecSplit	s;
	FILE	   *f;
	char		buf[4096];
	size_t		n;

	if (argc != 6 || (f = fopen(argv[5], "rb")) == NULL)
	{
		fprintf(stderr, "usage: recsplit_cuts csv|text QUOTE ESCAPE CHUNK_BYTES FILE\n");
		return 2;
	}
	pp_recsplit_init(&s, strcmp(argv[1], "csv") == 0, argv[2][0], argv[3][0],
					 strtoull(argv[4], NULL, 10));
	/* small reads, so that records and line endings straddle them */
	while ((n = fread(buf, 1, 1 + rand() % sizeof(buf), f)) > 0)
	{
		size_t		off = 0;

		while (off < n)
		{
			int			stop;

			off += pp_recsplit_feed(&s, buf + off, n - off, &stop);
			if (stop)
				printf("%llu %llu\n", (unsigned long long) s.cut,
					   (unsigned long long) s.cut_line);
		}
	}
	if (pp_recsplit_finish(&s))
		printf("%llu %llu\n", (unsigned long long) s.cut, (unsigned long long) s.cut_line);
	fclose(f);
	return 0;
}
