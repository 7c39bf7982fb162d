/*
 * graph.c
 *		Graphs stored as edge tables, loaded into compressed sparse rows
 *		(kernels/graph.c), and parproc.spread_activation over them.
 *
 * Definitions live in the table parproc.graph_defs; each definition has a
 * generation that refresh_graph makes new.  Loaded versions live in the
 * graph cache (cache.c: shared memory with preload, else this process's),
 * keyed by name, generation, edge table and owner; only the extension
 * assigns generations (a trigger on graph_defs), so a definition a user
 * writes cannot name a version loaded for another.  This process
 * remembers the definitions it has read, and reads one again only after
 * graph_defs changed (a trigger sends a relcache invalidation), so a
 * refresh in any session reaches every session at its next query.
 * Loading runs the edge query as the calling role, and every query checks
 * that the caller may read the edge table its version was loaded from.
 * Only members of a graph's owner may load or unload it through the
 * internal functions (anyone may unload it once its definition is gone).
 * The spreading-activation scratch arrays are kept between calls and
 * cleaned by the kernel, so a query costs what its frontier touches.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "graph/cache.h"
#include "kernels/graph.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_graph_load);
PG_FUNCTION_INFO_V1(parproc_graph_unload);
PG_FUNCTION_INFO_V1(parproc_spread_activation);
PG_FUNCTION_INFO_V1(parproc_graph_defs_changed);

#define FETCH_ROWS 10000

/*
 * Loading works on slices of this many edges, checking for interrupts
 * between them, so cancel and statement_timeout stop a load promptly.
 */
#define LOAD_SLICE (1024 * 1024)

typedef struct GraphDef
{
	Oid			edges;
	char	   *source;
	char	   *target;
	char	   *weight;			/* NULL: every weight 1 */
	bool		directed;
	int64		generation;
	Oid			owner;
} GraphDef;

/* A definition this process has read, valid while defs_epoch is unchanged. */
typedef struct KnownGraph
{
	char		name[NAMEDATALEN];	/* hash key */
	GraphDef	def;			/* strings in TopMemoryContext */
	uint64		defs_epoch;		/* defs_epoch when read */
} KnownGraph;

static HTAB *known_graphs = NULL;

/*
 * Bumped whenever parproc.graph_defs may have changed: its trigger sends a
 * relcache invalidation, which every session receives at its next
 * transaction.  Until then a known definition is used without reading it
 * again.
 */
static uint64 defs_epoch = 1;
static Oid	defs_relid = InvalidOid;
static PpSpreadScratch scratch;
static void *scratch_block = NULL;
static bool scratch_dirty = false;	/* a query was interrupted mid-way */

/* Relcache callback: graph_defs (or every relation) may have changed. */
static void
GraphDefsInvalidated(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == defs_relid)
		defs_epoch++;
}

/*
 * Follow parproc.graph_defs if the extension was dropped and created again
 * in this session's lifetime: a new table, so nothing cached can be trusted.
 */
static void
GraphDefsRelid(void)
{
	Oid			relid = get_relname_relid("graph_defs", get_namespace_oid("parproc", false));

	if (relid != defs_relid)
	{
		defs_relid = relid;
		defs_epoch++;
	}
}

/* The known definitions, created on first use. */
static HTAB *
KnownGraphs(void)
{
	if (known_graphs == NULL)
	{
		HASHCTL		ctl;

		CacheRegisterRelcacheCallback(GraphDefsInvalidated, (Datum) 0);

		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(KnownGraph);
		known_graphs = hash_create("parproc graph definitions", 16, &ctl,
								   HASH_ELEM | HASH_STRINGS);
	}
	return known_graphs;
}

/* Forget a known definition. */
static void
ForgetGraph(const char *name)
{
	KnownGraph *known;

	if (known_graphs == NULL)
		return;
	known = hash_search(known_graphs, name, HASH_FIND, NULL);
	if (known == NULL)
		return;
	pfree(known->def.source);
	pfree(known->def.target);
	if (known->def.weight)
		pfree(known->def.weight);
	hash_search(known_graphs, name, HASH_REMOVE, NULL);
}

/* The cache key of a graph's version for the current role. */
static void
GraphKeyFor(GraphKey *key, const char *name, const GraphDef *def)
{
	memset(key, 0, sizeof(GraphKey));
	key->dbid = MyDatabaseId;
	key->defs = defs_relid;
	strlcpy(key->name, name, NAMEDATALEN);
	key->generation = def ? def->generation : 0;
	key->edges = def ? def->edges : InvalidOid;
	key->owner = def ? def->owner : InvalidOid;

	/*
	 * Row-level security may show each role other rows: then each role
	 * gets its own copy.  Otherwise every role allowed to read the table
	 * (owners and BYPASSRLS roles included) reads all its rows, and they
	 * share one.
	 */
	key->role = def && check_enable_rls(def->edges, InvalidOid, false) == RLS_ENABLED ?
		GetUserId() : InvalidOid;
}

/* Error for a name that cannot be a graph's. */
static void
CheckGraphName(const char *name)
{
	if (strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("graph name \"%s\" is too long", name),
				 errdetail("Graph names are at most %d bytes.", NAMEDATALEN - 1)));
}

/*
 * Read a definition (SPI connected); error if there is none.  *committed
 * says whether the row is another transaction's (so committed, as this
 * snapshot sees it) rather than this transaction's own change.  Types and
 * the operator are schema-qualified: the caller's search_path must not
 * decide which row is read.
 */
static GraphDef *
GraphDefFetch(const char *name, bool *committed)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	GraphDef   *def;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	MemoryContext caller = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("SELECT edges::pg_catalog.oid, source::pg_catalog.text, "
							  "target::pg_catalog.text, weight::pg_catalog.text, directed, "
							  "generation, xmin, owner::pg_catalog.oid FROM parproc.graph_defs "
							  "WHERE name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read parproc.graph_defs");
	if (SPI_processed == 0)
	{
		ForgetGraph(name);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("graph \"%s\" does not exist", name),
				 errhint("Create it with parproc.create_graph().")));
	}
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	def = MemoryContextAllocZero(caller, sizeof(GraphDef));
	def->edges = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
	def->source = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 2));
	def->target = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 3));
	if (SPI_getvalue(tup, desc, 4) != NULL)
		def->weight = MemoryContextStrdup(caller, SPI_getvalue(tup, desc, 4));
	def->directed = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
	def->generation = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
	*committed = !TransactionIdIsCurrentTransactionId(DatumGetTransactionId(SPI_getbinval(tup, desc, 7,
																						   &isnull)));
	def->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 8, &isnull));
	return def;
}

/*
 * The owner of graph name's definition in a snapshot taken now (SPI
 * connected), InvalidOid when there is none.  Not the transaction's
 * snapshot: an old one would miss a definition committed since.
 */
static Oid
GraphOwnerNow(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	SPIPlanPtr	plan;
	Oid			owner = InvalidOid;
	bool		isnull;

	plan = SPI_prepare("SELECT owner::pg_catalog.oid FROM parproc.graph_defs "
					   "WHERE name OPERATOR(pg_catalog.=) $1", 1, argtypes);
	if (plan == NULL)
		elog(ERROR, "could not read parproc.graph_defs");
	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_snapshot(plan, args, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read parproc.graph_defs");
	if (SPI_processed > 0)
		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											   &isnull));
	SPI_freeplan(plan);
	return owner;
}

/* Error unless the current role may read the edge table (and it exists). */
static void
CheckEdgeTable(const char *name, Oid edges)
{
	AclResult	aclresult;

	if (!OidIsValid(get_rel_namespace(edges)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("edge table of graph \"%s\" no longer exists", name),
				 errhint("Drop the graph with parproc.drop_graph() and create it again.")));
	aclresult = pg_class_aclcheck(edges, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(edges));
}

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
static void
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
	 * endpoint (the one step without interrupt checks inside; linear in
	 * the edges, a small part of a load)
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

/*
 * Whether this transaction holds a lock a loader in another process would
 * wait for: the loader reads graph_defs and the edge table with
 * AccessShareLock, which only AccessExclusiveLock blocks.  Such a caller
 * must not wait for that loader (an undetected deadlock); it loads the
 * graph itself.
 */
static bool
MayWaitForLoader(Oid edges)
{
	LOCKTAG		tag;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, edges);
	if (LockHeldByMe(&tag, AccessExclusiveLock))
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, defs_relid);
	return !LockHeldByMe(&tag, AccessExclusiveLock);
}

/*
 * Pin the version of graph name that def describes, loading it when no
 * process has (connecting SPI then, unless *spi says it is).  The caller
 * releases the pin.
 */
static void
GraphPinVersion(const char *name, const GraphDef *def, GraphPin *pin, bool *spi)
{
	GraphKey	key;

	GraphKeyFor(&key, name, def);
	if (GraphCachePin(&key, pin, MayWaitForLoader(def->edges)))
		return;
	if (!*spi)
	{
		SPI_connect();
		*spi = true;
	}
	PG_TRY();
	{
		GraphBuild(name, def, pin);
	}
	PG_CATCH();
	{
		GraphCacheRelease(pin, -1);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * The definition of graph name (SPI connected when it must be read): the
 * one this process knows while graph_defs is unchanged, else read again.
 * The epoch is taken first, so a change arriving while we read is seen by
 * the next query.  A definition of another transaction makes the cached
 * versions of older generations useless: they are retired.
 */
static GraphDef *
GraphDefGet(const char *name, bool force, bool *spi)
{
	KnownGraph *known;
	uint64		epoch;
	bool		found,
				committed;
	GraphDef   *def;

	KnownGraphs();
	GraphDefsRelid();
	known = hash_search(known_graphs, name, HASH_FIND, NULL);
	if (known != NULL && known->defs_epoch == defs_epoch && !force)
		return &known->def;

	epoch = defs_epoch;
	if (!*spi)
	{
		SPI_connect();
		*spi = true;
	}
	def = GraphDefFetch(name, &committed);
	if (committed)
	{
		GraphKey	key;

		GraphKeyFor(&key, name, NULL);
		key.generation = def->generation;
		GraphCacheRetire(&key, false);
	}
	ForgetGraph(name);
	known = hash_search(known_graphs, name, HASH_ENTER, &found);
	known->def = *def;
	known->def.source = MemoryContextStrdup(TopMemoryContext, def->source);
	known->def.target = MemoryContextStrdup(TopMemoryContext, def->target);
	if (def->weight)
		known->def.weight = MemoryContextStrdup(TopMemoryContext, def->weight);
	known->defs_epoch = epoch;
	return &known->def;
}

/*
 * parproc._graph_load(name): load a graph's current version into the
 * cache; for members of its owner (create_graph and refresh_graph call it
 * after writing the definition, which needs as much).
 */
Datum
parproc_graph_load(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GraphDef   *def;
	GraphPin	pin;
	bool		spi = true;

	CheckGraphName(name);
	SPI_connect();
	def = GraphDefGet(name, true, &spi);
	if (!is_member_of_role(GetUserId(), def->owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the owner of graph \"%s\" to load it", name)));
	CheckEdgeTable(name, def->edges);
	GraphPinVersion(name, def, &pin, &spi);
	GraphCacheRelease(&pin, -1);
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * parproc._graph_unload(name): retire every cached version of a graph
 * (freed at once unless a query is using it).  Only members of its owner
 * may, or anyone once no definition of it is left (as drop_graph leaves
 * it): other roles' graphs stay loaded.
 */
Datum
parproc_graph_unload(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GraphKey	key;
	Oid			owner;

	CheckGraphName(name);
	GraphDefsRelid();
	SPI_connect();
	owner = GraphOwnerNow(name);
	SPI_finish();
	if (OidIsValid(owner) && !is_member_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the owner of graph \"%s\" to unload it", name)));
	ForgetGraph(name);
	GraphKeyFor(&key, name, NULL);
	GraphCacheRetire(&key, true);
	PG_RETURN_VOID();
}

/* Scratch arrays for at least room nodes, kept for the life of the process. */
static PpSpreadScratch *
Scratch(uint64 room)
{
	if (scratch_block == NULL || scratch.room < room)
	{
		/* faulted in at once: page by page, zeroing 49 MB per 1M nodes is slow */
		void	   *block = ParprocAllocHuge(TopMemoryContext, pp_spread_scratch_size(room));

		memset(block, 0, pp_spread_scratch_size(room));

		if (scratch_block)
			pfree(scratch_block);
		scratch_block = block;
		scratch_dirty = false;
		pp_spread_scratch_layout(&scratch, block, room);
	}
	return &scratch;
}

/* Error for a bad parameter value. */
static void
BadParameter(const char *param, const char *rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spread_activation %s must be %s", param, rule)));
}

/* The float8 argument argno, not NULL. */
static double
Float8Arg(FunctionCallInfo fcinfo, int argno, const char *param)
{
	if (PG_ARGISNULL(argno))
		BadParameter(param, "not null");
	return PG_GETARG_FLOAT8(argno);
}

typedef struct SeedWeight
{
	uint32		node;
	double		weight;
} SeedWeight;

static int
SeedOrder(const void *a, const void *b)
{
	uint32		x = ((const SeedWeight *) a)->node,
				y = ((const SeedWeight *) b)->node;

	return x < y ? -1 : x > y;
}

/* The kernel's interrupt check: may leave by longjmp (see scratch_dirty). */
static void
CheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

static void GraphSpread(FunctionCallInfo fcinfo, const char *name, const PpGraph *g,
						PpSpreadParams *pp, double initial, int32 max_nodes,
						Datum *seed_datums, bool *seed_nulls, int nseeds_in,
						Datum *weight_datums, bool *weight_nulls);

/*
 * spread_activation(name, seeds, initial, spread, decay, threshold,
 * inhibition, normalize, max_iterations, epsilon, max_nodes, seed_weights)
 */
Datum
parproc_spread_activation(PG_FUNCTION_ARGS)
{
	char	   *name;
	ArrayType  *seeds_arr;
	Datum	   *seed_datums,
			   *weight_datums = NULL;
	bool	   *seed_nulls,
			   *weight_nulls = NULL;
	int			nseeds_in,
				nweights = 0;
	double		initial;
	PpSpreadParams p;
	int32		max_nodes;
	GraphDef   *def;
	GraphPin	pin;
	bool		spi = false;
	instr_time	start,
				elapsed;
	volatile double elapsed_ms = -1;

	INSTR_TIME_SET_CURRENT(start);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		BadParameter(PG_ARGISNULL(0) ? "graph name" : "seeds", "not null");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CheckGraphName(name);
	seeds_arr = PG_GETARG_ARRAYTYPE_P(1);
	initial = Float8Arg(fcinfo, 2, "initial");
	p.spread = Float8Arg(fcinfo, 3, "spread");
	p.decay = Float8Arg(fcinfo, 4, "decay");
	p.threshold = Float8Arg(fcinfo, 5, "threshold");
	p.inhibition = Float8Arg(fcinfo, 6, "inhibition");
	if (PG_ARGISNULL(7) || PG_ARGISNULL(8) || PG_ARGISNULL(10))
		BadParameter("normalize, max_iterations and max_nodes", "not null");
	p.normalize = PG_GETARG_BOOL(7);
	p.max_iterations = PG_GETARG_INT32(8);
	p.epsilon = Float8Arg(fcinfo, 9, "epsilon");
	max_nodes = PG_GETARG_INT32(10);

	if (!(isfinite(initial) && initial >= 0))
		BadParameter("initial", "finite and >= 0");
	if (!(isfinite(p.spread) && p.spread >= 0))
		BadParameter("spread", "finite and >= 0");
	if (!(p.decay >= 0 && p.decay <= 1))
		BadParameter("decay", "between 0 and 1");
	if (!(isfinite(p.threshold) && p.threshold >= 0))
		BadParameter("threshold", "finite and >= 0");
	if (!(isfinite(p.inhibition) && p.inhibition >= 0))
		BadParameter("inhibition", "finite and >= 0");
	if (!(p.epsilon >= 0) || isnan(p.epsilon))
		BadParameter("epsilon", ">= 0");
	if (p.max_iterations < 0)
		BadParameter("max_iterations", ">= 0");
	if (max_nodes < 0)
		BadParameter("max_nodes", ">= 0");

	deconstruct_array(seeds_arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &seed_datums, &seed_nulls, &nseeds_in);
	if (!PG_ARGISNULL(11))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(11), FLOAT8OID, 8, FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &weight_datums, &weight_nulls, &nweights);
		if (nweights != nseeds_in)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("spread_activation seed_weights has %d elements, seeds %d",
							nweights, nseeds_in),
					 errdetail("Give one weight per seed.")));
	}

	def = GraphDefGet(name, false, &spi);
	CheckEdgeTable(name, def->edges);
	GraphPinVersion(name, def, &pin, &spi);
	if (spi)
		SPI_finish();

	/*
	 * From here on the version is pinned: release it however the query
	 * ends, and count the query when it succeeds.  The caller must be
	 * able to read the edge table this version was loaded from (the
	 * definition's, as the cache key includes it; checked again here on
	 * what is actually served).
	 */
	PG_TRY();
	{
		CheckEdgeTable(name, pin.edges);
		GraphSpread(fcinfo, name, &pin.g, &p, initial, max_nodes, seed_datums, seed_nulls,
					nseeds_in, weight_datums, weight_nulls);
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		elapsed_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	}
	PG_FINALLY();
	{
		GraphCacheRelease(&pin, elapsed_ms);
	}
	PG_END_TRY();
	return (Datum) 0;
}

/*
 * The query proper, on a pinned graph: seeds to node numbers, the kernel,
 * the result rows.
 */
static void
GraphSpread(FunctionCallInfo fcinfo, const char *name, const PpGraph *g, PpSpreadParams *pp,
			double initial, int32 max_nodes, Datum *seed_datums, bool *seed_nulls, int nseeds_in,
			Datum *weight_datums, bool *weight_nulls)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpSpreadParams p = *pp;
	uint32	   *seeds;
	double	   *a0;
	size_t		nseeds = 0,
				nout;
	PpSpreadResult *out;
	SeedWeight *pairs;
	int			npairs = 0,
				i;
	int32		iterations,
				dense;
	int			missing = 0;
	StringInfoData missing_ids;

	/* seeds: node numbers, sorted, the largest weight of a repeated seed */
	seeds = palloc(Max(nseeds_in, 1) * sizeof(uint32));
	a0 = palloc(Max(nseeds_in, 1) * sizeof(double));
	pairs = palloc(Max(nseeds_in, 1) * sizeof(SeedWeight));
	initStringInfo(&missing_ids);
	for (i = 0; i < nseeds_in; i++)
	{
		int64		node;
		double		w = initial;

		if (seed_nulls[i] || (weight_datums && weight_nulls[i]))
			BadParameter("seeds and seed_weights", "free of NULLs");
		if (weight_datums)
		{
			w = DatumGetFloat8(weight_datums[i]);
			if (!(isfinite(w) && w >= 0))
				BadParameter("seed_weights", "finite and >= 0");
		}
		node = pp_graph_find(g, DatumGetInt64(seed_datums[i]));
		if (node < 0)
		{
			if (missing++ < 10)
				appendStringInfo(&missing_ids, "%s" INT64_FORMAT, missing > 1 ? ", " : "",
								 DatumGetInt64(seed_datums[i]));
			continue;
		}
		pairs[npairs].node = (uint32) node;
		pairs[npairs++].weight = w;
	}
	qsort(pairs, npairs, sizeof(SeedWeight), SeedOrder);
	for (i = 0; i < npairs; i++)
	{
		if (nseeds > 0 && seeds[nseeds - 1] == pairs[i].node)
			a0[nseeds - 1] = Max(a0[nseeds - 1], pairs[i].weight);
		else
		{
			seeds[nseeds] = pairs[i].node;
			a0[nseeds++] = pairs[i].weight;
		}
	}
	if (missing > 0)
		ereport(NOTICE,
				(errmsg_plural("%d seed is not in graph \"%s\": %s%s",
							   "%d seeds are not in graph \"%s\": %s%s", missing,
							   missing, name, missing_ids.data, missing > 10 ? ", ..." : "")));

	out = palloc(Max(Min((uint64) max_nodes, g->nnodes), 1) * sizeof(PpSpreadResult));
	p.check = CheckInterrupts;
	{
		PpSpreadScratch *sc = Scratch(g->nnodes);

		/* an interrupted query leaves the scratch dirty: clean it all */
		if (scratch_dirty)
			memset(scratch_block, 0, pp_spread_scratch_size(sc->room));
		scratch_dirty = true;
		nout = pp_spread(g, sc, &p, seeds, a0, nseeds, out,
						 Min((uint64) max_nodes, g->nnodes), &iterations, &dense);
		scratch_dirty = false;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < (int) nout; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(g->ids[out[i].node]);
		values[1] = Float8GetDatum(out[i].activation);
		values[2] = Int32GetDatum(out[i].iteration);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

}

/* Trigger on parproc.graph_defs: tell every session to re-read it. */
Datum
parproc_graph_defs_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "parproc_graph_defs_changed: not called by trigger manager");
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	return PointerGetDatum(NULL);
}
