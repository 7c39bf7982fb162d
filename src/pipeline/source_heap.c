/*
 * source_heap.c
 *		The heap source: a table read block by block, as SELECT * FROM it
 *		reads it (its inheritance children or leaf partitions included);
 *		a chunk's rows come from a TID range scan of one part through the
 *		active snapshot.
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "pipeline/pipeline.h"

/* A chunk being read. */
typedef struct HeapChunkScan
{
	TableScanDesc scan;
	TupleTableSlot *slot;
}			HeapChunkScan;

/*
 * The source's relations with storage, the ones SELECT from it reads: the
 * table and its inheritance children, or its leaf partitions.  Anything
 * parproc cannot read block by block is refused, never skipped.
 */
static List *
HeapSourceParts(Oid source)
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

/*
 * Begin reading the chunk's blocks (ref->start up to ref->end) of part
 * through the active snapshot.
 */
static void *
HeapSourceBegin(const PpRunSpec *spec, const PpPart *pt, const PpChunkRef *ref,
				Relation part, TupleDesc desc)
{
	HeapChunkScan *h = palloc(sizeof(HeapChunkScan));
	ItemPointerData lo,
				hi;

	ItemPointerSet(&lo, (BlockNumber) ref->start, FirstOffsetNumber);
	ItemPointerSet(&hi, (BlockNumber) (ref->end - 1), MaxOffsetNumber);
	h->scan = table_beginscan_tidrange(part, GetActiveSnapshot(), &lo, &hi);
	h->slot = table_slot_create(part, NULL);
	return h;
}

/* The next row of the chunk, or NULL at its end. */
static TupleTableSlot *
HeapSourceNext(void *scan, PpSourceFailure **failure)
{
	HeapChunkScan *h = scan;

	*failure = NULL;
	return table_scan_getnextslot_tidrange(h->scan, ForwardScanDirection, h->slot) ?
		h->slot : NULL;
}

/* End reading the chunk. */
static void
HeapSourceEnd(void *scan)
{
	HeapChunkScan *h = scan;

	ExecDropSingleTupleTableSlot(h->slot);
	table_endscan(h->scan);
	pfree(h);
}

/*
 * A part's blocks now (the lock goes at once: see coordinator.c's header
 * comment), in chunks of chunk_size blocks.
 */
static int64
HeapSourcePlan(const PpRunSpec *req, PpPart *pt, const char *path, int32 part,
			   PpChunkRef **chunks)
{
	Relation	rel = table_open(pt->relid, AccessShareLock);
	int64		k;
	PpChunkRef *c;

	pt->filenode = PpRelFileNumber(rel);
	pt->nblocks = RelationGetNumberOfBlocks(rel);
	table_close(rel, AccessShareLock);
	k = (pt->nblocks + req->chunk_size - 1) / req->chunk_size;
	c = palloc(sizeof(PpChunkRef) * Max(k, 1));
	for (int64 i = 0; i < k; i++)
		c[i] = (PpChunkRef)
	{
		part, (int32) i, i * req->chunk_size, Min((i + 1) * req->chunk_size, pt->nblocks), 0
	};
	*chunks = c;
	return k;
}

const		PpSourceOps PpHeapSource = {
	HeapSourceParts,
	HeapSourcePlan,
	HeapSourceBegin,
	HeapSourceNext,
	HeapSourceEnd,
	NULL
};

/* The source a run reads: a table, or files. */
const		PpSourceOps *
PpRunSource(const PpRunSpec *spec)
{
	return spec->file_source ? &PpFileSource : &PpHeapSource;
}

/* How a run writes its target: INSERT, or INSERT ... ON CONFLICT. */
const		PpSinkOps *
PpTargetSink(const PpRunSpec *spec)
{
	return spec->upsert ? &PpUpsertSink : &PpInsertSink;
}

/*
 * The sink a run's chunks write: the target's, or with an aggregate stage
 * the partial states that the final step combines and writes to the target.
 */
const		PpSinkOps *
PpRunSink(const PpRunSpec *spec)
{
	return spec->aggregate ? &PpPartialSink : PpTargetSink(spec);
}
