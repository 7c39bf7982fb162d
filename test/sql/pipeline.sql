-- pipeline: runs compared with INSERT ... SELECT, errors of the SQL surface
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 4;		-- many chunks from small tables
SET parproc.batch_size = 100;

CREATE TABLE pl_src (id int, value float8, ts_text text, cat text);
INSERT INTO pl_src
SELECT g, (g % 100)::float8, (timestamp '2024-01-01' + g * interval '1 minute')::text, 'c' || g % 7
FROM generate_series(1, 20000) g;
CREATE TABLE pl_dst (id int, v2 float8, s float8, ts timestamptz, cat text);
CREATE TABLE pl_ref (LIKE pl_dst);

SELECT parproc.create_pipeline('clean', 'pl_src', 'pl_dst',
	'[{"name": "valid", "filter": "value > 10"},
	  {"name": "derive", "map": "id, value * 2 AS v2, sqrt(value) AS s, ts_text::timestamptz AS ts, cat"}]');
INSERT INTO pl_ref
SELECT id, value * 2, sqrt(value), ts_text::timestamptz, cat FROM pl_src WHERE value > 10;

-- the same multiset of rows as INSERT ... SELECT, with 2 workers and with none
CREATE FUNCTION pl_same(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL
										 (TABLE %s EXCEPT ALL TABLE %s)) d', a, b, b, a) INTO n;
	RETURN n;
END $$;
SELECT state, rows_read, rows_written, rows_failed, workers_used
FROM parproc.run('clean', workers => 2);
SELECT pl_same('pl_dst', 'pl_ref') AS differences;
TRUNCATE pl_dst;
SELECT state, rows_read, rows_written, workers_used FROM parproc.run('clean', workers => 0);
SELECT pl_same('pl_dst', 'pl_ref') AS differences;

-- statistics of the last run: stages, chunks, participants
SELECT stage, name, rows_in, rows_out, rows_failed FROM parproc.stage_stats
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY stage;
SELECT count(*) AS chunks, sum(rows_read) AS rows_read FROM parproc.run_chunks
WHERE run_id = (SELECT max(run_id) FROM parproc.runs);
SELECT pipeline, state, rows_read, rows_written, error FROM parproc.runs ORDER BY run_id;
SELECT name, runs, rows_read, rows_written FROM parproc.pipelines;

-- start returns at once; wait gives the summary
TRUNCATE pl_dst;
SELECT (parproc.wait(parproc.start('clean', workers => 2))).state;
SELECT pl_same('pl_dst', 'pl_ref') AS differences;

-- on_error => 'skip': failing rows go to parproc.errors, the others are written
CREATE TABLE pl_bad (id int, x text);
INSERT INTO pl_bad SELECT g, CASE WHEN g % 500 = 0 THEN 'oops' || g ELSE g::text END
FROM generate_series(1, 5000) g;
CREATE TABLE pl_bad_dst (id int, n int, inv float8);
SELECT parproc.create_pipeline('parse', 'pl_bad', 'pl_bad_dst',
	'[{"name": "num", "map": "id, x::int AS n"},
	  {"name": "inv", "map": "id, n, 1.0 / (n % 7) AS inv"}]');
SELECT state, rows_read, rows_written, rows_failed FROM parproc.run('parse', workers => 2, on_error => 'skip');
SELECT stage, sqlstate, message, count(*) FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) GROUP BY 1, 2, 3 ORDER BY 1;
-- each error row points at its source row and carries it
SELECT count(*) AS error_rows, count(*) FILTER (WHERE (e.row->>'id')::int = b.id
											  AND e.row->>'x' = b.x) AS matching_source
FROM parproc.errors e LEFT JOIN pl_bad b ON b.ctid = e.source_ctid
WHERE e.run_id = (SELECT max(run_id) FROM parproc.runs);
SELECT count(*) AS written_rows_missing FROM pl_bad
WHERE x ~ '^\d+$' AND x::int % 7 <> 0 AND id NOT IN (SELECT id FROM pl_bad_dst);
SELECT stage, name, rows_in, rows_out, rows_failed FROM parproc.stage_stats
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY stage;

-- on_error => 'abort': the error reaches the caller; committed chunks stay
-- (one worker: chunks in order, so the first error is the first failing row's)
TRUNCATE pl_bad_dst;
\set VERBOSITY default
SELECT * FROM parproc.run('parse', workers => 1);
\set VERBOSITY terse
SELECT state, sqlstate, error FROM parproc.runs WHERE run_id = (SELECT max(run_id) FROM parproc.runs);
-- fix the data, resume: the target then holds what INSERT ... SELECT would write
UPDATE pl_bad SET x = '1' WHERE x LIKE 'oops%';
UPDATE pl_bad SET x = '1' WHERE x::int % 7 = 0;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM pl_bad_dst;
SELECT attempts FROM parproc.run_history WHERE run_id = (SELECT max(run_id) FROM parproc.runs);
SELECT parproc.resume((SELECT max(run_id) FROM parproc.runs));

-- max_error_rows turns a flood of errors into an abort
TRUNCATE pl_bad_dst;
UPDATE pl_bad SET x = 'bad' WHERE id % 3 = 0;
SET parproc.max_error_rows = 10;
SELECT * FROM parproc.run('parse', on_error => 'skip');
RESET parproc.max_error_rows;

-- a partitioned source: every partition is read
CREATE TABLE pl_part (id int, value float8) PARTITION BY RANGE (id);
CREATE TABLE pl_part_1 PARTITION OF pl_part FOR VALUES FROM (0) TO (5000);
CREATE TABLE pl_part_2 (value float8, id int);	-- another column order
ALTER TABLE pl_part ATTACH PARTITION pl_part_2 FOR VALUES FROM (5000) TO (20000);
INSERT INTO pl_part SELECT g, g / 10.0 FROM generate_series(1, 12000) g;
CREATE TABLE pl_part_dst (id int, value float8, created timestamptz DEFAULT now(),
						  label text DEFAULT 'x' CHECK (label <> ''), big bigint GENERATED ALWAYS AS (id * 2) STORED);
CREATE UNIQUE INDEX ON pl_part_dst (id);
SELECT parproc.create_pipeline('part', 'pl_part', 'pl_part_dst', '[{"name": "odd", "filter": "id % 2 = 1"}]');
SELECT state, rows_read, rows_written FROM parproc.run('part', workers => 2);
SELECT count(*), sum(id), bool_and(big = id * 2) AS generated, bool_and(label = 'x') AS defaults,
	   count(*) FILTER (WHERE created IS NULL) AS no_default
FROM pl_part_dst;
-- the unique index holds: a second run fails on the first duplicate
SELECT * FROM parproc.run('part', workers => 2);

-- create_target builds the target from the last stage's columns
SELECT parproc.create_pipeline('made', 'pl_src', 'pl_made',
	'[{"name": "m", "map": "id::bigint AS id, upper(cat) AS cat, value::numeric(10,2) AS v"}]',
	create_target => true);
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'pl_made'::regclass AND attnum > 0 ORDER BY attnum;
SELECT state, rows_written FROM parproc.run('made');

-- errors of the definition, each naming the stage
SELECT parproc.create_pipeline('clean', 'pl_src', 'pl_dst', '[]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '{"name": "x"}');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[1]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"filter": "true"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "true", "map": "id"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filtr": "true"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": 1}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "true"}, {"name": "a", "filter": "true"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "nosuch > 1"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "id + 1"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id, value * 2"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id, id"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id, cat AS v2"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id, 1 AS nosuch"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "count(*) AS id"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "generate_series(1, id) AS id"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "id IN (SELECT 1)"}]');
CREATE SEQUENCE pl_seq;
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "nextval(''pl_seq'')::int AS id"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "filter": "true) UNION SELECT FROM pl_src WHERE (true"}]');
-- a syntax error points into the stage's text
\set VERBOSITY default
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id, value * AS v2"}]');
\set VERBOSITY terse
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id FROM pl_src UNION SELECT 1"}]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_part_dst', '[{"name": "a", "map": "id, id AS big"}]');
CREATE VIEW pl_view AS SELECT * FROM pl_src;
SELECT parproc.create_pipeline('e', 'pl_view', 'pl_dst', '[]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_view', '[]');
SELECT parproc.create_pipeline('e', 'pl_src', 'pl_dst', '[]', create_target => true);
SELECT parproc.create_pipeline(NULL, 'pl_src', 'pl_dst', '[]');
SELECT * FROM parproc.run('nosuch');
SELECT * FROM parproc.run('clean', on_error => 'ignore');
SELECT * FROM parproc.run('clean', workers => -1);
SELECT parproc.drop_pipeline('nosuch');
SELECT parproc.cancel(-1);
SELECT * FROM parproc.wait(-1);

-- a run waits for workers only outside a transaction that has written
BEGIN;
INSERT INTO pl_dst VALUES (0);
SELECT * FROM parproc.run('clean');
ROLLBACK;
BEGIN;
CREATE TABLE pl_new (LIKE pl_dst);
SELECT parproc.create_pipeline('new', 'pl_src', 'pl_new', '[{"name": "a", "map": "id"}]');
SELECT parproc.start('new');
ROLLBACK;
BEGIN;
LOCK pl_dst IN SHARE MODE;
SELECT parproc.start('clean');
ROLLBACK;
BEGIN READ ONLY;
SELECT parproc.start('clean');
ROLLBACK;

-- privileges: only members of the owner run a pipeline; the source's SELECT
-- and the target's INSERT are checked first
CREATE ROLE pl_user;
GRANT USAGE ON SCHEMA parproc TO pl_user;
SET ROLE pl_user;
SELECT * FROM parproc.run('clean');
SELECT parproc.create_pipeline('mine', 'pl_src', 'pl_dst', '[]');
SELECT count(*) AS visible_runs FROM parproc.runs;
SELECT count(*) AS visible_errors FROM parproc.errors;
SELECT count(*) AS readable_history FROM parproc.run_history;
RESET ROLE;
GRANT SELECT ON pl_src TO pl_user;
SET ROLE pl_user;
SELECT parproc.create_pipeline('mine', 'pl_src', 'pl_dst', '[]');
RESET ROLE;

-- row-level security is not bypassed
ALTER TABLE pl_src ENABLE ROW LEVEL SECURITY;
GRANT INSERT ON pl_dst TO pl_user;
SET ROLE pl_user;
SELECT parproc.create_pipeline('mine', 'pl_src', 'pl_dst', '[{"name": "a", "map": "id"}]');
RESET ROLE;
ALTER TABLE pl_src DISABLE ROW LEVEL SECURITY;

SELECT parproc.drop_pipeline('clean');
SELECT name FROM parproc.pipelines ORDER BY name;
DROP TABLE pl_src, pl_dst, pl_ref, pl_bad, pl_bad_dst, pl_part, pl_part_dst, pl_made CASCADE;
DROP FUNCTION pl_same;
DROP SEQUENCE pl_seq;
DROP OWNED BY pl_user;
DROP ROLE pl_user;
