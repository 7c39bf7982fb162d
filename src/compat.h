/*
 * compat.h
 *		What differs between the PostgreSQL versions parproc builds against,
 *		in one place: every other file uses the newest name and this header
 *		maps it for older servers.
 */
#ifndef PARPROC_COMPAT_H
#define PARPROC_COMPAT_H

#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "executor/executor.h"
#include "storage/lock.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"

/* PostgreSQL 16 moved the varlena macros (VARDATA_ANY ...) out of postgres.h. */
#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* A relation's file number, and the subtransaction that gave it a new one. */
#if PG_VERSION_NUM >= 160000
#define PpRelFileNumber(rel) ((rel)->rd_locator.relNumber)
#define PpRelNewFileSubid(rel) ((rel)->rd_firstRelfilelocatorSubid)
#else
#define PpRelFileNumber(rel) ((rel)->rd_node.relNode)
#define PpRelNewFileSubid(rel) ((rel)->rd_firstRelfilenodeSubid)
#endif

/* Index entries of a row INSERT wrote, without conflict arbitration. */
#if PG_VERSION_NUM >= 160000
#define PpInsertIndexTuples(rri, slot, estate) \
	ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL, false)
#else
#define PpInsertIndexTuples(rri, slot, estate) \
	ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL)
#endif

/*
 * The map from a partitioned table's rows to a partition's (rri), or NULL
 * (ExecGetRootToChildMap must not be asked about a relation that is not a
 * routed partition).
 */
#if PG_VERSION_NUM >= 160000
#define PpRootToChildMap(rri, estate) \
	((rri)->ri_RootResultRelInfo ? ExecGetRootToChildMap(rri, estate) : NULL)
#else
#define PpRootToChildMap(rri, estate) ((rri)->ri_RootToPartitionMap)
#endif

/* Whose arithmetic core's width_bucket(float8) uses (kernels/histogram.h). */
#if PG_VERSION_NUM >= 160000
#define PP_WIDTH_BUCKET_RULE PP_BUCKET_QUOTIENT_FIRST
#else
#define PP_WIDTH_BUCKET_RULE PP_BUCKET_PRODUCT_FIRST
#endif

/* Whether this transaction holds lock mode (exactly) on tag. */
#if PG_VERSION_NUM >= 170000
#define PpLockHeldByMe(tag, mode) LockHeldByMe(tag, mode, false)
#else
#define PpLockHeldByMe(tag, mode) LockHeldByMe(tag, mode)
#endif

/* rel as the result relation of an INSERT, the range table's only entry. */
static inline void
PpInitInsertRangeTable(EState *estate, Relation rel)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
#if PG_VERSION_NUM >= 160000
	{
		RTEPermissionInfo *perm = makeNode(RTEPermissionInfo);

		perm->relid = RelationGetRelid(rel);
		perm->requiredPerms = ACL_INSERT;
		rte->perminfoindex = 1;
#if PG_VERSION_NUM >= 180000
		ExecInitRangeTable(estate, list_make1(rte), list_make1(perm), bms_make_singleton(1));
#else
		ExecInitRangeTable(estate, list_make1(rte), list_make1(perm));
#endif
	}
#else
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(estate, list_make1(rte));
#endif
}

/* A map from indesc's columns to outdesc's by name, NULL if the same. */
#if PG_VERSION_NUM >= 160000
#define PpAttrMapByNameIfReq(indesc, outdesc) build_attrmap_by_name_if_req(indesc, outdesc, false)
#else
#define PpAttrMapByNameIfReq(indesc, outdesc) build_attrmap_by_name_if_req(indesc, outdesc)
#endif

/* The array of every setting, and its length. */
#if PG_VERSION_NUM >= 160000
#define PpGucVariables(n) get_guc_variables(n)
#else
#define PpGucVariables(n) (*(n) = GetNumConfigOptions(), get_guc_variables())
#endif

/* Check rel can be an INSERT's result relation. */
#if PG_VERSION_NUM >= 180000
#define PpCheckValidInsertRel(rri) CheckValidResultRel(rri, CMD_INSERT, ONCONFLICT_NONE, NIL)
#elif PG_VERSION_NUM >= 170000
#define PpCheckValidInsertRel(rri) CheckValidResultRel(rri, CMD_INSERT, NIL)
#else
#define PpCheckValidInsertRel(rri) CheckValidResultRel(rri, CMD_INSERT)
#endif

/* Whether collation collid's LC_CTYPE is C or POSIX (18 keeps that in pg_locale_t). */
#if PG_VERSION_NUM >= 180000
#define PpCtypeIsC(collid) (pg_newlocale_from_collation(collid)->ctype_is_c)
#else
#define PpCtypeIsC(collid) lc_ctype_is_c(collid)
#endif

/* InitMaterializedSRF is the 15.1 name of 15.0's SetSingleFuncCall. */
#if PG_VERSION_NUM < 150001
#define InitMaterializedSRF(fcinfo, flags) SetSingleFuncCall(fcinfo, flags)
#endif

/* Whether an INSERT's raw parse has RETURNING (a ReturningClause in 18) */
#if PG_VERSION_NUM >= 180000
#define PpInsertHasReturning(ins) ((ins)->returningClause != NULL)
#else
#define PpInsertHasReturning(ins) ((ins)->returningList != NIL)
#endif

/* Whether role may execute function fn. */
#if PG_VERSION_NUM >= 160000
#define PpProcAclcheck(fn, role) object_aclcheck(ProcedureRelationId, fn, role, ACL_EXECUTE)
#else
#define PpProcAclcheck(fn, role) pg_proc_aclcheck(fn, role, ACL_EXECUTE)
#endif

/*
 * A grouped query's target entry for a GROUP BY item as the expression it
 * groups by: PostgreSQL 18's parser makes it a Var of the grouping step
 * (an RTE_GROUP), which the planner would flatten back.
 */
#if PG_VERSION_NUM >= 180000
static inline Expr *
PpGroupExpr(Query *q, Expr *e)
{
	if (q->hasGroupRTE && IsA(e, Var) && ((Var *) e)->varlevelsup == 0)
	{
		RangeTblEntry *rte = list_nth_node(RangeTblEntry, q->rtable, ((Var *) e)->varno - 1);

		if (rte->rtekind == RTE_GROUP)
			return list_nth(rte->groupexprs, ((Var *) e)->varattno - 1);
	}
	return e;
}
#else
#define PpGroupExpr(q, e) (e)
#endif

#endif							/* PARPROC_COMPAT_H */
