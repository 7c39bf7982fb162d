/*
 * vecprog.h
 *		The program a stage is compiled into for vectorised evaluation:
 *		instructions over registers (typed columns of batch size), the
 *		stage's expressions and the layout of its input for reading.
 *		Private to veccompile.c, which builds it, vecfuncs.c, which says
 *		what has kernels (and names what has none), and vecexec.c, which
 *		runs it; the rest of the engine sees PpVecStage only through
 *		pipeline.h.
 */
#ifndef PARPROC_VECPROG_H
#define PARPROC_VECPROG_H

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "nodes/nodes.h"

#include "kernels/batch.h"
#include "pipeline/pipeline.h"

/* What an instruction computes: one kernel of src/kernels/batch.c, textfn.c. */
typedef enum VOp
{
	V_INT_ARITH,
	V_INT_NEG,
	V_INT_ABS,
	V_F8_ARITH,
	V_F4_ARITH,
	V_FLOAT_NEG,
	V_FLOAT_ABS,
	V_SQRT,
	V_F8_MATH,
	V_F8_POW,
	V_INT_CMP,
	V_FLOAT_CMP,
	V_INT_TO_INT,
	V_INT_TO_F8,
	V_INT_TO_F4,
	V_FLOAT_TO_INT,
	V_F4_TO_INT,
	V_F8_TO_F4,
	V_COPY,
	V_AND_STEP,
	V_OR_STEP,
	V_NOT,
	V_IS_NULL,
	V_IS_NOT_NULL,
	V_COALESCE_STEP,
	V_CASE_INIT,
	V_CASE_ARG,
	V_CASE_WHEN,
	V_CASE_ELSE,
	V_TEXT_TO_INT,
	V_TEXT_TO_F8,
	V_TEXT_TO_F4,
	V_TEXT_TO_BOOL,
	V_TEXT_TO_DATE,
	V_TEXT_TO_TS,
	V_TEXT_TO_TSTZ,
	V_TEXT_LENGTH,
	V_TEXT_CAT,
	V_TEXT_TRIM,
	V_TEXT_CASE,
	V_TEXT_SUBSTR,
	V_TEXT_MD5
} VOp;

/* One instruction: dst = op(a, b[, c]); aux is a scratch register. */
typedef struct VInstr
{
	VOp			op;
	int			sub;			/* PpArith, PpCmp, PpMath, PpTrimEnds, upper */
	int			utf8;			/* text kernels: the database encoding is UTF8 */
	int			dst;
	int			a;
	int			b;
	int			c;
	int			aux;
	int64		lo;				/* integer result range */
	int64		hi;
} VInstr;

/* A register: a column of batch size, of a type a kernel handles. */
typedef struct VReg
{
	Oid			type;
	PpKind		kind;
	PpCol		col;
} VReg;

/* An attribute of the stage's input, as the tuple reader needs it. */
typedef struct VAtt
{
	int16		len;
	bool		byval;
	char		align;
	int			fixoff;			/* its offset in every tuple without NULLs, or
								 * -1 (after a varlena) */
	int			need;			/* its column in vals/nulls, or -1 */
} VAtt;

/* One expression of the stage. */
typedef struct VExpr
{
	int			reg;			/* kernels' result, or -1 */
	AttrNumber	copy;			/* a map column that is a plain input column */
	int			copycol;		/* ... and its column in vals/nulls */
	char	   *detail;			/* the kernels, or why not */
} VExpr;

/* A compiled stage: its program, and what it reads of each batch. */
struct PpVecStage
{
	int			batch;
	int			nexprs;
	VExpr	   *exprs;
	int			nregs;
	int			maxregs;
	VReg	   *regs;
	int			ninstr;
	int			maxinstr;
	VInstr	   *instr;
	int			ninputs;		/* deformed columns */
	AttrNumber *input_att;
	int		   *input_reg;
	AttrNumber	maxatt;			/* last input attribute the stage reads */
	VAtt	   *atts;			/* the attributes up to maxatt, for reading */
	int			nneed;			/* how many of them are needed */
	AttrNumber *needatt;		/* per needed attribute: its index in atts */
	bool		allfixed;		/* all needed attributes at fixed offsets */
	bool		fallback;		/* a map column without kernels */
	Datum	   *vals;			/* per needed attribute, batch values */
	bool	   *nulls;
	PpTzCache  *tz;
	TupleDesc	indesc;
	int			casetest;		/* register of the CASE operand being compiled */
};

/* What a function with a kernel computes. */
typedef enum FnClass
{
	FN_NONE,
	FN_ARITH,					/* sub: PpArith */
	FN_NEG,
	FN_ABS,
	FN_CMP,						/* sub: PpCmp */
	FN_SQRT,
	FN_MATH,					/* sub: PpMath */
	FN_POW,
	FN_CAST,
	FN_TEXT_LENGTH,
	FN_TEXT_CAT,
	FN_TRIM,					/* sub: PpTrimEnds */
	FN_CASE_MAP,				/* sub: 1 upper, 0 lower */
	FN_SUBSTR,
	FN_MD5
} FnClass;

/* vecfuncs.c */
extern FnClass VecFunctionClass(Oid funcid, int *sub);
extern bool VecIsTextClass(FnClass cls);
extern char *VecTextKernelMissing(FnClass cls, Oid funcid, Oid inputcollid);
extern char *VecNodeName(Node *node);

/* vecexec.c */
extern void VecPrepareDeform(PpVecStage *vs);
extern int	VecTzLookup(void *arg, int64_t hour, int64_t *gmtoff);

#endif							/* PARPROC_VECPROG_H */
