/*
 * graph.c
 *		Graphs stored as edge tables, loaded into compressed sparse rows
 *		(kernels/graph.c), and parproc.spread_activation over them.
 *
 * Definitions live in the table parproc.graph_defs; each definition has a
 * generation that refresh_graph increments.  This process keeps the
 * graphs it has used in a cache (name -> CSR block), reloading one when
 * its generation changed, so a refresh in any session reaches every
 * session at its next query.  Loading runs the edge query as the calling
 * role, and every query checks that the caller may still read the edge
 * table.  The spreading-activation scratch arrays are kept between calls
 * and cleaned by the kernel, so a query costs what its frontier touches.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "kernels/graph.h"
#include "parproc.h"

/* InitMaterializedSRF is the 15.1 name of 15.0's SetSingleFuncCall. */
#if PG_VERSION_NUM < 150001
#define InitMaterializedSRF(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#endif

PG_FUNCTION_INFO_V1(parproc_graph_load);
PG_FUNCTION_INFO_V1(parproc_graph_unload);
PG_FUNCTION_INFO_V1(parproc_spread_activation);
PG_FUNCTION_INFO_V1(parproc_graph_cache);
PG_FUNCTION_INFO_V1(parproc_graph_defs_changed);

#define LATENCY_RING 1024		/* p99 over this many latest queries */
#define FETCH_ROWS 10000

typedef struct GraphDef
{
	Oid			edges;
	char	   *source;
	char	   *target;
	char	   *weight;			/* NULL: every weight 1 */
	bool		directed;
	int64		generation;
} GraphDef;

typedef struct GraphEntry
{
	char		name[NAMEDATALEN];	/* hash key */
	int64		generation;
	Oid			edges;			/* the edge table */
	Oid			loaded_by;		/* role whose view of the table was read */
	uint64		defs_epoch;		/* defs_epoch when last checked against graph_defs */
	MemoryContext context;		/* owns block */
	void	   *block;
	Size		bytes;
	PpGraph		g;
	TimestampTz loaded_at;
	Oid			filenode;		/* of the edge table at load */
	int64		changes;		/* its inserted + updated + deleted tuples at load */
	int64		queries;
	double		total_ms;
	double		latency[LATENCY_RING];
} GraphEntry;

static HTAB *graph_cache = NULL;

/*
 * Bumped whenever parproc.graph_defs may have changed: its trigger sends a
 * relcache invalidation, which every session receives at its next
 * transaction.  Until then a cached graph is used without reading its
 * definition again.
 */
static uint64 defs_epoch = 1;
static Oid	defs_relid = InvalidOid;
static Size graph_cache_bytes = 0;
static PpSpreadScratch scratch;
static void *scratch_block = NULL;
static bool scratch_dirty = false;	/* a query was interrupted mid-way */

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

/* The cache, created on first use. */
static HTAB *
GraphCache(void)
{
	if (graph_cache == NULL)
	{
		HASHCTL		ctl;

		CacheRegisterRelcacheCallback(GraphDefsInvalidated, (Datum) 0);

		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(GraphEntry);
		graph_cache = hash_create("parproc graphs", 16, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	return graph_cache;
}

static void GraphEvict(const char *name);

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

/* Read a definition (SPI connected); error if there is none. */
static GraphDef *
GraphDefFetch(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	GraphDef   *def;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	MemoryContext caller = CurrentMemoryContext;

	args[0] = CStringGetTextDatum(name);
	if (SPI_execute_with_args("SELECT edges::oid, source::text, target::text, weight::text, directed, generation "
							  "FROM parproc.graph_defs WHERE name = $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read parproc.graph_defs");
	if (SPI_processed == 0)
	{
		GraphEvict(name);
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
	return def;
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
			e->src = palloc_extended(room * sizeof(int64), MCXT_ALLOC_HUGE);
			e->dst = palloc_extended(room * sizeof(int64), MCXT_ALLOC_HUGE);
			e->w = palloc_extended(room * sizeof(double), MCXT_ALLOC_HUGE);
		}
		else
		{
			e->src = repalloc_huge(e->src, room * sizeof(int64));
			e->dst = repalloc_huge(e->dst, room * sizeof(int64));
			e->w = repalloc_huge(e->w, room * sizeof(double));
		}
		e->room = room;
	}
	e->src[e->n] = s;
	e->dst[e->n] = d;
	e->w[e->n] = w;
	e->n++;
}

/* Read every edge as the current role (SPI connected), validating. */
static void
ReadEdges(const char *name, const GraphDef *def, EdgeList *edges)
{
	StringInfoData q;
	Portal		portal;
	char	   *relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(def->edges)),
													 get_rel_name(def->edges));

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s::int8, %s::int8, %s::float8 FROM %s",
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
			double		w;

			w = DatumGetFloat8(SPI_getbinval(tup, desc, 3, &n3));
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
			EdgeListAppend(edges, s, d, w);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
}

/* The edge table's file node and its count of changed tuples (SPI connected). */
static void
EdgeTableVersion(Oid edges, Oid *filenode, int64 *changes)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1] = {ObjectIdGetDatum(edges)};
	bool		isnull;

	if (SPI_execute_with_args("SELECT pg_relation_filenode($1), "
							  "pg_stat_get_tuples_inserted($1) + pg_stat_get_tuples_updated($1) + "
							  "pg_stat_get_tuples_deleted($1)",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the edge table's statistics");
	*filenode = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		*filenode = InvalidOid;
	*changes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

/* Forget a cached graph. */
static void
GraphEvict(const char *name)
{
	GraphEntry *entry;

	if (graph_cache == NULL)
		return;
	entry = hash_search(graph_cache, name, HASH_FIND, NULL);
	if (entry == NULL)
		return;
	graph_cache_bytes -= entry->bytes;
	MemoryContextDelete(entry->context);
	hash_search(graph_cache, name, HASH_REMOVE, NULL);
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

/* Load (or reload) a graph into the cache (SPI connected). */
static GraphEntry *
GraphLoad(const char *name, const GraphDef *def)
{
	EdgeList	edges = {0};
	int64	   *ids;
	uint64	   *tmp;
	uint64		nnodes,
				nedges;
	Size		bytes,
				limit = (Size) parproc_graph_memory * 1024,
				others;
	MemoryContext context;
	GraphEntry *entry = NULL;
	GraphEntry *old;
	void	   *block;
	PpGraph		g;
	Oid			filenode;
	int64		changes;

	CheckEdgeTable(name, def->edges);
	ValidateDef(name, def);
	ReadEdges(name, def, &edges);
	ids = palloc_extended(Max(2 * edges.n, 1) * sizeof(int64), MCXT_ALLOC_HUGE);
	tmp = palloc_extended(Max(2 * edges.n, 1) * sizeof(uint64), MCXT_ALLOC_HUGE);
	nnodes = pp_graph_distinct_ids(edges.src, edges.dst, edges.n, ids, tmp);
	pfree(tmp);
	if (nnodes > PP_GRAPH_MAX_NODES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("graph \"%s\" has too many nodes", name),
				 errdetail("A graph has at most %llu nodes.",
						   (unsigned long long) PP_GRAPH_MAX_NODES)));
	nedges = def->directed ? edges.n : 2 * edges.n;
	bytes = pp_graph_size(nnodes, nedges);

	old = graph_cache ? hash_search(graph_cache, name, HASH_FIND, NULL) : NULL;
	others = graph_cache_bytes - (old ? old->bytes : 0);
	if (others + bytes > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("graph \"%s\" does not fit in parproc.graph_memory", name),
				 errdetail("It needs %zu kB; graphs already loaded take %zu kB of the %d kB limit.",
						   bytes / 1024, others / 1024, parproc_graph_memory),
				 errhint("Raise parproc.graph_memory.")));

	/*
	 * Build beside the old graph; everything that can fail happens before
	 * the old one is replaced.
	 */
	EdgeTableVersion(def->edges, &filenode, &changes);
	context = AllocSetContextCreate(TopMemoryContext, "parproc graph", ALLOCSET_DEFAULT_SIZES);
	PG_TRY();
	{
		block = MemoryContextAllocExtended(context, Max(bytes, 1), MCXT_ALLOC_HUGE);
		pp_graph_layout(&g, block, nnodes, nedges);
		pp_graph_build(&g, ids, edges.src, edges.dst, edges.w, edges.n, def->directed);
		GraphEvict(name);
		entry = hash_search(GraphCache(), name, HASH_ENTER, NULL);
	}
	PG_CATCH();
	{
		MemoryContextDelete(context);
		PG_RE_THROW();
	}
	PG_END_TRY();

	memset(((char *) entry) + NAMEDATALEN, 0, sizeof(GraphEntry) - NAMEDATALEN);
	entry->context = context;
	entry->block = block;
	entry->bytes = bytes;
	graph_cache_bytes += bytes;
	entry->g = g;
	entry->generation = def->generation;
	entry->edges = def->edges;
	entry->loaded_by = GetUserId();
	entry->loaded_at = GetCurrentTimestamp();
	entry->filenode = filenode;
	entry->changes = changes;
	return entry;
}

/* parproc._graph_load(name): (re)load a graph into this process's cache. */
Datum
parproc_graph_load(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	GraphDef   *def;

	CheckGraphName(name);
	SPI_connect();
	def = GraphDefFetch(name);
	GraphLoad(name, def);
	SPI_finish();
	PG_RETURN_VOID();
}

/* parproc._graph_unload(name): drop a graph from this process's cache. */
Datum
parproc_graph_unload(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	CheckGraphName(name);
	GraphEvict(name);
	PG_RETURN_VOID();
}

/* Scratch arrays for at least room nodes, kept for the life of the process. */
static PpSpreadScratch *
Scratch(uint64 room)
{
	if (scratch_block == NULL || scratch.room < room)
	{
		void	   *block = MemoryContextAllocExtended(TopMemoryContext,
													   pp_spread_scratch_size(room),
													   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

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

/*
 * spread_activation(name, seeds, initial, spread, decay, threshold,
 * inhibition, normalize, max_iterations, epsilon, max_nodes, seed_weights)
 */
Datum
parproc_spread_activation(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name;
	ArrayType  *seeds_arr;
	Datum	   *seed_datums,
			   *weight_datums = NULL;
	bool	   *seed_nulls,
			   *weight_nulls = NULL;
	int			nseeds_in,
				nweights = 0,
				i;
	double		initial;
	PpSpreadParams p;
	int32		max_nodes;
	GraphDef   *def;
	GraphEntry *entry;
	uint32	   *seeds;
	double	   *a0;
	size_t		nseeds = 0,
				nout;
	PpSpreadResult *out;
	SeedWeight *pairs;
	int			npairs = 0;
	int32		iterations,
				dense;
	instr_time	start,
				elapsed;
	int			missing = 0;
	StringInfoData missing_ids;

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

	GraphCache();
	GraphDefsRelid();
	entry = hash_search(graph_cache, name, HASH_FIND, NULL);
	if (entry == NULL || entry->defs_epoch != defs_epoch || entry->loaded_by != GetUserId())
	{
		/*
		 * graph_defs may have changed since: read the definition.  The
		 * epoch is taken first, so a change arriving while we read is
		 * seen by the next query.  A graph loaded by another role (SET
		 * ROLE) is read again: row-level security may show that role
		 * other rows.
		 */
		uint64		epoch = defs_epoch;

		SPI_connect();
		def = GraphDefFetch(name);
		CheckEdgeTable(name, def->edges);
		if (entry == NULL || entry->generation != def->generation ||
			entry->edges != def->edges || entry->loaded_by != GetUserId())
			entry = GraphLoad(name, def);
		entry->defs_epoch = epoch;
		SPI_finish();
	}
	else
		CheckEdgeTable(name, entry->edges);

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
		node = pp_graph_find(&entry->g, DatumGetInt64(seed_datums[i]));
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
				(errmsg("%d seed%s not in graph \"%s\": %s%s", missing, missing > 1 ? "s are" : " is",
						name, missing_ids.data, missing > 10 ? ", ..." : "")));

	out = palloc(Max(Min((uint64) max_nodes, entry->g.nnodes), 1) * sizeof(PpSpreadResult));
	p.check = CheckInterrupts;
	{
		PpSpreadScratch *sc = Scratch(entry->g.nnodes);

		/* an interrupted query leaves the scratch dirty: clean it all */
		if (scratch_dirty)
			memset(scratch_block, 0, pp_spread_scratch_size(sc->room));
		scratch_dirty = true;
		nout = pp_spread(&entry->g, sc, &p, seeds, a0, nseeds, out,
						 Min((uint64) max_nodes, entry->g.nnodes), &iterations, &dense);
		scratch_dirty = false;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < (int) nout; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(entry->g.ids[out[i].node]);
		values[1] = Float8GetDatum(out[i].activation);
		values[2] = Int32GetDatum(out[i].iteration);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, start);
	entry->latency[entry->queries % LATENCY_RING] = INSTR_TIME_GET_MILLISEC(elapsed);
	entry->queries++;
	entry->total_ms += INSTR_TIME_GET_MILLISEC(elapsed);
	return (Datum) 0;
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

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* parproc._graph_cache(): the graphs loaded in this process. */
Datum
parproc_graph_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS status;
	GraphEntry *entry;

	InitMaterializedSRF(fcinfo, 0);
	if (graph_cache == NULL)
		return (Datum) 0;
	hash_seq_init(&status, graph_cache);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		Datum		values[11];
		bool		nulls[11] = {0};
		int			n = (int) Min(entry->queries, LATENCY_RING);
		double		sorted[LATENCY_RING];

		values[0] = CStringGetTextDatum(entry->name);
		values[1] = Int64GetDatum(entry->generation);
		values[2] = Int64GetDatum((int64) entry->g.nnodes);
		values[3] = Int64GetDatum((int64) entry->g.nedges);
		values[4] = Int64GetDatum((int64) entry->bytes);
		values[5] = TimestampTzGetDatum(entry->loaded_at);
		values[6] = ObjectIdGetDatum(entry->filenode);
		values[7] = Int64GetDatum(entry->changes);
		values[8] = Int64GetDatum(entry->queries);
		values[9] = Float8GetDatum(entry->total_ms);
		if (n > 0)
		{
			memcpy(sorted, entry->latency, n * sizeof(double));
			qsort(sorted, n, sizeof(double), cmp_double);
			values[10] = Float8GetDatum(sorted[Min(n - 1, (int) ceil(0.99 * n) - 1)]);
		}
		else
			nulls[10] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
