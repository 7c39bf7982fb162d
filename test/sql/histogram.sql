-- parproc.histogram: checked against core's width_bucket
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
CREATE TABLE h (i int, x float8);
INSERT INTO h SELECT i, (i * 7919 % 10007) / 100.0 - 10 FROM generate_series(1, 5000) i;
INSERT INTO h VALUES (0, NULL), (-1, 'Infinity'), (-2, '-Infinity'), (-3, 0), (-4, 50);
ANALYZE h;

-- the oracle: counts of width_bucket per bucket, zeros filled in
CREATE FUNCTION oracle(lo float8, hi float8, n int) RETURNS bigint[] LANGUAGE sql AS $$
	SELECT array_agg(coalesce(c, 0) ORDER BY b)
	FROM generate_series(0, n + 1) b
	LEFT JOIN (SELECT width_bucket(x, lo, hi, n) AS wb, count(*) AS c
			   FROM h WHERE x IS NOT NULL GROUP BY 1) w ON w.wb = b
$$;

-- the same over an array of values
CREATE FUNCTION oracle_of(xs float8[], lo float8, hi float8, n int) RETURNS bigint[] LANGUAGE sql AS $$
	SELECT array_agg(coalesce(c, 0) ORDER BY b)
	FROM generate_series(0, n + 1) b
	LEFT JOIN (SELECT width_bucket(x, lo, hi, n) AS wb, count(*) AS c
			   FROM unnest(xs) x GROUP BY 1) w ON w.wb = b
$$;

SET max_parallel_workers_per_gather = 0;
SELECT parproc.histogram(x, 0, 50, 10) FROM h;
SELECT parproc.histogram(x, 0, 50, 10) = oracle(0, 50, 10) AS ok,
	   parproc.histogram(x, 50, 0, 7) = oracle(50, 0, 7) AS reversed,
	   parproc.histogram(x, -10.5, 90.25, 1) = oracle(-10.5, 90.25, 1) AS one_bucket,
	   parproc.histogram(x, 0, 0.001, 1000) = oracle(0, 0.001, 1000) AS narrow,
	   parproc.histogram(x, -1e300, 1e300, 7) = oracle(-1e300, 1e300, 7) AS wide,
	   parproc.histogram(x, 0.1, 0.7, 3) = oracle(0.1, 0.7, 3) AS inexact_bounds
FROM h;
-- every bucket boundary of an inexact width, where rounding decides
SELECT parproc.histogram(x, 0.1, 0.7, 6) = oracle_of(x_arr, 0.1, 0.7, 6) AS boundaries
FROM (SELECT array_agg(0.1::float8 + k * 0.1::float8) AS x_arr FROM generate_series(0, 7) k) a,
	 LATERAL unnest(x_arr) x
GROUP BY x_arr;
-- many bucket counts and bounds
SELECT count(*) AS mismatches
FROM (VALUES (0.1::float8, 0.7::float8), (-3.3, 17.1), (1e-9, 3e-9), (50, -10), (-7, -6.9)) b(lo, hi),
	 generate_series(1, 13) n
WHERE (SELECT parproc.histogram(x, lo, hi, n) FROM h) IS DISTINCT FROM oracle(lo, hi, n);
-- ranges so wide that the bucket count times their width overflows: where
-- core's width_bucket returns garbage (PostgreSQL 15), histogram refuses
-- them; where core computes them (16 on), histogram counts the same
CREATE FUNCTION wide_range_as_core(lo float8, hi float8, n int) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
	core_in_range bool := (SELECT bool_and(width_bucket(x, lo, hi, n) BETWEEN 0 AND n + 1) FROM h);
	counts bigint[];
BEGIN
	counts := (SELECT parproc.histogram(x, lo, hi, n) FROM h);
	RETURN core_in_range AND counts = oracle(lo, hi, n);
EXCEPTION WHEN invalid_argument_for_width_bucket_function THEN
	RETURN NOT core_in_range AND SQLERRM = 'histogram range is too wide';
END $$;
SELECT lo, hi, n, wide_range_as_core(lo, hi, n)
FROM (VALUES (-1e308::float8, 1e308::float8, 3), (1e308, -1e308, 2), (-1e305, 1e305, 10000)) r(lo, hi, n);

-- no rows: NULL; only NULL values: zeros
SELECT parproc.histogram(x, 0, 1, 2) FROM h WHERE false;
SELECT parproc.histogram(x, 0, 1, 2) FROM h WHERE x IS NULL;

-- width_bucket's errors
SELECT parproc.histogram(x, 0, 1, 0) FROM h;
SELECT width_bucket(1, 0, 1, 0);
SELECT parproc.histogram(x, 'NaN', 1, 3) FROM h;
SELECT parproc.histogram(x, 0, 'Infinity', 3) FROM h;
SELECT width_bucket(1, 0, 'Infinity'::float8, 3);
SELECT parproc.histogram(x, 1, 1, 3) FROM h;
SELECT width_bucket(1, 1, 1::float8, 3);
SELECT parproc.histogram(x, 0, 1, 3) FROM (VALUES (1::float8), ('NaN')) v(x);
SELECT width_bucket('NaN', 0, 1::float8, 3);
SELECT parproc.histogram(x, 0, 1, 20000000) FROM h;
SELECT parproc.histogram(x, 0, NULL, 3) FROM h;
SELECT parproc.histogram(x, 0, i, 3) FROM h WHERE i > 0;

-- forced parallel plans
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.histogram(x, 0, 50, 10) FROM h;
SELECT parproc.histogram(x, 0, 50, 10) = oracle(0, 50, 10) AS parallel,
	   parproc.histogram(x, 50, 0, 7) = oracle(50, 0, 7) AS parallel_reversed
FROM h;
SELECT i % 2 AS half, parproc.histogram(x, 0, 50, 4) FROM h GROUP BY 1 ORDER BY 1;
SELECT parproc.histogram(x, 0, CASE WHEN i % 2 = 0 THEN 50 ELSE 60 END, 4) FROM h;
RESET parallel_leader_participation;
-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT parproc.histogram(x, 0, 50, 10) = oracle(0, 50, 10) AS in_worker FROM h;
