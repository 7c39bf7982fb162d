/*
 * test_graph.c
 *		Unit tests of src/kernels/graph.c.
 *
 * Building and indexing random graphs, and pp_spread against the
 * spreading-activation definition computed over the edge list.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/kernels/graph.h"
#include "unit.h"

/*
 * The spreading-activation definition over an edge list, every node every
 * iteration: the oracle for pp_spread.  Results as pp_spread orders them.
 */
static size_t
spread_reference(size_t n, const uint32_t *eu, const uint32_t *ev, const double *ew, size_t m,
				 const PpSpreadParams *p, const uint32_t *seeds, const double *a0, size_t nseeds,
				 PpSpreadResult *out, size_t max_nodes)
{
	double	   *a = calloc(n, sizeof(double)),
			   *nx = calloc(n, sizeof(double)),
			   *wsum = calloc(n, sizeof(double)),
			   *recv = calloc(n, sizeof(double)),
			   *insum = calloc(n, sizeof(double));
	int32_t    *reached = malloc(n * sizeof(int32_t));
	size_t	   *indeg = calloc(n, sizeof(size_t));
	size_t		i,
				e,
				nout = 0;
	int32_t		t;

	for (i = 0; i < n; i++)
		reached[i] = -1;
	for (e = 0; e < m; e++)
	{
		wsum[eu[e]] += ew[e];
		indeg[ev[e]]++;
	}
	for (i = 0; i < nseeds; i++)
	{
		a[seeds[i]] = a0[i];
		reached[seeds[i]] = 0;
	}
	for (t = 1; t <= p->max_iterations; t++)
	{
		double		change = 0;

		memset(recv, 0, n * sizeof(double));
		memset(insum, 0, n * sizeof(double));
		for (e = 0; e < m; e++)
		{
			double		au = a[eu[e]];

			insum[ev[e]] += au;
			if (au > 0 && au >= p->threshold && (!p->normalize || wsum[eu[e]] > 0))
				recv[ev[e]] += p->spread * au * ew[e] / (p->normalize ? wsum[eu[e]] : 1);
		}
		for (i = 0; i < n; i++)
		{
			double		inh = indeg[i] ? p->inhibition * insum[i] / (double) indeg[i] : 0;
			double		x = (1 - p->decay) * a[i] + recv[i] - inh;

			nx[i] = x < 0 ? 0 : x > 1 ? 1 : x;
			change = fmax(change, fabs(nx[i] - a[i]));
		}
		for (i = 0; i < n; i++)
		{
			a[i] = nx[i];
			if (reached[i] < 0 && a[i] > 0 && a[i] >= p->threshold)
				reached[i] = t;
		}
		if (change < p->epsilon)
			break;
	}
	/* selection by repeated scans: fine for test sizes */
	while (nout < max_nodes)
	{
		int64_t		best = -1;

		for (i = 0; i < n; i++)
			if (a[i] > 0 && a[i] >= p->threshold &&
				(best < 0 || a[i] > a[best]))
				best = (int64_t) i;
		if (best < 0)
			break;
		out[nout].node = (uint32_t) best;
		out[nout].activation = a[best];
		out[nout++].iteration = reached[best];
		a[best] = -1;
	}
	free(a);
	free(nx);
	free(wsum);
	free(recv);
	free(insum);
	free(reached);
	free(indeg);
	return nout;
}

/* Graph build and lookup, and pp_spread against spread_reference. */
void
test_graph(void)
{
	int			round,
				saw_dense = 0,
				saw_push_only = 0;
	PpSpreadScratch s;
	void	   *sblock = calloc(1, pp_spread_scratch_size(400));

	pp_spread_scratch_layout(&s, sblock, 400);
	for (round = 0; round < 60; round++)
	{
		size_t		m = 50 + (size_t) (rnd() * (round % 3 == 0 ? 4000 : 400)),
					i,
					nid;
		bool		directed = round % 4 != 1;
		int64_t    *src = malloc(m * sizeof(int64_t)),
				   *dst = malloc(m * sizeof(int64_t)),
				   *ids = malloc(2 * m * sizeof(int64_t));
		uint64_t   *tmp = malloc(2 * m * sizeof(uint64_t));
		double	   *w = malloc(m * sizeof(double));
		uint32_t   *eu = malloc(2 * m * sizeof(uint32_t)),
				   *ev = malloc(2 * m * sizeof(uint32_t));
		double	   *ew = malloc(2 * m * sizeof(double));
		uint32_t   *sn = malloc(m * sizeof(uint32_t)),
				   *dn = malloc(m * sizeof(uint32_t));
		bool		dense_ids = round % 2 == 0;
		PpGraph		g,
					g2;
		void	   *block,
				   *block2;
		uint32_t   *index = NULL;
		size_t		index_size,
					slice = 1 + (size_t) (rnd() * 60);
		PpSpreadParams p;
		uint32_t	seeds[3];
		double		a0[3];
		PpSpreadResult got[400],
					want[400];
		size_t		ngot,
					nwant,
					nm = 0;
		int32_t		iters,
					dense;
		int			ok = 1;

		for (i = 0; i < m; i++)
		{
			/*
			 * ids spread over negative and positive values (dense enough for
			 * a direct index in even rounds), some self-loops
			 */
			int64_t		scale = dense_ids ? 1 : 7919;

			src[i] = (int64_t) (rnd() * 300) * scale - 1000000;
			dst[i] = i % 17 == 0 ? src[i] : (int64_t) (rnd() * 300) * scale - 1000000;
			w[i] = i % 13 == 0 ? 0 : floor(rnd() * 100) / 10;
		}
		nid = pp_graph_distinct_ids(src, dst, m, ids, tmp);
		block = malloc(pp_graph_size(nid, directed ? m : 2 * m));
		pp_graph_layout(&g, block, nid, directed ? m : 2 * m);
		pp_graph_build(&g, ids, src, dst, w, m, directed, sn, dn);

		/*
		 * The same graph built step by step in slices, through the direct
		 * index when the ids are dense: byte for byte the same block.
		 */
		index_size = pp_graph_index_size(ids, nid);
		CHECK((index_size > 0) == dense_ids, "graph index chosen for dense ids only, round %d", round);
		if (index_size > 0)
		{
			index = malloc(index_size);
			pp_graph_index(ids, nid, index);
		}
		block2 = malloc(pp_graph_size(nid, directed ? m : 2 * m));
		pp_graph_layout(&g2, block2, nid, directed ? m : 2 * m);
		memset(sn, 0, m * sizeof(uint32_t));
		memset(dn, 0, m * sizeof(uint32_t));
		pp_graph_begin(&g2, ids);
		for (i = 0; i < m; i += slice)
		{
			size_t		k = m - i < slice ? m - i : slice;

			pp_graph_number(ids, nid, index, src + i, sn + i, k);
			pp_graph_number(ids, nid, index, dst + i, dn + i, k);
			pp_graph_count(&g2, sn + i, dn + i, k, directed);
		}
		pp_graph_offsets(&g2);
		for (i = 0; i < m; i += slice)
			pp_graph_fill(&g2, sn + i, dn + i, w + i, m - i < slice ? m - i : slice, directed);
		pp_graph_finish(&g2);
		CHECK(memcmp(g.ids, g2.ids, nid * sizeof(int64_t)) == 0 &&
			  memcmp(g.out_off, g2.out_off, (nid + 1) * sizeof(uint64_t)) == 0 &&
			  memcmp(g.in_off, g2.in_off, (nid + 1) * sizeof(uint64_t)) == 0 &&
			  memcmp(g.out_dst, g2.out_dst, g.nedges * sizeof(uint32_t)) == 0 &&
			  memcmp(g.in_src, g2.in_src, g.nedges * sizeof(uint32_t)) == 0 &&
			  memcmp(g.out_w, g2.out_w, g.nedges * sizeof(double)) == 0 &&
			  memcmp(g.in_w, g2.in_w, g.nedges * sizeof(double)) == 0 &&
			  memcmp(g.out_sum, g2.out_sum, nid * sizeof(double)) == 0,
			  "graph built in slices of %zu%s equals the one-step build, round %d",
			  slice, index ? " through the index" : "", round);
		for (i = 0; i < nid; i++)
			ok &= pp_graph_find(&g, ids[i]) == (int64_t) i && (i == 0 || ids[i] > ids[i - 1]);
		ok &= pp_graph_find(&g, ids[0] - 1) == -1 && g.out_off[nid] == g.nedges && g.in_off[nid] == g.nedges;
		for (i = 0; i < m; i++)
		{
			eu[nm] = (uint32_t) pp_graph_find(&g, src[i]);
			ev[nm] = (uint32_t) pp_graph_find(&g, dst[i]);
			ew[nm++] = w[i];
			if (!directed)
			{
				eu[nm] = ev[nm - 1];
				ev[nm] = eu[nm - 1];
				ew[nm++] = w[i];
			}
		}
		CHECK(ok, "graph build, round %d", round);

		p.spread = 0.3 + rnd();
		p.decay = rnd() * 0.5;
		p.threshold = round % 5 == 0 ? 0 : rnd() * 0.05;
		p.inhibition = round % 3 == 1 ? rnd() * 0.3 : 0;
		p.epsilon = round % 7 == 0 ? 0.01 : 1e-9;
		p.normalize = round % 6 != 2;
		p.max_iterations = (int32_t) (rnd() * 15);
		p.check = NULL;
		for (i = 0; i < 3; i++)
		{
			seeds[i] = (uint32_t) ((size_t) (rnd() * nid) % nid);
			a0[i] = i == 2 ? 0.3 : 1;
		}
		if (seeds[1] == seeds[0] || seeds[2] == seeds[0] || seeds[2] == seeds[1])
		{
			seeds[1] = (seeds[0] + 1) % nid;
			seeds[2] = (seeds[0] + 2) % nid;
		}
		ngot = pp_spread(&g, &s, &p, seeds, a0, nid >= 3 ? 3 : 1, got, 50, &iters, &dense);
		nwant = spread_reference(nid, eu, ev, ew, nm, &p, seeds, a0, nid >= 3 ? 3 : 1, want, 50);

		/*
		 * Position by position the same activation; node by node the same
		 * activation and iteration.  Nodes whose activations differ in the
		 * last bit only (summed in another order) may swap places.
		 */
		ok = ngot == nwant;
		for (i = 0; ok && i < ngot; i++)
		{
			size_t		j;

			ok &= fabs(got[i].activation - want[i].activation) <= 1e-9;
			for (j = 0; j < nwant && want[j].node != got[i].node; j++)
				;
			ok &= j < nwant && (j == i || fabs(want[j].activation - want[i].activation) <= 1e-12) &&
				got[i].iteration == want[j].iteration &&
				fabs(got[i].activation - want[j].activation) <= 1e-9;
		}
		CHECK(ok, "spread vs reference, round %d: %zu vs %zu results, %d dense steps",
			  round, ngot, nwant, dense);
		/* the scratch is left clean for the next query */
		ok = 1;
		for (i = 0; i < 400; i++)
			ok &= s.a[i] == 0 && s.next[i] == 0 && s.sum[i] == 0 && s.inh[i] == 0 &&
				s.reached[i] == 0 && s.mark[i] == 0;
		CHECK(ok, "spread scratch clean, round %d", round);
		if (dense > 0)
			saw_dense = 1;
		else if (iters > 2)
			saw_push_only = 1;
		free(src);
		free(dst);
		free(ids);
		free(tmp);
		free(w);
		free(eu);
		free(ev);
		free(ew);
		free(sn);
		free(dn);
		free(index);
		free(block);
		free(block2);
	}
	CHECK(saw_dense && saw_push_only, "both push-only and dense runs exercised (%d, %d)",
		  saw_dense, saw_push_only);
	free(sblock);
}
