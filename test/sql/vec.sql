-- vec_sum, vec_avg, vec_min, vec_max: checked against UNNEST WITH ORDINALITY
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;

CREATE OR REPLACE FUNCTION reldiff(a float8, b float8) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN a = b THEN 0 ELSE abs(a - b) / greatest(abs(a), abs(b)) END
$$;

-- 16 elements per row; element 16 is always NULL, element 3 often
CREATE TABLE v (i int, g int, a float8[]);
INSERT INTO v
SELECT i, i % 4,
	   ARRAY(SELECT CASE WHEN k = 16 OR (k = 3 AND i % 3 = 0) THEN NULL
						 ELSE sin(i * k) * 100 + k END
			 FROM generate_series(1, 16) k)
FROM generate_series(1, 4000) i;
INSERT INTO v VALUES (0, 0, NULL);
ANALYZE v;

-- the oracle: one core aggregate per position
CREATE FUNCTION voracle(agg text, q text) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
	r float8[];
BEGIN
	EXECUTE format('SELECT array_agg(r ORDER BY ord) FROM (SELECT ord, %s(e) AS r
					FROM (%s) s, unnest(s.a) WITH ORDINALITY u(e, ord) GROUP BY ord) q', agg, q)
	INTO r;
	RETURN r;
END
$$;

-- element-wise agreement: sums and averages to 1e-12, NULLs in the same places
CREATE FUNCTION vclose(x float8[], y float8[]) RETURNS boolean LANGUAGE sql AS $$
	SELECT cardinality(x) = cardinality(y)
	   AND bool_and(CASE WHEN p IS NULL OR o IS NULL THEN p IS NULL AND o IS NULL
						 ELSE reldiff(p, o) < 1e-12 END)
	FROM unnest(x, y) AS t(p, o)
$$;

SET max_parallel_workers_per_gather = 0;
SELECT vclose(parproc.vec_sum(a), voracle('sum', 'SELECT a FROM v')) AS vec_sum,
	   vclose(parproc.vec_avg(a), voracle('avg', 'SELECT a FROM v')) AS vec_avg,
	   parproc.vec_min(a)::text = voracle('min', 'SELECT a FROM v')::text AS vec_min,
	   parproc.vec_max(a)::text = voracle('max', 'SELECT a FROM v')::text AS vec_max,
	   (parproc.vec_sum(a))[16] IS NULL AS all_null_position
FROM v;
SELECT g, vclose(parproc.vec_avg(a), voracle('avg', 'SELECT a FROM v WHERE g = ' || g)) AS vec_avg,
	   parproc.vec_max(a)::text = voracle('max', 'SELECT a FROM v WHERE g = ' || g)::text AS vec_max
FROM v GROUP BY g ORDER BY g;
SELECT parproc.vec_sum(a), parproc.vec_avg(a), parproc.vec_min(a), parproc.vec_max(a)
FROM (VALUES ('{1,2,NULL}'::float8[]), ('{3,NULL,NULL}'), (NULL), ('{5,6,NULL}')) t(a);

-- NaN and Infinity per position as core's sum, avg, min and max
CREATE TABLE vs (a float8[]);
INSERT INTO vs VALUES ('{NaN,1,Infinity,-Infinity,5}'), ('{2,NaN,-Infinity,-Infinity,NaN}'),
	('{3,4,Infinity,1,-Infinity}');
SELECT parproc.vec_sum(a)::text = voracle('sum', 'SELECT a FROM vs')::text AS vec_sum,
	   parproc.vec_avg(a)::text = voracle('avg', 'SELECT a FROM vs')::text AS vec_avg,
	   parproc.vec_min(a)::text = voracle('min', 'SELECT a FROM vs')::text AS vec_min,
	   parproc.vec_max(a)::text = voracle('max', 'SELECT a FROM vs')::text AS vec_max,
	   parproc.vec_sum(a) AS sums, parproc.vec_min(a) AS mins, parproc.vec_max(a) AS maxs
FROM vs;

-- no rows, only NULL arrays, empty arrays
SELECT parproc.vec_sum(a) AS no_rows FROM v WHERE false;
SELECT parproc.vec_avg(a) AS null_arrays FROM v WHERE a IS NULL;
SELECT parproc.vec_max(a) AS empty FROM (VALUES ('{}'::float8[]), ('{}')) t(a);

-- errors: lengths that differ, more than one dimension, finite overflow
SELECT parproc.vec_sum(a) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(a);
SELECT parproc.vec_min(a) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) t(a);
SELECT parproc.vec_sum(a) FROM (VALUES ('{1e308,1}'::float8[]), ('{1e308,1}')) t(a);
SELECT sum(x) FROM (VALUES (1e308::float8), (1e308)) t(x);

-- forced parallel plans
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.vec_sum(a), parproc.vec_min(a) FROM v;
SELECT vclose(parproc.vec_sum(a), voracle('sum', 'SELECT a FROM v')) AS vec_sum,
	   vclose(parproc.vec_avg(a), voracle('avg', 'SELECT a FROM v')) AS vec_avg,
	   parproc.vec_min(a)::text = voracle('min', 'SELECT a FROM v')::text AS vec_min,
	   parproc.vec_max(a)::text = voracle('max', 'SELECT a FROM v')::text AS vec_max
FROM v;
SELECT g, vclose(parproc.vec_avg(a), voracle('avg', 'SELECT a FROM v WHERE g = ' || g)) AS vec_avg
FROM v GROUP BY g ORDER BY g;
SELECT parproc.vec_sum(CASE WHEN i = 7 THEN '{1,2,3}'::float8[] ELSE a END) FROM v;
RESET parallel_leader_participation;
-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT parproc.vec_max(a)::text = voracle('max', 'SELECT a FROM v')::text AS in_worker FROM v;
