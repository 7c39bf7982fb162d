/*
 * sink_insert.c
 *		The insert sink: a run's rows written as INSERT writes them, with
 *		tuple routing for partitioned targets, BEFORE and AFTER ROW
 *		triggers (foreign keys among them), generated columns, constraints
 *		and indexes; in bulk per relation (table_multi_insert), one at a
 *		time into a relation with BEFORE ROW triggers, as COPY does.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "commands/trigger.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "utils/hsearch.h"
#include "utils/rel.h"

#include "compat.h"
#include "pipeline/pipeline.h"

/*
 * A relation rows of a batch are written to: the target, or a leaf partition
 * of a partitioned target.
 */
typedef struct PpDest
{
	Oid			relid;			/* hash key */
	ResultRelInfo *rri;
	BulkInsertState bistate;	/* one per relation: it keeps a buffer pinned */
	TupleConversionMap *map;	/* from the target's rows, if they differ */
	TupleTableSlot **conv;		/* rows in the partition's shape, if it
								 * differs */
	TupleTableSlot **rows;		/* the batch's rows for this relation */
	int			n;
	bool		rowwise;		/* BEFORE ROW triggers: insert row by row */
} PpDest;

/* The insert sink of one chunk. */
struct PpSink
{
	Relation	target;
	EState	   *estate;
	int			batch_size;
	int64		run_id;
	CommandId	cid;
	ResultRelInfo *rri;			/* the target */
	ModifyTableState *mtstate;	/* for tuple routing */
	PartitionTupleRouting *proute;	/* NULL unless the target is partitioned */
	HTAB	   *dests;			/* PpDest by relation OID */
	PpDest	   *root;			/* the target's, unless partitioned */
	PpDest	  **touched;		/* the dests of the batch's rows */
	int			ntouched;
	bool		late_checks;	/* generated columns and constraints at write */
};

/* The write state of the relation rri stands for, made at its first row. */
static PpDest *
DestFor(PpSink * x, ResultRelInfo *rri)
{
	Relation	rel = rri->ri_RelationDesc;
	Oid			relid = RelationGetRelid(rel);
	int			nb = x->batch_size;
	bool		found;
	PpDest	   *d = hash_search(x->dests, &relid, HASH_ENTER, &found);

	if (found)
		return d;
	if (rri->ri_FdwRoutine)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write to foreign table \"%s\", a partition of the target of run %lld",
						RelationGetRelationName(rel), (long long) x->run_id)));
	d->rri = rri;
	d->bistate = GetBulkInsertState();
	d->rows = palloc(sizeof(TupleTableSlot *) * nb);
	d->map = PpRootToChildMap(rri, x->estate);
	d->conv = d->map ?
		PpMakeSlots(nb, RelationGetDescr(rel), table_slot_callbacks(rel)) : NULL;
	d->n = 0;
	d->rowwise = rri->ri_TrigDesc && rri->ri_TrigDesc->trig_insert_before_row;
	return d;
}

/* Queue row s, in the target's shape, for the relation it goes to. */
static void
InsertSinkPut(PpSink * x, TupleTableSlot *s)
{
	PpDest	   *d = x->root;

	if (x->proute)
	{
		d = DestFor(x, ExecFindPartition(x->mtstate, x->rri, x->proute, s, x->estate));
		if (d->conv)
			s = execute_attr_map_slot(d->map->attrMap, s,
									  d->conv[d->n]);
	}
	if (d->n == 0)
		x->touched[x->ntouched++] = d;
	d->rows[d->n++] = s;
}

/* Index entries and AFTER ROW trigger events of an inserted row. */
static void
AfterInsert(PpSink * x, ResultRelInfo *rri, TupleTableSlot *s)
{
	List	   *recheck = NIL;

	if (rri->ri_NumIndices > 0)
		recheck = PpInsertIndexTuples(rri, s, x->estate);
	ExecARInsertTriggers(x->estate, rri, s, recheck, NULL);
	list_free(recheck);
}

/* Insert d's queued rows as INSERT would; returns how many were inserted. */
static int
WriteRows(PpSink * x, PpDest *d)
{
	ResultRelInfo *rri = d->rri;
	Relation	rel = rri->ri_RelationDesc;
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	int			m = 0;

	for (int i = 0; i < d->n; i++)
	{
		TupleTableSlot *s = d->rows[i];

		if (d->rowwise && !ExecBRInsertTriggers(x->estate, rri, s))
			continue;			/* the trigger skipped the row */
		if (x->late_checks)
		{
			if (constr && constr->has_generated_stored)
				ExecComputeStoredGenerated(rri, x->estate, s, CMD_INSERT);
			if (constr)
				ExecConstraints(rri, s, x->estate);

			/*
			 * A trigger may have moved a routed row out of its partition;
			 * rows written to a partition directly are always checked.
			 */
			if ((d->rowwise || !x->proute) && rel->rd_rel->relispartition)
				ExecPartitionCheck(rri, s, x->estate, true);
		}
		if (d->rowwise)
		{
			table_tuple_insert(rel, s, x->cid, 0, d->bistate);
			AfterInsert(x, rri, s);
		}
		else
			d->rows[m] = s;
		m++;
	}
	if (!d->rowwise && m > 0)
	{
		table_multi_insert(rel, d->rows, m, x->cid, 0, d->bistate);
		for (int i = 0; i < m; i++)
			AfterInsert(x, rri, d->rows[i]);
	}
	d->n = 0;
	return m;
}

/*
 * The checks of a row that belong to its evaluation (so that with
 * on_error => 'skip' a row they reject is recorded, not the run stopped):
 * generated columns and constraints, unless they must wait for routing
 * or BEFORE ROW triggers (then WriteRows makes them).
 */
static void
InsertSinkCheck(PpSink * x, TupleTableSlot *t)
{
	TupleConstr *constr = RelationGetDescr(x->target)->constr;

	if (x->late_checks)
		return;
	if (constr && constr->has_generated_stored)
		ExecComputeStoredGenerated(x->rri, x->estate, t, CMD_INSERT);
	if (constr)
		ExecConstraints(x->rri, t, x->estate);
	/* a partition written directly keeps its bounds, as with INSERT */
	if (x->target->rd_rel->relispartition)
		ExecPartitionCheck(x->rri, t, x->estate, true);
}

/* Write the rows put since the last flush; returns how many were written. */
static int
InsertSinkFlush(PpSink * x)
{
	int			m = 0;

	for (int i = 0; i < x->ntouched; i++)
		m += WriteRows(x, x->touched[i]);
	x->ntouched = 0;
	return m;
}

/*
 * Open the sink for a chunk: the target as an INSERT's result relation in
 * estate (with its indexes, triggers and partition routing), and the queue
 * of its AFTER triggers for the chunk.
 */
static PpSink *
InsertSinkBegin(const PpRunSpec *spec, const PpPlan *plan, Relation target, EState *estate,
				int batch_size)
{
	PpSink	   *x = palloc0(sizeof(PpSink));
	TriggerDesc *trig;
	HASHCTL		ctl;

	x->target = target;
	x->estate = estate;
	x->batch_size = batch_size;
	x->run_id = spec->run_id;
	x->cid = GetCurrentCommandId(true);
	estate->es_output_cid = x->cid;
	x->touched = palloc(sizeof(PpDest *) * batch_size);

	PpInitInsertRangeTable(x->estate, target);
	x->rri = makeNode(ResultRelInfo);
	ExecInitResultRelation(x->estate, x->rri, 1);
	PpCheckValidInsertRel(x->rri);
	ExecOpenIndices(x->rri, false);

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(PpDest);
	ctl.hcxt = CurrentMemoryContext;
	x->dests = hash_create("parproc write relations", 16, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	trig = x->rri->ri_TrigDesc;
	if (x->target->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		x->mtstate = makeNode(ModifyTableState);
		x->mtstate->ps.state = x->estate;
		x->mtstate->operation = CMD_INSERT;
		x->mtstate->mt_nrels = 1;
		x->mtstate->resultRelInfo = x->rri;
		x->mtstate->rootResultRelInfo = x->rri;
		x->proute = ExecSetupPartitionTupleRouting(x->estate, x->target);
		x->late_checks = true;
	}
	else
	{
		x->root = DestFor(x, x->rri);
		x->late_checks = trig && trig->trig_insert_before_row;
	}
	AfterTriggerBeginQuery();
	return x;
}

/* Fire the chunk's AFTER triggers and close what InsertSinkBegin opened. */
static void
InsertSinkEnd(PpSink * x)
{
	HASH_SEQ_STATUS it;
	PpDest	   *d;

	AfterTriggerEndQuery(x->estate);
	hash_seq_init(&it, x->dests);
	while ((d = hash_seq_search(&it)) != NULL)
	{
		FreeBulkInsertState(d->bistate);
		table_finish_bulk_insert(d->rri->ri_RelationDesc, 0);
		if (d->conv)
			for (int i = 0; i < x->batch_size; i++)
				ExecDropSingleTupleTableSlot(d->conv[i]);
	}
	if (x->proute)
		ExecCleanupTupleRouting(x->mtstate, x->proute);
	ExecCloseResultRelations(x->estate);
	ExecCloseRangeTableRelations(x->estate);
}

const		PpSinkOps PpInsertSink = {
	InsertSinkBegin,
	InsertSinkCheck,
	InsertSinkPut,
	InsertSinkFlush,
	InsertSinkEnd,
	false
};
