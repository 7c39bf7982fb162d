/*
 * vecexec.c
 *		Running a compiled stage (vecprog.h) over a batch: reading the
 *		columns its kernels need, running its instructions, and finishing
 *		the rows with PostgreSQL's evaluator.  Everything done per batch or
 *		per row is in this file, so the compiler can inline it.
 *
 * Exactness.  Kernels compute what PostgreSQL computes or flag the row
 * (batch.h).  After the kernels ran, rows are finished in PostgreSQL's
 * order (row by row, and within a row column by column): a kernel value is
 * taken as is; a flagged row of a kernel expression, and every row of a
 * fallback expression, is evaluated by ExecEvalExpr/ExecQual.  So the
 * first error raised is the one row-at-a-time evaluation raises, with
 * PostgreSQL's own SQLSTATE and message, and the values are the same.
 * Kernel expressions have no side effects, so evaluating them for every
 * row, and fallback expressions in their usual order, changes nothing
 * else.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "common/md5.h"
#include "executor/executor.h"
#include "pgtime.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "kernels/batch.h"
#include "kernels/textfn.h"
#include "pipeline/pipeline.h"
#include "pipeline/vecprog.h"

/*
 * Prepare the reading of the attributes the stage needs (kernel inputs and
 * plain input columns), read once per batch: their columns in vals/nulls,
 * and the offsets of the leading attributes, which every tuple without
 * NULLs has in the same place.
 */
void
VecPrepareDeform(PpVecStage *vs)
{
	TupleDesc	desc = vs->indesc;
	int			off = 0;

	vs->atts = palloc(sizeof(VAtt) * Max(vs->maxatt, 1));
	vs->needatt = palloc(sizeof(AttrNumber) * Max(vs->maxatt, 1));
	for (int a = 0; a < vs->maxatt; a++)
		vs->atts[a].need = -1;
	for (int j = 0; j < vs->ninputs; j++)
		vs->atts[vs->input_att[j] - 1].need = 0;
	for (int e = 0; e < vs->nexprs; e++)
		if (vs->exprs[e].copy > 0)
			vs->atts[vs->exprs[e].copy - 1].need = 0;
	vs->allfixed = true;
	for (int a = 0; a < vs->maxatt; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		VAtt	   *va = &vs->atts[a];

		va->len = att->attlen;
		va->byval = att->attbyval;
		va->align = att->attalign;

		/*
		 * as slot_deform_heap_tuple caches them: fixed up to the first
		 * varlena
		 */
		if (off >= 0 && att->attlen > 0)
		{
			off = att_align_nominal(off, att->attalign);
			va->fixoff = off;
			off += att->attlen;
		}
		else if (off >= 0 && off == att_align_nominal(off, att->attalign))
		{
			va->fixoff = off;	/* aligned: no padding, short header or not */
			off = -1;
		}
		else
		{
			va->fixoff = -1;
			off = -1;
		}
		if (va->need == 0)
		{
			vs->needatt[vs->nneed] = a;
			va->need = vs->nneed++;
			vs->allfixed &= va->fixoff >= 0;
		}
	}
	for (int e = 0; e < vs->nexprs; e++)
	{
		vs->fallback |= vs->exprs[e].reg < 0 && vs->exprs[e].copy == 0;
		if (vs->exprs[e].copy > 0)
			vs->exprs[e].copycol = vs->atts[vs->exprs[e].copy - 1].need;
	}
	vs->vals = palloc(sizeof(Datum) * Max(vs->nneed, 1) * vs->batch);
	vs->nulls = palloc(sizeof(bool) * Max(vs->nneed, 1) * vs->batch);
}

/*
 * Read the needed attributes of heap tuple t into row r of vals/nulls, as
 * slot_deform_heap_tuple reads them (without a slot, and only up to
 * maxatt).  False if the tuple lacks attributes (added by ALTER TABLE
 * since), which the slot fills in.
 */
static bool
DeformHeapRow(PpVecStage *vs, HeapTuple t, int r)
{
	HeapTupleHeader tup = t->t_data;
	bool		hasnulls = HeapTupleHasNulls(t);
	bits8	   *bp = tup->t_bits;
	char	   *tp = (char *) tup + tup->t_hoff;
	uint32		off = 0;
	bool		slow = false;
	int			nb = vs->batch;

	if (HeapTupleHeaderGetNatts(tup) < vs->maxatt)
		return false;
	if (!hasnulls && vs->allfixed)
	{
		/* every needed attribute where VecPrepareDeform found it */
		for (int k = 0; k < vs->nneed; k++)
		{
			VAtt	   *va = &vs->atts[vs->needatt[k]];

			vs->nulls[k * nb + r] = false;
			vs->vals[k * nb + r] = fetch_att(tp + va->fixoff, va->byval, va->len);
		}
		return true;
	}
	for (int a = 0; a < vs->maxatt; a++)
	{
		VAtt	   *va = &vs->atts[a];

		if (hasnulls && att_isnull(a, bp))
		{
			if (va->need >= 0)
			{
				vs->nulls[va->need * nb + r] = true;
				vs->vals[va->need * nb + r] = (Datum) 0;
			}
			slow = true;
			continue;
		}
		if (!slow && va->fixoff >= 0)
			off = va->fixoff;
		else if (va->len == -1)
			off = att_align_pointer(off, va->align, -1, tp + off);
		else
			off = att_align_nominal(off, va->align);
		if (va->need >= 0)
		{
			vs->nulls[va->need * nb + r] = false;
			vs->vals[va->need * nb + r] = fetch_att(tp + off, va->byval, va->len);
		}
		off = att_addlength_pointer(off, va->len, tp + off);
		if (va->len <= 0)
			slow = true;
	}
	return true;
}

/*
 * Deform the needed attributes of the live rows into vals/nulls: straight
 * from the heap tuple raw[r] that is row r's slot's, if given, from the
 * slot otherwise.  Then convert the kernels' inputs into their registers.
 */
static void
Deform(PpVecStage *vs, TupleTableSlot **cur, HeapTuple *raw, const bool *alive, int n)
{
	int			nb = vs->batch;

	for (int r = 0; r < n; r++)
	{
		TupleTableSlot *slot;

		if (!alive[r])
			continue;
		if (raw && raw[r] && DeformHeapRow(vs, raw[r], r))
			continue;
		slot = cur[r];
		slot_getsomeattrs(slot, vs->maxatt);
		for (int k = 0; k < vs->nneed; k++)
		{
			vs->vals[k * nb + r] = slot->tts_values[vs->needatt[k]];
			vs->nulls[k * nb + r] = slot->tts_isnull[vs->needatt[k]];
		}
	}
	for (int j = 0; j < vs->ninputs; j++)
	{
		int			k = vs->atts[vs->input_att[j] - 1].need;
		const Datum *v = &vs->vals[k * nb];
		const bool *isnull = &vs->nulls[k * nb];
		VReg	   *reg = &vs->regs[vs->input_reg[j]];
		PpCol	   *col = &reg->col;

		memset(col->status, 0, n);
		for (int r = 0; r < n; r++)
			col->null[r] = !alive[r] || isnull[r];
		switch (reg->type)
		{
			case BOOLOID:
				for (int r = 0; r < n; r++)
					col->i[r] = col->null[r] ? 0 : DatumGetBool(v[r]);
				break;
			case INT2OID:
				for (int r = 0; r < n; r++)
					col->i[r] = col->null[r] ? 0 : DatumGetInt16(v[r]);
				break;
			case INT4OID:
				for (int r = 0; r < n; r++)
					col->i[r] = col->null[r] ? 0 : DatumGetInt32(v[r]);
				break;
			case DATEOID:
				for (int r = 0; r < n; r++)
					col->i[r] = col->null[r] ? 0 : DatumGetDateADT(v[r]);
				break;
			case INT8OID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
				for (int r = 0; r < n; r++)
					col->i[r] = col->null[r] ? 0 : DatumGetInt64(v[r]);
				break;
			case FLOAT4OID:
				for (int r = 0; r < n; r++)
					col->f[r] = col->null[r] ? 0 : DatumGetFloat4(v[r]);
				break;
			case FLOAT8OID:
				for (int r = 0; r < n; r++)
					col->f[r] = col->null[r] ? 0 : DatumGetFloat8(v[r]);
				break;
			default:
				for (int r = 0; r < n; r++)
				{
					struct varlena *t;

					if (col->null[r])
						continue;
					t = (struct varlena *) DatumGetPointer(v[r]);
					if (VARATT_IS_EXTERNAL(t) || VARATT_IS_COMPRESSED(t))
						t = detoast_attr(t);
					col->s[r].p = VARDATA_ANY(t);
					col->s[r].len = VARSIZE_ANY_EXHDR(t);
				}
				break;
		}
	}
}

/*
 * Memory for text results, in the current (per-tuple) memory context: NULL
 * rather than an error when there is none, so the kernel flags its rows
 * and PostgreSQL's evaluator raises whatever it raises.
 */
static void *
BatchAlloc(void *arg, size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

/* PostgreSQL's MD5 for the md5 kernel; errors become a flagged row. */
static bool
Md5Hex(const void *p, size_t len, char *hex)
{
	const char *errstr = NULL;
	char		buf[33];		/* 32 hex digits and a NUL */

	if (!pg_md5_hash(p, len, buf, &errstr))
		return false;
	memcpy(hex, buf, 32);
	return true;
}

/* Run the stage's instructions over n rows, in per-tuple memory. */
static void
RunProgram(PpVecStage *vs, int n)
{
	PpAlloc		mem = {BatchAlloc, NULL};

	for (int k = 0; k < vs->ninstr; k++)
	{
		VInstr	   *in = &vs->instr[k];
		PpCol	   *d = &vs->regs[in->dst].col;
		PpCol	   *a = in->a >= 0 ? &vs->regs[in->a].col : NULL;
		PpCol	   *b = in->b >= 0 ? &vs->regs[in->b].col : NULL;
		PpCol	   *c = in->c >= 0 ? &vs->regs[in->c].col : NULL;
		PpKind		kind = vs->regs[in->dst].kind;
		uint8	   *decided = in->aux >= 0 ? vs->regs[in->aux].col.null : NULL;

		switch (in->op)
		{
			case V_INT_ARITH:
				pp_int_arith(in->sub, in->lo, in->hi, a, b, d, n);
				break;
			case V_INT_NEG:
				pp_int_neg(in->lo, in->hi, a, d, n);
				break;
			case V_INT_ABS:
				pp_int_abs(in->lo, in->hi, a, d, n);
				break;
			case V_F8_ARITH:
				pp_f8_arith(in->sub, a, b, d, n);
				break;
			case V_F4_ARITH:
				pp_f4_arith(in->sub, a, b, d, n);
				break;
			case V_FLOAT_NEG:
				pp_float_neg(a, d, n);
				break;
			case V_FLOAT_ABS:
				pp_float_abs(a, d, n);
				break;
			case V_SQRT:
				pp_f8_sqrt(a, d, n);
				break;
			case V_F8_MATH:
				pp_f8_math(in->sub, a, d, n);
				break;
			case V_F8_POW:
				pp_f8_pow(a, b, d, n);
				break;
			case V_INT_CMP:
				pp_int_cmp(in->sub, a, b, d, n);
				break;
			case V_FLOAT_CMP:
				pp_float_cmp(in->sub, a, b, d, n);
				break;
			case V_INT_TO_INT:
				pp_int_to_int(in->lo, in->hi, a, d, n);
				break;
			case V_INT_TO_F8:
				pp_int_to_f8(a, d, n);
				break;
			case V_INT_TO_F4:
				pp_int_to_f4(a, d, n);
				break;
			case V_FLOAT_TO_INT:
				pp_float_to_int(0, in->lo, in->hi, a, d, n);
				break;
			case V_F4_TO_INT:
				pp_float_to_int(1, in->lo, in->hi, a, d, n);
				break;
			case V_F8_TO_F4:
				pp_f8_to_f4(a, d, n);
				break;
			case V_COPY:
				pp_col_copy(kind, a, d, n);
				break;
			case V_AND_STEP:
				pp_bool_and_step(d, a, n);
				break;
			case V_OR_STEP:
				pp_bool_or_step(d, a, n);
				break;
			case V_NOT:
				pp_bool_not(a, d, n);
				break;
			case V_IS_NULL:
				pp_is_null(0, a, d, n);
				break;
			case V_IS_NOT_NULL:
				pp_is_null(1, a, d, n);
				break;
			case V_COALESCE_STEP:
				pp_coalesce_step(kind, d, a, n);
				break;
			case V_CASE_INIT:
				pp_case_init(d, decided, n);
				break;
			case V_CASE_ARG:
				pp_case_arg(a, d, decided, n);
				break;
			case V_CASE_WHEN:
				pp_case_when(kind, a, b, d, decided, n);
				break;
			case V_CASE_ELSE:
				pp_case_else(kind, a, d, decided, n);
				break;
			case V_TEXT_TO_INT:
				pp_text_to_int(in->lo, in->hi, a, d, n);
				break;
			case V_TEXT_TO_F8:
				pp_text_to_f8(a, d, n);
				break;
			case V_TEXT_TO_F4:
				pp_text_to_f4(a, d, n);
				break;
			case V_TEXT_TO_BOOL:
				pp_text_to_bool(a, d, n);
				break;
			case V_TEXT_TO_DATE:
				pp_text_to_date(a, d, n);
				break;
			case V_TEXT_TO_TS:
				pp_text_to_timestamp(a, d, n);
				break;
			case V_TEXT_TO_TSTZ:
				pp_text_to_timestamptz(a, d, vs->tz, n);
				break;
			case V_TEXT_LENGTH:
				pp_text_length(in->utf8, a, d, n);
				break;
			case V_TEXT_CAT:
				pp_text_cat(a, b, d, n, &mem);
				break;
			case V_TEXT_TRIM:
				pp_text_trim(in->sub, a, b, d, n);
				break;
			case V_TEXT_CASE:
				pp_text_case(in->sub, a, d, n, &mem);
				break;
			case V_TEXT_SUBSTR:
				pp_text_substr(in->utf8, a, b, c, d, n);
				break;
			case V_TEXT_MD5:
				pp_text_md5(a, d, n, &mem, Md5Hex);
				break;
		}
	}
}

/*
 * Row r of register reg as a Datum of its type (not NULL, not flagged);
 * text is allocated in the current memory context.
 */
static inline Datum
RegDatum(VReg *reg, int r)
{
	switch (reg->type)
	{
		case BOOLOID:
			return BoolGetDatum(reg->col.i[r] != 0);
		case INT2OID:
			return Int16GetDatum((int16) reg->col.i[r]);
		case INT4OID:
			return Int32GetDatum((int32) reg->col.i[r]);
		case DATEOID:
			return DateADTGetDatum((DateADT) reg->col.i[r]);
		case INT8OID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return Int64GetDatum(reg->col.i[r]);
		case FLOAT4OID:
			return Float4GetDatum((float4) reg->col.f[r]);
		case FLOAT8OID:
			return Float8GetDatum(reg->col.f[r]);
		default:
			return PointerGetDatum(cstring_to_text_with_len(reg->col.s[r].p,
															reg->col.s[r].len));
	}
}

/*
 * Run stage st's kernels over the n rows of a batch: cur[r] are the rows'
 * inputs, alive[r] whether row r is still in; raw, if not NULL, has for
 * each row the heap tuple in its slot, if any, to deform without the
 * slot.  Adds to counters the time spent reading the kernels' columns and
 * running the kernels.  Kernels raise no errors on the values they are
 * given (they flag the rows they cannot compute); PpVecFinish then
 * finishes the rows.
 */
void
PpVecKernels(PpVecStage *vs, ExprContext *econtext, TupleTableSlot **cur,
			 HeapTuple *raw, const bool *alive, int n, PpVecCounters *counters)
{
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	instr_time	t0,
				t1,
				t2;

	Assert(n <= vs->batch);
	INSTR_TIME_SET_CURRENT(t0);
	Deform(vs, cur, raw, alive, n);
	INSTR_TIME_SET_CURRENT(t1);
	RunProgram(vs, n);
	INSTR_TIME_SET_CURRENT(t2);
	MemoryContextSwitchTo(old);
	INSTR_TIME_SUBTRACT(t2, t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	counters->deform_us += INSTR_TIME_GET_MICROSEC(t1);
	counters->kernel_us += INSTR_TIME_GET_MICROSEC(t2);
}

/*
 * Finish rows *pos..n-1 of a batch whose kernels ran (PpVecKernels), in
 * row order, with *pos the row being finished: so when PostgreSQL's
 * evaluator raises an error, *pos is the row that raised it, and a caller
 * that catches it can drop that row and go on from the next.  A filter
 * clears alive[r] of the rows it drops; a map stores its output in out[r]
 * and points cur[r] at it.  Runs in econtext's per-tuple memory.  Adds to
 * counters, row by row, the expression values taken from kernels and
 * those the evaluator computed (fallback expressions and flagged rows;
 * plain input columns count in neither).
 */
void
PpVecFinish(PpVecStage *vs, PpStage *st, ExprContext *econtext, TupleTableSlot **cur,
			bool *alive, int n, TupleTableSlot **out, PpVecCounters *counters, int *pos)
{
	MemoryContext old;

	if (st->is_filter)
	{
		VExpr	   *ve = &vs->exprs[0];
		PpCol	   *res = ve->reg >= 0 ? &vs->regs[ve->reg].col : NULL;

		for (int r; (r = *pos) < n; (*pos)++)
		{
			if (!alive[r])
				continue;
			if (res && !res->status[r])
			{
				alive[r] = !res->null[r] && res->i[r] != 0;
				counters->kernel_values++;
			}
			else
			{
				econtext->ecxt_scantuple = cur[r];
				counters->evaluator_values++;
				alive[r] = ExecQual(st->qualstate, econtext);
			}
		}
		return;
	}

	/* text results are copied into per-tuple memory, with the batch */
	old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	for (int r; (r = *pos) < n; (*pos)++)
	{
		TupleTableSlot *o = out[r];
		Datum	   *ov;
		bool	   *on;
		bool		evaluate = vs->fallback;
		uint64		nkernel = 0;

		if (!alive[r])
			continue;
		if (!TTS_EMPTY(o))
			ExecClearTuple(o);
		ov = o->tts_values;
		on = o->tts_isnull;
		/* first what raises no error: plain input columns, kernels' values */
		for (int c = 0; c < st->ncols; c++)
		{
			VExpr	   *ve = &vs->exprs[c];
			VReg	   *reg;

			if (ve->copy > 0)
			{
				ov[c] = vs->vals[ve->copycol * vs->batch + r];
				on[c] = vs->nulls[ve->copycol * vs->batch + r];
				continue;
			}
			if (ve->reg < 0)
				continue;
			reg = &vs->regs[ve->reg];
			if (reg->col.status[r])
			{
				evaluate = true;
				continue;
			}
			on[c] = reg->col.null[r];
			ov[c] = on[c] ? (Datum) 0 : RegDatum(reg, r);
			nkernel++;
		}
		counters->kernel_values += nkernel;

		/*
		 * then, in PostgreSQL's order, fallback expressions and flagged
		 * values
		 */
		if (evaluate)
		{
			econtext->ecxt_scantuple = cur[r];
			for (int c = 0; c < st->ncols; c++)
			{
				VExpr	   *ve = &vs->exprs[c];

				if (ve->copy > 0 || (ve->reg >= 0 && !vs->regs[ve->reg].col.status[r]))
					continue;
				counters->evaluator_values++;
				ov[c] = ExecEvalExpr(st->colstates[c], econtext, &on[c]);
			}
		}
		ExecStoreVirtualTuple(o);
		cur[r] = o;
	}
	MemoryContextSwitchTo(old);
}

/* Time zone offsets for the kernels: DetermineTimeZoneOffset at both ends of an hour. */
int
VecTzLookup(void *arg, int64_t hour, int64_t *gmtoff)
{
	int64		days = hour >= 0 ? hour / 24 : -((-hour + 23) / 24);
	int64		jd = days + POSTGRES_EPOCH_JDATE;
	struct pg_tm tm;
	int			west1,
				west2;

	if (jd < 0 || jd > INT_MAX)
		return 0;
	memset(&tm, 0, sizeof(tm));
	j2date((int) jd, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tm.tm_hour = (int) (hour - days * 24);
	west1 = DetermineTimeZoneOffset(&tm, session_timezone);
	tm.tm_min = 59;
	tm.tm_sec = 59;
	west2 = DetermineTimeZoneOffset(&tm, session_timezone);
	if (west1 != west2)
		return 0;
	*gmtoff = -west1;
	return 1;
}
