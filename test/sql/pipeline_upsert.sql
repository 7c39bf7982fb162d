-- pipeline_upsert: targets written by INSERT ... ON CONFLICT (on_conflict),
-- each result compared with the same statement run serially by SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 1;			-- many chunks, so both workers write
SET parproc.batch_size = 50;

CREATE TABLE up_src (k int, v int, pad text);
INSERT INTO up_src SELECT g, g % 7, repeat('x', 100) FROM generate_series(1, 3000) g;
CREATE TABLE up_tgt (k int PRIMARY KEY, n bigint NOT NULL, total bigint, note text,
					 k2 int GENERATED ALWAYS AS (k * 2) STORED,
					 id bigint GENERATED ALWAYS AS IDENTITY);
CREATE TABLE up_oracle (LIKE up_tgt INCLUDING ALL);
-- keys 1..1000 are there before, the rest new
INSERT INTO up_tgt (k, n, total, note) SELECT g, 1, 10, 'old' FROM generate_series(1, 1000) g;
INSERT INTO up_oracle (k, n, total, note) SELECT k, n, total, note FROM up_tgt;

-- the same rows in both, ignoring the identity column's values
CREATE FUNCTION up_diff() RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM ((SELECT k, n, total, note, k2 FROM up_tgt EXCEPT ALL
						   SELECT k, n, total, note, k2 FROM up_oracle) UNION ALL
						  (SELECT k, n, total, note, k2 FROM up_oracle EXCEPT ALL
						   SELECT k, n, total, note, k2 FROM up_tgt)) d $$;

SELECT parproc.create_pipeline('up', 'up_src', 'up_tgt',
	'[{"name": "odd", "filter": "k % 2 = 1"},
	  {"name": "m", "map": "k, 1::bigint AS n, v::bigint AS total, ''new'' AS note"}]',
	on_conflict => '(k) DO UPDATE SET n = up_tgt.n + excluded.n, total = up_tgt.total + excluded.total,'
				   ' note = up_tgt.note || ''+'' || excluded.note');
SELECT name, on_conflict FROM parproc.pipelines WHERE name = 'up';
-- twice: the second run updates every row the first inserted
SELECT state, rows_read, rows_written, workers_used FROM parproc.run('up', workers => 2);
SELECT state, rows_read, rows_written, workers_used FROM parproc.run('up', workers => 2);
DO $$ BEGIN FOR i IN 1..2 LOOP
	INSERT INTO up_oracle (k, n, total, note)
	SELECT k, 1::bigint, v::bigint, 'new' FROM up_src WHERE k % 2 = 1
	ON CONFLICT (k) DO UPDATE SET n = up_oracle.n + excluded.n, total = up_oracle.total + excluded.total,
		note = up_oracle.note || '+' || excluded.note;
END LOOP; END $$;
SELECT up_diff() AS differences, count(*) AS rows, sum(n) AS n, count(DISTINCT id) = count(*) AS ids_unique
FROM up_tgt;
-- the chunks were written by both workers
SELECT count(DISTINCT worker) AS writers FROM parproc.run_chunks
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'up');
SELECT parproc.drop_pipeline('up');

-- DO UPDATE ... WHERE: rows the condition rejects are neither updated nor counted
SELECT parproc.create_pipeline('up', 'up_src', 'up_tgt',
	'[{"name": "m", "map": "k, 1::bigint AS n, v::bigint AS total, ''w'' AS note"}]',
	on_conflict => '(k) DO UPDATE SET note = excluded.note WHERE up_tgt.total > 20');
SELECT state, rows_read, rows_written FROM parproc.run('up', workers => 2);
INSERT INTO up_oracle (k, n, total, note) SELECT k, 1, v, 'w' FROM up_src
ON CONFLICT (k) DO UPDATE SET note = excluded.note WHERE up_oracle.total > 20;
SELECT up_diff() AS differences;
SELECT parproc.drop_pipeline('up');

-- DO NOTHING, without a conflict target: only new keys are written
TRUNCATE up_tgt, up_oracle;
INSERT INTO up_tgt (k, n) SELECT g, 5 FROM generate_series(1, 3000, 3) g;
INSERT INTO up_oracle (k, n) SELECT k, n FROM up_tgt;
SELECT parproc.create_pipeline('up', 'up_src', 'up_tgt',
	'[{"name": "m", "map": "k, v::bigint AS n"}]', on_conflict => 'DO NOTHING');
SELECT state, rows_read, rows_written FROM parproc.run('up', workers => 2);
INSERT INTO up_oracle (k, n) SELECT k, v FROM up_src ON CONFLICT DO NOTHING;
SELECT up_diff() AS differences;
SELECT parproc.drop_pipeline('up');

-- on_error => 'skip': a row its constraints reject (n NOT NULL) is a failed
-- row; the others are upserted
TRUNCATE up_tgt, up_oracle;
SELECT parproc.create_pipeline('up', 'up_src', 'up_tgt',
	'[{"name": "m", "map": "k, CASE WHEN k % 1000 = 0 THEN NULL ELSE 1 END::bigint AS n"}]',
	on_conflict => '(k) DO UPDATE SET n = up_tgt.n + 1');
SELECT state, rows_written, rows_failed FROM parproc.run('up', workers => 2, on_error => 'skip');
SELECT stage, sqlstate, count(*) FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'up') GROUP BY 1, 2;
SELECT count(*), sum(n) FROM up_tgt;

-- resume keeps the upsert as the run began it, whatever became of the
-- pipeline: a run stopped by a bad row (key 0, whose chunk never commits),
-- the pipeline dropped, the row fixed and key 0 written meanwhile; resume
-- adds to it rather than failing on the duplicate key
TRUNCATE up_tgt;
INSERT INTO up_src VALUES (0, -1, 'bad');
SELECT parproc.drop_pipeline('up');
SELECT parproc.create_pipeline('up', 'up_src', 'up_tgt',
	'[{"name": "m", "map": "k, (10 / (v + 1))::bigint AS n"}]',
	on_conflict => '(k) DO UPDATE SET n = up_tgt.n + excluded.n');
\set VERBOSITY terse
SELECT state FROM parproc.run('up', workers => 2);
\set VERBOSITY default
SELECT parproc.drop_pipeline('up');
UPDATE up_src SET v = 0 WHERE v = -1;
INSERT INTO up_tgt (k, n) VALUES (0, 1000);
SELECT state
FROM parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'up')));
SELECT count(*) AS rows, sum(n) AS n, (SELECT n FROM up_tgt WHERE k = 0) AS n0,
	   (SELECT sum(10 / (v + 1)) FROM up_src) + 1000 AS expected_n
FROM up_tgt;

-- what on_conflict must be
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => 'DO NOTHING; DROP TABLE up_src');
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => 'DO NOTHING RETURNING k');
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => '(n) DO UPDATE SET n = 1');
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => '(k) DO UPDATE SET nosuch = 1');
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => 'DO SOMETHING');
-- statement-level update triggers would fire per batch: refused for DO
-- UPDATE (DO NOTHING updates nothing)
CREATE FUNCTION up_stmt() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
CREATE TRIGGER up_stmt AFTER UPDATE ON up_tgt FOR EACH STATEMENT EXECUTE FUNCTION up_stmt();
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => '(k) DO UPDATE SET n = 1');
SELECT parproc.create_pipeline('up_stmt_p', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => 'DO NOTHING');
SELECT parproc.drop_pipeline('up_stmt_p');
DROP TRIGGER up_stmt ON up_tgt;
DROP FUNCTION up_stmt();
-- DO UPDATE needs UPDATE on the target, as the INSERT would
CREATE ROLE up_role;
GRANT USAGE ON SCHEMA parproc TO up_role;
GRANT SELECT ON up_src TO up_role;
GRANT SELECT, INSERT ON up_tgt TO up_role;
SET ROLE up_role;
SELECT parproc.create_pipeline('bad', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => '(k) DO UPDATE SET n = 1');
SELECT parproc.create_pipeline('up_role_p', 'up_src', 'up_tgt', '[{"name": "m", "map": "k, 1::bigint AS n"}]',
	on_conflict => 'DO NOTHING');
SELECT parproc.drop_pipeline('up_role_p');
RESET ROLE;
SELECT count(*) FROM parproc.pipelines WHERE name = 'bad';

SELECT parproc.drop_pipeline(name) FROM parproc.pipelines WHERE name LIKE 'up%';
DROP TABLE up_src, up_tgt, up_oracle;
DROP FUNCTION up_diff();
REVOKE USAGE ON SCHEMA parproc FROM up_role;
DROP ROLE up_role;
