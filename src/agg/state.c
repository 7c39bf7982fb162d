/*
 * state.c
 *		Aggregate states kept as expanded objects of a parproc type.
 *
 * An aggregate whose transition type is internal cannot be distributed by
 * Citus, which moves partial states between nodes as text through the
 * transition type's output and input functions.  The sketches' aggregates
 * therefore use their sketch type (parproc.hll ...) as transition type,
 * and keep the state they build in an expanded object
 * (utils/expandeddatum.h): the aggregate passes a read-write pointer to it
 * from row to row and the transition function updates it in place, as
 * with an internal state; only where a value of the type must exist (a
 * parallel worker's partial state, Citus's text, a final function that
 * returns the sketch) is it flattened to the type's stored bytes, through
 * the aggregate's own encoder, and a flat value that arrives is decoded
 * back into a state.  The flattened bytes are kept until the state next
 * changes.
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "agg/agg.h"

static Size StateFlatSize(ExpandedObjectHeader *eohptr);
static void StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

const ExpandedObjectMethods ParprocStateMethods = {
	StateFlatSize,
	StateFlatten
};

/* The type's bytes of a state, encoded once per change. */
static Size
StateFlatSize(ExpandedObjectHeader *eohptr)
{
	ParprocState *s = (ParprocState *) eohptr;

	if (s->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->hdr.eoh_context);

		s->flat = s->kind->flatten(s->state);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(s->flat);
}

/* Copy the bytes StateFlatSize encoded. */
static void
StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	ParprocState *s = (ParprocState *) eohptr;

	Assert(s->flat != NULL && VARSIZE(s->flat) == allocated_size);
	memcpy(result, s->flat, allocated_size);
}

/*
 * A new state object: in a context of its own under the aggregate's (when
 * called as an aggregate, which then keeps the object without copying
 * it), else under the current one.  The caller sets ->state, allocated in
 * ParprocStateContext(s).
 */
ParprocState *
ParprocStateNew(FunctionCallInfo fcinfo, const ParprocStateKind *kind)
{
	MemoryContext parent;
	MemoryContext cxt;
	ParprocState *s;

	if (!AggCheckCallContext(fcinfo, &parent))
		parent = CurrentMemoryContext;
	cxt = AllocSetContextCreate(parent, "parproc aggregate state", ALLOCSET_SMALL_SIZES);
	s = MemoryContextAllocZero(cxt, sizeof(ParprocState));
	EOH_init_header(&s->hdr, &ParprocStateMethods, cxt);
	s->kind = kind;
	return s;
}

/* The state of d when d is a state object of kind; NULL for a flat value. */
void *
ParprocStateOf(Datum d, const ParprocStateKind *kind)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ParprocState *s = (ParprocState *) DatumGetEOHP(d);

		if (s->hdr.eoh_methods == &ParprocStateMethods && s->kind == kind)
			return s->state;
	}
	return NULL;
}

/*
 * ParprocStateForUpdate (agg.h) when the argument is not the aggregate's
 * own object: a new object decoded from the value, which is left as it was.
 */
ParprocState *
ParprocStateCopyArg(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind)
{
	ParprocState *s = ParprocStateNew(fcinfo, kind);

	s->state = kind->expand((bytea *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)),
							s->hdr.eoh_context);
	return s;
}
