/*
 * common.c
 *		Helpers shared by the aggregate support functions.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/lsyscache.h"

#include "parproc.h"

/*
 * The aggregate's memory context.  Support functions take "internal"
 * states and so can only run inside an aggregate; anything else is an
 * internal error.
 */
MemoryContext
ParprocAggContext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context",
			 get_func_name(fcinfo->flinfo->fn_oid));
	return aggcontext;
}
