/*
 * kernels.c
 *		Micro-benchmarks behind design choices in the README: selecting
 *		percentile ranks versus sorting, first-touch cost of fresh memory
 *		with and without MADV_POPULATE_WRITE, and the record scan of file
 *		sources (src/kernels/recsplit.c) over CSV in memory, record by
 *		record as a chunk runs it.  `make bench-kernels`.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../src/kernels/percentile.h"
#include "../src/kernels/recsplit.h"
#include "../src/kernels/sort.h"

#define RUNS 5

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(double), cmp_double);
	return v[RUNS / 2];
}

/* Fill n values from a fixed xorshift sequence. */
static void
fill(double *v, size_t n)
{
	uint64_t	s = 88172645463325252ULL;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		v[i] = (double) (s >> 11) / 9007199254740992.0;
	}
}

/* Milliseconds to allocate and first-write bytes, optionally prefaulted. */
static double
first_touch(size_t bytes, int populate)
{
	double		t = now_ms();
	char	   *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
#ifdef MADV_POPULATE_WRITE
	if (populate)
		(void) madvise(p, bytes, MADV_POPULATE_WRITE);
#endif
	memset(p, 1, bytes);
	__asm__ volatile ("":::"memory");

	t = now_ms() - t;
	munmap(p, bytes);
	return t;
}

/*
 * n bytes of CSV lines like bench/fileload's (plain), or with a quoted
 * field of doubled quotes and a comma in every line (quoted).
 */
static size_t
csv_lines(char *buf, size_t n, int quoted)
{
	size_t		len = 0;

	for (long g = 1; len + 200 < n; g++)
		len += quoted ?
			sprintf(buf + len, "%ld,\"svc %ld, \"\"x\"\"\",%ld.5\n", g, g % 17, g % 1000) :
			sprintf(buf + len, "%ld,2026-01-01 00:00:%02ld+00,%ld.25,%ld,event %032lx\n",
					g, g % 60, g % 100000, g % 20, (unsigned long) g * 2654435761u);
	return len;
}

/* MB/s of the record scan over buf, stopping at every record. */
static double
scan_mbps(const char *buf, size_t len)
{
	PpRecSplit	s;
	size_t		off = 0;
	double		t = now_ms();

	pp_recsplit_init(&s, 1, '"', '"', 0);
	while (off < len)
	{
		int			stop;
		size_t		piece = len - off < 262144 ? len - off : 262144;

		off += pp_recsplit_feed(&s, buf + off, piece, &stop);
	}
	pp_recsplit_finish(&s);
	return len / 1e6 / ((now_ms() - t) / 1e3);
}

int
main(void)
{
	size_t		n = 10000000;
	double	   *v = malloc(n * sizeof(double));
	double		tsel[RUNS],
				tsort[RUNS],
				tpage[RUNS],
				tpop[RUNS],
				f = 0.99,
				out;
	size_t		ranks[2];
	int			r;
	size_t		csvmax = 256u << 20;
	char	   *csv = malloc(csvmax);
	double		plain[RUNS],
				quoted[RUNS];
	size_t		plain_len,
				quoted_len;

	for (r = 0; r < RUNS; r++)
	{
		double		t;

		fill(v, n);
		t = now_ms();
		pp_percentiles(v, n, &f, 1, true, &out, ranks);
		tsel[r] = now_ms() - t;

		fill(v, n);
		t = now_ms();
		pp_sort_f64(v, n);
		tsort[r] = now_ms() - t;

		tpage[r] = first_touch(80u << 20, 0);
		tpop[r] = first_touch(80u << 20, 1);
	}
	plain_len = csv_lines(csv, csvmax, 0);
	for (r = 0; r < RUNS; r++)
		plain[r] = scan_mbps(csv, plain_len);
	quoted_len = csv_lines(csv, csvmax, 1);
	for (r = 0; r < RUNS; r++)
		quoted[r] = scan_mbps(csv, quoted_len);
	printf("median of %d runs, %ld cores\n", RUNS, sysconf(_SC_NPROCESSORS_ONLN));
	printf("p99 of 10M doubles by selection (pp_percentiles): %8.1f ms\n", median(tsel));
	printf("full in-place sort of the same values:            %8.1f ms\n", median(tsort));
	printf("first touch of 80 MB, page by page:               %8.1f ms\n", median(tpage));
	printf("first touch of 80 MB after MADV_POPULATE_WRITE:   %8.1f ms\n", median(tpop));
	printf("record scan, %3zu MB of plain CSV:                  %8.0f MB/s\n", plain_len >> 20,
		   median(plain));
	printf("record scan, %3zu MB of quoted CSV:                 %8.0f MB/s\n", quoted_len >> 20,
		   median(quoted));
	free(v);
	free(csv);
	return 0;
}
