-- exact percentiles: bit-for-bit against core's ordered-set aggregates
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
CREATE TABLE p (i int, g int, x float8);
INSERT INTO p SELECT i, i % 3,
	CASE WHEN i % 11 = 0 THEN floor(i / 100.0)			-- ties
		 ELSE (i * 7919 % 10007) / 97.0 - 40 END
FROM generate_series(1, 5000) i;
INSERT INTO p VALUES (0, 0, NULL), (-1, 1, NULL), (-2, 2, NULL);
ANALYZE p;

-- helper: every fraction k/100 and some awkward ones, as a set
CREATE TABLE fractions AS
SELECT k / 100.0::float8 AS f FROM generate_series(0, 100) k
UNION ALL SELECT unnest('{0.0001,0.333333333333,0.5000001,0.999,0.9999999,1e-300}'::float8[]);

-- count of fractions where parproc and core differ in any bit
CREATE FUNCTION mismatches(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE format($f$
		SELECT count(*) FROM fractions
		WHERE (SELECT float8send(parproc.percentile_cont(x, f)) FROM (%1$s) s)
			  IS DISTINCT FROM
			  (SELECT float8send(percentile_cont(f) WITHIN GROUP (ORDER BY x)) FROM (%1$s) s)
		   OR (SELECT float8send(parproc.percentile_disc(x, f)) FROM (%1$s) s)
			  IS DISTINCT FROM
			  (SELECT float8send(percentile_disc(f) WITHIN GROUP (ORDER BY x)) FROM (%1$s) s)$f$, q)
	INTO n;
	RETURN n;
END
$$;

-- the same for all fractions at once through the array forms, comparing
-- text (shortest exact output, so equal text means equal values)
CREATE FUNCTION identical(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	ok boolean;
BEGIN
	EXECUTE format($f$
		SELECT (SELECT parproc.percentile_cont(x, fa)::text FROM (%1$s) s)
			 = (SELECT (percentile_cont(fa) WITHIN GROUP (ORDER BY x))::text FROM (%1$s) s)
		   AND (SELECT parproc.percentile_disc(x, fa)::text FROM (%1$s) s)
			 = (SELECT (percentile_disc(fa) WITHIN GROUP (ORDER BY x))::text FROM (%1$s) s)
		FROM (SELECT array_agg(f) AS fa FROM fractions) fr$f$, q)
	INTO ok;
	RETURN ok;
END
$$;

SET max_parallel_workers_per_gather = 0;
SELECT mismatches('SELECT x FROM p') AS ordinary, identical('SELECT x FROM p') AS ordinary_array;
SELECT mismatches('SELECT x FROM p WHERE i % 500 = 7') AS small;
SELECT mismatches('SELECT 42::float8 AS x') AS single_row;
SELECT mismatches($$SELECT unnest('{NaN,1,Infinity,-Infinity,NaN,0,-0,2,Infinity}'::float8[]) AS x$$) AS specials;
SELECT mismatches($$SELECT unnest('{3,1,2,3,3,1}'::float8[]) AS x$$) AS ties;

-- constant fractions, several aggregates sharing one state
SELECT parproc.percentile_cont(x, 0.5) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS cont,
	   parproc.percentile_disc(x, 0.5) = percentile_disc(0.5) WITHIN GROUP (ORDER BY x) AS disc,
	   parproc.median(x) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS median,
	   parproc.percentile_cont(x, 0.99) = percentile_cont(0.99) WITHIN GROUP (ORDER BY x) AS p99
FROM p;

-- array forms, including NULL elements and a two-dimensional array
SELECT parproc.percentile_cont(x, '{0,0.25,NULL,0.5,0.999,1}'::float8[])::text
	 = (percentile_cont('{0,0.25,NULL,0.5,0.999,1}'::float8[]) WITHIN GROUP (ORDER BY x))::text AS cont,
	   parproc.percentile_disc(x, '{{0.1,0.9},{0.5,NULL}}'::float8[])::text
	 = (percentile_disc('{{0.1,0.9},{0.5,NULL}}'::float8[]) WITHIN GROUP (ORDER BY x))::text AS disc_2d,
	   parproc.percentile_cont(x, '{}'::float8[]) AS empty_array
FROM p;
SELECT parproc.percentile_disc(x, '[2:3]={0.5,1}'::float8[]) FROM p WHERE i <= 10;

-- per group
SELECT g, parproc.percentile_cont(x, 0.9) = percentile_cont(0.9) WITHIN GROUP (ORDER BY x) AS cont,
	   parproc.percentile_disc(x, 0.1) = percentile_disc(0.1) WITHIN GROUP (ORDER BY x) AS disc
FROM p GROUP BY g ORDER BY g;

-- no rows and only NULLs give NULL
SELECT parproc.percentile_cont(x, 0.5) AS no_rows, parproc.median(x) AS no_rows_median FROM p WHERE false;
SELECT parproc.percentile_disc(x, 0.5) AS only_nulls FROM p WHERE x IS NULL;

-- bad fractions: core's error for out of range, and NULL or varying fractions
SELECT parproc.percentile_cont(x, 1.5) FROM p;
SELECT percentile_cont(1.5) WITHIN GROUP (ORDER BY x) FROM p;
SELECT parproc.percentile_disc(x, -0.1) FROM p;
SELECT parproc.percentile_cont(x, 'NaN') FROM p;
SELECT parproc.percentile_cont(x, '{0.5,2}'::float8[]) FROM p;
SELECT parproc.percentile_cont(x, NULL::float8) FROM p;
SELECT parproc.percentile_cont(x, NULL::float8[]) FROM p;
SELECT parproc.percentile_cont(x, i / 5000.0) FROM p WHERE i > 0;
SELECT parproc.percentile_cont(x, ARRAY[i / 5000.0]) FROM p WHERE i > 0;

-- the memory limit turns a huge state into a clear error
SET parproc.percentile_max_memory = '64kB';
SELECT parproc.median(x) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS fits FROM p;
SELECT parproc.median(x) FROM (SELECT x FROM p UNION ALL SELECT x FROM p) u;
RESET parproc.percentile_max_memory;
SHOW parproc.percentile_max_memory;
-- (the range in the message has units from PostgreSQL 16 on: SQLSTATE only)
DO $$
BEGIN
	SET parproc.percentile_max_memory = '1kB';
EXCEPTION WHEN invalid_parameter_value THEN
	RAISE NOTICE 'refused: %', SQLSTATE;
END $$;

-- like core's percentiles, these are not window functions (their final
-- functions sort the state in place so that aggregates can share it)
SELECT parproc.median(x) OVER (ORDER BY i) FROM p;

-- forced parallel plans: partial aggregation in workers, merge in the leader
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT parproc.percentile_cont(x, 0.99) FROM p;
EXPLAIN (COSTS OFF) SELECT g, parproc.median(x) FROM p GROUP BY g;
SELECT identical('SELECT x FROM p') AS parallel;
SELECT identical($$SELECT x FROM p UNION ALL SELECT unnest('{NaN,Infinity,-Infinity,-0}'::float8[])$$) AS parallel_specials;
SET parallel_leader_participation = off;
SELECT identical('SELECT x FROM p') AS parallel_workers_only;
SELECT parproc.percentile_cont(x, 0.37) = percentile_cont(0.37) WITHIN GROUP (ORDER BY x) AS cont,
	   parproc.percentile_disc(x, 0.37) = percentile_disc(0.37) WITHIN GROUP (ORDER BY x) AS disc
FROM p;
SELECT parproc.percentile_cont(x, '{0,0.25,NULL,0.5,0.999,1}'::float8[])::text
	 = (percentile_cont('{0,0.25,NULL,0.5,0.999,1}'::float8[]) WITHIN GROUP (ORDER BY x))::text AS cont
FROM p;
SELECT g, parproc.median(x) = percentile_cont(0.5) WITHIN GROUP (ORDER BY x) AS median
FROM p GROUP BY g ORDER BY g;
-- a fraction that varies between rows is caught in parallel plans too
SELECT parproc.percentile_cont(x, CASE WHEN i % 2 = 0 THEN 0.5 ELSE 0.6 END) FROM p;
SET parproc.percentile_max_memory = '64kB';
-- a worker raises it, or the leader combining two states that each fit:
-- which depends on how the rows fell, so the error's context is not shown
\set SHOW_CONTEXT never
SELECT parproc.median(x) FROM (SELECT x FROM p UNION ALL SELECT x FROM p UNION ALL SELECT x FROM p) u;
\set SHOW_CONTEXT errors
RESET parproc.percentile_max_memory;
RESET parallel_leader_participation;

-- no free worker slots: the leader runs the partial and final steps alone
SET max_parallel_workers = 0;
-- (EXPLAIN ANALYZE as PostgreSQL 15 prints it: 18 adds buffers and
-- decimals to the row counts)
CREATE FUNCTION explain_analyze(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, BUFFERS OFF, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
		RETURN NEXT regexp_replace(line, 'rows=(\d+)\.00 ', 'rows=\1 ');
	END LOOP;
END $$;
SELECT explain_analyze('SELECT parproc.median(x) FROM p');
SELECT identical('SELECT x FROM p') AS no_workers;
RESET max_parallel_workers;

-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT identical('SELECT x FROM p') AS in_worker;
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'off', false) AS forced;

-- table_percentile_cont/disc: two reads, only the values near the rows
-- asked for; bit for bit against core's over the same column, all the
-- fractions at once, specials and ties included
CREATE TABLE tp AS SELECT x FROM p UNION ALL SELECT unnest('{NaN,Infinity,-Infinity,-0,NaN}'::float8[]);
SELECT (SELECT array_agg(float8send(v)) FROM unnest(parproc.table_percentile_cont('tp', 'x', (SELECT array_agg(f ORDER BY f) FROM fractions))) v)
	 = (SELECT array_agg(float8send(v)) FROM unnest((SELECT percentile_cont((SELECT array_agg(f ORDER BY f) FROM fractions)) WITHIN GROUP (ORDER BY x) FROM tp)) v)
	AS table_cont_identical,
	   (SELECT array_agg(float8send(v)) FROM unnest(parproc.table_percentile_disc('tp', 'x', (SELECT array_agg(f ORDER BY f) FROM fractions))) v)
	 = (SELECT array_agg(float8send(v)) FROM unnest((SELECT percentile_disc((SELECT array_agg(f ORDER BY f) FROM fractions)) WITHIN GROUP (ORDER BY x) FROM tp)) v)
	AS table_disc_identical;
-- the scalar forms, an integer column, the shape and NULLs of the array
SELECT parproc.table_percentile_cont('p', 'i', 0.5), percentile_cont(0.5) WITHIN GROUP (ORDER BY i) FROM p;
SELECT parproc.table_percentile_disc('tp', 'x', ARRAY[[0, NULL], [1, 0.5]]);
-- values kept: a few hundred of 5000 (DEBUG1 reports the reads)
SET client_min_messages = debug1;
SELECT parproc.table_percentile_cont('p', 'x', ARRAY[0.5, 0.9]) = parproc.percentile_cont(x, ARRAY[0.5, 0.9]) FROM p;
RESET client_min_messages;
-- the sketch misleads when the values change between the reads: here a
-- view shifts them by 100000 more on each read.  The ranges widen until
-- one holds the rows (four reads: the sketch, two misses, the whole
-- column), and the answer is exact for the values of the last read
CREATE SEQUENCE shift_seq;
CREATE VIEW shifting AS SELECT i + (SELECT nextval('shift_seq')) * 100000 AS x FROM p;
SET client_min_messages = debug1;
SELECT parproc.table_percentile_cont('shifting', 'x', ARRAY[0.25, 0.5]) AS shifted;
RESET client_min_messages;
SELECT currval('shift_seq') AS reads,
	   percentile_cont(ARRAY[0.25, 0.5]) WITHIN GROUP (ORDER BY i + 400000) AS expected FROM p;
-- nothing but NULLs, or no rows: NULL, as the aggregates give
CREATE TABLE none (x float8);
SELECT parproc.table_percentile_cont('none', 'x', 0.5) AS no_rows;
INSERT INTO none VALUES (NULL);
SELECT parproc.table_percentile_disc('none', 'x', ARRAY[0.5]) AS all_null;
-- errors
SELECT parproc.table_percentile_cont('p', 'nosuch', 0.5);
SELECT parproc.table_percentile_cont('p', 'x', 1.5);
CREATE TABLE words (w text);
INSERT INTO words VALUES ('a');
SELECT parproc.table_percentile_cont('words', 'w', 0.5);
-- the reads run as the caller, with the caller's privileges
CREATE ROLE tp_reader;
GRANT USAGE ON SCHEMA parproc TO tp_reader;
SET ROLE tp_reader;
SELECT parproc.table_percentile_cont('p', 'x', 0.5);
RESET ROLE;
REVOKE USAGE ON SCHEMA parproc FROM tp_reader;
DROP ROLE tp_reader;
-- memory: only the values in the ranges count, but those must fit
CREATE TABLE flat AS SELECT 1.0::float8 AS x FROM generate_series(1, 20000);
SET parproc.percentile_max_memory = '64kB';
SELECT parproc.table_percentile_cont('p', 'x', 0.5) = parproc.percentile_cont(x, 0.5) AS small_memory FROM p;
SELECT parproc.table_percentile_cont('flat', 'x', 0.5);
RESET parproc.percentile_max_memory;
