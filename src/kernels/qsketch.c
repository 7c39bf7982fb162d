/*
 * qsketch.c
 *		Merging t-digest with a logistic scale function; see qsketch.h.
 *
 * Encoded form, little-endian:
 *		0	uint8	version (PP_QS_VERSION)
 *		1	uint8[3] zero
 *		4	uint32	accuracy
 *		8	uint32	number of centroids
 *		12	uint32	zero
 *		16	int64	count of -Infinity
 *		24	int64	count of +Infinity
 *		32	int64	count of NaN
 *		40	float64	minimum finite value (0 when there is none)
 *		48	float64 maximum finite value (0 when there is none)
 *		56	centroids: float64 mean, int64 weight; ascending by mean
 */
#include "qsketch.h"

#include <string.h>

#include "bytes.h"
#include "sort.h"

void
pp_qs_init(PpQsketch *s, uint32_t accuracy, PpCentroid *centroids, double *buffer)
{
	memset(s, 0, sizeof(*s));
	s->accuracy = accuracy;
	s->centroids = centroids;
	s->buffer = buffer;
}

void
pp_qs_add_special(PpQsketch *s, double x)
{
	if (isnan(x))
		s->n_nan++;
	else if (x > 0)
		s->n_posinf++;
	else
		s->n_neginf++;
}

/*
 * Largest weight a centroid may reach when `before` of `total` weight lies
 * before it: one unit of the scale function, from q to q' with
 * q' / (1 - q') = e * q / (1 - q).
 */
static inline double
centroid_limit(double before, double total, double e)
{
	double		q = before / total;

	return total * (q * e / (1.0 + q * (e - 1.0)) - q);
}

/*
 * Compress c[0..n), ascending by mean, in place: fold each centroid into
 * the current one while the scale function allows, walking up or down
 * (alternate calls walk the other way, so neither end is favoured).  A
 * merged mean is kept between the means it was made of, so means stay in
 * order despite rounding.  Returns the new count, at c[0..).
 */
static size_t
compress(PpCentroid *c, size_t n, double total, double e, bool down)
{
	ptrdiff_t	step = down ? -1 : 1;
	ptrdiff_t	i = down ? (ptrdiff_t) n - 1 : 0;
	ptrdiff_t	end = down ? -1 : (ptrdiff_t) n;
	ptrdiff_t	out = i;
	PpCentroid	cur;
	double		before = 0,
				limit;
	size_t		kept;

	if (n == 0)
		return 0;
	cur = c[i];
	limit = centroid_limit(before, total, e);
	for (i += step; i != end; i += step)
	{
		PpCentroid	next = c[i];

		if ((double) (cur.weight + next.weight) <= limit)
		{
			if (next.mean != cur.mean)
			{
				double		old = cur.mean;
				double		mean = old + (next.mean - old) *
				((double) next.weight / (double) (cur.weight + next.weight));

				/* between old and next.mean, whichever way we walk */
				if (down)
					mean = mean > old ? old : (mean < next.mean ? next.mean : mean);
				else
					mean = mean < old ? old : (mean > next.mean ? next.mean : mean);
				cur.mean = mean;
			}
			cur.weight += next.weight;
		}
		else
		{
			c[out] = cur;
			out += step;
			before += (double) cur.weight;
			limit = centroid_limit(before, total, e);
			cur = next;
		}
	}
	c[out] = cur;
	if (!down)
		return (size_t) out + 1;
	kept = n - (size_t) out;
	memmove(c, c + out, kept * sizeof(PpCentroid));
	return kept;
}

/* e^(4 / accuracy): the scale function's step as a ratio of odds. */
static double
odds_step(uint32_t accuracy)
{
	return exp(4.0 / (double) accuracy);
}

void
pp_qs_flush(PpQsketch *s, uint64_t *tmp)
{
	PpCentroid *c = s->centroids;
	const double *v = s->buffer;
	size_t		nv = s->nbuffer,
				i = s->ncentroids,
				j = nv,
				k = s->ncentroids + nv;

	if (nv == 0)
		return;
	pp_radix_sort_f64(s->buffer, tmp, nv);
	if (s->n_finite == 0 || v[0] < s->min)
		s->min = v[0];
	if (s->n_finite == 0 || v[nv - 1] > s->max)
		s->max = v[nv - 1];

	/* merge the sorted values into the centroids from the top down, in place */
	while (j > 0)
	{
		if (i > 0 && c[i - 1].mean > v[j - 1])
			c[--k] = c[--i];
		else
		{
			c[--k].mean = v[--j];
			c[k].weight = 1;
		}
	}

	s->n_finite += (int64_t) nv;
	s->nbuffer = 0;
	s->ncentroids = (uint32_t) compress(c, s->ncentroids + nv, (double) s->n_finite,
										odds_step(s->accuracy), s->flushes++ & 1);
}

void
pp_qs_merge(PpQsketch *a, const PpQsketch *b)
{
	PpCentroid *c = a->centroids;
	const PpCentroid *bc = b->centroids;
	size_t		i = a->ncentroids,
				j = b->ncentroids,
				k = a->ncentroids + b->ncentroids;

	while (j > 0)
	{
		if (i > 0 && c[i - 1].mean > bc[j - 1].mean)
			c[--k] = c[--i];
		else
			c[--k] = bc[--j];
	}

	if (b->n_finite > 0)
	{
		if (a->n_finite == 0 || b->min < a->min)
			a->min = b->min;
		if (a->n_finite == 0 || b->max > a->max)
			a->max = b->max;
	}
	if (b->accuracy < a->accuracy)
		a->accuracy = b->accuracy;
	a->n_finite += b->n_finite;
	a->n_neginf += b->n_neginf;
	a->n_posinf += b->n_posinf;
	a->n_nan += b->n_nan;
	a->ncentroids = (uint32_t) compress(c, a->ncentroids + b->ncentroids,
										(double) a->n_finite,
										odds_step(a->accuracy), a->flushes++ & 1);
}

/*
 * Value at position u in [0, n_finite - 1] of the finite values: linear
 * between the knots (0, min), each centroid's centre (first rank +
 * (weight - 1) / 2, mean) and (n_finite - 1, max).
 */
static double
finite_value_at(const PpQsketch *s, double u)
{
	double		prev_pos = 0,
				prev_val = s->min,
				first = 0;
	uint32_t	i;

	for (i = 0; i <= s->ncentroids; i++)
	{
		double		pos,
					val;

		if (i < s->ncentroids)
		{
			pos = first + ((double) s->centroids[i].weight - 1) / 2;
			val = s->centroids[i].mean;
			first += (double) s->centroids[i].weight;
		}
		else
		{
			pos = (double) s->n_finite - 1;
			val = s->max;
		}
		if (u <= pos)
		{
			if (u == pos)
				return val;
			if (u == prev_pos)
				return prev_val;
			return prev_val + (val - prev_val) * ((u - prev_pos) / (pos - prev_pos));
		}
		prev_pos = pos;
		prev_val = val;
	}
	return s->max;
}

/* Value at integer rank k of all values: -Inf, finite, +Inf, NaN. */
static double
value_at(const PpQsketch *s, double k)
{
	if (k < (double) s->n_neginf)
		return -INFINITY;
	k -= (double) s->n_neginf;
	if (k < (double) s->n_finite)
		return finite_value_at(s, k);
	k -= (double) s->n_finite;
	if (k < (double) s->n_posinf)
		return INFINITY;
	return NAN;
}

double
pp_qs_quantile(const PpQsketch *s, double q)
{
	double		n = (double) pp_qs_count(s);
	double		t = q * (n - 1),
				lo = floor(t),
				hi = ceil(t),
				vlo,
				vhi;

	vlo = value_at(s, lo);
	if (hi == lo)
		return vlo;
	/* both within the finite values: interpolate in the sketch itself */
	if (lo >= (double) s->n_neginf && hi < (double) (s->n_neginf + s->n_finite))
		return finite_value_at(s, t - (double) s->n_neginf);
	vhi = value_at(s, hi);
	return vlo + (vhi - vlo) * (t - lo);
}

/* Estimated number of finite values <= x, for finite x. */
static double
finite_count_le(const PpQsketch *s, double x)
{
	double		prev_pos = 0,
				prev_val = s->min,
				first = 0;
	uint32_t	i;

	if (s->n_finite == 0 || x < s->min)
		return 0;
	if (x >= s->max)
		return (double) s->n_finite;
	for (i = 0; i < s->ncentroids; i++)
	{
		const PpCentroid *c = &s->centroids[i];
		double		pos = first + ((double) c->weight - 1) / 2;

		if (c->mean > x)
		{
			double		u;

			if (x == prev_val)
				return floor(prev_pos) + 1;
			u = prev_pos + (pos - prev_pos) * ((x - prev_val) / (c->mean - prev_val));
			return floor(u) + 1;
		}
		first += (double) c->weight;
		/* a mean equal to x: all of that centroid is taken to be <= x */
		prev_pos = c->mean == x ? first - 1 : pos;
		prev_val = c->mean;
	}
	/* between the last centre and max */
	if (x == prev_val)
		return floor(prev_pos) + 1;
	return floor(prev_pos + ((double) s->n_finite - 1 - prev_pos) *
				 ((x - prev_val) / (s->max - prev_val))) + 1;
}

double
pp_qs_rank(const PpQsketch *s, double x)
{
	double		n = (double) pp_qs_count(s);
	double		le;

	if (isnan(x))
		return 1.0;
	if (x == -INFINITY)
		le = (double) s->n_neginf;
	else if (x == INFINITY)
		le = n - (double) s->n_nan;
	else
		le = (double) s->n_neginf + finite_count_le(s, x);
	/* at most 1, whatever the rounding of huge counts */
	return le >= n ? 1.0 : le / n;
}

size_t
pp_qs_encoded_size(const PpQsketch *s)
{
	return PP_QS_HEADER + (size_t) s->ncentroids * PP_QS_CENTROID;
}

static void
put_f64(uint8_t *p, double d)
{
	uint64_t	u;

	memcpy(&u, &d, sizeof(u));
	pp_put_le64(p, u);
}

static double
get_f64(const uint8_t *p)
{
	uint64_t	u = pp_get_le64(p);
	double		d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

size_t
pp_qs_encode(const PpQsketch *s, uint8_t *out)
{
	uint8_t    *p = out + PP_QS_HEADER;
	uint32_t	i;

	memset(out, 0, PP_QS_HEADER);
	out[0] = PP_QS_VERSION;
	pp_put_le32(out + 4, s->accuracy);
	pp_put_le32(out + 8, s->ncentroids);
	pp_put_le64(out + 16, (uint64_t) s->n_neginf);
	pp_put_le64(out + 24, (uint64_t) s->n_posinf);
	pp_put_le64(out + 32, (uint64_t) s->n_nan);
	put_f64(out + 40, s->n_finite > 0 ? s->min : 0.0);
	put_f64(out + 48, s->n_finite > 0 ? s->max : 0.0);
	for (i = 0; i < s->ncentroids; i++, p += PP_QS_CENTROID)
	{
		put_f64(p, s->centroids[i].mean);
		pp_put_le64(p + 8, (uint64_t) s->centroids[i].weight);
	}
	return (size_t) (p - out);
}

int64_t
pp_qs_encoded_centroids(const uint8_t *bytes, size_t len)
{
	uint32_t	n;

	if (len < PP_QS_HEADER || bytes[0] != PP_QS_VERSION)
		return -1;
	n = pp_get_le32(bytes + 8);
	if ((len - PP_QS_HEADER) / PP_QS_CENTROID != n ||
		(len - PP_QS_HEADER) % PP_QS_CENTROID != 0)
		return -1;
	return n;
}

/* a + b into *sum unless it would pass INT64_MAX (a, b >= 0). */
static bool
add_count(int64_t *sum, int64_t b)
{
	if (b < 0 || *sum > INT64_MAX - b)
		return false;
	*sum += b;
	return true;
}

bool
pp_qs_load(PpQsketch *s, const uint8_t *bytes, size_t len)
{
	int64_t		nc = pp_qs_encoded_centroids(bytes, len);
	int64_t		total = 0;
	const uint8_t *p = bytes + PP_QS_HEADER;
	double		prev;
	int64_t		i;

	if (nc < 0 || bytes[1] != 0 || bytes[2] != 0 || bytes[3] != 0 ||
		pp_get_le32(bytes + 12) != 0)
		return false;
	s->accuracy = pp_get_le32(bytes + 4);
	if (s->accuracy < PP_QS_MIN_ACCURACY || s->accuracy > PP_QS_MAX_ACCURACY)
		return false;
	s->ncentroids = (uint32_t) nc;
	s->nbuffer = 0;
	s->flushes = 0;
	s->n_neginf = (int64_t) pp_get_le64(bytes + 16);
	s->n_posinf = (int64_t) pp_get_le64(bytes + 24);
	s->n_nan = (int64_t) pp_get_le64(bytes + 32);
	s->min = get_f64(bytes + 40);
	s->max = get_f64(bytes + 48);
	if (!add_count(&total, s->n_neginf) || !add_count(&total, s->n_posinf) ||
		!add_count(&total, s->n_nan))
		return false;

	if (nc == 0)
	{
		/* no finite values: both stored as +0, bit for bit */
		if (pp_get_le64(bytes + 40) != 0 || pp_get_le64(bytes + 48) != 0)
			return false;
	}
	else if (!isfinite(s->min) || !isfinite(s->max) || s->min > s->max)
		return false;

	prev = s->min;
	s->n_finite = 0;
	for (i = 0; i < nc; i++, p += PP_QS_CENTROID)
	{
		double		mean = get_f64(p);
		int64_t		weight = (int64_t) pp_get_le64(p + 8);

		if (!(mean >= prev && mean <= s->max) || weight < 1 ||
			!add_count(&s->n_finite, weight))
			return false;
		s->centroids[i].mean = mean;
		s->centroids[i].weight = weight;
		prev = mean;
	}
	return add_count(&total, s->n_finite) && total >= 1;
}
