/*
 * qsketch.h
 *		Quantile sketch: a merging t-digest (Dunning & Ertl) whose scale
 *		function keeps centroids small in the tails, with exact counts,
 *		minimum and maximum, and infinities and NaNs counted apart.
 *
 * Finite values are appended to a buffer; a flush sorts the buffer (radix)
 * and merges it into the sorted centroids in one pass, letting a centroid
 * that starts at cumulative fraction q grow until it spans a fraction
 *		q' - q,  where q' / (1 - q') = e^(4/accuracy) * q / (1 - q),
 * that is about 4 q (1 - q) / accuracy of all values: one unit of the
 * logistic scale function k(q) = accuracy / 4 * ln(q / (1 - q)).  The
 * smallest and largest values stay singletons, so the tails are exact for
 * the first accuracy / 4 or so values, and a sketch of fewer than
 * 2 * accuracy values is exact everywhere.  Centroids number at most about
 * accuracy / 2 * ln(n) + 2 (about 1,600 for 10M values at accuracy 200).
 *
 * Quantiles interpolate linearly between centroid centres placed at their
 * rank positions, so that a sketch of singletons answers exactly as
 * percentile_cont.
 *
 * The caller owns all memory; see the functions for the room they need.
 */
#ifndef PARPROC_KERNELS_QSKETCH_H
#define PARPROC_KERNELS_QSKETCH_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_QS_MIN_ACCURACY	10
#define PP_QS_MAX_ACCURACY	10000
#define PP_QS_VERSION		1
#define PP_QS_HEADER		56	/* see qsketch.c for the layout */
#define PP_QS_CENTROID		16	/* mean, weight */

typedef struct PpCentroid
{
	double		mean;
	int64_t		weight;
} PpCentroid;

typedef struct PpQsketch
{
	uint32_t	accuracy;
	uint32_t	ncentroids;
	uint32_t	nbuffer;		/* finite values not yet merged */
	uint32_t	flushes;		/* alternates the direction of merging */
	int64_t		n_finite;		/* total weight of the centroids */
	int64_t		n_neginf;
	int64_t		n_posinf;
	int64_t		n_nan;
	double		min;			/* of the centroids' values, when n_finite > 0 */
	double		max;
	PpCentroid *centroids;		/* ascending by mean */
	double	   *buffer;
} PpQsketch;

/* Start an empty sketch over caller-provided centroid and buffer arrays. */
extern void pp_qs_init(PpQsketch *s, uint32_t accuracy, PpCentroid *centroids,
					   double *buffer);

/* Count a non-finite value. */
extern void pp_qs_add_special(PpQsketch *s, double x);

/* Add one value; the caller makes sure the buffer has room. */
static inline void
pp_qs_add(PpQsketch *s, double x)
{
	if (isfinite(x))
		s->buffer[s->nbuffer++] = x;
	else
		pp_qs_add_special(s, x);
}

/* All values counted, buffered ones included. */
static inline int64_t
pp_qs_count(const PpQsketch *s)
{
	return s->n_finite + s->nbuffer + s->n_neginf + s->n_posinf + s->n_nan;
}

/*
 * Merge the buffer into the centroids, in place: the centroid array must
 * have room for ncentroids + nbuffer, and tmp for nbuffer words.  The
 * caller checks beforehand that pp_qs_count stays below INT64_MAX.
 */
extern void pp_qs_flush(PpQsketch *s, uint64_t *tmp);

/*
 * Merge b (flushed) into a (flushed) at the lower of their accuracies, in
 * place: a's centroid array must have room for both sketches' centroids.
 * The caller checks that the counts together stay below INT64_MAX.
 */
extern void pp_qs_merge(PpQsketch *a, const PpQsketch *b);

/*
 * Value at fraction q in [0, 1] of a flushed, non-empty sketch, placed as
 * percentile_cont places it: at rank q * (n - 1), interpolated.
 */
extern double pp_qs_quantile(const PpQsketch *s, double q);

/* Fraction of the values <= x (NaN is above everything, as in float8). */
extern double pp_qs_rank(const PpQsketch *s, double x);

/* Bytes of the encoded form of a flushed sketch. */
extern size_t pp_qs_encoded_size(const PpQsketch *s);

/* Encode a flushed sketch; returns the bytes written. */
extern size_t pp_qs_encode(const PpQsketch *s, uint8_t *out);

/* Number of centroids of an encoded sketch, for sizing; -1 if invalid. */
extern int64_t pp_qs_encoded_centroids(const uint8_t *bytes, size_t len);

/*
 * Load an encoded sketch into s, whose centroid array has room for
 * pp_qs_encoded_centroids(bytes, len) centroids (the buffer is left
 * empty and may be NULL), validating everything: version, accuracy in
 * range, length, counts >= 0 summing to 1..INT64_MAX, weights >= 1,
 * finite means in ascending order within [min, max].
 */
extern bool pp_qs_load(PpQsketch *s, const uint8_t *bytes, size_t len);

#endif							/* PARPROC_KERNELS_QSKETCH_H */
