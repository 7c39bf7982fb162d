/*
 * common.c
 *		Helpers shared by the aggregate support functions.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/lsyscache.h"

#include "agg/agg.h"
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

/*
 * The type of argument argno of an aggregate's transition function: from
 * the call's expression, or, where the caller gives none (Citus's
 * worker_partial_agg calls the transition function without one), as the
 * function declares it.
 */
Oid
ParprocValueArgType(FunctionCallInfo fcinfo, int argno)
{
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid		   *argtypes;
	int			nargs;

	if (OidIsValid(type))
		return type;
	get_func_signature(fcinfo->flinfo->fn_oid, &argtypes, &nargs);
	if (nargs <= argno || IsPolymorphicType(argtypes[argno]))
		elog(ERROR, "could not determine the type of argument %d of %s",
			 argno + 1, get_func_name(fcinfo->flinfo->fn_oid));
	return argtypes[argno];
}

/* Value of a hexadecimal digit, or -1. */
static int
HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The bytes of a value of type typname written as \x followed by their hex
 * (SQLSTATE 22P02 otherwise).
 */
bytea *
ParprocHexDecode(const char *str, const char *typname)
{
	size_t		len = strlen(str);
	bytea	   *result;
	uint8	   *out;
	size_t		i;

	if (len < 2 || str[0] != '\\' || str[1] != 'x' || len % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", typname, str),
				 errdetail("Values of type %s are written as \\x followed by an even number of hexadecimal digits.",
						   typname)));
	result = palloc(VARHDRSZ + (len - 2) / 2);
	SET_VARSIZE(result, VARHDRSZ + (len - 2) / 2);
	out = (uint8 *) VARDATA(result);
	for (i = 2; i < len; i += 2)
	{
		int			hi = HexDigit(str[i]),
					lo = HexDigit(str[i + 1]);

		if (hi < 0 || lo < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", typname, str),
					 errdetail("\"%.2s\" is not a hexadecimal byte.", str + i)));
		out[(i - 2) / 2] = (uint8) (hi * 16 + lo);
	}
	return result;
}

/* \x and the hex of len bytes at p. */
char *
ParprocHexEncode(const void *p, size_t len)
{
	const uint8 *bytes = p;
	char	   *result = palloc(2 * len + 3);
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	result[0] = '\\';
	result[1] = 'x';
	for (i = 0; i < len; i++)
	{
		result[2 + 2 * i] = digits[bytes[i] >> 4];
		result[3 + 2 * i] = digits[bytes[i] & 15];
	}
	result[2 + 2 * len] = '\0';
	return result;
}

/*
 * Text input of a sketch type: \x followed by the hex of its encoded
 * bytes, which validate checks (raising SQLSTATE 22P02 on bad bytes).
 */
Datum
ParprocSketchIn(FunctionCallInfo fcinfo, const char *typname, ParprocSketchCheck validate)
{
	bytea	   *result = ParprocHexDecode(PG_GETARG_CSTRING(0), typname);

	validate(result, ERRCODE_INVALID_TEXT_REPRESENTATION);
	PG_RETURN_BYTEA_P(result);
}

/* Text output of a sketch type: \x and the hex of its bytes. */
Datum
ParprocSketchOut(FunctionCallInfo fcinfo)
{
	const bytea *value = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_CSTRING(ParprocHexEncode(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)));
}

/*
 * Binary input of a sketch type: its encoded bytes, which validate checks
 * (raising SQLSTATE 22P03 on bad bytes).
 */
Datum
ParprocSketchRecv(FunctionCallInfo fcinfo, ParprocSketchCheck validate)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(result), len);
	validate(result, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_BYTEA_P(result);
}

/* Binary output of a sketch type: its encoded bytes. */
Datum
ParprocSketchSend(FunctionCallInfo fcinfo)
{
	const bytea *value = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
