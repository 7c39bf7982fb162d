/*
 * batch.c
 *		Column kernels for the vectorised evaluation of pipeline stages (see
 *		batch.h for the column and status conventions).
 *
 * Every kernel computes what the PostgreSQL function of the same name
 * computes (int.c, int8.c, float.c, float.h, bool.c, the input functions),
 * or flags the row.  Arithmetic on integers of every width is done in
 * int64 with the builtins' overflow checks, then range-checked against the
 * result type, which is exactly when int2pl/int4pl/int48pl... raise
 * "out of range".  The status of a row is the first flag in PostgreSQL's
 * evaluation order, because an argument's status is copied before the
 * kernel's own checks run.
 *
 * One file of about a thousand lines, on purpose: the kernels share static
 * inline helpers (row statuses, overflow checks, the per-operator loops)
 * that must be inlined into each kernel's loop; across files they would be
 * called out of line or copied.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "batch.h"
#include "textparse.h"

/* The status of a strict function's row: the first argument's, if any. */
static inline uint8_t
first_status(uint8_t a, uint8_t b)
{
	return a ? a : b;
}

/* Mark row i of out NULL with status st (st may be PP_ROW_OK). */
static inline void
set_null(PpCol *out, size_t i, uint8_t st)
{
	out->null[i] = 1;
	out->status[i] = st;
}

void
pp_int_arith(PpArith op, int64_t lo, int64_t hi, const PpCol *a,
			 const PpCol *b, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = first_status(a->status[i], b->status[i]);
		int64_t		x = a->i[i],
					y = b->i[i],
					r = 0;
		int			bad = 0;

		if (st || a->null[i] || b->null[i])
		{
			set_null(out, i, st);
			continue;
		}
		switch (op)
		{
			case PP_ADD:
				bad = __builtin_add_overflow(x, y, &r);
				break;
			case PP_SUB:
				bad = __builtin_sub_overflow(x, y, &r);
				break;
			case PP_MUL:
				bad = __builtin_mul_overflow(x, y, &r);
				break;
			case PP_DIV:
			case PP_MOD:
				if (y == 0)
				{
					set_null(out, i, PP_ROW_DIVISION_BY_ZERO);
					continue;
				}
				/* x / -1 is -x (which can overflow); x % -1 is 0 */
				if (y == -1)
					r = op == PP_DIV ? -x : 0;
				else
					r = op == PP_DIV ? x / y : x % y;
				bad = op == PP_DIV && y == -1 && x == INT64_MIN;
				break;
		}
		if (bad || r < lo || r > hi)
		{
			set_null(out, i, PP_ROW_OUT_OF_RANGE);
			continue;
		}
		out->i[i] = r;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

void
pp_int_neg(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else if (a->i[i] == lo)
			set_null(out, i, PP_ROW_OUT_OF_RANGE);
		else
		{
			out->i[i] = -a->i[i];
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
		}
	}
	(void) hi;
}

void
pp_int_abs(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else if (a->i[i] == lo)
			set_null(out, i, PP_ROW_OUT_OF_RANGE);
		else
		{
			out->i[i] = a->i[i] < 0 ? -a->i[i] : a->i[i];
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
		}
	}
	(void) hi;
}

/* float8 x op y, or a row status, as float8_pl/mi/mul/div. */
static inline uint8_t
f8_op(PpArith op, double x, double y, double *r)
{
	switch (op)
	{
		case PP_ADD:
			*r = x + y;
			break;
		case PP_SUB:
			*r = x - y;
			break;
		case PP_MUL:
			*r = x * y;
			if (isinf(*r) && !isinf(x) && !isinf(y))
				return PP_ROW_FLOAT_OVERFLOW;
			if (*r == 0.0 && x != 0.0 && y != 0.0)
				return PP_ROW_FLOAT_UNDERFLOW;
			return PP_ROW_OK;
		case PP_DIV:
			if (y == 0.0 && !isnan(x))
				return PP_ROW_DIVISION_BY_ZERO;
			*r = x / y;
			if (isinf(*r) && !isinf(x))
				return PP_ROW_FLOAT_OVERFLOW;
			if (*r == 0.0 && x != 0.0 && !isinf(y))
				return PP_ROW_FLOAT_UNDERFLOW;
			return PP_ROW_OK;
		case PP_MOD:
			return PP_ROW_UNPARSED; /* no float modulo; never compiled */
	}
	if (isinf(*r) && !isinf(x) && !isinf(y))
		return PP_ROW_FLOAT_OVERFLOW;
	return PP_ROW_OK;
}

/* The same in float, as float4_pl/mi/mul/div. */
static inline uint8_t
f4_op(PpArith op, float x, float y, float *r)
{
	switch (op)
	{
		case PP_ADD:
			*r = x + y;
			break;
		case PP_SUB:
			*r = x - y;
			break;
		case PP_MUL:
			*r = x * y;
			if (isinf(*r) && !isinf(x) && !isinf(y))
				return PP_ROW_FLOAT_OVERFLOW;
			if (*r == 0.0f && x != 0.0f && y != 0.0f)
				return PP_ROW_FLOAT_UNDERFLOW;
			return PP_ROW_OK;
		case PP_DIV:
			if (y == 0.0f && !isnan(x))
				return PP_ROW_DIVISION_BY_ZERO;
			*r = x / y;
			if (isinf(*r) && !isinf(x))
				return PP_ROW_FLOAT_OVERFLOW;
			if (*r == 0.0f && x != 0.0f && !isinf(y))
				return PP_ROW_FLOAT_UNDERFLOW;
			return PP_ROW_OK;
		case PP_MOD:
			return PP_ROW_UNPARSED;
	}
	if (isinf(*r) && !isinf(x) && !isinf(y))
		return PP_ROW_FLOAT_OVERFLOW;
	return PP_ROW_OK;
}

void
pp_f8_arith(PpArith op, const PpCol *a, const PpCol *b, PpCol *out, size_t n)
{
	/* one loop per operator, chosen once per batch */
#define F8_LOOP(OP) \
	for (size_t i = 0; i < n; i++) \
	{ \
		uint8_t		st = first_status(a->status[i], b->status[i]); \
		double		r = 0; \
		\
		if (st || a->null[i] || b->null[i]) \
		{ \
			set_null(out, i, st); \
			continue; \
		} \
		if ((st = f8_op(OP, a->f[i], b->f[i], &r)) != PP_ROW_OK) \
		{ \
			set_null(out, i, st); \
			continue; \
		} \
		out->f[i] = r; \
		out->null[i] = 0; \
		out->status[i] = PP_ROW_OK; \
	}
	switch (op)
	{
		case PP_ADD:
			F8_LOOP(PP_ADD);
			break;
		case PP_SUB:
			F8_LOOP(PP_SUB);
			break;
		case PP_MUL:
			F8_LOOP(PP_MUL);
			break;
		case PP_DIV:
			F8_LOOP(PP_DIV);
			break;
		case PP_MOD:
			F8_LOOP(PP_MOD);
			break;
	}
#undef F8_LOOP
}

void
pp_f4_arith(PpArith op, const PpCol *a, const PpCol *b, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = first_status(a->status[i], b->status[i]);
		float		r = 0;

		if (st || a->null[i] || b->null[i])
		{
			set_null(out, i, st);
			continue;
		}
		if ((st = f4_op(op, (float) a->f[i], (float) b->f[i], &r)) != PP_ROW_OK)
		{
			set_null(out, i, st);
			continue;
		}
		out->f[i] = r;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

void
pp_float_neg(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		out->f[i] = -a->f[i];
		out->null[i] = a->null[i] | (a->status[i] != 0);
		out->status[i] = a->status[i];
	}
}

void
pp_float_abs(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		out->f[i] = fabs(a->f[i]);
		out->null[i] = a->null[i] | (a->status[i] != 0);
		out->status[i] = a->status[i];
	}
}

void
pp_f8_sqrt(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		double		x = a->f[i],
					r;

		if (a->status[i] || a->null[i])
		{
			set_null(out, i, a->status[i]);
			continue;
		}
		if (x < 0)
		{
			set_null(out, i, PP_ROW_SQRT_NEGATIVE);
			continue;
		}
		r = sqrt(x);
		/* dsqrt's check_float8_val: cannot fire for finite x >= 0 */
		if ((isinf(r) && !isinf(x)) || (r == 0.0 && x != 0.0))
		{
			set_null(out, i, isinf(r) ? PP_ROW_FLOAT_OVERFLOW : PP_ROW_FLOAT_UNDERFLOW);
			continue;
		}
		out->f[i] = r;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

/* x op y for a three-way comparison result c (<0, 0, >0). */
static inline int64_t
cmp_result(PpCmp op, int c)
{
	switch (op)
	{
		case PP_EQ:
			return c == 0;
		case PP_NE:
			return c != 0;
		case PP_LT:
			return c < 0;
		case PP_LE:
			return c <= 0;
		case PP_GT:
			return c > 0;
		case PP_GE:
			return c >= 0;
	}
	return 0;
}

/*
 * Run LOOP(op) with op a constant, one loop per operator: the operator is
 * then chosen once per batch rather than once per row.
 */
#define PER_CMP(LOOP) \
	switch (op) \
	{ \
		case PP_EQ: LOOP(PP_EQ); break; \
		case PP_NE: LOOP(PP_NE); break; \
		case PP_LT: LOOP(PP_LT); break; \
		case PP_LE: LOOP(PP_LE); break; \
		case PP_GT: LOOP(PP_GT); break; \
		case PP_GE: LOOP(PP_GE); break; \
	}

void
pp_int_cmp(PpCmp op, const PpCol *a, const PpCol *b, PpCol *out, size_t n)
{
#define INT_CMP_LOOP(OP) \
	for (size_t i = 0; i < n; i++) \
	{ \
		uint8_t		st = first_status(a->status[i], b->status[i]); \
		int64_t		x = a->i[i], \
					y = b->i[i]; \
		\
		out->i[i] = cmp_result(OP, (x > y) - (x < y)); \
		out->null[i] = a->null[i] | b->null[i] | (st != 0); \
		out->status[i] = st; \
	}
	PER_CMP(INT_CMP_LOOP);
#undef INT_CMP_LOOP
}

/* float8_cmp_internal: NaN equals NaN and is greater than anything else. */
static inline int
float_cmp(double x, double y)
{
	if (isnan(x))
		return isnan(y) ? 0 : 1;
	if (isnan(y))
		return -1;
	return (x > y) - (x < y);
}

void
pp_float_cmp(PpCmp op, const PpCol *a, const PpCol *b, PpCol *out, size_t n)
{
#define FLOAT_CMP_LOOP(OP) \
	for (size_t i = 0; i < n; i++) \
	{ \
		uint8_t		st = first_status(a->status[i], b->status[i]); \
		\
		out->i[i] = cmp_result(OP, float_cmp(a->f[i], b->f[i])); \
		out->null[i] = a->null[i] | b->null[i] | (st != 0); \
		out->status[i] = st; \
	}
	PER_CMP(FLOAT_CMP_LOOP);
#undef FLOAT_CMP_LOOP
}

void
pp_int_to_int(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else if (a->i[i] < lo || a->i[i] > hi)
			set_null(out, i, PP_ROW_OUT_OF_RANGE);
		else
		{
			out->i[i] = a->i[i];
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
		}
	}
}

void
pp_int_to_f8(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		out->f[i] = (double) a->i[i];
		out->null[i] = a->null[i] | (a->status[i] != 0);
		out->status[i] = a->status[i];
	}
}

void
pp_int_to_f4(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		/* one rounding, int64 to float, as i8tof; not through double */
		out->f[i] = (float) a->i[i];
		out->null[i] = a->null[i] | (a->status[i] != 0);
		out->status[i] = a->status[i];
	}
}

void
pp_float_to_int(int is_f4, int64_t lo, int64_t hi, const PpCol *a, PpCol *out,
				size_t n)
{
	/* FLOAT8_FITS_IN_INT*: lo <= x < -lo; the same bounds as float4 */
	double		dlo = is_f4 ? (double) (float) lo : (double) lo;
	double		dhi = is_f4 ? -(double) (float) lo : -(double) lo;

	for (size_t i = 0; i < n; i++)
	{
		double		x;

		if (a->status[i] || a->null[i])
		{
			set_null(out, i, a->status[i]);
			continue;
		}
		x = rint(a->f[i]);
		if (isnan(x) || !(x >= dlo && x < dhi))
		{
			set_null(out, i, PP_ROW_OUT_OF_RANGE);
			continue;
		}
		out->i[i] = (int64_t) x;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
	(void) hi;
}

void
pp_f8_to_f4(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		double		x = a->f[i];
		float		r = (float) x;

		if (a->status[i] || a->null[i])
			set_null(out, i, a->status[i]);
		else if (isinf(r) && !isinf(x))
			set_null(out, i, PP_ROW_FLOAT_OVERFLOW);
		else if (r == 0.0f && x != 0.0)
			set_null(out, i, PP_ROW_FLOAT_UNDERFLOW);
		else
		{
			out->f[i] = r;
			out->null[i] = 0;
			out->status[i] = PP_ROW_OK;
		}
	}
}

void
pp_bool_and_step(PpCol *acc, const PpCol *arg, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		/* a flagged or false accumulator stops the evaluation */
		if (acc->status[i] || (!acc->null[i] && !acc->i[i]))
			continue;
		if (arg->status[i])
			set_null(acc, i, arg->status[i]);
		else if (!arg->null[i] && !arg->i[i])
		{
			acc->i[i] = 0;
			acc->null[i] = 0;
		}
		else if (arg->null[i])
			acc->null[i] = 1;
	}
}

void
pp_bool_or_step(PpCol *acc, const PpCol *arg, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (acc->status[i] || (!acc->null[i] && acc->i[i]))
			continue;
		if (arg->status[i])
			set_null(acc, i, arg->status[i]);
		else if (!arg->null[i] && arg->i[i])
		{
			acc->i[i] = 1;
			acc->null[i] = 0;
		}
		else if (arg->null[i])
			acc->null[i] = 1;
	}
}

void
pp_bool_not(const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		out->i[i] = !a->i[i];
		out->null[i] = a->null[i] | (a->status[i] != 0);
		out->status[i] = a->status[i];
	}
}

void
pp_is_null(int negate, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		out->i[i] = (a->null[i] != 0) ^ (negate != 0);
		out->null[i] = a->status[i] != 0;
		out->status[i] = a->status[i];
	}
}

/* Row i of a into row i of out. */
static inline void
copy_row(PpKind kind, const PpCol *a, PpCol *out, size_t i)
{
	switch (kind)
	{
		case PP_KIND_INT:
			out->i[i] = a->i[i];
			break;
		case PP_KIND_FLOAT:
			out->f[i] = a->f[i];
			break;
		case PP_KIND_TEXT:
			out->s[i] = a->s[i];
			break;
	}
	out->null[i] = a->null[i];
	out->status[i] = a->status[i];
}

void
pp_col_copy(PpKind kind, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		copy_row(kind, a, out, i);
}

void
pp_coalesce_step(PpKind kind, PpCol *acc, const PpCol *arg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (acc->null[i] && !acc->status[i])
			copy_row(kind, arg, acc, i);
}

void
pp_case_init(PpCol *out, uint8_t *decided, size_t n)
{
	memset(out->null, 1, n);
	memset(out->status, 0, n);
	memset(decided, 0, n);
}

void
pp_case_arg(const PpCol *arg, PpCol *out, uint8_t *decided, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (arg->status[i])
		{
			set_null(out, i, arg->status[i]);
			decided[i] = 1;
		}
}

void
pp_case_when(PpKind kind, const PpCol *cond, const PpCol *res, PpCol *out,
			 uint8_t *decided, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		if (decided[i])
			continue;
		if (cond->status[i])
		{
			set_null(out, i, cond->status[i]);
			decided[i] = 1;
		}
		else if (!cond->null[i] && cond->i[i])
		{
			copy_row(kind, res, out, i);
			decided[i] = 1;
		}
	}
}

void
pp_case_else(PpKind kind, const PpCol *res, PpCol *out, const uint8_t *decided,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!decided[i])
			copy_row(kind, res, out, i);
}

void
pp_f8_math(PpMath op, const PpCol *a, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		double		x = a->f[i],
					r = 0;
		int			bad = 0;

		if (a->status[i] || a->null[i])
		{
			set_null(out, i, a->status[i]);
			continue;
		}
		switch (op)
		{
			case PP_FLOOR:
				r = floor(x);
				break;
			case PP_CEIL:
				r = ceil(x);
				break;
			case PP_ROUND:
				r = rint(x);
				break;
			case PP_TRUNC:
				/* dtrunc's own expression, so NaN's sign is the same */
				r = x >= 0 ? floor(x) : -floor(-x);
				break;
			case PP_CBRT:
				r = cbrt(x);
				if (isinf(r) && !isinf(x))
				{
					set_null(out, i, PP_ROW_FLOAT_OVERFLOW);
					continue;
				}
				bad = r == 0.0 && x != 0.0;
				break;
			case PP_EXP:
				if (!isfinite(x))
				{
					bad = 1;
					break;
				}
				errno = 0;
				r = exp(x);
				bad = errno != 0 || isinf(r) || r == 0.0;
				break;
			case PP_LN:
			case PP_LOG10:
				/* zero, negative, NaN: PostgreSQL's error or NaN */
				if (!(x > 0))
				{
					bad = 1;
					break;
				}
				r = op == PP_LN ? log(x) : log10(x);
				bad = (isinf(r) && !isinf(x)) || (r == 0.0 && x != 1.0);
				break;
		}
		if (bad)
		{
			set_null(out, i, op == PP_CBRT ? PP_ROW_FLOAT_UNDERFLOW : PP_ROW_SPECIAL);
			continue;
		}
		out->f[i] = r;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

void
pp_f8_pow(const PpCol *a, const PpCol *b, PpCol *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		st = first_status(a->status[i], b->status[i]);
		double		x = a->f[i],
					y = b->f[i],
					r;

		if (st || a->null[i] || b->null[i])
		{
			set_null(out, i, st);
			continue;
		}
		if (!(x > 0) || !isfinite(x) || !isfinite(y))
		{
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		errno = 0;
		r = pow(x, y);
		if (errno != 0 || !isfinite(r) || r == 0.0)
		{
			set_null(out, i, PP_ROW_SPECIAL);
			continue;
		}
		out->f[i] = r;
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}

/* Strict text input kernels share this shape. */
#define TEXT_INPUT_LOOP(PARSE) \
	for (size_t i = 0; i < n; i++) \
	{ \
		if (a->status[i] || a->null[i]) \
		{ \
			set_null(out, i, a->status[i]); \
			continue; \
		} \
		if (!(PARSE)) \
		{ \
			set_null(out, i, PP_ROW_UNPARSED); \
			continue; \
		} \
		out->null[i] = 0; \
		out->status[i] = PP_ROW_OK; \
	}

void
pp_text_to_int(int64_t lo, int64_t hi, const PpCol *a, PpCol *out, size_t n)
{
	TEXT_INPUT_LOOP(pp_parse_int(a->s[i].p, a->s[i].len, lo, hi, &out->i[i]));
}

void
pp_text_to_f8(const PpCol *a, PpCol *out, size_t n)
{
	TEXT_INPUT_LOOP(pp_parse_double(a->s[i].p, a->s[i].len, &out->f[i]));
}

/* pp_parse_float into a double slot. */
static inline int
parse_float_into(const PpStr *s, double *v)
{
	float		f;

	if (!pp_parse_float(s->p, s->len, &f))
		return 0;
	*v = f;
	return 1;
}

void
pp_text_to_f4(const PpCol *a, PpCol *out, size_t n)
{
	TEXT_INPUT_LOOP(parse_float_into(&a->s[i], &out->f[i]));
}

void
pp_text_to_bool(const PpCol *a, PpCol *out, size_t n)
{
	TEXT_INPUT_LOOP(pp_parse_bool(a->s[i].p, a->s[i].len, &out->i[i]));
}

/* A date alone: days since 2000-01-01. */
static inline int
parse_date(const PpStr *s, int64_t *v)
{
	PpDateTime	dt;

	if (!pp_parse_iso_datetime(s->p, s->len, &dt) || dt.has_time)
		return 0;
	*v = pp_days_from_2000(dt.year, dt.mon, dt.day);
	return 1;
}

void
pp_text_to_date(const PpCol *a, PpCol *out, size_t n)
{
	TEXT_INPUT_LOOP(parse_date(&a->s[i], &out->i[i]));
}

/* Days from 2000-01-01 to the first of the month last seen. */
typedef struct MonthStart
{
	int			ym;				/* year * 12 + month; -1: none yet */
	int64_t		days;
} MonthStart;

/*
 * Local microseconds since 2000-01-01 of 'YYYY-MM-DD HH:MM:SS' (the form
 * timestamp::text prints), through the month cache: rows of a batch are
 * mostly in the same month.  0 if s is not of that form.
 */
static inline int
parse_iso19_local(const PpStr *s, MonthStart *ms, int64_t *v)
{
	int			y,
				m,
				d,
				secs;

	if (!pp_parse_iso19(s->p, (size_t) s->len, &y, &m, &d, &secs))
		return 0;
	if (y * 12 + m != ms->ym)
	{
		ms->ym = y * 12 + m;
		ms->days = pp_days_from_2000(y, m, 1);
	}
	*v = (ms->days + d - 1) * PP_USECS_PER_DAY + secs * PP_USECS_PER_SEC;
	return 1;
}

/* A timestamp without an offset (timestamp_in would ignore one). */
static inline int
parse_timestamp(const PpStr *s, MonthStart *ms, int64_t *v)
{
	PpDateTime	dt;

	if (parse_iso19_local(s, ms, v))
		return 1;
	if (!pp_parse_iso_datetime(s->p, s->len, &dt) || dt.has_tz)
		return 0;
	*v = pp_datetime_local_usecs(&dt);
	return 1;
}

void
pp_text_to_timestamp(const PpCol *a, PpCol *out, size_t n)
{
	MonthStart	ms = {-1, 0};

	TEXT_INPUT_LOOP(parse_timestamp(&a->s[i], &ms, &out->i[i]));
}

void
pp_tz_cache_init(PpTzCache *cache, PpTzLookup lookup, void *arg)
{
	memset(cache, 0, sizeof(PpTzCache));
	cache->lookup = lookup;
	cache->arg = arg;
}

/* The session zone's offset for local hour h; 0 near a transition. */
static inline int
tz_offset(PpTzCache *c, int64_t h, int64_t *gmtoff)
{
	size_t		k = (size_t) ((uint64_t) h % PP_TZ_CACHE_SIZE);

	if (c->state[k] == 0 || c->hour[k] != h)
	{
		c->lookups++;
		c->hour[k] = h;
		c->state[k] = c->lookup(c->arg, h, &c->gmtoff[k]) ? 1 : 2;
	}
	*gmtoff = c->gmtoff[k];
	return c->state[k] == 1;
}

/* Floor division of x by a positive d. */
static inline int64_t
floor_div(int64_t x, int64_t d)
{
	return x / d - (x % d < 0);
}

/*
 * The local hour of the last 'YYYY-MM-DD HH:MM:SS' parsed: rows of a batch
 * from a table filled in time order mostly share it, and then only their
 * minutes and seconds need reading.
 */
typedef struct HourMemo
{
	int			valid;
	char		prefix[13];		/* 'YYYY-MM-DD HH' */
	int64_t		local;			/* local microseconds at the hour's start */
	int			offset_ok;		/* 0: a transition hour */
	int64_t		gmtoff;
} HourMemo;

/* ':MM:SS' at p, as pp_parse_iso19 reads it; 0 if not. */
static inline int
parse_mmss(const char *p, int *secs)
{
	const unsigned char *u = (const unsigned char *) p;
	unsigned	d1 = u[1] - '0',
				d2 = u[2] - '0',
				d4 = u[4] - '0',
				d5 = u[5] - '0';

	if (u[0] != ':' || u[3] != ':' || d1 > 5 || d2 > 9 || d4 > 5 || d5 > 9)
		return 0;
	*secs = (int) ((d1 * 10 + d2) * 60 + d4 * 10 + d5);
	return 1;
}

/*
 * A timestamptz; 0 if unparsed, -1 if near a transition.  The straight-line
 * form goes through the hour memo hm.
 */
static inline int
parse_timestamptz(const PpStr *s, MonthStart *ms, PpTzCache *cache, HourMemo *hm,
				  int64_t *v)
{
	const int64_t hour = 3600 * PP_USECS_PER_SEC;
	PpDateTime	dt;
	int64_t		local,
				gmtoff;
	int			secs;

	if (s->len == 19 && hm->valid && memcmp(s->p, hm->prefix, 13) == 0 &&
		parse_mmss(s->p + 13, &secs))
	{
		if (!hm->offset_ok)
			return -1;
		*v = hm->local + (secs - hm->gmtoff) * PP_USECS_PER_SEC;
		return 1;
	}
	if (parse_iso19_local(s, ms, &local))
	{
		hm->valid = 1;
		memcpy(hm->prefix, s->p, 13);
		hm->local = floor_div(local, hour) * hour;
		hm->offset_ok = tz_offset(cache, floor_div(local, hour), &hm->gmtoff);
		if (!hm->offset_ok)
			return -1;
		*v = local - hm->gmtoff * PP_USECS_PER_SEC;
		return 1;
	}
	if (!pp_parse_iso_datetime(s->p, s->len, &dt))
		return 0;
	local = pp_datetime_local_usecs(&dt);
	if (dt.has_tz)
		gmtoff = dt.gmtoff;
	else if (!tz_offset(cache, floor_div(local, hour), &gmtoff))
		return -1;
	*v = local - gmtoff * PP_USECS_PER_SEC;
	return 1;
}

void
pp_text_to_timestamptz(const PpCol *a, PpCol *out, PpTzCache *cache, size_t n)
{
	MonthStart	ms = {-1, 0};
	HourMemo	hm = {0};

	for (size_t i = 0; i < n; i++)
	{
		int			ok;

		if (a->status[i] || a->null[i])
		{
			set_null(out, i, a->status[i]);
			continue;
		}
		ok = parse_timestamptz(&a->s[i], &ms, cache, &hm, &out->i[i]);
		if (ok != 1)
		{
			set_null(out, i, ok == 0 ? PP_ROW_UNPARSED : PP_ROW_TIME_ZONE);
			continue;
		}
		out->null[i] = 0;
		out->status[i] = PP_ROW_OK;
	}
}
