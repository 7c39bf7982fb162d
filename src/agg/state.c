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

static const ExpandedObjectMethods StateMethods = {
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
	EOH_init_header(&s->hdr, &StateMethods, cxt);
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

		if (s->hdr.eoh_methods == &StateMethods && s->kind == kind)
			return s->state;
	}
	return NULL;
}

/*
 * Argument argno as a state of kind that the caller may change: the
 * object itself when the aggregate passed its own (a read-write pointer,
 * in a transition or combine function), else a new object decoded from the
 * value, which is left as it was; a NULL argument gives NULL.  The
 * flattened bytes of the state are dropped: it is about to change.
 */
ParprocState *
ParprocStateForUpdate(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind)
{
	Datum		d;
	ParprocState *s;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (likely(VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d))) && fcinfo->context &&
		(IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState)))
	{
		s = (ParprocState *) DatumGetEOHP(d);
		if (likely(s->hdr.eoh_methods == &StateMethods && s->kind == kind))
		{
			if (s->flat != NULL)
			{
				pfree(s->flat);
				s->flat = NULL;
			}
			return s;
		}
	}
	/* a flat value, or an object not ours to change: decode a copy */
	s = ParprocStateNew(fcinfo, kind);
	s->state = kind->expand((bytea *) PG_DETOAST_DATUM(d), s->hdr.eoh_context);
	return s;
}
