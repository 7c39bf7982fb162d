/*
 * aggregate.c
 *		Aggregate stages: every chunk aggregates its rows into partial states
 *		per group, stored in parproc.run_partials with the chunk's done mark;
 *		when every chunk is done, a final step combines the partial states
 *		of each group, finalizes them and writes the results to the target.
 *
 * This is PostgreSQL's own parallel aggregation (nodeAgg.c's partial and
 * final modes) across transactions: the aggregates' transition, combine,
 * serialization and final functions are called as nodeAgg.c calls them,
 * with an AggState as their context (so AggCheckCallContext and
 * AggGetAggref work), the same rules for strict functions, initial values
 * and by-reference states, and the same per-group memory.  Aggregates
 * without a combine function, DISTINCT and ORDER BY in calls, and
 * ordered-set aggregates are refused when the pipeline is created
 * (PpCheckAggregate), as the planner refuses them a partial aggregation.
 *
 * Groups are found by hashing their keys with the hash functions of
 * GROUP BY's equality operators (which agree with them).  A chunk keeps its
 * groups in a hash table; when their memory passes work_mem times
 * hash_mem_multiplier (as a hash aggregation's would), or at the chunk's
 * end, their states are serialized (internal states with the aggregate's
 * serialization function, others with their type's send function) and
 * written as rows (khash, keys, states); a chunk may write a group more
 * than once.
 *
 * The final step is PP_FINAL_RANGES steps, one per range of the keys'
 * hashes (a group is in one range), which workers claim as they claim
 * chunks.  A range reads its partial rows ordered by the keys' hash (an
 * index scan, or a sort that spills past work_mem), so the rows of a group
 * arrive together with those of the few other groups of the same hash:
 * only those are in memory at a time, whatever the number of groups.  A
 * range is one transaction: its target rows, its partial rows deleted, and
 * its final mark (a parproc.run_chunks row of part -1, chunk r) commit
 * together; a resume does only the ranges without a mark.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/nodeAgg.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_agg.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/regproc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "compat.h"
#include "parproc.h"
#include "pipeline/pipeline.h"

/* A type's binary send and receive functions (partial rows store values so). */
typedef struct BinaryIO
{
	FmgrInfo	send;
	FmgrInfo	recv;
	Oid			ioparam;
}			BinaryIO;

/* An aggregate call's functions and state type, resolved for its inputs. */
typedef struct AggFn
{
	PpAggCall  *call;
	Oid			transtype;
	int16		translen;
	bool		transbyval;
	Datum		initval;
	bool		initnull;
	FmgrInfo	transfn;
	FmgrInfo	combinefn;
	FmgrInfo	serialfn;		/* an internal state's */
	FmgrInfo	deserialfn;
	BinaryIO	io;				/* another state's */
	FmgrInfo	finalfn;
	bool		has_final;
	int			nfinalargs;
	AggStatePerTransData pertrans;	/* what AggGetAggref finds */
	AggStatePerAggData peragg;
	FunctionCallInfo tcall;		/* transfn's call, */
	FunctionCallInfo ccall;		/* combinefn's, */
	FunctionCallInfo scall;		/* serialfn's or deserialfn's, */
	FunctionCallInfo fcall;		/* finalfn's */
}			AggFn;

/* A group's state of one call, as nodeAgg.c's AggStatePerGroupData. */
typedef struct Trans
{
	Datum		value;
	bool		isnull;
	bool		notrans;		/* no input yet, and no initial value */
}			Trans;

typedef struct AggGroup
{
	uint32		hash;
	Datum	   *keys;
	bool	   *keynulls;
	Trans		trans[FLEXIBLE_ARRAY_MEMBER];
}			AggGroup;

typedef struct GroupEntry
{
	AggGroup   *group;
	uint32		hash;
	char		status;
}			GroupEntry;

typedef struct Aggregator Aggregator;
static bool KeysEqual(Aggregator * ag, const AggGroup * a, const AggGroup * b);

#define SH_PREFIX groups
#define SH_ELEMENT_TYPE GroupEntry
#define SH_KEY_TYPE AggGroup *
#define SH_KEY group
#define SH_HASH_KEY(tb, key) ((key)->hash)
#define SH_EQUAL(tb, a, b) KeysEqual((Aggregator *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct Aggregator
{
	PpAgg	   *agg;
	int			nkeys;
	FmgrInfo   *keyhash;
	FmgrInfo   *keyeq;
	Oid		   *keycoll;
	int16	   *keylen;
	bool	   *keybyval;
	BinaryIO   *keyio;
	AggFn	   *fns;
	AggState   *aggstate;		/* the functions' caller, as they see it */
	ExprContext *statecxt;		/* its memory: the groups and their states */
	ExprContext *tmpcxt;		/* the calls' own memory */
	groups_hash *groups;		/* a chunk's groups */
	AggGroup   *probe;
};

/* The pg_aggregate row of call, which the caller releases. */
static Form_pg_aggregate
AggregateRow(PpAggCall * call, HeapTuple *tup)
{
	*tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(call->aggref->aggfnoid));
	if (!HeapTupleIsValid(*tup))
		elog(ERROR, "cache lookup failed for aggregate %u", call->aggref->aggfnoid);
	return (Form_pg_aggregate) GETSTRUCT(*tup);
}

/* The state type of call, polymorphic types resolved. */
static Oid
CallTransType(PpAggCall * call, Form_pg_aggregate form)
{
	Oid			types[FUNC_MAX_ARGS];
	int			n = get_aggregate_argtypes(call->aggref, types);

	return resolve_aggregate_transtype(call->aggref->aggfnoid, form->aggtranstype, types, n);
}

/* Refuse a type whose values parproc cannot store (send/receive). */
static void
CheckStorable(Oid type, const char *what, const char *stage)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
	bool		ok;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for type %u", type);
	ok = OidIsValid(((Form_pg_type) GETSTRUCT(tup))->typsend) &&
		OidIsValid(((Form_pg_type) GETSTRUCT(tup))->typreceive);
	ReleaseSysCache(tup);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s of stage \"%s\" is of type %s, which has no binary send and "
						"receive functions", what, stage, format_type_be(type)),
				 errdetail("Partial results of chunks are stored in binary form.")));
}

/*
 * Refuse what an aggregate stage cannot compute from partial results, as
 * the planner refuses it a partial aggregation: calls with DISTINCT or
 * ORDER BY, ordered-set aggregates, aggregates without a combine function
 * (or, with an internal state, without serialization functions).
 */
void
PpCheckAggregate(PpAgg * agg, const char *stage)
{
	for (int k = 0; k < agg->nkeys; k++)
		CheckStorable(TupleDescAttr(agg->outdesc, k)->atttypid,
					  psprintf("group key \"%s\"", NameStr(TupleDescAttr(agg->outdesc, k)->attname)),
					  stage);
	for (int j = 0; j < agg->ncalls; j++)
	{
		PpAggCall  *call = &agg->calls[j];
		Aggref	   *a = call->aggref;
		const char *name = format_procedure(a->aggfnoid);
		HeapTuple	tup;
		Form_pg_aggregate form;
		Oid			transtype;

		if (a->aggkind != AGGKIND_NORMAL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("stage \"%s\" calls ordered-set aggregate %s", stage, name),
					 errdetail("An aggregate stage combines partial results of chunks, which "
							   "ordered-set aggregates cannot.")));
		if (a->aggdistinct || a->aggorder)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("stage \"%s\" calls %s with %s", stage, name,
							a->aggdistinct ? "DISTINCT" : "ORDER BY"),
					 errdetail("An aggregate stage combines partial results of chunks, which "
							   "DISTINCT and ORDER BY in an aggregate call cannot."),
					 a->aggdistinct ?
					 errhint("Count distinct values with parproc.hll_agg, or group by the "
							 "value in an earlier pipeline.") : 0));
		form = AggregateRow(call, &tup);
		transtype = CallTransType(call, form);
		if (!OidIsValid(form->aggcombinefn))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("aggregate %s has no combine function", name),
					 errdetail("Stage \"%s\" aggregates chunks in parallel and combines their "
							   "partial results, which %s cannot.", stage, name),
					 errhint("Use an aggregate with a combine function (the ones PostgreSQL "
							 "runs in parallel), or aggregate after the run.")));
		if (transtype == INTERNALOID &&
			(!OidIsValid(form->aggserialfn) || !OidIsValid(form->aggdeserialfn)))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("aggregate %s has no serialization functions", name),
					 errdetail("Stage \"%s\" stores partial results of chunks, and %s's "
							   "state is of type internal.", stage, name)));
		ReleaseSysCache(tup);
		if (transtype != INTERNALOID)
			CheckStorable(transtype, psprintf("the state of %s", name), stage);
	}
}

/* fn's FmgrInfo for function fnoid, with an expression for its argument types. */
static void
InitFn(FmgrInfo *fn, Oid fnoid, Expr *expr)
{
	fmgr_info(fnoid, fn);
	fmgr_info_set_expr((Node *) expr, fn);
}

/* A call's function call data, for fn with nargs arguments. */
static FunctionCallInfo
NewCall(FmgrInfo *fn, int nargs, Oid collation, AggState *context)
{
	FunctionCallInfo fcinfo = palloc0(SizeForFunctionCallInfo(nargs));

	InitFunctionCallInfoData(*fcinfo, fn, nargs, collation, (Node *) context, NULL);
	return fcinfo;
}

/*
 * Check the privileges ExecInitAgg checks: the caller's to execute the
 * aggregate, its owner's to execute its functions.
 */
static void
CheckAggPrivileges(Aggref *a, Form_pg_aggregate form)
{
	Oid			fns[5] = {form->aggtransfn, form->aggcombinefn, form->aggserialfn,
	form->aggdeserialfn, form->aggfinalfn};
	HeapTuple	tup;
	Oid			owner;

	if (PpProcAclcheck(a->aggfnoid, GetUserId()) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_AGGREGATE, get_func_name(a->aggfnoid));
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(a->aggfnoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", a->aggfnoid);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	for (int i = 0; i < 5; i++)
		if (OidIsValid(fns[i]) && PpProcAclcheck(fns[i], owner) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, get_func_name(fns[i]));
}

static void
InitBinaryIO(BinaryIO * io, Oid type)
{
	Oid			fn;
	bool		varlena;

	getTypeBinaryOutputInfo(type, &fn, &varlena);
	fmgr_info(fn, &io->send);
	getTypeBinaryInputInfo(type, &fn, &io->ioparam);
	fmgr_info(fn, &io->recv);
}

/* Set up fn for call, as nodeAgg.c's build_pertrans_for_aggref and finalize. */
static void
InitAggFn(Aggregator * ag, AggFn * f, PpAggCall * call)
{
	Aggref	   *a = call->aggref;
	Oid			types[FUNC_MAX_ARGS];
	int			nargs = get_aggregate_argtypes(a, types);
	HeapTuple	tup;
	Form_pg_aggregate form = AggregateRow(call, &tup);
	Expr	   *expr;
	Expr	   *unused;
	Datum		initval;

	CheckAggPrivileges(a, form);
	f->call = call;
	f->transtype = CallTransType(call, form);
	get_typlenbyval(f->transtype, &f->translen, &f->transbyval);
	initval = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &f->initnull);
	if (!f->initnull)
	{
		Oid			input;
		Oid			ioparam;

		getTypeInputInfo(f->transtype, &input, &ioparam);
		f->initval = OidInputFunctionCall(input, TextDatumGetCString(initval), ioparam, -1);
	}

	build_aggregate_transfn_expr(types, nargs, 0, a->aggvariadic, f->transtype, a->inputcollid,
								 form->aggtransfn, InvalidOid, &expr, &unused);
	InitFn(&f->transfn, form->aggtransfn, expr);
	f->tcall = NewCall(&f->transfn, nargs + 1, a->inputcollid, ag->aggstate);
	/* the combine function takes two states */
	build_aggregate_transfn_expr(&f->transtype, 1, 0, false, f->transtype, a->inputcollid,
								 form->aggcombinefn, InvalidOid, &expr, &unused);
	InitFn(&f->combinefn, form->aggcombinefn, expr);
	f->ccall = NewCall(&f->combinefn, 2, a->inputcollid, ag->aggstate);
	if (f->transtype == INTERNALOID)
	{
		build_aggregate_serialfn_expr(form->aggserialfn, &expr);
		InitFn(&f->serialfn, form->aggserialfn, expr);
		build_aggregate_deserialfn_expr(form->aggdeserialfn, &expr);
		InitFn(&f->deserialfn, form->aggdeserialfn, expr);
		f->scall = NewCall(&f->serialfn, 2, InvalidOid, ag->aggstate);
	}
	else
		InitBinaryIO(&f->io, f->transtype);
	f->has_final = OidIsValid(form->aggfinalfn);
	if (f->has_final)
	{
		f->nfinalargs = form->aggfinalextra ? nargs + 1 : 1;
		build_aggregate_finalfn_expr(types, f->nfinalargs, f->transtype, a->aggtype,
									 a->inputcollid, form->aggfinalfn, &expr);
		InitFn(&f->finalfn, form->aggfinalfn, expr);
		f->fcall = NewCall(&f->finalfn, f->nfinalargs, a->inputcollid, ag->aggstate);
	}
	ReleaseSysCache(tup);
	f->pertrans.aggref = a;
	f->pertrans.aggshared = false;
	f->peragg.aggref = a;
	f->peragg.transno = 0;
}

/* The aggregator of agg, its memory in the current context. */
static Aggregator *
NewAggregator(PpAgg * agg)
{
	Aggregator *ag = palloc0(sizeof(Aggregator));
	int			n = Max(agg->nkeys, 1);

	ag->agg = agg;
	ag->nkeys = agg->nkeys;
	ag->keyhash = palloc0(sizeof(FmgrInfo) * n);
	ag->keyeq = palloc0(sizeof(FmgrInfo) * n);
	ag->keyio = palloc0(sizeof(BinaryIO) * n);
	ag->keycoll = palloc0(sizeof(Oid) * n);
	ag->keylen = palloc0(sizeof(int16) * n);
	ag->keybyval = palloc0(sizeof(bool) * n);
	for (int k = 0; k < agg->nkeys; k++)
	{
		Form_pg_attribute att = TupleDescAttr(agg->outdesc, k);
		RegProcedure lhs,
					rhs;

		if (!get_op_hash_functions(agg->eqops[k], &lhs, &rhs))
			elog(ERROR, "could not find hash function for hash operator %u", agg->eqops[k]);
		fmgr_info(lhs, &ag->keyhash[k]);
		fmgr_info(get_opcode(agg->eqops[k]), &ag->keyeq[k]);
		ag->keycoll[k] = att->attcollation;
		get_typlenbyval(att->atttypid, &ag->keylen[k], &ag->keybyval[k]);
		InitBinaryIO(&ag->keyio[k], att->atttypid);
	}
	ag->aggstate = makeNode(AggState);
	ag->statecxt = CreateStandaloneExprContext();
	ag->tmpcxt = CreateStandaloneExprContext();
	ag->aggstate->curaggcontext = ag->statecxt;
	ag->aggstate->tmpcontext = ag->tmpcxt;
	ag->fns = palloc0(sizeof(AggFn) * Max(agg->ncalls, 1));
	for (int j = 0; j < agg->ncalls; j++)
		InitAggFn(ag, &ag->fns[j], &agg->calls[j]);
	ag->probe = palloc0(offsetof(AggGroup, trans));
	return ag;
}

static void
FreeAggregator(Aggregator * ag)
{
	FreeExprContext(ag->statecxt, true);
	FreeExprContext(ag->tmpcxt, true);
}

/* The memory of the groups and their states. */
#define StateMemory(ag) ((ag)->statecxt->ecxt_per_tuple_memory)

/* Forget every group: their memory is reset, callbacks run. */
static void
ResetGroups(Aggregator * ag)
{
	ReScanExprContext(ag->statecxt);
	ag->groups = NULL;
}

static uint32
KeysHash(Aggregator * ag, const Datum *keys, const bool *nulls)
{
	uint32		h = 0;

	for (int k = 0; k < ag->nkeys; k++)
	{
		uint32		kh = 0;

		if (!nulls[k])
			kh = DatumGetUInt32(FunctionCall1Coll(&ag->keyhash[k], ag->keycoll[k], keys[k]));
		h = hash_combine(h, kh);
	}
	return h;
}

/* Whether a and b have the same keys, as GROUP BY has it (NULLs are equal). */
static bool
KeysEqual(Aggregator * ag, const AggGroup * a, const AggGroup * b)
{
	for (int k = 0; k < ag->nkeys; k++)
	{
		if (a->keynulls[k] || b->keynulls[k])
		{
			if (a->keynulls[k] != b->keynulls[k])
				return false;
			continue;
		}
		if (!DatumGetBool(FunctionCall2Coll(&ag->keyeq[k], ag->keycoll[k],
											a->keys[k], b->keys[k])))
			return false;
	}
	return true;
}

/* A new group with the probe's keys and hash, its states initial. */
static AggGroup *
NewGroup(Aggregator * ag, const AggGroup * probe)
{
	int			ncalls = ag->agg->ncalls;
	MemoryContext old = MemoryContextSwitchTo(StateMemory(ag));
	AggGroup   *g = palloc(offsetof(AggGroup, trans) + sizeof(Trans) * ncalls);

	g->hash = probe->hash;
	g->keys = palloc(sizeof(Datum) * Max(ag->nkeys, 1));
	g->keynulls = palloc(sizeof(bool) * Max(ag->nkeys, 1));
	for (int k = 0; k < ag->nkeys; k++)
	{
		g->keynulls[k] = probe->keynulls[k];
		g->keys[k] = probe->keynulls[k] ? (Datum) 0 :
			datumCopy(probe->keys[k], ag->keybyval[k], ag->keylen[k]);
	}
	for (int j = 0; j < ncalls; j++)
	{
		AggFn	   *f = &ag->fns[j];

		g->trans[j].isnull = f->initnull;
		g->trans[j].notrans = f->initnull;
		g->trans[j].value = f->initnull ? (Datum) 0 :
			datumCopy(f->initval, f->transbyval, f->translen);
	}
	MemoryContextSwitchTo(old);
	return g;
}

/* The group of keys in the chunk's hash table, made if new. */
static AggGroup *
FindGroup(Aggregator * ag, Datum *keys, bool *nulls)
{
	GroupEntry *e;
	bool		found;

	if (ag->groups == NULL)
		ag->groups = groups_create(StateMemory(ag), 256, ag);
	ag->probe->keys = keys;
	ag->probe->keynulls = nulls;
	ag->probe->hash = KeysHash(ag, keys, nulls);
	e = groups_insert(ag->groups, ag->probe, &found);
	if (!found)
		e->group = NewGroup(ag, ag->probe);
	return e->group;
}

/*
 * The new state value v of a by-reference state, in the state's memory,
 * the old one freed (nodeAgg.c's ExecAggTransReparent).
 */
static Datum
Reparent(Aggregator * ag, AggFn * f, Datum v, bool isnull, Datum old, bool oldnull)
{
	if (!isnull)
	{
		MemoryContext prev = MemoryContextSwitchTo(StateMemory(ag));

		if (!(DatumIsReadWriteExpandedObject(v, false, f->translen) &&
			  MemoryContextGetParent(DatumGetEOHP(v)->eoh_context) == StateMemory(ag)))
			v = datumCopy(v, f->transbyval, f->translen);
		MemoryContextSwitchTo(prev);
	}
	else
		v = (Datum) 0;
	if (!oldnull)
	{
		if (DatumIsReadWriteExpandedObject(old, false, f->translen))
			DeleteExpandedObject(old);
		else
			pfree(DatumGetPointer(old));
	}
	return v;
}

/*
 * Advance state t by fcinfo's call (the transition function with nargs
 * inputs, or the combine function with one partial state) as nodeAgg.c
 * does: a strict function skips NULL inputs, its first input becomes the
 * state when there is no initial value, and a NULL state stays NULL.
 */
static void
Advance(Aggregator * ag, AggFn * f, Trans * t, FunctionCallInfo fcinfo, int nargs)
{
	MemoryContext old;
	Datum		v;

	if (fcinfo->flinfo->fn_strict)
	{
		for (int i = 1; i <= nargs; i++)
			if (fcinfo->args[i].isnull)
				return;
		if (t->notrans)
		{
			old = MemoryContextSwitchTo(StateMemory(ag));
			t->value = datumCopy(fcinfo->args[1].value, f->transbyval, f->translen);
			MemoryContextSwitchTo(old);
			t->isnull = false;
			t->notrans = false;
			return;
		}
		if (t->isnull)
			return;
	}
	ag->aggstate->curpertrans = &f->pertrans;
	fcinfo->args[0].value = t->value;
	fcinfo->args[0].isnull = t->isnull;
	fcinfo->isnull = false;
	old = MemoryContextSwitchTo(ag->tmpcxt->ecxt_per_tuple_memory);
	v = FunctionCallInvoke(fcinfo);
	MemoryContextSwitchTo(old);
	ag->aggstate->curpertrans = NULL;
	if (!f->transbyval && DatumGetPointer(v) != DatumGetPointer(t->value))
		v = Reparent(ag, f, v, fcinfo->isnull, t->value, t->isnull);
	t->value = v;
	t->isnull = fcinfo->isnull;
	t->notrans = false;
}

/* Aggregate a row of the stage's map (keys, then the calls' inputs). */
static void
AddRow(Aggregator * ag, TupleTableSlot *row)
{
	AggGroup   *g = FindGroup(ag, row->tts_values, row->tts_isnull);

	for (int j = 0; j < ag->agg->ncalls; j++)
	{
		AggFn	   *f = &ag->fns[j];
		PpAggCall  *c = f->call;

		if (c->filtercol >= 0 &&
			(row->tts_isnull[c->filtercol] || !DatumGetBool(row->tts_values[c->filtercol])))
			continue;
		for (int i = 0; i < c->nargs; i++)
		{
			f->tcall->args[i + 1].value = row->tts_values[c->argcol + i];
			f->tcall->args[i + 1].isnull = row->tts_isnull[c->argcol + i];
		}
		Advance(ag, f, &g->trans[j], f->tcall, c->nargs);
	}
}

/* Append a length-prefixed value (len -1: NULL) to buf. */
static void
PutBytes(StringInfo buf, bytea *b)
{
	int32		len = b ? VARSIZE_ANY_EXHDR(b) : -1;

	appendBinaryStringInfo(buf, (char *) &len, sizeof(len));
	if (b)
		appendBinaryStringInfo(buf, VARDATA_ANY(b), len);
}

static void
MalformedPartialRow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("malformed partial aggregate row in parproc.run_partials")));
}

/*
 * The next value PutBytes appended, at *pos of data: its *len bytes, in
 * data; NULL for NULL.
 */
static const char *
NextBytes(const char *data, int size, int *pos, int32 *len)
{
	const char *p;

	if (*pos + (int) sizeof(*len) > size)
		MalformedPartialRow();
	memcpy(len, data + *pos, sizeof(*len));
	*pos += sizeof(*len);
	if (*len == -1)
		return NULL;
	if (*len < 0 || *len > size - *pos)
		MalformedPartialRow();
	p = data + *pos;
	*pos += *len;
	return p;
}

/*
 * A value of io's type from its len bytes at p, copied (receive functions
 * may write into their buffer, and want it null-terminated).
 */
static Datum
Receive(BinaryIO * io, const char *p, int32 len)
{
	StringInfoData buf;

	buf.data = palloc(len + 1);
	memcpy(buf.data, p, len);
	buf.data[len] = '\0';
	buf.len = len;
	buf.maxlen = len + 1;
	buf.cursor = 0;
	return ReceiveFunctionCall(&io->recv, &buf, io->ioparam, -1);
}

/* A bytea being built in buf, its header to be set by BytesDone. */
static void
BytesBegin(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);
}

static bytea *
BytesDone(StringInfo buf)
{
	SET_VARSIZE(buf->data, buf->len);
	return (bytea *) buf->data;
}

/* A group's keys, serialized. */
static bytea *
SerializeKeys(Aggregator * ag, AggGroup * g)
{
	StringInfoData buf;

	BytesBegin(&buf);
	for (int k = 0; k < ag->nkeys; k++)
		PutBytes(&buf, g->keynulls[k] ? NULL :
				 SendFunctionCall(&ag->keyio[k].send, g->keys[k]));
	return BytesDone(&buf);
}

/* A group's states, serialized (nodeAgg.c's AGGSPLIT_INITIAL_SERIAL). */
static bytea *
SerializeStates(Aggregator * ag, AggGroup * g)
{
	StringInfoData buf;

	BytesBegin(&buf);
	for (int j = 0; j < ag->agg->ncalls; j++)
	{
		AggFn	   *f = &ag->fns[j];
		Trans	   *t = &g->trans[j];

		if (t->isnull)
			PutBytes(&buf, NULL);
		else if (f->transtype == INTERNALOID)
		{
			FunctionCallInfo fc = f->scall;

			fc->flinfo = &f->serialfn;
			fc->nargs = 1;
			fc->args[0].value = t->value;
			fc->args[0].isnull = false;
			fc->isnull = false;
			ag->aggstate->curpertrans = &f->pertrans;
			PutBytes(&buf, DatumGetByteaPP(FunctionCallInvoke(fc)));
			ag->aggstate->curpertrans = NULL;
		}
		else
			PutBytes(&buf, SendFunctionCall(&f->io.send,
											MakeExpandedObjectReadOnly(t->value, false,
																	   f->translen)));
	}
	return BytesDone(&buf);
}

/*
 * A partial state of f from the len bytes at p SerializeStates wrote (p
 * NULL: isnull).
 */
static Datum
DeserializeState(Aggregator * ag, AggFn * f, const char *p, int32 len, bool *isnull)
{
	Datum		v;

	*isnull = p == NULL;
	if (p == NULL)
		return (Datum) 0;
	if (f->transtype == INTERNALOID)
	{
		FunctionCallInfo fc = f->scall;
		bytea	   *b = palloc(VARHDRSZ + len);

		SET_VARSIZE(b, VARHDRSZ + len);
		memcpy(VARDATA(b), p, len);
		fc->flinfo = &f->deserialfn;
		fc->nargs = 2;
		fc->args[0].value = PointerGetDatum(b);
		fc->args[0].isnull = false;
		fc->args[1].value = PointerGetDatum(NULL);
		fc->args[1].isnull = false;
		fc->isnull = false;
		ag->aggstate->curpertrans = &f->pertrans;
		v = FunctionCallInvoke(fc);
		ag->aggstate->curpertrans = NULL;
		*isnull = fc->isnull;
		return v;
	}
	return Receive(&f->io, p, len);
}

/*
 * The partial sink: the chunk's rows aggregated into groups, written to
 * parproc.run_partials when their memory passes the hash aggregation's
 * limit and at the chunk's end.
 */
struct PpSink
{
	Aggregator *ag;
	int64		run_id;
	ArrayBuildState *cols[3];	/* khash, keys, states of rows not written */
	int			n;
	MemoryContext rows;			/* those rows, reset when written */
	MemoryContext tmp;			/* serializing one group (send functions
								 * allocate a kilobyte each) */
};

/* Insert the partial rows collected in x. */
static void
InsertPartials(PpSink * x)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[4] = {INT8OID, INT4ARRAYOID, BYTEAARRAYOID, BYTEAARRAYOID};
	Datum		values[4];

	if (x->n == 0)
		return;
	values[0] = Int64GetDatum(x->run_id);
	for (int i = 0; i < 3; i++)
	{
		values[i + 1] = makeArrayResult(x->cols[i], x->rows);
		x->cols[i] = NULL;
	}
	PpCatalogExecKept(&plan, "INSERT INTO parproc.run_partials (run_id, khash, keys, states)"
					  " SELECT $1, u.h, u.k, u.s FROM unnest($2, $3, $4) AS u(h, k, s)",
					  4, types, values, NULL);
	MemoryContextReset(x->rows);
	x->n = 0;
}

/* Write every group's partial states, and forget the groups. */
static void
WritePartials(PpSink * x)
{
	Aggregator *ag = x->ag;
	groups_iterator it;
	GroupEntry *e;

	if (ag->groups == NULL)
		return;
	groups_start_iterate(ag->groups, &it);
	while ((e = groups_iterate(ag->groups, &it)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(x->tmp);
		Datum		cols[3];
		Oid			types[3] = {INT4OID, BYTEAOID, BYTEAOID};

		cols[0] = Int32GetDatum((int32) e->group->hash);
		cols[1] = PointerGetDatum(SerializeKeys(ag, e->group));
		cols[2] = PointerGetDatum(SerializeStates(ag, e->group));
		/* copied into the rows' memory */
		for (int i = 0; i < 3; i++)
			x->cols[i] = accumArrayResult(x->cols[i], cols[i], false, types[i], x->rows);
		MemoryContextSwitchTo(old);
		MemoryContextReset(x->tmp);
		if (++x->n >= 1000)
			InsertPartials(x);
	}
	InsertPartials(x);
	ResetGroups(ag);
}

static PpSink *
PartialSinkBegin(const PpRunSpec *spec, const PpPlan *plan, Relation target, EState *estate,
				 int batch_size)
{
	PpSink	   *x = palloc0(sizeof(PpSink));

	x->ag = NewAggregator(plan->agg);
	x->run_id = spec->run_id;
	x->rows = AllocSetContextCreate(CurrentMemoryContext, "parproc partial rows",
									ALLOCSET_DEFAULT_SIZES);
	x->tmp = AllocSetContextCreate(CurrentMemoryContext, "parproc partial row",
								   ALLOCSET_DEFAULT_SIZES);
	return x;
}

/* Nothing to check: the target's checks apply to the final rows. */
static void
PartialSinkCheck(PpSink * x, TupleTableSlot *row)
{
}

static void
PartialSinkPut(PpSink * x, TupleTableSlot *row)
{
	AddRow(x->ag, row);
}

/* After a batch: spill the groups when they pass the memory limit. */
static int
PartialSinkFlush(PpSink * x)
{
	if (MemoryContextMemAllocated(StateMemory(x->ag), true) > get_hash_memory_limit())
		WritePartials(x);
	ResetExprContext(x->ag->tmpcxt);
	return 0;
}

static void
PartialSinkEnd(PpSink * x)
{
	WritePartials(x);
	FreeAggregator(x->ag);
	MemoryContextDelete(x->rows);
	MemoryContextDelete(x->tmp);
}

const		PpSinkOps PpPartialSink = {
	PartialSinkBegin,
	PartialSinkCheck,
	PartialSinkPut,
	PartialSinkFlush,
	PartialSinkEnd,
	false
};

/* Combine a partial row's states into group g. */
static void
CombineRow(Aggregator * ag, AggGroup * g, const char *data, int size)
{
	int			pos = 0;

	for (int j = 0; j < ag->agg->ncalls; j++)
	{
		AggFn	   *f = &ag->fns[j];
		MemoryContext old = MemoryContextSwitchTo(ag->tmpcxt->ecxt_per_tuple_memory);
		int32		len;
		const char *p = NextBytes(data, size, &pos, &len);

		f->ccall->args[1].value = DeserializeState(ag, f, p, len, &f->ccall->args[1].isnull);
		MemoryContextSwitchTo(old);
		Advance(ag, f, &g->trans[j], f->ccall, 1);
	}
	if (pos != size)
		MalformedPartialRow();
}

/* The final values of g's aggregates into out (nodeAgg.c's finalize_aggregate). */
static void
Finalize(Aggregator * ag, AggGroup * g, TupleTableSlot *out)
{
	int			nkeys = ag->nkeys;

	ExecClearTuple(out);
	for (int k = 0; k < nkeys; k++)
	{
		out->tts_values[k] = g->keys[k];
		out->tts_isnull[k] = g->keynulls[k];
	}
	for (int j = 0; j < ag->agg->ncalls; j++)
	{
		AggFn	   *f = &ag->fns[j];
		Trans	   *t = &g->trans[j];
		Datum	   *v = &out->tts_values[nkeys + j];
		bool	   *isnull = &out->tts_isnull[nkeys + j];

		if (f->has_final)
		{
			FunctionCallInfo fc = f->fcall;
			bool		anynull = t->isnull;
			MemoryContext old;

			fc->args[0].value = MakeExpandedObjectReadOnly(t->value, t->isnull, f->translen);
			fc->args[0].isnull = t->isnull;
			for (int i = 1; i < f->nfinalargs; i++)
			{
				fc->args[i].value = (Datum) 0;
				fc->args[i].isnull = true;
				anynull = true;
			}
			if (fc->flinfo->fn_strict && anynull)
			{
				*v = (Datum) 0;
				*isnull = true;
				continue;
			}
			fc->isnull = false;
			ag->aggstate->curperagg = &f->peragg;
			ag->aggstate->pertrans = &f->pertrans;
			old = MemoryContextSwitchTo(ag->tmpcxt->ecxt_per_tuple_memory);
			*v = FunctionCallInvoke(fc);
			MemoryContextSwitchTo(old);
			ag->aggstate->curperagg = NULL;
			*isnull = fc->isnull;
		}
		else
		{
			*v = t->value;
			*isnull = t->isnull;
		}
	}
	ExecStoreVirtualTuple(out);
}

/* The final step's target writing. */
typedef struct FinalOut
{
	const		PpSinkOps *ops;
	PpSink	   *sink;
	ExprContext *econtext;
	ExprState **sinkstates;
	TupleTableSlot *out;		/* keys and results */
	TupleTableSlot **rows;		/* in the target's shape */
	int			nrows;
	int			batch;
	int64		written;
	int64		groups;
}			FinalOut;

/* Write the rows Emit queued. */
static void
FlushRows(FinalOut * fo)
{
	fo->written += fo->ops->flush(fo->sink);
	for (int r = 0; r < fo->nrows; r++)
		ExecClearTuple(fo->rows[r]);
	fo->nrows = 0;
	ResetExprContext(fo->econtext);
}

/* Write group g's row (the keys and final values) to the target. */
static void
Emit(Aggregator * ag, FinalOut * fo, AggGroup * g)
{
	TupleTableSlot *t = fo->rows[fo->nrows];
	int			natts = t->tts_tupleDescriptor->natts;

	Finalize(ag, g, fo->out);
	fo->econtext->ecxt_scantuple = fo->out;
	ExecClearTuple(t);
	for (int a = 0; a < natts; a++)
	{
		if (fo->sinkstates[a])
			t->tts_values[a] = ExecEvalExprSwitchContext(fo->sinkstates[a], fo->econtext,
														 &t->tts_isnull[a]);
		else
		{
			t->tts_values[a] = (Datum) 0;
			t->tts_isnull[a] = true;
		}
	}
	ExecStoreVirtualTuple(t);
	/* the row outlives the group's memory */
	ExecMaterializeSlot(t);
	fo->ops->check(fo->sink, t);
	fo->ops->put(fo->sink, t);
	fo->groups++;
	if (++fo->nrows == fo->batch)
		FlushRows(fo);
}

/*
 * Whether the final step of spec's run is worth sharing among workers: its
 * chunks wrote at least PP_FINAL_PARALLEL_ROWS partial rows (counted up to
 * that many), seen through the latest snapshot.
 */
bool
PpAggregateFinalShared(PpRunSpec *spec)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		values[2] = {Int64GetDatum(spec->run_id), Int64GetDatum(PP_FINAL_PARALLEL_ROWS)};
	bool		isnull;
	bool		shared;

	SPI_connect();
	PpCatalogExecSnapshot("SELECT count(*) >= $2 FROM (SELECT FROM parproc.run_partials"
						  " WHERE run_id = $1 LIMIT $2) p", 2, types, values, NULL, true,
						  GetLatestSnapshot());
	shared = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
										&isnull));
	SPI_finish();
	return shared;
}

/* Which ranges of the final step of spec's run are committed (their marks). */
static void
FinalDone(PpRunSpec *spec, bool *done)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1] = {Int64GetDatum(spec->run_id)};

	memset(done, 0, sizeof(bool) * PP_FINAL_RANGES);
	PpCatalogExec("SELECT chunk FROM parproc.run_chunks WHERE run_id = $1 AND part = -1",
				  1, types, values, NULL, false);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int			r = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
													SPI_tuptable->tupdesc, 1, &isnull));

		if (r >= 0 && r < PP_FINAL_RANGES)
			done[r] = true;
	}
}

/* The first hash of range r of the final step (int4 hashes, from INT32_MIN up). */
static int64
RangeStart(int r)
{
	return PG_INT32_MIN + r * ((INT64CONST(1) << 32) / PP_FINAL_RANGES);
}

/*
 * Ranges a..b of the final step: combine the partial states of their
 * groups, write the groups' rows to the target, delete the partial rows
 * and insert the ranges' marks (part -1, chunk r; the rows written counted
 * in a's).
 */
static void
FinalRanges(PpRunSpec *spec, PpRunSlot *slot, Aggregator * ag, FinalOut * fo, int a, int b,
			int worker)
{
	Oid			types[5] = {INT8OID, INT8OID, INT8OID, INT4OID, INT4OID};
	Datum		values[5];
	int64		lo = RangeStart(a);
	int64		hi = RangeStart(b + 1);
	int64		written = fo->written;
	Portal		portal;
	List	   *bucket = NIL;
	uint32		bucket_hash = 0;

	values[0] = Int64GetDatum(spec->run_id);
	values[1] = Int64GetDatum(lo);
	values[2] = Int64GetDatum(hi);
	portal = PpCatalogCursor("SELECT khash, keys, states FROM parproc.run_partials"
							 " WHERE run_id = $1 AND khash >= $2 AND khash < $3 ORDER BY khash",
							 3, types, values);
	for (;;)
	{
		SPITupleTable *tt;
		uint64		n;

		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&slot->cancel))
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("run %lld was cancelled", (long long) spec->run_id)));
		SPI_cursor_fetch(portal, true, 1000);
		tt = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			uint32		h = (uint32) DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 1,
																 &isnull));
			bytea	   *keys = DatumGetByteaPP(SPI_getbinval(tt->vals[i], tt->tupdesc, 2,
															 &isnull));
			bytea	   *states = DatumGetByteaPP(SPI_getbinval(tt->vals[i], tt->tupdesc, 3,
															   &isnull));
			Datum	   *kv = palloc(sizeof(Datum) * Max(ag->nkeys, 1));
			bool	   *kn = palloc(sizeof(bool) * Max(ag->nkeys, 1));
			int			pos = 0;
			AggGroup   *g = NULL;
			ListCell   *lc;

			/* a new hash: the groups of the last one are complete */
			if (bucket != NIL && h != bucket_hash)
			{
				foreach(lc, bucket)
					Emit(ag, fo, lfirst(lc));
				bucket = NIL;
				ResetGroups(ag);
			}
			bucket_hash = h;
			for (int k = 0; k < ag->nkeys; k++)
			{
				MemoryContext prev = MemoryContextSwitchTo(ag->tmpcxt->ecxt_per_tuple_memory);
				int32		len;
				const char *p = NextBytes(VARDATA_ANY(keys), VARSIZE_ANY_EXHDR(keys), &pos, &len);

				kn[k] = p == NULL;
				kv[k] = p ? Receive(&ag->keyio[k], p, len) : (Datum) 0;
				MemoryContextSwitchTo(prev);
			}
			if (pos != VARSIZE_ANY_EXHDR(keys))
				MalformedPartialRow();
			ag->probe->keys = kv;
			ag->probe->keynulls = kn;
			ag->probe->hash = h;
			foreach(lc, bucket)
				if (KeysEqual(ag, lfirst(lc), ag->probe))
			{
				g = lfirst(lc);
				break;
			}
			if (g == NULL)
			{
				MemoryContext prev;

				g = NewGroup(ag, ag->probe);
				prev = MemoryContextSwitchTo(StateMemory(ag));
				bucket = lappend(bucket, g);
				MemoryContextSwitchTo(prev);
			}
			CombineRow(ag, g, VARDATA_ANY(states), VARSIZE_ANY_EXHDR(states));
			ResetExprContext(ag->tmpcxt);
			pfree(kv);
			pfree(kn);
		}
		SPI_freetuptable(tt);
	}
	SPI_cursor_close(portal);

	/*
	 * The last hash's groups.  Without group keys, one row even for no rows:
	 * the range of their hash, 0, writes it.
	 */
	if (bucket == NIL && ag->nkeys == 0 && lo <= 0 && 0 < hi)
		bucket = list_make1(NewGroup(ag, ag->probe));
	{
		ListCell   *lc;

		foreach(lc, bucket)
			Emit(ag, fo, lfirst(lc));
	}
	if (fo->nrows > 0)
		FlushRows(fo);
	ResetGroups(ag);

	PpCatalogExec("DELETE FROM parproc.run_partials WHERE run_id = $1 AND khash >= $2"
				  " AND khash < $3", 3, types, values, NULL, false);
	for (int r = a; r <= b; r++)
	{
		values[1] = Int64GetDatum(r == a ? fo->written - written : 0);
		values[3] = Int32GetDatum(r);
		values[4] = Int32GetDatum(worker);
		PpCatalogExec("INSERT INTO parproc.run_chunks"
					  " (run_id, part, chunk, worker, rows_read, rows_written, rows_failed)"
					  " VALUES ($1, -1, $4, $5, 0, $2, 0)", 5, types, values, NULL, false);
	}
}

/*
 * Ranges first..last of the final step of an aggregate run, in the current
 * transaction, after every chunk committed (the ranges already committed
 * skipped: a resume, or a range a worker did): each range is the groups
 * whose keys' hash is in its share of the 32-bit hashes.
 */
void
PpAggregateFinal(PpRunSpec *spec, PpRunSlot *slot, int first, int last, int worker)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "parproc final step",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Relation	source = NULL;
	Relation	target;
	TupleDesc	srcdesc;
	PpPlan	   *plan;
	EState	   *estate;
	FinalOut	fo = {0};
	Aggregator *ag;
	bool		done[PP_FINAL_RANGES];
	int			nb = parproc_batch_size;
	int			r;

	SPI_connect();
	FinalDone(spec, done);
	for (r = first; r <= last && done[r]; r++)
		;
	if (r > last)
	{
		SPI_finish();
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		return;
	}
	srcdesc = PpOpenRunSource(spec, &source);
	target = PpOpenRunRelation(spec, spec->target, RowExclusiveLock, "target");
	if (pg_class_aclcheck(spec->target, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write the target of run %lld",
						(long long) spec->run_id)));
	PpCheckTarget(target);
	plan = PpCompile(PpSpecStageDefs(spec), PpSpecResolved(spec), srcdesc, source, target);

	estate = CreateExecutorState();
	fo.econtext = CreateExprContext(estate);
	fo.ops = PpTargetSink(spec);
	fo.batch = nb;
	fo.sinkstates = palloc0(sizeof(ExprState *) * Max(RelationGetDescr(target)->natts, 1));
	for (int a = 0; a < RelationGetDescr(target)->natts; a++)
		if (plan->agg->sink[a])
			fo.sinkstates[a] = ExecInitExpr(plan->agg->sink[a], NULL);
	fo.out = MakeSingleTupleTableSlot(plan->agg->outdesc, &TTSOpsVirtual);
	fo.rows = PpMakeSlots(nb, RelationGetDescr(target), table_slot_callbacks(target));
	fo.sink = fo.ops->begin(spec, plan, target, estate, nb);
	ag = NewAggregator(plan->agg);

	/* each run of consecutive ranges not done, in one scan */
	while (r <= last)
	{
		int			b = r;

		while (b + 1 <= last && !done[b + 1])
			b++;
		FinalRanges(spec, slot, ag, &fo, r, b, worker);
		for (r = b + 1; r <= last && done[r]; r++)
			;
	}

	fo.ops->end(fo.sink);
	FreeAggregator(ag);
	for (int i = 0; i < nb; i++)
		ExecDropSingleTupleTableSlot(fo.rows[i]);
	ExecDropSingleTupleTableSlot(fo.out);
	FreeExecutorState(estate);
	if (source)
		table_close(source, NoLock);
	table_close(target, NoLock);
	SPI_finish();
	pg_atomic_add_fetch_u64(&slot->rows_written, fo.written);
	pg_atomic_add_fetch_u64(&slot->stages[spec->nstages - 1].rows_out, fo.groups);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
