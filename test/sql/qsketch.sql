-- qsketch: exact for small inputs, bounded rank error above, mergeable
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- fractions tried against core's exact percentile_cont
CREATE TABLE qs_fr AS
SELECT array_agg(f ORDER BY f) AS f
FROM (SELECT i / 40.0 AS f FROM generate_series(0, 40) i
	  UNION ALL VALUES (0.001), (0.01), (0.99), (0.999), (0.12345)) s;

-- 1. fewer than 2 x accuracy values: every centroid a single value, so the
-- answers are core's percentile_cont exactly (ties, negatives, duplicates)
SELECT setseed(0.5);
CREATE TABLE qs_small AS
SELECT g, round((random() * 100 - 50)::numeric, 1)::float8 AS x
FROM generate_series(1, 4) g, generate_series(1, 399) i;
INSERT INTO qs_small VALUES (5, 42), (6, -1), (6, 1);
SET max_parallel_workers_per_gather = 0;
SELECT g, parproc.quantile(parproc.qsketch_agg(x), (SELECT f FROM qs_fr))
		  = percentile_cont((SELECT f FROM qs_fr)) WITHIN GROUP (ORDER BY x) AS exact,
	   parproc.approx_percentile(x, (SELECT f FROM qs_fr))
		  = percentile_cont((SELECT f FROM qs_fr)) WITHIN GROUP (ORDER BY x) AS agg_exact
FROM qs_small GROUP BY g ORDER BY g;
-- rank is exact too: the fraction of values <= x
SELECT bool_and(parproc.rank(s, v) = (SELECT count(*) FILTER (WHERE x <= v)::float8 / count(*) FROM qs_small WHERE g = 1))
	AS rank_exact
FROM (SELECT parproc.qsketch_agg(x) AS s FROM qs_small WHERE g = 1) k,
	 (SELECT x + d AS v FROM qs_small, (VALUES (-0.05), (0), (0.05)) d(d) WHERE g = 1) v;

-- 2. infinities and NaN sort as in float8 and are counted exactly
CREATE TABLE qs_special (x float8);
INSERT INTO qs_special VALUES ('-Infinity'), ('-Infinity'), (-1), (0), (2.5), (7), ('Infinity'), ('NaN'), (NULL);
SELECT parproc.quantile(parproc.qsketch_agg(x), (SELECT f FROM qs_fr))::text
	 = (percentile_cont((SELECT f FROM qs_fr)) WITHIN GROUP (ORDER BY x))::text AS special_exact,
	   parproc.quantile(parproc.qsketch_agg(x), ARRAY[0, 0.3, 0.5, 1]) AS q,
	   parproc.rank(parproc.qsketch_agg(x), '-Infinity') AS r_neginf,
	   parproc.rank(parproc.qsketch_agg(x), 2.5) AS r_mid,
	   parproc.rank(parproc.qsketch_agg(x), 'Infinity') AS r_posinf,
	   parproc.rank(parproc.qsketch_agg(x), 'NaN') AS r_nan
FROM qs_special;

-- 3. no values: NULL; NULLs skipped
SELECT parproc.qsketch_agg(x) IS NULL AS no_rows, parproc.approx_percentile(x, 0.5) IS NULL AS no_pct
FROM qs_special WHERE false;
SELECT parproc.qsketch_agg(x) IS NULL AS only_nulls FROM qs_special WHERE x IS NULL;

-- 4. large inputs: normalized rank error within the documented bounds
-- (0.5% at the median, 0.05% at p99 and p99.9; the sketch does far
-- better, so the test checks 0.05% and 0.01%), min and max exact
SELECT setseed(0.25);
CREATE TABLE qs_big AS
SELECT random() AS u,
	   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS nrm,
	   -ln(1 - random()) AS ex,
	   pow(random(), 4) AS sk
FROM generate_series(1, 300000);
CREATE INDEX ON qs_big (u);
CREATE INDEX ON qs_big (nrm);
CREATE INDEX ON qs_big (ex);
CREATE INDEX ON qs_big (sk);
VACUUM ANALYZE qs_big;
CREATE TABLE qs_sketches AS
SELECT parproc.qsketch_agg(u) AS u, parproc.qsketch_agg(nrm) AS nrm,
	   parproc.qsketch_agg(ex) AS ex, parproc.qsketch_agg(sk) AS sk
FROM qs_big;
CREATE FUNCTION rank_error(col text, s parproc.qsketch, f float8) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	n float8;
BEGIN
	EXECUTE format('SELECT count(*) FROM qs_big WHERE %I <= $1', col)
		INTO n USING parproc.quantile(s, f);
	RETURN abs(n / 300000 - f);
END $$;
CREATE TABLE qs_fr9 AS SELECT ARRAY[0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]::float8[] AS f;
SELECT c, max(e) FILTER (WHERE f = 0.5) < 0.0005 AS p50,
	   max(e) FILTER (WHERE f IN (0.99, 0.999, 0.01, 0.001)) < 0.0001 AS tails,
	   max(e) < 0.0005 AS everywhere
FROM (SELECT c, f, rank_error(c, s, f) AS e
	  FROM (VALUES ('u'), ('nrm'), ('ex'), ('sk')) c(c),
		   LATERAL (SELECT CASE c WHEN 'u' THEN u WHEN 'nrm' THEN nrm WHEN 'ex' THEN ex ELSE sk END AS s FROM qs_sketches) k,
		   unnest((SELECT f FROM qs_fr9)) f) e
GROUP BY c ORDER BY c;
SELECT parproc.quantile((SELECT u FROM qs_sketches), 0) = min(u) AS min_exact,
	   parproc.quantile((SELECT u FROM qs_sketches), 1) = max(u) AS max_exact,
	   parproc.quantile((SELECT sk FROM qs_sketches), 0) = min(sk) AS sk_min_exact,
	   parproc.quantile((SELECT sk FROM qs_sketches), 1) = max(sk) AS sk_max_exact
FROM qs_big;
-- rank against the true fraction at the true quantiles
SELECT max(abs(parproc.rank((SELECT nrm FROM qs_sketches), v) - f)) < 0.0005 AS rank_within
FROM unnest((SELECT f FROM qs_fr9),
			(SELECT percentile_disc((SELECT f FROM qs_fr9)) WITHIN GROUP (ORDER BY nrm) FROM qs_big)) p(f, v);
-- a coarse accuracy is less accurate but within its own scale
SELECT max(rank_error('u', s, f)) < 0.005 AS coarse_within
FROM (SELECT parproc.qsketch_agg(u, 10) AS s FROM qs_big) k, unnest((SELECT f FROM qs_fr9)) f;

-- 5. forced parallel plans: partial sketches merged, same error bounds
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.qsketch_agg(u) FROM qs_big;
EXPLAIN (COSTS OFF) SELECT parproc.approx_percentile(u, ARRAY[0.5, 0.99]) FROM qs_big;
CREATE TABLE qs_par AS SELECT parproc.qsketch_agg(nrm) AS nrm, parproc.approx_percentile(nrm, 0.99) AS p99,
	   parproc.approx_percentile(nrm, ARRAY[0.5, NULL, 0.999]) AS ps FROM qs_big;
-- (partial sketches merged lose a little in the middle: 0.2% is checked,
-- still well inside the 0.5% bound; which rows each worker sees varies)
SELECT max(e) < 0.002 AS parallel_within, max(e) FILTER (WHERE f IN (0.99, 0.999)) < 0.0001 AS parallel_tails,
	   max(abs(parproc.rank(p, parproc.quantile(s, f)) - f)) < 0.002 AS serial_agrees
FROM (SELECT qs_par.nrm AS p, s.nrm AS s, f, rank_error('nrm', qs_par.nrm, f) AS e
	  FROM qs_par, qs_sketches s, unnest((SELECT f FROM qs_fr9)) f) e;
SELECT abs(p99 - parproc.quantile(nrm, 0.99)) < 0.01 AS pct_agrees,
	   rank_error('nrm', nrm, 0.5) < 0.002 AND rank_error('nrm', nrm, 0.999) < 0.0001 AS ps_sketch_within,
	   abs(ps[1] - parproc.quantile(nrm, 0.5)) < 0.01 AND abs(ps[3] - parproc.quantile(nrm, 0.999)) < 0.01 AS ps_agree,
	   ps[2] IS NULL AS null_kept, array_length(ps, 1) AS len
FROM qs_par;
-- a varying fraction is caught across workers
SELECT parproc.approx_percentile(u, CASE WHEN u < 0.5 THEN 0.1 ELSE 0.9 END) FROM qs_big;
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
SET max_parallel_workers_per_gather = 0;

-- 6. merging stored sketches: parts merge into the whole within the bound
CREATE TABLE qs_parts AS
SELECT (ex * 1000)::int % 10 AS g, parproc.qsketch_agg(ex) AS s FROM qs_big GROUP BY 1;
SELECT max(rank_error('ex', m, f)) < 0.0005 AS merge_agg_within
FROM (SELECT parproc.merge_agg(s) AS m FROM qs_parts) k, unnest((SELECT f FROM qs_fr9)) f;
SELECT parproc.quantile(parproc.merge(a.s, b.s), 0) = least(parproc.quantile(a.s, 0), parproc.quantile(b.s, 0)) AS merged_min,
	   parproc.quantile(parproc.merge(a.s, b.s), 1) = greatest(parproc.quantile(a.s, 1), parproc.quantile(b.s, 1)) AS merged_max
FROM qs_parts a, qs_parts b WHERE a.g = 1 AND b.g = 2;
-- different accuracies merge at the lower one
SELECT rank_error('u', parproc.merge(a, b), 0.5) < 0.005 AS mixed_accuracy,
	   substr(parproc.merge(a, b)::text, 11, 8) AS accuracy_hex
FROM (SELECT parproc.qsketch_agg(u, 10) FILTER (WHERE u < 0.3) AS a,
			 parproc.qsketch_agg(u, 1000) FILTER (WHERE u >= 0.3) AS b FROM qs_big) s;
SELECT parproc.merge_agg(s) IS NULL AS merge_nothing FROM qs_parts WHERE false;

-- 7. stored form: text and binary round trips
SELECT parproc.qsketch_agg(x) FROM (VALUES (1), (2.5), ('Infinity'), ('NaN')) v(x);
SELECT nrm::text::parproc.qsketch::text = nrm::text AS text_round_trip FROM qs_sketches;
SELECT parproc.quantile(('\x' || encode(parproc.qsketch_send(u), 'hex'))::parproc.qsketch, 0.5)
	 = parproc.quantile(u, 0.5) AS send_matches_text
FROM qs_sketches;

-- 8. malformed values are rejected
CREATE FUNCTION corrupt(s parproc.qsketch, pos int, b bytea) RETURNS text
LANGUAGE sql AS $$
SELECT '\x' || encode(overlay(decode(substr(s::text, 3), 'hex') PLACING b FROM pos + 1 FOR length(b)), 'hex')
$$;
CREATE TABLE qs_tiny AS SELECT parproc.qsketch_agg(x) AS s FROM (VALUES (1), (2), (3)) v(x);
SELECT corrupt(s, 0, '\x01') = s::text AS corrupt_identity FROM qs_tiny;
SELECT '\x01'::parproc.qsketch;
SELECT 'abc'::parproc.qsketch;
SELECT '\x0g'::parproc.qsketch;
SELECT corrupt(s, 0, '\x02')::parproc.qsketch FROM qs_tiny;					-- version
SELECT corrupt(s, 4, '\x05000000')::parproc.qsketch FROM qs_tiny;			-- accuracy 5
SELECT corrupt(s, 8, '\x04000000')::parproc.qsketch FROM qs_tiny;			-- centroid count
SELECT substr(s::text, 1, 200)::parproc.qsketch FROM qs_tiny;				-- truncated
SELECT corrupt(s, 16, '\xffffffffffffffff')::parproc.qsketch FROM qs_tiny;	-- negative count
SELECT corrupt(s, 16, '\xffffffffffffff7f')::parproc.qsketch FROM qs_tiny;	-- count overflow
SELECT corrupt(s, 40, '\x0000000000000840')::parproc.qsketch FROM qs_tiny;	-- min 3 > mean 1
SELECT corrupt(s, 48, '\x000000000000f07f')::parproc.qsketch FROM qs_tiny;	-- max Infinity
SELECT corrupt(s, 56, '\x000000000000f87f')::parproc.qsketch FROM qs_tiny;	-- NaN mean
SELECT corrupt(s, 64, '\x0000000000000000')::parproc.qsketch FROM qs_tiny;	-- weight 0
SELECT corrupt(s, 72, '\x0000000000001040')::parproc.qsketch FROM qs_tiny;	-- means out of order
SELECT parproc.quantile(corrupt(s, 0, '\x01')::parproc.qsketch, 0.5) AS still_valid FROM qs_tiny;

-- 9. bad arguments
SELECT parproc.qsketch_agg(x, 9) FROM qs_small;
SELECT parproc.qsketch_agg(x, 10001) FROM qs_small;
SELECT parproc.qsketch_agg(x, NULL) FROM qs_small;
SELECT parproc.qsketch_agg(x, CASE WHEN x > 0 THEN 100 ELSE 200 END) FROM qs_small;
SELECT parproc.quantile(s, 1.5) FROM qs_tiny;
SELECT parproc.quantile(s, ARRAY[0.5, -0.1]) FROM qs_tiny;
SELECT parproc.quantile(s, 'NaN'::float8) FROM qs_tiny;
SELECT parproc.approx_percentile(x, NULL::float8) FROM qs_small;
SELECT parproc.approx_percentile(x, x / 100 + 0.5) FROM qs_small;
SELECT parproc.approx_percentile(x, 2) FROM qs_small;

-- the aggregates' state is the sketch itself (as Citus moves it: a
-- partial state per part as text, then merges, within the bound); their
-- functions called directly leave their arguments as they were
SELECT (SELECT parproc.merge_agg(s::text::parproc.qsketch)::text FROM qs_parts)
	 = (SELECT parproc.merge_agg(s)::text FROM qs_parts) AS union_through_text;
SELECT s::text = before AS accum_kept,
	   parproc.quantile(parproc.qsketch_final(parproc.qsketch_accum(s, 1e9)), 1) = 1e9 AS added
FROM (SELECT s, s::text AS before FROM qs_parts WHERE g = 3) p
WHERE parproc.qsketch_accum(s, 1e9) IS NOT NULL;
SELECT a.s::text = a0 AS union_kept
FROM (SELECT s, s::text AS a0 FROM qs_parts WHERE g = 4) a, qs_parts b
WHERE b.g = 5 AND parproc.qsketch_union(a.s, b.s) IS NOT NULL;
SELECT parproc.qsketch_final(NULL) IS NULL AS none;

DROP TABLE qs_fr, qs_fr9, qs_small, qs_special, qs_big, qs_sketches, qs_par, qs_parts, qs_tiny;
DROP FUNCTION rank_error(text, parproc.qsketch, float8);
DROP FUNCTION corrupt(parproc.qsketch, int, bytea);
