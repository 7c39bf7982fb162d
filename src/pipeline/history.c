/*
 * history.c
 *		A run's record in parproc.run_history and its done marks: recording
 *		a run (or, on resume, checking it may go on as it began), planning
 *		its chunks, finding which are done, recording the outcome and the
 *		statistics.  Also the parts of a source, and the settings a run
 *		keeps for its resumes.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "pipeline/pipeline.h"

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
	Relation	source;
	TupleDesc	desc = PpOpenRunSource(spec, &source);
	char	   *now = PpResolveStages(PpSpecStageDefs(spec), desc);

	if (source)
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
 * "name=value": every one a session may set, defaults included, so that a
 * resume's coordinator, starting from a fresh connection of another login
 * perhaps, sets them all as they were (not the identity or transaction
 * settings, which RESET ALL leaves alone, nor the client's encoding).
 */
static ArrayType *
RunSettings(void)
{
	int			n;
	struct config_generic **vars = PpGucVariables(&n);
	Datum	   *items = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;

	for (int i = 0; i < n; i++)
	{
		struct config_generic *var = vars[i];

		if (var->source == PGC_S_OVERRIDE ||
			(var->context != PGC_USERSET && var->context != PGC_SUSET) ||
			(var->flags & (GUC_NO_RESET_ALL | GUC_NO_SHOW_ALL | GUC_CUSTOM_PLACEHOLDER)) ||
			strcmp(var->name, "client_encoding") == 0)
			continue;
		items[k++] = CStringGetTextDatum(psprintf("%s=%s", var->name,
												  GetConfigOption(var->name, false, false)));
	}
	return construct_array(items, k, TEXTOID, -1, false, TYPALIGN_INT);
}

/*
 * Apply a run's settings (RunSettings) in this process, a resume's
 * coordinator (which did not take the resuming session's), so its stages
 * compute what the run's first chunks did.
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
 * A part as PpRegisterRun lists it, in memory context cxt: PpPart, then the
 * path ("" for a table's).
 */
static PpPart *
NewPart(MemoryContext cxt, Oid relid, const char *path, int64 bytes, TimestampTz mtime)
{
	PpPart	   *f = MemoryContextAllocZero(cxt, sizeof(PpPart) + strlen(path) + 1);

	f->relid = relid;
	f->bytes = bytes;
	f->mtime = mtime;
	strcpy((char *) (f + 1), path);
	return f;
}

/*
 * The files of a file source's run, as a list in memory context cxt: found
 * now for a new run (recorded with their sizes and modification times), or
 * on a resume the run's files, which must be as they were.  Inside SPI,
 * after the run is recorded.
 */
static List *
RegisterFiles(PpRunSpec *spec, MemoryContext cxt)
{
	const char *pattern,
			   *options,
			   *columns;
	List	   *files = NIL;
	Oid			types[7] = {INT8OID, TEXTARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, TEXTOID,
	TEXTOID, TEXTOID};
	Datum		values[7];
	ListCell   *lc;
	int			n,
				i = 0;
	Datum	   *paths,
			   *sizes,
			   *mtimes;
	MemoryContext old;

	PpSpecFileSource(spec, &pattern, &options, &columns);
	values[0] = Int64GetDatum(spec->run_id);
	if (spec->resume)
	{
		PpCatalogExec("SELECT u.path, u.bytes, u.mtime FROM parproc.run_history h,"
					  " unnest(h.files, h.file_sizes, h.file_mtimes) WITH ORDINALITY"
					  " AS u(path, bytes, mtime, n) WHERE h.run_id = $1 ORDER BY u.n",
					  1, types, values, NULL, true);
		for (uint64 k = 0; k < SPI_processed; k++)
		{
			HeapTuple	tup = SPI_tuptable->vals[k];
			char	   *path = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
			bool		isnull;
			int64		bytes;
			TimestampTz mtime;

			PpFileStat(path, &bytes, &mtime);
			if (bytes != DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull)) ||
				mtime != DatumGetTimestampTz(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull)))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot resume run %lld: file \"%s\" changed since the run began",
								(long long) spec->run_id, path),
						 errdetail("Its size or modification time differs, so the chunks done "
								   "no longer match its lines."),
						 errhint("Start a new run into a fresh target.")));
			old = MemoryContextSwitchTo(cxt);
			files = lappend(files, NewPart(cxt, InvalidOid, path, bytes, mtime));
			MemoryContextSwitchTo(old);
		}
		return files;
	}
	foreach(lc, PpFileParts(pattern))
	{
		int64		bytes;
		TimestampTz mtime;

		PpFileStat(lfirst(lc), &bytes, &mtime);
		old = MemoryContextSwitchTo(cxt);
		files = lappend(files, NewPart(cxt, InvalidOid, lfirst(lc), bytes, mtime));
		MemoryContextSwitchTo(old);
	}
	n = list_length(files);
	paths = palloc(sizeof(Datum) * n);
	sizes = palloc(sizeof(Datum) * n);
	mtimes = palloc(sizeof(Datum) * n);
	foreach(lc, files)
	{
		PpPart	   *f = lfirst(lc);

		paths[i] = CStringGetTextDatum((char *) (f + 1));
		sizes[i] = Int64GetDatum(f->bytes);
		mtimes[i++] = TimestampTzGetDatum(f->mtime);
	}
	values[1] = PointerGetDatum(construct_array(paths, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(sizes, n, INT8OID, 8, FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	values[3] = PointerGetDatum(construct_array(mtimes, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL,
												TYPALIGN_DOUBLE));
	values[4] = CStringGetTextDatum(pattern);
	values[5] = CStringGetTextDatum(options);
	values[6] = CStringGetTextDatum(columns);
	PpCatalogExec("UPDATE parproc.run_history SET files = $2, file_sizes = $3, file_mtimes = $4,"
				  " source_file = $5, source_options = $6, source_columns = $7"
				  " WHERE run_id = $1", 7, types, values, NULL, false);
	return files;
}

/*
 * Transaction A: find the source's parts, record the run (or, on resume,
 * check nothing was rewritten since) and load its totals so far.  The
 * parts (NewPart: a table's relids, or a file source's files with their
 * sizes and modification times) are made in memory context keep, which
 * outlives the transaction.
 */
void
PpRegisterRun(PpRunSpec *spec, PpRunSlot *slot, MemoryContext keep, List **parts_out)
{
	List	   *relids = spec->file_source ? NIL : PpRunSource(spec)->parts(spec->source);
	int			n = list_length(relids);
	Datum	   *oids = palloc(sizeof(Datum) * n);
	Datum	   *nodes = palloc(sizeof(Datum) * n);
	Oid			types[14];
	Datum		values[14];
	char		nulls[14];
	ListCell   *lc;
	int			i = 0;
	ArrayType  *relarr,
			   *nodearr;

	foreach(lc, relids)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		oids[i] = ObjectIdGetDatum(RelationGetRelid(rel));
		nodes[i++] = ObjectIdGetDatum(PpRelFileNumber(rel));
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
		RUN_ARG(10, TEXTOID, CStringGetTextDatum(PpSpecStagesJson(spec)));
		RUN_ARG(11, TEXTOID, CStringGetTextDatum(PpSpecResolved(spec)));
		RUN_ARG(12, TEXTARRAYOID, PointerGetDatum(RunSettings()));
		RUN_ARG(13, TEXTOID, spec->upsert ? CStringGetTextDatum(PpSpecOnConflict(spec)) : 0);
		memset(nulls, ' ', sizeof(nulls));
		nulls[8] = spec->file_source ? 'n' : ' ';
		nulls[13] = spec->upsert ? ' ' : 'n';
		PpCatalogExec("INSERT INTO parproc.run_history (run_id, relids, filenodes, pipeline,"
					  " role, on_error, workers_requested, chunk_size, source, target, stages,"
					  " resolved, settings, on_conflict, state, started_at)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13,"
					  " $14, 'running', now())", 14, types, values, nulls, false);
	}
	if (spec->file_source)
		relids = RegisterFiles(spec, keep);
	/* totals of earlier attempts, so the live counters continue from them */
	PpCatalogExec("SELECT count(*) FILTER (WHERE part >= 0), coalesce(sum(rows_read), 0),"
				  " coalesce(sum(rows_written), 0), coalesce(sum(rows_failed), 0)"
				  " FROM parproc.run_chunks WHERE run_id = $1",
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
	if (!spec->file_source)
	{
		List	   *parts = NIL;
		MemoryContext old = MemoryContextSwitchTo(keep);

		foreach(lc, relids)
			parts = lappend(parts, NewPart(keep, lfirst_oid(lc), "", 0, 0));
		MemoryContextSwitchTo(old);
		relids = parts;
	}
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
	/* part -1: an aggregate run's final mark (aggregate.c) */
	PpCatalogExecSnapshot("SELECT part, chunk FROM parproc.run_chunks WHERE run_id = $1"
						  " AND part >= 0 ORDER BY part, chunk", 1, types, values, NULL, true, snap);
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
 * Inside the run's snapshot: measure every part (PpRegisterRun's list) and
 * list the chunks not yet done, as the source plans them: a table's are
 * chunk_size blocks, a file's ranges of whole records of at least
 * chunk_size * BLCKSZ bytes (the same on a resume, as the file is the
 * same).  Returns the spec the participants use (allocated with alloc).
 */
PpRunSpec *
PpPlanChunks(PpRunSpec *req, PpRunSlot *slot, List *parts_in, void *(*alloc) (Size))
{
	const		PpSourceOps *ops = PpRunSource(req);
	int			nparts = list_length(parts_in);
	PpPart	   *parts = palloc0(sizeof(PpPart) * Max(nparts, 1));
	StringInfoData names;
	PpChunkRef *all = NULL;
	int64		total = 0,
				max = 0;
	int64		n = 0;
	uint64		bytes = 0,
				bytes_done = 0;
	bool	   *done;
	int64	   *first;
	PpChunkRef *marks;
	int64		nmarks;
	ListCell   *lc;
	int			p = 0;
	PpRunSpec  *spec;

	initStringInfo(&names);
	first = palloc(sizeof(int64) * (nparts + 1));
	foreach(lc, parts_in)
	{
		PpPart	   *in = lfirst(lc);
		const char *path = (const char *) (in + 1);
		PpChunkRef *c;
		int64		k;

		parts[p] = *in;
		parts[p].path_off = names.len;
		appendBinaryStringInfo(&names, path, strlen(path) + 1);
		k = ops->plan(req, &parts[p], path, p, &c);
		bytes += parts[p].bytes;
		if (total + k > max)
		{
			max = Max(2 * max, total + k);
			all = all ? repalloc(all, sizeof(PpChunkRef) * max) : palloc(sizeof(PpChunkRef) * max);
		}
		memcpy(all + total, c, sizeof(PpChunkRef) * k);
		first[p] = total;
		total += k;
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
	/* parts with sizes in bytes (files): progress in bytes */
	if (bytes > 0)
	{
		for (int64 i = 0; i < total; i++)
			bytes_done += done[i] ? all[i].end - all[i].start : 0;
		pg_atomic_write_u64(&slot->bytes_total, bytes);
		pg_atomic_write_u64(&slot->bytes_done, bytes_done);
	}

	/* the settings as now in force here: the run's, applied on a resume */
	spec = PpBuildSpec(req, (char *) req + req->stages_off, req->resolved_off - req->stages_off,
					   PpSpecResolved(req), NULL, 0, nparts, n, names.data, names.len, alloc);
	memcpy(PpSpecParts(spec), parts, sizeof(PpPart) * nparts);
	n = 0;
	for (int64 c = 0; c < total; c++)
		if (!done[c])
			PpSpecChunks(spec)[n++] = all[c];
	pg_atomic_write_u64(&slot->chunks_total, total);
	return spec;
}

/*
 * Which chunks of spec's list are committed, seen through snapshot snap:
 * both lists are in (part, chunk) order, so one merge.
 */
bool *
PpChunksDone(PpRunSpec *spec, Snapshot snap)
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
void
PpFinishRun(PpRunSpec *spec, PpRunSlot *slot, PpRunState state, ErrorData *edata,
			TimestampTz started)
{
	Oid			types[13];
	Datum		values[13];
	char		nulls[9];
	TimestampTz now = GetCurrentTimestamp();
	uint64		retries = 0;

	memset(nulls, ' ', sizeof(nulls));
	for (int w = 0; w <= slot->nworkers; w++)
		retries += pg_atomic_read_u64(&slot->workers[w].retries);
	SPI_connect();
	RUN_ARG(0, INT8OID, Int64GetDatum(spec->run_id));
	RUN_ARG(1, TEXTOID, CStringGetTextDatum(PpStateName(state)));
	RUN_ARG(2, FLOAT8OID, Float8GetDatum((now - started) / 1000.0));
	RUN_ARG(3, INT4OID, Int32GetDatum(slot->nworkers));
	RUN_ARG(4, INT4OID, Int32GetDatum((int32) pg_atomic_read_u64(&slot->chunks_total)));
	RUN_ARG(5, TEXTOID, CStringGetTextDatum(edata && edata->message ? edata->message : ""));
	RUN_ARG(6, TEXTOID, CStringGetTextDatum(edata && edata->detail ? edata->detail : ""));
	RUN_ARG(7, TEXTOID, CStringGetTextDatum(edata ? unpack_sql_state(edata->sqlerrcode) : ""));
	RUN_ARG(8, INT8OID, Int64GetDatum(retries));
	if (edata == NULL)
		nulls[5] = nulls[6] = nulls[7] = 'n';
	else if (edata->detail == NULL)
		nulls[6] = 'n';
	PpCatalogExec("UPDATE parproc.run_history h SET state = $2, finished_at = now(),"
				  " elapsed_ms = coalesce(h.elapsed_ms, 0) + $3, workers_used = $4,"
				  " chunks_total = $5, error = $6, error_detail = $7, sqlstate = $8,"
				  " rows_read = c.r, rows_written = c.w, rows_failed = c.f,"
				  " chunk_retries = h.chunk_retries + $9"
				  " FROM (SELECT coalesce(sum(rows_read), 0) r, coalesce(sum(rows_written), 0) w,"
				  "  coalesce(sum(rows_failed), 0) f FROM parproc.run_chunks WHERE run_id = $1) c"
				  " WHERE h.run_id = $1", 9, types, values, nulls, false);
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
		RUN_ARG(12, INT8OID, Int64GetDatum(pg_atomic_read_u64(&ws->retries)));
		PpCatalogExec("INSERT INTO parproc.run_workers"
					  " (run_id, attempt, worker, pid, chunks, rows, busy_ms, wait_ms,"
					  "  read_ms, eval_ms, write_ms, wal_bytes, retries)"
					  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
					  13, types, values, NULL, false);
	}
	SPI_finish();
}
