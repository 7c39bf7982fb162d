/*
 * graph.h
 *		Graphs in compressed sparse rows, and spreading activation over them.
 *
 * A graph lives in one caller-allocated block of pp_graph_size() bytes
 * (so that it can sit in shared memory at a different address in every
 * process); pp_graph_layout() points a PpGraph at the arrays inside it.
 * Nodes are numbered 0..nnodes-1 in ascending order of their bigint ids.
 *
 * Spreading activation (the definition is in the README):
 *		S_t(v) = spread * sum over u->v with A(u) >= threshold of A(u) w(u,v) / W(u)
 *		B_t(v) = (1 - decay) A(v) + S_t(v)
 *		I_t(v) = inhibition * mean over in-edges u->v of A(u)
 *		A_t(v) = min(1, max(0, B_t(v) - I_t(v)))
 * with W(u) the sum of u's out-edge weights when normalizing (a node whose
 * out-weights sum to 0 spreads nothing), else 1.  Each iteration either
 * pushes from the active nodes along out-edges, or, when their out-edges
 * are a large part of the graph, pulls along every node's in-edges.
 */
#ifndef PARPROC_KERNELS_GRAPH_H
#define PARPROC_KERNELS_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_GRAPH_MAX_NODES	((uint64_t) UINT32_MAX - 1)

typedef struct PpGraph
{
	uint64_t	nnodes;
	uint64_t	nedges;			/* directed edges: undirected ones twice */
	int64_t    *ids;			/* nnodes, ascending */
	uint64_t   *out_off;		/* nnodes + 1 */
	uint32_t   *out_dst;		/* nedges */
	double	   *out_w;			/* nedges */
	uint64_t   *in_off;			/* nnodes + 1 */
	uint32_t   *in_src;			/* nedges */
	double	   *in_w;			/* nedges */
	double	   *out_sum;		/* nnodes: sum of out-edge weights */
} PpGraph;

/* Bytes of a graph block. */
extern size_t pp_graph_size(uint64_t nnodes, uint64_t nedges);

/* Point g's arrays into a block laid out for nnodes and nedges. */
extern void pp_graph_layout(PpGraph *g, void *block, uint64_t nnodes, uint64_t nedges);

/*
 * Distinct ids of m edges' endpoints: ids (room 2m) and tmp (room 2m)
 * are scratch; returns the number of distinct ids, ascending in ids.
 */
extern uint64_t pp_graph_distinct_ids(const int64_t *src, const int64_t *dst, size_t m,
									  int64_t *ids, uint64_t *tmp);

/*
 * Building a graph in steps, each linear in the edges it is given, so that
 * a caller can check for interrupts between slices of the edges:
 *
 *	pp_graph_index_size / pp_graph_index: an optional direct table from id
 *		to node number, when the ids are dense enough for one (else 0 bytes);
 *	pp_graph_number: node numbers of a slice of endpoints (through the
 *		table, else by binary search over the ids);
 *	pp_graph_begin, then pp_graph_count over every slice, pp_graph_offsets,
 *		pp_graph_fill over the same slices in the same order, pp_graph_finish.
 *
 * g is laid out by pp_graph_layout with nnodes from pp_graph_distinct_ids
 * and nedges = m, or 2m when undirected.  Edges keep their input order
 * within a row, so the result is deterministic.
 */
extern size_t pp_graph_index_size(const int64_t *ids, uint64_t nnodes);
extern void pp_graph_index(const int64_t *ids, uint64_t nnodes, uint32_t *index);
extern void pp_graph_number(const int64_t *ids, uint64_t nnodes, const uint32_t *index,
							const int64_t *in, uint32_t *out, size_t count);
extern void pp_graph_begin(PpGraph *g, const int64_t *ids);
extern void pp_graph_count(PpGraph *g, const uint32_t *src, const uint32_t *dst,
						   size_t count, bool directed);
extern void pp_graph_offsets(PpGraph *g);
extern void pp_graph_fill(PpGraph *g, const uint32_t *src, const uint32_t *dst,
						  const double *w, size_t count, bool directed);
extern void pp_graph_finish(PpGraph *g);

/*
 * All the steps at once, from ids (for tests): src, dst and w are m
 * edges' endpoint ids and weights (w NULL: every weight 1); src_nodes and
 * dst_nodes (room m) receive their node numbers.
 */
extern void pp_graph_build(PpGraph *g, const int64_t *ids, const int64_t *src,
						   const int64_t *dst, const double *w, size_t m, bool directed,
						   uint32_t *src_nodes, uint32_t *dst_nodes);

/* Node number of an id, or -1. */
extern int64_t pp_graph_find(const PpGraph *g, int64_t id);

typedef struct PpSpreadParams
{
	double		spread;
	double		decay;
	double		threshold;
	double		inhibition;
	double		epsilon;
	bool		normalize;
	int32_t		max_iterations;

	/*
	 * Called before every iteration and every 65536 nodes of a step, may be
	 * NULL.  It may leave by longjmp (PostgreSQL's interrupt check): the
	 * scratch is then dirty and must be zeroed before its next use.
	 */
	void		(*check) (void);
} PpSpreadParams;

/*
 * Per-process scratch for a graph of up to `room` nodes, reused between
 * queries: every array is all zeros between calls (the kernel restores
 * the entries it touched, or everything after a dense step).
 */
typedef struct PpSpreadScratch
{
	uint64_t	room;
	double	   *a;				/* activation */
	double	   *next;			/* dense step: new activation */
	double	   *sum;			/* push step: spread received */
	double	   *inh;			/* push step: in-neighbour activation */
	int32_t    *reached;		/* first iteration >= threshold, plus 1 */
	uint8_t    *mark;			/* in the touched list */
	uint32_t   *active;			/* nodes with activation > 0 */
	uint32_t   *touched;
	uint32_t   *ever;			/* nodes with reached set */
} PpSpreadScratch;

/* Bytes of scratch for room nodes, and pointing a scratch into a block. */
extern size_t pp_spread_scratch_size(uint64_t room);
extern void pp_spread_scratch_layout(PpSpreadScratch *s, void *block, uint64_t room);

typedef struct PpSpreadResult
{
	uint32_t	node;
	int32_t		iteration;		/* first iteration reaching the threshold */
	double		activation;
} PpSpreadResult;

/*
 * Run from seeds (node numbers, distinct) with initial activations a0;
 * writes at most max_nodes results with activation >= threshold and > 0,
 * highest first, ties by node, and returns their number.  A result's
 * iteration is the first at which the node was above 0 and at or above
 * the threshold (0 for seeds).  *iterations gets the
 * number of iterations run, *dense_steps how many pulled.
 */
extern size_t pp_spread(const PpGraph *g, PpSpreadScratch *s, const PpSpreadParams *p,
						const uint32_t *seeds, const double *a0, size_t nseeds,
						PpSpreadResult *out, size_t max_nodes, int32_t *iterations,
						int32_t *dense_steps);

#endif							/* PARPROC_KERNELS_GRAPH_H */
