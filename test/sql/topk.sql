-- topk: the space-saving guarantee, checked against exact GROUP BY counts
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;

-- Zipf-like: value v appears about 20000 / v times (deterministic)
CREATE TABLE z (i int, g int, v int);
INSERT INTO z SELECT i, i % 5, v
FROM generate_series(1, 300) v, generate_series(1, (20000 / v)) r, LATERAL (SELECT v * 100000 + r AS i) s;
INSERT INTO z VALUES (0, 0, NULL);
ANALYZE z;
CREATE TABLE truth AS SELECT v::text AS value, count(*) AS freq FROM z WHERE v IS NOT NULL GROUP BY v;

-- violations of the guarantee for a summary over the rows of z
CREATE FUNCTION violations(t parproc.topk, k int) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM truth
	LEFT JOIN parproc.topk_items(t) it USING (value)
	WHERE (freq > (SELECT sum(freq) FROM truth) / k AND it.value IS NULL)
	   OR (it.value IS NOT NULL AND NOT (it.count - it.max_error <= freq AND freq <= it.count))
$$;

SET max_parallel_workers_per_gather = 0;
SELECT violations(parproc.topk_agg(v, 10), 10) AS k10,
	   violations(parproc.topk_agg(v, 50), 50) AS k50,
	   violations(parproc.topk_agg(v, 1), 1) AS k1
FROM z;
SELECT value, count, max_error FROM parproc.topk_items((SELECT parproc.topk_agg(v, 10) FROM z)) LIMIT 5;
-- no more distinct values than counters: exact
SELECT bool_and(it.count = freq AND it.max_error = 0) AND count(*) = 300 AS exact
FROM parproc.topk_items((SELECT parproc.topk_agg(v, 300) FROM z)) it JOIN truth USING (value);

-- merging keeps the guarantee: per-group summaries, then merge_agg and merge
CREATE TABLE parts AS SELECT g, parproc.topk_agg(v, 20) AS t FROM z GROUP BY g;
SELECT violations((SELECT parproc.merge_agg(t) FROM parts), 20) AS merge_agg,
	   (SELECT parproc.merge(a.t, b.t)::text FROM parts a, parts b WHERE a.g = 0 AND b.g = 1)
	 = (SELECT parproc.merge_agg(t)::text FROM parts WHERE g IN (1, 0)) AS merge_equals_merge_agg,
	   (SELECT parproc.merge(a.t, b.t)::text FROM parts a, parts b WHERE a.g = 0 AND b.g = 1)
	 = (SELECT parproc.merge(b.t, a.t)::text FROM parts a, parts b WHERE a.g = 0 AND b.g = 1) AS commutative;
SELECT count(*) AS items FROM parproc.topk_items((SELECT parproc.merge_agg(t) FROM parts));

-- NULLs skipped, no rows, values compared by their text form
SELECT parproc.topk_agg(v, 5) IS NULL AS no_rows FROM z WHERE false;
SELECT * FROM parproc.topk_items((SELECT parproc.topk_agg(x, 5) FROM (VALUES (1.0), (1.00), (1.0), (NULL)) v(x)));

-- text form round trip
SELECT t::text::parproc.topk::text = t::text AS round_trip FROM parts WHERE g = 2;

-- errors
SELECT parproc.topk_agg(v, 0) FROM z;
SELECT parproc.topk_agg(v, 100001) FROM z;
SELECT parproc.topk_agg(v, NULL) FROM z;
SELECT parproc.merge(parproc.topk_agg(1, 2), parproc.topk_agg(1, 3));
SELECT 'zz'::parproc.topk;
SELECT '\x0200000001000000000000000000000000000000'::parproc.topk;			-- version
SELECT '\x0100000000000000000000000000000000000000'::parproc.topk;			-- k 0
SELECT '\x010000000100000001000000010000000000000000000000000000000000000000000000'::parproc.topk;	-- count 0
SELECT '\x0100000001000000010000000100000000000000010000000000000001000000000000000000000000'::parproc.topk;	-- error = count, short key
SELECT '\x01000000020000000200000002000000000000000100000000000000000000000000000001000000610200000000000000000000000000000001000000620a'::parproc.topk;	-- ascending counts, trailing byte
SELECT '\x010000000200000002000000020000000000000001000000000000000000000000000000010000006101000000000000000000000000000000010000006'::parproc.topk;	-- odd hex
SELECT '\x0100000002000000020000000200000000000000010000000000000000000000000000000100000061010000000000000000000000000000000100000061'::parproc.topk;	-- repeated item

SELECT '\x0100000001000000010000000100000000000000010000000000000000000000000000000100000000'::parproc.topk;	-- NUL item
SELECT '\x0100000001000000010000000100000000000000020000000000000000000000000000000100000061'::parproc.topk;	-- count above total
SELECT '\x0100000002000000010000000200000000000000020000000000000001000000000000000100000061'::parproc.topk;	-- error without a full summary

-- forced parallel plans
CREATE TEMP TABLE serial_t AS SELECT parproc.topk_agg(v, 300)::text AS exact FROM z;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.topk_agg(v, 10) FROM z;
SELECT violations(parproc.topk_agg(v, 10), 10) AS parallel_k10,
	   violations(parproc.topk_agg(v, 50), 50) AS parallel_k50
FROM z;
SELECT parproc.topk_agg(v, 300)::text = (SELECT exact FROM serial_t) AS parallel_exact FROM z;
RESET parallel_leader_participation;
-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT violations(parproc.topk_agg(v, 10), 10) AS in_worker FROM z;
