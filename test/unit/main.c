/*
 * main.c
 *		Unit tests of src/kernels, built and run without a server
 *		(make unittest).
 *
 * Every check compares a kernel against an independent computation:
 * two-pass moments in long double, qsort with a NaN-aware comparator,
 * hand-worked percentiles and bucket numbers.  One file per kernel
 * (test_*.c); this one holds the shared counters and generator state and
 * runs every test in a fixed order, which fixes the random numbers each
 * test sees.
 */
#include <stdio.h>

#include "unit.h"

int			passed = 0;
int			failed = 0;
uint64_t	rng_state = 88172645463325252ULL;

/* Run every test; exit status 1 if any check failed. */
int
main(void)
{
	test_moments_against_two_pass(0.0);
	test_moments_against_two_pass(1e9);
	test_moments_edge_cases();
	test_sort();
	test_percentile();
	test_histogram();
	test_vec();
	test_hll();
	test_topk();
	test_qsketch();
	test_graph();
	test_textparse();
	test_batch();
	test_timestamptz_hour_memo();
	test_textfn();
	test_comoments();
	test_linreg();
	test_recsplit();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
