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
 *
 * The aggregates whose state is not a value users keep (exact
 * percentiles, approx_percentile with its fractions, histogram, the vector
 * and matrix aggregates) share one such type, parproc.agg_state: its bytes are a
 * 4-byte magic naming the kind, then the kind's encoding; its text form is
 * their base64, which is how Citus moves them.
 */
#include "postgres.h"

#include "common/base64.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "agg/agg.h"
#include "parproc.h"

static Size StateFlatSize(ExpandedObjectHeader *eohptr);
static void StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

const ExpandedObjectMethods ParprocStateMethods = {
	StateFlatSize,
	StateFlatten
};

/*
 * The type's bytes of a state: encoded once per change and kept, or, for
 * a kind that writes its encoding straight where it goes, only sized.
 */
static Size
StateFlatSize(ExpandedObjectHeader *eohptr)
{
	ParprocState *s = (ParprocState *) eohptr;

	if (s->kind->flat_size != NULL)
		return s->kind->flat_size(s->state);
	if (s->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->hdr.eoh_context);

		s->flat = s->kind->flatten(s->state);
		MemoryContextSwitchTo(old);
	}
	return VARSIZE(s->flat);
}

/* Write the bytes StateFlatSize sized. */
static void
StateFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	ParprocState *s = (ParprocState *) eohptr;

	if (s->kind->flatten_into != NULL)
	{
		s->kind->flatten_into(s->state, (bytea *) result, allocated_size);
		return;
	}
	Assert(s->flat != NULL && VARSIZE(s->flat) == allocated_size);
	memcpy(result, s->flat, allocated_size);
}

/* The bytes of a state (palloc'd, or kept with the object: do not free). */
bytea *
ParprocStateFlat(ParprocState *s)
{
	Size		size = StateFlatSize(&s->hdr);
	bytea	   *result;

	if (s->kind->flatten_into == NULL)
		return s->flat;
	result = ParprocAllocHuge(CurrentMemoryContext, size);
	StateFlatten(&s->hdr, result, size);
	return result;
}

/*
 * The context holding the states of an aggregate context's groups: one
 * child of it for all of them, made on the first state.  A context per
 * state would cost a kilobyte a group, and hash aggregation sums the memory
 * of every child of the aggregate context on each new group, which over
 * many groups would take time quadratic in their number.
 */
static MemoryContext
StatesContext(MemoryContext aggcontext)
{
	MemoryContext c;

	for (c = aggcontext->firstchild; c != NULL; c = c->nextchild)
		if (strcmp(c->name, "parproc aggregate states") == 0)
			return c;
	return AllocSetContextCreate(aggcontext, "parproc aggregate states", ALLOCSET_DEFAULT_SIZES);
}

/*
 * A new state object.  Called as an aggregate, in the states' context of
 * the aggregate context (a child of it, so that the aggregate keeps the
 * object without copying it); the object is never deleted on its own
 * (ParprocStateForUpdate only ever hands back the aggregate's own object)
 * but with the aggregate context.  Otherwise in a context of its own under
 * the current one, which a caller may delete.  The caller sets ->state,
 * allocated in s->hdr.eoh_context.
 */
ParprocState *
ParprocStateNew(FunctionCallInfo fcinfo, const ParprocStateKind *kind)
{
	MemoryContext aggcontext;
	MemoryContext cxt;
	ParprocState *s;

	if (AggCheckCallContext(fcinfo, &aggcontext))
		cxt = StatesContext(aggcontext);
	else
		cxt = AllocSetContextCreate(CurrentMemoryContext, "parproc aggregate state",
									ALLOCSET_SMALL_SIZES);
	s = MemoryContextAllocZero(cxt, sizeof(ParprocState));
	EOH_init_header(&s->hdr, &ParprocStateMethods, cxt);
	s->kind = kind;
	return s;
}

/* Error for one aggregate's functions given the state object of another. */
void
ParprocStateWrongKind(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("parproc aggregate state is not the state of this aggregate")));
}

/*
 * The combine function of a kind, and the transition of a merge_agg: fold
 * argument 1, a state object or an encoded value (decoded into a context
 * of its own, dropped afterwards), into the state of argument 0.
 */
Datum
ParprocStateUnion(FunctionCallInfo fcinfo, const ParprocStateKind *kind,
				  ParprocStateMergeFn merge)
{
	ParprocState *s;
	void	   *other;
	MemoryContext decoded = NULL;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	other = ParprocStateOf(PG_GETARG_DATUM(1), kind);
	if (other == NULL)
	{
		decoded = AllocSetContextCreate(CurrentMemoryContext, "parproc state to merge",
										ALLOCSET_DEFAULT_SIZES);
		other = ParprocStateExpand(kind, (bytea *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1)), decoded);
	}
	s = ParprocStateForUpdate(fcinfo, 0, kind);
	if (s == NULL)
		s = ParprocStateNew(fcinfo, kind);
	s->state = merge(s->state, other, s->hdr.eoh_context);
	if (decoded != NULL)
		MemoryContextDelete(decoded);
	PG_RETURN_DATUM(ParprocStateDatum(s));
}

/*
 * Decode a stored value of kind into a state in context: with the kind's
 * expand, or, for an agg_state kind, by parsing the bytes after its mark.
 */
void *
ParprocStateExpand(const ParprocStateKind *kind, bytea *flat, MemoryContext context)
{
	Size		len;
	const char *payload;

	if (kind->magic == NULL)
		return kind->expand(flat, context);
	payload = ParprocAggStatePayload(flat, kind, &len);
	return kind->parse(payload, len, ERRCODE_DATA_CORRUPTED, context);
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
 * The state of argument argno, to read: the object itself, or decoded
 * from the value into the current context.
 */
void *
ParprocStateArg(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind)
{
	void	   *state = ParprocStateOf(PG_GETARG_DATUM(argno), kind);

	if (state == NULL)
		state = ParprocStateExpand(kind, (bytea *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)),
								   CurrentMemoryContext);
	return state;
}

/*
 * ParprocStateForUpdate (agg.h) when the argument is not the aggregate's
 * own object: a new object decoded from the value, which is left as it was.
 */
ParprocState *
ParprocStateCopyArg(FunctionCallInfo fcinfo, int argno, const ParprocStateKind *kind)
{
	ParprocState *s = ParprocStateNew(fcinfo, kind);

	s->state = ParprocStateExpand(kind, (bytea *) PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)),
								  s->hdr.eoh_context);
	return s;
}

/*
 * parproc.agg_state --------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(parproc_agg_state_in);
PG_FUNCTION_INFO_V1(parproc_agg_state_out);
PG_FUNCTION_INFO_V1(parproc_agg_state_recv);
PG_FUNCTION_INFO_V1(parproc_agg_state_send);

#define MAGIC_LEN 4

static const ParprocStateKind *const AggStateKinds[] = {
	&ParprocPercentileKind,
	&ParprocApproxPercentileKind,
	&ParprocHistogramKind,
	&ParprocVecKind,
	&ParprocMatrixKind,
	&ParprocLinregKind
};

/*
 * Begin the encoding of a state of kind in buf, with room for payload
 * bytes after the magic.
 */
void
ParprocAggStateStart(StringInfo buf, const ParprocStateKind *kind, Size payload)
{
	if (payload > MaxAllocSize - VARHDRSZ - MAGIC_LEN - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("parproc aggregate state of %zu bytes is too large to encode", payload),
				 errdetail("An encoded state holds at most 1 GB.")));
	initStringInfo(buf);
	enlargeStringInfo(buf, VARHDRSZ + MAGIC_LEN + payload);
	appendStringInfoSpaces(buf, VARHDRSZ);
	appendBinaryStringInfo(buf, kind->magic, MAGIC_LEN);
}

/* The value ParprocAggStateStart began. */
bytea *
ParprocAggStateEnd(StringInfo buf)
{
	SET_VARSIZE(buf->data, buf->len);
	return (bytea *) buf->data;
}

/*
 * The bytes after the magic of an encoded state of kind, and their number;
 * a state of another kind is an error (its functions called on the state
 * of another aggregate).
 */
const char *
ParprocAggStatePayload(bytea *flat, const ParprocStateKind *kind, Size *len)
{
	Size		size = VARSIZE_ANY_EXHDR(flat);

	if (size < MAGIC_LEN || memcmp(VARDATA_ANY(flat), kind->magic, MAGIC_LEN) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("parproc.agg_state value is not the state of this aggregate")));
	*len = size - MAGIC_LEN;
	return VARDATA_ANY(flat) + MAGIC_LEN;
}

/*
 * Check the bytes of an agg_state from outside: a known magic, and a
 * payload its kind accepts.
 */
static void
AggStateCheck(bytea *flat, int sqlstate)
{
	Size		size = VARSIZE_ANY_EXHDR(flat);
	int			i;

	for (i = 0; i < lengthof(AggStateKinds); i++)
	{
		const ParprocStateKind *kind = AggStateKinds[i];

		if (size >= MAGIC_LEN && memcmp(VARDATA_ANY(flat), kind->magic, MAGIC_LEN) == 0)
		{
			const char *payload = VARDATA_ANY(flat) + MAGIC_LEN;

			if (kind->check != NULL)
				kind->check(payload, size - MAGIC_LEN, sqlstate);
			else
			{
				MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
														  "parproc state to check",
														  ALLOCSET_DEFAULT_SIZES);

				(void) kind->parse(payload, size - MAGIC_LEN, sqlstate, cxt);
				MemoryContextDelete(cxt);
			}
			return;
		}
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("invalid parproc.agg_state value"),
			 errdetail("The value does not start with the mark of a parproc aggregate state.")));
}

/* Text input: the base64 of the bytes. */
Datum
parproc_agg_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	int			len = strlen(str);
	int			room = pg_b64_dec_len(len);
	bytea	   *result = palloc(VARHDRSZ + room);
	int			n;

	n = pg_b64_decode(str, len, (void *) VARDATA(result), room);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type parproc.agg_state"),
				 errdetail("Values of type parproc.agg_state are written in base64.")));
	SET_VARSIZE(result, VARHDRSZ + n);
	AggStateCheck(result, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_BYTEA_P(result);
}

/*
 * The bytes of an agg_state argument: of a state object, its encoding
 * (kept with the object, not copied again).
 */
static bytea *
AggStateBytes(FunctionCallInfo fcinfo)
{
	Datum		d = PG_GETARG_DATUM(0);

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &ParprocStateMethods)
			return ParprocStateFlat((ParprocState *) eoh);
	}
	return PG_DETOAST_DATUM_PACKED(d);
}

/* Text output: the base64 of the bytes. */
Datum
parproc_agg_state_out(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = AggStateBytes(fcinfo);
	Size		len = VARSIZE_ANY_EXHDR(bytes);
	Size		room = (len + 2) / 3 * 4 + 1;
	char	   *result;
	int			n;

	if (room > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("parproc aggregate state of %zu bytes is too large for its text form", len),
				 errdetail("The text form of a state holds at most %zu bytes.",
						   (Size) (MaxAllocSize - 1) / 4 * 3),
				 errhint("On Citus, spread the table over more shards.")));
	result = palloc(room);
	n = pg_b64_encode((const void *) VARDATA_ANY(bytes), (int) len, result, (int) room);
	if (n < 0)
		elog(ERROR, "could not encode parproc.agg_state value");
	result[n] = '\0';
	PG_RETURN_CSTRING(result);
}

/* Binary input: the bytes, checked as the text input does. */
Datum
parproc_agg_state_recv(PG_FUNCTION_ARGS)
{
	return ParprocSketchRecv(fcinfo, AggStateCheck);
}

/* Binary output: the bytes. */
Datum
parproc_agg_state_send(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = AggStateBytes(fcinfo);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
