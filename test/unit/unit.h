/*
 * unit.h
 *		What the unit tests of src/kernels share: the CHECK macro and its
 *		counters, the random generator, and the test entry points.
 *
 * The generator's state is one global, and main.c runs the tests in a fixed
 * order, so every test sees the same random numbers on every run.
 */
#ifndef PARPROC_UNIT_H
#define PARPROC_UNIT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../src/kernels/batch.h"

extern int	passed;
extern int	failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			passed++; \
		else \
		{ \
			failed++; \
			printf("FAIL %s:%d: ", __FILE__, __LINE__); \
			printf(__VA_ARGS__); \
			printf("\n"); \
		} \
	} while (0)

/* Deterministic xorshift generator, uniform in [0, 1). */
extern uint64_t rng_state;

/* The next number of the generator. */
static inline double
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double) (rng_state >> 11) / 9007199254740992.0;
}

/* Whether a and b agree within relative tolerance tol. */
static inline int
rel_close(double a, double b, double tol)
{
	if (a == b)
		return 1;
	return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

/* Columns of n rows for the batch kernel tests. */
typedef struct TestCol
{
	int64_t		i[8];
	double		f[8];
	PpStr		s[8];
	uint8_t		null[8];
	uint8_t		status[8];
	PpCol		col;
} TestCol;

/* Point the PpCol of t at its arrays. */
static inline PpCol *
tcol(TestCol *t)
{
	t->col.i = t->i;
	t->col.f = t->f;
	t->col.s = t->s;
	t->col.null = t->null;
	t->col.status = t->status;
	return &t->col;
}

/* test_sort.c: a stable sort of v into o, also the oracle of percentiles */
extern void reference_sort(const double *v, size_t n, double *o);

/* The tests, in the order main.c runs them. */
extern void test_moments_against_two_pass(double offset);
extern void test_moments_edge_cases(void);
extern void test_sort(void);
extern void test_percentile(void);
extern void test_histogram(void);
extern void test_vec(void);
extern void test_hll(void);
extern void test_topk(void);
extern void test_qsketch(void);
extern void test_graph(void);
extern void test_textparse(void);
extern void test_batch(void);
extern void test_timestamptz_hour_memo(void);
extern void test_textfn(void);
extern void test_comoments(void);
extern void test_linreg(void);
extern void test_recsplit(void);

#endif							/* PARPROC_UNIT_H */
