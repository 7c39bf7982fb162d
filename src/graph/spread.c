/*
 * spread.c
 *		parproc.spread_activation: its arguments checked, the graph's
 *		version pinned, the kernel (kernels/graph.c) run from the seeds,
 *		the result rows.
 *
 * The scratch arrays are kept between calls and cleaned by the kernel, so
 * a query costs what its frontier touches.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "compat.h"
#include "graph/cache.h"
#include "graph/graph.h"
#include "kernels/graph.h"
#include "parproc.h"

PG_FUNCTION_INFO_V1(parproc_spread_activation);

static PpSpreadScratch scratch;
static void *scratch_block = NULL;
static bool scratch_dirty = false;	/* a query was interrupted mid-way */

/* Scratch arrays for at least room nodes, kept for the life of the process. */
static PpSpreadScratch *
Scratch(uint64 room)
{
	if (scratch_block == NULL || scratch.room < room)
	{
		/*
		 * faulted in at once: page by page, zeroing 49 MB per 1M nodes is
		 * slow
		 */
		void	   *block = ParprocAllocHuge(TopMemoryContext, pp_spread_scratch_size(room));

		memset(block, 0, pp_spread_scratch_size(room));

		if (scratch_block)
			pfree(scratch_block);
		scratch_block = block;
		scratch_dirty = false;
		pp_spread_scratch_layout(&scratch, block, room);
	}
	return &scratch;
}

/* A spread_activation query: its arguments, checked. */
typedef struct SpreadQuery
{
	const char *name;			/* the graph */
	PpSpreadParams params;		/* spread, decay, ..., for the kernel */
	double		initial;		/* activation of a seed without a weight */
	int32		max_nodes;
	Datum	   *seeds;			/* int8 */
	bool	   *seed_nulls;
	int			nseeds;
	Datum	   *weights;		/* float8, one per seed; NULL: none given */
	bool	   *weight_nulls;
} SpreadQuery;

/* Error for an argument that is NULL. */
static void
NullArgument(const char *arg)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("spread_activation argument %s cannot be null", arg)));
}

/* Error for an argument outside its range, which rule describes. */
static void
BadArgument(const char *arg, double value, const char *rule)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("spread_activation argument %s is out of range: %g", arg, value),
			 errdetail("%s", rule)));
}

/* The float8 argument argno, not NULL. */
static double
Float8Arg(FunctionCallInfo fcinfo, int argno, const char *arg)
{
	if (PG_ARGISNULL(argno))
		NullArgument(arg);
	return PG_GETARG_FLOAT8(argno);
}

/* The int4 argument argno, not NULL. */
static int32
Int32Arg(FunctionCallInfo fcinfo, int argno, const char *arg)
{
	if (PG_ARGISNULL(argno))
		NullArgument(arg);
	return PG_GETARG_INT32(argno);
}

typedef struct SeedWeight
{
	uint32		node;
	double		weight;
} SeedWeight;

static int
SeedOrder(const void *a, const void *b)
{
	uint32		x = ((const SeedWeight *) a)->node,
				y = ((const SeedWeight *) b)->node;

	return x < y ? -1 : x > y;
}

/* The kernel's interrupt check: may leave by longjmp (see scratch_dirty). */
static void
CheckInterrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * The arguments of spread_activation(name, seeds, initial, spread, decay,
 * threshold, inhibition, normalize_weights, max_iterations, epsilon, max_nodes,
 * seed_weights), checked.
 */
static void
SpreadArguments(FunctionCallInfo fcinfo, SpreadQuery *q)
{
	PpSpreadParams *p = &q->params;
	char	   *name;

	if (PG_ARGISNULL(0))
		NullArgument("graph");
	if (PG_ARGISNULL(1))
		NullArgument("seeds");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CheckGraphName(name);
	q->name = name;
	q->initial = Float8Arg(fcinfo, 2, "initial");
	p->spread = Float8Arg(fcinfo, 3, "spread");
	p->decay = Float8Arg(fcinfo, 4, "decay");
	p->threshold = Float8Arg(fcinfo, 5, "threshold");
	p->inhibition = Float8Arg(fcinfo, 6, "inhibition");
	if (PG_ARGISNULL(7))
		NullArgument("normalize_weights");
	p->normalize = PG_GETARG_BOOL(7);
	p->max_iterations = Int32Arg(fcinfo, 8, "max_iterations");
	p->epsilon = Float8Arg(fcinfo, 9, "epsilon");
	q->max_nodes = Int32Arg(fcinfo, 10, "max_nodes");

	if (!(isfinite(q->initial) && q->initial >= 0))
		BadArgument("initial", q->initial, "It must be finite and at least 0.");
	if (!(isfinite(p->spread) && p->spread >= 0))
		BadArgument("spread", p->spread, "It must be finite and at least 0.");
	if (!(p->decay >= 0 && p->decay <= 1))
		BadArgument("decay", p->decay, "It must be between 0 and 1.");
	if (!(isfinite(p->threshold) && p->threshold >= 0))
		BadArgument("threshold", p->threshold, "It must be finite and at least 0.");
	if (!(isfinite(p->inhibition) && p->inhibition >= 0))
		BadArgument("inhibition", p->inhibition, "It must be finite and at least 0.");
	if (!(p->epsilon >= 0) || isnan(p->epsilon))
		BadArgument("epsilon", p->epsilon, "It must be at least 0.");
	if (p->max_iterations < 0)
		BadArgument("max_iterations", p->max_iterations, "It must be at least 0.");
	if (q->max_nodes < 0)
		BadArgument("max_nodes", q->max_nodes, "It must be at least 0.");

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &q->seeds, &q->seed_nulls, &q->nseeds);
	q->weights = NULL;
	q->weight_nulls = NULL;
	if (!PG_ARGISNULL(11))
	{
		int			nweights;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(11), FLOAT8OID, 8, FLOAT8PASSBYVAL,
						  TYPALIGN_DOUBLE, &q->weights, &q->weight_nulls, &nweights);
		if (nweights != q->nseeds)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("spread_activation seed_weights has %d elements, seeds %d",
							nweights, q->nseeds),
					 errdetail("Give one weight per seed.")));
	}
}

static void GraphSpread(FunctionCallInfo fcinfo, const PpGraph *g, const SpreadQuery *q);

/*
 * spread_activation(name, seeds, initial, spread, decay, threshold,
 * inhibition, normalize_weights, max_iterations, epsilon, max_nodes, seed_weights)
 */
Datum
parproc_spread_activation(PG_FUNCTION_ARGS)
{
	SpreadQuery q;
	const char *name;
	GraphDef   *def;
	GraphPin	pin;
	bool		spi = false;
	instr_time	start,
				elapsed;
	volatile double elapsed_ms = -1;

	INSTR_TIME_SET_CURRENT(start);
	SpreadArguments(fcinfo, &q);
	name = q.name;
	def = GraphDefGet(name, false, &spi);
	CheckEdgeTable(name, def->edges);
	GraphPinVersion(name, def, &pin, &spi);
	if (spi)
		SPI_finish();

	/*
	 * From here on the version is pinned: release it however the query ends,
	 * and count the query when it succeeds.  The caller must be able to read
	 * the edge table this version was loaded from (the definition's, as the
	 * cache key includes it; checked again here on what is actually served).
	 */
	PG_TRY();
	{
		CheckEdgeTable(name, pin.edges);
		GraphSpread(fcinfo, &pin.g, &q);
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, start);
		elapsed_ms = INSTR_TIME_GET_MILLISEC(elapsed);
	}
	PG_FINALLY();
	{
		GraphCacheRelease(&pin, elapsed_ms);
	}
	PG_END_TRY();
	return (Datum) 0;
}

/*
 * The query proper, on a pinned graph: seeds to node numbers, the kernel,
 * the result rows.
 */
static void
GraphSpread(FunctionCallInfo fcinfo, const PpGraph *g, const SpreadQuery *q)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PpSpreadParams p = q->params;
	int			nseeds_in = q->nseeds;
	int32		max_nodes = q->max_nodes;
	uint32	   *seeds;
	double	   *a0;
	size_t		nseeds = 0,
				nout;
	PpSpreadResult *out;
	SeedWeight *pairs;
	int			npairs = 0,
				i;
	int32		iterations,
				dense;
	int			missing = 0;
	StringInfoData missing_ids;

	/* seeds: node numbers, sorted, the largest weight of a repeated seed */
	seeds = palloc(Max(nseeds_in, 1) * sizeof(uint32));
	a0 = palloc(Max(nseeds_in, 1) * sizeof(double));
	pairs = palloc(Max(nseeds_in, 1) * sizeof(SeedWeight));
	initStringInfo(&missing_ids);
	for (i = 0; i < nseeds_in; i++)
	{
		int64		node;
		double		w = q->initial;

		if (q->seed_nulls[i] || (q->weights && q->weight_nulls[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("spread_activation argument %s cannot contain nulls",
							q->seed_nulls[i] ? "seeds" : "seed_weights")));
		if (q->weights)
		{
			w = DatumGetFloat8(q->weights[i]);
			if (!(isfinite(w) && w >= 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("spread_activation argument seed_weights contains an out-of-range "
								"weight: %g", w),
						 errdetail("Weights must be finite and at least 0.")));
		}
		node = pp_graph_find(g, DatumGetInt64(q->seeds[i]));
		if (node < 0)
		{
			if (missing++ < 10)
				appendStringInfo(&missing_ids, "%s" INT64_FORMAT, missing > 1 ? ", " : "",
								 DatumGetInt64(q->seeds[i]));
			continue;
		}
		pairs[npairs].node = (uint32) node;
		pairs[npairs++].weight = w;
	}
	qsort(pairs, npairs, sizeof(SeedWeight), SeedOrder);
	for (i = 0; i < npairs; i++)
	{
		if (nseeds > 0 && seeds[nseeds - 1] == pairs[i].node)
			a0[nseeds - 1] = Max(a0[nseeds - 1], pairs[i].weight);
		else
		{
			seeds[nseeds] = pairs[i].node;
			a0[nseeds++] = pairs[i].weight;
		}
	}
	if (missing > 0)
		ereport(NOTICE,
				(errmsg_plural("%d seed is not in graph \"%s\": %s%s",
							   "%d seeds are not in graph \"%s\": %s%s", missing,
							   missing, q->name, missing_ids.data, missing > 10 ? ", ..." : "")));

	out = palloc(Max(Min((uint64) max_nodes, g->nnodes), 1) * sizeof(PpSpreadResult));
	p.check = CheckInterrupts;
	{
		PpSpreadScratch *sc = Scratch(g->nnodes);

		/* an interrupted query leaves the scratch dirty: clean it all */
		if (scratch_dirty)
			memset(scratch_block, 0, pp_spread_scratch_size(sc->room));
		scratch_dirty = true;
		nout = pp_spread(g, sc, &p, seeds, a0, nseeds, out,
						 Min((uint64) max_nodes, g->nnodes), &iterations, &dense);
		scratch_dirty = false;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < (int) nout; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int64GetDatum(g->ids[out[i].node]);
		values[1] = Float8GetDatum(out[i].activation);
		values[2] = Int32GetDatum(out[i].iteration);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}

}
