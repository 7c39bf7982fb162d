/*
 * coordinator.c
 *		The background workers of a run: its coordinator and its workers.
 *
 * A run is three transactions of a coordinator (a background worker, so a
 * run started with start() outlives its client):
 *
 *	A	record the run in parproc.run_history (committed at once, so the
 *		run is visible and resumable whatever happens next), and answer the
 *		session that asked for it;
 *	B	at REPEATABLE READ: take the run's snapshot, measure the source's
 *		blocks, export the snapshot and launch the workers, which claim
 *		chunks from a shared counter and process each in a transaction of
 *		their own that imports that snapshot (the chunk's rows and its done
 *		mark commit together).  When the workers are gone, the coordinator
 *		processes every chunk that is not marked done (all of them when no
 *		worker could start, the chunk of a worker that died) inside B;
 *		with an aggregate stage, the chunks' partial states are combined and
 *		written in a final step after B, by hash ranges of the group keys
 *		that workers claim, each range in a transaction of its own
 *		(aggregate.c);
 *	C	record the outcome and the statistics.
 *
 * The coordinator holds no lock on the source or target while workers run:
 * a DROP waiting behind it would otherwise queue the workers' own lock
 * requests behind the DROP, a deadlock no detector sees.  Workers lock per
 * chunk, and each chunk checks that the tables are still the ones planned.
 */
#include "postgres.h"

#include <signal.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "commands/dbcommands.h"
#include "common/pg_prng.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "parproc.h"
#include "pipeline/pipeline.h"

/* Workers the coordinator took from parproc.max_workers, for its exit. */
static int	coordinator_reserved = 0;

/* The reservation of the run slot this coordinator releases at exit. */
static uint64 coordinator_generation = 0;

/* palloc in TopMemoryContext, for specs that live as long as the process. */
static void *
TopAlloc(Size size)
{
	return MemoryContextAllocZero(TopMemoryContext, size);
}

/*
 * Take on the run's identity and the settings in spec (a resume's
 * coordinator takes the run's stored settings instead, in history.c).
 */
static void
BecomeCaller(PpRunSpec *spec, bool settings)
{
	BackgroundWorkerInitializeConnectionByOid(spec->dboid, spec->auth_user, 0);
	SetClientEncoding(GetDatabaseEncoding());
	if (settings)
	{
		StartTransactionCommand();
		RestoreGUCState((char *) spec + spec->guc_off);
		CommitTransactionCommand();
	}
	SetCurrentRoleId(spec->outer_user, spec->outer_is_superuser);
	/* as in a SECURITY DEFINER function: no SET ROLE back to the login */
	SetUserIdAndSecContext(spec->current_user,
						   spec->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

/* What step g is, for the activity and the log. */
static char *
StepName(PpRunSpec *spec, int64 g)
{
	if (g < 0 && PP_FINAL_RANGE(g) == PP_FINAL_ALL)
		return pstrdup("final step");
	if (g < 0)
		return psprintf("final step, hash range %d of %d", PP_FINAL_RANGE(g) + 1,
						PP_FINAL_RANGES);
	return psprintf("chunk %lld of part %d", (long long) PpSpecChunks(spec)[g].chunk,
					PpSpecChunks(spec)[g].part);
}

/* Process chunk g (or the final step) as participant worker, timing it. */
static void
ProcessTimed(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker)
{
	TimestampTz t0 = GetCurrentTimestamp();

	pgstat_report_activity(STATE_RUNNING, psprintf("parproc run %lld: %s",
												   (long long) spec->run_id,
												   StepName(spec, g)));
	if (g < 0 && PP_FINAL_RANGE(g) == PP_FINAL_ALL)
		PpAggregateFinal(spec, slot, 0, PP_FINAL_RANGES - 1, worker);
	else if (g < 0)
		PpAggregateFinal(spec, slot, PP_FINAL_RANGE(g), PP_FINAL_RANGE(g), worker);
	else
		PpProcessChunk(spec, slot, g, worker);
	pg_atomic_add_fetch_u64(&slot->workers[worker].busy_us, GetCurrentTimestamp() - t0);
}

/*
 * Errors after which a chunk is run again: another transaction held what
 * it needed (a deadlock, a lock not granted within lock_timeout or with
 * NOWAIT in a trigger, a serialization failure of concurrent writers), so
 * the same work can succeed once that transaction is gone.
 */
static bool
TransientError(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/*
 * Wait before retry number n (from 0): 10 ms doubling up to 1 s, times a
 * random factor in [0.5, 1.5) so that workers that deadlocked do not meet
 * again in step; a cancel of the run ends it.
 */
static void
RetryPause(PpRunSpec *spec, PpRunSlot *slot, int n)
{
	long		ms = (long) (Min(1000, 10L << Min(n, 7)) * (0.5 + pg_prng_double(&pg_global_prng_state)));

	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms,
					 PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
	if (pg_atomic_read_u32(&slot->cancel))
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("run %lld was cancelled", (long long) spec->run_id)));
}

/*
 * Process chunk g as participant worker: in a transaction of its own that
 * imports the run's snapshot (own_transaction: a worker's chunks), or in a
 * subtransaction of the current one (the coordinator's, and a run in the
 * calling session).  After a transient error the chunk's work is rolled
 * back and done again, at most parproc.chunk_retries times, each counted
 * in the participant's retries; any other error, or the last, is raised.
 * g = PP_FINAL_STEP(r): a hash range of an aggregate run's final step,
 * likewise; in a transaction of its own it takes a snapshot of its own,
 * which sees every chunk's partial states.
 */
void
PpProcessRetrying(PpRunSpec *spec, PpRunSlot *slot, int64 g, int worker, bool own_transaction)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	/* without retries, no subtransaction (each one that writes takes an xid) */
	if (!own_transaction && parproc_chunk_retries == 0)
	{
		ProcessTimed(spec, slot, g, worker);
		return;
	}
	for (volatile int n = 0;; n++)
	{
		ErrorData  *volatile edata = NULL;

		if (own_transaction)
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			XactIsoLevel = g < 0 ? XACT_READ_COMMITTED : XACT_REPEATABLE_READ;
			if (g >= 0)
				ImportSnapshot(spec->snapshot_id);
			PushActiveSnapshot(GetTransactionSnapshot());
			/* the source is read through the active snapshot, the run's */
			if (PpRunSink(spec)->read_committed)
				XactIsoLevel = XACT_READ_COMMITTED;
		}
		else
			BeginInternalSubTransaction(NULL);
		/* the chunk's memory is the (sub)transaction's, gone if it fails */
		PG_TRY();
		{
			ProcessTimed(spec, slot, g, worker);
			if (own_transaction)
			{
				PopActiveSnapshot();
				CommitTransactionCommand();
			}
			else
				ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			bool		retry;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			retry = TransientError(edata->sqlerrcode) && n < parproc_chunk_retries &&
				!pg_atomic_read_u32(&slot->cancel) && !pg_atomic_read_u32(&slot->failed);
			if (own_transaction && !retry)
				PG_RE_THROW();	/* the caller's handler aborts the chunk's */
			FlushErrorState();
			if (own_transaction)
				AbortCurrentTransaction();
			else
			{
				/* an error past here must find the caller's level */
				RollbackAndReleaseCurrentSubTransaction();
				MemoryContextSwitchTo(cxt);
				CurrentResourceOwner = owner;
				if (!retry)
					ReThrowError(edata);
			}
		}
		PG_END_TRY();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata == NULL)
			return;
		pg_atomic_add_fetch_u64(&slot->workers[worker].retries, 1);
		ereport(LOG,
				(errmsg("parproc run %lld: %s is retried (%d of %d) after: %s",
						(long long) spec->run_id, StepName(spec, g), n + 1,
						parproc_chunk_retries, edata->message)));
		FreeErrorData(edata);
		RetryPause(spec, slot, n);
	}
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
			  BackgroundWorkerHandle **handles, bool final)
{
	int			launched = 0;

	for (int i = 1; i <= n; i++)
	{
		BackgroundWorker bgw = {0};
		PpWorkerArgs args = {handle, spec->run_id, slot->generation, i, final};

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
		/* the final step's workers take the chunks' workers' numbers */
		slot->nworkers = Max(slot->nworkers, launched);
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

/* Start one of the coordinator's transactions, with a snapshot. */
static void
BeginStep(bool repeatable_read)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (repeatable_read)
		XactIsoLevel = XACT_REPEATABLE_READ;
	PushActiveSnapshot(GetTransactionSnapshot());
}

/* Commit the transaction BeginStep started. */
static void
EndStep(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * What the coordinator holds across its transactions, for its error path:
 * static, so longjmp leaves it intact.
 */
typedef struct Coordinator
{
	PpRunSlot  *slot;
	PpRunSpec  *req;			/* the request, copied */
	dsm_segment *reqseg;		/* the request, until the run is recorded */
	dsm_segment *seg;			/* the spec the workers read */
	PpRunSpec  *spec;
	BackgroundWorkerHandle **handles;
	int			nlaunched;
	TimestampTz started;
	bool		registered;		/* transaction A committed */
}			Coordinator;

static Coordinator co;

/* Transaction A: record the run, and answer the requesting session. */
static List *
RecordRun(void)
{
	List	   *relids;

	BeginStep(false);
	PpRegisterRun(co.req, co.slot, TopMemoryContext, &relids);
	MemoryContextSwitchTo(TopMemoryContext);
	EndStep();
	co.registered = true;
	pg_atomic_write_u32(&((PpRunSpec *) dsm_segment_address(co.reqseg))->answer,
						PP_ANSWER_BEGUN);
	dsm_detach(co.reqseg);
	co.reqseg = NULL;
	PpSlotSetState(co.slot, PP_STATE_RUNNING);
	return relids;
}

/*
 * Launch up to n workers of the run (final: for the final step's ranges,
 * else for chunks) and wait until every one has exited; then raise a
 * cancel, or the error a participant left.
 */
static void
RunWorkers(int n, bool final)
{
	PpRunSlot  *slot = co.slot;

	coordinator_reserved = PpWorkersReserve(n);
	if (co.handles)
		pfree(co.handles);
	co.handles = MemoryContextAllocZero(TopMemoryContext,
										sizeof(BackgroundWorkerHandle *) * Max(n, 1));
	co.nlaunched = LaunchWorkers(co.spec, slot, dsm_segment_handle(co.seg),
								 coordinator_reserved, co.handles, final);
	PpWorkersReturn(coordinator_reserved - co.nlaunched);
	coordinator_reserved = co.nlaunched;
	SuperviseWorkers(slot, co.handles, co.nlaunched);
	PpWorkersReturn(coordinator_reserved);
	coordinator_reserved = 0;
	if (pg_atomic_read_u32(&slot->cancel))
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("run %lld was cancelled", (long long) co.spec->run_id)));
	if (pg_atomic_read_u32(&slot->failed))
		RethrowSlotError(slot);
}

/*
 * Transaction B: the run's snapshot, its chunks, the workers; then every
 * chunk no worker committed (none started, or one died), here.
 */
static void
RunChunks(List *relids)
{
	PpRunSlot  *slot = co.slot;
	PpRunSpec  *local;
	bool	   *done;
	bool		shared_final;

	BeginStep(true);
	local = PpPlanChunks(co.req, slot, relids, palloc0);
	co.seg = dsm_create(local->total_size, 0);
	dsm_pin_mapping(co.seg);
	co.spec = dsm_segment_address(co.seg);
	memcpy(co.spec, local, local->total_size);
	pg_atomic_init_u64(&co.spec->next_chunk, 0);
	pg_atomic_init_u64(&co.spec->next_range, 0);
	strlcpy(co.spec->snapshot_id, ExportSnapshot(GetTransactionSnapshot()),
			sizeof(co.spec->snapshot_id));

	RunWorkers(Min((int64) co.spec->workers, co.spec->nchunks), false);

	done = PpChunksDone(co.spec, GetLatestSnapshot());
	/* as in a worker's chunk: the source through the active snapshot */
	if (PpRunSink(co.spec)->read_committed)
		XactIsoLevel = XACT_READ_COMMITTED;
	for (int64 g = 0; g < co.spec->nchunks; g++)
		if (!done[g])
			PpProcessRetrying(co.spec, slot, g, 0, false);
	shared_final = co.spec->aggregate && PpAggregateFinalShared(co.spec);
	EndStep();

	/*
	 * An aggregate run's final step: its hash ranges, each in a transaction
	 * of its own, claimed by workers when there is enough to share; then
	 * here, in one transaction, every range no worker committed.
	 */
	if (co.spec->aggregate)
	{
		if (shared_final)
			RunWorkers(Min(co.spec->workers, PP_FINAL_RANGES), true);
		PpProcessRetrying(co.spec, slot, PP_FINAL_STEP(PP_FINAL_ALL), 0, true);
	}
}

/*
 * Transaction C: the outcome and statistics (edata: the error, NULL when
 * done), not interrupted by a late cancel.
 */
static void
RecordOutcome(PpRunState state, ErrorData *edata)
{
	HOLD_INTERRUPTS();
	BeginStep(false);
	PpFinishRun(co.spec ? co.spec : co.req, co.slot, state, edata, co.started);
	EndStep();
	PpSlotSetState(co.slot, state);
	RESUME_INTERRUPTS();
	QueryCancelPending = false;
}

/*
 * The coordinator's error path: stop the workers, and record the outcome,
 * or, before the run was recorded, send the error to the requesting session.
 */
static void
CoordinatorFailed(void)
{
	PpRunSlot  *slot = co.slot;
	ErrorData  *edata;
	PpRunState	state;

	HOLD_INTERRUPTS();
	MemoryContextSwitchTo(TopMemoryContext);
	edata = CopyErrorData();
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	if (!co.registered)
	{
		/* the caller raises it: say whose cancel it was */
		PpRunSpec  *request = dsm_segment_address(co.reqseg);

		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && pg_atomic_read_u32(&slot->cancel))
			edata->message = psprintf("run %lld was cancelled before it began",
									  (long long) co.req->run_id);
		request->refusal_code = edata->sqlerrcode;
		strlcpy(request->refusal_message, edata->message ? edata->message : "",
				PP_ERRMSG_LEN);
		strlcpy(request->refusal_detail, edata->detail ? edata->detail : "", PP_ERRMSG_LEN);
		pg_atomic_write_u32(&request->answer, PP_ANSWER_REFUSED);
	}
	StopWorkers(slot, co.handles, co.nlaunched);
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
	/* a run refused before A committed keeps the history it had */
	state = pg_atomic_read_u32(&slot->cancel) ? PP_STATE_CANCELLED : PP_STATE_FAILED;
	if (co.registered)
		RecordOutcome(state, edata);
	else
		PpSlotSetState(slot, state);
	RESUME_INTERRUPTS();
	QueryCancelPending = false;
}

/* Coordinator of a run (background worker); main_arg is the slot. */
void
PpCoordinatorMain(Datum arg)
{
	PpWorkerArgs args;
	PpRunSpec  *request;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	co.slot = &PpShared->runs[DatumGetInt32(arg)];
	co.started = GetCurrentTimestamp();
	if (!co.slot->in_use || co.slot->run_id != args.run_id ||
		co.slot->generation != args.generation)
		return;
	coordinator_generation = args.generation;
	before_shmem_exit(CoordinatorExit, arg);

	/*
	 * Copy the request, and keep it mapped until the run is recorded: the
	 * answer (begun, or refused with an error) goes back through it, so it
	 * reaches the requesting session whatever happens to the run slot.
	 */
	co.reqseg = dsm_attach(args.handle);
	if (co.reqseg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("could not attach to the request of run %lld", (long long) args.run_id)));
	dsm_pin_mapping(co.reqseg); /* not released with a failed transaction */
	request = dsm_segment_address(co.reqseg);
	co.req = TopAlloc(request->total_size);
	memcpy(co.req, request, request->total_size);

	PG_TRY();
	{
		BecomeCaller(co.req, !co.req->run_settings);
		/* cancel() signals the coordinator from here on; one sent before: */
		co.slot->coordinator_pid = MyProcPid;
		co.slot->workers[0].pid = MyProcPid;
		co.slot->workers[0].started_at = co.started;
		pg_memory_barrier();
		if (pg_atomic_read_u32(&co.slot->cancel))
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("run %lld was cancelled before it began",
							(long long) co.req->run_id)));
		RunChunks(RecordRun());
		RecordOutcome(PP_STATE_DONE, NULL);
	}
	PG_CATCH();
	{
		CoordinatorFailed();
	}
	PG_END_TRY();
	if (co.seg)
		dsm_detach(co.seg);
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
	BecomeCaller(spec, true);

	PG_TRY();
	{
		for (;;)
		{
			uint64		g;

			if (pg_atomic_read_u32(&slot->cancel) || pg_atomic_read_u32(&slot->failed))
				break;
			if (args.final)
			{
				g = pg_atomic_fetch_add_u64(&spec->next_range, 1);
				if (g >= PP_FINAL_RANGES)
					break;
				PpProcessRetrying(spec, slot, PP_FINAL_STEP(g), args.index, true);
				continue;
			}
			g = pg_atomic_fetch_add_u64(&spec->next_chunk, 1);
			if (g >= (uint64) spec->nchunks)
				break;
			PpProcessRetrying(spec, slot, g, args.index, true);
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
