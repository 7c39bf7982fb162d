-- pipeline_security: who sees failed rows, and whose identity a run has
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
DROP ROLE IF EXISTS sec_alice;
DROP ROLE IF EXISTS sec_bob;
DROP ROLE IF EXISTS sec_stats;
DROP ROLE IF EXISTS sec_reader;
RESET client_min_messages;
SET parproc.chunk_size = 4;
\set VERBOSITY terse

CREATE ROLE sec_alice;
CREATE ROLE sec_bob;
CREATE ROLE sec_stats IN ROLE pg_read_all_stats;
CREATE ROLE sec_reader IN ROLE pg_read_all_stats;
CREATE SCHEMA sec AUTHORIZATION sec_alice;
GRANT USAGE ON SCHEMA sec TO PUBLIC;
GRANT CREATE ON SCHEMA public TO sec_bob;
GRANT USAGE ON SCHEMA parproc TO sec_alice, sec_bob, sec_stats, sec_reader;

SET ROLE sec_alice;
CREATE TABLE sec.src (id int, card text);
INSERT INTO sec.src SELECT g, CASE WHEN g % 250 = 0 THEN 'secret-' || g ELSE g::text END
FROM generate_series(1, 3000) g;
CREATE TABLE sec.dst (id int, n int, who text);
SELECT parproc.create_pipeline('sec_pipe', 'sec.src', 'sec.dst',
	'[{"name": "num", "map": "id, card::int AS n, current_user::text AS who"}]');
SELECT state, rows_written, rows_failed FROM parproc.run('sec_pipe', workers => 2, on_error => 'skip');
SELECT count(*) AS error_rows, count(row) AS with_row FROM parproc.errors
WHERE run_id IN (SELECT run_id FROM parproc.runs WHERE pipeline = 'sec_pipe');
RESET ROLE;
GRANT SELECT ON sec.src TO sec_reader;

-- Bob may not see Alice's runs' failed rows: a cheap function of his in
-- WHERE (it would print every row it sees) is only given what the view
-- lets through, which is nothing
SET ROLE sec_bob;
CREATE FUNCTION public.sec_leak(r jsonb, m text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
	RAISE NOTICE 'leaked: % %', r, m;
	RETURN true;
END $$;
SELECT count(*) FROM parproc.errors WHERE sec_leak(row, message);
RESET ROLE;

-- a pg_read_all_stats member sees that rows failed, not the rows, unless
-- it may SELECT the source
SET ROLE sec_stats;
SELECT count(*) AS error_rows, count(row) AS with_row, count(message) AS with_message
FROM parproc.errors WHERE run_id IN (SELECT run_id FROM parproc.runs WHERE pipeline = 'sec_pipe');
RESET ROLE;
SET ROLE sec_reader;
SELECT count(*) AS error_rows, count(row) AS with_row, count(message) AS with_message
FROM parproc.errors WHERE run_id IN (SELECT run_id FROM parproc.runs WHERE pipeline = 'sec_pipe');
RESET ROLE;

-- every view whose rows or columns depend on the viewer is a security barrier
SELECT c.relname, coalesce('security_barrier=true' = ANY (c.reloptions), false) AS barrier
FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'parproc'
WHERE c.relkind = 'v' ORDER BY 1;

-- a run executes as the pipeline's owner: a superuser running Alice's
-- pipeline lends it none of its privileges, and the run's role is Alice
TRUNCATE sec.dst;
SELECT state, rows_written FROM parproc.run('sec_pipe', workers => 2, on_error => 'skip');
SELECT who, count(*) FROM sec.dst GROUP BY who;
SELECT role FROM parproc.runs WHERE run_id = (SELECT max(run_id) FROM parproc.runs);
-- ... and what the caller's session evaluates for it (constants folded
-- when the stages are resolved, dry_run, explain_pipeline) runs as Alice,
-- in a security-restricted operation
SET ROLE sec_alice;
CREATE FUNCTION sec.whoami(x int) RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
	RAISE NOTICE 'evaluated as %', current_user;
	RETURN current_user::text;
END $$;
SELECT parproc.create_pipeline('sec_pipe3', 'sec.src', 'sec.dst',
	'[{"name": "num", "map": "id, 1 AS n, sec.whoami(0) AS who"}]');
RESET ROLE;
TRUNCATE sec.dst;
SELECT state, rows_written FROM parproc.run('sec_pipe3', workers => 1);
SELECT who, count(*) FROM sec.dst GROUP BY who;
SELECT rows_read FROM parproc.dry_run('sec_pipe3');
SELECT count(*) FROM parproc.explain_pipeline('sec_pipe3');

-- failed rows of a source with row-level security are shown only to the
-- run's role: the run read as the owner, past the policies
SET ROLE sec_alice;
ALTER TABLE sec.src ENABLE ROW LEVEL SECURITY;
CREATE POLICY sec_none ON sec.src USING (false);
SELECT state, rows_failed FROM parproc.run('sec_pipe', workers => 1, on_error => 'skip');
RESET ROLE;
SET ROLE sec_reader;
SELECT count(*) AS visible_rows FROM sec.src;
SELECT count(*) AS error_rows, count(row) AS with_row FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'sec_pipe');
RESET ROLE;

-- so a pipeline that reads what Alice may not read fails for everyone
CREATE TABLE sec_private (id int, card text);
INSERT INTO sec_private VALUES (1, '1');
SET ROLE sec_alice;
SELECT parproc.create_pipeline('sec_pipe2', 'sec_private', 'sec.dst',
	'[{"name": "num", "map": "id, card::int AS n"}]');
RESET ROLE;
GRANT SELECT ON sec_private TO sec_alice;
SET ROLE sec_alice;
SELECT parproc.create_pipeline('sec_pipe2', 'sec_private', 'sec.dst',
	'[{"name": "num", "map": "id, card::int AS n"}]');
RESET ROLE;
REVOKE SELECT ON sec_private FROM sec_alice;
SELECT * FROM parproc.run('sec_pipe2', workers => 1);

-- cleanup
SET client_min_messages = warning;
SET ROLE sec_alice;
SELECT parproc.drop_pipeline('sec_pipe');
SELECT parproc.drop_pipeline('sec_pipe2');
SELECT parproc.drop_pipeline('sec_pipe3');
RESET ROLE;
DROP FUNCTION public.sec_leak(jsonb, text);
REVOKE CREATE ON SCHEMA public FROM sec_bob;
REVOKE USAGE ON SCHEMA parproc FROM sec_alice, sec_bob, sec_stats, sec_reader;
DROP SCHEMA sec CASCADE;
DROP TABLE sec_private;
DROP ROLE sec_alice;
DROP ROLE sec_bob;
DROP ROLE sec_stats;
DROP ROLE sec_reader;
