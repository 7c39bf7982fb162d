/*
 * api.c
 *		The SQL functions of runs: start, run, wait, cancel and resume.
 *		They check the request in the calling session, reserve a run slot,
 *		hand the run to a coordinator (coordinator.c) and wait for its
 *		answer; when not even the coordinator can start (max_worker_processes
 *		in use), run() does all of it in the calling session's own
 *		transaction.
 */
#include "postgres.h"

#include <signal.h>

#include "access/attmap.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

PG_FUNCTION_INFO_V1(parproc_start);
PG_FUNCTION_INFO_V1(parproc_run);
PG_FUNCTION_INFO_V1(parproc_wait);
PG_FUNCTION_INFO_V1(parproc_cancel);
PG_FUNCTION_INFO_V1(parproc_resume);

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
	char	   *on_conflict;	/* an upsert target's ON CONFLICT clause, or
								 * NULL */
	PpFileDef	file;			/* a file source (pattern NULL: a table) */
	bool		recheck;		/* resume: check they still resolve alike */
	bool		run_settings;	/* resume: the run's settings are stored */
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
		PpRelNewFileSubid(rel) != InvalidSubTransactionId)
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

	foreach(lc, PpHeapSource.parts(RelationGetRelid(source)))
	{
		Relation	part;

		if (lfirst_oid(lc) == RelationGetRelid(source))
			continue;
		part = table_open(lfirst_oid(lc), AccessShareLock);
		if (PpAttrMapByNameIfReq(RelationGetDescr(part), RelationGetDescr(source)))
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
	TupleDesc	srcdesc;
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
										 &stages, &rq->on_conflict, &rq->file);
		rq->defs = PpParseStages(stages);
		rq->chunk_size = parproc_chunk_size;
	}
	/* the run reads and writes as the pipeline's owner */
	if (rq->file.pattern)
	{
		source = NULL;
		PpCheckFileAccess(rq->role, rq->file.pattern);
	}
	else
	{
		source = try_table_open(rq->source, AccessShareLock);
		if (source == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("the source table of pipeline \"%s\" was dropped", rq->pipeline)));
		if (pg_class_aclcheck(rq->source, rq->role, ACL_SELECT) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(source));
		PpCheckSource(source);
		CheckCallerLocks(source, AccessExclusiveLock, "source");
	}
	target = try_table_open(rq->target, AccessShareLock);
	if (target == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the target table of pipeline \"%s\" was dropped", rq->pipeline)));
	if (pg_class_aclcheck(rq->target, rq->role, ACL_INSERT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(target));
	PpCheckTarget(target);
	CheckCallerLocks(target, ShareLock, "target");
	/* what resolving evaluates (constant folding) runs as the owner */
	PpActAs(rq->role, &owner);
	srcdesc = source ? RelationGetDescr(source) : PpFileColumns(rq->file.columns);
	if (rq->resolved == NULL)
		rq->resolved = PpResolveStages(rq->defs, srcdesc);
	(void) PpCompile(rq->defs, rq->resolved, srcdesc, source, target);
	if (source)
		CheckParts(rq->defs, rq->resolved, source, target);
	if (rq->on_conflict)
		PpCheckOnConflict(target, rq->on_conflict);
	PpActAsEnd(&owner);
	if (source)
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
	head.run_settings = rq->run_settings;
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
	head.chunk_size = rq->chunk_size;
	head.workers = rq->workers;
	strlcpy(head.pipeline, rq->pipeline, NAMEDATALEN);
	head.nstages = list_length(rq->defs);
	initStringInfo(&stages);
	PpSpecEncodeStages(&stages, rq->defs, rq->on_conflict);
	head.upsert = rq->on_conflict != NULL;
	if (rq->file.pattern)
	{
		head.file_source = true;
		appendBinaryStringInfo(&stages, rq->file.pattern, strlen(rq->file.pattern) + 1);
		appendBinaryStringInfo(&stages, rq->file.options, strlen(rq->file.options) + 1);
		appendBinaryStringInfo(&stages, rq->file.columns, strlen(rq->file.columns) + 1);
	}
	foreach(lc, rq->defs)
		head.aggregate |= ((PpStageDef *) lfirst(lc))->group_by != NULL;
	return PpBuildSpec(&head, stages.data, stages.len, rq->resolved, NULL, 0, 0, 0, NULL, 0,
					   palloc0);
}

/*
 * Ask run run_id to stop: its flag, and a signal to its coordinator, which
 * stops the workers.  Returns false when the run is not in progress.
 */
static bool
CancelRun(int64 run_id)
{
	int			pid = PpSlotCancel(run_id);

	if (pid > 0 && pid != MyProcPid && BackendPidGetProc(pid) != NULL)
		kill(pid, SIGINT);
	return pid >= 0;
}

/* CancelRun for PG_ENSURE_ERROR_CLEANUP. */
static void
CancelOnExit(int code, Datum arg)
{
	(void) CancelRun(DatumGetInt64(arg));
}

/* Wait until the coordinator has answered request, or exited. */
static void
WaitForAnswer(PpRunSpec *request, BackgroundWorkerHandle *handle)
{
	pid_t		pid;

	ConditionVariablePrepareToSleep(&PpShared->cv);
	while (pg_atomic_read_u32(&request->answer) == PP_ANSWER_PENDING &&
		   GetBackgroundWorkerPid(handle, &pid) == BGWH_STARTED)
		ConditionVariableTimedSleep(&PpShared->cv, 100, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
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

	/*
	 * The coordinator's answer: the run is recorded, or it was refused.
	 * Interrupted meanwhile (a cancel, a statement timeout), the caller asks
	 * the coordinator to stop and waits for its answer all the same, so that
	 * when the error reaches the client the run either never began or is
	 * recorded (and stops, cancelled).
	 */
	request = dsm_segment_address(seg);
	PG_TRY();
	{
		WaitForAnswer(request, handle);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		(void) CancelRun(rq->run_id);
		WaitForAnswer(request, handle);
		RESUME_INTERRUPTS();
		PG_RE_THROW();
	}
	PG_END_TRY();
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

		PpRegisterRun(req, slot, CurrentMemoryContext, &relids);
		PpSlotSetState(slot, PP_STATE_RUNNING);
		spec = PpPlanChunks(req, slot, relids, palloc0);
		for (int64 g = 0; g < spec->nchunks; g++)
			PpProcessRetrying(spec, slot, g, 0, false);
		if (spec->aggregate)
			PpProcessRetrying(spec, slot, PP_FINAL_STEP(PP_FINAL_ALL), 0, false);
		PpFinishRun(spec, slot, PP_STATE_DONE, NULL, started);
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
		 * Once a coordinator is registered it owns the slot (and
		 * LaunchCoordinator has asked it to stop, if interrupted).
		 */
		if (!handed_over)
			PpSlotRelease(slotno, generation);
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
	/* a run's role is the same in every slot it takes: checked first */
	slot = PpSlotFind(run_id, NULL);
	if (slot == NULL || !slot->in_use)
		return BoolGetDatum(false);
	if (!has_privs_of_role(GetUserId(), slot->role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the role that started run %lld to cancel it",
						(long long) run_id)));
	if (!CancelRun(run_id))
		return BoolGetDatum(false);
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
				  " target, stages, resolved, settings IS NOT NULL, on_conflict, source_file,"
				  " source_options, source_columns"
				  " FROM parproc.run_history WHERE run_id = $1", 1, types, values, NULL, true);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("run %lld does not exist", (long long) rq.run_id)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	MemoryContextSwitchTo(cxt); /* what outlives SPI_finish */
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
	rq.recheck = rq.resolved != NULL;	/* NULL: recorded by 0.1, resolved
										 * anew */
	rq.run_settings = DatumGetBool(SPI_getbinval(tup, desc, 11, &isnull));
	rq.on_conflict = SPI_getvalue(tup, desc, 12);
	rq.file.pattern = SPI_getvalue(tup, desc, 13);
	rq.file.options = SPI_getvalue(tup, desc, 14);
	rq.file.columns = SPI_getvalue(tup, desc, 15);
	SPI_finish();
	if (strcmp(state, "done") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("run %lld is done: there is nothing to resume", (long long) rq.run_id)));
	PG_RETURN_INT64(StartRun(&rq, false, &ran_inline));
}
