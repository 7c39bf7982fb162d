/*
 * veccompile.c
 *		Compiling a pipeline stage's expressions into programs of column
 *		kernels (vecprog.h), run over batches by vecexec.c, with
 *		PostgreSQL's own evaluator for the rest.
 *
 * Compilation is per expression (a filter's qual, each column of a map):
 * an expression whose every node has a kernel becomes instructions over
 * registers (typed columns of batch size); any other expression is
 * evaluated by PostgreSQL row by row, as before, and explain_pipeline
 * shows why.  Functions have kernels by OID (vecfuncs.c).  The columns the
 * kernels read are deformed once per batch, as vecexec.c lays them out.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

#include "kernels/batch.h"
#include "pipeline/pipeline.h"
#include "pipeline/vecprog.h"

/* ------------------------------------------------------------ types */

/* The kernel kind of a type; false if no kernel handles it. */
static bool
TypeKind(Oid type, PpKind *kind)
{
	switch (type)
	{
		case BOOLOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			*kind = PP_KIND_INT;
			return true;
		case FLOAT4OID:
		case FLOAT8OID:
			*kind = PP_KIND_FLOAT;
			return true;
		case TEXTOID:
		case VARCHAROID:
			*kind = PP_KIND_TEXT;
			return true;
		default:
			return false;
	}
}

/* The range of an integer type. */
static void
IntRange(Oid type, int64 *lo, int64 *hi)
{
	switch (type)
	{
		case INT2OID:
			*lo = PG_INT16_MIN;
			*hi = PG_INT16_MAX;
			break;
		case INT4OID:
			*lo = PG_INT32_MIN;
			*hi = PG_INT32_MAX;
			break;
		default:
			*lo = PG_INT64_MIN;
			*hi = PG_INT64_MAX;
			break;
	}
}

/* Whether type is one of the integer types. */
static bool
IsIntType(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

/* Whether type is one of the float types. */
static bool
IsFloatType(Oid type)
{
	return type == FLOAT4OID || type == FLOAT8OID;
}

/* ---------------------------------------------------------- compiler */

/* A new register of type, with columns of the batch's size. */
static int
NewReg(PpVecStage *vs, Oid type)
{
	VReg	   *r;
	int			n = vs->batch;

	if (vs->nregs == vs->maxregs)
	{
		vs->maxregs *= 2;
		vs->regs = repalloc(vs->regs, sizeof(VReg) * vs->maxregs);
	}
	r = &vs->regs[vs->nregs];
	memset(r, 0, sizeof(VReg));
	r->type = type;
	if (!TypeKind(type, &r->kind))
		elog(ERROR, "no kernel kind for type %u", type);
	switch (r->kind)
	{
		case PP_KIND_INT:
			r->col.i = palloc0(sizeof(int64) * n);
			break;
		case PP_KIND_FLOAT:
			r->col.f = palloc0(sizeof(double) * n);
			break;
		case PP_KIND_TEXT:
			r->col.s = palloc0(sizeof(PpStr) * n);
			break;
	}
	r->col.null = palloc0(n);
	r->col.status = palloc0(n);
	return vs->nregs++;
}

/* Append an instruction. */
static VInstr *
Emit(PpVecStage *vs, VOp op, int dst, int a, int b)
{
	VInstr	   *in;

	if (vs->ninstr == vs->maxinstr)
	{
		vs->maxinstr *= 2;
		vs->instr = repalloc(vs->instr, sizeof(VInstr) * vs->maxinstr);
	}
	in = &vs->instr[vs->ninstr++];
	memset(in, 0, sizeof(VInstr));
	in->op = op;
	in->dst = dst;
	in->a = a;
	in->b = b;
	in->c = -1;
	in->aux = -1;
	return in;
}

/* The register holding input column attno, deformed once per batch. */
static int
InputReg(PpVecStage *vs, AttrNumber attno, Oid type)
{
	int			reg;

	for (int j = 0; j < vs->ninputs; j++)
		if (vs->input_att[j] == attno)
			return vs->input_reg[j];
	reg = NewReg(vs, type);
	vs->input_att = repalloc(vs->input_att, sizeof(AttrNumber) * (vs->ninputs + 1));
	vs->input_reg = repalloc(vs->input_reg, sizeof(int) * (vs->ninputs + 1));
	vs->input_att[vs->ninputs] = attno;
	vs->input_reg[vs->ninputs] = reg;
	vs->ninputs++;
	vs->maxatt = Max(vs->maxatt, attno);
	return reg;
}

/* A register filled with a constant, once. */
static int
ConstReg(PpVecStage *vs, Const *c)
{
	int			reg = NewReg(vs, c->consttype);
	PpCol	   *col = &vs->regs[reg].col;

	for (int i = 0; i < vs->batch; i++)
	{
		col->null[i] = c->constisnull;
		if (c->constisnull)
			continue;
		switch (c->consttype)
		{
			case BOOLOID:
				col->i[i] = DatumGetBool(c->constvalue);
				break;
			case INT2OID:
				col->i[i] = DatumGetInt16(c->constvalue);
				break;
			case INT4OID:
				col->i[i] = DatumGetInt32(c->constvalue);
				break;
			case DATEOID:
				col->i[i] = DatumGetDateADT(c->constvalue);
				break;
			case INT8OID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
				col->i[i] = DatumGetInt64(c->constvalue);
				break;
			case FLOAT4OID:
				col->f[i] = DatumGetFloat4(c->constvalue);
				break;
			case FLOAT8OID:
				col->f[i] = DatumGetFloat8(c->constvalue);
				break;
			default:
				{
					struct varlena *v = pg_detoast_datum_packed((struct varlena *)
																DatumGetPointer(c->constvalue));

					col->s[i].p = VARDATA_ANY(v);
					col->s[i].len = VARSIZE_ANY_EXHDR(v);
				}
				break;
		}
	}
	return reg;
}

static int	CompileNode(PpVecStage *vs, Node *node, StringInfo desc, char **why);

/* Compile a call's arguments into r[]; false and *why if one has no kernel. */
static bool
CompileArgs(PpVecStage *vs, Oid funcid, List *args, int *r, StringInfo desc,
			char **why)
{
	ListCell   *lc;

	appendStringInfo(desc, "%s(", get_func_name(funcid));
	foreach(lc, args)
	{
		int			k = foreach_current_index(lc);

		if (k > 0)
			appendStringInfoString(desc, ", ");
		if ((r[k] = CompileNode(vs, lfirst(lc), desc, why)) < 0)
			return false;
	}
	appendStringInfoChar(desc, ')');
	return true;
}

/* Why the compiled arguments r[] do not fit cls's kernel, or NULL. */
static char *
CallArgsMisfit(PpVecStage *vs, FnClass cls, Oid funcid, const int *r,
			   int nargs)
{
	if (VecIsTextClass(cls))
	{
		/* the OIDs of vecfuncs.c take text, then int4 for substr; make sure */
		for (int k = 0; k < nargs; k++)
			if (cls == FN_SUBSTR && k > 0 ? vs->regs[r[k]].type != INT4OID :
				vs->regs[r[k]].kind != PP_KIND_TEXT)
				return psprintf("function %s has unexpected argument types",
								format_procedure(funcid));
	}
	/* the OIDs of vecfuncs.c take two integers or two floats; make sure */
	else if (nargs == 2 && IsFloatType(vs->regs[r[0]].type) !=
			 IsFloatType(vs->regs[r[1]].type))
		return psprintf("function %s mixes integer and float arguments",
						format_procedure(funcid));
	return NULL;
}

/* Emit cls's kernel over the arguments' registers r[]; its register. */
static int
EmitCall(PpVecStage *vs, FnClass cls, int sub, const int *r, Oid rettype)
{
	int			a = r[0],
				b = r[1],
				dst = NewReg(vs, rettype);
	Oid			ta = a >= 0 ? vs->regs[a].type : InvalidOid;
	VInstr	   *in;

	switch (cls)
	{
		case FN_ARITH:
			if (IsIntType(rettype))
			{
				in = Emit(vs, V_INT_ARITH, dst, a, b);
				IntRange(rettype, &in->lo, &in->hi);
			}
			else
				in = Emit(vs, rettype == FLOAT4OID ? V_F4_ARITH : V_F8_ARITH, dst, a, b);
			in->sub = sub;
			break;
		case FN_NEG:
		case FN_ABS:
			if (IsIntType(rettype))
			{
				in = Emit(vs, cls == FN_NEG ? V_INT_NEG : V_INT_ABS, dst, a, -1);
				IntRange(rettype, &in->lo, &in->hi);
			}
			else
				Emit(vs, cls == FN_NEG ? V_FLOAT_NEG : V_FLOAT_ABS, dst, a, -1);
			break;
		case FN_SQRT:
			Emit(vs, V_SQRT, dst, a, -1);
			break;
		case FN_MATH:
			Emit(vs, V_F8_MATH, dst, a, -1)->sub = sub;
			break;
		case FN_POW:
			Emit(vs, V_F8_POW, dst, a, b);
			break;
		case FN_CMP:
			in = Emit(vs, IsFloatType(ta) ? V_FLOAT_CMP : V_INT_CMP, dst, a, b);
			in->sub = sub;
			break;
		case FN_CAST:
			if (IsIntType(ta) && IsIntType(rettype))
			{
				in = Emit(vs, V_INT_TO_INT, dst, a, -1);
				IntRange(rettype, &in->lo, &in->hi);
			}
			else if (IsIntType(ta))
				Emit(vs, rettype == FLOAT4OID ? V_INT_TO_F4 : V_INT_TO_F8, dst, a, -1);
			else if (IsIntType(rettype))
			{
				in = Emit(vs, ta == FLOAT4OID ? V_F4_TO_INT : V_FLOAT_TO_INT, dst, a, -1);
				IntRange(rettype, &in->lo, &in->hi);
			}
			else if (rettype == FLOAT4OID)
				Emit(vs, V_F8_TO_F4, dst, a, -1);
			else
				Emit(vs, V_COPY, dst, a, -1);
			break;
		case FN_TEXT_LENGTH:
			Emit(vs, V_TEXT_LENGTH, dst, a, -1)->utf8 = GetDatabaseEncoding() == PG_UTF8;
			break;
		case FN_TEXT_CAT:
			Emit(vs, V_TEXT_CAT, dst, a, b);
			break;
		case FN_TRIM:
			Emit(vs, V_TEXT_TRIM, dst, a, b)->sub = sub;
			break;
		case FN_CASE_MAP:
			Emit(vs, V_TEXT_CASE, dst, a, -1)->sub = sub;
			break;
		case FN_SUBSTR:
			in = Emit(vs, V_TEXT_SUBSTR, dst, a, b);
			in->c = r[2];
			in->utf8 = GetDatabaseEncoding() == PG_UTF8;
			break;
		case FN_MD5:
			Emit(vs, V_TEXT_MD5, dst, a, -1);
			break;
		case FN_NONE:
			break;
	}
	return dst;
}

/* Compile a function call with kernels; -1 and *why if it has none. */
static int
CompileCall(PpVecStage *vs, Oid funcid, List *args, Oid rettype, Oid inputcollid,
			StringInfo desc, char **why)
{
	int			sub = 0;
	FnClass		cls = VecFunctionClass(funcid, &sub);
	int			nargs = list_length(args);
	int			r[3] = {-1, -1, -1};

	if (cls == FN_NONE)
	{
		*why = psprintf("function %s has no kernel", format_procedure(funcid));
		return -1;
	}
	if (nargs > 3 || (nargs == 3 && cls != FN_SUBSTR))
	{
		*why = psprintf("function %s has no kernel for %d arguments",
						format_procedure(funcid), nargs);
		return -1;
	}
	if ((*why = VecTextKernelMissing(cls, funcid, inputcollid)) != NULL)
		return -1;
	if (!CompileArgs(vs, funcid, args, r, desc, why))
		return -1;
	if ((*why = CallArgsMisfit(vs, cls, funcid, r, nargs)) != NULL)
		return -1;
	return EmitCall(vs, cls, sub, r, rettype);
}

/* -1, with *why saying that node has no kernel. */
static int
NoKernel(Node *node, char **why)
{
	*why = psprintf("%s has no kernel", VecNodeName(node));
	return -1;
}

/* Compile a Var: the register of its input column. */
static int
CompileVar(PpVecStage *vs, Var *v, Oid type, StringInfo desc, char **why)
{
	if (v->varattno <= 0 || v->varlevelsup != 0)
		return NoKernel((Node *) v, why);
	appendStringInfoString(desc,
						   NameStr(TupleDescAttr(vs->indesc, v->varattno - 1)->attname));
	return InputReg(vs, v->varattno, type);
}

/* Compile a binary-compatible cast within one kernel kind: its argument. */
static int
CompileRelabel(PpVecStage *vs, RelabelType *r, PpKind kind, StringInfo desc,
			   char **why)
{
	PpKind		argkind;

	if (!TypeKind(exprType((Node *) r->arg), &argkind) || argkind != kind)
		return NoKernel((Node *) r, why);
	return CompileNode(vs, (Node *) r->arg, desc, why);
}

/* Compile a cast from text through the type's input function. */
static int
CompileCoerceViaIO(PpVecStage *vs, CoerceViaIO *c, Oid type, StringInfo desc,
				   char **why)
{
	PpKind		argkind;
	int			a,
				dst;
	VOp			op;
	VInstr	   *in;

	if (!TypeKind(exprType((Node *) c->arg), &argkind) || argkind != PP_KIND_TEXT)
		return NoKernel((Node *) c, why);
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			op = V_TEXT_TO_INT;
			break;
		case FLOAT8OID:
			op = V_TEXT_TO_F8;
			break;
		case FLOAT4OID:
			op = V_TEXT_TO_F4;
			break;
		case BOOLOID:
			op = V_TEXT_TO_BOOL;
			break;
		case DATEOID:
			op = V_TEXT_TO_DATE;
			break;
		case TIMESTAMPOID:
			op = V_TEXT_TO_TS;
			break;
		case TIMESTAMPTZOID:
			op = V_TEXT_TO_TSTZ;
			break;
		default:
			*why = psprintf("no kernel reads text as %s", format_type_be(type));
			return -1;
	}
	appendStringInfo(desc, "%s_in(", format_type_be(type));
	if ((a = CompileNode(vs, (Node *) c->arg, desc, why)) < 0)
		return -1;
	appendStringInfoChar(desc, ')');
	dst = NewReg(vs, type);
	in = Emit(vs, op, dst, a, -1);
	IntRange(type, &in->lo, &in->hi);
	return dst;
}

/* Compile AND, OR or NOT: steps over an accumulator register. */
static int
CompileBoolExpr(PpVecStage *vs, BoolExpr *b, StringInfo desc, char **why)
{
	ListCell   *lc;
	int			acc = -1;
	const char *name = b->boolop == AND_EXPR ? "and" :
	b->boolop == OR_EXPR ? "or" : "not";

	appendStringInfo(desc, "%s(", name);
	foreach(lc, b->args)
	{
		int			a;

		if (lc != list_head(b->args))
			appendStringInfoString(desc, ", ");
		if ((a = CompileNode(vs, lfirst(lc), desc, why)) < 0)
			return -1;
		if (b->boolop == NOT_EXPR)
		{
			acc = NewReg(vs, BOOLOID);
			Emit(vs, V_NOT, acc, a, -1);
		}
		else if (acc < 0)
		{
			acc = NewReg(vs, BOOLOID);
			Emit(vs, V_COPY, acc, a, -1);
		}
		else
			Emit(vs, b->boolop == AND_EXPR ? V_AND_STEP : V_OR_STEP, acc, a, -1);
	}
	appendStringInfoChar(desc, ')');
	return acc;
}

/* Compile IS [NOT] NULL of a scalar. */
static int
CompileNullTest(PpVecStage *vs, NullTest *t, StringInfo desc, char **why)
{
	int			a,
				dst;

	if (t->argisrow)
		return NoKernel((Node *) t, why);
	if ((a = CompileNode(vs, (Node *) t->arg, desc, why)) < 0)
		return -1;
	appendStringInfoString(desc, t->nulltesttype == IS_NULL ? " is null" : " is not null");
	dst = NewReg(vs, BOOLOID);
	Emit(vs, t->nulltesttype == IS_NULL ? V_IS_NULL : V_IS_NOT_NULL, dst, a, -1);
	return dst;
}

/* Compile COALESCE: its first argument, then a step per further argument. */
static int
CompileCoalesce(PpVecStage *vs, CoalesceExpr *c, Oid type, StringInfo desc,
				char **why)
{
	ListCell   *lc;
	int			acc = NewReg(vs, type);

	appendStringInfoString(desc, "coalesce(");
	foreach(lc, c->args)
	{
		int			a;

		if (lc != list_head(c->args))
			appendStringInfoString(desc, ", ");
		if ((a = CompileNode(vs, lfirst(lc), desc, why)) < 0)
			return -1;
		Emit(vs, lc == list_head(c->args) ? V_COPY : V_COALESCE_STEP, acc, a, -1);
	}
	appendStringInfoChar(desc, ')');
	return acc;
}

/*
 * Compile CASE: each row takes the result of its first true WHEN, or the
 * ELSE; a scratch register marks the rows already decided.
 */
static int
CompileCase(PpVecStage *vs, CaseExpr *c, Oid type, StringInfo desc, char **why)
{
	ListCell   *lc;
	int			dst,
				decided,
				saved = vs->casetest,
				arg = -1,
				r;
	VInstr	   *in;

	appendStringInfoString(desc, "case(");
	if (c->arg)
	{
		if ((arg = CompileNode(vs, (Node *) c->arg, desc, why)) < 0)
			return -1;
		appendStringInfoString(desc, "; ");
	}
	dst = NewReg(vs, type);
	decided = NewReg(vs, BOOLOID);
	Emit(vs, V_CASE_INIT, dst, -1, -1)->aux = decided;
	if (arg >= 0)
		Emit(vs, V_CASE_ARG, dst, arg, -1)->aux = decided;
	vs->casetest = arg;
	foreach(lc, c->args)
	{
		CaseWhen   *w = lfirst_node(CaseWhen, lc);
		int			cond;

		if ((cond = CompileNode(vs, (Node *) w->expr, desc, why)) < 0)
			return -1;
		appendStringInfoString(desc, " then ");
		if ((r = CompileNode(vs, (Node *) w->result, desc, why)) < 0)
			return -1;
		appendStringInfoString(desc, "; ");
		in = Emit(vs, V_CASE_WHEN, dst, cond, r);
		in->aux = decided;
	}
	vs->casetest = saved;
	appendStringInfoString(desc, "else ");
	if ((r = CompileNode(vs, (Node *) c->defresult, desc, why)) < 0)
		return -1;
	appendStringInfoChar(desc, ')');
	Emit(vs, V_CASE_ELSE, dst, r, -1)->aux = decided;
	return dst;
}

/* Compile node into instructions; its register, or -1 and *why. */
static int
CompileNode(PpVecStage *vs, Node *node, StringInfo desc, char **why)
{
	PpKind		kind;
	Oid			type = exprType(node);

	if (!TypeKind(type, &kind))
	{
		*why = psprintf("type %s has no kernels", format_type_be(type));
		return -1;
	}
	switch (nodeTag(node))
	{
		case T_Var:
			return CompileVar(vs, (Var *) node, type, desc, why);
		case T_Const:
			appendStringInfoString(desc, "const");
			return ConstReg(vs, (Const *) node);
		case T_RelabelType:
			return CompileRelabel(vs, (RelabelType *) node, kind, desc, why);
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;

				set_opfuncid(op);
				return CompileCall(vs, op->opfuncid, op->args, type, op->inputcollid,
								   desc, why);
			}
		case T_FuncExpr:
			{
				FuncExpr   *f = (FuncExpr *) node;

				if (f->funcretset || f->funcvariadic)
					break;
				return CompileCall(vs, f->funcid, f->args, type, f->inputcollid,
								   desc, why);
			}
		case T_CoerceViaIO:
			return CompileCoerceViaIO(vs, (CoerceViaIO *) node, type, desc, why);
		case T_BoolExpr:
			return CompileBoolExpr(vs, (BoolExpr *) node, desc, why);
		case T_NullTest:
			return CompileNullTest(vs, (NullTest *) node, desc, why);
		case T_CoalesceExpr:
			return CompileCoalesce(vs, (CoalesceExpr *) node, type, desc, why);
		case T_CaseExpr:
			return CompileCase(vs, (CaseExpr *) node, type, desc, why);
		case T_CaseTestExpr:
			if (vs->casetest < 0)
				break;
			appendStringInfoString(desc, "operand");
			return vs->casetest;
		default:
			break;
	}
	return NoKernel(node, why);
}

/*
 * Compile expression e of the stage.  A register's type must be the
 * expression's type (checked here, so a kernel can never produce a value
 * of another type).
 */
static void
CompileExpr(PpVecStage *vs, VExpr *ve, Expr *e, bool filter)
{
	StringInfoData desc;
	char	   *why = NULL;
	int			save_regs = vs->nregs,
				save_instr = vs->ninstr,
				save_inputs = vs->ninputs;
	AttrNumber	save_max = vs->maxatt;

	ve->reg = -1;
	ve->copy = 0;
	if (!filter && IsA(e, Var) && ((Var *) e)->varattno > 0 &&
		((Var *) e)->varlevelsup == 0)
	{
		ve->copy = ((Var *) e)->varattno;
		vs->maxatt = Max(vs->maxatt, ve->copy);
		ve->detail = psprintf("input column %s",
							  NameStr(TupleDescAttr(vs->indesc, ve->copy - 1)->attname));
		return;
	}
	initStringInfo(&desc);
	vs->casetest = -1;
	ve->reg = CompileNode(vs, (Node *) e, &desc, &why);
	if (ve->reg >= 0 && vs->regs[ve->reg].type != exprType((Node *) e))
	{
		why = psprintf("kernels give %s, not %s", format_type_be(vs->regs[ve->reg].type),
					   format_type_be(exprType((Node *) e)));
		ve->reg = -1;
	}
	if (ve->reg < 0)
	{
		/* drop what this expression compiled; its inputs stay unneeded */
		vs->nregs = save_regs;
		vs->ninstr = save_instr;
		vs->ninputs = save_inputs;
		vs->maxatt = save_max;
		ve->detail = why;
		return;
	}
	ve->detail = desc.data;
}

/*
 * Compile stage st for batches of up to batch rows.  Always returns a
 * program; PpVecUseful says whether any expression runs as kernels.
 */
PpVecStage *
PpVecCompile(PpStage *st, int batch)
{
	PpVecStage *vs = palloc0(sizeof(PpVecStage));

	vs->batch = Max(batch, 1);
	vs->indesc = st->indesc;
	vs->maxregs = 8;
	vs->regs = palloc(sizeof(VReg) * vs->maxregs);
	vs->maxinstr = 16;
	vs->instr = palloc(sizeof(VInstr) * vs->maxinstr);
	vs->input_att = palloc(sizeof(AttrNumber));
	vs->input_reg = palloc(sizeof(int));
	vs->nexprs = st->is_filter ? 1 : st->ncols;
	vs->exprs = palloc0(sizeof(VExpr) * Max(vs->nexprs, 1));
	if (st->is_filter)
		CompileExpr(vs, &vs->exprs[0], st->qual, true);
	else
		for (int c = 0; c < st->ncols; c++)
			CompileExpr(vs, &vs->exprs[c], st->cols[c], false);
	VecPrepareDeform(vs);
	for (int k = 0; k < vs->ninstr; k++)
		if (vs->instr[k].op == V_TEXT_TO_TSTZ && vs->tz == NULL)
		{
			vs->tz = palloc(sizeof(PpTzCache));
			pp_tz_cache_init(vs->tz, VecTzLookup, NULL);
		}
	return vs;
}

/* Whether some expression of the stage runs as kernels. */
bool
PpVecUseful(PpVecStage *vs)
{
	for (int e = 0; e < vs->nexprs; e++)
		if (vs->exprs[e].reg >= 0 || vs->exprs[e].copy > 0)
			return true;
	return false;
}

/* Expression e: whether it runs as kernels, and the kernels or the reason. */
bool
PpVecExprInfo(PpVecStage *vs, int e, const char **detail)
{
	*detail = vs->exprs[e].detail;
	return vs->exprs[e].reg >= 0 || vs->exprs[e].copy > 0;
}
