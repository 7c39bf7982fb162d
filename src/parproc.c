/*
 * parproc.c
 *		Module entry point: registers settings and, when preloaded, the
 *		shared state later features need.
 *
 * The library works both from shared_preload_libraries and from a plain
 * CREATE EXTENSION; features that need shared memory check
 * parproc_preloaded and fail with a hint naming shared_preload_libraries.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "graph/cache.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

PG_MODULE_MAGIC;

bool		parproc_preloaded = false;

void		_PG_init(void);

/* parproc's locks in shared memory: one tranche, one lock per module */
#define PARPROC_LOCK_RUNS 0
#define PARPROC_LOCK_GRAPHS 1
#define PARPROC_NUM_LOCKS 2

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Ask for every module's shared memory and the locks (shmem_request_hook). */
static void
ParprocShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(add_size(PipelineShmemSize(), GraphShmemSize()));
	RequestNamedLWLockTranche("parproc", PARPROC_NUM_LOCKS);
}

/* Create or attach to every module's shared memory (shmem_startup_hook). */
static void
ParprocShmemStartup(void)
{
	LWLockPadded *locks;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	locks = GetNamedLWLockTranche("parproc");
	PipelineShmemInit(&locks[PARPROC_LOCK_RUNS].lock);
	GraphShmemInit(&locks[PARPROC_LOCK_GRAPHS].lock);
	LWLockRelease(AddinShmemInitLock);
}

/* Load-time initialization: only delegates. */
void
_PG_init(void)
{
	parproc_preloaded = process_shared_preload_libraries_in_progress;
	DefineGucs();
	if (parproc_preloaded)
	{
		prev_shmem_request_hook = shmem_request_hook;
		shmem_request_hook = ParprocShmemRequest;
		prev_shmem_startup_hook = shmem_startup_hook;
		shmem_startup_hook = ParprocShmemStartup;
	}
}
