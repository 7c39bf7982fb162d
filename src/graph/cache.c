/*
 * cache.c
 *		Loaded graphs, shared by every backend when parproc is preloaded
 *		(one DSA area), else kept by each backend; pins, eviction, query
 *		statistics and the SRF behind the parproc.graphs view.
 *
 * A fixed array of slots describes the versions: free, loading (claimed
 * by one backend, which builds the graph while others wanting the same
 * version wait on a condition variable) or ready.  A ready version is
 * pinned while a query uses it; a version replaced by a newer generation
 * or dropped is "retired" and freed when its last pin goes, so queries
 * running meanwhile finish on the version they started with.  Memory is
 * bounded by parproc.graph_memory (the DSA area's size limit): a load
 * that does not fit evicts unpinned versions, least recently used first,
 * then fails.
 *
 * The lock is held only to look up, pin, claim, publish and free slots,
 * never while a graph is read or built; pins and statistics are atomics.
 * Without preload the same code runs on a private copy of the array with
 * the lock skipped and palloc'd blocks, so both modes behave alike.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "port/pg_bitutils.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/dsa.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "graph/cache.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_graph_cache);

/* Versions at once, loading and retired-but-pinned ones included. */
#define GRAPH_SLOTS 64

/*
 * Query latencies in microseconds: exact below 16, then 16 buckets per
 * power of two (so a bucket's middle is within 1/32 of any value in it),
 * up to 2^36 us (19 hours).
 */
#define LATENCY_SUB 16
#define LATENCY_MAX_POW 36
#define LATENCY_BUCKETS (LATENCY_SUB + (LATENCY_MAX_POW - 4 + 1) * LATENCY_SUB)

typedef enum SlotState
{
	SLOT_FREE = 0,
	SLOT_LOADING,
	SLOT_READY
} SlotState;

typedef struct GraphSlot
{
	SlotState	state;
	GraphKey	key;
	bool		retired;		/* newer version or dropped: free at the last
								 * unpin */
	int			loader_pid;		/* SLOT_LOADING: who builds it */
	uint64		block;			/* dsa_pointer, or the address without preload */
	Size		bytes;
	uint64		nnodes;
	uint64		nedges;
	GraphInfo	info;
	TimestampTz loaded_at;
	int64		loads;			/* builds of this graph while some version
								 * stayed cached */
	pg_atomic_uint32 pins;
	pg_atomic_uint64 last_used; /* GraphCacheState.clock when last pinned */
	pg_atomic_uint64 queries;
	pg_atomic_uint64 total_us;
	pg_atomic_uint64 latency[LATENCY_BUCKETS];
} GraphSlot;

typedef struct GraphCacheState
{
	LWLock	   *lock;			/* NULL without preload */
	int			area_tranche;
	dsa_handle	area_handle;	/* DSM_HANDLE_INVALID until first use */
	ConditionVariable loaded;	/* a loading slot became ready or free */
	pg_atomic_uint64 clock;
	Size		used;			/* bytes of the blocks allocated */
	GraphSlot	slots[GRAPH_SLOTS];
} GraphCacheState;

static GraphCacheState *cache = NULL;
static bool cache_shared = false;
static dsa_area *area = NULL;

/* What this process holds, released on exit (errors release via the caller) */
static int	held_pins[GRAPH_SLOTS];
static int	held_claim = -1;
static bool exit_callback_registered = false;

/* Shared memory the graph cache's slots need (requested by parproc.c). */
Size
GraphShmemSize(void)
{
	return MAXALIGN(sizeof(GraphCacheState));
}

/*
 * Create or attach to the slots, protected by lock; called by parproc.c's
 * shmem_startup_hook with AddinShmemInitLock held.
 */
void
GraphShmemInit(LWLock *lock)
{
	bool		found;

	cache = ShmemInitStruct("parproc graphs", sizeof(GraphCacheState), &found);
	if (!found)
	{
		memset(cache, 0, sizeof(GraphCacheState));
		cache->lock = lock;
		cache->area_tranche = LWLockNewTrancheId();
		cache->area_handle = DSM_HANDLE_INVALID;
		ConditionVariableInit(&cache->loaded);
		pg_atomic_init_u64(&cache->clock, 0);
	}
	cache_shared = true;
}

/* Take the slots' lock (no lock without preload: one process). */
static void
CacheLock(LWLockMode mode)
{
	if (cache_shared)
		LWLockAcquire(cache->lock, mode);
}

/* Release the slots' lock. */
static void
CacheUnlock(void)
{
	if (cache_shared)
		LWLockRelease(cache->lock);
}

static void ReleaseAtExit(int code, Datum arg);

/*
 * The slots, and with preload this process's mapping of the DSA area,
 * which the first user creates and pins so that it outlives every backend.
 */
static void
CacheAttach(void)
{
	MemoryContext old;

	if (!exit_callback_registered)
	{
		for (int i = 0; i < GRAPH_SLOTS; i++)
			held_pins[i] = 0;
		before_shmem_exit(ReleaseAtExit, (Datum) 0);
		exit_callback_registered = true;
	}
	if (!cache_shared)
	{
		if (cache == NULL)
		{
			cache = MemoryContextAllocZero(TopMemoryContext, sizeof(GraphCacheState));
			pg_atomic_init_u64(&cache->clock, 0);
		}
		return;
	}
	if (area != NULL)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	LWLockRegisterTranche(cache->area_tranche, "parproc_graphs_area");
	LWLockAcquire(cache->lock, LW_EXCLUSIVE);
	if (cache->area_handle == DSM_HANDLE_INVALID)
	{
		area = dsa_create(cache->area_tranche);
		dsa_pin(area);
		cache->area_handle = dsa_get_handle(area);
	}
	else
		area = dsa_attach(cache->area_handle);
	LWLockRelease(cache->lock);
	dsa_pin_mapping(area);
	MemoryContextSwitchTo(old);
}

/* The address of a slot's block in this process. */
static void *
SlotAddress(GraphSlot *s)
{
	if (cache_shared)
		return dsa_get_address(area, (dsa_pointer) s->block);
	return (void *) (uintptr_t) s->block;
}

/* Give back a slot's block (lock held exclusively, or no preload). */
static void
FreeBlock(GraphSlot *s)
{
	if (s->bytes == 0)
		return;
	/* no block: bytes reserved by a load that failed while allocating */
	if (s->block != 0 && cache_shared)
		dsa_free(area, (dsa_pointer) s->block);
	else if (s->block != 0)
		pfree((void *) (uintptr_t) s->block);
	cache->used -= s->bytes;
	s->block = 0;
	s->bytes = 0;
}

/* Empty a slot (lock held exclusively). */
static void
FreeSlot(GraphSlot *s)
{
	FreeBlock(s);
	s->state = SLOT_FREE;
	s->retired = false;
	s->loader_pid = 0;
}

/*
 * Same version of the same graph for the same rows: the same definition
 * (generation), edge table, owner and reading role.
 */
static bool
KeyEqual(const GraphKey *a, const GraphKey *b)
{
	return a->dbid == b->dbid && a->defs == b->defs && a->generation == b->generation &&
		a->edges == b->edges && a->owner == b->owner && a->role == b->role &&
		strcmp(a->name, b->name) == 0;
}

/* Same graph (any version, any role). */
static bool
SameGraph(const GraphKey *a, const GraphKey *b)
{
	return a->dbid == b->dbid && a->defs == b->defs && strcmp(a->name, b->name) == 0;
}

/* The slot holding key: a ready one, else one loading, else -1. */
static int
FindSlot(const GraphKey *key)
{
	int			found = -1;

	for (int i = 0; i < GRAPH_SLOTS; i++)
		if (cache->slots[i].state != SLOT_FREE && KeyEqual(&cache->slots[i].key, key))
		{
			if (cache->slots[i].state == SLOT_READY)
				return i;
			found = i;
		}
	return found;
}

/*
 * The unpinned ready version to evict first (lock held exclusively): a
 * retired one, else the least recently used; -1 when every one is in use.
 */
static int
EvictionVictim(void)
{
	int			victim = -1;

	for (int i = 0; i < GRAPH_SLOTS; i++)
	{
		GraphSlot  *s = &cache->slots[i];
		GraphSlot  *v;

		if (s->state != SLOT_READY || pg_atomic_read_u32(&s->pins) != 0)
			continue;
		if (victim < 0)
		{
			victim = i;
			continue;
		}
		v = &cache->slots[victim];
		if (s->retired != v->retired ? s->retired :
			pg_atomic_read_u64(&s->last_used) < pg_atomic_read_u64(&v->last_used))
			victim = i;
	}
	return victim;
}

/* Point pin->g at its pinned version's arrays, mapped in this process. */
static void
MapSlot(GraphPin *pin)
{
	GraphSlot  *s = &cache->slots[pin->slot];

	pp_graph_layout(&pin->g, SlotAddress(s), s->nnodes, s->nedges);
}

/* Pin ready slot i (lock held, shared suffices: pins are atomic). */
static void
PinSlot(int i, GraphPin *pin)
{
	GraphSlot  *s = &cache->slots[i];

	pg_atomic_fetch_add_u32(&s->pins, 1);
	pg_atomic_write_u64(&s->last_used, pg_atomic_add_fetch_u64(&cache->clock, 1));
	held_pins[i]++;
	pin->slot = i;
	pin->loading = false;
	pin->edges = s->key.edges;
}

/*
 * Whether process pid waits for a lock on an object this process holds a
 * lock on.  A loader waiting for us while we wait for it on a condition
 * variable is a deadlock the deadlock detector cannot see; may_wait only
 * rules out the locks callers know of (an edge table's partitions, or what
 * its row-level security policies read, are not among them), so a waiter
 * looks again every second.
 */
static bool
LoaderWaitsForUs(int pid)
{
	BlockedProcsData *data = GetBlockerStatusData(pid);
	bool		found = false;

	for (int i = 0; i < data->nlocks && !found; i++)
		found = data->locks[i].pid == MyProcPid && data->locks[i].holdMask != 0;
	return found;
}

/*
 * Pin the version key.  When no process has it, claim a slot for this
 * process to load it and return false (then GraphCacheAllocate, build,
 * GraphCachePublish, or GraphCacheRelease to give up).  While another
 * process loads it, wait if may_wait, else load it too (a caller holding
 * a lock the loader would wait for must not wait for the loader).
 */
bool
GraphCachePin(const GraphKey *key, GraphPin *pin, bool may_wait)
{
	int			i;
	bool		waited = false;

	CacheAttach();
	pin->slot = -1;
	pin->loading = false;
	pin->edges = key->edges;

	/* the common case: ready, and only a shared lock taken */
	CacheLock(LW_SHARED);
	i = FindSlot(key);
	if (i >= 0 && cache->slots[i].state == SLOT_READY)
		PinSlot(i, pin);
	CacheUnlock();

	while (pin->slot < 0)
	{
		CacheLock(LW_EXCLUSIVE);
		i = FindSlot(key);
		if (i >= 0 && cache->slots[i].state == SLOT_READY)
		{
			PinSlot(i, pin);
			CacheUnlock();
			break;
		}
		if (i >= 0 && may_wait)
		{
			/* loading elsewhere (never here: a claim ends before the next) */
			int			loader = cache->slots[i].loader_pid;

			Assert(cache_shared);
			CacheUnlock();
			waited = true;
			if (!ConditionVariableTimedSleep(&cache->loaded, 1000, PG_WAIT_EXTENSION) ||
				!LoaderWaitsForUs(loader))
				continue;
			/* it waits for a lock of ours: load a copy of our own instead */
			may_wait = false;
			continue;
		}
		for (i = 0; i < GRAPH_SLOTS && cache->slots[i].state != SLOT_FREE; i++)
			;
		if (i == GRAPH_SLOTS)
		{
			i = EvictionVictim();
			if (i >= 0)
				FreeSlot(&cache->slots[i]);
		}
		if (i < 0)
		{
			CacheUnlock();
			ereport(ERROR,
					(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					 errmsg("too many graphs in use to load graph \"%s\"", key->name),
					 errdetail("At most %d graph versions can be loaded at once, and all are in use.",
							   GRAPH_SLOTS)));
		}
		{
			GraphSlot  *s = &cache->slots[i];

			s->state = SLOT_LOADING;
			s->key = *key;
			s->retired = false;
			s->loader_pid = MyProcPid;
			s->block = 0;
			s->bytes = 0;
			pg_atomic_write_u32(&s->pins, 0);
		}
		held_claim = i;
		pin->slot = i;
		pin->loading = true;
		CacheUnlock();
	}
	if (waited)
		ConditionVariableCancelSleep();
	if (!pin->loading)
		MapSlot(pin);
	return !pin->loading;
}

/*
 * Memory for the graph this process claimed: bytes in the DSA area (or
 * this process's memory), evicting unpinned versions to make room, else
 * an error naming the graph.
 *
 * The graphs' bytes are what parproc.graph_memory bounds, counted here
 * and reserved under the lock so that concurrent loads cannot overshoot.
 * The DSA area's own size limit is only a backstop a little above it:
 * the area adds bookkeeping (its first segment, page rounding), and keeps
 * segments grown under an earlier, larger limit.
 */
void *
GraphCacheAllocate(GraphPin *pin, Size bytes, const char *name)
{
	Size		limit = (Size) parproc_graph_memory * 1024;
	GraphSlot  *s = &cache->slots[pin->slot];

	Assert(pin->loading && s->bytes == 0);
	bytes = Max(bytes, 1);
	for (;;)
	{
		uint64		block = 0;
		int			victim = -1;
		Size		used;

		CacheLock(LW_EXCLUSIVE);
		if (bytes <= limit && cache->used + bytes <= limit)
		{
			/*
			 * reserved in the slot, so an error while allocating gives it
			 * back
			 */
			cache->used += bytes;
			s->bytes = bytes;
			CacheUnlock();
			if (cache_shared)
			{
				dsa_set_size_limit(area, limit + limit / 32 + 2 * 1024 * 1024);
				block = dsa_allocate_extended(area, bytes, DSA_ALLOC_HUGE | DSA_ALLOC_NO_OOM);
			}
			else
				block = (uint64) (uintptr_t)
					MemoryContextAllocExtended(TopMemoryContext, bytes,
											   MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
			CacheLock(LW_EXCLUSIVE);
			if (block != 0)
			{
				s->block = block;
				CacheUnlock();
				return SlotAddress(s);
			}
			/* the area or the system is short of memory even so */
			cache->used -= bytes;
			s->bytes = 0;
		}
		if (bytes <= limit)
			victim = EvictionVictim();
		if (victim >= 0)
		{
			FreeSlot(&cache->slots[victim]);
			CacheUnlock();
			continue;
		}
		used = cache->used;
		CacheUnlock();
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("graph \"%s\" does not fit in parproc.graph_memory", name),
				 errdetail("It needs %zu kB; graphs in use take %zu kB of the %d kB limit.",
						   (bytes + 1023) / 1024, used / 1024, parproc_graph_memory),
				 errhint("Raise parproc.graph_memory%s.",
						 cache_shared ? " (it applies to all sessions together) and reload" : "")));
	}
}

/*
 * Make the graph this process built visible to all; it stays pinned.
 * Versions of the same graph keep serving the generations they were
 * loaded for, until a query reads a newer definition (GraphCacheRetire).
 */
void
GraphCachePublish(GraphPin *pin, uint64 nnodes, uint64 nedges, const GraphInfo *info)
{
	GraphSlot  *s = &cache->slots[pin->slot];
	int64		loads = 0;

	Assert(pin->loading);
	CacheLock(LW_EXCLUSIVE);
	for (int i = 0; i < GRAPH_SLOTS; i++)
	{
		GraphSlot  *o = &cache->slots[i];

		if (o != s && o->state == SLOT_READY && KeyEqual(&o->key, &s->key))
		{
			/* another process that did not wait published it first */
			FreeSlot(s);
			held_claim = -1;
			PinSlot(i, pin);
			CacheUnlock();
			MapSlot(pin);
			return;
		}
	}
	for (int i = 0; i < GRAPH_SLOTS; i++)
	{
		GraphSlot  *o = &cache->slots[i];

		if (o != s && o->state == SLOT_READY && SameGraph(&o->key, &s->key))
		{
			loads = Max(loads, o->loads);
			if (o->key.generation > s->key.generation)
				s->retired = true;	/* loaded for an old snapshot */
		}
	}
	s->loads = loads + 1;
	s->nnodes = nnodes;
	s->nedges = nedges;
	s->info = *info;
	s->loaded_at = GetCurrentTimestamp();
	s->loader_pid = 0;
	pg_atomic_write_u64(&s->queries, 0);
	pg_atomic_write_u64(&s->total_us, 0);
	for (int b = 0; b < LATENCY_BUCKETS; b++)
		pg_atomic_write_u64(&s->latency[b], 0);
	s->state = SLOT_READY;
	held_claim = -1;
	PinSlot(pin->slot, pin);
	CacheUnlock();
	if (cache_shared)
		ConditionVariableBroadcast(&cache->loaded);
	MapSlot(pin);
}

/* Latency bucket of a query of us microseconds. */
static int
LatencyBucket(uint64 us)
{
	int			e;

	if (us < LATENCY_SUB)
		return (int) us;
	e = pg_leftmost_one_pos64(us);
	if (e > LATENCY_MAX_POW)
		return LATENCY_BUCKETS - 1;
	return LATENCY_SUB + (e - 4) * LATENCY_SUB + (int) ((us >> (e - 4)) & (LATENCY_SUB - 1));
}

/* The middle of bucket b, in milliseconds. */
static double
LatencyBucketMs(int b)
{
	int			e;
	double		low,
				width;

	if (b < LATENCY_SUB)
		return (b + 0.5) / 1000.0;
	e = (b - LATENCY_SUB) / LATENCY_SUB + 4;
	width = ldexp(1.0, e - 4);
	low = ((b - LATENCY_SUB) % LATENCY_SUB + LATENCY_SUB) * width;
	return (low + width / 2) / 1000.0;
}

/* Unpin slot i; free it when it was retired and this was the last pin. */
static void
UnpinSlot(int i)
{
	GraphSlot  *s = &cache->slots[i];
	bool		last;

	held_pins[i]--;
	CacheLock(LW_SHARED);
	last = pg_atomic_sub_fetch_u32(&s->pins, 1) == 0 && s->retired;
	CacheUnlock();
	if (last)
	{
		CacheLock(LW_EXCLUSIVE);
		/* recheck: another process may have pinned or freed it meanwhile */
		if (s->state == SLOT_READY && s->retired && pg_atomic_read_u32(&s->pins) == 0)
			FreeSlot(s);
		CacheUnlock();
	}
}

/* Give up the claim on slot i: the load failed. */
static void
AbandonClaim(int i)
{
	CacheLock(LW_EXCLUSIVE);
	FreeSlot(&cache->slots[i]);
	CacheUnlock();
	held_claim = -1;
	if (cache_shared)
		ConditionVariableBroadcast(&cache->loaded);
}

/*
 * Unpin a version, counting a query of elapsed_ms (< 0: none), or give up
 * a claim.  Callers release in PG_FINALLY or PG_CATCH, so errors and
 * cancels leak nothing; ReleaseAtExit covers FATAL exits.
 */
void
GraphCacheRelease(GraphPin *pin, double elapsed_ms)
{
	GraphSlot  *s;

	if (pin->slot < 0)
		return;
	s = &cache->slots[pin->slot];
	if (pin->loading)
		AbandonClaim(pin->slot);
	else
	{
		if (elapsed_ms >= 0)
		{
			uint64		us = (uint64) (elapsed_ms * 1000.0);

			pg_atomic_fetch_add_u64(&s->queries, 1);
			pg_atomic_fetch_add_u64(&s->total_us, us);
			pg_atomic_fetch_add_u64(&s->latency[LatencyBucket(us)], 1);
		}
		UnpinSlot(pin->slot);
	}
	pin->slot = -1;
	pin->loading = false;
}

/*
 * Versions this process still holds when it exits (a FATAL error skips
 * the callers' PG_FINALLY).  Interrupts are held while the lock is held
 * and nothing raises an error under it, so it is never held here.
 */
static void
ReleaseAtExit(int code, Datum arg)
{
	if (cache == NULL || (cache_shared && area == NULL))
		return;
	if (held_claim >= 0)
		AbandonClaim(held_claim);
	for (int i = 0; i < GRAPH_SLOTS; i++)
		while (held_pins[i] > 0)
			UnpinSlot(i);
}

/*
 * Retire the versions of key's graph older than key's generation (all of
 * them when all): each is freed when no query uses it any more.
 */
void
GraphCacheRetire(const GraphKey *key, bool all)
{
	CacheAttach();
	CacheLock(LW_EXCLUSIVE);
	for (int i = 0; i < GRAPH_SLOTS; i++)
	{
		GraphSlot  *s = &cache->slots[i];

		if (s->state != SLOT_READY || s->retired || !SameGraph(&s->key, key) ||
			(!all && s->key.generation >= key->generation))
			continue;
		s->retired = true;
		if (pg_atomic_read_u32(&s->pins) == 0)
			FreeSlot(s);
	}
	CacheUnlock();
}

/*
 * parproc._graph_cache(): the newest loaded version of each graph of this
 * database (per role, for edge tables with row-level security), shared by
 * all sessions with preload, this session's without.
 */
Datum
parproc_graph_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			defs = get_relname_relid("graph_defs", get_namespace_oid("parproc", false));
	GraphSlot  *copy;
	int			n = 0;

	InitMaterializedSRF(fcinfo, 0);
	if (cache == NULL)
		return (Datum) 0;
	copy = palloc(sizeof(GraphSlot) * GRAPH_SLOTS);
	CacheLock(LW_SHARED);
	for (int i = 0; i < GRAPH_SLOTS; i++)
	{
		GraphSlot  *s = &cache->slots[i];
		bool		newest = true;

		if (s->state != SLOT_READY || s->retired || s->key.dbid != MyDatabaseId ||
			s->key.defs != defs)
			continue;
		for (int j = 0; j < GRAPH_SLOTS; j++)
		{
			GraphSlot  *o = &cache->slots[j];

			if (o->state == SLOT_READY && !o->retired && SameGraph(&o->key, &s->key) &&
				o->key.role == s->key.role && o->key.generation > s->key.generation)
				newest = false;
		}
		if (newest)
			memcpy(&copy[n++], s, sizeof(GraphSlot));
	}
	CacheUnlock();

	for (int i = 0; i < n; i++)
	{
		GraphSlot  *s = &copy[i];
		Datum		values[13];
		bool		nulls[13] = {0};
		uint64		queries = pg_atomic_read_u64(&s->queries);

		values[0] = CStringGetTextDatum(s->key.name);
		values[1] = Int64GetDatum(s->key.generation);
		values[2] = Int64GetDatum((int64) s->nnodes);
		values[3] = Int64GetDatum((int64) s->nedges);
		values[4] = Int64GetDatum((int64) s->bytes);
		values[5] = TimestampTzGetDatum(s->loaded_at);
		values[6] = ObjectIdGetDatum(s->info.filenode);
		values[7] = Int64GetDatum(s->info.changes);
		values[8] = Int64GetDatum((int64) queries);
		values[9] = Float8GetDatum(pg_atomic_read_u64(&s->total_us) / 1000.0);
		if (queries > 0)
		{
			/* the bucket holding the ceil(0.99 n)-th latency */
			uint64		rank = (uint64) ceil(0.99 * queries),
						seen = 0;
			int			b;

			for (b = 0; b < LATENCY_BUCKETS - 1; b++)
			{
				seen += pg_atomic_read_u64(&s->latency[b]);
				if (seen >= rank)
					break;
			}
			values[10] = Float8GetDatum(LatencyBucketMs(b));
		}
		else
			nulls[10] = true;
		values[11] = Int64GetDatum(s->loads);
		if (OidIsValid(s->key.role))
			values[12] = ObjectIdGetDatum(s->key.role);
		else
			nulls[12] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
