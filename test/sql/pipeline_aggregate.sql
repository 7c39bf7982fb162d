-- pipeline_aggregate: aggregate stages, each result compared with
-- INSERT INTO target SELECT keys, aggregates FROM ... GROUP BY keys
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 4;			-- many chunks, so both workers aggregate
SET parproc.batch_size = 100;

CREATE TABLE ag_src (id int, ts timestamptz, v float8, svc int, u int, n numeric,
					 tag text, r int4range);
INSERT INTO ag_src
SELECT g, '2026-01-01'::timestamptz + g * interval '7 seconds', (g % 97) / 7.0,
	   CASE WHEN g % 101 = 0 THEN NULL ELSE g % 5 END, g % 1000,
	   -- 1.0 and 1.00 are one group key, as in GROUP BY
	   CASE WHEN g % 3 = 0 THEN round(g % 4, 2) ELSE round(g % 4, 1) END,
	   CASE WHEN g % 13 = 0 THEN NULL ELSE 'tag' || (g % 11) END,
	   int4range(g % 50, g % 50 + 100)
FROM generate_series(1, 20000) g;
UPDATE ag_src SET v = NULL WHERE id % 50 = 0;

-- the same rows in target and oracle: exact columns equal, float sums close
CREATE FUNCTION ag_diff(a regclass, b regclass, cols text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE d bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((SELECT %s FROM %s EXCEPT ALL SELECT %s FROM %s)'
				   ' UNION ALL (SELECT %s FROM %s EXCEPT ALL SELECT %s FROM %s)) d',
				   cols, a, cols, b, cols, b, cols, a) INTO d;
	RETURN d;
END $$;

-- core aggregates of every kind of state: by value (count, sum(int)),
-- by reference (max(text), numeric sum), arrays changed in place
-- (avg(float8)), internal with serialization (avg(numeric), sum(bigint)),
-- strict without an initial value (min, max), FILTER, polymorphic
-- (range_intersect_agg), and NULL and numerically equal keys
CREATE TABLE ag_t1 (minute timestamptz, svc int, n numeric, cnt bigint, cnt_v bigint,
					s float8, sn numeric, si bigint, mx float8, mn text, av numeric,
					avf float8, pos bigint, ri int4range, b bool, sd float8);
CREATE TABLE ag_o1 (LIKE ag_t1);
SELECT parproc.create_pipeline('ag1', 'ag_src', 'ag_t1',
	'[{"name": "valid", "filter": "id > 10"},
	  {"name": "rollup", "group_by": "date_trunc(''hour'', ts) AS minute, svc, n",
	   "aggregates": "count(*) AS cnt, count(v) AS cnt_v, sum(v) AS s, sum(n) AS sn, sum(id::bigint) AS si, max(v) AS mx, min(tag) AS mn, avg(n) AS av, avg(v) AS avf, count(*) FILTER (WHERE v > 5) AS pos, range_intersect_agg(r) AS ri, bool_and(u < 990) AS b, stddev(v) AS sd"}]');
SELECT stage_no, stage, kind, column_name FROM parproc.explain_pipeline('ag1');
SELECT state, rows_read, rows_written FROM parproc.run('ag1', workers => 2);
INSERT INTO ag_o1
SELECT date_trunc('hour', ts), svc, n, count(*), count(v), sum(v), sum(n), sum(id::bigint),
	   max(v), min(tag), avg(n), avg(v), count(*) FILTER (WHERE v > 5), range_intersect_agg(r),
	   bool_and(u < 990), stddev(v)
FROM ag_src WHERE id > 10 GROUP BY 1, 2, 3;
SELECT count(*) AS groups, count(*) FILTER (WHERE svc IS NULL) AS null_keys FROM ag_t1;
SELECT ag_diff('ag_t1', 'ag_o1', 'minute, svc, n, cnt, cnt_v, sn, si, mx, mn, av, pos, ri, b');
-- floating sums in another order: within core's parallel aggregation's error
SELECT count(*) AS far FROM ag_t1 t JOIN ag_o1 o USING (minute, svc, n)
WHERE abs(t.s - o.s) > 1e-9 * abs(o.s) OR abs(t.avf - o.avf) > 1e-9 * abs(o.avf)
   OR abs(t.sd - o.sd) > 1e-9 * abs(o.sd);
-- the stage as others are shown: rows in, groups out
SELECT stage, name, rows_in, rows_out FROM parproc.stage_stats
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY stage;
-- nothing is left behind
SELECT count(*) AS partial_rows FROM parproc.run_partials;

-- on_error => 'skip': rows whose group key or argument fails are left out
-- and recorded, as the stage's failures
CREATE TABLE ag_t10 (q int, n bigint, s bigint);
SELECT parproc.create_pipeline('ag10', 'ag_src', 'ag_t10',
	'[{"name": "few", "filter": "id <= 3000"},
	  {"name": "g", "group_by": "100 / (id % 7) AS q", "aggregates": "count(*) AS n, sum(1000 / (id % 11)) AS s"}]');
SELECT state, rows_read, rows_written, rows_failed FROM parproc.run('ag10', workers => 2, on_error => 'skip');
CREATE TABLE ag_o10 AS SELECT 100 / (id % 7) AS q, count(*) AS n, sum(1000 / (id % 11)) AS s
FROM ag_src WHERE id <= 3000 AND id % 7 <> 0 AND id % 11 <> 0 GROUP BY 1;
SELECT ag_diff('ag_t10', 'ag_o10', 'q, n, s');
SELECT stage, count(*) AS failed FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'ag10') GROUP BY stage;

-- parproc's own aggregates, exact (percentile_cont) and mergeable sketches
-- (hll_agg: a union of registers, exact; stats), one worker and two
CREATE TABLE ag_t2 (svc int, p50 float8, users parproc.hll, st parproc.stats_result, q parproc.qsketch);
SELECT parproc.create_pipeline('ag2', 'ag_src', 'ag_t2',
	'[{"name": "r", "group_by": "svc",
	   "aggregates": "parproc.percentile_cont(v, 0.5) AS p50, parproc.hll_agg(u) AS users, parproc.stats(v) AS st, parproc.qsketch_agg(v) AS q"}]');
SELECT state, rows_written FROM parproc.run('ag2', workers => 1);
SELECT count(*) AS mismatched FROM ag_t2 t JOIN (
	SELECT svc, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50,
		   parproc.approx_count_distinct(u) AS users, count(v) AS cnt, avg(v) AS mean
	FROM ag_src GROUP BY svc) o ON t.svc IS NOT DISTINCT FROM o.svc
WHERE t.p50 <> o.p50 OR parproc.cardinality(t.users) <> o.users
   OR (t.st).n <> o.cnt OR abs((t.st).mean - o.mean) > 1e-9;
TRUNCATE ag_t2;
SELECT state, rows_written FROM parproc.run('ag2', workers => 2);
SELECT count(*) AS groups, sum((st).n) AS values FROM ag_t2;

-- no group keys: one row, even from no rows, as SELECT count(*) gives
CREATE TABLE ag_t3 (cnt bigint, total float8, top text);
SELECT parproc.create_pipeline('ag3', 'ag_src', 'ag_t3',
	'[{"name": "none", "filter": "id < 0"},
	  {"name": "all", "group_by": "", "aggregates": "count(*) AS cnt, sum(v) AS total, max(tag) AS top"}]');
SELECT state, rows_written FROM parproc.run('ag3', workers => 2);
SELECT * FROM ag_t3;
SELECT parproc.create_pipeline('ag3b', 'ag_src', 'ag_t3',
	'[{"name": "all", "aggregates": "count(*) AS cnt, max(tag) AS top"}]');
SELECT state, rows_written FROM parproc.run('ag3b', workers => 2);
SELECT * FROM ag_t3 ORDER BY cnt;

-- more groups than work_mem holds: chunks write their groups as they go,
-- and the final step combines one hash's groups at a time
CREATE TABLE ag_t4 (id int, cnt bigint, s numeric);
SELECT parproc.create_pipeline('ag4', 'ag_src', 'ag_t4',
	'[{"name": "g", "group_by": "id % 7000 AS id", "aggregates": "count(*) AS cnt, sum(n) AS s"}]');
SET work_mem = '64kB';
SET parproc.chunk_size = 64;
SELECT state, rows_written FROM parproc.run('ag4', workers => 2);
RESET work_mem;
SET parproc.chunk_size = 4;
CREATE TABLE ag_o4 AS SELECT id % 7000 AS id, count(*) AS cnt, sum(n) AS s FROM ag_src GROUP BY 1;
SELECT ag_diff('ag_t4', 'ag_o4', 'id, cnt, s');

-- a group per row: enough partial rows (PP_FINAL_PARALLEL_ROWS) for the
-- workers to share the final step's hash ranges
CREATE TABLE ag_many AS SELECT g AS id, g % 3 AS v FROM generate_series(1, 80000) g;
CREATE TABLE ag_t11 (id int, n bigint, s bigint);
SELECT parproc.create_pipeline('ag11', 'ag_many', 'ag_t11',
	'[{"name": "g", "group_by": "id", "aggregates": "count(*) AS n, sum(v) AS s"}]');
SELECT state, rows_written FROM parproc.run('ag11', workers => 2);
CREATE TABLE ag_o11 AS SELECT id, count(*) AS n, sum(v) AS s FROM ag_many GROUP BY id;
SELECT ag_diff('ag_t11', 'ag_o11', 'id, n, s');
SELECT count(*) AS ranges, count(*) FILTER (WHERE worker > 0) > 0 AS workers_did_ranges,
	   sum(rows_written) AS rows_written
FROM parproc.run_chunks
WHERE part = -1 AND run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'ag11');

-- the target's shape: columns by name, assignment casts, defaults,
-- created by create_pipeline
CREATE TABLE ag_t5 (note text DEFAULT 'rollup', total numeric(20, 2), svc bigint);
SELECT parproc.create_pipeline('ag5', 'ag_src', 'ag_t5',
	'[{"name": "r", "group_by": "svc", "aggregates": "sum(v) AS total"}]');
SELECT state, rows_written FROM parproc.run('ag5', workers => 2);
SELECT count(*), count(DISTINCT note) FROM ag_t5;
SELECT parproc.create_pipeline('ag6', 'ag_src', 'ag_t6',
	'[{"name": "r", "group_by": "tag, svc", "aggregates": "count(*) AS n, parproc.stats(v) AS st"}]',
	create_target => true);
\d ag_t6
SELECT state, rows_written FROM parproc.run('ag6', workers => 2);

-- a partitioned source whose partitions have their columns elsewhere
CREATE TABLE ag_part (svc int, v float8, id int) PARTITION BY RANGE (id);
CREATE TABLE ag_part1 PARTITION OF ag_part FOR VALUES FROM (0) TO (10000);
CREATE TABLE ag_part2 (id int, extra text, v float8, svc int);
ALTER TABLE ag_part2 DROP COLUMN extra;
ALTER TABLE ag_part ATTACH PARTITION ag_part2 FOR VALUES FROM (10000) TO (30000);
INSERT INTO ag_part SELECT svc, v, id FROM ag_src;
CREATE TABLE ag_t8 (svc int, n bigint, s float8);
SELECT parproc.create_pipeline('ag8', 'ag_part', 'ag_t8',
	'[{"name": "r", "group_by": "svc", "aggregates": "count(*) AS n, sum(v) AS s"}]');
SELECT state, rows_written FROM parproc.run('ag8', workers => 2);
SELECT count(*) AS mismatched
FROM ag_t8 t FULL JOIN (SELECT svc, count(*) AS n, sum(v) AS s FROM ag_src GROUP BY svc) o
	 ON coalesce(t.svc, -1) = coalesce(o.svc, -1)
WHERE t.n IS DISTINCT FROM o.n OR NOT abs(t.s - o.s) <= 1e-9 * abs(o.s);

-- incremental rollups: an aggregate stage into an upsert target, run twice
CREATE TABLE ag_roll (svc int PRIMARY KEY, n bigint, users parproc.hll);
CREATE TABLE ag_roll_o (LIKE ag_roll INCLUDING ALL);
SELECT parproc.create_pipeline('ag7', 'ag_src', 'ag_roll',
	'[{"name": "known", "filter": "svc IS NOT NULL"},
	  {"name": "r", "group_by": "svc", "aggregates": "count(*) AS n, parproc.hll_agg(u) AS users"}]',
	on_conflict => '(svc) DO UPDATE SET n = ag_roll.n + excluded.n,
					users = parproc.merge(ag_roll.users, excluded.users)');
SELECT state, rows_written FROM parproc.run('ag7', workers => 2);
SELECT state, rows_written FROM parproc.run('ag7', workers => 2);
DO $$ BEGIN FOR i IN 1..2 LOOP
	INSERT INTO ag_roll_o SELECT svc, count(*), parproc.hll_agg(u) FROM ag_src
	WHERE svc IS NOT NULL GROUP BY svc
	ON CONFLICT (svc) DO UPDATE SET n = ag_roll_o.n + excluded.n,
		users = parproc.merge(ag_roll_o.users, excluded.users);
END LOOP; END $$;
SELECT count(*) AS mismatched FROM ag_roll t FULL JOIN ag_roll_o o USING (svc)
WHERE t.n IS DISTINCT FROM o.n
   OR t.users::text IS DISTINCT FROM o.users::text;

-- the privileges an aggregation needs: EXECUTE on the aggregate, checked
-- for the pipeline's owner when the run aggregates
CREATE FUNCTION ag_secret_final(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS 'SELECT $1';
CREATE AGGREGATE ag_secret_sum(bigint) (sfunc = int8pl, stype = bigint, combinefunc = int8pl,
	finalfunc = ag_secret_final, initcond = '0', parallel = safe);
REVOKE EXECUTE ON FUNCTION ag_secret_sum(bigint) FROM PUBLIC;
CREATE ROLE ag_user;
GRANT USAGE ON SCHEMA parproc TO ag_user;
GRANT SELECT ON ag_src TO ag_user;
CREATE TABLE ag_t9 (svc int, s bigint);
GRANT INSERT ON ag_t9 TO ag_user;
SET ROLE ag_user;
SELECT parproc.create_pipeline('ag9', 'ag_src', 'ag_t9',
	'[{"name": "r", "group_by": "svc", "aggregates": "ag_secret_sum(id) AS s"}]');
\set VERBOSITY terse
SELECT state FROM parproc.run('ag9', workers => 2);
\set VERBOSITY default
SELECT parproc.drop_pipeline('ag9');
RESET ROLE;
SELECT count(*) AS written FROM ag_t9;
DROP TABLE ag_t9;
REVOKE ALL ON ag_src FROM ag_user;
REVOKE USAGE ON SCHEMA parproc FROM ag_user;
DROP ROLE ag_user;

-- what cannot be computed from partial results is refused, naming it
CREATE TABLE ag_bad (svc int, x text);
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "jsonb_agg(tag) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "json_agg(tag) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "count(DISTINCT tag) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "max(tag ORDER BY id) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "(count(*) + 1)::text AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "max(tag) AS x, id"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "max(tag) AS x"},
	  {"name": "after", "filter": "true"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "max(tag) AS x FROM ag_src GROUP BY svc --"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc HAVING true", "aggregates": "max(tag) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "map": "svc, tag AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "svc", "aggregates": "max(nosuch) AS x"}]');
SELECT parproc.create_pipeline('bad', 'ag_src', 'ag_bad',
	'[{"name": "r", "group_by": "to_tsvector(tag) AS svc", "aggregates": "max(tag) AS x"}]');
SELECT count(*) FROM parproc.pipelines WHERE name = 'bad';
