/*
 * sink_upsert.c
 *		The upsert sink: a run's rows written by the pipeline's
 *		INSERT ... ON CONFLICT, one statement per batch.
 *
 * The statement is the one a user would write,
 *
 *		INSERT INTO target (c1, c2, ...) OVERRIDING SYSTEM VALUE
 *		SELECT u.c1, u.c2, ... FROM unnest($1::target[]) AS u
 *		ON CONFLICT <on_conflict>
 *
 * run through SPI with the batch's rows as an array of the target's row
 * type, so PostgreSQL's own executor does everything ON CONFLICT does
 * (arbiter indexes, the excluded row, DO UPDATE's WHERE, row locks,
 * row triggers, partition routing).  Its columns are the target's
 * non-generated ones, with the values the run computed (the stages', or
 * the columns' defaults, identity columns' among them: hence OVERRIDING
 * SYSTEM VALUE); generated columns are computed by the INSERT.
 *
 * A row's checks (constraints of the row as proposed, for on_error =>
 * 'skip') are the insert sink's.  The chunk's transaction writes at READ
 * COMMITTED (PpSinkOps.read_committed): a row another chunk committed
 * after the run's snapshot is a conflict to resolve, as for any INSERT ...
 * ON CONFLICT, not a serialization failure.  Two chunks upserting the same
 * keys wait on each other's row locks and may deadlock: the chunk the
 * detector stops is retried (coordinator.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compat.h"
#include "pipeline/pipeline.h"

struct PpSink
{
	Relation	target;
	const char *on_conflict;
	PpSink	   *checker;		/* the insert sink, for check */
	SPIPlanPtr	plan;			/* made at the first flush */
	Datum	   *rows;			/* the batch, as the target's row type */
	int			n;
	MemoryContext batch;		/* the rows, reset after each flush */
};

/* The INSERT ... ON CONFLICT of target, rows given as $1. */
static char *
UpsertStatement(Relation target, const char *on_conflict)
{
	TupleDesc	desc = RelationGetDescr(target);
	StringInfoData cols,
				vals,
				sql;

	initStringInfo(&cols);
	initStringInfo(&vals);
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);
		const char *name = quote_identifier(NameStr(att->attname));

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", name);
		appendStringInfo(&vals, "%su.%s", vals.len ? ", " : "", name);
	}
	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s"
					 " FROM pg_catalog.unnest($1::%s[]) AS u ON CONFLICT %s",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(target)),
												RelationGetRelationName(target)),
					 cols.data, vals.data,
					 format_type_be_qualified(RelationGetForm(target)->reltype), on_conflict);
	return sql.data;
}

/*
 * Check on_conflict for target as a pipeline's upsert: one INSERT ...
 * ON CONFLICT clause and nothing else (no RETURNING, no second statement),
 * which PostgreSQL accepts for the target (columns, an arbiter index
 * matching the conflict target, privileges), by planning the statement
 * with EXPLAIN: nothing runs, no trigger fires.
 */
void
PpCheckOnConflict(Relation target, const char *on_conflict)
{
	char	   *sql = UpsertStatement(target, on_conflict);
	List	   *parsed;
	InsertStmt *ins;
	Oid			argtype = get_array_type(RelationGetForm(target)->reltype);
	Datum		arg = (Datum) 0;

	parsed = raw_parser(sql, RAW_PARSE_DEFAULT);
	ins = list_length(parsed) == 1 ?
		(InsertStmt *) ((RawStmt *) linitial(parsed))->stmt : NULL;
	if (ins == NULL || !IsA(ins, InsertStmt) || ins->onConflictClause == NULL ||
		PpInsertHasReturning(ins) || ins->withClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("on_conflict must be what follows ON CONFLICT in an INSERT: "
						"DO NOTHING, or a conflict target and DO UPDATE SET ..."),
				 errdetail("The pipeline's rows are written by: %s", sql)));
	/* as PpCheckTarget refuses statement-level insert triggers */
	if (ins->onConflictClause->action == ONCONFLICT_UPDATE && target->trigdesc &&
		(target->trigdesc->trig_update_before_statement ||
		 target->trigdesc->trig_update_after_statement ||
		 target->trigdesc->trig_update_old_table || target->trigdesc->trig_update_new_table))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("target \"%s\" has statement-level update triggers or an update "
						"trigger with transition tables", RelationGetRelationName(target)),
				 errdetail("A pipeline run is many transactions, not one INSERT ... ON CONFLICT "
						   "DO UPDATE statement.")));
	SPI_connect();
	if (SPI_execute_with_args(psprintf("EXPLAIN (COSTS OFF) %s", sql), 1, &argtype, &arg, "n",
							  false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not plan the upsert statement");
	SPI_finish();
}

static PpSink *
UpsertSinkBegin(const PpRunSpec *spec, const PpPlan *plan, Relation target, EState *estate,
				int batch_size)
{
	PpSink	   *x = palloc0(sizeof(PpSink));

	x->target = target;
	x->on_conflict = PpSpecOnConflict(spec);
	x->checker = PpInsertSink.begin(spec, plan, target, estate, batch_size);
	x->rows = palloc(sizeof(Datum) * batch_size);
	x->batch = AllocSetContextCreate(CurrentMemoryContext, "parproc upsert batch",
									 ALLOCSET_DEFAULT_SIZES);
	return x;
}

static void
UpsertSinkCheck(PpSink * x, TupleTableSlot *row)
{
	PpInsertSink.check(x->checker, row);
}

/* Queue a row, as a value of the target's row type. */
static void
UpsertSinkPut(PpSink * x, TupleTableSlot *row)
{
	MemoryContext old = MemoryContextSwitchTo(x->batch);

	x->rows[x->n++] = ExecFetchSlotHeapTupleDatum(row);
	MemoryContextSwitchTo(old);
}

/* Run the statement over the queued rows; the rows it inserted or updated. */
static int
UpsertSinkFlush(PpSink * x)
{
	Oid			rowtype = RelationGetForm(x->target)->reltype;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum		arg;
	Oid			argtype = get_array_type(rowtype);
	int			ret;
	int			written;
	MemoryContext old;

	if (x->n == 0)
		return 0;
	if (x->plan == NULL)
	{
		x->plan = SPI_prepare(UpsertStatement(x->target, x->on_conflict), 1, &argtype);
		if (x->plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	}
	old = MemoryContextSwitchTo(x->batch);
	get_typlenbyvalalign(rowtype, &typlen, &typbyval, &typalign);
	arg = PointerGetDatum(construct_array(x->rows, x->n, rowtype, typlen, typbyval, typalign));
	MemoryContextSwitchTo(old);
	ret = SPI_execute_plan(x->plan, &arg, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
	written = (int) SPI_processed;
	x->n = 0;
	MemoryContextReset(x->batch);
	return written;
}

static void
UpsertSinkEnd(PpSink * x)
{
	if (x->plan)
		SPI_freeplan(x->plan);
	PpInsertSink.end(x->checker);
}

const		PpSinkOps PpUpsertSink = {
	UpsertSinkBegin,
	UpsertSinkCheck,
	UpsertSinkPut,
	UpsertSinkFlush,
	UpsertSinkEnd,
	true
};
