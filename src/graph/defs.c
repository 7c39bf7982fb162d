/*
 * defs.c
 *		Graph definitions: reading parproc.graph_defs and remembering what
 *		was read, the cache key of a definition's version, pinning (and if
 *		need be loading) that version, the internal load and unload
 *		functions, and the trigger that tells every session a definition
 *		changed.
 *
 * Definitions live in the table parproc.graph_defs; each definition has a
 * generation that refresh_graph makes new.  Loaded versions live in the
 * graph cache (cache.c: shared memory with preload, else this process's),
 * keyed by name, generation, edge table and owner; only the extension
 * assigns generations (a trigger on graph_defs), so a definition a user
 * writes cannot name a version loaded for another.  This process
 * remembers the definitions it has read, and reads one again only after
 * graph_defs changed (a trigger sends a relcache invalidation), so a
 * refresh in any session reaches every session at its next query.  Only
 * members of a graph's owner may load or unload it through the internal
 * functions (anyone may unload it once its definition is gone).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "graph/cache.h"
#include "graph/graph.h"

PG_FUNCTION_INFO_V1(parproc_graph_load);
PG_FUNCTION_INFO_V1(parproc_graph_unload);
PG_FUNCTION_INFO_V1(parproc_graph_defs_changed);

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
	 * Row-level security may show each role other rows: then each role gets
	 * its own copy.  Otherwise every role allowed to read the table (owners
	 * and BYPASSRLS roles included) reads all its rows, and they share one.
	 */
	key->role = def && check_enable_rls(def->edges, InvalidOid, false) == RLS_ENABLED ?
		GetUserId() : InvalidOid;
}

/* Error for a name that cannot be a graph's. */
void
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
void
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
	if (PpLockHeldByMe(&tag, AccessExclusiveLock))
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, defs_relid);
	return !PpLockHeldByMe(&tag, AccessExclusiveLock);
}

/*
 * Pin the version of graph name that def describes, loading it when no
 * process has (connecting SPI then, unless *spi says it is).  The caller
 * releases the pin.
 */
void
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
GraphDef *
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
