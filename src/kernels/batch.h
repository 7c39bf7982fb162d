/*
 * batch.h
 *		Column kernels over a batch of rows, for the vectorised evaluation of
 *		pipeline stages (src/pipeline/veccompile.c, vecexec.c).
 *
 * A column (PpCol) is n values, a null flag per row and a status per row.
 * Integers of every width, booleans, dates and timestamps are held as
 * int64_t; float4 and float8 as double (a float4 is exactly representable,
 * and float4 kernels round every result to float as float.c does); text as
 * pointer and length into storage the caller keeps alive.
 *
 * The status of a row is PP_ROW_OK, or the reason this kernel could not
 * compute what PostgreSQL computes (an error PostgreSQL would raise, or an
 * input the fast parsers are not sure about).  Statuses propagate like
 * PostgreSQL's evaluation order: a strict operator's row is flagged when
 * an argument's row is, so the status of an expression's root says "this
 * row must be evaluated by PostgreSQL", which then raises the same error
 * or returns the value.  A flagged row's value is left NULL, so later
 * kernels never read garbage.  Kernels flag a superset of the rows that
 * fail in PostgreSQL; they never return a value PostgreSQL would not.
 */
#ifndef PARPROC_KERNELS_BATCH_H
#define PARPROC_KERNELS_BATCH_H

#include <stddef.h>
#include <stdint.h>

typedef enum PpRowStatus
{
	PP_ROW_OK = 0,
	PP_ROW_OUT_OF_RANGE,		/* integer overflow, cast out of range */
	PP_ROW_FLOAT_OVERFLOW,		/* "value out of range: overflow" */
	PP_ROW_FLOAT_UNDERFLOW,		/* "value out of range: underflow" */
	PP_ROW_DIVISION_BY_ZERO,
	PP_ROW_SQRT_NEGATIVE,		/* "cannot take square root of a negative
								 * number" */
	PP_ROW_UNPARSED,			/* text the fast parser does not accept */
	PP_ROW_TIME_ZONE,			/* local time near a time zone transition */
	PP_ROW_SPECIAL				/* a domain error or special case (NaN,
								 * infinities, a result out of range) the
								 * PostgreSQL function decides */
} PpRowStatus;

/* Text: a pointer and a length, not terminated. */
typedef struct PpStr
{
	const char *p;
	int32_t		len;
} PpStr;

/* One column of a batch; only the value array of its kind is set. */
typedef struct PpCol
{
	int64_t    *i;				/* integers, booleans, dates, timestamps */
	double	   *f;				/* float4, float8 */
	PpStr	   *s;				/* text */
	uint8_t    *null;			/* 1: NULL */
	uint8_t    *status;			/* PpRowStatus */
} PpCol;

typedef enum PpKind
{
	PP_KIND_INT,
	PP_KIND_FLOAT,
	PP_KIND_TEXT
} PpKind;

typedef enum PpArith
{
	PP_ADD,
	PP_SUB,
	PP_MUL,
	PP_DIV,
	PP_MOD
} PpArith;

typedef enum PpCmp
{
	PP_EQ,
	PP_NE,
	PP_LT,
	PP_LE,
	PP_GT,
	PP_GE
} PpCmp;

/*
 * Integer a op b in int64, flagged PP_ROW_OUT_OF_RANGE outside [lo, hi]
 * (the result type's range) and PP_ROW_DIVISION_BY_ZERO for / and % by 0.
 */
extern void pp_int_arith(PpArith op, int64_t lo, int64_t hi, const PpCol *a,
						 const PpCol *b, PpCol *out, size_t n);

/* -a and abs(a) in the type [lo, hi] (lo = -hi - 1 overflows). */
extern void pp_int_neg(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n);
extern void pp_int_abs(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n);

/* float8 a op b (+ - * /) with float.c's overflow/underflow/zero checks. */
extern void pp_f8_arith(PpArith op, const PpCol *a, const PpCol *b, PpCol *out,
						size_t n);

/* The same computed in float, as float4_pl etc. */
extern void pp_f4_arith(PpArith op, const PpCol *a, const PpCol *b, PpCol *out,
						size_t n);

/* -a and fabs(a): never fail. */
extern void pp_float_neg(const PpCol *a, PpCol *out, size_t n);
extern void pp_float_abs(const PpCol *a, PpCol *out, size_t n);

/* sqrt(a) as dsqrt: negative input flagged. */
extern void pp_f8_sqrt(const PpCol *a, PpCol *out, size_t n);

/* float8 functions of one argument (float.c's dcbrt, dexp, dlog1 ...). */
typedef enum PpMath
{
	PP_CBRT,
	PP_EXP,
	PP_LN,
	PP_LOG10,
	PP_FLOOR,
	PP_CEIL,
	PP_ROUND,
	PP_TRUNC
} PpMath;

/*
 * op(a) with the same libm call as float.c; floor, ceil, round (rint) and
 * trunc never fail; cbrt flags overflow and underflow; exp, ln and log10
 * flag PP_ROW_SPECIAL for NaN and infinite input, ln/log10 of zero and
 * negative numbers, and any result out of range (PostgreSQL then computes
 * the value or raises its error).
 */
extern void pp_f8_math(PpMath op, const PpCol *a, PpCol *out, size_t n);

/*
 * power(a, b) as dpow for a > 0 and both finite with a finite non-zero
 * result; every other row flagged PP_ROW_SPECIAL.
 */
extern void pp_f8_pow(const PpCol *a, const PpCol *b, PpCol *out, size_t n);

/* Comparisons into booleans (0/1). */
extern void pp_int_cmp(PpCmp op, const PpCol *a, const PpCol *b, PpCol *out, size_t n);

/* Float comparisons in float8 order: NaN equals NaN and sorts above all. */
extern void pp_float_cmp(PpCmp op, const PpCol *a, const PpCol *b, PpCol *out,
						 size_t n);

/* Casts: integer to narrower integer type [lo, hi]; integer to float. */
extern void pp_int_to_int(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n);
extern void pp_int_to_f8(const PpCol *a, PpCol *out, size_t n);
extern void pp_int_to_f4(const PpCol *a, PpCol *out, size_t n);

/*
 * Float to integer [lo, hi] as dtoi4/ftoi4...: rint, then NaN and values
 * outside the type flagged.  is_f4: the float4 bounds test of ftoi*.
 */
extern void pp_float_to_int(int is_f4, int64_t lo, int64_t hi, const PpCol *a,
							PpCol *out, size_t n);

/* float8 to float4 as dtof (overflow, underflow flagged). */
extern void pp_f8_to_f4(const PpCol *a, PpCol *out, size_t n);

/*
 * Boolean logic with SQL's three-valued semantics and PostgreSQL's
 * short-circuit order: acc starts as the first argument (copied by the
 * caller); each step folds the next argument in.  An argument's status
 * counts only for rows where PostgreSQL would evaluate it (acc not yet
 * false for AND, not yet true for OR).
 */
extern void pp_bool_and_step(PpCol *acc, const PpCol *arg, size_t n);
extern void pp_bool_or_step(PpCol *acc, const PpCol *arg, size_t n);
extern void pp_bool_not(const PpCol *a, PpCol *out, size_t n);

/* a IS NULL (negate = 0) or a IS NOT NULL (negate = 1); never NULL. */
extern void pp_is_null(int negate, const PpCol *a, PpCol *out, size_t n);

/* Copy column a into out (every row). */
extern void pp_col_copy(PpKind kind, const PpCol *a, PpCol *out, size_t n);

/*
 * COALESCE step: rows of acc that are NULL and not flagged take arg's
 * value, null flag and status (PostgreSQL evaluates arg only for them).
 */
extern void pp_coalesce_step(PpKind kind, PpCol *acc, const PpCol *arg, size_t n);

/*
 * CASE: out starts NULL with every row undecided (pp_case_init); each WHEN
 * decides the undecided rows whose condition is true (taking res) or
 * flagged (taking the flag); ELSE decides the rest.
 */
extern void pp_case_init(PpCol *out, uint8_t *decided, size_t n);

/* A simple CASE's operand: its flagged rows decide the CASE. */
extern void pp_case_arg(const PpCol *arg, PpCol *out, uint8_t *decided, size_t n);
extern void pp_case_when(PpKind kind, const PpCol *cond, const PpCol *res,
						 PpCol *out, uint8_t *decided, size_t n);
extern void pp_case_else(PpKind kind, const PpCol *res, PpCol *out,
						 const uint8_t *decided, size_t n);

/*
 * Text input (CoerceViaIO from text): rows the fast parsers accept are
 * converted, the others flagged PP_ROW_UNPARSED (see textparse.h).
 */
extern void pp_text_to_int(int64_t lo, int64_t hi, const PpCol *a, PpCol *out,
						   size_t n);
extern void pp_text_to_f8(const PpCol *a, PpCol *out, size_t n);
extern void pp_text_to_f4(const PpCol *a, PpCol *out, size_t n);
extern void pp_text_to_bool(const PpCol *a, PpCol *out, size_t n);
extern void pp_text_to_date(const PpCol *a, PpCol *out, size_t n);
extern void pp_text_to_timestamp(const PpCol *a, PpCol *out, size_t n);

/*
 * Offsets of the session time zone, cached per hour of local time.  lookup
 * gives the UTC offset (seconds east) valid for every local time in hour
 * h (seconds since 2000-01-01 local / 3600) and returns 1, or returns 0
 * when the offset changes within that hour (a transition).
 */
#define PP_TZ_CACHE_SIZE 256
typedef int (*PpTzLookup) (void *arg, int64_t hour, int64_t *gmtoff);

typedef struct PpTzCache
{
	PpTzLookup	lookup;
	void	   *arg;
	int64_t		hour[PP_TZ_CACHE_SIZE];
	int64_t		gmtoff[PP_TZ_CACHE_SIZE];
	uint8_t		state[PP_TZ_CACHE_SIZE];	/* 0 empty, 1 offset, 2 transition */
	uint64_t	lookups;		/* calls of lookup, for tests */
} PpTzCache;

extern void pp_tz_cache_init(PpTzCache *cache, PpTzLookup lookup, void *arg);

/*
 * text to timestamptz: an explicit offset is applied as given; otherwise
 * the session zone's offset for that local time, through cache.
 */
extern void pp_text_to_timestamptz(const PpCol *a, PpCol *out, PpTzCache *cache,
								   size_t n);

#endif							/* PARPROC_KERNELS_BATCH_H */
