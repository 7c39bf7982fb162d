/*
 * spec.c
 *		The run spec: what a run's coordinator and workers need, in one flat
 *		buffer (dynamic shared memory for background workers, palloc'd when
 *		the calling session runs alone), and the stage definitions in it.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "pipeline/pipeline.h"

/* The stage definitions carried in spec. */
List *
PpSpecStageDefs(PpRunSpec *spec)
{
	List	   *defs = NIL;
	char	   *p = (char *) spec + spec->stages_off;

	for (int k = 0; k < spec->nstages; k++)
	{
		PpStageDef *def = palloc(sizeof(PpStageDef));

		def->name = pstrdup(p);
		p += strlen(p) + 1;
		def->is_filter = *p == 'f';
		def->group_by = NULL;
		if (*p++ == 'a')
		{
			def->group_by = pstrdup(p);
			p += strlen(p) + 1;
		}
		def->expr = pstrdup(p);
		p += strlen(p) + 1;
		defs = lappend(defs, def);
	}
	return defs;
}

/* The on_conflict text of spec's upsert target, after its stages; or NULL. */
const char *
PpSpecOnConflict(const PpRunSpec *spec)
{
	const char *p = (const char *) spec + spec->stages_off;

	if (!spec->upsert)
		return NULL;
	for (int k = 0; k < spec->nstages; k++)
	{
		p += strlen(p) + 1;		/* the name */
		if (*p++ == 'a')
			p += strlen(p) + 1; /* the group keys */
		p += strlen(p) + 1;
	}
	return p;
}

/* A file source's glob, COPY options and columns (all "" for a table). */
void
PpSpecFileSource(const PpRunSpec *spec, const char **pattern, const char **options,
				 const char **columns)
{
	const char *p = (const char *) spec + spec->stages_off;

	*pattern = *options = *columns = "";
	if (!spec->file_source)
		return;
	for (int k = 0; k < spec->nstages; k++)
	{
		p += strlen(p) + 1;
		if (*p++ == 'a')
			p += strlen(p) + 1;
		p += strlen(p) + 1;
	}
	if (spec->upsert)
		p += strlen(p) + 1;
	*pattern = p;
	p += strlen(p) + 1;
	*options = p;
	p += strlen(p) + 1;
	*columns = p;
}

/* Stage definitions defs and an upsert's on_conflict (or NULL) for a spec. */
void
PpSpecEncodeStages(StringInfo buf, List *defs, const char *on_conflict)
{
	ListCell   *lc;

	foreach(lc, defs)
	{
		PpStageDef *def = lfirst(lc);

		appendBinaryStringInfo(buf, def->name, strlen(def->name) + 1);
		appendStringInfoChar(buf, def->is_filter ? 'f' : def->group_by ? 'a' : 'm');
		if (def->group_by)
			appendBinaryStringInfo(buf, def->group_by, strlen(def->group_by) + 1);
		appendBinaryStringInfo(buf, def->expr, strlen(def->expr) + 1);
	}
	if (on_conflict)
		appendBinaryStringInfo(buf, on_conflict, strlen(on_conflict) + 1);
}

/*
 * A new spec: head's fields, then its sections: the stage definitions
 * (stages_len bytes), their resolved trees, the GUC state (guc, or this
 * session's when NULL), nparts parts and nchunks chunks (parts and chunks
 * left for the caller).
 */
PpRunSpec *
PpBuildSpec(const PpRunSpec *head, const char *stages, Size stages_len, const char *resolved,
			const char *guc, Size guc_len, int nparts, int64 nchunks, const char *names,
			Size names_len, void *(*alloc) (Size))
{
	Size		resolved_len = strlen(resolved) + 1;
	Size		off;
	PpRunSpec  *spec;

	if (guc == NULL)
		guc_len = EstimateGUCStateSpace();
	off = MAXALIGN(sizeof(PpRunSpec));
	off += MAXALIGN(stages_len);
	off += MAXALIGN(resolved_len);
	off += MAXALIGN(guc_len);
	off += MAXALIGN(sizeof(PpPart) * Max(nparts, 1));
	off += MAXALIGN(sizeof(PpChunkRef) * Max(nchunks, 1));
	off += names_len;

	spec = alloc(off);
	memcpy(spec, head, sizeof(PpRunSpec));
	spec->total_size = off;
	spec->stages_off = MAXALIGN(sizeof(PpRunSpec));
	memcpy((char *) spec + spec->stages_off, stages, stages_len);
	spec->resolved_off = spec->stages_off + MAXALIGN(stages_len);
	memcpy(PpSpecResolved(spec), resolved, resolved_len);
	spec->guc_off = spec->resolved_off + MAXALIGN(resolved_len);
	spec->guc_len = guc_len;
	if (guc == NULL)
		SerializeGUCState(guc_len, (char *) spec + spec->guc_off);
	else
		memcpy((char *) spec + spec->guc_off, guc, guc_len);
	spec->nparts = nparts;
	spec->parts_off = spec->guc_off + MAXALIGN(guc_len);
	spec->nchunks = nchunks;
	spec->chunks_off = spec->parts_off + MAXALIGN(sizeof(PpPart) * Max(nparts, 1));
	spec->names_off = spec->chunks_off + MAXALIGN(sizeof(PpChunkRef) * Max(nchunks, 1));
	if (names_len > 0)
		memcpy((char *) spec + spec->names_off, names, names_len);
	pg_atomic_init_u64(&spec->next_chunk, 0);
	pg_atomic_init_u64(&spec->next_range, 0);
	return spec;
}

/* The stage definitions of spec as the stages document (a JSON array). */
char *
PpSpecStagesJson(PpRunSpec *spec)
{
	StringInfoData json;
	ListCell   *lc;

	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	foreach(lc, PpSpecStageDefs(spec))
	{
		PpStageDef *def = lfirst(lc);

		appendStringInfoString(&json, json.len > 1 ? ", {\"name\": " : "{\"name\": ");
		escape_json(&json, def->name);
		if (def->group_by)
		{
			appendStringInfoString(&json, ", \"group_by\": ");
			escape_json(&json, def->group_by);
		}
		appendStringInfoString(&json, def->is_filter ? ", \"filter\": " :
							   def->group_by ? ", \"aggregates\": " : ", \"map\": ");
		escape_json(&json, def->expr);
		appendStringInfoChar(&json, '}');
	}
	appendStringInfoChar(&json, ']');
	return json.data;
}
