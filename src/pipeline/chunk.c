/*
 * chunk.c
 *		One chunk of a run: scan its blocks through the run's snapshot,
 *		evaluate the stages over batches of rows, write the survivors with
 *		bulk inserts, and mark the chunk done, all in the caller's
 *		transaction, so the rows and the mark commit (or vanish) together.
 *
 * A batch is evaluated stage by stage (every row through stage 1, then the
 * survivors through stage 2, ...).  With parproc.vectorize, a stage with
 * expressions that have column kernels is evaluated by vecexec.c (the
 * same results, errors and order); otherwise row by row with PostgreSQL's
 * evaluator, column by column within a map stage.
 *
 * on_error => 'skip': each stage of a batch runs in a subtransaction (no
 * writes happen in it, so it takes no transaction id); when a row raises an
 * error, the subtransaction is rolled back, the row is dropped with its
 * error and the stage goes on from the next row in a new one.  So the
 * kernels still compute the batch's good rows, and the rows that fail go
 * to parproc.error_rows with the stage that raised the error, as if each
 * row had been evaluated alone.  Errors of the write itself (unique
 * violations, a row no partition accepts, errors of triggers and foreign
 * keys) still stop the run: catching them would need a subtransaction with
 * a transaction id per batch.
 *
 * Writing follows INSERT: a partitioned target routes each row to its leaf
 * partition (PostgreSQL's own tuple routing), BEFORE ROW triggers run on the
 * leaf and may change or skip the row, then stored generated columns and
 * constraints, the heap and its indexes, and AFTER ROW triggers (foreign key
 * checks among them), fired when the chunk ends, in its transaction.  Rows
 * are inserted in bulk per relation, one at a time where BEFORE ROW triggers
 * could look at the table (as COPY does).
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "executor/nodeModifyTable.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

typedef struct ChunkExec
{
	PpRunSpec  *spec;
	PpRunSlot  *slot;
	int			batch_size;		/* parproc.batch_size when the chunk began */
	PpPlan	   *plan;
	PpVecStage **vec;			/* per stage: kernels, or NULL */
	AttrNumber *sinkcopy;		/* per target attribute: a plain column, or 0 */
	AttrNumber	sinkmax;
	bool		sinkdirect;		/* the last map writes the sink slots itself */
	bool		dry;			/* evaluate only: no writes, no done mark */
	bool		raw_ok;			/* cur[r] are the scanned rows (raw) */
	Relation	source;			/* the part read (NULL: files) */
	Relation	runrel;			/* the run's source (source itself, or its
								 * parent) */
	TupleDesc	srcdesc;		/* the rows read */
	const char *file;			/* the file read, or NULL */
	TupleConversionMap *rowmap; /* part's rows as runrel's, if they differ */
	Relation	target;
	const		PpSourceOps *source_ops;	/* what the run reads */
	const		PpSinkOps *sink_ops;	/* and writes */
	PpSink	   *sinkstate;
	EState	   *estate;
	ExprContext *econtext;		/* stage evaluation; reset per batch */
	int			n;				/* rows in the batch */
	TupleTableSlot **in;		/* scanned rows */
	HeapTupleData *tup;			/* their headers, pointing into pinned pages */
	HeapTuple  *raw;			/* &tup[r], or NULL for a copied row */
	int64	   *line;			/* a file's rows: where each came from */
	int64	   *offset;
	Buffer	   *pins;			/* the pages the batch's rows are on */
	int			npins;
	TupleTableSlot ***out;		/* per map stage, per row */
	TupleTableSlot **cur;		/* each row's latest version */
	TupleTableSlot **sink;		/* rows in the target's shape */
	bool	   *alive;
	int			row_stage;		/* the stage a row evaluated alone reached */
	int			pos;			/* the row being evaluated (EvalStep); -1: the
								 * kernels */
	ErrorData **rowerr;			/* on_error => 'skip': each row's error, */
	int		   *rowerr_stage;	/* and the stage that raised it */
	ArrayBuildState *errcols[9];	/* failed rows not yet written, */
	int			nerr;			/* how many */
	uint64	   *stage_in;		/* counts of the batch being evaluated */
	uint64	   *stage_out;
	uint64	   *stage_failed;
	uint64	   *stage_us;
	uint64	   *published;		/* per stage: rows in, out, failed published
								 * (3 each), taken back if the chunk fails */
	PpVecCounters *stage_vec;	/* values by kernels and by the evaluator */
	uint64		read_us;		/* the chunk's time reading the source, */
	uint64		eval_us;		/* evaluating, */
	uint64		write_us;		/* and inserting */
	int64		read;
	int64		written;
	int64		failed;
} ChunkExec;

/*
 * Add the row in scanslot to the batch.  A row on a shared or local buffer
 * page is not copied: the batch keeps one pin per page (rows of a page are
 * consecutive, so that is a few pins per batch) and the row's slot points
 * into the page, which cannot be pruned or moved while pinned; FlushBatch
 * drops the pins.  Other rows are copied.
 */
static void
BatchAdd(ChunkExec *x, TupleTableSlot *scanslot, void *scan)
{
	int			r = x->n++;
	BufferHeapTupleTableSlot *bs = (BufferHeapTupleTableSlot *) scanslot;

	if (x->source_ops->position)
		x->source_ops->position(scan, &x->line[r], &x->offset[r]);

	if (!TTS_IS_BUFFERTUPLE(scanslot) || !BufferIsValid(bs->buffer) ||
		bs->base.tuple == NULL)
	{
		ExecCopySlot(x->in[r], scanslot);
		x->raw[r] = NULL;
		return;
	}
	if (x->npins == 0 || x->pins[x->npins - 1] != bs->buffer)
	{
		IncrBufferRefCount(bs->buffer);
		x->pins[x->npins++] = bs->buffer;
	}
	x->tup[r] = *bs->base.tuple;
	x->raw[r] = &x->tup[r];
	ExecStoreHeapTuple(&x->tup[r], x->in[r], false);
}

/* Stop when the run was cancelled or a sibling failed. */
static void
CheckRunContinues(ChunkExec *x)
{
	CHECK_FOR_INTERRUPTS();
	if (pg_atomic_read_u32(&x->slot->cancel))
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("run %lld was cancelled", (long long) x->spec->run_id)));
	if (pg_atomic_read_u32(&x->slot->failed))
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("run %lld is stopping: another of its processes failed",
						(long long) x->spec->run_id)));
}

/* Row r through stage k. */
static void
EvalStage(ChunkExec *x, int k, int r)
{
	PpStage    *st = &x->plan->stages[k];
	ExprContext *econtext = x->econtext;

	econtext->ecxt_scantuple = x->cur[r];
	x->stage_vec[k].evaluator_values += st->is_filter ? 1 : st->ncols;
	if (st->is_filter)
	{
		if (!ExecQual(st->qualstate, econtext))
			x->alive[r] = false;
	}
	else
	{
		TupleTableSlot *o = x->out[k][r];

		ExecClearTuple(o);
		for (int c = 0; c < st->ncols; c++)
			o->tts_values[c] = ExecEvalExprSwitchContext(st->colstates[c], econtext,
														 &o->tts_isnull[c]);
		ExecStoreVirtualTuple(o);
		x->cur[r] = o;
	}
}

/* Row r in the target's shape, with generated columns and constraints. */
static void
EvalSink(ChunkExec *x, int r)
{
	TupleTableSlot *t = x->sink[r];
	PpPlan	   *plan = x->plan;

	x->econtext->ecxt_scantuple = x->cur[r];
	if (t == x->cur[r])
		goto checks;			/* the last map wrote the row in place */
	ExecClearTuple(t);
	if (x->sinkmax > 0)
		slot_getsomeattrs(x->cur[r], x->sinkmax);
	for (int a = 0; a < plan->natts; a++)
	{
		if (x->sinkcopy[a] > 0)
		{
			/* what ExecEvalExpr returns for a plain Var, without the call */
			t->tts_values[a] = x->cur[r]->tts_values[x->sinkcopy[a] - 1];
			t->tts_isnull[a] = x->cur[r]->tts_isnull[x->sinkcopy[a] - 1];
		}
		else if (plan->sinkstates[a])
			t->tts_values[a] = ExecEvalExprSwitchContext(plan->sinkstates[a], x->econtext,
														 &t->tts_isnull[a]);
		else
		{
			t->tts_values[a] = (Datum) 0;
			t->tts_isnull[a] = true;
		}
	}
	ExecStoreVirtualTuple(t);
checks:
	x->sink_ops->check(x->sinkstate, t);
}

/*
 * Run fn(arg) in a subtransaction (it writes nothing, so it takes no
 * transaction id); returns the error it raised, or NULL.  A cancel is
 * raised again.
 */
ErrorData *
PpTrySubtransaction(void (*fn) (void *), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
	}
	PG_END_TRY();
	return edata;
}

/* fn(x, i) through PpTrySubtransaction. */
typedef struct ChunkCall
{
	void		(*fn) (ChunkExec *, int);
	ChunkExec  *x;
	int			i;
} ChunkCall;

static void
CallChunkFn(void *arg)
{
	ChunkCall  *c = arg;

	c->fn(c->x, c->i);
}

static ErrorData *
TrySubtransaction(void (*fn) (ChunkExec *, int), ChunkExec *x, int i)
{
	ChunkCall	c = {fn, x, i};

	return PpTrySubtransaction(CallChunkFn, &c);
}

/* How many rows of the batch are still in. */
static int
CountAlive(ChunkExec *x)
{
	int			n = 0;

	for (int r = 0; r < x->n; r++)
		n += x->alive[r];
	return n;
}

/*
 * Step k of a batch's evaluation: stage k, or the target's projection for
 * k == nstages, over the rows from x->pos on; from the kernels, if the
 * stage has them, when x->pos is -1.  x->pos is the row being evaluated,
 * so an error raised by PostgreSQL's evaluator is that row's (see
 * EvalStepCatching).
 */
static void
EvalStep(ChunkExec *x, int k)
{
	PpStage    *st = k < x->plan->nstages ? &x->plan->stages[k] : NULL;

	if (x->pos < 0)
	{
		if (st && x->vec[k])
			PpVecKernels(x->vec[k], x->econtext, x->cur, x->raw_ok ? x->raw : NULL,
						 x->alive, x->n, &x->stage_vec[k]);
		x->pos = 0;
	}
	if (st && x->vec[k])
		PpVecFinish(x->vec[k], st, x->econtext, x->cur, x->alive, x->n, x->out[k],
					&x->stage_vec[k], &x->pos);
	else
		for (; x->pos < x->n; x->pos++)
			if (x->alive[x->pos])
			{
				if (st)
					EvalStage(x, k, x->pos);
				else
					EvalSink(x, x->pos);
			}
}

/*
 * on_error => 'skip': EvalStep in a subtransaction; when a row raises an
 * error, drop that row (its error is kept for RecordFailures) and go on
 * from the next, in a new subtransaction.  So a batch with a bad row is
 * still evaluated once, by the kernels where they can, and the rows and
 * errors are those of evaluating each row alone.  False if an error was
 * not a row's (raised by reading the kernels' columns, say).
 */
static bool
EvalStepCatching(ChunkExec *x, int k)
{
	for (;;)
	{
		ErrorData  *edata = TrySubtransaction(EvalStep, x, k);

		if (edata == NULL)
			return true;
		if (x->pos < 0 || x->pos >= x->n)
		{
			FreeErrorData(edata);
			return false;
		}
		x->alive[x->pos] = false;
		x->rowerr[x->pos] = edata;
		x->rowerr_stage[x->pos] = k;
		x->pos++;
	}
}

/*
 * Evaluate the whole batch stage by stage, then the target's projection;
 * counts go to the stage_* arrays.  With catching (on_error => 'skip'),
 * rows that fail are dropped with their errors in rowerr; false if an
 * error was not a row's.
 */
static bool
EvalBatch(ChunkExec *x, bool catching)
{
	instr_time	t0,
				t1;
	int			nstages = x->plan->nstages;

	x->raw_ok = true;			/* cur[r] are the scanned rows */
	for (int r = 0; r < x->n; r++)
	{
		x->alive[r] = true;
		x->cur[r] = x->in[r];
	}
	for (int k = 0; k <= nstages; k++)
	{
		INSTR_TIME_SET_CURRENT(t0);
		if (k < nstages)
			x->stage_in[k] += CountAlive(x);
		x->pos = -1;
		if (!catching)
			EvalStep(x, k);
		else if (!EvalStepCatching(x, k))
			return false;
		if (k == nstages)
			break;
		x->stage_out[k] += CountAlive(x);
		INSTR_TIME_SET_CURRENT(t1);
		INSTR_TIME_SUBTRACT(t1, t0);
		x->stage_us[k] += INSTR_TIME_GET_MICROSEC(t1);
		x->raw_ok &= x->plan->stages[k].is_filter;
	}
	return true;
}

/*
 * Write the failed rows kept by RecordFailure to parproc.error_rows, in
 * the chunk's transaction: one statement for many rows, whose planning
 * and execution would otherwise cost more than the rows' evaluation.
 */
static void
FlushFailures(ChunkExec *x)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[11] = {INT8OID, OIDOID, TEXTARRAYOID, TIDARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, INT8ARRAYOID,
	TEXTARRAYOID};
	Datum		values[11];
	char		nulls[11];

	if (x->nerr == 0)
		return;
	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(x->spec->run_id);
	values[1] = x->source ? ObjectIdGetDatum(RelationGetRelid(x->source)) : (Datum) 0;
	nulls[1] = x->source ? ' ' : 'n';
	for (int i = 0; i < 9; i++)
	{
		values[2 + i] = makeArrayResult(x->errcols[i], CurrentMemoryContext);
		x->errcols[i] = NULL;
	}
	PpCatalogExecKept(&plan, "INSERT INTO parproc.error_rows"
					  " (run_id, stage, source, source_ctid, row, sqlstate, message, file, line,"
					  " byte_offset, raw_line)"
					  " SELECT $1, u.stage, $2, u.ctid, u.row::jsonb, u.sqlstate, u.message,"
					  " u.file, u.line, u.byte_offset, u.raw_line"
					  " FROM unnest($3, $4, $5, $6, $7, $8, $9, $10, $11)"
					  " AS u(stage, ctid, row, sqlstate, message, file, line, byte_offset, raw_line)",
					  11, types, values, nulls);
	for (int i = 0; i < 9; i++)
		pfree(DatumGetPointer(values[2 + i]));
	x->nerr = 0;
}

/*
 * Keep a failed row for parproc.error_rows: its stage, source position
 * (ctid of a table's row; file, line, offset of a file's), the row as JSON
 * (NULL: a record the source could not read, raw_line holds it), error.
 * Counted, and checked against parproc.max_error_rows.
 */
static void
KeepFailure(ChunkExec *x, const char *stage, ItemPointer tid, Datum row, ErrorData *edata,
			const char *file, int64 line, int64 offset, const char *raw)
{
	Datum		cols[9];
	bool		isnull[9] = {false};
	Oid			coltypes[9] = {TEXTOID, TIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID,
	INT8OID, TEXTOID};

	cols[0] = CStringGetTextDatum(stage);
	cols[1] = PointerGetDatum(tid);
	isnull[1] = tid == NULL;
	cols[2] = row;
	isnull[2] = row == (Datum) 0;
	cols[3] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	cols[4] = CStringGetTextDatum(edata->message ? edata->message : "");
	cols[5] = file ? CStringGetTextDatum(file) : (Datum) 0;
	isnull[5] = isnull[6] = isnull[7] = file == NULL;
	cols[6] = Int64GetDatum(line);
	cols[7] = Int64GetDatum(offset);
	cols[8] = raw ? CStringGetTextDatum(raw) : (Datum) 0;
	isnull[8] = raw == NULL;
	for (int i = 0; i < 9; i++)
		x->errcols[i] = accumArrayResult(x->errcols[i], cols[i], isnull[i], coltypes[i],
										 CurrentMemoryContext);
	x->failed++;
	if (++x->nerr >= 1000)
		FlushFailures(x);
	if (pg_atomic_add_fetch_u64(&x->slot->rows_failed, 1) > (uint64) parproc_max_error_rows)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("run %lld has more than parproc.max_error_rows (%lld) failed rows",
						(long long) x->spec->run_id, (long long) parproc_max_error_rows),
				 errhint("See parproc.errors for the rows; fix them or the pipeline, "
						 "then resume the run.")));
}

/*
 * Keep failed row r for parproc.error_rows (FlushFailures writes them, at
 * the latest when the chunk ends), with the stage that raised edata.
 */
static void
RecordFailure(ChunkExec *x, int r, const char *stage, ErrorData *edata)
{
	ItemPointer tid = NULL;
	Datum		row;

	if (x->source)
	{
		tid = palloc(sizeof(ItemPointerData));
		*tid = x->in[r]->tts_tid;
	}
	/* the row as SELECT from the run's source shows it */
	if (x->rowmap)
		row = heap_copy_tuple_as_datum(execute_attr_map_tuple(ExecFetchSlotHeapTuple(x->in[r], false, NULL),
															  x->rowmap),
									   RelationGetDescr(x->runrel));
	else
		row = ExecFetchSlotHeapTupleDatum(x->in[r]);
	KeepFailure(x, stage, tid, DirectFunctionCall1(row_to_json, row), edata, x->file,
				x->file ? x->line[r] : 0, x->file ? x->offset[r] : 0, NULL);
}

/* A record the source could not read (on_error => 'skip'). */
static void
RecordSourceFailure(ChunkExec *x, PpSourceFailure *f)
{
	pg_atomic_add_fetch_u64(&x->slot->rows_read, 1);
	x->read++;
	KeepFailure(x, "(source)", NULL, (Datum) 0, f->edata, f->file, f->line, f->offset, f->raw);
}

/* Row r alone through every stage and the target's projection. */
static void
EvalRow(ChunkExec *x, int r)
{
	x->alive[r] = true;
	x->cur[r] = x->in[r];
	for (x->row_stage = 0; x->row_stage < x->plan->nstages && x->alive[r]; x->row_stage++)
	{
		x->stage_in[x->row_stage]++;
		EvalStage(x, x->row_stage, r);
		x->stage_out[x->row_stage] += x->alive[r];
	}
	if (x->alive[r])
		EvalSink(x, r);
}

/* Record the batch's failed rows (rowerr), in row order. */
static void
RecordFailures(ChunkExec *x)
{
	int			nstages = x->plan->nstages;

	for (int r = 0; r < x->n; r++)
		if (x->rowerr[r])
		{
			int			k = x->rowerr_stage[r];

			if (k < nstages)
				x->stage_failed[k]++;
			RecordFailure(x, r, k < nstages ? x->plan->stages[k].name : "target",
						  x->rowerr[r]);
			FreeErrorData(x->rowerr[r]);
			x->rowerr[r] = NULL;
		}
}

/*
 * on_error => 'skip': the batch with its failing rows dropped.  When an
 * error was not a row's, the batch is evaluated again row by row, each row
 * alone through every stage in its own subtransaction.  Subtransactions
 * here write nothing, so they take no transaction id: the failures are
 * written after, in the chunk's transaction.
 */
static void
EvalBatchSkipping(ChunkExec *x)
{
	int			nstages = x->plan->nstages;

	if (!EvalBatch(x, true))
	{
		memset(x->stage_in, 0, sizeof(uint64) * nstages);
		memset(x->stage_out, 0, sizeof(uint64) * nstages);
		memset(x->stage_vec, 0, sizeof(PpVecCounters) * nstages);
		for (int r = 0; r < x->n; r++)
		{
			if (x->rowerr[r])
				FreeErrorData(x->rowerr[r]);
			ExecClearTuple(x->sink[r]);
			x->rowerr[r] = TrySubtransaction(EvalRow, x, r);
			x->rowerr_stage[r] = x->row_stage;
			if (x->rowerr[r])
				x->alive[r] = false;
		}
	}
	RecordFailures(x);
}

/* Write the survivors of the batch and publish its counts. */
static void
FlushBatch(ChunkExec *x)
{
	int			m = 0;
	PpRunSlot  *slot = x->slot;

	for (int r = 0; r < x->n; r++)
		if (x->alive[r])
		{
			if (x->dry)
				m++;			/* counted, not written */
			else
				x->sink_ops->put(x->sinkstate, x->sink[r]);
		}
	if (!x->dry)
		m += x->sink_ops->flush(x->sinkstate);
	for (int k = 0; k < x->plan->nstages; k++)
	{
		/* an aggregate stage's rows out are its groups: the final step's */
		if (x->plan->stages[k].is_agg)
			x->stage_out[k] = 0;
		pg_atomic_add_fetch_u64(&slot->stages[k].rows_in, x->stage_in[k]);
		pg_atomic_add_fetch_u64(&slot->stages[k].rows_out, x->stage_out[k]);
		pg_atomic_add_fetch_u64(&slot->stages[k].rows_failed, x->stage_failed[k]);
		pg_atomic_add_fetch_u64(&slot->stages[k].time_us, x->stage_us[k]);
		pg_atomic_add_fetch_u64(&slot->stages[k].deform_us, x->stage_vec[k].deform_us);
		pg_atomic_add_fetch_u64(&slot->stages[k].kernel_us, x->stage_vec[k].kernel_us);
		pg_atomic_add_fetch_u64(&slot->stages[k].kernel_values, x->stage_vec[k].kernel_values);
		pg_atomic_add_fetch_u64(&slot->stages[k].evaluator_values,
								x->stage_vec[k].evaluator_values);
		x->published[3 * k] += x->stage_in[k];
		x->published[3 * k + 1] += x->stage_out[k];
		x->published[3 * k + 2] += x->stage_failed[k];
		x->stage_in[k] = x->stage_out[k] = x->stage_failed[k] = x->stage_us[k] = 0;
		memset(&x->stage_vec[k], 0, sizeof(PpVecCounters));
	}
	pg_atomic_add_fetch_u64(&slot->rows_read, x->n);
	pg_atomic_add_fetch_u64(&slot->rows_written, m);
	x->read += x->n;
	x->written += m;
	for (int r = 0; r < x->n; r++)
	{
		ExecClearTuple(x->in[r]);
		ExecClearTuple(x->sink[r]);
	}
	for (int i = 0; i < x->npins; i++)
		ReleaseBuffer(x->pins[i]);
	x->npins = 0;
	ResetExprContext(x->econtext);
	ResetPerTupleExprContext(x->estate);
	x->n = 0;
}

/*
 * The columns of the run's source: a file source's source_columns, or the
 * source table's, opened into *rel (NULL for files).
 */
TupleDesc
PpOpenRunSource(PpRunSpec *spec, Relation *rel)
{
	const char *pattern,
			   *options,
			   *columns;

	*rel = NULL;
	if (!spec->file_source)
	{
		*rel = PpOpenRunRelation(spec, spec->source, AccessShareLock, "source");
		return RelationGetDescr(*rel);
	}
	PpSpecFileSource(spec, &pattern, &options, &columns);
	return PpFileColumns(columns);
}

/* Open a relation of the run by OID, failing cleanly if it was dropped. */
Relation
PpOpenRunRelation(PpRunSpec *spec, Oid relid, LOCKMODE mode, const char *what)
{
	Relation	rel = try_table_open(relid, mode);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the %s table of run %lld was dropped", what, (long long) spec->run_id)));
	return rel;
}

/*
 * Set up the evaluation of stages defs (resolved: their resolved trees, or
 * NULL to parse them here) over part pt.
 */
static void
ChunkExecInit(ChunkExec *x, PpRunSpec *spec, PpRunSlot *slot, PpPart *pt, List *defs,
			  const char *resolved)
{
	/* one batch size for the chunk, whatever its stages may set */
	int			nb = x->batch_size = parproc_batch_size;
	int			nstages;

	x->spec = spec;
	x->slot = slot;
	x->source_ops = PpRunSource(spec);
	x->sink_ops = PpRunSink(spec);
	if (spec->file_source)
	{
		const char *pattern,
				   *options,
				   *columns;

		PpSpecFileSource(spec, &pattern, &options, &columns);
		x->srcdesc = PpFileColumns(columns);
		x->file = PpSpecPath(spec, pt);
		PpCheckFileAccess(GetUserId(), pattern);
	}
	else
	{
		x->source = PpOpenRunRelation(spec, pt->relid, AccessShareLock, "source");
		x->runrel = pt->relid == spec->source ? x->source :
			PpOpenRunRelation(spec, spec->source, AccessShareLock, "source");
		x->srcdesc = RelationGetDescr(x->source);
		if (PpRelFileNumber(x->source) != pt->filenode)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("source table \"%s\" was rewritten during run %lld",
							RelationGetRelationName(x->source), (long long) spec->run_id),
					 errdetail("VACUUM FULL, CLUSTER, TRUNCATE and some ALTER TABLE forms move "
							   "rows to other blocks, so the run's chunks no longer match.")));
		PpCheckSource(x->source);
	}
	x->target = PpOpenRunRelation(spec, spec->target, RowExclusiveLock, "target");
	/* privileges can change between chunks; the source's are the parent's */
	if ((x->source &&
		 pg_class_aclcheck(spec->source, GetUserId(), ACL_SELECT) != ACLCHECK_OK) ||
		pg_class_aclcheck(spec->target, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the source or write the target of run %lld",
						(long long) spec->run_id)));
	PpCheckTarget(x->target);

	x->plan = PpCompile(defs, resolved, x->runrel ? RelationGetDescr(x->runrel) : x->srcdesc,
						x->source, x->target);
	if (x->runrel != x->source)
		x->rowmap = convert_tuples_by_name(RelationGetDescr(x->source),
										   RelationGetDescr(x->runrel));
	x->estate = CreateExecutorState();
	x->econtext = CreateExprContext(x->estate);
	PpPlanInit(x->plan, x->estate);
	x->vec = palloc0(sizeof(PpVecStage *) * Max(x->plan->nstages, 1));
	for (int k = 0; parproc_vectorize && k < x->plan->nstages; k++)
	{
		PpVecStage *vs = PpVecCompile(&x->plan->stages[k], nb);

		if (PpVecUseful(vs))
			x->vec[k] = vs;
	}
	x->sinkcopy = palloc0(sizeof(AttrNumber) * Max(x->plan->natts, 1));
	for (int a = 0; a < x->plan->natts; a++)
	{
		Var		   *v = (Var *) x->plan->sink[a];

		if (v && IsA(v, Var) && v->varattno > 0)
		{
			x->sinkcopy[a] = v->varattno;
			x->sinkmax = Max(x->sinkmax, v->varattno);
		}
	}

	/*
	 * When the last stage is a map whose columns are the target's, in order
	 * and of the same types (every sink expression a plain Var of its own
	 * position), the map writes its rows into the sink slots and the
	 * projection onto the target is only the constraint checks.
	 */
	nstages = x->plan->nstages;
	x->sinkdirect = nstages > 0 && !x->plan->stages[nstages - 1].is_filter &&
		x->plan->stages[nstages - 1].ncols == x->plan->natts;
	for (int a = 0; x->sinkdirect && a < x->plan->natts; a++)
		x->sinkdirect = x->sinkcopy[a] == a + 1;
	x->sinkstate = x->sink_ops->begin(spec, x->plan, x->target, x->estate, nb);

	/*
	 * Batch rows point into pinned pages, with one pin per page rather than
	 * per row (BatchAdd): a thousand pins cost more than copying the rows
	 * (the resource owner and the private refcount table are built for a
	 * handful of pins per backend), a pin per page costs neither.
	 */
	/* a file's rows are copied from the source's values, not formed as tuples */
	x->in = PpMakeSlots(nb, x->srcdesc, x->source ? &TTSOpsHeapTuple : &TTSOpsVirtual);
	x->line = palloc(sizeof(int64) * nb);
	x->offset = palloc(sizeof(int64) * nb);
	x->tup = palloc(sizeof(HeapTupleData) * nb);
	x->raw = palloc(sizeof(HeapTuple) * nb);
	x->pins = palloc(sizeof(Buffer) * nb);
	x->out = palloc0(sizeof(TupleTableSlot **) * Max(nstages, 1));
	x->sink = PpMakeSlots(nb, x->plan->sinkdesc,
						  x->plan->agg ? &TTSOpsVirtual : table_slot_callbacks(x->target));
	for (int k = 0; k < nstages; k++)
		if (x->sinkdirect && k == nstages - 1)
			x->out[k] = x->sink;
		else if (!x->plan->stages[k].is_filter)
			x->out[k] = PpMakeSlots(nb, x->plan->stages[k].outdesc, &TTSOpsVirtual);
	x->cur = palloc(sizeof(TupleTableSlot *) * nb);
	x->alive = palloc(sizeof(bool) * nb);
	x->rowerr = palloc0(sizeof(ErrorData *) * nb);
	x->rowerr_stage = palloc(sizeof(int) * nb);
	x->stage_in = palloc0(sizeof(uint64) * Max(nstages, 1));
	x->stage_out = palloc0(sizeof(uint64) * Max(nstages, 1));
	x->stage_failed = palloc0(sizeof(uint64) * Max(nstages, 1));
	x->stage_us = palloc0(sizeof(uint64) * Max(nstages, 1));
	x->published = palloc0(sizeof(uint64) * 3 * Max(nstages, 1));
	x->stage_vec = palloc0(sizeof(PpVecCounters) * Max(nstages, 1));
}

/* Release what ChunkExecInit set up (locks stay until commit). */
static void
ChunkExecEnd(ChunkExec *x)
{
	int			nb = x->batch_size;

	for (int i = 0; i < nb; i++)
	{
		ExecDropSingleTupleTableSlot(x->in[i]);
		ExecDropSingleTupleTableSlot(x->sink[i]);
		for (int k = 0; k < x->plan->nstages; k++)
			if (x->out[k] && x->out[k] != x->sink)
				ExecDropSingleTupleTableSlot(x->out[k][i]);
	}
	x->sink_ops->end(x->sinkstate);
	FreeExecutorState(x->estate);
	if (x->runrel != x->source)
		table_close(x->runrel, NoLock);
	if (x->source)
		table_close(x->source, NoLock);
	table_close(x->target, NoLock);
}

/* Insert the chunk's done mark. */
static void
MarkDone(ChunkExec *x, const PpChunkRef *ref, int worker)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[7] = {INT8OID, INT4OID, INT4OID, INT4OID, INT8OID, INT8OID, INT8OID};
	Datum		values[7];

	values[0] = Int64GetDatum(x->spec->run_id);
	values[1] = Int32GetDatum(ref->part);
	values[2] = Int32GetDatum(ref->chunk);
	values[3] = Int32GetDatum(worker);
	values[4] = Int64GetDatum(x->read);
	values[5] = Int64GetDatum(x->written);
	values[6] = Int64GetDatum(x->failed);
	PpCatalogExecKept(&plan, "INSERT INTO parproc.run_chunks"
					  " (run_id, part, chunk, worker, rows_read, rows_written, rows_failed)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, types, values, NULL);
}

/*
 * Read chunk ref of part pt through the active snapshot, and evaluate and
 * write it batch by batch.
 */
static void
ProcessRows(ChunkExec *x, const PpPart *pt, const PpChunkRef *ref)
{
	void	   *scan;
	instr_time	t_read,			/* the batch's reading began */
				t_eval,
				t_write,
				t_end;

	scan = x->source_ops->begin(x->spec, pt, ref, x->source, x->srcdesc);
	INSTR_TIME_SET_CURRENT(t_read);
	for (;;)
	{
		TupleTableSlot *row;
		PpSourceFailure *failure;
		bool		more;

		if (x->n == 0)
			CheckRunContinues(x);
		row = x->source_ops->next(scan, &failure);
		if (failure)
		{
			RecordSourceFailure(x, failure);
			continue;
		}
		more = row != NULL;
		if (more)
			BatchAdd(x, row, scan);
		if (x->n == x->batch_size || (!more && x->n > 0))
		{
			INSTR_TIME_SET_CURRENT(t_eval);
			if (x->spec->on_error == PP_ON_ERROR_SKIP)
				EvalBatchSkipping(x);
			else
				EvalBatch(x, false);
			INSTR_TIME_SET_CURRENT(t_write);
			FlushBatch(x);
			INSTR_TIME_SET_CURRENT(t_end);
			x->write_us += INSTR_TIME_GET_MICROSEC(t_end) - INSTR_TIME_GET_MICROSEC(t_write);
			x->eval_us += INSTR_TIME_GET_MICROSEC(t_write) - INSTR_TIME_GET_MICROSEC(t_eval);
			x->read_us += INSTR_TIME_GET_MICROSEC(t_eval) - INSTR_TIME_GET_MICROSEC(t_read);
			t_read = t_end;
		}
		if (!more)
			break;
	}
	x->source_ops->end(scan);
}

/*
 * Take back the counts a failed chunk published as it went (the live
 * counters and the stages' rows): its work is rolled back, and a retry
 * counts its rows again.
 */
static void
Unpublish(ChunkExec *x)
{
	PpRunSlot  *slot = x->slot;

	pg_atomic_sub_fetch_u64(&slot->rows_read, x->read);
	pg_atomic_sub_fetch_u64(&slot->rows_written, x->written);
	pg_atomic_sub_fetch_u64(&slot->rows_failed, x->failed);
	for (int k = 0; x->published && k < x->plan->nstages; k++)
	{
		pg_atomic_sub_fetch_u64(&slot->stages[k].rows_in, x->published[3 * k]);
		pg_atomic_sub_fetch_u64(&slot->stages[k].rows_out, x->published[3 * k + 1]);
		pg_atomic_sub_fetch_u64(&slot->stages[k].rows_failed, x->published[3 * k + 2]);
	}
}

/*
 * Process chunk g of the run's chunk list in the current transaction, through
 * the active snapshot, as participant worker (0: the coordinator).
 */
void
PpProcessChunk(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker)
{
	PpChunkRef *ref = &PpSpecChunks(spec)[g];
	PpPart	   *pt = &PpSpecParts(spec)[ref->part];
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "parproc chunk",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ChunkExec	x = {0};
	PpWorkerSlot *ws = &slot->workers[worker];
	int64		wal_before = pgWalUsage.wal_bytes;

	SPI_connect();
	PG_TRY();
	{
		ChunkExecInit(&x, spec, slot, pt, PpSpecStageDefs(spec), PpSpecResolved(spec));
		ProcessRows(&x, pt, ref);
		ChunkExecEnd(&x);
		FlushFailures(&x);
		MarkDone(&x, ref, worker);
	}
	PG_CATCH();
	{
		Unpublish(&x);
		PG_RE_THROW();
	}
	PG_END_TRY();
	SPI_finish();
	pg_atomic_add_fetch_u64(&slot->chunks_done, 1);
	if (pt->bytes > 0)			/* progress in bytes: see PpPlanChunks */
		pg_atomic_add_fetch_u64(&slot->bytes_done, ref->end - ref->start);
	pg_atomic_add_fetch_u64(&ws->chunks, 1);
	pg_atomic_add_fetch_u64(&ws->rows, x.read);
	pg_atomic_add_fetch_u64(&ws->read_us, x.read_us);
	pg_atomic_add_fetch_u64(&ws->eval_us, x.eval_us);
	pg_atomic_add_fetch_u64(&ws->write_us, x.write_us);
	pg_atomic_add_fetch_u64(&ws->wal_bytes, pgWalUsage.wal_bytes - wal_before);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/*
 * Evaluate stages defs over every block of part pt as a run would, through
 * the active snapshot, in the calling process, writing nothing: for
 * measuring and checking evaluation alone.  on_error is 'abort'.
 */
void
PpDryRun(PpRunSpec *spec, PpRunSlot *slot, List *defs, PpPart *pt,
		 int64 *rows_read, int64 *rows_out)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "parproc dry run",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ChunkExec	x = {0};

	x.dry = true;
	ChunkExecInit(&x, spec, slot, pt, defs, NULL);
	if (pt->nblocks > 0 || pt->bytes > 0)
	{
		/* every block of a table's part, every byte of a file */
		PpChunkRef	all = {0, 0, 0, spec->file_source ? pt->bytes : pt->nblocks, 1};

		ProcessRows(&x, pt, &all);
	}
	ChunkExecEnd(&x);
	*rows_read += x.read;
	*rows_out += x.written;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
