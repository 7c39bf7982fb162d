/*
 * catalog.c
 *		Pipeline definitions and the bookkeeping tables of parproc's schema.
 *
 * The tables (parproc.pipeline_defs, run_history, run_chunks, ...) have no
 * privileges for PUBLIC; users read them through views.  parproc's C code
 * writes them as the role that owns them, the way RI triggers run as the
 * table owner, with search_path pinned to pg_catalog so no object of the
 * caller's can stand in for a catalog operator while it does.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/varlena.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "parproc.h"
#include "pipeline/pipeline.h"

PG_FUNCTION_INFO_V1(parproc_create_pipeline);
PG_FUNCTION_INFO_V1(parproc_drop_pipeline);

/* The role owning parproc's bookkeeping tables. */
Oid
PpCatalogOwner(void)
{
	Oid			nsp = get_namespace_oid("parproc", false);
	Oid			relid = get_relname_relid("run_history", nsp);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("parproc.run_history does not exist"),
				 errhint("Update the extension with ALTER EXTENSION parproc UPDATE.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Run one statement of parproc's own over its tables, as their owner, inside
 * the caller's SPI connection; through snapshot snap when it is given, as
 * SPI would otherwise; with the plan kept in *kept, if given, for the life
 * of the process (the plan cache replans it when the tables change).
 * Returns SPI's result code.
 */
static void
ActAsCatalogOwner(PpIdentity *saved)
{
	GetUserIdAndSecContext(&saved->user, &saved->sec_context);
	SetUserIdAndSecContext(PpCatalogOwner(),
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	saved->nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

static void
ActAsCatalogOwnerEnd(PpIdentity *saved)
{
	AtEOXact_GUC(true, saved->nest);
	SetUserIdAndSecContext(saved->user, saved->sec_context);
}

static int
CatalogExec(const char *sql, SPIPlanPtr *kept, int nargs, Oid *types, Datum *values,
			const char *nulls, bool read_only, Snapshot snap)
{
	PpIdentity	saved;
	int			ret;

	ActAsCatalogOwner(&saved);
	if (snap != InvalidSnapshot || kept != NULL)
	{
		SPIPlanPtr	plan = kept ? *kept : NULL;

		if (plan == NULL)
			plan = SPI_prepare(sql, nargs, types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (kept && *kept == NULL)
		{
			SPI_keepplan(plan);
			*kept = plan;
		}
		ret = SPI_execute_snapshot(plan, values, nulls, snap, InvalidSnapshot,
								   read_only, false, 0);
	}
	else
		ret = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	ActAsCatalogOwnerEnd(&saved);
	return ret;
}

/*
 * A query of parproc's own over its tables as a cursor, opened (privileges
 * checked, planned) as CatalogExec runs statements, for reading more rows
 * than fit in memory; it sees what the transaction wrote so far.
 */
Portal
PpCatalogCursor(const char *sql, int nargs, Oid *types, Datum *values)
{
	PpIdentity	saved;
	Portal		portal;

	ActAsCatalogOwner(&saved);
	portal = SPI_cursor_open_with_args(NULL, sql, nargs, types, values, NULL, false, 0);
	if (portal == NULL)
		elog(ERROR, "SPI_cursor_open failed: %s", SPI_result_code_string(SPI_result));
	ActAsCatalogOwnerEnd(&saved);
	return portal;
}

/* CatalogExec through snapshot snap. */
int
PpCatalogExecSnapshot(const char *sql, int nargs, Oid *types, Datum *values,
					  const char *nulls, bool read_only, Snapshot snap)
{
	return CatalogExec(sql, NULL, nargs, types, values, nulls, read_only, snap);
}

/*
 * CatalogExec of a statement run per chunk or per failed row, its plan kept
 * in *kept: parsing and planning it each time cost more than running it.
 */
int
PpCatalogExecKept(SPIPlanPtr *kept, const char *sql, int nargs, Oid *types, Datum *values,
				  const char *nulls)
{
	return CatalogExec(sql, kept, nargs, types, values, nulls, false, InvalidSnapshot);
}

/*
 * Act as role from here to PpActAsEnd, as VACUUM and REFRESH MATERIALIZED
 * VIEW run a table owner's code: a security-restricted operation, whose
 * settings changes are undone at the end.  What a pipeline evaluates in
 * the calling session (constants folded when its stages are resolved,
 * dry_run, a run without background workers) runs so as its owner, never
 * with the caller's privileges.  An error undoes it all with the
 * (sub)transaction.
 */
void
PpActAs(Oid role, PpIdentity *saved)
{
	GetUserIdAndSecContext(&saved->user, &saved->sec_context);
	SetUserIdAndSecContext(role, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	saved->nest = NewGUCNestLevel();
}

/* Back to the identity and settings PpActAs saved. */
void
PpActAsEnd(PpIdentity *saved)
{
	AtEOXact_GUC(false, saved->nest);
	SetUserIdAndSecContext(saved->user, saved->sec_context);
}

/* PpCatalogExecSnapshot through SPI's usual snapshot. */
int
PpCatalogExec(const char *sql, int nargs, Oid *types, Datum *values,
			  const char *nulls, bool read_only)
{
	return CatalogExec(sql, NULL, nargs, types, values, nulls, read_only, InvalidSnapshot);
}

/*
 * Refuse to run pipelines while the extension's SQL objects are older than
 * what this library writes (after installing a new library, before ALTER
 * EXTENSION parproc UPDATE).
 */
void
PpRequireCatalogVersion(void)
{
	char	   *version = NULL;

	SPI_connect();
	PpCatalogExec("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'parproc'",
				  0, NULL, NULL, NULL, true);
	if (SPI_processed == 1)
		version = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (version == NULL || strcmp(version, "0.1") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("parproc's library needs version 0.2 of the extension to run pipelines"),
				 errdetail("The extension in this database is at version %s.",
						   version ? version : "(none)"),
				 errhint("Run ALTER EXTENSION parproc UPDATE.")));
	SPI_finish();
}

/* Text of column col of SPI result row, or NULL. */
static char *
SpiText(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

/*
 * Check a stages document and return its stages (PpStageDef, in the current
 * memory context): a JSON array of {"name": ..., "filter" | "map": ...} or
 * {"name": ..., "group_by": ..., "aggregates": ...}.
 */
List *
PpParseStages(Datum stages)
{
	MemoryContext cxt = CurrentMemoryContext;
	Oid			types[1] = {JSONBOID};
	Datum		values[1] = {stages};
	List	   *defs = NIL;

	SPI_connect();
	PpCatalogExec("SELECT jsonb_typeof($1)", 1, types, values, NULL, true);
	if (strcmp(SpiText(0, 1), "array") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("stages must be a JSON array"),
				 errhint("Write stages as '[{\"name\": \"valid\", \"filter\": \"x > 0\"}, "
						 "{\"name\": \"out\", \"map\": \"id, x * 2 AS y\"}]'.")));
	PpCatalogExec("SELECT o, jsonb_typeof(e), e->>'name', jsonb_typeof(e->'name'),"
				  " jsonb_typeof(e->'filter'), jsonb_typeof(e->'map'), e->>'filter', e->>'map',"
				  " CASE WHEN jsonb_typeof(e) = 'object' THEN"
				  "  (SELECT string_agg(quote_ident(k), ', ') FROM jsonb_object_keys(e) k"
				  "   WHERE k NOT IN ('name', 'filter', 'map', 'aggregates', 'group_by')) END,"
				  " jsonb_typeof(e->'aggregates'), e->>'aggregates',"
				  " jsonb_typeof(e->'group_by'), e->>'group_by'"
				  " FROM jsonb_array_elements($1) WITH ORDINALITY x(e, o) ORDER BY o",
				  1, types, values, NULL, true);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *kind = SpiText(i, 2);
		char	   *name = SpiText(i, 3);
		char	   *ntype = SpiText(i, 4);
		char	   *ftype = SpiText(i, 5);
		char	   *mtype = SpiText(i, 6);
		char	   *unknown = SpiText(i, 9);
		char	   *atype = SpiText(i, 10);
		char	   *gtype = SpiText(i, 12);
		const char *kindkey = ftype ? "filter" : mtype ? "map" : "aggregates";
		MemoryContext old;
		PpStageDef *def;
		ListCell   *lc;

		if (strcmp(kind, "object") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage %lu is a JSON %s, not an object", (unsigned long) i + 1, kind)));
		if (ntype == NULL || strcmp(ntype, "string") != 0 || name[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage %lu has no name", (unsigned long) i + 1),
					 errhint("Give every stage a \"name\" string.")));
		if (strlen(name) >= NAMEDATALEN)
			ereport(ERROR,
					(errcode(ERRCODE_NAME_TOO_LONG),
					 errmsg("stage name \"%s\" is longer than %d bytes", name, NAMEDATALEN - 1)));
		if (unknown)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%s\" has unknown keys: %s", name, unknown),
					 errhint("A stage has a \"name\" and one of \"filter\", \"map\" and "
							 "\"aggregates\" (with \"group_by\").")));
		if ((ftype != NULL) + (mtype != NULL) + (atype != NULL) != 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%s\" must have exactly one of \"filter\", \"map\" and "
							"\"aggregates\"", name)));
		if (strcmp(ftype ? ftype : mtype ? mtype : atype, "string") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the %s of stage \"%s\" is not a JSON string", kindkey, name)));
		if (gtype && atype == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("stage \"%s\" has \"group_by\" without \"aggregates\"", name),
					 errhint("An aggregate stage has \"group_by\" (its group keys, possibly \"\") "
							 "and \"aggregates\" (its aggregate calls).")));
		if (gtype && strcmp(gtype, "string") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the group_by of stage \"%s\" is not a JSON string", name)));
		foreach(lc, defs)
			if (strcmp(((PpStageDef *) lfirst(lc))->name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("two stages are named \"%s\"", name)));
		old = MemoryContextSwitchTo(cxt);
		def = palloc(sizeof(PpStageDef));
		def->name = pstrdup(name);
		def->is_filter = ftype != NULL;
		def->expr = pstrdup(SpiText(i, ftype ? 7 : mtype ? 8 : 11));
		def->group_by = NULL;
		if (atype)
			def->group_by = gtype ? pstrdup(SpiText(i, 13)) : pstrdup("");
		defs = lappend(defs, def);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return defs;
}

/*
 * The definition of pipeline name; NULL when there is none.  The stages
 * document, and the on_conflict clause (NULL: none) and file source
 * (pattern NULL: a table) if asked for, are copied into the current memory
 * context.
 */
char *
PpLookupPipeline(const char *name, Oid *owner, Oid *source, Oid *target, Datum *stages,
				 char **on_conflict, PpFileDef *file)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};
	char	   *found = NULL;

	SPI_connect();
	/* the columns of 0.2 through the row */
	PpCatalogExec("SELECT owner, source, target, stages, to_jsonb(d)->>'on_conflict',"
				  " to_jsonb(d)->>'source_file', to_jsonb(d)->>'source_options',"
				  " to_jsonb(d)->>'source_columns'"
				  " FROM parproc.pipeline_defs d WHERE name = $1",
				  1, types, values, NULL, true);
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		*owner = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		*source = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		if (isnull)
			*source = InvalidOid;
		*target = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		*stages = SPI_datumTransfer(SPI_getbinval(tup, desc, 4, &isnull), false, -1);
		if (on_conflict)
		{
			char	   *text = SPI_getvalue(tup, desc, 5);

			*on_conflict = text ? strcpy(SPI_palloc(strlen(text) + 1), text) : NULL;
		}
		if (file)
		{
			char	  **out[3] = {&file->pattern, &file->options, &file->columns};

			for (int i = 0; i < 3; i++)
			{
				char	   *text = SPI_getvalue(tup, desc, 6 + i);

				*out[i] = text ? strcpy(SPI_palloc(strlen(text) + 1), text) : NULL;
			}
		}
		found = SPI_palloc(strlen(name) + 1);
		strcpy(found, name);
	}
	SPI_finish();
	return found;
}

/*
 * The definition of pipeline name, for a member of its owner's role who is
 * about to act on it (verb: "run", "drop", ...); errors otherwise.  Returns
 * the owner.
 */
Oid
PpLookupOwnedPipeline(const char *name, const char *verb, Oid *source, Oid *target,
					  Datum *stages, char **on_conflict, PpFileDef *file)
{
	Oid			owner;

	if (!PpLookupPipeline(name, &owner, source, target, stages, on_conflict, file))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("pipeline \"%s\" does not exist", name)));
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be a member of the owner of pipeline \"%s\" to %s it",
						name, verb)));
	return owner;
}

/* ereport unless the current user has privilege mode on relation relid. */
static void
CheckTablePrivilege(Oid relid, AclMode mode)
{
	if (pg_class_aclcheck(relid, GetUserId(), mode) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
}

/* An optional text argument, NULL when absent (an older signature) or null. */
static char *
OptionalText(FunctionCallInfo fcinfo, int argno)
{
	return PG_NARGS() <= argno || PG_ARGISNULL(argno) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/*
 * A file source's options as stored: as given, with the encoding of this
 * session's client made explicit when none is (COPY's default, which the
 * run's workers do not have).
 */
static char *
FileSourceOptions(const char *options)
{
	bool		csv,
				header;
	char		quote,
				escape;
	int			encoding;

	(void) PpFileOptions(options, &csv, &quote, &escape, &encoding, &header);
	if (encoding >= 0)
		return pstrdup(options);
	return psprintf("%s%sENCODING %s", options, options[0] ? ", " : "",
					quote_literal_cstr(pg_get_client_encoding_name()));
}

/*
 * create_pipeline(name, source, target, stages, create_target, on_conflict,
 * source_options, source_columns): source is a table's name, or 'file:' and
 * an absolute path or glob on the server (0.1's takes a regclass).
 */
Datum
parproc_create_pipeline(PG_FUNCTION_ARGS)
{
	char	   *name;
	Oid			source_id = InvalidOid;
	RangeVar   *rv;
	Relation	source = NULL;
	Relation	target;
	Oid			target_id;
	TupleDesc	srcdesc;
	List	   *defs;
	Oid			types[9] = {TEXTOID, OIDOID, OIDOID, OIDOID, JSONBOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID};
	Datum		values[9];
	char		nulls[9];
	Oid			owner,
				o1,
				o2;
	Datum		d;
	char	   *on_conflict = OptionalText(fcinfo, 5);
	PpFileDef	file = {NULL, OptionalText(fcinfo, 6), OptionalText(fcinfo, 7)};

	for (int i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("create_pipeline arguments cannot be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (get_fn_expr_argtype(fcinfo->flinfo, 1) == REGCLASSOID)
		source_id = PG_GETARG_OID(1);
	else
	{
		char	   *s = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (strncmp(s, "file:", 5) == 0)
			file.pattern = s + 5;
		else
			source_id = DatumGetObjectId(DirectFunctionCall1(regclassin, CStringGetDatum(s)));
	}
	if (file.pattern == NULL && (file.options || file.columns))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source_options and source_columns are for file sources"),
				 errhint("A file source is 'file:' followed by an absolute path or glob.")));
	if (strlen(name) < 1 || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("pipeline name must be 1 to %d bytes long", NAMEDATALEN - 1)));
	if (PpLookupPipeline(name, &o1, &o2, &o2, &d, NULL, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("pipeline \"%s\" already exists", name)));

	rv = makeRangeVarFromNameList(textToQualifiedNameList(PG_GETARG_TEXT_PP(2)));
	if (file.pattern)
	{
		PpCheckFileAccess(GetUserId(), file.pattern);
		file.options = FileSourceOptions(file.options ? file.options : "");
		if (file.columns == NULL)
		{
			/* the target's columns */
			Oid			t = RangeVarGetRelid(rv, AccessShareLock, true);

			if (!OidIsValid(t))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a file source without source_columns reads the target's "
								"columns, and target \"%s\" does not exist", rv->relname),
						 errhint("Give source_columns, the columns of the files.")));
			target = table_open(t, AccessShareLock);
			file.columns = PpColumnList(RelationGetDescr(target));
			table_close(target, NoLock);
		}
		srcdesc = PpFileColumns(file.columns);
	}
	else
	{
		CheckTablePrivilege(source_id, ACL_SELECT);
		source = table_open(source_id, AccessShareLock);
		PpCheckSource(source);
		srcdesc = RelationGetDescr(source);
	}
	defs = PpParseStages(PG_GETARG_DATUM(3));

	if (PG_GETARG_BOOL(4))
	{
		char	   *cols = PpTargetColumns(defs, srcdesc);

		if (OidIsValid(RangeVarGetRelid(rv, NoLock, true)))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("target table \"%s\" already exists", rv->relname),
					 errhint("Pass create_target => false to write into it.")));
		SPI_connect();
		if (SPI_execute(psprintf("CREATE TABLE %s (%s)",
								 quote_qualified_identifier(rv->schemaname, rv->relname),
								 cols), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not create the target table");
		SPI_finish();
		CommandCounterIncrement();
	}
	target_id = RangeVarGetRelid(rv, NoLock, false);
	CheckTablePrivilege(target_id, ACL_INSERT);
	target = table_open(target_id, AccessShareLock);
	PpCheckTarget(target);
	(void) PpCompile(defs, NULL, srcdesc, source, target);
	if (on_conflict)
		PpCheckOnConflict(target, on_conflict);
	table_close(target, NoLock);
	if (source)
		table_close(source, NoLock);

	owner = GetUserId();
	values[0] = CStringGetTextDatum(name);
	values[1] = ObjectIdGetDatum(owner);
	values[2] = ObjectIdGetDatum(source_id);
	values[3] = ObjectIdGetDatum(target_id);
	values[4] = PG_GETARG_DATUM(3);
	values[5] = on_conflict ? CStringGetTextDatum(on_conflict) : (Datum) 0;
	values[6] = file.pattern ? CStringGetTextDatum(file.pattern) : (Datum) 0;
	values[7] = file.pattern ? CStringGetTextDatum(file.options) : (Datum) 0;
	values[8] = file.pattern ? CStringGetTextDatum(file.columns) : (Datum) 0;
	memset(nulls, ' ', sizeof(nulls));
	nulls[2] = file.pattern ? 'n' : ' ';
	nulls[5] = on_conflict ? ' ' : 'n';
	nulls[6] = nulls[7] = nulls[8] = file.pattern ? ' ' : 'n';
	SPI_connect();
	/* (0.1's create_pipeline has five arguments, its table no on_conflict) */
	PpCatalogExec(PG_NARGS() < 6 ?
				  "INSERT INTO parproc.pipeline_defs (name, owner, source, target, stages)"
				  " VALUES ($1, $2, $3, $4, $5)" :
				  "INSERT INTO parproc.pipeline_defs"
				  " (name, owner, source, target, stages, on_conflict, source_file,"
				  " source_options, source_columns)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
				  PG_NARGS() < 6 ? 5 : 9, types, values, nulls, false);
	SPI_finish();
	PG_RETURN_VOID();
}

/* drop_pipeline(name): the owner (or a member of its role) only */
Datum
parproc_drop_pipeline(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {PG_GETARG_DATUM(0)};
	Oid			source,
				target;
	Datum		stages;

	(void) PpLookupOwnedPipeline(name, "drop", &source, &target, &stages, NULL, NULL);
	SPI_connect();
	PpCatalogExec("DELETE FROM parproc.pipeline_defs WHERE name = $1", 1, types, values,
				  NULL, false);
	SPI_finish();
	PG_RETURN_VOID();
}
