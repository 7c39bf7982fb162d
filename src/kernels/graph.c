/*
 * graph.c
 *		CSR graphs and spreading activation; see graph.h.
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sort.h"

/* Dense (pull) step when the active nodes' out-edges exceed 1/DENSE_RATIO. */
#define DENSE_RATIO 8

static size_t
align8(size_t n)
{
	return (n + 7) & ~(size_t) 7;
}

size_t
pp_graph_size(uint64_t nnodes, uint64_t nedges)
{
	return align8(nnodes * sizeof(int64_t)) +
		2 * align8((nnodes + 1) * sizeof(uint64_t)) +
		2 * align8(nedges * sizeof(uint32_t)) +
		2 * align8(nedges * sizeof(double)) +
		align8(nnodes * sizeof(double));
}

void
pp_graph_layout(PpGraph *g, void *block, uint64_t nnodes, uint64_t nedges)
{
	char	   *p = block;

	g->nnodes = nnodes;
	g->nedges = nedges;
	g->ids = (int64_t *) p;
	p += align8(nnodes * sizeof(int64_t));
	g->out_off = (uint64_t *) p;
	p += align8((nnodes + 1) * sizeof(uint64_t));
	g->in_off = (uint64_t *) p;
	p += align8((nnodes + 1) * sizeof(uint64_t));
	g->out_dst = (uint32_t *) p;
	p += align8(nedges * sizeof(uint32_t));
	g->in_src = (uint32_t *) p;
	p += align8(nedges * sizeof(uint32_t));
	g->out_w = (double *) p;
	p += align8(nedges * sizeof(double));
	g->in_w = (double *) p;
	p += align8(nedges * sizeof(double));
	g->out_sum = (double *) p;
}

/* int64 order as unsigned order. */
static inline uint64_t
id_key(int64_t id)
{
	return (uint64_t) id ^ UINT64_C(0x8000000000000000);
}

uint64_t
pp_graph_distinct_ids(const int64_t *src, const int64_t *dst, size_t m,
					  int64_t *ids, uint64_t *tmp)
{
	uint64_t   *keys = (uint64_t *) (void *) ids;
	size_t		i,
				n = 0;

	for (i = 0; i < m; i++)
	{
		keys[2 * i] = id_key(src[i]);
		keys[2 * i + 1] = id_key(dst[i]);
	}
	pp_radix_sort_u64(keys, tmp, 2 * m);
	for (i = 0; i < 2 * m; i++)
		if (n == 0 || keys[i] != keys[n - 1])
			keys[n++] = keys[i];
	for (i = 0; i < n; i++)
		ids[i] = (int64_t) (keys[i] ^ UINT64_C(0x8000000000000000));
	return n;
}

int64_t
pp_graph_find(const PpGraph *g, int64_t id)
{
	uint64_t	lo = 0,
				hi = g->nnodes;

	while (lo < hi)
	{
		uint64_t	mid = lo + (hi - lo) / 2;

		if (g->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < g->nnodes && g->ids[lo] == id ? (int64_t) lo : -1;
}

/*
 * A direct table costs 4 bytes per id in the range; past 4 ids of range
 * per node (16 bytes a node, half what the graph itself takes) binary
 * search is used instead.
 */
#define INDEX_RANGE_PER_NODE 4

/* Ids in [ids[0], ids[n - 1]], as an unsigned count (no overflow). */
static uint64_t
id_range(const int64_t *ids, uint64_t n)
{
	return (uint64_t) ids[n - 1] - (uint64_t) ids[0] + 1;
}

size_t
pp_graph_index_size(const int64_t *ids, uint64_t nnodes)
{
	uint64_t	range;

	if (nnodes == 0)
		return 0;
	range = id_range(ids, nnodes);
	if (range == 0 || range / INDEX_RANGE_PER_NODE > nnodes || range > UINT32_MAX)
		return 0;
	return (size_t) range * sizeof(uint32_t);
}

void
pp_graph_index(const int64_t *ids, uint64_t nnodes, uint32_t *index)
{
	uint64_t	u;

	memset(index, 0xff, (size_t) id_range(ids, nnodes) * sizeof(uint32_t));
	for (u = 0; u < nnodes; u++)
		index[(uint64_t) ids[u] - (uint64_t) ids[0]] = (uint32_t) u;
}

/* Node number of an id known to be among ids[0..n). */
static inline uint32_t
search_id(const int64_t *ids, uint64_t n, int64_t id)
{
	uint64_t	lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint64_t	mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint32_t) lo;
}

void
pp_graph_number(const int64_t *ids, uint64_t nnodes, const uint32_t *index,
				const int64_t *in, uint32_t *out, size_t count)
{
	size_t		i;

	if (index)
	{
		uint64_t	base = (uint64_t) ids[0];

		for (i = 0; i < count; i++)
			out[i] = index[(uint64_t) in[i] - base];
	}
	else
		for (i = 0; i < count; i++)
			out[i] = search_id(ids, nnodes, in[i]);
}

void
pp_graph_begin(PpGraph *g, const int64_t *ids)
{
	memcpy(g->ids, ids, g->nnodes * sizeof(int64_t));
	memset(g->out_off, 0, (g->nnodes + 1) * sizeof(uint64_t));
	memset(g->in_off, 0, (g->nnodes + 1) * sizeof(uint64_t));
}

/* Degrees, counted one place up: prefix sums make off[u] row u's start. */
void
pp_graph_count(PpGraph *g, const uint32_t *src, const uint32_t *dst,
			   size_t count, bool directed)
{
	size_t		i;

	for (i = 0; i < count; i++)
	{
		g->out_off[src[i] + 1]++;
		g->in_off[dst[i] + 1]++;
		if (!directed)
		{
			g->out_off[dst[i] + 1]++;
			g->in_off[src[i] + 1]++;
		}
	}
}

/*
 * Prefix sums of the degrees.  Until pp_graph_finish, off[u] serves as row
 * u's fill cursor and ends at row u + 1's start.
 */
void
pp_graph_offsets(PpGraph *g)
{
	uint64_t	u;

	for (u = 1; u <= g->nnodes; u++)
	{
		g->out_off[u] += g->out_off[u - 1];
		g->in_off[u] += g->in_off[u - 1];
	}
}

/* Append edge u -> v of weight w at the rows' cursors. */
static inline void
put_edge(PpGraph *g, uint32_t u, uint32_t v, double w)
{
	uint64_t	o = g->out_off[u]++,
				i = g->in_off[v]++;

	g->out_dst[o] = v;
	g->out_w[o] = w;
	g->in_src[i] = u;
	g->in_w[i] = w;
}

void
pp_graph_fill(PpGraph *g, const uint32_t *src, const uint32_t *dst,
			  const double *w, size_t count, bool directed)
{
	size_t		i;

	for (i = 0; i < count; i++)
	{
		put_edge(g, src[i], dst[i], w ? w[i] : 1.0);
		if (!directed)
			put_edge(g, dst[i], src[i], w ? w[i] : 1.0);
	}
}

/* Cursors back to row starts; the out-weight sums. */
void
pp_graph_finish(PpGraph *g)
{
	uint64_t	n = g->nnodes,
				u;

	for (u = n; u > 0; u--)
	{
		g->out_off[u] = g->out_off[u - 1];
		g->in_off[u] = g->in_off[u - 1];
	}
	g->out_off[0] = g->in_off[0] = 0;
	for (u = 0; u < n; u++)
	{
		double		sum = 0;
		uint64_t	e;

		for (e = g->out_off[u]; e < g->out_off[u + 1]; e++)
			sum += g->out_w[e];
		g->out_sum[u] = sum;
	}
}

void
pp_graph_build(PpGraph *g, const int64_t *ids, const int64_t *src,
			   const int64_t *dst, const double *w, size_t m, bool directed,
			   uint32_t *src_nodes, uint32_t *dst_nodes)
{
	pp_graph_number(ids, g->nnodes, NULL, src, src_nodes, m);
	pp_graph_number(ids, g->nnodes, NULL, dst, dst_nodes, m);
	pp_graph_begin(g, ids);
	pp_graph_count(g, src_nodes, dst_nodes, m, directed);
	pp_graph_offsets(g);
	pp_graph_fill(g, src_nodes, dst_nodes, w, m, directed);
	pp_graph_finish(g);
}

size_t
pp_spread_scratch_size(uint64_t room)
{
	return 4 * align8(room * sizeof(double)) + align8(room * sizeof(int32_t)) +
		align8(room) + 3 * align8(room * sizeof(uint32_t));
}

void
pp_spread_scratch_layout(PpSpreadScratch *s, void *block, uint64_t room)
{
	char	   *p = block;

	s->room = room;
	s->a = (double *) p;
	p += align8(room * sizeof(double));
	s->next = (double *) p;
	p += align8(room * sizeof(double));
	s->sum = (double *) p;
	p += align8(room * sizeof(double));
	s->inh = (double *) p;
	p += align8(room * sizeof(double));
	s->reached = (int32_t *) p;
	p += align8(room * sizeof(int32_t));
	s->mark = (uint8_t *) p;
	p += align8(room);
	s->active = (uint32_t *) p;
	p += align8(room * sizeof(uint32_t));
	s->touched = (uint32_t *) p;
	p += align8(room * sizeof(uint32_t));
	s->ever = (uint32_t *) p;
}

/* The new activation of v from its parts. */
static inline double
activation(const PpSpreadParams *p, double prev, double received, double inhibited)
{
	double		x = (1.0 - p->decay) * prev + received - inhibited;

	return x < 0 ? 0 : (x > 1 ? 1 : x);
}

/* What u passes per unit of edge weight: 0 below the threshold. */
static inline double
spread_factor(const PpGraph *g, const PpSpreadParams *p, uint32_t u, double au)
{
	if (au < p->threshold)
		return 0;
	if (p->normalize)
		return g->out_sum[u] > 0 ? p->spread * au / g->out_sum[u] : 0;
	return p->spread * au;
}

/* Mean in-neighbour activation times inhibition, from the sum. */
static inline double
inhibition(const PpGraph *g, const PpSpreadParams *p, uint32_t v, double insum)
{
	uint64_t	deg = g->in_off[v + 1] - g->in_off[v];

	return deg > 0 && p->inhibition > 0 ? p->inhibition * (insum / (double) deg) : 0;
}

/* Record the first iteration at which v reached the threshold (stored + 1). */
static inline void
note_reached(PpSpreadScratch *s, size_t *never, uint32_t v, int32_t t)
{
	if (s->reached[v] == 0)
	{
		s->reached[v] = t + 1;
		s->ever[(*never)++] = v;
	}
}

/*
 * One push step from the active nodes: returns the largest change and
 * rebuilds the active list.
 */
static double
push_step(const PpGraph *g, PpSpreadScratch *s, const PpSpreadParams *p,
		  size_t *nactive, size_t *never, int32_t t)
{
	size_t		ntouched = 0,
				i,
				na = 0;
	double		change = 0;

	for (i = 0; i < *nactive; i++)
	{
		uint32_t	u = s->active[i];
		double		au = s->a[u],
					f = spread_factor(g, p, u, au);
		uint64_t	e;

		if (p->check && (i & 65535) == 65535)
			p->check();
		if (!s->mark[u])
		{
			s->mark[u] = 1;
			s->touched[ntouched++] = u;
		}
		for (e = g->out_off[u]; e < g->out_off[u + 1]; e++)
		{
			uint32_t	v = g->out_dst[e];

			if (!s->mark[v])
			{
				s->mark[v] = 1;
				s->touched[ntouched++] = v;
			}
			s->inh[v] += au;
			if (f > 0)
				s->sum[v] += f * g->out_w[e];
		}
	}
	for (i = 0; i < ntouched; i++)
	{
		uint32_t	v = s->touched[i];
		double		x = activation(p, s->a[v], s->sum[v], inhibition(g, p, v, s->inh[v]));

		change = fmax(change, fabs(x - s->a[v]));
		s->a[v] = x;
		s->sum[v] = 0;
		s->inh[v] = 0;
		s->mark[v] = 0;
		if (x > 0)
			s->active[na++] = v;
		if (x > 0 && x >= p->threshold)
			note_reached(s, never, v, t);
	}
	*nactive = na;
	return change;
}

/*
 * One pull step over every node's in-edges.  What each node passes per
 * unit weight is computed once, into sum[] (free in this step), so the
 * inner loop is two gathers and a multiply-add per edge.
 */
static double
pull_step(const PpGraph *g, PpSpreadScratch *s, const PpSpreadParams *p,
		  size_t *nactive, size_t *never, int32_t t)
{
	uint64_t	v;
	size_t		na = 0;
	double		change = 0;
	double	   *f = s->sum;

	for (v = 0; v < g->nnodes; v++)
		f[v] = s->a[v] > 0 ? spread_factor(g, p, (uint32_t) v, s->a[v]) : 0;
	for (v = 0; v < g->nnodes; v++)
	{
		double		received = 0,
					insum = 0;
		uint64_t	e;

		if (p->check && (v & 65535) == 65535)
			p->check();
		for (e = g->in_off[v]; e < g->in_off[v + 1]; e++)
		{
			uint32_t	u = g->in_src[e];

			received += f[u] * g->in_w[e];
			insum += s->a[u];
		}
		s->next[v] = activation(p, s->a[v], received, inhibition(g, p, (uint32_t) v, insum));
	}
	memset(f, 0, g->nnodes * sizeof(double));
	for (v = 0; v < g->nnodes; v++)
	{
		double		x = s->next[v];

		change = fmax(change, fabs(x - s->a[v]));
		s->a[v] = x;
		s->next[v] = 0;
		if (x > 0)
			s->active[na++] = (uint32_t) v;
		if (x > 0 && x >= p->threshold)
			note_reached(s, never, (uint32_t) v, t);
	}
	*nactive = na;
	return change;
}

/* Output order: activation descending, then node (= id) ascending. */
static int
result_order(const void *x, const void *y)
{
	const PpSpreadResult *a = x,
			   *b = y;

	if (a->activation != b->activation)
		return a->activation > b->activation ? -1 : 1;
	return a->node < b->node ? -1 : a->node > b->node;
}

/* A heap whose root is the last in output order. */
static void
heap_up(PpSpreadResult *h, size_t i)
{
	while (i > 0)
	{
		size_t		parent = (i - 1) / 2;
		PpSpreadResult tmp;

		if (result_order(&h[parent], &h[i]) >= 0)
			return;
		tmp = h[parent];
		h[parent] = h[i];
		h[i] = tmp;
		i = parent;
	}
}

static void
heap_down(PpSpreadResult *h, size_t n, size_t i)
{
	for (;;)
	{
		size_t		worst = i,
					l = 2 * i + 1,
					r = l + 1;
		PpSpreadResult tmp;

		if (l < n && result_order(&h[l], &h[worst]) > 0)
			worst = l;
		if (r < n && result_order(&h[r], &h[worst]) > 0)
			worst = r;
		if (worst == i)
			return;
		tmp = h[worst];
		h[worst] = h[i];
		h[i] = tmp;
		i = worst;
	}
}

size_t
pp_spread(const PpGraph *g, PpSpreadScratch *s, const PpSpreadParams *p,
		  const uint32_t *seeds, const double *a0, size_t nseeds,
		  PpSpreadResult *out, size_t max_nodes, int32_t *iterations,
		  int32_t *dense_steps)
{
	size_t		nactive = 0,
				never = 0,
				i,
				nout = 0;
	int64_t		t;

	*dense_steps = 0;
	for (i = 0; i < nseeds; i++)
	{
		s->a[seeds[i]] = a0[i];
		if (a0[i] > 0)
			s->active[nactive++] = seeds[i];
		note_reached(s, &never, seeds[i], 0);
	}

	for (t = 1; t <= p->max_iterations; t++)
	{
		uint64_t	work = 0;
		double		change;

		if (p->check)
			p->check();
		for (i = 0; i < nactive && work * DENSE_RATIO <= g->nedges; i++)
			work += g->out_off[s->active[i] + 1] - g->out_off[s->active[i]];
		if (work * DENSE_RATIO > g->nedges)
		{
			change = pull_step(g, s, p, &nactive, &never, (int32_t) t);
			(*dense_steps)++;
		}
		else
			change = push_step(g, s, p, &nactive, &never, (int32_t) t);
		if (change < p->epsilon)
			break;
	}
	*iterations = t > p->max_iterations ? p->max_iterations : (int32_t) t;

	/*
	 * The best max_nodes active nodes at or above the threshold: a heap whose
	 * root is the worst kept, then sorted.
	 */
	for (i = 0; i < nactive && max_nodes > 0; i++)
	{
		PpSpreadResult r;
		uint32_t	v = s->active[i];

		if (s->a[v] < p->threshold) /* active nodes are > 0 */
			continue;
		r.node = v;
		r.activation = s->a[v];
		r.iteration = s->reached[v] - 1;
		if (nout < max_nodes)
		{
			out[nout++] = r;
			heap_up(out, nout - 1);
		}
		else if (result_order(&r, &out[0]) < 0)
		{
			out[0] = r;
			heap_down(out, nout, 0);
		}
	}
	qsort(out, nout, sizeof(PpSpreadResult), result_order);

	/* leave the scratch all zeros */
	for (i = 0; i < nactive; i++)
		s->a[s->active[i]] = 0;
	for (i = 0; i < never; i++)
		s->reached[s->ever[i]] = 0;
	return nout;
}
