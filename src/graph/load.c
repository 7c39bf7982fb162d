/*
 * load.c
 *		Loading a graph: its edges read from the edge table as the calling
 *		role (a cursor, or a direct scan of a plain table), numbered, and
 *		built into compressed sparse rows (kernels/graph.c) in the cache's
 *		block.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "graph/cache.h"
#include "graph/graph.h"
#include "kernels/graph.h"
#include "parproc.h"

#define FETCH_ROWS 10000

/*
 * Loading works on slices of this many edges, checking for interrupts
 * between them, so cancel and statement_timeout stop a load promptly.
 */
#define LOAD_SLICE (1024 * 1024)

/* Growable int64/int64/double edge arrays. */
typedef struct EdgeList
{
	int64	   *src;
	int64	   *dst;
	double	   *w;
	Size		n;
	Size		room;
} EdgeList;

static void
EdgeListAppend(EdgeList *e, int64 s, int64 d, double w)
{
	if (e->n == e->room)
	{
		Size		room = Max(e->room * 2, 65536);

		if (e->room == 0)
		{
			e->src = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(int64));
			e->dst = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(int64));
			e->w = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(double));
		}
		else
		{
			e->src = ParprocReallocHuge(e->src, e->room * sizeof(int64), room * sizeof(int64));
			e->dst = ParprocReallocHuge(e->dst, e->room * sizeof(int64), room * sizeof(int64));
			e->w = ParprocReallocHuge(e->w, e->room * sizeof(double), room * sizeof(double));
		}
		e->room = room;
	}
	e->src[e->n] = s;
	e->dst[e->n] = d;
	e->w[e->n] = w;
	e->n++;
}

/* Error unless an edge read from relname is valid. */
static inline void
CheckEdge(const char *name, const GraphDef *def, const char *relname,
		  int64 s, int64 d, double w, bool n1, bool n2, bool n3)
{
	if (n1 || n2)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("edge table %s of graph \"%s\" has a NULL endpoint", relname, name),
				 errhint("Remove or fix the edges with NULL %s or %s.",
						 quote_identifier(def->source), quote_identifier(def->target))));
	if (n3 || !isfinite(w) || w < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("edge " INT64_FORMAT " -> " INT64_FORMAT " of graph \"%s\" has weight %s",
						s, d, name, n3 ? "NULL" : float8out_internal(w)),
				 errdetail("Weights must be finite and >= 0.")));
}

/*
 * Read every edge through a query as the current role (SPI connected).
 * The casts are schema-qualified: the version read may be shared with
 * other roles, so the loader's search_path must not change what it holds.
 */
static void
QueryEdges(const char *name, const GraphDef *def, const char *relname, EdgeList *edges)
{
	StringInfoData q;
	Portal		portal;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8, %s::pg_catalog.float8 FROM %s",
					 quote_identifier(def->source), quote_identifier(def->target),
					 def->weight ? quote_identifier(def->weight) : "1", relname);
	portal = SPI_cursor_open_with_args(NULL, q.data, 0, NULL, NULL, NULL, true, 0);
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		n1,
						n2,
						n3;
			int64		s = DatumGetInt64(SPI_getbinval(tup, desc, 1, &n1));
			int64		d = DatumGetInt64(SPI_getbinval(tup, desc, 2, &n2));
			double		w = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &n3));

			CheckEdge(name, def, relname, s, d, w, n1, n2, n3);
			EdgeListAppend(edges, s, d, w);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* A node id of one of the integer types ValidateDef allows. */
static inline int64
NodeDatum(Datum d, Oid type)
{
	return type == INT8OID ? DatumGetInt64(d) :
		type == INT4OID ? (int64) DatumGetInt32(d) : (int64) DatumGetInt16(d);
}

/* A weight of one of the number types ValidateDef allows. */
static inline double
WeightDatum(Datum d, Oid type)
{
	switch (type)
	{
		case FLOAT8OID:
			return DatumGetFloat8(d);
		case FLOAT4OID:
			return (double) DatumGetFloat4(d);
		case INT8OID:
			return (double) DatumGetInt64(d);
		case INT4OID:
			return (double) DatumGetInt32(d);
		case INT2OID:
			return (double) DatumGetInt16(d);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
	}
}

/*
 * Read every edge by scanning the table itself, in the current snapshot:
 * what the query in QueryEdges returns, without forming and copying a
 * result tuple per edge (most of the load time through SPI).  Only for a
 * plain table or populated materialized view without row-level security
 * for this role: the caller's SELECT privilege on it was checked, and
 * nothing else stands between a query and the rows.
 */
static void
ScanEdges(const char *name, const GraphDef *def, const char *relname, Relation rel,
		  EdgeList *edges)
{
	AttrNumber	as = get_attnum(def->edges, def->source),
				ad = get_attnum(def->edges, def->target),
				aw = def->weight ? get_attnum(def->edges, def->weight) : InvalidAttrNumber;
	Oid			ts = get_atttype(def->edges, as),
				td = get_atttype(def->edges, ad),
				tw = def->weight ? get_atttype(def->edges, aw) : InvalidOid;
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan;
	uint64		rows = 0;
	bool		pushed = false;

	/* the snapshot a query would read with (SPI pushes one when none is) */
	if (!ActiveSnapshotSet())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		pushed = true;
	}
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);

	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		n1,
					n2,
					n3 = false;
		Datum		ds = slot_getattr(slot, as, &n1),
					dd = slot_getattr(slot, ad, &n2),
					dw = aw != InvalidAttrNumber ? slot_getattr(slot, aw, &n3) : (Datum) 0;
		int64		s = n1 ? 0 : NodeDatum(ds, ts),
					d = n2 ? 0 : NodeDatum(dd, td);
		double		w = aw == InvalidAttrNumber ? 1.0 : n3 ? 0 : WeightDatum(dw, tw);

		CheckEdge(name, def, relname, s, d, w, n1, n2, n3);
		EdgeListAppend(edges, s, d, w);
		if ((++rows & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	if (pushed)
		PopActiveSnapshot();
}

/*
 * Read every edge as the current role (SPI connected), validating: by a
 * scan of the table where that returns what a query would, else by a
 * query (partitioned tables, row-level security).
 */
static void
ReadEdges(const char *name, const GraphDef *def, EdgeList *edges)
{
	char	   *relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(def->edges)),
													 get_rel_name(def->edges));
	Relation	rel = table_open(def->edges, AccessShareLock);
	Size		room;

	/* the planner's row estimate sizes the arrays, saving copies as they grow */
	room = rel->rd_rel->reltuples > 0 ? (Size) (rel->rd_rel->reltuples * 1.05) + 1024 : 0;
	if (room > edges->room && room <= MaxAllocHugeSize / sizeof(int64))
	{
		edges->src = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(int64));
		edges->dst = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(int64));
		edges->w = ParprocAllocHuge(CurrentMemoryContext, room * sizeof(double));
		edges->room = room;
	}
	if ((rel->rd_rel->relkind == RELKIND_RELATION ||
		 (rel->rd_rel->relkind == RELKIND_MATVIEW && RelationIsPopulated(rel))) &&
		check_enable_rls(def->edges, InvalidOid, false) != RLS_ENABLED)
		ScanEdges(name, def, relname, rel, edges);
	else
		QueryEdges(name, def, relname, edges);
	/* keep the lock to the end of the transaction, as a query does */
	table_close(rel, NoLock);
}

/*
 * The edge table's file node and its count of changed tuples (SPI
 * connected), by schema-qualified functions and operators, for the same
 * reason as in QueryEdges.
 */
static void
EdgeTableVersion(Oid edges, Oid *filenode, int64 *changes)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(edges)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT pg_catalog.pg_relation_filenode($1), "
							  "pg_catalog.pg_stat_get_tuples_inserted($1) OPERATOR(pg_catalog.+) "
							  "pg_catalog.pg_stat_get_tuples_updated($1) OPERATOR(pg_catalog.+) "
							  "pg_catalog.pg_stat_get_tuples_deleted($1)",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the edge table's statistics");
	*filenode = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		*filenode = InvalidOid;
	*changes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

/* Whether column colname of relid has one of the types. */
static bool
ColumnTypeIn(Oid relid, const char *colname, const Oid *types, int ntypes)
{
	AttrNumber	attnum = get_attnum(relid, colname);
	Oid			type;
	int			i;

	if (attnum <= 0)
		return false;
	type = get_atttype(relid, attnum);
	for (i = 0; i < ntypes; i++)
		if (type == types[i])
			return true;
	return false;
}

/*
 * Check again, as the load runs the query as the calling role, what
 * create_graph checked: a table (never a view, whose functions would run
 * as whoever queries the graph) with integer node columns and a numeric
 * weight.  graph_defs rows may have been written directly.
 */
static void
ValidateDef(const char *name, const GraphDef *def)
{
	static const Oid node_types[] = {INT2OID, INT4OID, INT8OID};
	static const Oid weight_types[] = {INT2OID, INT4OID, INT8OID, FLOAT4OID, FLOAT8OID, NUMERICOID};
	char		relkind = get_rel_relkind(def->edges);

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE &&
		relkind != RELKIND_MATVIEW)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("edge relation of graph \"%s\" is not a table", name)));
	if (!ColumnTypeIn(def->edges, def->source, node_types, 3) ||
		!ColumnTypeIn(def->edges, def->target, node_types, 3) ||
		(def->weight && !ColumnTypeIn(def->edges, def->weight, weight_types, 6)))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("columns of the edge table of graph \"%s\" do not match its definition", name),
				 errhint("Node columns must be smallint, integer or bigint and the weight a number; "
						 "drop the graph and create it again.")));
}

/*
 * Build the graph of def into the cache slot pin claimed, and publish it
 * (SPI connected).  The edges are read and numbered in this process's
 * memory, in a context of its own freed at the end; the rows are built
 * in place in the cache's block.  Every step works in slices with
 * interrupt checks between them.
 */
void
GraphBuild(const char *name, const GraphDef *def, GraphPin *pin)
{
	MemoryContext context = AllocSetContextCreate(CurrentMemoryContext, "parproc graph load",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(context);
	EdgeList	edges = {0};
	int64	   *ids;
	uint64	   *tmp;
	uint32	   *index = NULL,
			   *src,
			   *dst;
	uint64		nnodes,
				nedges;
	Size		bytes,
				index_bytes,
				i;
	void	   *block;
	PpGraph		g;
	GraphInfo	info;

	CheckEdgeTable(name, def->edges);
	ValidateDef(name, def);
	ReadEdges(name, def, &edges);
	CHECK_FOR_INTERRUPTS();

	/*
	 * node numbers: the ids in ascending order, by a radix sort of every
	 * endpoint (the one step without interrupt checks inside; linear in the
	 * edges, a small part of a load)
	 */
	ids = ParprocAllocHuge(context, Max(2 * edges.n, 1) * sizeof(int64));
	tmp = ParprocAllocHuge(context, Max(2 * edges.n, 1) * sizeof(uint64));
	nnodes = pp_graph_distinct_ids(edges.src, edges.dst, edges.n, ids, tmp);
	pfree(tmp);
	CHECK_FOR_INTERRUPTS();
	if (nnodes > PP_GRAPH_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("graph \"%s\" has too many nodes", name),
				 errdetail("A graph has at most %llu nodes.",
						   (unsigned long long) PP_GRAPH_MAX_NODES)));
	nedges = def->directed ? edges.n : 2 * edges.n;
	bytes = pp_graph_size(nnodes, nedges);

	/* each endpoint's node number, through a direct table when ids are dense */
	index_bytes = pp_graph_index_size(ids, nnodes);
	if (index_bytes > 0)
	{
		index = ParprocAllocHuge(context, index_bytes);
		pp_graph_index(ids, nnodes, index);
	}
	src = ParprocAllocHuge(context, Max(edges.n, 1) * sizeof(uint32));
	dst = ParprocAllocHuge(context, Max(edges.n, 1) * sizeof(uint32));
	for (i = 0; i < edges.n; i += LOAD_SLICE)
	{
		Size		k = Min(LOAD_SLICE, edges.n - i);

		pp_graph_number(ids, nnodes, index, edges.src + i, src + i, k);
		pp_graph_number(ids, nnodes, index, edges.dst + i, dst + i, k);
		CHECK_FOR_INTERRUPTS();
	}
	if (index)
		pfree(index);
	pfree(edges.src);
	pfree(edges.dst);

	/* the rows, in the cache's memory (an error if they cannot fit) */
	block = GraphCacheAllocate(pin, bytes, name);
	ParprocPrefault(block, bytes);
	pp_graph_layout(&g, block, nnodes, nedges);
	pp_graph_begin(&g, ids);
	for (i = 0; i < edges.n; i += LOAD_SLICE)
	{
		pp_graph_count(&g, src + i, dst + i, Min(LOAD_SLICE, edges.n - i), def->directed);
		CHECK_FOR_INTERRUPTS();
	}
	pp_graph_offsets(&g);
	for (i = 0; i < edges.n; i += LOAD_SLICE)
	{
		pp_graph_fill(&g, src + i, dst + i, edges.w + i, Min(LOAD_SLICE, edges.n - i),
					  def->directed);
		CHECK_FOR_INTERRUPTS();
	}
	pp_graph_finish(&g);

	EdgeTableVersion(def->edges, &info.filenode, &info.changes);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(context);
	GraphCachePublish(pin, nnodes, nedges, &info);
}
