-- parproc.stats: checked against core's aggregates and exact numeric math
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;

-- relative difference, 0 when equal (NaN = NaN and Infinity = Infinity too)
CREATE OR REPLACE FUNCTION reldiff(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN a = b THEN 0 ELSE abs(a - b) / greatest(abs(a), abs(b)) END
$$;

CREATE TABLE t (i int, g int, x float8);
INSERT INTO t SELECT i, i % 5, (i % 97) * 1.5 + sin(i) * 10 + CASE WHEN i % 13 = 0 THEN 100 ELSE 0 END
FROM generate_series(1, 20000) i;
INSERT INTO t VALUES (0, 0, NULL), (-1, 1, NULL);
ANALYZE t;

-- serial plan: n, sum and mean are bit-identical to core, the rest to 1e-12
SET max_parallel_workers_per_gather = 0;
SELECT (s).n = n AS n,
	   (s).sum = sm AS sum,
	   (s).mean = mean AS mean,
	   reldiff((s).var_samp, vs) < 1e-12 AS var_samp,
	   reldiff((s).var_pop, vp) < 1e-12 AS var_pop,
	   reldiff((s).stddev_samp, ss) < 1e-12 AS stddev_samp,
	   reldiff((s).stddev_pop, sp) < 1e-12 AS stddev_pop,
	   (s).min = mn AS min,
	   (s).max = mx AS max
FROM (SELECT parproc.stats(x) AS s, count(x) AS n, sum(x) AS sm, avg(x) AS mean,
			 var_samp(x) AS vs, var_pop(x) AS vp, stddev_samp(x) AS ss,
			 stddev_pop(x) AS sp, min(x) AS mn, max(x) AS mx
	  FROM t) a;

-- skewness (G1) and excess kurtosis (G2) against a two-pass numeric oracle
WITH m AS (SELECT avg(x::numeric) AS mu, count(x)::numeric AS n FROM t),
d AS (SELECT n, sum((x::numeric - mu) ^ 2) AS m2, sum((x::numeric - mu) ^ 3) AS m3,
			 sum((x::numeric - mu) ^ 4) AS m4
	  FROM t, m WHERE x IS NOT NULL GROUP BY n),
o AS (SELECT (m3 / n) / power(m2 / n, 1.5) * sqrt(n * (n - 1)) / (n - 2) AS g1,
			 ((n + 1) * ((m4 / n) / ((m2 / n) ^ 2) - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)) AS g2
	  FROM d)
SELECT reldiff((s).skewness, g1::float8) < 1e-10 AS skewness,
	   reldiff((s).kurtosis, g2::float8) < 1e-10 AS kurtosis,
	   round(g1, 6) AS g1, round(g2, 6) AS g2
FROM (SELECT parproc.stats(x) AS s FROM t) a, o;

-- per group
SELECT g, (s).n = n AS n, reldiff((s).mean, mean) < 1e-12 AS mean,
	   reldiff((s).var_samp, v) < 1e-12 AS var_samp, (s).min = mn AND (s).max = mx AS minmax
FROM (SELECT g, parproc.stats(x) AS s, count(x) AS n, avg(x) AS mean, var_samp(x) AS v,
			 min(x) AS mn, max(x) AS mx
	  FROM t GROUP BY g) a
ORDER BY g;

-- numerical stability: 1e9 + small values, where sum(x^2) - sum(x)^2/n fails
-- (quarters, so that x::numeric is exact and the numeric oracle too)
CREATE TABLE big (x float8);
INSERT INTO big SELECT 1e9 + (i * 7919 % 1000) * 0.25 FROM generate_series(1, 20000) i;
SELECT reldiff((s).var_samp, exact::float8) < 1e-12 AS stable,
	   reldiff(naive, exact::float8) > 1e-3 AS naive_fails
FROM (SELECT parproc.stats(x) AS s,
			 var_samp(x::numeric) AS exact,
			 (sum(x * x) - sum(x) * sum(x) / count(x)) / (count(x) - 1) AS naive
	  FROM big) a;

-- edge cases: no rows, only NULLs, one row, constant data
SELECT parproc.stats(x) IS NULL AS empty FROM t WHERE false;
SELECT parproc.stats(x) IS NULL AS all_null FROM t WHERE x IS NULL;
SELECT (parproc.stats(x)).* FROM (VALUES (4.5::float8)) v(x);
SELECT (parproc.stats(x)).* FROM (VALUES (2::float8), (2), (2), (2)) v(x);
SELECT (parproc.stats(x)).* FROM (VALUES (1::float8), (2), (3), (10)) v(x);

-- NaN and Infinity behave as core's avg, var_samp, min and max
SELECT vals,
	   (s).mean IS NOT DISTINCT FROM a AS mean,
	   (s).var_samp IS NOT DISTINCT FROM vs AS var_samp,
	   (s).var_pop IS NOT DISTINCT FROM vp AS var_pop,
	   (s).min IS NOT DISTINCT FROM mn AS min,
	   (s).max IS NOT DISTINCT FROM mx AS max,
	   (s).mean AS mean_value, (s).var_samp AS var_samp_value
FROM (SELECT vals, parproc.stats(x) AS s, avg(x) AS a, var_samp(x) AS vs, var_pop(x) AS vp,
			 min(x) AS mn, max(x) AS mx
	  FROM (VALUES ('1,Infinity', '{1,Infinity}'::float8[]),
				   ('Infinity', '{Infinity}'),
				   ('-Infinity,Infinity', '{-Infinity,Infinity}'),
				   ('NaN,3', '{NaN,3}'),
				   ('NaN', '{NaN}'),
				   ('-Infinity,NaN,5', '{-Infinity,NaN,5}'),
				   ('Infinity,Infinity', '{Infinity,Infinity}')) v(vals, arr),
		   unnest(arr) x
	  GROUP BY vals) a
ORDER BY vals;

-- finite values that overflow: the same error as core
SELECT avg(x) FROM (VALUES (1e308::float8), (1e308)) v(x);
SELECT parproc.stats(x) FROM (VALUES (1e308::float8), (1e308)) v(x);

-- fourth powers overflow long before the variance: only G1 and G2 give up
SELECT reldiff((s).var_samp, v) < 1e-12 AS var_samp, (s).skewness, (s).kurtosis
FROM (SELECT parproc.stats(x) AS s, var_samp(x) AS v
	  FROM (VALUES (1e80::float8), (-1e80), (3e80), (0)) v(x)) a;
SELECT var_samp(x) FROM (VALUES (1e200::float8), (-1e200)) v(x);
SELECT parproc.stats(x) FROM (VALUES (1e200::float8), (-1e200)) v(x);

-- integer and numeric arguments through implicit casts
SELECT (parproc.stats(i)).mean = avg(i)::float8 AS int_mean,
	   (parproc.stats(i::numeric)).n = count(i) AS numeric_n,
	   (parproc.stats(i::bigint)).sum = sum(i)::float8 AS bigint_sum
FROM t;

-- forced parallel plans: EXPLAIN shows partial aggregation, results agree
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.stats(x) FROM t;
EXPLAIN (COSTS OFF) SELECT g, parproc.stats(x) FROM t GROUP BY g;
CREATE TEMP TABLE serial_result (s parproc.stats_result);
SET max_parallel_workers_per_gather = 0;
INSERT INTO serial_result SELECT parproc.stats(x) FROM t;
SET max_parallel_workers_per_gather = 2;
SELECT (p).n = (s).n AS n,
	   reldiff((p).sum, (s).sum) < 1e-12 AS sum,
	   reldiff((p).mean, (s).mean) < 1e-12 AS mean,
	   reldiff((p).var_samp, (s).var_samp) < 1e-12 AS var_samp,
	   reldiff((p).skewness, (s).skewness) < 1e-10 AS skewness,
	   reldiff((p).kurtosis, (s).kurtosis) < 1e-10 AS kurtosis,
	   (p).min = (s).min AND (p).max = (s).max AS minmax
FROM (SELECT parproc.stats(x) AS p FROM t) a, serial_result;
SELECT g, (s).n = n AS n, reldiff((s).mean, mean) < 1e-12 AS mean,
	   reldiff((s).var_samp, v) < 1e-12 AS var_samp
FROM (SELECT g, parproc.stats(x) AS s, count(x) AS n, avg(x) AS mean, var_samp(x) AS v
	  FROM t GROUP BY g) a
ORDER BY g;
-- an overflow found while combining partial states
SELECT parproc.stats(CASE WHEN i IN (1, 20000) THEN 1e308 ELSE 0 END) FROM t;

-- no free worker slots: the leader runs the partial and final steps alone
SET max_parallel_workers = 0;
SELECT (s).n = n AS n, reldiff((s).var_samp, v) < 1e-12 AS var_samp, h = o AS histogram
FROM (SELECT parproc.stats(x) AS s, count(x) AS n, var_samp(x) AS v,
			 parproc.histogram(x, 0, 200, 8) AS h FROM t) a,
	 (SELECT array_agg(coalesce(c, 0) ORDER BY b) AS o
	  FROM generate_series(0, 9) b
	  LEFT JOIN (SELECT width_bucket(x, 0, 200, 8) AS wb, count(*) AS c
				 FROM t WHERE x IS NOT NULL GROUP BY 1) w ON w.wb = b) ob;
RESET max_parallel_workers;

-- the whole aggregate inside a parallel worker
-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT (s).n = n AS n, reldiff((s).var_samp, v) < 1e-12 AS var_samp
FROM (SELECT parproc.stats(x) AS s, count(x) AS n, var_samp(x) AS v FROM t) a;
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'off', false) AS forced;

-- the state, parproc.stats_state, as Citus moves it: partial states of
-- parts of the rows, through their text form, merged (test aggregates
-- made of parproc's support functions)
SET max_parallel_workers_per_gather = 0;
CREATE AGGREGATE stats_partial(float8) (SFUNC = parproc.stats_accum, STYPE = parproc.stats_state);
CREATE AGGREGATE stats_merged(parproc.stats_state) (
	SFUNC = parproc.stats_merge, STYPE = parproc.stats_state, FINALFUNC = parproc.stats_final);
CREATE TABLE stats_parts AS SELECT g, stats_partial(x) AS s FROM t GROUP BY g;
SELECT (m).n = n AS n, (m).min = mn AS min, (m).max = mx AS max, reldiff((m).sum, sm) < 1e-12 AS sum,
	   reldiff((m).mean, mean) < 1e-12 AS mean, reldiff((m).var_samp, v) < 1e-12 AS var_samp,
	   reldiff((m).skewness, sk) < 1e-9 AS skewness, reldiff((m).kurtosis, ku) < 1e-9 AS kurtosis,
	   m = (SELECT stats_merged(s::text::parproc.stats_state) FROM stats_parts) AS same_through_text
FROM (SELECT stats_merged(s) AS m FROM stats_parts) a,
	 (SELECT count(x) AS n, min(x) AS mn, max(x) AS mx, sum(x) AS sm,
			 avg(x) AS mean, var_samp(x) AS v, (parproc.stats(x)).skewness AS sk,
			 (parproc.stats(x)).kurtosis AS ku FROM t) o;
-- text form: \x and 89 bytes of hex
SELECT length(s::text) AS text_length, s::text ~ '^\\x[0-9a-f]{178}$' AS hex FROM stats_parts LIMIT 1;
-- an empty state, and NULL inputs
SELECT parproc.stats_final(parproc.stats_accum(NULL, NULL)) IS NULL AS empty,
	   (parproc.stats_final(parproc.stats_accum(parproc.stats_accum(NULL, NULL), 4))).n AS one;
-- called outside an aggregate, the functions leave their arguments as they were
SELECT s::text = before AS accum_kept,
	   (parproc.stats_final(parproc.stats_accum(s, 1e6))).n = (parproc.stats_final(s)).n + 1 AS added
FROM (SELECT s, s::text AS before FROM stats_parts ORDER BY g LIMIT 1) p
WHERE (parproc.stats_accum(s, 1e6) IS NOT NULL);
SELECT a.s::text = a0 AS merge_kept, b.s::text = b0 AS other_kept,
	   (parproc.stats_final(parproc.stats_merge(a.s, b.s))).n = (parproc.stats_final(a.s)).n + (parproc.stats_final(b.s)).n AS n
FROM (SELECT s, s::text AS a0 FROM stats_parts WHERE g = 0) a, (SELECT s, s::text AS b0 FROM stats_parts WHERE g = 1) b
WHERE parproc.stats_merge(a.s, b.s) IS NOT NULL;
-- malformed states are refused
SELECT 'abc'::parproc.stats_state;
SELECT '\x00'::parproc.stats_state;
SELECT overlay(s::text PLACING 'ffffffffffffffff' FROM 3)::parproc.stats_state FROM stats_parts LIMIT 1;
SELECT overlay(s::text PLACING 'fff0000000000000' FROM 3 + 2 * 25 + 2 * 8 * 3)::parproc.stats_state
FROM stats_parts WHERE g = 0;
DROP TABLE stats_parts;
DROP AGGREGATE stats_partial(float8), stats_merged(parproc.stats_state);
