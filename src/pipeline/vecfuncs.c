/*
 * vecfuncs.c
 *		The built-in functions that have column kernels: a table from
 *		function OID to what the function computes, looked up once per call
 *		when a stage is compiled (veccompile.c), and the conditions under
 *		which the text functions among them may run as kernels (database
 *		encoding, collation, MD5 available); and, for explain_pipeline, the
 *		names of the expressions that have no kernel.
 */
#include "postgres.h"

#include "common/md5.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/formatting.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/regproc.h"

#include "kernels/textfn.h"
#include "pipeline/vecprog.h"

/* A function with a kernel: what it computes. */
typedef struct VecFunc
{
	Oid			funcid;
	FnClass		cls;
	int			sub;			/* PpArith, PpCmp, PpMath, PpTrimEnds, upper */
} VecFunc;

/*
 * Every function with a kernel, by OID.  A function is in it only if its
 * kernel computes exactly what it computes, or flags the row (batch.h);
 * CompileCall in veccompile.c still checks the argument types.
 */
static const VecFunc vec_funcs[] = {
	/* + - * / over integers of any widths and floats; % over integers */
	{F_INT2PL, FN_ARITH, PP_ADD}, {F_INT4PL, FN_ARITH, PP_ADD},
	{F_INT8PL, FN_ARITH, PP_ADD}, {F_INT24PL, FN_ARITH, PP_ADD},
	{F_INT42PL, FN_ARITH, PP_ADD}, {F_INT48PL, FN_ARITH, PP_ADD},
	{F_INT84PL, FN_ARITH, PP_ADD}, {F_INT28PL, FN_ARITH, PP_ADD},
	{F_INT82PL, FN_ARITH, PP_ADD}, {F_FLOAT4PL, FN_ARITH, PP_ADD},
	{F_FLOAT8PL, FN_ARITH, PP_ADD}, {F_FLOAT48PL, FN_ARITH, PP_ADD},
	{F_FLOAT84PL, FN_ARITH, PP_ADD},
	{F_INT2MI, FN_ARITH, PP_SUB}, {F_INT4MI, FN_ARITH, PP_SUB},
	{F_INT8MI, FN_ARITH, PP_SUB}, {F_INT24MI, FN_ARITH, PP_SUB},
	{F_INT42MI, FN_ARITH, PP_SUB}, {F_INT48MI, FN_ARITH, PP_SUB},
	{F_INT84MI, FN_ARITH, PP_SUB}, {F_INT28MI, FN_ARITH, PP_SUB},
	{F_INT82MI, FN_ARITH, PP_SUB}, {F_FLOAT4MI, FN_ARITH, PP_SUB},
	{F_FLOAT8MI, FN_ARITH, PP_SUB}, {F_FLOAT48MI, FN_ARITH, PP_SUB},
	{F_FLOAT84MI, FN_ARITH, PP_SUB},
	{F_INT2MUL, FN_ARITH, PP_MUL}, {F_INT4MUL, FN_ARITH, PP_MUL},
	{F_INT8MUL, FN_ARITH, PP_MUL}, {F_INT24MUL, FN_ARITH, PP_MUL},
	{F_INT42MUL, FN_ARITH, PP_MUL}, {F_INT48MUL, FN_ARITH, PP_MUL},
	{F_INT84MUL, FN_ARITH, PP_MUL}, {F_INT28MUL, FN_ARITH, PP_MUL},
	{F_INT82MUL, FN_ARITH, PP_MUL}, {F_FLOAT4MUL, FN_ARITH, PP_MUL},
	{F_FLOAT8MUL, FN_ARITH, PP_MUL}, {F_FLOAT48MUL, FN_ARITH, PP_MUL},
	{F_FLOAT84MUL, FN_ARITH, PP_MUL},
	{F_INT2DIV, FN_ARITH, PP_DIV}, {F_INT4DIV, FN_ARITH, PP_DIV},
	{F_INT8DIV, FN_ARITH, PP_DIV}, {F_INT24DIV, FN_ARITH, PP_DIV},
	{F_INT42DIV, FN_ARITH, PP_DIV}, {F_INT48DIV, FN_ARITH, PP_DIV},
	{F_INT84DIV, FN_ARITH, PP_DIV}, {F_INT28DIV, FN_ARITH, PP_DIV},
	{F_INT82DIV, FN_ARITH, PP_DIV}, {F_FLOAT4DIV, FN_ARITH, PP_DIV},
	{F_FLOAT8DIV, FN_ARITH, PP_DIV}, {F_FLOAT48DIV, FN_ARITH, PP_DIV},
	{F_FLOAT84DIV, FN_ARITH, PP_DIV},
	{F_INT2MOD, FN_ARITH, PP_MOD}, {F_INT4MOD, FN_ARITH, PP_MOD},
	{F_INT8MOD, FN_ARITH, PP_MOD},

	/* unary minus, abs */
	{F_INT2UM, FN_NEG, 0}, {F_INT4UM, FN_NEG, 0}, {F_INT8UM, FN_NEG, 0},
	{F_FLOAT4UM, FN_NEG, 0}, {F_FLOAT8UM, FN_NEG, 0},
	{F_INT2ABS, FN_ABS, 0}, {F_INT4ABS, FN_ABS, 0}, {F_INT8ABS, FN_ABS, 0},
	{F_FLOAT4ABS, FN_ABS, 0}, {F_FLOAT8ABS, FN_ABS, 0},
	{F_ABS_INT2, FN_ABS, 0}, {F_ABS_INT4, FN_ABS, 0}, {F_ABS_INT8, FN_ABS, 0},
	{F_ABS_FLOAT4, FN_ABS, 0}, {F_ABS_FLOAT8, FN_ABS, 0},

	/* sqrt, cbrt, exp, ln, log, floor, ceil, round, trunc, power on float8 */
	{F_DSQRT, FN_SQRT, 0}, {F_SQRT_FLOAT8, FN_SQRT, 0},
	{F_DCBRT, FN_MATH, PP_CBRT}, {F_CBRT, FN_MATH, PP_CBRT},
	{F_DEXP, FN_MATH, PP_EXP}, {F_EXP_FLOAT8, FN_MATH, PP_EXP},
	{F_DLOG1, FN_MATH, PP_LN}, {F_LN_FLOAT8, FN_MATH, PP_LN},
	{F_DLOG10, FN_MATH, PP_LOG10}, {F_LOG_FLOAT8, FN_MATH, PP_LOG10},
	{F_LOG10_FLOAT8, FN_MATH, PP_LOG10},
	{F_FLOOR_FLOAT8, FN_MATH, PP_FLOOR},
	{F_CEIL_FLOAT8, FN_MATH, PP_CEIL}, {F_CEILING_FLOAT8, FN_MATH, PP_CEIL},
	{F_DROUND, FN_MATH, PP_ROUND}, {F_ROUND_FLOAT8, FN_MATH, PP_ROUND},
	{F_DTRUNC, FN_MATH, PP_TRUNC}, {F_TRUNC_FLOAT8, FN_MATH, PP_TRUNC},
	{F_DPOW, FN_POW, 0}, {F_POW_FLOAT8_FLOAT8, FN_POW, 0},
	{F_POWER_FLOAT8_FLOAT8, FN_POW, 0},

	/* = <> < <= > >= over integers, floats, dates, timestamps; bool = <> */
	{F_INT2EQ, FN_CMP, PP_EQ}, {F_INT4EQ, FN_CMP, PP_EQ},
	{F_INT8EQ, FN_CMP, PP_EQ}, {F_INT24EQ, FN_CMP, PP_EQ},
	{F_INT42EQ, FN_CMP, PP_EQ}, {F_INT48EQ, FN_CMP, PP_EQ},
	{F_INT84EQ, FN_CMP, PP_EQ}, {F_INT28EQ, FN_CMP, PP_EQ},
	{F_INT82EQ, FN_CMP, PP_EQ}, {F_FLOAT4EQ, FN_CMP, PP_EQ},
	{F_FLOAT8EQ, FN_CMP, PP_EQ}, {F_FLOAT48EQ, FN_CMP, PP_EQ},
	{F_FLOAT84EQ, FN_CMP, PP_EQ}, {F_BOOLEQ, FN_CMP, PP_EQ},
	{F_DATE_EQ, FN_CMP, PP_EQ}, {F_TIMESTAMP_EQ, FN_CMP, PP_EQ},
	{F_TIMESTAMPTZ_EQ, FN_CMP, PP_EQ},
	{F_INT2NE, FN_CMP, PP_NE}, {F_INT4NE, FN_CMP, PP_NE},
	{F_INT8NE, FN_CMP, PP_NE}, {F_INT24NE, FN_CMP, PP_NE},
	{F_INT42NE, FN_CMP, PP_NE}, {F_INT48NE, FN_CMP, PP_NE},
	{F_INT84NE, FN_CMP, PP_NE}, {F_INT28NE, FN_CMP, PP_NE},
	{F_INT82NE, FN_CMP, PP_NE}, {F_FLOAT4NE, FN_CMP, PP_NE},
	{F_FLOAT8NE, FN_CMP, PP_NE}, {F_FLOAT48NE, FN_CMP, PP_NE},
	{F_FLOAT84NE, FN_CMP, PP_NE}, {F_BOOLNE, FN_CMP, PP_NE},
	{F_DATE_NE, FN_CMP, PP_NE}, {F_TIMESTAMP_NE, FN_CMP, PP_NE},
	{F_TIMESTAMPTZ_NE, FN_CMP, PP_NE},
	{F_INT2LT, FN_CMP, PP_LT}, {F_INT4LT, FN_CMP, PP_LT},
	{F_INT8LT, FN_CMP, PP_LT}, {F_INT24LT, FN_CMP, PP_LT},
	{F_INT42LT, FN_CMP, PP_LT}, {F_INT48LT, FN_CMP, PP_LT},
	{F_INT84LT, FN_CMP, PP_LT}, {F_INT28LT, FN_CMP, PP_LT},
	{F_INT82LT, FN_CMP, PP_LT}, {F_FLOAT4LT, FN_CMP, PP_LT},
	{F_FLOAT8LT, FN_CMP, PP_LT}, {F_FLOAT48LT, FN_CMP, PP_LT},
	{F_FLOAT84LT, FN_CMP, PP_LT}, {F_DATE_LT, FN_CMP, PP_LT},
	{F_TIMESTAMP_LT, FN_CMP, PP_LT}, {F_TIMESTAMPTZ_LT, FN_CMP, PP_LT},
	{F_INT2LE, FN_CMP, PP_LE}, {F_INT4LE, FN_CMP, PP_LE},
	{F_INT8LE, FN_CMP, PP_LE}, {F_INT24LE, FN_CMP, PP_LE},
	{F_INT42LE, FN_CMP, PP_LE}, {F_INT48LE, FN_CMP, PP_LE},
	{F_INT84LE, FN_CMP, PP_LE}, {F_INT28LE, FN_CMP, PP_LE},
	{F_INT82LE, FN_CMP, PP_LE}, {F_FLOAT4LE, FN_CMP, PP_LE},
	{F_FLOAT8LE, FN_CMP, PP_LE}, {F_FLOAT48LE, FN_CMP, PP_LE},
	{F_FLOAT84LE, FN_CMP, PP_LE}, {F_DATE_LE, FN_CMP, PP_LE},
	{F_TIMESTAMP_LE, FN_CMP, PP_LE}, {F_TIMESTAMPTZ_LE, FN_CMP, PP_LE},
	{F_INT2GT, FN_CMP, PP_GT}, {F_INT4GT, FN_CMP, PP_GT},
	{F_INT8GT, FN_CMP, PP_GT}, {F_INT24GT, FN_CMP, PP_GT},
	{F_INT42GT, FN_CMP, PP_GT}, {F_INT48GT, FN_CMP, PP_GT},
	{F_INT84GT, FN_CMP, PP_GT}, {F_INT28GT, FN_CMP, PP_GT},
	{F_INT82GT, FN_CMP, PP_GT}, {F_FLOAT4GT, FN_CMP, PP_GT},
	{F_FLOAT8GT, FN_CMP, PP_GT}, {F_FLOAT48GT, FN_CMP, PP_GT},
	{F_FLOAT84GT, FN_CMP, PP_GT}, {F_DATE_GT, FN_CMP, PP_GT},
	{F_TIMESTAMP_GT, FN_CMP, PP_GT}, {F_TIMESTAMPTZ_GT, FN_CMP, PP_GT},
	{F_INT2GE, FN_CMP, PP_GE}, {F_INT4GE, FN_CMP, PP_GE},
	{F_INT8GE, FN_CMP, PP_GE}, {F_INT24GE, FN_CMP, PP_GE},
	{F_INT42GE, FN_CMP, PP_GE}, {F_INT48GE, FN_CMP, PP_GE},
	{F_INT84GE, FN_CMP, PP_GE}, {F_INT28GE, FN_CMP, PP_GE},
	{F_INT82GE, FN_CMP, PP_GE}, {F_FLOAT4GE, FN_CMP, PP_GE},
	{F_FLOAT8GE, FN_CMP, PP_GE}, {F_FLOAT48GE, FN_CMP, PP_GE},
	{F_FLOAT84GE, FN_CMP, PP_GE}, {F_DATE_GE, FN_CMP, PP_GE},
	{F_TIMESTAMP_GE, FN_CMP, PP_GE}, {F_TIMESTAMPTZ_GE, FN_CMP, PP_GE},

	/* casts between integers and floats */
	{F_INT8_INT4, FN_CAST, 0}, {F_INT8_INT2, FN_CAST, 0},
	{F_INT4_INT2, FN_CAST, 0}, {F_INT4_INT8, FN_CAST, 0},
	{F_INT2_INT4, FN_CAST, 0}, {F_INT2_INT8, FN_CAST, 0},
	{F_FLOAT8_INT2, FN_CAST, 0}, {F_FLOAT8_INT4, FN_CAST, 0},
	{F_FLOAT8_INT8, FN_CAST, 0}, {F_FLOAT4_INT2, FN_CAST, 0},
	{F_FLOAT4_INT4, FN_CAST, 0}, {F_FLOAT4_INT8, FN_CAST, 0},
	{F_INT2_FLOAT8, FN_CAST, 0}, {F_INT4_FLOAT8, FN_CAST, 0},
	{F_INT8_FLOAT8, FN_CAST, 0}, {F_INT2_FLOAT4, FN_CAST, 0},
	{F_INT4_FLOAT4, FN_CAST, 0}, {F_INT8_FLOAT4, FN_CAST, 0},
	{F_FLOAT8_FLOAT4, FN_CAST, 0}, {F_FLOAT4_FLOAT8, FN_CAST, 0},

	/* text functions (see VecTextKernelMissing for where they have kernels) */
	{F_TEXTLEN, FN_TEXT_LENGTH, 0}, {F_LENGTH_TEXT, FN_TEXT_LENGTH, 0},
	{F_CHAR_LENGTH_TEXT, FN_TEXT_LENGTH, 0},
	{F_CHARACTER_LENGTH_TEXT, FN_TEXT_LENGTH, 0},
	{F_TEXTCAT, FN_TEXT_CAT, 0},
	{F_BTRIM_TEXT, FN_TRIM, PP_TRIM_BOTH},
	{F_BTRIM_TEXT_TEXT, FN_TRIM, PP_TRIM_BOTH},
	{F_LTRIM_TEXT, FN_TRIM, PP_TRIM_LEADING},
	{F_LTRIM_TEXT_TEXT, FN_TRIM, PP_TRIM_LEADING},
	{F_RTRIM_TEXT, FN_TRIM, PP_TRIM_TRAILING},
	{F_RTRIM_TEXT_TEXT, FN_TRIM, PP_TRIM_TRAILING},
	{F_LOWER_TEXT, FN_CASE_MAP, 0},
	{F_UPPER_TEXT, FN_CASE_MAP, 1},
	{F_SUBSTR_TEXT_INT4, FN_SUBSTR, 0},
	{F_SUBSTR_TEXT_INT4_INT4, FN_SUBSTR, 0},
	{F_SUBSTRING_TEXT_INT4, FN_SUBSTR, 0},
	{F_SUBSTRING_TEXT_INT4_INT4, FN_SUBSTR, 0},
	{F_MD5_TEXT, FN_MD5, 0},
};

/* The class of funcid, and its sub-operation in *sub; FN_NONE if none. */
FnClass
VecFunctionClass(Oid funcid, int *sub)
{
	/* a linear scan: once per function call in a stage, when it compiles */
	for (int k = 0; k < lengthof(vec_funcs); k++)
		if (vec_funcs[k].funcid == funcid)
		{
			*sub = vec_funcs[k].sub;
			return vec_funcs[k].cls;
		}
	return FN_NONE;
}

/*
 * Whether lower and upper under collation collid map every ASCII character
 * as the C locale does, so the case kernel (which maps ASCII strings and
 * leaves the others to PostgreSQL) gives PostgreSQL's results.  Asked of
 * PostgreSQL itself, on all of ASCII at once: true for the ICU and libc
 * locales but those (Turkish, Azeri) whose I and i map outside ASCII; case
 * mappings that depend on context involve non-ASCII letters only.  This
 * loads the collation's locale when the stage is compiled, so a locale
 * that cannot be loaded fails the run there rather than at its first row.
 */
static bool
AsciiCaseIsPlain(Oid collid)
{
	char		ascii[128];
	char	   *lo,
			   *up;

	for (int c = 1; c < 128; c++)
		ascii[c - 1] = (char) c;
	ascii[127] = '\0';
	lo = str_tolower(ascii, 127, collid);
	up = str_toupper(ascii, 127, collid);
	if (strlen(lo) != 127 || strlen(up) != 127)
		return false;
	for (int c = 1; c < 128; c++)
		if (lo[c - 1] != (c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c) ||
			up[c - 1] != (c >= 'a' && c <= 'z' ? c + 'A' - 'a' : c))
			return false;
	return true;
}

/*
 * Why a text function cannot run as kernels here, or NULL: characters are
 * counted only in UTF8 and single-byte encodings; lower/upper only under
 * collations that map ASCII letters as C does (AsciiCaseIsPlain; under C
 * and POSIX str_tolower maps ASCII letters alone); md5 only where
 * PostgreSQL can compute MD5 (not in FIPS mode).
 */
char *
VecTextKernelMissing(FnClass cls, Oid funcid, Oid inputcollid)
{
	char		hex[33];
	const char *errstr = NULL;

	switch (cls)
	{
		case FN_TEXT_LENGTH:
		case FN_TRIM:
		case FN_SUBSTR:
			if (GetDatabaseEncoding() != PG_UTF8 && pg_database_encoding_max_length() != 1)
				return psprintf("function %s has no kernel in encoding %s",
								format_procedure(funcid), GetDatabaseEncodingName());
			return NULL;
		case FN_CASE_MAP:
			if (!OidIsValid(inputcollid))
				return psprintf("function %s has no kernel without a collation",
								format_procedure(funcid));
			if (!PpCtypeIsC(inputcollid) && !AsciiCaseIsPlain(inputcollid))
				return psprintf("function %s has no kernel under collation %s: it maps ASCII letters to other letters",
								format_procedure(funcid), get_collation_name(inputcollid));
			return NULL;
		case FN_MD5:
			if (!pg_md5_hash("", 0, hex, &errstr))
				return psprintf("function %s has no kernel: MD5 is not available",
								format_procedure(funcid));
			return NULL;
		default:
			return NULL;
	}
}

/* Whether cls is one of the text functions. */
bool
VecIsTextClass(FnClass cls)
{
	return cls == FN_TEXT_LENGTH || cls == FN_TEXT_CAT || cls == FN_TRIM ||
		cls == FN_CASE_MAP || cls == FN_SUBSTR || cls == FN_MD5;
}

/* The name of an expression node's type, as in nodes/primnodes.h. */
static const char *
NodeTagName(Node *node)
{
#define TAG_NAME(t) case T_##t: return #t
	switch (nodeTag(node))
	{
			TAG_NAME(Var);
			TAG_NAME(Const);
			TAG_NAME(Param);
			TAG_NAME(Aggref);
			TAG_NAME(GroupingFunc);
			TAG_NAME(WindowFunc);
			TAG_NAME(SubscriptingRef);
			TAG_NAME(FuncExpr);
			TAG_NAME(NamedArgExpr);
			TAG_NAME(OpExpr);
			TAG_NAME(DistinctExpr);
			TAG_NAME(NullIfExpr);
			TAG_NAME(ScalarArrayOpExpr);
			TAG_NAME(BoolExpr);
			TAG_NAME(SubLink);
			TAG_NAME(SubPlan);
			TAG_NAME(AlternativeSubPlan);
			TAG_NAME(FieldSelect);
			TAG_NAME(FieldStore);
			TAG_NAME(RelabelType);
			TAG_NAME(CoerceViaIO);
			TAG_NAME(ArrayCoerceExpr);
			TAG_NAME(ConvertRowtypeExpr);
			TAG_NAME(CollateExpr);
			TAG_NAME(CaseExpr);
			TAG_NAME(CaseWhen);
			TAG_NAME(CaseTestExpr);
			TAG_NAME(ArrayExpr);
			TAG_NAME(RowExpr);
			TAG_NAME(RowCompareExpr);
			TAG_NAME(CoalesceExpr);
			TAG_NAME(MinMaxExpr);
			TAG_NAME(SQLValueFunction);
			TAG_NAME(XmlExpr);
			TAG_NAME(NullTest);
			TAG_NAME(BooleanTest);
			TAG_NAME(CoerceToDomain);
			TAG_NAME(CoerceToDomainValue);
			TAG_NAME(SetToDefault);
			TAG_NAME(CurrentOfExpr);
			TAG_NAME(NextValueExpr);
		default:
			return NULL;
	}
#undef TAG_NAME
}

/* A cast of arg to node's type, in words; how: how it is done, or "". */
static char *
CastName(Node *arg, Node *node, const char *how)
{
	return psprintf("cast from %s to %s%s", format_type_be(exprType(arg)),
					format_type_be(exprType(node)), how);
}

/* A call of a function that a kernel cannot make, in words. */
static char *
FuncCallName(FuncExpr *f)
{
	return psprintf(f->funcretset ? "set-returning function %s" :
					f->funcvariadic ? "VARIADIC call of function %s" :
					"function %s", format_procedure(f->funcid));
}

/* A column reference that is no plain input column, in words. */
static char *
VarName(Var *v)
{
	return pstrdup(v->varlevelsup != 0 ? "outer-level column reference" :
				   v->varattno == 0 ? "whole-row reference" : "system column");
}

/* The SQL keyword of a SQLValueFunction with a type that has kernels. */
static const char *
SQLValueName(SQLValueFunction *svf)
{
	switch (svf->op)
	{
		case SVFOP_CURRENT_DATE:
			return "CURRENT_DATE";
		case SVFOP_CURRENT_TIMESTAMP:
		case SVFOP_CURRENT_TIMESTAMP_N:
			return "CURRENT_TIMESTAMP";
		case SVFOP_LOCALTIMESTAMP:
		case SVFOP_LOCALTIMESTAMP_N:
			return "LOCALTIMESTAMP";
		default:
			return "node SQLValueFunction";
	}
}

/*
 * What node is, in words, for explain_pipeline's reason that it has no
 * kernel (replacing the first word of nodeToString's output): the SQL
 * construct, with the function, operator or types it involves, else the
 * node type's name.
 */
char *
VecNodeName(Node *node)
{
	static const char *const booltests[] = {
		[IS_TRUE] = "IS TRUE",[IS_NOT_TRUE] = "IS NOT TRUE",
		[IS_FALSE] = "IS FALSE",[IS_NOT_FALSE] = "IS NOT FALSE",
		[IS_UNKNOWN] = "IS UNKNOWN",[IS_NOT_UNKNOWN] = "IS NOT UNKNOWN"
	};
	const char *tag;

	switch (nodeTag(node))
	{
		case T_Var:
			return VarName((Var *) node);
		case T_Param:
			return psprintf("parameter $%d", ((Param *) node)->paramid);
		case T_FuncExpr:
			return FuncCallName((FuncExpr *) node);
		case T_DistinctExpr:
			return psprintf("IS DISTINCT FROM (operator %s)",
							format_operator(((DistinctExpr *) node)->opno));
		case T_NullIfExpr:
			return psprintf("NULLIF (operator %s)",
							format_operator(((NullIfExpr *) node)->opno));
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) node;

				return psprintf("operator %s %s (array)",
								format_operator(saop->opno),
								saop->useOr ? "ANY" : "ALL");
			}
		case T_RelabelType:
			return CastName((Node *) ((RelabelType *) node)->arg, node,
							" (binary-coercible)");
		case T_CoerceViaIO:
			return CastName((Node *) ((CoerceViaIO *) node)->arg, node,
							" via I/O");
		case T_CoerceToDomain:
			return CastName((Node *) ((CoerceToDomain *) node)->arg, node, "");
		case T_NullTest:
			return pstrdup(((NullTest *) node)->nulltesttype == IS_NULL ?
						   "IS NULL of a row" : "IS NOT NULL of a row");
		case T_BooleanTest:
			return pstrdup(booltests[((BooleanTest *) node)->booltesttype]);
		case T_MinMaxExpr:
			return pstrdup(((MinMaxExpr *) node)->op == IS_GREATEST ?
						   "GREATEST" : "LEAST");
		case T_SQLValueFunction:
			return pstrdup(SQLValueName((SQLValueFunction *) node));
		default:
			tag = NodeTagName(node);
			return tag ? psprintf("node %s", tag) :
				psprintf("node of type %d", (int) nodeTag(node));
	}
}
