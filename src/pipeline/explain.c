/*
 * explain.c
 *		Looking at a pipeline's evaluation without running it:
 *		explain_pipeline (which expressions run as column kernels, and why
 *		the others do not) and dry_run (evaluate every stage over the source
 *		in the calling session, writing nothing).
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "compat.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

PG_FUNCTION_INFO_V1(parproc_explain_pipeline);
PG_FUNCTION_INFO_V1(parproc_dry_run);

/* A pipeline's definition; errors when it does not exist or is not the caller's. */
static List *
LookupForCaller(const char *name, Oid *source, Oid *target, Oid *owner, PpFileDef *file)
{
	Datum		stages;

	*owner = PpLookupOwnedPipeline(name, "inspect", source, target, &stages, NULL, file);
	if (file->pattern)
		PpCheckFileAccess(*owner, file->pattern);
	else if (pg_class_aclcheck(*source, *owner, ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, get_rel_name(*source));
	return PpParseStages(stages);
}

/*
 * explain_pipeline(name): per stage and expression, whether it runs as
 * kernels (with parproc.vectorize as now set), and the kernels or the
 * reason it falls back to PostgreSQL's evaluator.
 */
Datum
parproc_explain_pipeline(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			source_id,
				target_id,
				owner;
	PpFileDef	file;
	List	   *defs = LookupForCaller(name, &source_id, &target_id, &owner, &file);
	Relation	source = file.pattern ? NULL : table_open(source_id, AccessShareLock);
	Relation	target = table_open(target_id, AccessShareLock);
	PpIdentity	saved;
	PpPlan	   *plan;

	/* compiling folds constants: the owner's code, run as the owner */
	PpActAs(owner, &saved);
	plan = PpCompile(defs, NULL, source ? RelationGetDescr(source) : PpFileColumns(file.columns),
					 source, target);
	PpActAsEnd(&saved);
	InitMaterializedSRF(fcinfo, 0);
	for (int k = 0; k < plan->nstages; k++)
	{
		PpStage    *st = &plan->stages[k];
		PpVecStage *vs = PpVecCompile(st, 1);
		int			nexprs = st->is_filter ? 1 : st->ncols;

		for (int e = 0; e < nexprs; e++)
		{
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};
			const char *detail;
			bool		kernels = PpVecExprInfo(vs, e, &detail);

			values[0] = Int32GetDatum(k + 1);
			values[1] = CStringGetTextDatum(st->name);
			values[2] = CStringGetTextDatum(st->is_filter ? "filter" :
											st->is_agg ? "aggregate" : "map");
			if (st->is_filter)
				nulls[3] = true;
			else
				values[3] = CStringGetTextDatum(NameStr(TupleDescAttr(st->outdesc, e)->attname));
			if (!parproc_vectorize)
			{
				values[4] = CStringGetTextDatum("row");
				values[5] = CStringGetTextDatum("parproc.vectorize is off");
			}
			else
			{
				values[4] = CStringGetTextDatum(kernels ? "kernels" : "fallback");
				values[5] = CStringGetTextDatum(detail);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	if (source)
		table_close(source, NoLock);
	table_close(target, NoLock);
	return (Datum) 0;
}

/*
 * dry_run(name): evaluate the pipeline's stages and the projection onto
 * its target over the whole source, serially in this session, and write
 * nothing.  Returns rows read, rows that would be written, the time, the
 * part of it spent evaluating stages, and of that the parts spent reading
 * the kernels' columns and running kernels (as in parproc.stage_stats).
 */
Datum
parproc_dry_run(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			source_id,
				target_id,
				owner;
	PpFileDef	file;
	List	   *defs = LookupForCaller(name, &source_id, &target_id, &owner, &file);
	PpIdentity	saved;
	List	   *relids;
	ListCell   *lc;
	PpRunSpec  *spec = palloc0(sizeof(PpRunSpec));
	PpRunSlot  *slot = palloc0(sizeof(PpRunSlot));
	int64		read = 0,
				out = 0;
	instr_time	t0,
				t1;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {0};
	uint64		eval_us = 0,
				deform_us = 0,
				kernel_us = 0;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	spec->source = source_id;
	spec->target = target_id;
	spec->on_error = PP_ON_ERROR_ABORT;
	foreach(lc, defs)
		spec->aggregate |= ((PpStageDef *) lfirst(lc))->group_by != NULL;
	PpSlotInit(slot);

	relids = file.pattern ? PpFileParts(file.pattern) : PpHeapSource.parts(source_id);
	/* the stages are the owner's code: they run as the owner */
	PpActAs(owner, &saved);
	INSTR_TIME_SET_CURRENT(t0);
	foreach(lc, relids)
	{
		PpPart		part = {0};
		Relation	rel;

		if (file.pattern)
		{
			/* a spec per file: its stages, file source and path */
			StringInfoData buf;
			const char *path = lfirst(lc);

			initStringInfo(&buf);
			PpSpecEncodeStages(&buf, defs, NULL);
			appendBinaryStringInfo(&buf, file.pattern, strlen(file.pattern) + 1);
			appendBinaryStringInfo(&buf, file.options, strlen(file.options) + 1);
			appendBinaryStringInfo(&buf, file.columns, strlen(file.columns) + 1);
			spec->file_source = true;
			spec->nstages = list_length(defs);
			strlcpy(spec->pipeline, name, NAMEDATALEN);
			spec = PpBuildSpec(spec, buf.data, buf.len, "", NULL, 0, 1, 0, path,
							   strlen(path) + 1, palloc0);
			PpFileStat(path, &part.bytes, &part.mtime);
			PpDryRun(spec, slot, defs, &part, &read, &out);
			continue;
		}
		rel = table_open(lfirst_oid(lc), AccessShareLock);
		part.relid = RelationGetRelid(rel);
		part.filenode = PpRelFileNumber(rel);
		part.nblocks = RelationGetNumberOfBlocks(rel);
		table_close(rel, NoLock);
		PpDryRun(spec, slot, defs, &part, &read, &out);
	}
	INSTR_TIME_SET_CURRENT(t1);
	INSTR_TIME_SUBTRACT(t1, t0);
	PpActAsEnd(&saved);

	values[0] = Int64GetDatum(read);
	values[1] = Int64GetDatum(out);
	values[2] = Float8GetDatum(INSTR_TIME_GET_MILLISEC(t1));
	for (int k = 0; k < PP_MAX_STAGES; k++)
	{
		eval_us += pg_atomic_read_u64(&slot->stages[k].time_us);
		deform_us += pg_atomic_read_u64(&slot->stages[k].deform_us);
		kernel_us += pg_atomic_read_u64(&slot->stages[k].kernel_us);
	}
	values[3] = Float8GetDatum(eval_us / 1000.0);
	values[4] = Float8GetDatum(deform_us / 1000.0);
	values[5] = Float8GetDatum(kernel_us / 1000.0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
