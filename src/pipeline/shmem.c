/*
 * shmem.c
 *		Runs in progress in shared memory: one slot per run with its state,
 *		live counters (atomics, never a lock held while rows are processed)
 *		and the error of the participant that failed; the SRFs behind the
 *		live part of the views.
 *
 * The slots need shared_preload_libraries = 'parproc'; without it the
 * pipeline functions fail with a hint saying so.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

PG_FUNCTION_INFO_V1(parproc_live_runs);
PG_FUNCTION_INFO_V1(parproc_live_stages);
PG_FUNCTION_INFO_V1(parproc_live_workers);
PG_FUNCTION_INFO_V1(parproc_live_retries);
PG_FUNCTION_INFO_V1(parproc_live_bytes);

PpSharedState *PpShared = NULL;

/* Shared memory the run slots need (parproc.c requests it at preload). */
Size
PipelineShmemSize(void)
{
	return MAXALIGN(sizeof(PpSharedState));
}

/*
 * Create or attach to the run slots, protected by lock; called by
 * parproc.c's shmem_startup_hook with AddinShmemInitLock held.
 */
void
PipelineShmemInit(LWLock *lock)
{
	bool		found;

	PpShared = ShmemInitStruct("parproc runs", sizeof(PpSharedState), &found);
	if (!found)
	{
		memset(PpShared, 0, sizeof(PpSharedState));
		PpShared->lock = lock;
		ConditionVariableInit(&PpShared->cv);
		for (int i = 0; i < PP_MAX_RUNS; i++)
			SpinLockInit(&PpShared->runs[i].mutex);
	}
}

/* Fail unless the run slots exist. */
void
PpRequirePreload(void)
{
	if (PpShared == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("parproc pipelines need parproc in shared_preload_libraries"),
				 errhint("Add parproc to shared_preload_libraries in postgresql.conf and "
						 "restart the server.")));
}

/*
 * The state and every counter of slot s as for a new run (also for the
 * private slot of a dry run).
 */
void
PpSlotInit(PpRunSlot *s)
{
	pg_atomic_init_u32(&s->state, PP_STATE_QUEUED);
	pg_atomic_init_u32(&s->cancel, 0);
	pg_atomic_init_u32(&s->failed, 0);
	s->coordinator_pid = 0;
	s->started_at = GetCurrentTimestamp();
	s->nworkers = 0;
	pg_atomic_init_u64(&s->chunks_total, 0);
	pg_atomic_init_u64(&s->chunks_done, 0);
	pg_atomic_init_u64(&s->bytes_total, 0);
	pg_atomic_init_u64(&s->bytes_done, 0);
	pg_atomic_init_u64(&s->rows_read, 0);
	pg_atomic_init_u64(&s->rows_written, 0);
	pg_atomic_init_u64(&s->rows_failed, 0);
	s->nstages = 0;
	for (int k = 0; k < PP_MAX_STAGES; k++)
	{
		s->stages[k].name[0] = '\0';
		pg_atomic_init_u64(&s->stages[k].rows_in, 0);
		pg_atomic_init_u64(&s->stages[k].rows_out, 0);
		pg_atomic_init_u64(&s->stages[k].rows_failed, 0);
		pg_atomic_init_u64(&s->stages[k].time_us, 0);
		pg_atomic_init_u64(&s->stages[k].deform_us, 0);
		pg_atomic_init_u64(&s->stages[k].kernel_us, 0);
		pg_atomic_init_u64(&s->stages[k].kernel_values, 0);
		pg_atomic_init_u64(&s->stages[k].evaluator_values, 0);
	}
	for (int w = 0; w <= PP_MAX_RUN_WORKERS; w++)
	{
		s->workers[w].pid = 0;
		s->workers[w].started_at = 0;
		pg_atomic_init_u64(&s->workers[w].chunks, 0);
		pg_atomic_init_u64(&s->workers[w].rows, 0);
		pg_atomic_init_u64(&s->workers[w].busy_us, 0);
		pg_atomic_init_u64(&s->workers[w].read_us, 0);
		pg_atomic_init_u64(&s->workers[w].eval_us, 0);
		pg_atomic_init_u64(&s->workers[w].write_us, 0);
		pg_atomic_init_u64(&s->workers[w].retries, 0);
		pg_atomic_init_u64(&s->workers[w].wal_bytes, 0);
	}
	s->err_code = 0;
	s->err_message[0] = s->err_detail[0] = '\0';
}

/* Take a free slot for run_id; returns its number. */
int
PpSlotReserve(int64 run_id, Oid role, int attempt)
{
	int			free = -1;

	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < PP_MAX_RUNS; i++)
	{
		PpRunSlot  *s = &PpShared->runs[i];

		/* the check that the run is not in progress is this reservation */
		if ((s->in_use || s->attached > 0) && s->run_id == run_id)
		{
			LWLockRelease(PpShared->lock);
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("run %lld is in progress", (long long) run_id)));
		}
		if (free < 0 && !s->in_use && s->attached == 0)
			free = i;
	}
	if (free >= 0)
	{
		PpRunSlot  *s = &PpShared->runs[free];

		s->in_use = true;
		s->run_id = run_id;
		s->generation = ++PpShared->generations;
		s->role = role;
		s->attempt = attempt;
		PpSlotInit(s);
	}
	LWLockRelease(PpShared->lock);
	if (free < 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many pipeline runs in progress"),
				 errdetail("At most %d runs can be in progress at once.", PP_MAX_RUNS)));
	return free;
}

/*
 * Free slot slotno, if it still holds reservation generation, and wake
 * everyone waiting for a run.
 */
void
PpSlotRelease(int slotno, uint64 generation)
{
	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	if (PpShared->runs[slotno].generation == generation)
		PpShared->runs[slotno].in_use = false;
	LWLockRelease(PpShared->lock);
	ConditionVariableBroadcast(&PpShared->cv);
}

/*
 * The slot of run_id, or NULL when it is not in progress: in use, or with
 * workers of its run still stopping.
 */
PpRunSlot *
PpSlotFind(int64 run_id, int *slotno)
{
	PpRunSlot  *found = NULL;

	LWLockAcquire(PpShared->lock, LW_SHARED);
	for (int i = 0; i < PP_MAX_RUNS; i++)
		if ((PpShared->runs[i].in_use || PpShared->runs[i].attached > 0) &&
			PpShared->runs[i].run_id == run_id)
		{
			found = &PpShared->runs[i];
			if (slotno)
				*slotno = i;
			break;
		}
	LWLockRelease(PpShared->lock);
	return found;
}

/*
 * Ask run run_id, if in progress, to stop: its flag is set under the lock,
 * so a slot given to another run meanwhile is never hit.  Returns the pid
 * of its coordinator to signal (0 if none yet), or -1 when the run is not
 * in progress.
 */
int
PpSlotCancel(int64 run_id)
{
	int			pid = -1;

	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < PP_MAX_RUNS; i++)
	{
		PpRunSlot  *s = &PpShared->runs[i];

		if (s->in_use && s->run_id == run_id)
		{
			pg_atomic_write_u32(&s->cancel, 1);
			pid = s->coordinator_pid;
			break;
		}
	}
	LWLockRelease(PpShared->lock);
	return pid;
}

/*
 * A worker joins the run in slotno, if that is still the reservation it was
 * launched for.  Returns false when the run is gone.
 */
bool
PpSlotAttach(int slotno, int64 run_id, uint64 generation)
{
	PpRunSlot  *s = &PpShared->runs[slotno];
	bool		ok;

	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	ok = s->in_use && s->run_id == run_id && s->generation == generation;
	if (ok)
		s->attached++;
	LWLockRelease(PpShared->lock);
	return ok;
}

/* A worker that attached leaves the slot. */
void
PpSlotDetach(int slotno)
{
	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	PpShared->runs[slotno].attached--;
	LWLockRelease(PpShared->lock);
	ConditionVariableBroadcast(&PpShared->cv);
}

/* Publish a new state of the run in slot. */
void
PpSlotSetState(PpRunSlot *slot, PpRunState state)
{
	pg_atomic_write_u32(&slot->state, state);
	ConditionVariableBroadcast(&PpShared->cv);
}

/* Keep the first error raised by any participant of the run. */
void
PpSlotSetError(PpRunSlot *slot, ErrorData *edata)
{
	SpinLockAcquire(&slot->mutex);
	if (slot->err_code == 0)
	{
		slot->err_code = edata->sqlerrcode;
		strlcpy(slot->err_message, edata->message ? edata->message : "", PP_ERRMSG_LEN);
		strlcpy(slot->err_detail, edata->detail ? edata->detail : "", PP_ERRMSG_LEN);
	}
	SpinLockRelease(&slot->mutex);
}

/* Take up to wanted workers from parproc.max_workers; returns how many. */
int
PpWorkersReserve(int wanted)
{
	int			got;

	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	got = Max(0, Min(wanted, parproc_max_workers - PpShared->workers_in_use));
	PpShared->workers_in_use += got;
	LWLockRelease(PpShared->lock);
	return got;
}

/* Give back n workers taken with PpWorkersReserve. */
void
PpWorkersReturn(int n)
{
	LWLockAcquire(PpShared->lock, LW_EXCLUSIVE);
	PpShared->workers_in_use -= n;
	Assert(PpShared->workers_in_use >= 0);
	LWLockRelease(PpShared->lock);
}

/* Milliseconds participant ws has spent alive but not processing chunks. */
double
PpWorkerWaitMs(PpWorkerSlot *ws, TimestampTz now)
{
	return Max(0.0, (now - ws->started_at) / 1000.0 - pg_atomic_read_u64(&ws->busy_us) / 1000.0);
}

/* The SQL name of a state. */
const char *
PpStateName(PpRunState state)
{
	switch (state)
	{
		case PP_STATE_QUEUED:
			return "queued";
		case PP_STATE_RUNNING:
			return "running";
		case PP_STATE_DONE:
			return "done";
		case PP_STATE_FAILED:
			return "failed";
		case PP_STATE_CANCELLED:
			return "cancelled";
	}
	return "unknown";
}

/* Copy the in-use slots, so the SRFs read a stable picture without a lock. */
static int
SnapshotSlots(PpRunSlot **copy)
{
	int			n = 0;

	*copy = palloc(sizeof(PpRunSlot) * PP_MAX_RUNS);
	if (PpShared == NULL)
		return 0;
	LWLockAcquire(PpShared->lock, LW_SHARED);
	for (int i = 0; i < PP_MAX_RUNS; i++)
		if (PpShared->runs[i].in_use)
			memcpy(&(*copy)[n++], &PpShared->runs[i], sizeof(PpRunSlot));
	LWLockRelease(PpShared->lock);
	return n;
}

#define U64(a) Int64GetDatum((int64) pg_atomic_read_u64(&(a)))

/* _live_runs(): one row per run in progress */
Datum
parproc_live_runs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpRunSlot  *runs;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = SnapshotSlots(&runs);
	for (int i = 0; i < n; i++)
	{
		PpRunSlot  *s = &runs[i];
		Datum		v[9];
		bool		nulls[9] = {0};

		v[0] = Int64GetDatum(s->run_id);
		v[1] = CStringGetTextDatum(PpStateName(pg_atomic_read_u32(&s->state)));
		v[2] = U64(s->chunks_total);
		v[3] = U64(s->chunks_done);
		v[4] = U64(s->rows_read);
		v[5] = U64(s->rows_written);
		v[6] = U64(s->rows_failed);
		v[7] = TimestampTzGetDatum(s->started_at);
		v[8] = Int32GetDatum(s->nworkers);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* _live_bytes(): per run in progress from files, its bytes and those done */
Datum
parproc_live_bytes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpRunSlot  *runs;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = SnapshotSlots(&runs);
	for (int i = 0; i < n; i++)
	{
		Datum		v[3];
		bool		nulls[3] = {0};

		if (pg_atomic_read_u64(&runs[i].bytes_total) == 0)
			continue;
		v[0] = Int64GetDatum(runs[i].run_id);
		v[1] = U64(runs[i].bytes_total);
		v[2] = U64(runs[i].bytes_done);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
	}
	return (Datum) 0;
}

/* _live_stages(): per run in progress and stage */
Datum
parproc_live_stages(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpRunSlot  *runs;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = SnapshotSlots(&runs);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < runs[i].nstages; k++)
		{
			PpStageSlot *st = &runs[i].stages[k];
			Datum		v[11];
			bool		nulls[11] = {0};

			v[0] = Int64GetDatum(runs[i].run_id);
			v[1] = Int32GetDatum(k + 1);
			v[2] = CStringGetTextDatum(st->name);
			v[3] = U64(st->rows_in);
			v[4] = U64(st->rows_out);
			v[5] = U64(st->rows_failed);
			v[6] = PP_MS_DATUM(st->time_us);
			v[7] = PP_MS_DATUM(st->deform_us);
			v[8] = PP_MS_DATUM(st->kernel_us);
			v[9] = U64(st->kernel_values);
			v[10] = U64(st->evaluator_values);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
	return (Datum) 0;
}

/*
 * One row per run in progress and participant (0 = coordinator) that
 * started: the run's id, attempt and the participant's number, then the
 * values fill sets from its counters.
 */
static void
LiveWorkerRows(FunctionCallInfo fcinfo, void (*fill) (PpWorkerSlot *ws, Datum *v))
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpRunSlot  *runs;
	int			n;

	InitMaterializedSRF(fcinfo, 0);
	n = SnapshotSlots(&runs);
	for (int i = 0; i < n; i++)
		for (int w = 0; w <= runs[i].nworkers; w++)
		{
			PpWorkerSlot *ws = &runs[i].workers[w];
			Datum		v[12];
			bool		nulls[12] = {0};

			if (ws->started_at == 0)
				continue;
			v[0] = Int64GetDatum(runs[i].run_id);
			v[1] = Int32GetDatum(runs[i].attempt);
			v[2] = Int32GetDatum(w);
			fill(ws, v + 3);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, v, nulls);
		}
}

static void
FillWorker(PpWorkerSlot *ws, Datum *v)
{
	v[0] = Int32GetDatum(ws->pid);
	v[1] = U64(ws->chunks);
	v[2] = U64(ws->rows);
	v[3] = PP_MS_DATUM(ws->busy_us);
	v[4] = Float8GetDatum(PpWorkerWaitMs(ws, GetCurrentTimestamp()));
	v[5] = PP_MS_DATUM(ws->read_us);
	v[6] = PP_MS_DATUM(ws->eval_us);
	v[7] = PP_MS_DATUM(ws->write_us);
	v[8] = U64(ws->wal_bytes);
}

static void
FillRetries(PpWorkerSlot *ws, Datum *v)
{
	v[0] = U64(ws->retries);
}

/* _live_workers(): per run in progress and participant, its counters */
Datum
parproc_live_workers(PG_FUNCTION_ARGS)
{
	LiveWorkerRows(fcinfo, FillWorker);
	return (Datum) 0;
}

/*
 * _live_retries(): per run in progress and participant, the chunks it
 * retried (a function apart from _live_workers, whose result type 0.1
 * fixed: views of users may depend on it)
 */
Datum
parproc_live_retries(PG_FUNCTION_ARGS)
{
	LiveWorkerRows(fcinfo, FillRetries);
	return (Datum) 0;
}
