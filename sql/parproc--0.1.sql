/* parproc--0.1.sql: parallel statistics aggregates */

\echo Use "CREATE EXTENSION parproc" to load this file. \quit

-- parproc.stats -----------------------------------------------------------

CREATE TYPE parproc.stats_result AS (
	n			bigint,
	sum			double precision,
	mean		double precision,
	var_samp	double precision,
	var_pop		double precision,
	stddev_samp	double precision,
	stddev_pop	double precision,
	skewness	double precision,
	kurtosis	double precision,
	min			double precision,
	max			double precision
);

COMMENT ON TYPE parproc.stats_result IS
'Descriptive statistics returned by parproc.stats; kurtosis is excess kurtosis';

CREATE FUNCTION parproc.stats_transfn(internal, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_stats_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.stats_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_stats_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.stats_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_stats_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_stats_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_finalfn(internal) RETURNS parproc.stats_result
	AS 'MODULE_PATHNAME', 'parproc_stats_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE parproc.stats(double precision) (
	SFUNC = parproc.stats_transfn,
	STYPE = internal,
	SSPACE = 96,
	FINALFUNC = parproc.stats_finalfn,
	COMBINEFUNC = parproc.stats_combinefn,
	SERIALFUNC = parproc.stats_serialfn,
	DESERIALFUNC = parproc.stats_deserialfn,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE parproc.stats(double precision) IS
'n, sum, mean, sample and population variance and standard deviation, skewness (G1), excess kurtosis (G2), min and max in one pass';

-- exact percentiles -------------------------------------------------------

CREATE FUNCTION parproc.percentile_transfn(internal, double precision, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_percentile_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_multi_transfn(internal, double precision, double precision[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_percentile_multi_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.median_transfn(internal, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_median_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_percentile_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_percentile_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_percentile_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_cont_finalfn(internal) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_percentile_cont_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_disc_finalfn(internal) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_percentile_disc_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_cont_multi_finalfn(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_percentile_cont_multi_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_disc_multi_finalfn(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_percentile_disc_multi_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- The final functions reorder the state in place, which keeps it valid: a
-- percentile_cont and a percentile_disc over the same rows share one state.
-- An exact percentile keeps 8 bytes per row, so a hash table of many groups
-- holds the whole input and PostgreSQL cannot spill groups it already has;
-- SSPACE (8192 rows per group) steers the planner to sorted grouping, which
-- keeps one group in memory at a time, unless there are few groups.
CREATE AGGREGATE parproc.percentile_cont(x double precision, fraction double precision) (
	SFUNC = parproc.percentile_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_finalfn,
	FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_combinefn,
	SERIALFUNC = parproc.percentile_serialfn,
	DESERIALFUNC = parproc.percentile_deserialfn,
	PARALLEL = SAFE
);

CREATE AGGREGATE parproc.percentile_cont(x double precision, fractions double precision[]) (
	SFUNC = parproc.percentile_multi_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_multi_finalfn,
	FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_combinefn,
	SERIALFUNC = parproc.percentile_serialfn,
	DESERIALFUNC = parproc.percentile_deserialfn,
	PARALLEL = SAFE
);

CREATE AGGREGATE parproc.percentile_disc(x double precision, fraction double precision) (
	SFUNC = parproc.percentile_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = parproc.percentile_disc_finalfn,
	FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_combinefn,
	SERIALFUNC = parproc.percentile_serialfn,
	DESERIALFUNC = parproc.percentile_deserialfn,
	PARALLEL = SAFE
);

CREATE AGGREGATE parproc.percentile_disc(x double precision, fractions double precision[]) (
	SFUNC = parproc.percentile_multi_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = parproc.percentile_disc_multi_finalfn,
	FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_combinefn,
	SERIALFUNC = parproc.percentile_serialfn,
	DESERIALFUNC = parproc.percentile_deserialfn,
	PARALLEL = SAFE
);

CREATE AGGREGATE parproc.median(x double precision) (
	SFUNC = parproc.median_transfn,
	STYPE = internal,
	SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_finalfn,
	FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_combinefn,
	SERIALFUNC = parproc.percentile_serialfn,
	DESERIALFUNC = parproc.percentile_deserialfn,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE parproc.percentile_cont(double precision, double precision) IS
'exact continuous percentile, identical to percentile_cont(fraction) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_cont(double precision, double precision[]) IS
'exact continuous percentiles, identical to percentile_cont(fractions) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_disc(double precision, double precision) IS
'exact discrete percentile, identical to percentile_disc(fraction) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_disc(double precision, double precision[]) IS
'exact discrete percentiles, identical to percentile_disc(fractions) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.median(double precision) IS
'exact median, identical to percentile_cont(0.5) WITHIN GROUP (ORDER BY x), parallel safe';

-- histogram ---------------------------------------------------------------

CREATE FUNCTION parproc.histogram_transfn(internal, double precision, double precision, double precision, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_histogram_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_histogram_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_histogram_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_histogram_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_finalfn(internal) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'parproc_histogram_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE parproc.histogram(x double precision, lo double precision, hi double precision, buckets integer) (
	SFUNC = parproc.histogram_transfn,
	STYPE = internal,
	SSPACE = 256,
	FINALFUNC = parproc.histogram_finalfn,
	COMBINEFUNC = parproc.histogram_combinefn,
	SERIALFUNC = parproc.histogram_serialfn,
	DESERIALFUNC = parproc.histogram_deserialfn,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE parproc.histogram(double precision, double precision, double precision, integer) IS
'counts per width_bucket(x, lo, hi, buckets) bucket: element 1 counts x < lo, element buckets+2 counts x >= hi';

-- vector aggregates --------------------------------------------------------

CREATE FUNCTION parproc.vec_sum_transfn(internal, double precision[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_vec_sum_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_min_transfn(internal, double precision[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_vec_min_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_max_transfn(internal, double precision[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_vec_max_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_vec_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_vec_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.vec_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_vec_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.vec_finalfn(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_vec_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_avg_finalfn(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_vec_avg_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE parproc.vec_sum(double precision[]) (
	SFUNC = parproc.vec_sum_transfn, STYPE = internal, SSPACE = 512,
	FINALFUNC = parproc.vec_finalfn,
	COMBINEFUNC = parproc.vec_combinefn,
	SERIALFUNC = parproc.vec_serialfn, DESERIALFUNC = parproc.vec_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.vec_avg(double precision[]) (
	SFUNC = parproc.vec_sum_transfn, STYPE = internal, SSPACE = 512,
	FINALFUNC = parproc.vec_avg_finalfn,
	COMBINEFUNC = parproc.vec_combinefn,
	SERIALFUNC = parproc.vec_serialfn, DESERIALFUNC = parproc.vec_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.vec_min(double precision[]) (
	SFUNC = parproc.vec_min_transfn, STYPE = internal, SSPACE = 384,
	FINALFUNC = parproc.vec_finalfn,
	COMBINEFUNC = parproc.vec_combinefn,
	SERIALFUNC = parproc.vec_serialfn, DESERIALFUNC = parproc.vec_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.vec_max(double precision[]) (
	SFUNC = parproc.vec_max_transfn, STYPE = internal, SSPACE = 384,
	FINALFUNC = parproc.vec_finalfn,
	COMBINEFUNC = parproc.vec_combinefn,
	SERIALFUNC = parproc.vec_serialfn, DESERIALFUNC = parproc.vec_deserialfn,
	PARALLEL = SAFE
);

COMMENT ON AGGREGATE parproc.vec_sum(double precision[]) IS
'element-wise sum of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_avg(double precision[]) IS
'element-wise average of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_min(double precision[]) IS
'element-wise minimum of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_max(double precision[]) IS
'element-wise maximum of equal-length arrays; NULL elements skipped per position';

-- hll: HyperLogLog distinct counts ----------------------------------------

CREATE TYPE parproc.hll;
CREATE FUNCTION parproc.hll_in(cstring) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.hll_out(parproc.hll) RETURNS cstring
	AS 'MODULE_PATHNAME', 'parproc_hll_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.hll_recv(internal) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.hll_send(parproc.hll) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_hll_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE parproc.hll (
	INPUT = parproc.hll_in,
	OUTPUT = parproc.hll_out,
	RECEIVE = parproc.hll_recv,
	SEND = parproc.hll_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE parproc.hll IS
'HyperLogLog distinct-count sketch: exact set of 64-bit hashes up to 2^precision/16 values, dense registers beyond';

CREATE FUNCTION parproc.hll_transfn(internal, anyelement) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_hll_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_transfn(internal, anyelement, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_hll_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_merge_transfn(internal, parproc.hll) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_hll_merge_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_hll_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_hll_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.hll_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_hll_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.hll_finalfn(internal) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_count_finalfn(internal) RETURNS bigint
	AS 'MODULE_PATHNAME', 'parproc_hll_count_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- SSPACE: a dense sketch is 2^precision bytes (64 kB at the default 16;
-- the two-argument form allows up to 256 kB), and the sparse form never
-- takes more.
CREATE AGGREGATE parproc.hll_agg(anyelement) (
	SFUNC = parproc.hll_transfn, STYPE = internal, SSPACE = 65536,
	FINALFUNC = parproc.hll_finalfn,
	COMBINEFUNC = parproc.hll_combinefn,
	SERIALFUNC = parproc.hll_serialfn, DESERIALFUNC = parproc.hll_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.hll_agg(anyelement, integer) (
	SFUNC = parproc.hll_transfn, STYPE = internal, SSPACE = 262144,
	FINALFUNC = parproc.hll_finalfn,
	COMBINEFUNC = parproc.hll_combinefn,
	SERIALFUNC = parproc.hll_serialfn, DESERIALFUNC = parproc.hll_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.approx_count_distinct(anyelement) (
	SFUNC = parproc.hll_transfn, STYPE = internal, SSPACE = 65536,
	FINALFUNC = parproc.hll_count_finalfn,
	COMBINEFUNC = parproc.hll_combinefn,
	SERIALFUNC = parproc.hll_serialfn, DESERIALFUNC = parproc.hll_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.merge_agg(parproc.hll) (
	SFUNC = parproc.hll_merge_transfn, STYPE = internal, SSPACE = 262144,
	FINALFUNC = parproc.hll_finalfn,
	COMBINEFUNC = parproc.hll_combinefn,
	SERIALFUNC = parproc.hll_serialfn, DESERIALFUNC = parproc.hll_deserialfn,
	PARALLEL = SAFE
);

CREATE FUNCTION parproc.cardinality(parproc.hll) RETURNS bigint
	AS 'MODULE_PATHNAME', 'parproc_hll_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.merge(parproc.hll, parproc.hll) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON AGGREGATE parproc.hll_agg(anyelement) IS
'HyperLogLog sketch of the distinct non-NULL values, precision 16 (0.41% standard error, exact up to 4096 values)';
COMMENT ON AGGREGATE parproc.approx_count_distinct(anyelement) IS
'approximate count(DISTINCT x) from a HyperLogLog sketch, precision 16; exact up to 4096 values';
COMMENT ON AGGREGATE parproc.merge_agg(parproc.hll) IS
'union of stored hll sketches of one precision';

-- topk: heavy hitters (space-saving) ----------------------------------------

CREATE TYPE parproc.topk;
CREATE FUNCTION parproc.topk_in(cstring) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.topk_out(parproc.topk) RETURNS cstring
	AS 'MODULE_PATHNAME', 'parproc_topk_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.topk_recv(internal) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.topk_send(parproc.topk) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_topk_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE parproc.topk (
	INPUT = parproc.topk_in,
	OUTPUT = parproc.topk_out,
	RECEIVE = parproc.topk_recv,
	SEND = parproc.topk_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE parproc.topk IS
'space-saving heavy-hitters summary: k counters with per-item error bounds';

-- STABLE: items are identified by the type's output function, which may
-- depend on settings (TimeZone for timestamptz, extra_float_digits ...).
CREATE FUNCTION parproc.topk_transfn(internal, anyelement, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_topk_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION parproc.topk_merge_transfn(internal, parproc.topk) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_topk_merge_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.topk_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_topk_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.topk_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_topk_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.topk_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_topk_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.topk_finalfn(internal) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- SSPACE: about 100 bytes per counter for k = 100 plus short keys; a
-- larger k takes proportionally more.
CREATE AGGREGATE parproc.topk_agg(anyelement, integer) (
	SFUNC = parproc.topk_transfn, STYPE = internal, SSPACE = 16384,
	FINALFUNC = parproc.topk_finalfn,
	COMBINEFUNC = parproc.topk_combinefn,
	SERIALFUNC = parproc.topk_serialfn, DESERIALFUNC = parproc.topk_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.merge_agg(parproc.topk) (
	SFUNC = parproc.topk_merge_transfn, STYPE = internal, SSPACE = 16384,
	FINALFUNC = parproc.topk_finalfn,
	COMBINEFUNC = parproc.topk_combinefn,
	SERIALFUNC = parproc.topk_serialfn, DESERIALFUNC = parproc.topk_deserialfn,
	PARALLEL = SAFE
);

CREATE FUNCTION parproc.topk_items(t parproc.topk, OUT value text, OUT count bigint, OUT max_error bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_topk_items' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
CREATE FUNCTION parproc.merge(parproc.topk, parproc.topk) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON AGGREGATE parproc.topk_agg(anyelement, integer) IS
'space-saving summary of the k most frequent values: every value more frequent than n/k is listed, count - max_error <= true count <= count';
COMMENT ON FUNCTION parproc.topk_items(parproc.topk) IS
'the items of a topk summary, most frequent first';
COMMENT ON AGGREGATE parproc.merge_agg(parproc.topk) IS
'merge of stored topk summaries of one k; the guarantee holds for the union';
COMMENT ON FUNCTION parproc.merge(parproc.topk, parproc.topk) IS
'merge of two topk summaries of one k';

-- qsketch: quantile sketch (merging t-digest) -------------------------------

CREATE TYPE parproc.qsketch;
CREATE FUNCTION parproc.qsketch_in(cstring) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_out(parproc.qsketch) RETURNS cstring
	AS 'MODULE_PATHNAME', 'parproc_qsketch_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_recv(internal) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_send(parproc.qsketch) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_qsketch_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE parproc.qsketch (
	INPUT = parproc.qsketch_in,
	OUTPUT = parproc.qsketch_out,
	RECEIVE = parproc.qsketch_recv,
	SEND = parproc.qsketch_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);
COMMENT ON TYPE parproc.qsketch IS
'quantile sketch (merging t-digest): exact count, min and max; about 26 kB for 10M values at the default accuracy';

CREATE FUNCTION parproc.qsketch_transfn(internal, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_qsketch_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_transfn(internal, double precision, integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_qsketch_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_transfn(internal, double precision, double precision) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_multi_transfn(internal, double precision, double precision[]) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_multi_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_merge_transfn(internal, parproc.qsketch) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_qsketch_merge_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_combinefn(internal, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_qsketch_combinefn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_serialfn(internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_qsketch_serialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_deserialfn(bytea, internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'parproc_qsketch_deserialfn' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_finalfn(internal) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_finalfn(internal) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_multi_finalfn(internal) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_multi_finalfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- SSPACE: a state that has seen many rows holds a 32 kB buffer and room
-- for its centroids plus one buffer (about 90 kB at the default accuracy);
-- a group of few rows stays far smaller.
CREATE AGGREGATE parproc.qsketch_agg(x double precision) (
	SFUNC = parproc.qsketch_transfn, STYPE = internal, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_finalfn,
	COMBINEFUNC = parproc.qsketch_combinefn,
	SERIALFUNC = parproc.qsketch_serialfn, DESERIALFUNC = parproc.qsketch_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.qsketch_agg(x double precision, accuracy integer) (
	SFUNC = parproc.qsketch_transfn, STYPE = internal, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_finalfn,
	COMBINEFUNC = parproc.qsketch_combinefn,
	SERIALFUNC = parproc.qsketch_serialfn, DESERIALFUNC = parproc.qsketch_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.approx_percentile(x double precision, fraction double precision) (
	SFUNC = parproc.approx_percentile_transfn, STYPE = internal, SSPACE = 131072,
	FINALFUNC = parproc.approx_percentile_finalfn,
	COMBINEFUNC = parproc.qsketch_combinefn,
	SERIALFUNC = parproc.qsketch_serialfn, DESERIALFUNC = parproc.qsketch_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.approx_percentile(x double precision, fractions double precision[]) (
	SFUNC = parproc.approx_percentile_multi_transfn, STYPE = internal, SSPACE = 131072,
	FINALFUNC = parproc.approx_percentile_multi_finalfn,
	COMBINEFUNC = parproc.qsketch_combinefn,
	SERIALFUNC = parproc.qsketch_serialfn, DESERIALFUNC = parproc.qsketch_deserialfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE parproc.merge_agg(parproc.qsketch) (
	SFUNC = parproc.qsketch_merge_transfn, STYPE = internal, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_finalfn,
	COMBINEFUNC = parproc.qsketch_combinefn,
	SERIALFUNC = parproc.qsketch_serialfn, DESERIALFUNC = parproc.qsketch_deserialfn,
	PARALLEL = SAFE
);

CREATE FUNCTION parproc.quantile(s parproc.qsketch, fraction double precision) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_qsketch_quantile' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.quantile(s parproc.qsketch, fractions double precision[]) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_qsketch_quantiles' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.rank(s parproc.qsketch, x double precision) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_qsketch_rank' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.merge(parproc.qsketch, parproc.qsketch) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON AGGREGATE parproc.qsketch_agg(double precision) IS
'quantile sketch of the non-NULL values at accuracy 200: normalized rank error about 0.01% at the median, 0.001% at p99; exact below 400 values';
COMMENT ON AGGREGATE parproc.qsketch_agg(double precision, integer) IS
'quantile sketch at an accuracy from 10 to 10000: centroids of about 4q(1-q)/accuracy of the values near fraction q';
COMMENT ON AGGREGATE parproc.approx_percentile(double precision, double precision) IS
'approximate percentile_cont from a quantile sketch at the default accuracy';
COMMENT ON AGGREGATE parproc.approx_percentile(double precision, double precision[]) IS
'approximate percentile_cont at several fractions from one quantile sketch';
COMMENT ON AGGREGATE parproc.merge_agg(parproc.qsketch) IS
'merge of stored quantile sketches, at the lowest of their accuracies';
COMMENT ON FUNCTION parproc.quantile(parproc.qsketch, double precision) IS
'value at a fraction (0 = exact minimum, 1 = exact maximum), placed as percentile_cont places it';
COMMENT ON FUNCTION parproc.quantile(parproc.qsketch, double precision[]) IS
'values at several fractions';
COMMENT ON FUNCTION parproc.rank(parproc.qsketch, double precision) IS
'estimated fraction of the values <= x';
COMMENT ON FUNCTION parproc.merge(parproc.qsketch, parproc.qsketch) IS
'merge of two quantile sketches, at the lower accuracy';

-- graphs: spreading activation over edge tables ----------------------------

-- generations never repeat, even for a graph dropped and created again
CREATE SEQUENCE parproc.graph_generation;
GRANT USAGE ON SEQUENCE parproc.graph_generation TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('parproc.graph_generation', '');
CREATE TABLE parproc.graph_defs (
	name text PRIMARY KEY CHECK (octet_length(name) BETWEEN 1 AND 63),
	edges regclass NOT NULL,
	source name NOT NULL,
	target name NOT NULL,
	weight name,
	directed boolean NOT NULL,
	generation bigint NOT NULL DEFAULT nextval('parproc.graph_generation'),
	owner regrole NOT NULL DEFAULT current_user::regrole,
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE parproc.graph_defs IS
'graph definitions of parproc.create_graph; generation is new at every create_graph and refresh_graph';
SELECT pg_catalog.pg_extension_config_dump('parproc.graph_defs', '');
-- anyone may define graphs over tables they can read; only the owner (or a
-- member of its role) may refresh or drop them
GRANT SELECT, INSERT, UPDATE, DELETE ON parproc.graph_defs TO PUBLIC;
ALTER TABLE parproc.graph_defs ENABLE ROW LEVEL SECURITY;
CREATE POLICY graph_defs_read ON parproc.graph_defs FOR SELECT USING (true);
CREATE POLICY graph_defs_create ON parproc.graph_defs FOR INSERT
	WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER')
				AND pg_catalog.has_table_privilege(edges, 'SELECT'));
CREATE POLICY graph_defs_change ON parproc.graph_defs FOR UPDATE
	USING (pg_catalog.pg_has_role(owner, 'MEMBER'));
CREATE POLICY graph_defs_drop ON parproc.graph_defs FOR DELETE
	USING (pg_catalog.pg_has_role(owner, 'MEMBER'));

-- every change to a definition reaches every session's cache (relcache invalidation)
CREATE FUNCTION parproc._graph_defs_changed() RETURNS trigger
	AS 'MODULE_PATHNAME', 'parproc_graph_defs_changed' LANGUAGE C;
CREATE TRIGGER graph_defs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parproc.graph_defs
	FOR EACH STATEMENT EXECUTE FUNCTION parproc._graph_defs_changed();

CREATE FUNCTION parproc._graph_load(name text) RETURNS void
	AS 'MODULE_PATHNAME', 'parproc_graph_load' LANGUAGE C STRICT PARALLEL UNSAFE;
CREATE FUNCTION parproc._graph_unload(name text) RETURNS void
	AS 'MODULE_PATHNAME', 'parproc_graph_unload' LANGUAGE C STRICT PARALLEL UNSAFE;

CREATE FUNCTION parproc.create_graph(name text, edges regclass, source name, target name,
									 weight name DEFAULT NULL, directed boolean DEFAULT true)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	col name;
	typ regtype;
BEGIN
	IF name IS NULL OR edges IS NULL OR source IS NULL OR target IS NULL OR directed IS NULL THEN
		RAISE EXCEPTION 'create_graph arguments other than weight cannot be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF octet_length(name) NOT BETWEEN 1 AND 63 THEN
		RAISE EXCEPTION 'graph name must be 1 to 63 bytes long' USING ERRCODE = 'invalid_name';
	END IF;
	IF (SELECT relkind FROM pg_class WHERE oid = edges) NOT IN ('r', 'p', 'm', 'f') THEN
		RAISE EXCEPTION '"%" is not a table', edges USING ERRCODE = 'wrong_object_type';
	END IF;
	FOREACH col IN ARRAY ARRAY[source, target, weight] LOOP
		CONTINUE WHEN col IS NULL;
		SELECT atttypid INTO typ FROM pg_attribute
		WHERE attrelid = edges AND attname = col AND attnum > 0 AND NOT attisdropped;
		IF typ IS NULL THEN
			RAISE EXCEPTION 'column "%" of % does not exist', col, edges
				USING ERRCODE = 'undefined_column';
		END IF;
		IF col = weight THEN
			IF typ NOT IN ('smallint', 'integer', 'bigint', 'real', 'double precision', 'numeric') THEN
				RAISE EXCEPTION 'weight column "%" of % has type %, not a number', col, edges, typ
					USING ERRCODE = 'datatype_mismatch';
			END IF;
		ELSIF typ NOT IN ('smallint', 'integer', 'bigint') THEN
			RAISE EXCEPTION 'node column "%" of % has type %, not an integer type', col, edges, typ
				USING ERRCODE = 'datatype_mismatch',
					  HINT = 'Node ids are smallint, integer or bigint.';
		END IF;
	END LOOP;
	IF NOT has_table_privilege(edges, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for table %', edges USING ERRCODE = 'insufficient_privilege';
	END IF;
	IF EXISTS (SELECT FROM parproc.graph_defs d WHERE d.name = create_graph.name) THEN
		RAISE EXCEPTION 'graph "%" already exists', name USING ERRCODE = 'duplicate_object';
	END IF;
	INSERT INTO parproc.graph_defs (name, edges, source, target, weight, directed)
	VALUES (name, edges, source, target, weight, directed);
	PERFORM parproc._graph_load(name);
END $$;

CREATE FUNCTION parproc.refresh_graph(name text) RETURNS void
LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE parproc.graph_defs d SET generation = nextval('parproc.graph_generation')
	WHERE d.name = refresh_graph.name;
	IF NOT FOUND THEN
		IF EXISTS (SELECT FROM parproc.graph_defs d WHERE d.name = refresh_graph.name) THEN
			RAISE EXCEPTION 'must be a member of the owner of graph "%" to refresh it', name
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		RAISE EXCEPTION 'graph "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM parproc._graph_load(name);
END $$;

CREATE FUNCTION parproc.drop_graph(name text) RETURNS void
LANGUAGE plpgsql STRICT SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM parproc.graph_defs d WHERE d.name = drop_graph.name;
	IF NOT FOUND THEN
		IF EXISTS (SELECT FROM parproc.graph_defs d WHERE d.name = drop_graph.name) THEN
			RAISE EXCEPTION 'must be a member of the owner of graph "%" to drop it', name
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		RAISE EXCEPTION 'graph "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM parproc._graph_unload(name);
END $$;

CREATE FUNCTION parproc.spread_activation(
	graph text, seeds bigint[],
	initial double precision DEFAULT 1.0, spread double precision DEFAULT 0.8,
	decay double precision DEFAULT 0.2, threshold double precision DEFAULT 0.01,
	inhibition double precision DEFAULT 0.0, "normalize" boolean DEFAULT true,
	max_iterations integer DEFAULT 10, epsilon double precision DEFAULT 1e-6,
	max_nodes integer DEFAULT 100, seed_weights double precision[] DEFAULT NULL,
	OUT node bigint, OUT activation double precision, OUT iteration_reached integer)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_spread_activation' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

CREATE FUNCTION parproc._graph_cache(OUT name text, OUT generation bigint, OUT nodes bigint,
	OUT edges bigint, OUT bytes bigint, OUT loaded_at timestamptz, OUT filenode oid,
	OUT changes bigint, OUT queries bigint, OUT total_ms double precision, OUT p99_ms double precision,
	OUT loads bigint, OUT loaded_as oid)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_graph_cache' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE VIEW parproc.graphs AS
SELECT d.name, d.edges AS edge_table, d.directed, c.nodes, c.edges, c.bytes, c.loaded_at,
	   CASE WHEN c.name IS NOT NULL THEN
		   c.generation <> d.generation
		   OR c.filenode IS DISTINCT FROM pg_catalog.pg_relation_filenode(d.edges)
		   OR c.changes <> pg_catalog.pg_stat_get_tuples_inserted(d.edges)
							+ pg_catalog.pg_stat_get_tuples_updated(d.edges)
							+ pg_catalog.pg_stat_get_tuples_deleted(d.edges) END AS stale,
	   c.queries, c.total_ms / NULLIF(c.queries, 0) AS mean_ms, c.p99_ms, c.loads,
	   c.loaded_as::regrole AS loaded_as
FROM parproc.graph_defs d LEFT JOIN parproc._graph_cache() c ON c.name = d.name;
GRANT SELECT ON parproc.graphs TO PUBLIC;

COMMENT ON FUNCTION parproc.create_graph(text, regclass, name, name, name, boolean) IS
'define a graph over an edge table (integer node columns, optional weight >= 0) and load it';
COMMENT ON FUNCTION parproc.refresh_graph(text) IS
'reload a graph after its edge table changed; every session picks up the new version at its next query';
COMMENT ON FUNCTION parproc.drop_graph(text) IS 'forget a graph';
COMMENT ON FUNCTION parproc.spread_activation(text, bigint[], double precision, double precision,
	double precision, double precision, double precision, boolean, integer, double precision,
	integer, double precision[]) IS
'spreading activation from seed nodes; see the README for the exact definition';
COMMENT ON VIEW parproc.graphs IS
'defined graphs; nodes, edges, bytes, staleness and query statistics of those loaded (in shared memory with preload, else in this session; NULL for the others)';

-- pipelines: parallel, exactly-once transforms between tables ---------------

-- The catalog tables have no privileges for PUBLIC: parproc's C code writes
-- them as their owner, and users read them through the views below.
CREATE TABLE parproc.pipeline_defs (
	name text PRIMARY KEY CHECK (octet_length(name) BETWEEN 1 AND 63),
	owner regrole NOT NULL,
	source regclass NOT NULL,
	target regclass NOT NULL,
	stages jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('parproc.pipeline_defs', '');
CREATE SEQUENCE parproc.run_id_seq;
SELECT pg_catalog.pg_extension_config_dump('parproc.run_id_seq', '');

-- one row per run, written at start, on resume and at the end; the file
-- numbers of the source's relations tell resume whether the chunks (block
-- ranges, measured again by each attempt) still mean the same rows
CREATE TABLE parproc.run_history (
	run_id bigint PRIMARY KEY,
	pipeline text NOT NULL,
	role regrole NOT NULL,
	state text NOT NULL,
	on_error text NOT NULL,
	workers_requested integer NOT NULL,
	workers_used integer,
	started_at timestamptz NOT NULL,
	finished_at timestamptz,
	elapsed_ms double precision,
	rows_read bigint NOT NULL DEFAULT 0,
	rows_written bigint NOT NULL DEFAULT 0,
	rows_failed bigint NOT NULL DEFAULT 0,
	chunks_total integer,
	chunk_size integer NOT NULL,
	attempts integer NOT NULL DEFAULT 1,
	relids oid[],
	filenodes oid[],
	error text,
	error_detail text,
	sqlstate text
);
SELECT pg_catalog.pg_extension_config_dump('parproc.run_history', '');
-- the done marks: a chunk's row commits with the chunk's output rows
CREATE TABLE parproc.run_chunks (
	run_id bigint NOT NULL,
	part integer NOT NULL,
	chunk integer NOT NULL,
	worker integer NOT NULL,
	rows_read bigint NOT NULL,
	rows_written bigint NOT NULL,
	rows_failed bigint NOT NULL,
	done_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (run_id, part, chunk)
);
SELECT pg_catalog.pg_extension_config_dump('parproc.run_chunks', '');
CREATE TABLE parproc.run_stages (
	run_id bigint NOT NULL,
	stage integer NOT NULL,
	name text NOT NULL,
	rows_in bigint NOT NULL,
	rows_out bigint NOT NULL,
	rows_failed bigint NOT NULL,
	time_ms double precision NOT NULL,
	deform_ms double precision NOT NULL DEFAULT 0,
	kernel_ms double precision NOT NULL DEFAULT 0,
	kernel_values bigint NOT NULL DEFAULT 0,
	evaluator_values bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, stage)
);
SELECT pg_catalog.pg_extension_config_dump('parproc.run_stages', '');
CREATE TABLE parproc.run_workers (
	run_id bigint NOT NULL,
	attempt integer NOT NULL,
	worker integer NOT NULL,
	pid integer,
	chunks bigint NOT NULL,
	rows bigint NOT NULL,
	busy_ms double precision NOT NULL,
	wait_ms double precision NOT NULL,
	read_ms double precision NOT NULL DEFAULT 0,
	eval_ms double precision NOT NULL DEFAULT 0,
	write_ms double precision NOT NULL DEFAULT 0,
	wal_bytes bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (run_id, attempt, worker)
);
SELECT pg_catalog.pg_extension_config_dump('parproc.run_workers', '');
-- dead letters of on_error => 'skip', committed with their chunk
CREATE TABLE parproc.error_rows (
	run_id bigint NOT NULL,
	stage text NOT NULL,
	source regclass NOT NULL,
	source_ctid tid NOT NULL,
	row jsonb,
	sqlstate text NOT NULL,
	message text NOT NULL,
	failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON parproc.error_rows (run_id);
SELECT pg_catalog.pg_extension_config_dump('parproc.error_rows', '');

CREATE FUNCTION parproc.create_pipeline(name text, source regclass, target text, stages jsonb,
										create_target boolean DEFAULT false)
RETURNS void
	AS 'MODULE_PATHNAME', 'parproc_create_pipeline' LANGUAGE C PARALLEL UNSAFE;
CREATE FUNCTION parproc.drop_pipeline(name text) RETURNS void
	AS 'MODULE_PATHNAME', 'parproc_drop_pipeline' LANGUAGE C STRICT PARALLEL UNSAFE;

CREATE FUNCTION parproc.start(pipeline text, workers integer DEFAULT NULL,
							  on_error text DEFAULT 'abort') RETURNS bigint
	AS 'MODULE_PATHNAME', 'parproc_start' LANGUAGE C PARALLEL UNSAFE;
CREATE FUNCTION parproc.wait(run_id bigint,
	OUT run_id bigint, OUT state text, OUT rows_read bigint, OUT rows_written bigint,
	OUT rows_failed bigint, OUT elapsed_ms double precision, OUT rows_per_sec double precision,
	OUT workers_used integer)
RETURNS record
	AS 'MODULE_PATHNAME', 'parproc_wait' LANGUAGE C STRICT PARALLEL UNSAFE;
CREATE FUNCTION parproc.run(pipeline text, workers integer DEFAULT NULL,
	on_error text DEFAULT 'abort',
	OUT run_id bigint, OUT state text, OUT rows_read bigint, OUT rows_written bigint,
	OUT rows_failed bigint, OUT elapsed_ms double precision, OUT rows_per_sec double precision,
	OUT workers_used integer)
RETURNS record
	AS 'MODULE_PATHNAME', 'parproc_run' LANGUAGE C PARALLEL UNSAFE;
CREATE FUNCTION parproc.cancel(run_id bigint) RETURNS boolean
	AS 'MODULE_PATHNAME', 'parproc_cancel' LANGUAGE C STRICT PARALLEL UNSAFE;
CREATE FUNCTION parproc.resume(run_id bigint, workers integer DEFAULT NULL) RETURNS bigint
	AS 'MODULE_PATHNAME', 'parproc_resume' LANGUAGE C PARALLEL UNSAFE;
CREATE FUNCTION parproc.explain_pipeline(name text,
	OUT stage_no integer, OUT stage text, OUT kind text, OUT column_name text,
	OUT mode text, OUT detail text)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_explain_pipeline' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION parproc.dry_run(name text,
	OUT rows_read bigint, OUT rows_out bigint, OUT elapsed_ms double precision,
	OUT stages_ms double precision, OUT deform_ms double precision,
	OUT kernel_ms double precision)
RETURNS record
	AS 'MODULE_PATHNAME', 'parproc_dry_run' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION parproc._live_runs(
	OUT run_id bigint, OUT state text, OUT chunks_total bigint, OUT chunks_done bigint,
	OUT rows_read bigint, OUT rows_written bigint, OUT rows_failed bigint,
	OUT started_at timestamptz, OUT workers_used integer)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_live_runs' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION parproc._live_stages(
	OUT run_id bigint, OUT stage integer, OUT name text, OUT rows_in bigint, OUT rows_out bigint,
	OUT rows_failed bigint, OUT time_ms double precision,
	OUT deform_ms double precision, OUT kernel_ms double precision,
	OUT kernel_values bigint, OUT evaluator_values bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_live_stages' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
CREATE FUNCTION parproc._live_workers(
	OUT run_id bigint, OUT attempt integer, OUT worker integer, OUT pid integer,
	OUT chunks bigint, OUT rows bigint,
	OUT busy_ms double precision, OUT wait_ms double precision,
	OUT read_ms double precision, OUT eval_ms double precision,
	OUT write_ms double precision, OUT wal_bytes bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_live_workers' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- A viewer sees every run; expressions and error rows of other roles' runs
-- only with pg_read_all_stats (the pg_stat_statements rule).
CREATE FUNCTION parproc._may_read(owner regrole) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	SELECT pg_has_role(owner, 'USAGE') OR pg_has_role('pg_read_all_stats', 'USAGE')
$$;

CREATE VIEW parproc.runs AS
SELECT h.run_id, h.pipeline, h.role,
	   coalesce(l.state, CASE WHEN h.state IN ('queued', 'running') THEN 'failed' ELSE h.state END)
		   AS state,
	   h.started_at, h.finished_at,
	   coalesce(l.rows_read, h.rows_read) AS rows_read,
	   coalesce(l.rows_written, h.rows_written) AS rows_written,
	   coalesce(l.rows_failed, h.rows_failed) AS rows_failed,
	   coalesce(h.elapsed_ms, extract(epoch FROM clock_timestamp() - l.started_at) * 1000) AS elapsed_ms,
	   coalesce(l.rows_read, h.rows_read)
		   / NULLIF(coalesce(h.elapsed_ms, extract(epoch FROM clock_timestamp() - l.started_at) * 1000), 0)
		   * 1000 AS rows_per_sec,
	   h.workers_requested, coalesce(l.workers_used, h.workers_used) AS workers_used,
	   h.on_error,
	   CASE WHEN parproc._may_read(h.role) THEN
		   coalesce(h.error, CASE WHEN h.state IN ('queued', 'running') AND l.run_id IS NULL THEN
			   'the run was interrupted (server restart or coordinator exit)' END)
	   END AS error,
	   h.sqlstate
FROM parproc.run_history h LEFT JOIN parproc._live_runs() l ON l.run_id = h.run_id;

CREATE VIEW parproc.run_progress AS
SELECT l.run_id, h.pipeline, l.state, l.chunks_total, l.chunks_done,
	   l.rows_read, l.rows_written, l.rows_failed,
	   round(100.0 * l.chunks_done / NULLIF(l.chunks_total, 0), 1) AS percent,
	   l.rows_read / NULLIF(extract(epoch FROM clock_timestamp() - l.started_at), 0) AS rows_per_sec,
	   CASE WHEN l.chunks_done > 0 THEN
		   (clock_timestamp() - l.started_at) * ((l.chunks_total - l.chunks_done)::float8 / l.chunks_done)
	   END AS eta
FROM parproc._live_runs() l JOIN parproc.run_history h ON h.run_id = l.run_id;

CREATE VIEW parproc.stage_stats AS
SELECT s.run_id, s.stage, s.name, s.rows_in, s.rows_out, s.rows_failed, s.time_ms,
	   s.deform_ms, s.kernel_ms, s.kernel_values, s.evaluator_values
FROM parproc.run_stages s
WHERE NOT EXISTS (SELECT FROM parproc._live_stages() l WHERE l.run_id = s.run_id)
UNION ALL
SELECT l.run_id, l.stage, l.name, l.rows_in, l.rows_out, l.rows_failed, l.time_ms,
	   l.deform_ms, l.kernel_ms, l.kernel_values, l.evaluator_values
FROM parproc._live_stages() l;

CREATE VIEW parproc.worker_stats AS
SELECT w.run_id, w.attempt, w.worker, w.pid, w.chunks, w.rows, w.busy_ms, w.wait_ms,
	   w.read_ms, w.eval_ms, w.write_ms, w.wal_bytes
FROM parproc.run_workers w
UNION ALL
SELECT l.run_id, l.attempt, l.worker, l.pid, l.chunks, l.rows, l.busy_ms, l.wait_ms,
	   l.read_ms, l.eval_ms, l.write_ms, l.wal_bytes
FROM parproc._live_workers() l;

CREATE VIEW parproc.errors AS
SELECT e.run_id, e.stage, e.source, e.source_ctid, e.row, e.sqlstate, e.message, e.failed_at
FROM parproc.error_rows e JOIN parproc.run_history h ON h.run_id = e.run_id
WHERE parproc._may_read(h.role);

CREATE VIEW parproc.pipelines AS
SELECT d.name, d.owner, d.source, d.target,
	   CASE WHEN parproc._may_read(d.owner) THEN d.stages END AS stages,
	   d.created_at, count(h.run_id) AS runs,
	   coalesce(sum(h.rows_read), 0) AS rows_read,
	   coalesce(sum(h.rows_written), 0) AS rows_written,
	   coalesce(sum(h.rows_failed), 0) AS rows_failed,
	   max(h.started_at) AS last_run
FROM parproc.pipeline_defs d LEFT JOIN parproc.run_history h ON h.pipeline = d.name
GROUP BY d.name;

GRANT SELECT ON parproc.pipelines, parproc.runs, parproc.run_progress, parproc.stage_stats,
	parproc.worker_stats, parproc.errors TO PUBLIC;

COMMENT ON FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean) IS
'define a chain of filter/map stages from a source table to a target table';
COMMENT ON FUNCTION parproc.drop_pipeline(text) IS 'forget a pipeline (its run history stays)';
COMMENT ON FUNCTION parproc.start(text, integer, text) IS
'start a run in background workers and return its id at once';
COMMENT ON FUNCTION parproc.run(text, integer, text) IS
'run a pipeline in background workers and wait for it';
COMMENT ON FUNCTION parproc.wait(bigint) IS 'wait for a run to end and return its summary';
COMMENT ON FUNCTION parproc.cancel(bigint) IS 'stop a run, keeping the chunks already committed';
COMMENT ON FUNCTION parproc.resume(bigint, integer) IS
'start the chunks of a failed or cancelled run that are not done, with a fresh snapshot';
COMMENT ON FUNCTION parproc.explain_pipeline(text) IS
'which expressions of each stage run as column kernels, and why the others do not';
COMMENT ON FUNCTION parproc.dry_run(text) IS
'evaluate a pipeline over its source in this session, writing nothing';
