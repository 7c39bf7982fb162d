/*
 * run.c
 *		Running a pipeline: start/run/wait/cancel/resume, the coordinator and
 *		the workers.
 *
 * A run is three transactions of a coordinator (a background worker, so a
 * run started with start() outlives its client):
 *
 *	A	record the run in parproc.run_history (committed at once, so the
 *		run is visible and resumable whatever happens next);
 *	B	at REPEATABLE READ: take the run's snapshot, measure the source's
 *		blocks, export the snapshot and launch the workers, which claim
 *		chunks from a shared counter and process each in a transaction of
 *		their own that imports that snapshot (the chunk's rows and its done
 *		mark commit together).  When the workers are gone, the coordinator
 *		processes every chunk that is not marked done (all of them when no
 *		worker could start, the chunk of a worker that died) inside B;
 *	C	record the outcome and the statistics.
 *
 * The coordinator holds no lock on the source or target while workers run:
 * a DROP waiting behind it would otherwise queue the workers' own lock
 * requests behind the DROP, a deadlock no detector sees.  Workers lock per
 * chunk, and each chunk checks that the tables are still the ones planned.
 *
 * When not even the coordinator can start (max_worker_processes in use),
 * run() does all of it in the calling session's own transaction.
 */
#include "postgres.h"

#include <signal.h>

#include "access/attmap.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/bufmgr.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "parproc.h"
#include "pipeline/pipeline.h"

PG_FUNCTION_INFO_V1(parproc_start);
PG_FUNCTION_INFO_V1(parproc_run);
PG_FUNCTION_INFO_V1(parproc_wait);
PG_FUNCTION_INFO_V1(parproc_cancel);
PG_FUNCTION_INFO_V1(parproc_resume);

/* What a background worker of a run finds in bgw_extra. */
typedef struct PpWorkerArgs
{
	dsm_handle	handle;
	int64		run_id;
	uint64		generation;		/* of the run's slot reservation */
	int			index;			/* 0: coordinator; 1..: workers */
} PpWorkerArgs;

/* Workers the coordinator took from parproc.max_workers, for its exit. */
static int	coordinator_reserved = 0;

/* The reservation of the run slot this coordinator releases at exit. */
static uint64 coordinator_generation = 0;

/* ---------------------------------------------------------------- spec */

/* The stage definitions carried in spec. */
List *
PpSpecStageDefs(PpRunSpec *spec)
{
	List	   *defs = NIL;
	char	   *p = (char *) spec + spec->stages_off;

	for (int k = 0; k < spec->nstages; k++)
	{
		PpStageDef *def = palloc(sizeof(PpStageDef));

		def->name = pstrdup(p);
		p += strlen(p) + 1;
		def->is_filter = *p++ == 'f';
		def->expr = pstrdup(p);
		p += strlen(p) + 1;
		defs = lappend(defs, def);
	}
	return defs;
}

/*
 * A new spec: head's fields, then its sections: the stage definitions
 * (stages_len bytes), their resolved trees, the GUC state (guc, or this
 * session's when NULL), nparts parts and nchunks chunks (parts and chunks
 * left for the caller).
 */
static PpRunSpec *
BuildSpec(const PpRunSpec *head, const char *stages, Size stages_len, const char *resolved,
		  const char *guc, Size guc_len, int nparts, int64 nchunks, void *(*alloc) (Size))
{
	Size		resolved_len = strlen(resolved) + 1;
	Size		off;
	PpRunSpec  *spec;

	if (guc == NULL)
		guc_len = EstimateGUCStateSpace();
	off = MAXALIGN(sizeof(PpRunSpec));
	off += MAXALIGN(stages_len);
	off += MAXALIGN(resolved_len);
	off += MAXALIGN(guc_len);
	off += MAXALIGN(sizeof(PpPart) * Max(nparts, 1));
	off += sizeof(PpChunkRef) * Max(nchunks, 1);

	spec = alloc(off);
	memcpy(spec, head, sizeof(PpRunSpec));
	spec->total_size = off;
	spec->stages_off = MAXALIGN(sizeof(PpRunSpec));
	memcpy((char *) spec + spec->stages_off, stages, stages_len);
	spec->resolved_off = spec->stages_off + MAXALIGN(stages_len);
	memcpy(PpSpecResolved(spec), resolved, resolved_len);
	spec->guc_off = spec->resolved_off + MAXALIGN(resolved_len);
	spec->guc_len = guc_len;
	if (guc == NULL)
		SerializeGUCState(guc_len, (char *) spec + spec->guc_off);
	else
		memcpy((char *) spec + spec->guc_off, guc, guc_len);
	spec->nparts = nparts;
	spec->parts_off = spec->guc_off + MAXALIGN(guc_len);
	spec->nchunks = nchunks;
	spec->chunks_off = spec->parts_off + MAXALIGN(sizeof(PpPart) * Max(nparts, 1));
	pg_atomic_init_u64(&spec->next_chunk, 0);
	return spec;
}

/* The stage definitions of spec as the stages document (a JSON array). */
static char *
SpecStagesJson(PpRunSpec *spec)
{
	StringInfoData json;
	ListCell   *lc;

	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	foreach(lc, PpSpecStageDefs(spec))
	{
		PpStageDef *def = lfirst(lc);

		appendStringInfoString(&json, json.len > 1 ? ", {\"name\": " : "{\"name\": ");
		escape_json(&json, def->name);
		appendStringInfoString(&json, def->is_filter ? ", \"filter\": " : ", \"map\": ");
		escape_json(&json, def->expr);
		appendStringInfoChar(&json, '}');
	}
	appendStringInfoChar(&json, ']');
	return json.data;
}

/* palloc in TopMemoryContext, for specs that live as long as the process. */
static void *
TopAlloc(Size size)
{
	return MemoryContextAllocZero(TopMemoryContext, size);
}

/* ---------------------------------------------------------- identity */

/* Take on the identity and settings of the session that asked for the run. */
static void
BecomeCaller(PpRunSpec *spec)
{
	BackgroundWorkerInitializeConnectionByOid(spec->dboid, spec->auth_user, 0);
	SetClientEncoding(GetDatabaseEncoding());
	StartTransactionCommand();
	RestoreGUCState((char *) spec + spec->guc_off);
	CommitTransactionCommand();
	SetCurrentRoleId(spec->outer_user, spec->outer_is_superuser);
	/* as in a SECURITY DEFINER function: no SET ROLE back to the login */
	SetUserIdAndSecContext(spec->current_user,
						   spec->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/* ----------------------------------------------------------- catalog */

/*
 * The source's relations with storage, the ones SELECT from it reads: the
 * table and its inheritance children, or its leaf partitions.  Anything
 * parproc cannot read block by block is refused, never skipped.
 */
List *
PpSourceParts(Oid source)
{
	List	   *parts = NIL;
	ListCell   *lc;

	foreach(lc, find_all_inheritors(source, AccessShareLock, NULL))
	{
		Oid			relid = lfirst_oid(lc);
		char		kind = get_rel_relkind(relid);

		if (kind == RELKIND_PARTITIONED_TABLE)
			continue;			/* no storage: its partitions follow */
		if (kind != RELKIND_RELATION)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot read \"%s\", a part of source \"%s\", in a pipeline",
							get_rel_name(relid), get_rel_name(source)),
					 errdetail("It is not an ordinary table (a foreign table, for example)."),
					 errhint("Pipelines read the blocks of local tables only.")));
		parts = lappend_oid(parts, relid);
	}
	return parts;
}

/* Set argument i of a catalog statement. */
#define RUN_ARG(i, type, value) (types[i] = (type), values[i] = (value))

/*
 * The resolved stages text with every constant's value left out: what
 * names resolved to, not the values of literals read at resolution (such
 * as 'today'::date, which a resume reads again on another day).
 */
static char *
WithoutConstValues(const char *resolved)
{
	StringInfoData out;
	const char *p = resolved;
	const char *hit;

	initStringInfo(&out);
	while ((hit = strstr(p, ":constvalue ")) != NULL)
	{
		appendBinaryStringInfo(&out, p, hit - p);
		/* ":constvalue <len> [ <bytes> ]", or ":constvalue <>" for NULL */
		p = hit + strlen(":constvalue ");
		if (*p == '<')
			p = strchr(p, '>') + 1;
		else
			p = strchr(p, ']') + 1;
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/*
 * A resumed run goes on with the stages it resolved when it started
 * (PpSpecResolved); under the run's settings, restored in this process,
 * they must still resolve alike, or objects they name were dropped or
 * replaced since, and the rest of the run would not compute what its
 * first chunks did.
 */
static void
CheckStagesResolveAlike(PpRunSpec *spec)
{
	Relation	source = try_table_open(spec->source, AccessShareLock);
	char	   *now;

	if (source == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the source table of run %lld was dropped", (long long) spec->run_id)));
	now = PpResolveStages(PpSpecStageDefs(spec), RelationGetDescr(source));
	table_close(source, AccessShareLock);
	if (strcmp(WithoutConstValues(now), WithoutConstValues(PpSpecResolved(spec))) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot resume run %lld: its stages no longer mean what they meant when "
						"it started", (long long) spec->run_id),
				 errdetail("A function, operator, type or column the stages name was created, "
						   "dropped or changed since."),
				 errhint("Start a new run into a fresh target.")));
}

/*
 * The settings of this session that a run keeps for its resumes, as
 * "name=value": those set for the session, role or database (not the
 * defaults, not the identity or transaction settings, which RESET ALL
 * leaves alone, nor what only a client connection has).
 */
static ArrayType *
RunSettings(void)
{
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	Datum	   *items = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		struct config_generic *var = vars[i];

		if (var->source == PGC_S_DEFAULT || var->source == PGC_S_OVERRIDE ||
			(var->context != PGC_USERSET && var->context != PGC_SUSET) ||
			(var->flags & GUC_NO_RESET_ALL) || strcmp(var->name, "client_encoding") == 0)
			continue;
		items[k++] = CStringGetTextDatum(psprintf("%s=%s", var->name,
												  GetConfigOption(var->name, false, false)));
	}
	return construct_array(items, k, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * Apply a run's settings (RunSettings) in this process, over the resuming
 * session's, so its stages compute what the run's first chunks did.
 */
static void
ApplyRunSettings(ArrayType *settings)
{
	Datum	   *items;
	bool	   *nulls;
	int			n;

	deconstruct_array(settings, TEXTOID, -1, false, TYPALIGN_INT, &items, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *item = TextDatumGetCString(items[i]);
		char	   *eq = strchr(item, '=');

		if (nulls[i] || eq == NULL)
			continue;
		*eq = '\0';
		(void) set_config_option(item, eq + 1, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET,
								 true, 0, false);
	}
}

/*
 * Transaction A: find the source's parts, record the run (or, on resume,
 * check nothing was rewritten since) and load its totals so far.
 */
static void
RegisterRun(PpRunSpec *spec, PpRunSlot *slot, List **parts_out)
{
	List	   *relids = PpSourceParts(spec->source);
	int			n = list_length(relids);
	Datum	   *oids = palloc(sizeof(Datum) * n);
	Datum	   *nodes = palloc(sizeof(Datum) * n);
	Oid			types[13];
	Datum		values[13];
	ListCell   *lc;
	int			i = 0;
	ArrayType  *relarr,
			   *nodearr;

	foreach(lc, relids)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		oids[i] = ObjectIdGetDatum(RelationGetRelid(rel));
		nodes[i++] = ObjectIdGetDatum(rel->rd_node.relNode);
		table_close(rel, NoLock);
	}
	relarr = construct_array(oids, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	nodearr = construct_array(nodes, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT);

	SPI_connect();
	RUN_ARG(0, INT8OID, Int64GetDatum(spec->run_id));
	RUN_ARG(1, OIDARRAYOID, PointerGetDatum(relarr));
	RUN_ARG(2, OIDARRAYOID, PointerGetDatum(nodearr));
	if (spec->resume)
	{
		bool		isnull;
		Datum		settings;

		PpCatalogExec("SELECT relids = $2 AND filenodes = $3, settings FROM parproc.run_history"
					  " WHERE run_id = $1", 3, types, values, NULL, true);
		if (SPI_processed == 1)
		{
			settings = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
			if (!isnull)
				ApplyRunSettings(DatumGetArrayTypeP(settings));
		}
		if (SPI_processed != 1 ||
			strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot resume run %lld: its source was rewritten or repartitioned",
							(long long) spec->run_id),
					 errdetail("The chunks of the run no longer match the table's blocks."),
					 errhint("Start a new run into a fresh target.")));
		if (spec->recheck)
			CheckStagesResolveAlike(spec);
		/* the attempt is numbered here, after the run's slot was reserved */
		RUN_ARG(3, INT4OID, Int32GetDatum(spec->workers));
		PpCatalogExec("UPDATE parproc.run_history SET state = 'running', attempts = attempts + 1,"
					  " workers_requested = $4, finished_at = NULL, error = NULL,"
					  " error_detail = NULL, sqlstate = NULL WHERE run_id = $1"
					  " AND state <> 'done' RETURNING attempts", 4, types, values, NULL, false);
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("run %lld is done: there is nothing to resume",
							(long long) spec->run_id)));
		spec->attempt = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
													 SPI_tuptable->tupdesc, 1, &isnull));
		slot->attempt = spec->attempt;
	}
	else
	{
		RUN_ARG(3, TEXTOID, CStringGetTextDatum(spec->pipeline));
		RUN_ARG(4, OIDOID, ObjectIdGetDatum(spec->current_user));
		RUN_ARG(5, TEXTOID, CStringGetTextDatum(spec->on_error == PP_ON_ERROR_SKIP ?
												"skip" : "abort"));
		RUN_ARG(6, INT4OID, Int32GetDatum(spec->workers));
		RUN_ARG(7, INT4OID, Int32GetDatum(spec->chunk_size));
		RUN_ARG(8, OIDOID, ObjectIdGetDatum(spec->source));
		RUN_ARG(9, OIDOID, ObjectIdGetDatum(spec->target));
		RUN_ARG(10, TEXTOID, CStringGetTextDatum(SpecStagesJson(spec)));
		RUN_ARG(11, TEXTOID, CStringGetTextDatum(PpSpecResolved(spec)));
		RUN_ARG(12, TEXTARRAYOID, PointerGetDatum(RunSettings()));
		PpCatalogExec("INSERT INTO parproc.run_history (run_id, relids, filenodes, pipeline,"
					  " role, on_error, workers_requested, chunk_size, source, target, stages,"
					  " resolved, settings, state, started_at)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13,"
					  " 'running', now())", 13, types, values, NULL, false);
	}
	/* totals of earlier attempts, so the live counters continue from them */
	PpCatalogExec("SELECT count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_written), 0),"
				  " coalesce(sum(rows_failed), 0) FROM parproc.run_chunks WHERE run_id = $1",
				  1, types, values, NULL, true);
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		pg_atomic_write_u64(&slot->chunks_done, DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));
		pg_atomic_write_u64(&slot->rows_read,
							DatumGetInt64(DirectFunctionCall1(numeric_int8, SPI_getbinval(tup, desc, 2, &isnull))));
		pg_atomic_write_u64(&slot->rows_written,
							DatumGetInt64(DirectFunctionCall1(numeric_int8, SPI_getbinval(tup, desc, 3, &isnull))));
		pg_atomic_write_u64(&slot->rows_failed,
							DatumGetInt64(DirectFunctionCall1(numeric_int8, SPI_getbinval(tup, desc, 4, &isnull))));
	}
	SPI_finish();
	*parts_out = relids;
}

/*
 * The done marks of run_id, ordered by part and chunk, through snapshot
 * snap (InvalidSnapshot: SPI's usual one).  Returns how many.
 */
static int64
DoneMarks(int64 run_id, Snapshot snap, PpChunkRef **marks)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(run_id)};
	MemoryContext cxt = CurrentMemoryContext;
	int64		n;

	SPI_connect();
	PpCatalogExecSnapshot("SELECT part, chunk FROM parproc.run_chunks WHERE run_id = $1"
						  " ORDER BY part, chunk", 1, types, values, NULL, true, snap);
	n = SPI_processed;
	*marks = MemoryContextAlloc(cxt, sizeof(PpChunkRef) * Max(n, 1));
	for (int64 i = 0; i < n; i++)
	{
		bool		isnull;

		(*marks)[i].part = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													   SPI_tuptable->tupdesc, 1, &isnull));
		(*marks)[i].chunk = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
														SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
	return n;
}

/*
 * Inside the run's snapshot: measure every part and list the chunks not yet
 * done.  Returns the spec the participants use (allocated with alloc).
 */
static PpRunSpec *
PlanChunks(PpRunSpec *req, PpRunSlot *slot, List *relids, void *(*alloc) (Size))
{
	int			nparts = list_length(relids);
	PpPart	   *parts = palloc(sizeof(PpPart) * Max(nparts, 1));
	int64		total = 0;
	int64		n = 0;
	bool	   *done;
	int64	   *first;
	PpChunkRef *marks;
	int64		nmarks;
	ListCell   *lc;
	int			p = 0;
	PpRunSpec  *spec;

	first = palloc(sizeof(int64) * (nparts + 1));
	foreach(lc, relids)
	{
		/* the lock goes at once: see the header comment */
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		parts[p].relid = RelationGetRelid(rel);
		parts[p].filenode = rel->rd_node.relNode;
		parts[p].nblocks = RelationGetNumberOfBlocks(rel);
		table_close(rel, AccessShareLock);
		first[p] = total;
		total += (parts[p].nblocks + req->chunk_size - 1) / req->chunk_size;
		p++;
	}
	first[nparts] = total;
	done = palloc0(sizeof(bool) * Max(total, 1));
	nmarks = DoneMarks(req->run_id, InvalidSnapshot, &marks);
	for (int64 i = 0; i < nmarks; i++)
		if (marks[i].part < nparts && first[marks[i].part] + marks[i].chunk < first[marks[i].part + 1])
			done[first[marks[i].part] + marks[i].chunk] = true;
	for (int64 i = 0; i < total; i++)
		n += !done[i];

	/* the settings as now in force here: the run's, applied on a resume */
	spec = BuildSpec(req, (char *) req + req->stages_off, req->resolved_off - req->stages_off,
					 PpSpecResolved(req), NULL, 0, nparts, n, alloc);
	memcpy(PpSpecParts(spec), parts, sizeof(PpPart) * nparts);
	n = 0;
	for (p = 0; p < nparts; p++)
		for (int64 c = first[p]; c < first[p + 1]; c++)
			if (!done[c])
			{
				PpSpecChunks(spec)[n].part = p;
				PpSpecChunks(spec)[n].chunk = (int32) (c - first[p]);
				n++;
			}
	pg_atomic_write_u64(&slot->chunks_total, total);
	return spec;
}

/*
 * Which chunks of spec's list are committed, seen through snapshot snap:
 * both lists are in (part, chunk) order, so one merge.
 */
static bool *
ChunksDone(PpRunSpec *spec, Snapshot snap)
{
	bool	   *done = palloc0(sizeof(bool) * Max(spec->nchunks, 1));
	PpChunkRef *marks;
	int64		nmarks = DoneMarks(spec->run_id, snap, &marks);
	int64		m = 0;

	for (int64 g = 0; g < spec->nchunks; g++)
	{
		PpChunkRef *c = &PpSpecChunks(spec)[g];

		while (m < nmarks && (marks[m].part < c->part ||
							  (marks[m].part == c->part && marks[m].chunk < c->chunk)))
			m++;
		done[g] = m < nmarks && marks[m].part == c->part && marks[m].chunk == c->chunk;
	}
	return done;
}

/* Transaction C: the outcome, totals and statistics of this attempt. */
static void
FinishRun(PpRunSpec *spec, PpRunSlot *slot, PpRunState state, ErrorData *edata,
		  TimestampTz started)
{
	Oid			types[12];
	Datum		values[12];
	char		nulls[9] = "         ";
	TimestampTz now = GetCurrentTimestamp();

	SPI_connect();
	RUN_ARG(0, INT8OID, Int64GetDatum(spec->run_id));
	RUN_ARG(1, TEXTOID, CStringGetTextDatum(PpStateName(state)));
	RUN_ARG(2, FLOAT8OID, Float8GetDatum((now - started) / 1000.0));
	RUN_ARG(3, INT4OID, Int32GetDatum(slot->nworkers));
	RUN_ARG(4, INT4OID, Int32GetDatum((int32) pg_atomic_read_u64(&slot->chunks_total)));
	RUN_ARG(5, TEXTOID, CStringGetTextDatum(edata && edata->message ? edata->message : ""));
	RUN_ARG(6, TEXTOID, CStringGetTextDatum(edata && edata->detail ? edata->detail : ""));
	RUN_ARG(7, TEXTOID, CStringGetTextDatum(edata ? unpack_sql_state(edata->sqlerrcode) : ""));
	if (edata == NULL)
		nulls[5] = nulls[6] = nulls[7] = 'n';
	else if (edata->detail == NULL)
		nulls[6] = 'n';
	PpCatalogExec("UPDATE parproc.run_history h SET state = $2, finished_at = now(),"
				  " elapsed_ms = coalesce(h.elapsed_ms, 0) + $3, workers_used = $4,"
				  " chunks_total = $5, error = $6, error_detail = $7, sqlstate = $8,"
				  " rows_read = c.r, rows_written = c.w, rows_failed = c.f"
				  " FROM (SELECT coalesce(sum(rows_read), 0) r, coalesce(sum(rows_written), 0) w,"
				  "  coalesce(sum(rows_failed), 0) f FROM parproc.run_chunks WHERE run_id = $1) c"
				  " WHERE h.run_id = $1", 8, types, values, nulls, false);
	for (int k = 0; k < slot->nstages; k++)
	{
		PpStageSlot *st = &slot->stages[k];

		RUN_ARG(1, INT4OID, Int32GetDatum(k + 1));
		RUN_ARG(2, TEXTOID, CStringGetTextDatum(st->name));
		RUN_ARG(3, INT8OID, Int64GetDatum(pg_atomic_read_u64(&st->rows_in)));
		RUN_ARG(4, INT8OID, Int64GetDatum(pg_atomic_read_u64(&st->rows_out)));
		RUN_ARG(5, INT8OID, Int64GetDatum(pg_atomic_read_u64(&st->rows_failed)));
		RUN_ARG(6, FLOAT8OID, PP_MS_DATUM(st->time_us));
		RUN_ARG(7, FLOAT8OID, PP_MS_DATUM(st->deform_us));
		RUN_ARG(8, FLOAT8OID, PP_MS_DATUM(st->kernel_us));
		RUN_ARG(9, INT8OID, Int64GetDatum(pg_atomic_read_u64(&st->kernel_values)));
		RUN_ARG(10, INT8OID, Int64GetDatum(pg_atomic_read_u64(&st->evaluator_values)));
		PpCatalogExec("INSERT INTO parproc.run_stages AS s"
					  " (run_id, stage, name, rows_in, rows_out, rows_failed, time_ms,"
					  "  deform_ms, kernel_ms, kernel_values, evaluator_values)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
					  " ON CONFLICT (run_id, stage) DO UPDATE"
					  " SET name = excluded.name, rows_in = s.rows_in + excluded.rows_in,"
					  " rows_out = s.rows_out + excluded.rows_out,"
					  " rows_failed = s.rows_failed + excluded.rows_failed,"
					  " time_ms = s.time_ms + excluded.time_ms,"
					  " deform_ms = s.deform_ms + excluded.deform_ms,"
					  " kernel_ms = s.kernel_ms + excluded.kernel_ms,"
					  " kernel_values = s.kernel_values + excluded.kernel_values,"
					  " evaluator_values = s.evaluator_values + excluded.evaluator_values",
					  11, types, values, NULL, false);
	}
	for (int w = 0; w <= slot->nworkers; w++)
	{
		PpWorkerSlot *ws = &slot->workers[w];

		if (ws->started_at == 0)
			continue;
		RUN_ARG(1, INT4OID, Int32GetDatum(spec->attempt));
		RUN_ARG(2, INT4OID, Int32GetDatum(w));
		RUN_ARG(3, INT4OID, Int32GetDatum(ws->pid));
		RUN_ARG(4, INT8OID, Int64GetDatum(pg_atomic_read_u64(&ws->chunks)));
		RUN_ARG(5, INT8OID, Int64GetDatum(pg_atomic_read_u64(&ws->rows)));
		RUN_ARG(6, FLOAT8OID, PP_MS_DATUM(ws->busy_us));
		RUN_ARG(7, FLOAT8OID, Float8GetDatum(PpWorkerWaitMs(ws, now)));
		RUN_ARG(8, FLOAT8OID, PP_MS_DATUM(ws->read_us));
		RUN_ARG(9, FLOAT8OID, PP_MS_DATUM(ws->eval_us));
		RUN_ARG(10, FLOAT8OID, PP_MS_DATUM(ws->write_us));
		RUN_ARG(11, INT8OID, Int64GetDatum(pg_atomic_read_u64(&ws->wal_bytes)));
		PpCatalogExec("INSERT INTO parproc.run_workers"
					  " (run_id, attempt, worker, pid, chunks, rows, busy_ms, wait_ms,"
					  "  read_ms, eval_ms, write_ms, wal_bytes)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
					  12, types, values, NULL, false);
	}
	SPI_finish();
}

/* Process chunk g as participant worker, timing it. */
static void
ProcessTimed(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker)
{
	TimestampTz t0 = GetCurrentTimestamp();

	pgstat_report_activity(STATE_RUNNING,
						   psprintf("parproc run %lld: chunk %lld of part %d",
									(long long) spec->run_id,
									(long long) PpSpecChunks(spec)[g].chunk,
									PpSpecChunks(spec)[g].part));
	PpProcessChunk(spec, slot, g, worker);
	pg_atomic_add_fetch_u64(&slot->workers[worker].busy_us, GetCurrentTimestamp() - t0);
}

/* Raise the error a participant left in slot. */
static void
RethrowSlotError(PpRunSlot *slot)
{
	int			code;
	char		msg[PP_ERRMSG_LEN];
	char		detail[PP_ERRMSG_LEN];

	SpinLockAcquire(&slot->mutex);
	code = slot->err_code;
	strlcpy(msg, slot->err_message, sizeof(msg));
	strlcpy(detail, slot->err_detail, sizeof(detail));
	SpinLockRelease(&slot->mutex);
	ereport(ERROR,
			(errcode(code ? code : ERRCODE_INTERNAL_ERROR),
			 errmsg("%s", code ? msg : "a worker of the run exited unexpectedly"),
			 detail[0] ? errdetail("%s", detail) : 0));
}

/* Tell every participant of the run to stop (they also poll the flags). */
static void
SignalParticipants(PpRunSlot *slot)
{
	for (int w = 1; w <= slot->nworkers; w++)
	{
		int			pid = slot->workers[w].pid;

		if (pid != 0 && BackendPidGetProc(pid) != NULL)
			kill(pid, SIGINT);
	}
}

/* Launch up to n workers of the run; returns their handles and count. */
static int
LaunchWorkers(PpRunSpec *spec, PpRunSlot *slot, dsm_handle handle, int n,
			  BackgroundWorkerHandle **handles)
{
	int			launched = 0;

	for (int i = 1; i <= n; i++)
	{
		BackgroundWorker bgw = {0};
		PpWorkerArgs args = {handle, spec->run_id, slot->generation, i};

		bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION |
			BGWORKER_CLASS_PARALLEL;
		bgw.bgw_start_time = BgWorkerStart_ConsistentState;
		bgw.bgw_restart_time = BGW_NEVER_RESTART;
		snprintf(bgw.bgw_library_name, BGW_MAXLEN, "parproc");
		snprintf(bgw.bgw_function_name, BGW_MAXLEN, "PpWorkerMain");
		snprintf(bgw.bgw_name, BGW_MAXLEN, "parproc worker %d of run %lld", i,
				 (long long) spec->run_id);
		snprintf(bgw.bgw_type, BGW_MAXLEN, "parproc worker");
		bgw.bgw_main_arg = Int32GetDatum(spec->slot);
		memcpy(bgw.bgw_extra, &args, sizeof(args));
		bgw.bgw_notify_pid = MyProcPid;
		if (!RegisterDynamicBackgroundWorker(&bgw, &handles[launched]))
			break;
		launched++;
		slot->nworkers = launched;
	}
	return launched;
}

/* Wait until every launched worker has exited, stopping them if asked to. */
static void
SuperviseWorkers(PpRunSlot *slot, BackgroundWorkerHandle **handles, int n)
{
	bool		signalled = false;

	for (;;)
	{
		int			alive = 0;

		for (int i = 0; i < n; i++)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED)
				alive++;
		}
		if (alive == 0)
			break;
		if (!signalled && (pg_atomic_read_u32(&slot->cancel) ||
						   pg_atomic_read_u32(&slot->failed)))
		{
			SignalParticipants(slot);
			signalled = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 200L,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Stop the workers after an error of the coordinator; no interrupts here. */
static void
StopWorkers(PpRunSlot *slot, BackgroundWorkerHandle **handles, int n)
{
	pg_atomic_write_u32(&slot->failed, 1);
	SignalParticipants(slot);
	for (int i = 0; i < n; i++)
		if (handles[i])
			(void) WaitForBackgroundWorkerShutdown(handles[i]);
}

/* The coordinator's exit: never leave a slot or workers behind. */
static void
CoordinatorExit(int code, Datum arg)
{
	PpRunSlot  *slot = &PpShared->runs[DatumGetInt32(arg)];
	PpRunState	state = pg_atomic_read_u32(&slot->state);

	if (state == PP_STATE_QUEUED || state == PP_STATE_RUNNING)
	{
		/* workers still running stop at once; the slot waits for them */
		pg_atomic_write_u32(&slot->failed, 1);
		SignalParticipants(slot);
		PpSlotSetState(slot, PP_STATE_FAILED);
	}
	if (coordinator_reserved)
		PpWorkersReturn(coordinator_reserved);
	coordinator_reserved = 0;
	PpSlotRelease(DatumGetInt32(arg), coordinator_generation);
}

/* Coordinator of a run (background worker); main_arg is the slot. */
void
PpCoordinatorMain(Datum arg)
{
	int			slotno = DatumGetInt32(arg);
	PpRunSlot  *slot = &PpShared->runs[slotno];
	PpWorkerArgs args;
	dsm_segment *volatile reqseg;
	dsm_segment *volatile seg = NULL;
	PpRunSpec  *req;
	PpRunSpec  *volatile spec = NULL;
	List	   *relids;
	BackgroundWorkerHandle **volatile handles = NULL;
	volatile int nlaunched = 0;
	TimestampTz started = GetCurrentTimestamp();
	volatile bool registered = false;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (!slot->in_use || slot->run_id != args.run_id || slot->generation != args.generation)
		return;
	coordinator_generation = args.generation;
	before_shmem_exit(CoordinatorExit, arg);

	/*
	 * Copy the request, and keep it mapped until the run is recorded: the
	 * answer (begun, or refused with an error) goes back through it, so it
	 * reaches the requesting session whatever happens to the run slot.
	 */
	reqseg = dsm_attach(args.handle);
	if (reqseg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not attach to the request of run %lld", (long long) args.run_id)));
	dsm_pin_mapping(reqseg);	/* not released with a failed transaction */
	req = TopAlloc(((PpRunSpec *) dsm_segment_address(reqseg))->total_size);
	memcpy(req, dsm_segment_address(reqseg), ((PpRunSpec *) dsm_segment_address(reqseg))->total_size);

	PG_TRY();
	{
		int			nworkers;
		bool	   *done;

		BecomeCaller(req);
		/* cancel() signals the coordinator from here on */
		slot->coordinator_pid = MyProcPid;
		slot->workers[0].pid = MyProcPid;
		slot->workers[0].started_at = started;

		/* A */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		RegisterRun(req, slot, &relids);
		PopActiveSnapshot();
		MemoryContextSwitchTo(TopMemoryContext);
		relids = list_copy(relids);
		CommitTransactionCommand();
		registered = true;
		pg_atomic_write_u32(&((PpRunSpec *) dsm_segment_address(reqseg))->answer,
							PP_ANSWER_BEGUN);
		dsm_detach(reqseg);
		reqseg = NULL;
		PpSlotSetState(slot, PP_STATE_RUNNING);

		/* B */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		XactIsoLevel = XACT_REPEATABLE_READ;
		PushActiveSnapshot(GetTransactionSnapshot());
		{
			PpRunSpec  *local = PlanChunks(req, slot, relids, palloc0);

			seg = dsm_create(local->total_size, 0);
			dsm_pin_mapping(seg);
			spec = dsm_segment_address(seg);
			memcpy(spec, local, local->total_size);
			pg_atomic_init_u64(&spec->next_chunk, 0);
			strlcpy(spec->snapshot_id, ExportSnapshot(GetTransactionSnapshot()),
					sizeof(spec->snapshot_id));
		}
		nworkers = Min((int64) spec->workers, spec->nchunks);
		coordinator_reserved = PpWorkersReserve(nworkers);
		handles = MemoryContextAllocZero(TopMemoryContext,
										 sizeof(BackgroundWorkerHandle *) * Max(nworkers, 1));
		nlaunched = LaunchWorkers(spec, slot, dsm_segment_handle(seg), coordinator_reserved,
								  handles);
		PpWorkersReturn(coordinator_reserved - nlaunched);
		coordinator_reserved = nlaunched;
		SuperviseWorkers(slot, handles, nlaunched);
		PpWorkersReturn(coordinator_reserved);
		coordinator_reserved = 0;
		if (pg_atomic_read_u32(&slot->cancel))
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("run %lld was cancelled", (long long) spec->run_id)));
		if (pg_atomic_read_u32(&slot->failed))
			RethrowSlotError(slot);

		/* whatever no worker committed: never started, or a worker died */
		done = ChunksDone(spec, GetLatestSnapshot());
		for (int64 g = 0; g < spec->nchunks; g++)
			if (!done[g])
				ProcessTimed(spec, slot, g, 0);
		PopActiveSnapshot();
		CommitTransactionCommand();

		/* C, not interrupted by a late cancel */
		HOLD_INTERRUPTS();
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		FinishRun(spec, slot, PP_STATE_DONE, NULL, started);
		PopActiveSnapshot();
		CommitTransactionCommand();
		PpSlotSetState(slot, PP_STATE_DONE);
		RESUME_INTERRUPTS();
		QueryCancelPending = false;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		PpRunState	state;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		if (!registered)
		{
			/* the caller raises it: say whose cancel it was */
			PpRunSpec  *request = dsm_segment_address(reqseg);

			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && pg_atomic_read_u32(&slot->cancel))
				edata->message = psprintf("run %lld was cancelled before it began",
										  (long long) req->run_id);
			request->refusal_code = edata->sqlerrcode;
			strlcpy(request->refusal_message, edata->message ? edata->message : "",
					PP_ERRMSG_LEN);
			strlcpy(request->refusal_detail, edata->detail ? edata->detail : "", PP_ERRMSG_LEN);
			pg_atomic_write_u32(&request->answer, PP_ANSWER_REFUSED);
		}
		StopWorkers(slot, handles, nlaunched);
		if (coordinator_reserved)
			PpWorkersReturn(coordinator_reserved);
		coordinator_reserved = 0;
		/* a participant's error is the run's error */
		if (slot->err_code != 0 && edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
			!pg_atomic_read_u32(&slot->cancel))
		{
			SpinLockAcquire(&slot->mutex);
			edata->sqlerrcode = slot->err_code;
			edata->message = pstrdup(slot->err_message);
			edata->detail = slot->err_detail[0] ? pstrdup(slot->err_detail) : NULL;
			SpinLockRelease(&slot->mutex);
		}
		state = pg_atomic_read_u32(&slot->cancel) ? PP_STATE_CANCELLED : PP_STATE_FAILED;
		/* a run refused before A committed keeps the history it had */
		if (registered)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			FinishRun(spec ? spec : req, slot, state, edata, started);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PpSlotSetState(slot, state);
		RESUME_INTERRUPTS();
		QueryCancelPending = false;
	}
	PG_END_TRY();
	if (seg)
		dsm_detach(seg);
}

/* A worker's exit: the slot can be reused once every worker has left. */
static void
WorkerExit(int code, Datum arg)
{
	PpSlotDetach(DatumGetInt32(arg));
}

/* A worker of a run (background worker): claims and processes chunks. */
void
PpWorkerMain(Datum arg)
{
	int			slotno = DatumGetInt32(arg);
	PpRunSlot  *slot = &PpShared->runs[slotno];
	PpWorkerArgs args;
	dsm_segment *seg;
	PpRunSpec  *spec;
	PpWorkerSlot *ws;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (!PpSlotAttach(slotno, args.run_id, args.generation))
		return;
	before_shmem_exit(WorkerExit, arg);
	seg = dsm_attach(args.handle);
	if (seg == NULL)
		return;					/* the coordinator is gone */
	spec = dsm_segment_address(seg);
	ws = &slot->workers[args.index];
	ws->pid = MyProcPid;
	ws->started_at = GetCurrentTimestamp();
	BecomeCaller(spec);

	PG_TRY();
	{
		for (;;)
		{
			uint64		g;

			if (pg_atomic_read_u32(&slot->cancel) || pg_atomic_read_u32(&slot->failed))
				break;
			g = pg_atomic_fetch_add_u64(&spec->next_chunk, 1);
			if (g >= (uint64) spec->nchunks)
				break;
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			XactIsoLevel = XACT_REPEATABLE_READ;
			ImportSnapshot(spec->snapshot_id);
			PushActiveSnapshot(GetTransactionSnapshot());
			ProcessTimed(spec, slot, g, args.index);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		if (!(edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
			  (pg_atomic_read_u32(&slot->cancel) || pg_atomic_read_u32(&slot->failed))))
		{
			PpSlotSetError(slot, edata);
			pg_atomic_write_u32(&slot->failed, 1);
		}
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	dsm_detach(seg);
}

/* ------------------------------------------------------- SQL surface */

/* What the calling session asks for. */
typedef struct RunRequest
{
	int64		run_id;			/* resume: the run; else assigned */
	bool		resume;
	int			attempt;
	char	   *pipeline;
	int			workers;
	PpOnError	on_error;
	List	   *defs;
	Oid			source;
	Oid			target;
	Oid			role;			/* the run's identity: the pipeline's owner */
	int			chunk_size;
	char	   *resolved;		/* the stages resolved (resume: as they were) */
	bool		recheck;		/* resume: check they still resolve alike */
} RunRequest;

/* The current user's workers argument, capped; -1 (NULL) = the default. */
static int
WorkersArg(FunctionCallInfo fcinfo, int argno)
{
	int			w;

	if (PG_ARGISNULL(argno))
		return Min(parproc_max_workers_per_run, PP_MAX_RUN_WORKERS);
	w = PG_GETARG_INT32(argno);
	if (w < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("workers must be 0 or more")));
	return Min(w, Min(parproc_max_workers_per_run, PP_MAX_RUN_WORKERS));
}

/* on_error argument. */
static PpOnError
OnErrorArg(FunctionCallInfo fcinfo, int argno)
{
	char	   *s = PG_ARGISNULL(argno) ? "abort" : text_to_cstring(PG_GETARG_TEXT_PP(argno));

	if (strcmp(s, "abort") == 0)
		return PP_ON_ERROR_ABORT;
	if (strcmp(s, "skip") == 0)
		return PP_ON_ERROR_SKIP;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("on_error must be 'abort' or 'skip', not \"%s\"", s)));
	return PP_ON_ERROR_ABORT;
}

/*
 * Refuse a run whose workers could wait on a lock the caller holds, or that
 * would not see the tables (created or rewritten in this transaction).
 */
static void
CheckCallerLocks(Relation rel, LOCKMODE conflicting, const char *what)
{
	if (rel->rd_createSubid != InvalidSubTransactionId ||
		rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the %s table \"%s\" was created or rewritten in this transaction",
						what, RelationGetRelationName(rel)),
				 errdetail("The run's background workers cannot see it yet."),
				 errhint("Commit first.")));
	if (CheckRelationLockedByMe(rel, conflicting, true))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("this transaction holds a lock on the %s table \"%s\" that the run's "
						"workers would wait for", what, RelationGetRelationName(rel)),
				 errhint("Commit first.")));
}

/*
 * Compile the stages for every part of source whose columns differ from
 * source's, so what a part cannot run (the whole row of the source) is
 * refused before the run writes anything.
 */
static void
CheckParts(List *defs, const char *resolved, Relation source, Relation target)
{
	ListCell   *lc;

	foreach(lc, PpSourceParts(RelationGetRelid(source)))
	{
		Relation	part;

		if (lfirst_oid(lc) == RelationGetRelid(source))
			continue;
		part = table_open(lfirst_oid(lc), AccessShareLock);
		if (build_attrmap_by_name_if_req(RelationGetDescr(part), RelationGetDescr(source)))
			(void) PpCompile(defs, resolved, RelationGetDescr(source), part, target);
		table_close(part, AccessShareLock);
	}
}

/*
 * Everything start/run/resume check in the calling session.  A new run
 * takes the pipeline's definition, owner and the chunk size now; a resume
 * has them from the run already.
 */
static void
PrepareRun(RunRequest *rq)
{
	Relation	source,
				target;
	PpIdentity	owner;

	PpRequirePreload();
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot start a pipeline run within a security-restricted operation")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot run a pipeline in a read-only transaction")));
	if (!rq->resume)
	{
		Datum		stages;

		PpRequireCatalogVersion();	/* resume() checked it first */
		rq->role = PpLookupOwnedPipeline(rq->pipeline, "run", &rq->source, &rq->target,
										 &stages);
		rq->defs = PpParseStages(stages);
		rq->chunk_size = parproc_chunk_size;
	}
	source = try_table_open(rq->source, AccessShareLock);
	if (source == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the source table of pipeline \"%s\" was dropped", rq->pipeline)));
	target = try_table_open(rq->target, AccessShareLock);
	if (target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the target table of pipeline \"%s\" was dropped", rq->pipeline)));
	/* the run reads and writes as the pipeline's owner */
	if (pg_class_aclcheck(rq->source, rq->role, ACL_SELECT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(source));
	if (pg_class_aclcheck(rq->target, rq->role, ACL_INSERT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(target));
	PpCheckSource(source);
	PpCheckTarget(target);
	CheckCallerLocks(source, AccessExclusiveLock, "source");
	CheckCallerLocks(target, ShareLock, "target");
	/* what resolving evaluates (constant folding) runs as the owner */
	PpActAs(rq->role, &owner);
	if (rq->resolved == NULL)
		rq->resolved = PpResolveStages(rq->defs, RelationGetDescr(source));
	(void) PpCompile(rq->defs, rq->resolved, RelationGetDescr(source), source, target);
	CheckParts(rq->defs, rq->resolved, source, target);
	PpActAsEnd(&owner);
	table_close(source, NoLock);
	table_close(target, NoLock);
}

/* The spec of a request, as the coordinator receives it. */
static PpRunSpec *
RequestSpec(RunRequest *rq, int slotno)
{
	PpRunSpec	head = {0};
	Oid			caller;
	StringInfoData stages;
	ListCell   *lc;

	head.run_id = rq->run_id;
	head.slot = slotno;
	head.attempt = rq->attempt;
	head.resume = rq->resume;
	head.recheck = rq->recheck;
	head.dboid = MyDatabaseId;
	head.auth_user = GetAuthenticatedUserId();
	/* as SET ROLE to the pipeline's owner: never the caller's own privileges */
	head.outer_user = rq->role;
	head.outer_is_superuser = superuser_arg(rq->role);
	GetUserIdAndSecContext(&caller, &head.sec_context);
	head.current_user = rq->role;
	head.source = rq->source;
	head.target = rq->target;
	head.on_error = rq->on_error;
	head.max_error_rows = parproc_max_error_rows;
	head.batch_size = parproc_batch_size;
	head.chunk_size = rq->chunk_size;
	head.workers = rq->workers;
	strlcpy(head.pipeline, rq->pipeline, NAMEDATALEN);
	head.nstages = list_length(rq->defs);
	initStringInfo(&stages);
	foreach(lc, rq->defs)
	{
		PpStageDef *def = lfirst(lc);

		appendBinaryStringInfo(&stages, def->name, strlen(def->name) + 1);
		appendStringInfoChar(&stages, def->is_filter ? 'f' : 'm');
		appendBinaryStringInfo(&stages, def->expr, strlen(def->expr) + 1);
	}
	return BuildSpec(&head, stages.data, stages.len, rq->resolved, NULL, 0, 0, 0, palloc0);
}

/* Ask the coordinator's slot to stop the run (PG_ENSURE_ERROR_CLEANUP). */
static void
CancelOnExit(int code, Datum arg)
{
	PpRunSlot  *slot = PpSlotFind(DatumGetInt64(arg), NULL);

	if (slot)
	{
		pg_atomic_write_u32(&slot->cancel, 1);
		if (slot->coordinator_pid != 0 && slot->coordinator_pid != MyProcPid &&
			BackendPidGetProc(slot->coordinator_pid) != NULL)
			kill(slot->coordinator_pid, SIGINT);
	}
}

/*
 * Start the coordinator of rq in a background worker.  Returns false when no
 * background worker slot is free (nothing started).  *handed_over is set
 * once a coordinator is registered: from then on it owns the run slot and
 * releases it when it exits.
 */
static bool
LaunchCoordinator(RunRequest *rq, int slotno, bool *handed_over)
{
	PpRunSpec  *spec = RequestSpec(rq, slotno);
	dsm_segment *seg = dsm_create(spec->total_size, 0);
	BackgroundWorker bgw = {0};
	BackgroundWorkerHandle *handle;
	PpWorkerArgs args;
	PpRunSlot  *slot = &PpShared->runs[slotno];
	PpRunSpec  *request;
	pid_t		pid;

	memcpy(dsm_segment_address(seg), spec, spec->total_size);
	args.handle = dsm_segment_handle(seg);
	args.run_id = rq->run_id;
	args.generation = slot->generation;
	args.index = 0;
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_ConsistentState;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "parproc");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "PpCoordinatorMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "parproc coordinator of run %lld",
			 (long long) rq->run_id);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "parproc coordinator");
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	memcpy(bgw.bgw_extra, &args, sizeof(args));
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, &handle))
	{
		dsm_detach(seg);
		return false;
	}
	*handed_over = true;
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
	{
		dsm_detach(seg);
		PpSlotRelease(slotno, args.generation);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the coordinator of run %lld", (long long) rq->run_id),
				 errhint("More details may be available in the server log.")));
	}
	/* the coordinator's answer: the run is recorded, or it was refused */
	request = dsm_segment_address(seg);
	ConditionVariablePrepareToSleep(&PpShared->cv);
	while (pg_atomic_read_u32(&request->answer) == PP_ANSWER_PENDING &&
		   GetBackgroundWorkerPid(handle, &pid) == BGWH_STARTED)
		ConditionVariableTimedSleep(&PpShared->cv, 100, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
	if (pg_atomic_read_u32(&request->answer) != PP_ANSWER_BEGUN)
	{
		/* raised once the coordinator is gone, so the run can be retried */
		(void) WaitForBackgroundWorkerShutdown(handle);
		ereport(ERROR,
				(errcode(request->refusal_code ? request->refusal_code : ERRCODE_INTERNAL_ERROR),
				 errmsg("%s", request->refusal_code ? request->refusal_message :
						"the coordinator of the run exited unexpectedly"),
				 request->refusal_detail[0] ? errdetail("%s", request->refusal_detail) : 0,
				 errhint("More details may be available in the server log.")));
	}
	dsm_detach(seg);
	return true;
}

/* A new run id from parproc.run_id_seq. */
static int64
NextRunId(void)
{
	int64		id;
	bool		isnull;

	SPI_connect();
	PpCatalogExec("SELECT nextval('parproc.run_id_seq')", 0, NULL, NULL, NULL, false);
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return id;
}

/* The whole run in this session's transaction, when no worker can start. */
static void
RunInline(RunRequest *rq, int slotno, uint64 generation)
{
	PpRunSlot  *slot = &PpShared->runs[slotno];
	PpRunSpec  *req = RequestSpec(rq, slotno);
	TimestampTz started = GetCurrentTimestamp();
	PpIdentity	owner;

	ereport(NOTICE,
			(errmsg("no background worker slot is free: run %lld runs in this session",
					(long long) rq->run_id),
			 errhint("Raise max_worker_processes to run pipelines in parallel.")));
	slot->coordinator_pid = MyProcPid;
	slot->workers[0].pid = MyProcPid;
	slot->workers[0].started_at = started;
	/* as the pipeline's owner, as in a coordinator */
	PpActAs(rq->role, &owner);
	PG_TRY();
	{
		List	   *relids;
		PpRunSpec  *spec;

		RegisterRun(req, slot, &relids);
		PpSlotSetState(slot, PP_STATE_RUNNING);
		spec = PlanChunks(req, slot, relids, palloc0);
		for (int64 g = 0; g < spec->nchunks; g++)
			ProcessTimed(spec, slot, g, 0);
		FinishRun(spec, slot, PP_STATE_DONE, NULL, started);
		PpSlotSetState(slot, PP_STATE_DONE);
		PpActAsEnd(&owner);
	}
	PG_CATCH();
	{
		/* the transaction's abort restores the identity and settings */
		PpSlotRelease(slotno, generation);
		PG_RE_THROW();
	}
	PG_END_TRY();
	PpSlotRelease(slotno, generation);
}

static void CheckMayWait(void);

/* LaunchCoordinator, giving the slot back if it fails. */
static bool
LaunchCoordinatorOrRelease(RunRequest *rq, int slotno, uint64 generation)
{
	bool		started = false;
	volatile bool handed_over = false;

	PG_TRY();
	{
		started = LaunchCoordinator(rq, slotno, (bool *) &handed_over);
	}
	PG_CATCH();
	{
		/*
		 * Interrupted (a cancel, a statement timeout) after the coordinator
		 * was registered: it owns the slot, so it is asked to stop instead.
		 */
		if (!handed_over)
			PpSlotRelease(slotno, generation);
		else if (PpShared->runs[slotno].generation == generation)
			CancelOnExit(0, Int64GetDatum(rq->run_id));
		PG_RE_THROW();
	}
	PG_END_TRY();
	return started;
}

/* Start rq; with inline_ok, run it here when no worker can start. */
static int64
StartRun(RunRequest *rq, bool inline_ok, bool *ran_inline)
{
	int			slotno;
	uint64		generation;
	bool		started;

	PrepareRun(rq);
	if (inline_ok)
		CheckMayWait();
	if (!rq->resume)
		rq->run_id = NextRunId();
	slotno = PpSlotReserve(rq->run_id, rq->role, rq->attempt);
	for (int k = 0; k < list_length(rq->defs); k++)
		strlcpy(PpShared->runs[slotno].stages[k].name,
				((PpStageDef *) list_nth(rq->defs, k))->name, NAMEDATALEN);
	PpShared->runs[slotno].nstages = list_length(rq->defs);
	generation = PpShared->runs[slotno].generation;
	started = LaunchCoordinatorOrRelease(rq, slotno, generation);
	*ran_inline = false;
	if (!started)
	{
		if (!inline_ok)
		{
			PpSlotRelease(slotno, generation);
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("could not start run %lld: no background worker slot is free",
							(long long) rq->run_id),
					 errhint("Raise max_worker_processes, or use parproc.run(), which runs "
							 "the pipeline in your session when no slot is free.")));
		}
		RunInline(rq, slotno, generation);
		*ran_inline = true;
	}
	return rq->run_id;
}

/* Refuse to wait for workers that could wait for this transaction. */
static void
CheckMayWait(void)
{
	if (GetTopTransactionIdIfAny() != InvalidTransactionId)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("cannot wait for a pipeline run in a transaction that has written data"),
				 errdetail("The run's workers could wait for this transaction's row locks "
						   "while it waits for them."),
				 errhint("Commit first, or start the run with parproc.start() and wait for "
						 "it after committing.")));
}

/*
 * Sleep until run_id's slot is released: its coordinator has recorded the
 * outcome and exited, so the run can be resumed at once.
 */
static void
WaitUntilEnded(int64 run_id)
{
	ConditionVariablePrepareToSleep(&PpShared->cv);
	while (PpSlotFind(run_id, NULL) != NULL)
		ConditionVariableTimedSleep(&PpShared->cv, 1000, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
}

/* The summary row of a run from parproc.run_history. */
static Datum
RunSummary(FunctionCallInfo fcinfo, int64 run_id, bool raise_failure)
{
	TupleDesc	desc;
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(run_id)};
	Datum		out[8];
	bool		nulls[8];
	HeapTuple	tup;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	SPI_connect();
	PpCatalogExecSnapshot("SELECT run_id, CASE WHEN state IN ('queued', 'running') THEN 'failed'"
				  " ELSE state END, rows_read, rows_written, rows_failed, elapsed_ms,"
				  " rows_read / NULLIF(elapsed_ms, 0) * 1000, workers_used,"
				  " coalesce(error, CASE WHEN state IN ('queued', 'running') THEN"
				  "  'the run was interrupted (server restart or coordinator exit)' END),"
				  " error_detail, sqlstate, pipeline"
				  " FROM parproc.run_history WHERE run_id = $1", 1, types, values, NULL, true,
						  GetLatestSnapshot());
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %lld does not exist", (long long) run_id)));
	if (raise_failure &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2), "failed") == 0)
	{
		char	   *msg = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 9);
		char	   *detail = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 10);
		char	   *state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 11);
		char	   *pipeline = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 12);

		ereport(ERROR,
				(errcode(state && strlen(state) == 5 ?
						 MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4]) :
						 ERRCODE_INTERNAL_ERROR),
				 errmsg("%s", msg ? msg : "the run failed"),
				 detail ? errdetail("%s", detail) : 0,
				 errcontext("parproc run %lld of pipeline \"%s\"", (long long) run_id, pipeline),
				 errhint("Chunks already written stay; parproc.resume(%lld) finishes the rest.",
						 (long long) run_id)));
	}
	for (int i = 0; i < 8; i++)
		out[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &nulls[i]);
	tup = heap_form_tuple(BlessTupleDesc(desc), out, nulls);
	tup = SPI_copytuple(tup);
	SPI_finish();
	return HeapTupleGetDatum(tup);
}

/* The request of start(pipeline, workers, on_error) and run(...). */
static void
RequestFromArgs(FunctionCallInfo fcinfo, RunRequest *rq)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("pipeline cannot be null")));
	rq->pipeline = text_to_cstring(PG_GETARG_TEXT_PP(0));
	rq->workers = WorkersArg(fcinfo, 1);
	rq->on_error = OnErrorArg(fcinfo, 2);
	rq->attempt = 1;
}

/* start(pipeline, workers, on_error) returns run_id at once */
Datum
parproc_start(PG_FUNCTION_ARGS)
{
	RunRequest	rq = {0};
	bool		ran_inline;

	RequestFromArgs(fcinfo, &rq);
	PG_RETURN_INT64(StartRun(&rq, false, &ran_inline));
}

/* run(pipeline, workers, on_error): start, then wait; cancelled with the caller */
Datum
parproc_run(PG_FUNCTION_ARGS)
{
	RunRequest	rq = {0};
	bool		ran_inline;
	int64		run_id;

	RequestFromArgs(fcinfo, &rq);
	run_id = StartRun(&rq, true, &ran_inline);
	if (!ran_inline)
	{
		PG_ENSURE_ERROR_CLEANUP(CancelOnExit, Int64GetDatum(run_id));
		{
			WaitUntilEnded(run_id);
		}
		PG_END_ENSURE_ERROR_CLEANUP(CancelOnExit, Int64GetDatum(run_id));
	}
	return RunSummary(fcinfo, run_id, true);
}

/* wait(run_id): the summary once the run has ended */
Datum
parproc_wait(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);

	PpRequirePreload();
	if (PpSlotFind(run_id, NULL))
	{
		CheckMayWait();
		WaitUntilEnded(run_id);
	}
	return RunSummary(fcinfo, run_id, false);
}

/* cancel(run_id): true when a run in progress was asked to stop */
Datum
parproc_cancel(PG_FUNCTION_ARGS)
{
	int64		run_id = PG_GETARG_INT64(0);
	PpRunSlot  *slot;

	PpRequirePreload();
	slot = PpSlotFind(run_id, NULL);
	if (slot == NULL)
		return BoolGetDatum(false);
	if (!has_privs_of_role(GetUserId(), slot->role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the role that started run %lld to cancel it",
						(long long) run_id)));
	/* the coordinator, interrupted, stops the workers */
	CancelOnExit(0, Int64GetDatum(run_id));
	ConditionVariableBroadcast(&PpShared->cv);
	return BoolGetDatum(true);
}

/*
 * resume(run_id, workers): the chunks not done, with a fresh snapshot, as
 * the run began them: its stages as resolved then, its settings, its chunk
 * size, source, target and role, whatever became of the pipeline since.
 */
Datum
parproc_resume(PG_FUNCTION_ARGS)
{
	RunRequest	rq = {0};
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		ran_inline;
	char	   *state;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	MemoryContext cxt = CurrentMemoryContext;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("run_id cannot be null")));
	PpRequirePreload();
	PpRequireCatalogVersion();
	rq.run_id = PG_GETARG_INT64(0);
	rq.resume = true;
	rq.workers = WorkersArg(fcinfo, 1);
	values[0] = Int64GetDatum(rq.run_id);
	SPI_connect();
	PpCatalogExec("SELECT pipeline, state, role, on_error, attempts + 1, chunk_size, source,"
				  " target, stages, resolved"
				  " FROM parproc.run_history WHERE run_id = $1", 1, types, values, NULL, true);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %lld does not exist", (long long) rq.run_id)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	MemoryContextSwitchTo(cxt);	/* what outlives SPI_finish */
	rq.role = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
	if (!has_privs_of_role(GetUserId(), rq.role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the role that started run %lld to resume it",
						(long long) rq.run_id)));
	rq.pipeline = pstrdup(SPI_getvalue(tup, desc, 1));
	state = pstrdup(SPI_getvalue(tup, desc, 2));
	rq.on_error = strcmp(SPI_getvalue(tup, desc, 4), "skip") == 0 ?
		PP_ON_ERROR_SKIP : PP_ON_ERROR_ABORT;
	rq.attempt = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
	rq.chunk_size = DatumGetInt32(SPI_getbinval(tup, desc, 6, &isnull));
	rq.source = DatumGetObjectId(SPI_getbinval(tup, desc, 7, &isnull));
	rq.target = DatumGetObjectId(SPI_getbinval(tup, desc, 8, &isnull));
	d = SPI_getbinval(tup, desc, 9, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot resume run %lld: its definition was not recorded",
						(long long) rq.run_id),
				 errdetail("The run was started by parproc 0.1, and its pipeline was dropped "
						   "and created again since."),
				 errhint("Start a new run into a fresh target.")));
	rq.defs = PpParseStages(d);
	rq.resolved = SPI_getvalue(tup, desc, 10);
	rq.recheck = rq.resolved != NULL;	/* NULL: recorded by 0.1, resolved anew */
	SPI_finish();
	if (strcmp(state, "done") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is done: there is nothing to resume", (long long) rq.run_id)));
	PG_RETURN_INT64(StartRun(&rq, false, &ran_inline));
}
