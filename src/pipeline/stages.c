/*
 * stages.c
 *		Parsing pipeline stages into expressions over their input columns,
 *		and the projection of the last stage's columns onto the target.
 *
 * Each stage is parsed as a query over an ephemeral named relation that has
 * the input columns (the source's, or the previous stage's output), so the
 * parser resolves names, types, operators and casts exactly as in a SELECT:
 *
 *	filter:	SELECT FROM _parproc_input WHERE (<filter>)
 *	map:	SELECT <select list> FROM _parproc_input
 *	aggregate: SELECT <group_by>, <aggregates> FROM _parproc_input
 *			GROUP BY 1, ..., <the number of group keys>
 *
 * The raw parse tree is checked to have exactly that shape, so a stage
 * cannot smuggle in another clause.  The resulting expressions reference
 * the input as scan-tuple Vars and are evaluated row by row over a batch
 * (src/pipeline/chunk.c).
 */
#include "postgres.h"

#include "access/attmap.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_coerce.h"
#include "parser/parser.h"
#include "rewrite/rewriteHandler.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/queryenvironment.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/ruleutils.h"

#include "pipeline/pipeline.h"

#define PP_INPUT_NAME "_parproc_input"
#define PP_FILTER_PREFIX "SELECT FROM " PP_INPUT_NAME " WHERE (\n"
#define PP_MAP_PREFIX "SELECT\n"

/*
 * Error context: which stage was being parsed, with a syntax error's
 * position moved from the wrapper query into the stage's own text.
 */
static void
StageErrorContext(void *arg)
{
	const PpStageDef *def = arg;
	int			pos = geterrposition();
	int			offset = strlen(def->is_filter ? PP_FILTER_PREFIX : PP_MAP_PREFIX);

	if (pos > 0)
	{
		errposition(0);
		if (def->group_by && def->group_by[0])
		{
			/* SELECT\n<group_by>\n,\n<aggregates> ... */
			int			glen = pg_mbstrlen(def->group_by);

			if (pos > offset && pos <= offset + glen)
			{
				internalerrposition(pos - offset);
				internalerrquery(def->group_by);
				goto done;
			}
			offset += glen + 3;
		}
		if (pos > offset && pos <= offset + pg_mbstrlen(def->expr))
		{
			internalerrposition(pos - offset);
			internalerrquery(def->expr);
		}
	}
done:
	errcontext("pipeline stage \"%s\"", def->name);
}

/*
 * Whether the raw parse of a stage has exactly the wrapper's shape; ngroup:
 * the GROUP BY items an aggregate stage's wrapper has (-1: not one).
 */
static bool
StageShapeOk(List *raw, bool is_filter, int ngroup)
{
	SelectStmt *s;
	RangeVar   *rv;

	if (list_length(raw) != 1 || !IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		return false;
	s = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
	if (s->op != SETOP_NONE || s->withClause || s->distinctClause || s->intoClause ||
		list_length(s->groupClause) != Max(ngroup, 0) || s->groupDistinct ||
		s->havingClause || s->windowClause || s->valuesLists ||
		s->sortClause || s->limitOffset || s->limitCount || s->lockingClause ||
		list_length(s->fromClause) != 1 || !IsA(linitial(s->fromClause), RangeVar))
		return false;
	rv = linitial(s->fromClause);
	if (rv->schemaname || rv->catalogname || rv->alias ||
		strcmp(rv->relname, PP_INPUT_NAME) != 0)
		return false;
	if (is_filter)
		return s->targetList == NIL && s->whereClause != NULL;
	return s->targetList != NIL && s->whereClause == NULL;
}

/* Parse one stage over input columns indesc. */
static Query *
ParseStage(const PpStageDef *def, TupleDesc indesc)
{
	StringInfoData sql;
	QueryEnvironment *env = create_queryEnv();
	EphemeralNamedRelation enr = palloc0(sizeof(EphemeralNamedRelationData));
	List	   *raw;
	Query	   *query;
	int			ngroup = -1;

	enr->md.name = PP_INPUT_NAME;
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = indesc;
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	enr->md.enrtuples = 1000;
	register_ENR(env, enr);

	/* newlines keep a trailing -- comment from swallowing the wrapper */
	initStringInfo(&sql);
	if (def->is_filter)
		appendStringInfo(&sql, PP_FILTER_PREFIX "%s\n)", def->expr);
	else if (def->group_by && def->group_by[0])
	{
		/* the group keys alone first, to count them */
		appendStringInfo(&sql, PP_MAP_PREFIX "%s\nFROM " PP_INPUT_NAME, def->group_by);
		raw = raw_parser(sql.data, RAW_PARSE_DEFAULT);
		if (!StageShapeOk(raw, false, -1))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("the group_by of stage \"%s\" is not a single select list", def->name),
					 errhint("group_by is what follows SELECT, such as \"date_trunc('minute', ts) "
							 "AS minute, service\".")));
		ngroup = list_length(((SelectStmt *) linitial_node(RawStmt, raw)->stmt)->targetList);
		resetStringInfo(&sql);
		appendStringInfo(&sql, PP_MAP_PREFIX "%s\n,\n%s\nFROM " PP_INPUT_NAME "\nGROUP BY 1",
						 def->group_by, def->expr);
		for (int i = 2; i <= ngroup; i++)
			appendStringInfo(&sql, ", %d", i);
	}
	else
	{
		appendStringInfo(&sql, PP_MAP_PREFIX "%s\nFROM " PP_INPUT_NAME, def->expr);
		if (def->group_by)
			ngroup = 0;
	}

	raw = raw_parser(sql.data, RAW_PARSE_DEFAULT);
	if (!StageShapeOk(raw, def->is_filter, ngroup))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("stage \"%s\" is not a single %s", def->name,
						def->is_filter ? "boolean expression" : "select list"),
				 errhint("A filter is what follows WHERE; a map or an aggregate stage's "
						 "aggregates are what follows SELECT.")));

	query = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql.data, NULL, 0, env);
	if (def->group_by)
	{
		if (query->hasWindowFuncs || query->groupingSets)
			ereport(ERROR,
					(errcode(ERRCODE_GROUPING_ERROR),
					 errmsg("stage \"%s\" uses a window function or grouping sets", def->name)));
	}
	else if (query->hasAggs || query->hasWindowFuncs)
		ereport(ERROR,
				(errcode(ERRCODE_GROUPING_ERROR),
				 errmsg("stage \"%s\" uses an aggregate or window function", def->name),
				 errdetail("Stages transform one row at a time.")));
	if (query->hasTargetSRFs)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stage \"%s\" uses a set-returning function", def->name),
				 errdetail("A stage returns at most one row for each input row.")));
	if (query->hasSubLinks)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stage \"%s\" uses a subquery", def->name),
				 errhint("Call a function that runs the query instead.")));
	if (max_parallel_hazard(query) == PROPARALLEL_UNSAFE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stage \"%s\" calls a parallel-unsafe function", def->name),
				 errdetail("Functions that write data or change session state cannot run in "
						   "pipeline workers."),
				 errhint("A function that does neither can be marked PARALLEL SAFE or "
						 "PARALLEL RESTRICTED.")));
	return query;
}

/* A descriptor of the columns a map stage produces. */
static TupleDesc
MapOutputDesc(const PpStageDef *def, List *tlist)
{
	TupleDesc	desc = CreateTemplateTupleDesc(list_length(tlist));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Node	   *e = (Node *) tle->expr;

		if (tle->resname == NULL || strcmp(tle->resname, "?column?") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("column %d of stage \"%s\" has no name", i + 1, def->name),
					 errhint("Name it with AS.")));
		for (int j = 0; j < i; j++)
			if (strcmp(NameStr(TupleDescAttr(desc, j)->attname), tle->resname) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("stage \"%s\" produces column \"%s\" twice",
								def->name, tle->resname)));
		TupleDescInitEntry(desc, ++i, tle->resname, exprType(e), exprTypmod(e), 0);
		TupleDescInitEntryCollation(desc, i, exprCollation(e));
	}
	return desc;
}

/*
 * Set up aggregate stage st from its target list (the group keys first,
 * then one aggregate call per entry) and GROUP BY's equality operators:
 * the stage's row map (the keys, then each call's arguments and FILTER)
 * and plan->agg.
 */
static void
BuildAggStage(PpPlan *plan, PpStage *st, const PpStageDef *def, List *tlist, List *eqops)
{
	PpAgg	   *agg = palloc0(sizeof(PpAgg));
	List	   *cols = NIL;
	List	   *names = NIL;
	ListCell   *lc;
	int			i = 0;

	agg->nkeys = list_length(eqops);
	agg->eqops = palloc(sizeof(Oid) * Max(agg->nkeys, 1));
	foreach(lc, eqops)
		agg->eqops[i++] = lfirst_oid(lc);
	agg->outdesc = MapOutputDesc(def, tlist);
	agg->ncalls = list_length(tlist) - agg->nkeys;
	agg->calls = palloc0(sizeof(PpAggCall) * Max(agg->ncalls, 1));
	i = 0;
	foreach(lc, tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		PpAggCall  *call;
		ListCell   *ac;

		if (i++ < agg->nkeys)
		{
			cols = lappend(cols, tle->expr);
			names = lappend(names, tle->resname);
			continue;
		}
		if (!IsA(tle->expr, Aggref))
			ereport(ERROR,
					(errcode(ERRCODE_GROUPING_ERROR),
					 errmsg("column \"%s\" of stage \"%s\" is not an aggregate call",
							tle->resname, def->name),
					 errdetail("An aggregate stage's \"aggregates\" are aggregate calls, such "
							   "as sum(x) AS total; its group keys are its \"group_by\"."),
					 errhint("Compute expressions of the results in the target, with "
							 "generated columns or a view.")));
		call = &agg->calls[i - 1 - agg->nkeys];
		call->aggref = (Aggref *) tle->expr;
		call->argcol = list_length(cols);
		foreach(ac, call->aggref->args)
		{
			cols = lappend(cols, lfirst_node(TargetEntry, ac)->expr);
			names = lappend(names, psprintf("%s.arg%d", tle->resname,
											list_length(cols) - call->argcol));
		}
		call->nargs = list_length(cols) - call->argcol;
		call->filtercol = -1;
		if (call->aggref->aggfilter)
		{
			call->filtercol = list_length(cols);
			cols = lappend(cols, call->aggref->aggfilter);
			names = lappend(names, psprintf("%s.filter", tle->resname));
		}
	}
	PpCheckAggregate(agg, def->name);

	st->is_agg = true;
	st->ncols = list_length(cols);
	st->cols = palloc(sizeof(Expr *) * Max(st->ncols, 1));
	st->outdesc = CreateTemplateTupleDesc(st->ncols);
	i = 0;
	foreach(lc, cols)
	{
		Node	   *e = lfirst(lc);

		st->cols[i++] = (Expr *) e;
		TupleDescInitEntry(st->outdesc, i, list_nth(names, i - 1), exprType(e), exprTypmod(e), 0);
		TupleDescInitEntryCollation(st->outdesc, i, exprCollation(e));
	}
	plan->agg = agg;
}

/* An aggregate stage's target list and GROUP BY operators, as parsed. */
static void
ParsedAggStage(PpPlan *plan, PpStage *st, const PpStageDef *def, Query *q)
{
	List	   *eqops = NIL;
	ListCell   *lc;

	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		tle->expr = expression_planner(PpGroupExpr(q, tle->expr));
		if (tle->ressortgroupref)
		{
			SortGroupClause *sgc = get_sortgroupref_clause(tle->ressortgroupref, q->groupClause);

			if (!sgc->hashable)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("group key \"%s\" of stage \"%s\" is of type %s, which cannot "
								"be hashed", tle->resname, def->name,
								format_type_be(exprType((Node *) tle->expr))),
						 errdetail("Partial results of chunks are matched by hashing their group "
								   "keys.")));
			eqops = lappend_oid(eqops, sgc->eqop);
		}
	}
	BuildAggStage(plan, st, def, q->targetList, eqops);
}

/* Parse every stage in order; each sees the previous stage's output. */
static void
CompileStages(PpPlan *plan, List *defs, TupleDesc srcdesc)
{
	TupleDesc	indesc = srcdesc;
	ListCell   *lc;
	int			k = 0;

	if (list_length(defs) > PP_MAX_STAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a pipeline has at most %d stages", PP_MAX_STAGES)));
	plan->nstages = list_length(defs);
	plan->stages = palloc0(sizeof(PpStage) * Max(plan->nstages, 1));
	foreach(lc, defs)
	{
		PpStageDef *def = lfirst(lc);
		PpStage    *st = &plan->stages[k++];
		ErrorContextCallback cb = {error_context_stack, StageErrorContext, def};
		Query	   *q;

		error_context_stack = &cb;
		q = ParseStage(def, indesc);
		st->name = def->name;
		st->is_filter = def->is_filter;
		st->indesc = indesc;
		if (def->group_by && k < list_length(defs))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aggregate stage \"%s\" is not the last stage", def->name),
					 errhint("A pipeline's aggregate stage is its last; filter and map before it.")));
		if (def->is_filter)
		{
			st->qual = expression_planner((Expr *) q->jointree->quals);
			st->outdesc = indesc;
		}
		else if (def->group_by)
			ParsedAggStage(plan, st, def, q);
		else
		{
			List	   *tlist = q->targetList;
			ListCell   *tc;
			int			c = 0;

			st->outdesc = MapOutputDesc(def, tlist);
			st->ncols = list_length(tlist);
			st->cols = palloc(sizeof(Expr *) * st->ncols);
			foreach(tc, tlist)
				st->cols[c++] = expression_planner(lfirst_node(TargetEntry, tc)->expr);
		}
		error_context_stack = cb.previous;
		indesc = st->outdesc;
	}
	plan->lastdesc = indesc;
}

/* The target's attribute named name, or 0. */
static AttrNumber
TargetAttnum(TupleDesc desc, const char *name)
{
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, a);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return a + 1;
	}
	return 0;
}

/*
 * The projection onto the target, as INSERT INTO target (cols) would do it:
 * columns matched by name and assigned with assignment casts, the other
 * columns get their defaults; generated columns are computed when written.
 */
static Expr **
TargetProjection(TupleDesc in, Relation target, const char *laststage)
{
	TupleDesc	tdesc = RelationGetDescr(target);
	bool	   *given = palloc0(sizeof(bool) * tdesc->natts);
	Expr	  **sink = palloc0(sizeof(Expr *) * Max(tdesc->natts, 1));

	for (int c = 0; c < in->natts; c++)
	{
		Form_pg_attribute src = TupleDescAttr(in, c);
		AttrNumber	a;
		Form_pg_attribute att;
		Node	   *e;

		if (src->attisdropped)
			continue;
		a = TargetAttnum(tdesc, NameStr(src->attname));
		if (a == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of %s does not exist in target table \"%s\"",
							NameStr(src->attname),
							laststage ? psprintf("stage \"%s\"", laststage) : "the source",
							RelationGetRelationName(target)),
					 errhint("Stages produce the target's columns by name; drop or rename "
							 "the column in a map stage.")));
		att = TupleDescAttr(tdesc, a - 1);
		if (att->attgenerated)
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("cannot write column \"%s\" of target table \"%s\"",
							NameStr(att->attname), RelationGetRelationName(target)),
					 errdetail("Column \"%s\" is a generated column.", NameStr(att->attname))));
		if (att->attidentity == ATTRIBUTE_IDENTITY_ALWAYS)
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("cannot write column \"%s\" of target table \"%s\"",
							NameStr(att->attname), RelationGetRelationName(target)),
					 errdetail("Column \"%s\" is an identity column defined as GENERATED ALWAYS.",
							   NameStr(att->attname))));
		e = (Node *) makeVar(1, c + 1, src->atttypid, src->atttypmod, src->attcollation, 0);
		e = coerce_to_target_type(NULL, e, src->atttypid, att->atttypid, att->atttypmod,
								  COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST, -1);
		if (e == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of target table \"%s\" is of type %s, but the pipeline "
							"produces type %s", NameStr(att->attname),
							RelationGetRelationName(target), format_type_be(att->atttypid),
							format_type_be(src->atttypid)),
					 errhint("Cast the value in a map stage.")));
		sink[a - 1] = expression_planner((Expr *) e);
		given[a - 1] = true;
	}
	for (int a = 0; a < tdesc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(tdesc, a);
		Node	   *def;

		if (given[a] || att->attisdropped || att->attgenerated)
			continue;
		def = build_column_default(target, a + 1);
		if (def == NULL)
			def = (Node *) makeNullConst(att->atttypid, att->atttypmod, att->attcollation);
		sink[a] = expression_planner((Expr *) def);
	}
	return sink;
}

/*
 * What the chunks write: the last stage's rows projected onto the target;
 * an aggregate stage's rows as they are (aggregated by the partial sink),
 * and its results projected onto the target for the final step.
 */
static void
CompileSink(PpPlan *plan, Relation target, const char *laststage)
{
	if (plan->agg == NULL)
	{
		plan->sinkdesc = RelationGetDescr(target);
		plan->natts = plan->sinkdesc->natts;
		plan->sink = TargetProjection(plan->lastdesc, target, laststage);
		return;
	}
	plan->sinkdesc = plan->lastdesc;
	plan->natts = plan->sinkdesc->natts;
	plan->sink = palloc(sizeof(Expr *) * Max(plan->natts, 1));
	for (int a = 0; a < plan->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(plan->sinkdesc, a);

		plan->sink[a] = (Expr *) makeVar(1, a + 1, att->atttypid, att->atttypmod,
										 att->attcollation, 0);
	}
	plan->agg->sink = TargetProjection(plan->agg->outdesc, target, laststage);
}

/* Refuse a source parproc cannot read the way a query would. */
void
PpCheckSource(Relation source)
{
	char		kind = source->rd_rel->relkind;

	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("source \"%s\" is not a table", RelationGetRelationName(source)),
				 errhint("A pipeline reads a table or a partitioned table.")));
	if (kind == RELKIND_RELATION && source->rd_rel->relam != HEAP_TABLE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("source \"%s\" does not use the heap access method",
						RelationGetRelationName(source))));
	if (check_enable_rls(RelationGetRelid(source), InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot read table \"%s\" in a pipeline: row-level security applies",
						RelationGetRelationName(source)),
				 errdetail("Pipelines read the table's blocks directly, without its policies.")));
}

/* Refuse a foreign table among the partitions of target, at any depth. */
static void
CheckNoForeignPartitions(Relation target)
{
	ListCell   *lc;

	/* no locks: INSERT locks only the partitions rows go to */
	foreach(lc, find_all_inheritors(RelationGetRelid(target), NoLock, NULL))
		if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("target \"%s\" has a foreign table partition, \"%s\"",
						RelationGetRelationName(target), get_rel_name(lfirst_oid(lc))),
				 errhint("Pipelines write local tables only.")));
}

/*
 * Refuse a target parproc cannot write the way INSERT would: a run is many
 * transactions, not one statement, so statement-level triggers and
 * transition tables have nothing to stand for.  Row triggers (foreign keys
 * among them) fire as INSERT fires them.
 */
void
PpCheckTarget(Relation target)
{
	TriggerDesc *trig = target->trigdesc;
	char		kind = target->rd_rel->relkind;

	if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("target \"%s\" is not a table", RelationGetRelationName(target))));
	if (trig && (trig->trig_insert_before_statement || trig->trig_insert_after_statement))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("target \"%s\" has statement-level insert triggers",
						RelationGetRelationName(target)),
				 errdetail("A pipeline run is many transactions, not one INSERT statement."),
				 errhint("Do the trigger's work before or after the run, or make it a row "
						 "trigger.")));
	if (trig && trig->trig_insert_new_table)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("target \"%s\" has an insert trigger with a transition table",
						RelationGetRelationName(target)),
				 errdetail("A pipeline run is many transactions, not one INSERT statement.")));
	if (kind == RELKIND_PARTITIONED_TABLE)
		CheckNoForeignPartitions(target);
	if (check_enable_rls(RelationGetRelid(target), InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write table \"%s\" in a pipeline: row-level security applies",
						RelationGetRelationName(target))));
}

/*
 * The stages of plan as one node tree, for nodeToString: per stage, its
 * qual (filter) or its target list (map).
 */
static List *
StagesToNodes(PpPlan *plan)
{
	List	   *nodes = NIL;

	for (int k = 0; k < plan->nstages; k++)
	{
		PpStage    *st = &plan->stages[k];
		List	   *tlist = NIL;

		if (st->is_filter)
		{
			nodes = lappend(nodes, list_make1(st->qual));
			continue;
		}
		if (st->is_agg)
		{
			/*
			 * the keys (marked as GROUP BY marks them) and calls; the
			 * operators
			 */
			PpAgg	   *agg = plan->agg;
			List	   *eqops = NIL;

			for (int c = 0; c < agg->nkeys + agg->ncalls; c++)
			{
				TargetEntry *tle;

				tle = makeTargetEntry(c < agg->nkeys ? st->cols[c] :
									  (Expr *) agg->calls[c - agg->nkeys].aggref, c + 1,
									  pstrdup(NameStr(TupleDescAttr(agg->outdesc, c)->attname)),
									  false);
				if (c < agg->nkeys)
				{
					tle->ressortgroupref = c + 1;
					eqops = lappend_oid(eqops, agg->eqops[c]);
				}
				tlist = lappend(tlist, tle);
			}
			nodes = lappend(nodes, list_make2(tlist, eqops));
			continue;
		}
		for (int c = 0; c < st->ncols; c++)
			tlist = lappend(tlist,
							makeTargetEntry(st->cols[c], c + 1,
											pstrdup(NameStr(TupleDescAttr(st->outdesc, c)->attname)),
											false));
		nodes = lappend(nodes, tlist);
	}
	return nodes;
}

/* The stages of defs from their resolved node tree (PpResolveStages). */
static void
StagesFromNodes(PpPlan *plan, List *defs, List *nodes, TupleDesc srcdesc)
{
	TupleDesc	indesc = srcdesc;

	if (list_length(nodes) != list_length(defs))
		elog(ERROR, "resolved stages do not match their definitions");
	plan->nstages = list_length(defs);
	plan->stages = palloc0(sizeof(PpStage) * Max(plan->nstages, 1));
	for (int k = 0; k < plan->nstages; k++)
	{
		PpStageDef *def = list_nth(defs, k);
		PpStage    *st = &plan->stages[k];
		List	   *n = list_nth(nodes, k);

		st->name = def->name;
		st->is_filter = def->is_filter;
		st->indesc = indesc;
		if (def->is_filter)
		{
			st->qual = linitial(n);
			st->outdesc = indesc;
		}
		else if (def->group_by)
		{
			if (k != plan->nstages - 1)
				elog(ERROR, "resolved aggregate stage is not the last");
			BuildAggStage(plan, st, def, linitial(n), lsecond(n));
		}
		else
		{
			ListCell   *tc;
			int			c = 0;

			st->outdesc = MapOutputDesc(def, n);
			st->ncols = list_length(n);
			st->cols = palloc(sizeof(Expr *) * st->ncols);
			foreach(tc, n)
				st->cols[c++] = lfirst_node(TargetEntry, tc)->expr;
		}
		indesc = st->outdesc;
	}
	plan->lastdesc = indesc;
}

/*
 * Stages resolved over the source's columns srcdesc, once per run: which
 * function, operator, cast and column each name means is fixed here, so
 * objects created or dropped during the run (or a resume's search_path)
 * cannot change it for later chunks.  Returns the trees as text.
 */
char *
PpResolveStages(List *defs, TupleDesc srcdesc)
{
	PpPlan		plan = {0};

	CompileStages(&plan, defs, srcdesc);
	return nodeToString(StagesToNodes(&plan));
}

/* Map a stage expression over the run's source columns onto a part's. */
static Expr *
MapToPart(Expr *e, AttrMap *map, const PpStage *st, Relation part)
{
	bool		whole_row = false;

	e = (Expr *) map_variable_attnos((Node *) e, 1, 0, map, InvalidOid, &whole_row);
	if (whole_row)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("stage \"%s\" uses the whole row of the source, whose part \"%s\" has "
						"other columns", st->name, RelationGetRelationName(part)),
				 errhint("Name the columns the stage needs.")));
	return e;
}

/*
 * Point the stages that read the source (up to and including its first
 * map) at the columns of part, a partition or inheritance child of the
 * source whose columns are in other places or include columns the source
 * does not have: those are hidden (marked dropped), as SELECT from the
 * parent does not show them.
 */
static void
AdjustToPart(PpPlan *plan, TupleDesc rundesc, Relation part)
{
	TupleDesc	partdesc;
	AttrMap    *map;
	TupleDesc	masked;
	bool	   *seen;

	if (part == NULL)
		return;					/* files: rows are rundesc's */
	partdesc = RelationGetDescr(part);
	map = PpAttrMapByNameIfReq(partdesc, rundesc);
	if (map == NULL)
		return;
	masked = CreateTupleDescCopy(partdesc);
	seen = palloc0(sizeof(bool) * Max(partdesc->natts, 1));
	for (int a = 0; a < map->maplen; a++)
		if (map->attnums[a] > 0)
			seen[map->attnums[a] - 1] = true;
	for (int a = 0; a < masked->natts; a++)
		if (!seen[a])
			TupleDescAttr(masked, a)->attisdropped = true;
	plan->lastdesc = masked;
	for (int k = 0; k < plan->nstages; k++)
	{
		PpStage    *st = &plan->stages[k];

		st->indesc = masked;
		if (st->is_filter)
		{
			st->qual = MapToPart(st->qual, map, st, part);
			st->outdesc = masked;
			continue;
		}
		for (int c = 0; c < st->ncols; c++)
			st->cols[c] = MapToPart(st->cols[c], map, st, part);
		plan->lastdesc = plan->stages[plan->nstages - 1].outdesc;
		break;
	}
}

/*
 * The plan of stages defs for part (the source, or one of its partitions or
 * inheritance children), projected onto target.  The stages come from
 * resolved (PpResolveStages) when given, else are parsed here; either way
 * over the source's columns rundesc, then mapped onto part's.
 */
PpPlan *
PpCompile(List *defs, const char *resolved, TupleDesc rundesc, Relation part,
		  Relation target)
{
	PpPlan	   *plan = palloc0(sizeof(PpPlan));

	if (resolved)
		StagesFromNodes(plan, defs, stringToNode(resolved), rundesc);
	else
		CompileStages(plan, defs, rundesc);
	AdjustToPart(plan, rundesc, part);
	CompileSink(plan, target,
				plan->nstages > 0 ? plan->stages[plan->nstages - 1].name : NULL);
	return plan;
}

/* The pipeline's output columns as a CREATE TABLE column list. */
char *
PpTargetColumns(List *defs, TupleDesc srcdesc)
{
	PpPlan		plan = {0};

	CompileStages(&plan, defs, srcdesc);
	return PpColumnList(plan.agg ? plan.agg->outdesc : plan.lastdesc);
}

/* The columns of desc (but generated ones) as a CREATE TABLE column list. */
char *
PpColumnList(TupleDesc out)
{
	StringInfoData cols;

	initStringInfo(&cols);
	for (int c = 0; c < out->natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(out, c);

		if (att->attisdropped || att->attgenerated)
			continue;
		appendStringInfo(&cols, "%s%s %s", cols.len ? ", " : "",
						 quote_identifier(NameStr(att->attname)),
						 format_type_with_typemod(att->atttypid, att->atttypmod));
		if (OidIsValid(att->attcollation) &&
			att->attcollation != get_typcollation(att->atttypid))
			appendStringInfo(&cols, " COLLATE %s",
							 generate_collation_name(att->attcollation));
	}
	return cols.data;
}

/* Build the expression states of plan in estate's memory. */
void
PpPlanInit(PpPlan *plan, EState *estate)
{
	for (int k = 0; k < plan->nstages; k++)
	{
		PpStage    *st = &plan->stages[k];

		if (st->is_filter)
			st->qualstate = ExecInitQual(list_make1(st->qual), NULL);
		else
		{
			st->colstates = palloc(sizeof(ExprState *) * st->ncols);
			for (int c = 0; c < st->ncols; c++)
				st->colstates[c] = ExecInitExpr(st->cols[c], NULL);
		}
	}
	plan->sinkstates = palloc0(sizeof(ExprState *) * plan->natts);
	for (int a = 0; a < plan->natts; a++)
		if (plan->sink[a])
			plan->sinkstates[a] = ExecInitExpr(plan->sink[a], NULL);
}
