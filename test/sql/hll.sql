-- hll: exact below the sparse limit, bounded error above, mergeable
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;

CREATE TABLE d (i int, g int, t text, n numeric, f float8);
INSERT INTO d SELECT i, i % 7, 'item ' || (i % 3000), (i % 2500) / 10.0, (i % 2000) - 1000.5
FROM generate_series(1, 20000) i;
INSERT INTO d VALUES (0, 0, NULL, NULL, NULL);
ANALYZE d;

SET max_parallel_workers_per_gather = 0;
-- exact while sparse (up to 2^16 / 16 = 4096 distinct values at the default)
SELECT parproc.cardinality(parproc.hll_agg(t)) = count(DISTINCT t) AS text_exact,
	   parproc.approx_count_distinct(n) = count(DISTINCT n) AS numeric_exact,
	   parproc.approx_count_distinct(f) = count(DISTINCT f) AS float8_exact,
	   parproc.approx_count_distinct(i % 4096) = count(DISTINCT i % 4096) AS at_limit
FROM d;
-- the direct hashes of text and integers equal the types' hash functions:
-- bpchar and oid go through those functions and hash the same way
SELECT parproc.hll_agg(t)::text = parproc.hll_agg(t::bpchar)::text AS text_direct,
	   parproc.hll_agg(t::varchar)::text = parproc.hll_agg(t)::text AS varchar_direct,
	   parproc.hll_agg(i)::text = parproc.hll_agg(i::oid)::text AS int4_direct,
	   parproc.hll_agg(i::int8)::text = parproc.hll_agg(i)::text AS int8_direct,
	   parproc.hll_agg((i % 30000)::int2)::text = parproc.hll_agg(i % 30000)::text AS int2_direct,
	   parproc.hll_agg(-i::int8)::text = parproc.hll_agg(-i)::text AS negative
FROM d WHERE t IS NOT NULL;
-- a nondeterministic collation: strings equal under it count once
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT parproc.approx_count_distinct(x COLLATE case_insensitive) AS ci,
	   parproc.approx_count_distinct(x) AS cs
FROM (VALUES ('abc'), ('ABC'), ('Abc'), ('xyz')) v(x);

-- equal values hash equal: numeric scale, float8 signed zero
SELECT parproc.approx_count_distinct(x) AS numerics
FROM (VALUES (1.0::numeric), (1.00), (1), (2.50), (2.5)) v(x);
SELECT parproc.approx_count_distinct(x) AS zeros FROM (VALUES (0::float8), ('-0')) v(x);
SELECT parproc.approx_count_distinct(x) AS uuids, parproc.approx_count_distinct(x::text) AS as_text
FROM (SELECT md5(i::text)::uuid AS x FROM generate_series(1, 100) i) s;

-- beyond the sparse limit: within 4 standard errors (4 x 0.41%) of count(DISTINCT)
SELECT abs(parproc.approx_count_distinct(i) - 100000) < 0.0164 * 100000 AS int_within,
	   abs(parproc.approx_count_distinct(i::text) - 100000) < 0.0164 * 100000 AS text_within,
	   abs(parproc.cardinality(parproc.hll_agg(i, 12)) - 100000) < 4 * 0.01625 * 100000 AS p12_within
FROM generate_series(1, 100000) i;

-- NULLs skipped; no rows: hll_agg NULL, approx_count_distinct 0
SELECT parproc.hll_agg(t) IS NULL AS no_rows, parproc.approx_count_distinct(t) AS zero FROM d WHERE false;
SELECT parproc.cardinality(parproc.hll_agg(t)) AS only_nulls FROM d WHERE t IS NULL;

-- merging: per-group sketches merge into exactly the sketch of the whole
CREATE TABLE sk AS SELECT g, parproc.hll_agg(i) AS s, parproc.hll_agg(i % 500) AS small FROM d GROUP BY g;
SELECT (SELECT parproc.merge_agg(s)::text FROM sk) = (SELECT parproc.hll_agg(i)::text FROM d) AS dense_merge,
	   (SELECT parproc.merge_agg(small)::text FROM sk) = (SELECT parproc.hll_agg(i % 500)::text FROM d) AS sparse_merge,
	   (SELECT parproc.merge(a.s, b.s)::text FROM sk a, sk b WHERE a.g = 1 AND b.g = 2)
	 = (SELECT parproc.hll_agg(i)::text FROM d WHERE g IN (1, 2)) AS pair_merge;
SELECT parproc.cardinality(parproc.merge_agg(small)) AS merged_exact FROM sk;

-- text form round trip, and stored sketches compare
SELECT parproc.hll_agg(x) FROM (VALUES (1), (2), (3)) v(x);
SELECT s::text::parproc.hll::text = s::text AS round_trip FROM sk WHERE g = 3;
SELECT parproc.cardinality('\x0110000000000000'::parproc.hll) AS empty_sketch;

-- errors
SELECT parproc.hll_agg(i, 3) FROM d;
SELECT parproc.hll_agg(i, 19) FROM d;
SELECT parproc.hll_agg(i, NULL) FROM d;
SELECT parproc.merge(parproc.hll_agg(1, 10), parproc.hll_agg(1, 11));
SELECT parproc.approx_count_distinct(point(i, i)) FROM d;

-- malformed values are rejected, never read out of bounds
SELECT 'abc'::parproc.hll;
SELECT '\x011'::parproc.hll;
SELECT '\x01zz0000'::parproc.hll;
SELECT '\x02100000'::parproc.hll;					-- version
SELECT '\x0103000000000000'::parproc.hll;			-- precision 3
SELECT '\x0113000000000000'::parproc.hll;			-- precision 19
SELECT '\x0110020000000000'::parproc.hll;			-- kind 2
SELECT '\x0110000100000000'::parproc.hll;			-- reserved byte
SELECT '\x01100000020000000100000000000000'::parproc.hll;	-- count 2, one hash
SELECT '\x011000000200000002000000000000000100000000000000'::parproc.hll;	-- descending
SELECT '\x011000000200000001000000000000000100000000000000'::parproc.hll;	-- duplicate
SELECT '\x01100000010000000000000000000000'::parproc.hll;	-- zero hash
SELECT '\x010401000000'::parproc.hll;				-- dense, too short
SELECT ('\x01040100' || repeat('00', 15) || '3d')::parproc.hll;	-- highest register at precision 4: valid
SELECT ('\x01040100' || repeat('00', 15) || '3e')::parproc.hll;	-- register 62 > 61

-- forced parallel plans: the sketch equals the serial one bit for bit
CREATE TEMP TABLE serial_sk AS SELECT parproc.hll_agg(i)::text AS s, parproc.hll_agg(t)::text AS st FROM d;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT parproc.hll_agg(i), parproc.approx_count_distinct(t) FROM d;
SELECT parproc.hll_agg(i)::text = s AS dense_parallel, parproc.hll_agg(t)::text = st AS sparse_parallel,
	   parproc.approx_count_distinct(t) = (SELECT count(DISTINCT t) FROM d) AS count_parallel
FROM d, serial_sk GROUP BY s, st;
SELECT g, parproc.approx_count_distinct(t) = count(DISTINCT t) AS per_group FROM d GROUP BY g ORDER BY g;
EXPLAIN (COSTS OFF) SELECT parproc.merge_agg(s) FROM sk;
SELECT parproc.merge_agg(s)::text = (SELECT s FROM serial_sk) AS merge_parallel FROM sk;
RESET parallel_leader_participation;
-- no free worker slots: the leader runs the partial and final steps alone
SET max_parallel_workers = 0;
SELECT parproc.hll_agg(i)::text = (SELECT s FROM serial_sk) AS no_workers,
	   parproc.vec_sum(ARRAY[i]) = ARRAY[sum(i)::float8] AS vec_no_workers
FROM d;
RESET max_parallel_workers;
-- force_parallel_mode, called debug_parallel_query from PostgreSQL 16 on
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'regress', false) AS forced;
SELECT parproc.hll_agg(i)::text = (SELECT s FROM serial_sk) AS in_worker FROM d;
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END, 'off', false) AS forced;
RESET max_parallel_workers_per_gather;

-- the aggregates' state is the sketch itself (as Citus moves it: a partial
-- state per part as text, then unions); their functions called directly
-- leave their arguments as they were
SELECT parproc.hll_final(parproc.hll_union(parproc.hll_union(NULL, a.s::text::parproc.hll), b.s::text::parproc.hll))::text
	 = (SELECT parproc.hll_agg(i)::text FROM d WHERE g IN (0, 1)) AS union_through_text
FROM sk a, sk b WHERE a.g = 0 AND b.g = 1;
SELECT small::text = before AS accum_kept,
	   parproc.cardinality(parproc.hll_final(parproc.hll_accum(small, -1))) = parproc.cardinality(small) + 1 AS added
FROM (SELECT small, small::text AS before FROM sk WHERE g = 0) k
WHERE parproc.hll_accum(small, -1) IS NOT NULL;
SELECT a.small::text = a0 AS union_kept,
	   parproc.cardinality(parproc.hll_final(parproc.hll_union(a.small, b.small))) = 500 AS union_count
FROM (SELECT small, small::text AS a0 FROM sk WHERE g = 0) a, (SELECT small FROM sk WHERE g = 1) b
WHERE parproc.hll_union(a.small, b.small) IS NOT NULL;
SELECT parproc.hll_count_final(NULL) AS none, parproc.hll_count_final(small) = parproc.cardinality(small) AS count_of_value
FROM sk WHERE g = 0;
-- smallint, integer, bigint, text and uuid have forms of their own (with a
-- state Citus can move); others take the polymorphic form.  The same
-- values give the same sketch whichever form counts them.
SELECT parproc.hll_agg(i::smallint)::text = parproc.hll_agg(i)::text AS int2_as_int4,
	   parproc.hll_agg(i::bigint)::text = parproc.hll_agg(i)::text AS int8_as_int4,
	   parproc.hll_agg(t::varchar)::text = parproc.hll_agg(t)::text AS varchar_as_text,
	   parproc.hll_agg(t::name)::text = parproc.hll_agg(t)::text AS name_as_text,
	   parproc.approx_count_distinct(md5(t)::uuid) = count(DISTINCT md5(t)::uuid) AS uuid,
	   parproc.approx_count_distinct(n) = count(DISTINCT n) AS numeric
FROM d WHERE i < 3000;
SELECT parproc.hll_agg('literal')::text = parproc.hll_agg('literal'::text)::text AS unknown_as_text;
