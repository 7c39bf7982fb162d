-- pipeline_resume: a resumed run finishes what it started, as it started it
-- (chunk size, definition, resolved stages, settings), or is refused
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.batch_size = 50;
\set VERBOSITY terse

CREATE FUNCTION rs_same(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL
										 (TABLE %s EXCEPT ALL TABLE %s)) d', a, b, b, a) INTO n;
	RETURN n;
END $$;
-- an error's SQLSTATE and message, run ids left out
CREATE FUNCTION rs_try(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'run \d+', 'run N');
END $$;
-- a stage function that fails on one value until allowed (read through the
-- run's snapshot, so a resume sees the change)
CREATE TABLE rs_allow (ok boolean);
INSERT INTO rs_allow VALUES (false);
CREATE FUNCTION rs_num(t text) RETURNS int LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
	IF t = 'trip' THEN
		IF NOT (SELECT ok FROM rs_allow) THEN
			RAISE EXCEPTION 'not yet';
		END IF;
		RETURN -1;
	END IF;
	RETURN t::int * 3;
END $$;

CREATE TABLE rs_src (id int, x text, ts_text text);
INSERT INTO rs_src
SELECT g, CASE WHEN g = 13777 THEN 'trip' ELSE g::text END,
	   (timestamp '2024-03-30 12:00' + g * interval '7 minutes')::text
FROM generate_series(1, 20000) g;
CREATE TABLE rs_dst (id int, n int, ts timestamptz);
CREATE TABLE rs_ref (LIKE rs_dst);
SELECT parproc.create_pipeline('rs', 'rs_src', 'rs_dst',
	'[{"name": "num", "map": "id, rs_num(x) AS n, ts_text::timestamptz AS ts"}]');

-- Start with one chunk size, fail part-way (one worker takes chunks in
-- order), resume with another, smaller and then larger: the target holds
-- exactly INSERT ... SELECT's rows.  The run's chunk size is the one it
-- started with, whatever the resuming session has.
CREATE FUNCTION rs_check(what text) RETURNS TABLE (label text, state text, differences bigint)
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE rs_allow SET ok = true;
	TRUNCATE rs_ref;
	INSERT INTO rs_ref SELECT id, rs_num(x), ts_text::timestamptz FROM rs_src;
	UPDATE rs_allow SET ok = false;
	RETURN QUERY SELECT what, r.state, rs_same('rs_dst', 'rs_ref')
		FROM parproc.runs r WHERE r.run_id = (SELECT max(run_id) FROM parproc.runs);
END $$;

SET parproc.chunk_size = 8;
SELECT state FROM parproc.run('rs', workers => 1);
SELECT count(*) > 0 AS some_written, count(*) < 20000 AS not_all FROM rs_dst;
UPDATE rs_allow SET ok = true;
SET parproc.chunk_size = 2;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT * FROM rs_check('resumed with a smaller chunk_size');
SELECT chunk_size, chunks_total FROM parproc.run_history
WHERE run_id = (SELECT max(run_id) FROM parproc.runs);

TRUNCATE rs_dst;
SET parproc.chunk_size = 8;
SELECT state FROM parproc.run('rs', workers => 1);
UPDATE rs_allow SET ok = true;
SET parproc.chunk_size = 1024;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT * FROM rs_check('resumed with a larger chunk_size');

-- Re-defined in between: the resumed run finishes the stages it started
-- with, not the new pipeline of the same name.
TRUNCATE rs_dst;
SET parproc.chunk_size = 8;
SELECT state FROM parproc.run('rs', workers => 1);
SELECT parproc.drop_pipeline('rs');
SELECT parproc.create_pipeline('rs', 'rs_src', 'rs_dst',
	'[{"name": "other", "map": "id, 0 AS n, now() AS ts"}]');
UPDATE rs_allow SET ok = true;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT * FROM rs_check('resumed after the pipeline was re-defined');
SELECT count(*) AS rows_of_the_new_definition FROM rs_dst WHERE n = 0;
-- ... and after it was dropped altogether
TRUNCATE rs_dst;
SELECT parproc.drop_pipeline('rs');
SELECT parproc.create_pipeline('rs', 'rs_src', 'rs_dst',
	'[{"name": "num", "map": "id, rs_num(x) AS n, ts_text::timestamptz AS ts"}]');
SELECT state FROM parproc.run('rs', workers => 1);
SELECT parproc.drop_pipeline('rs');
UPDATE rs_allow SET ok = true;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT * FROM rs_check('resumed after the pipeline was dropped');

-- Settings are the run's: a resume from a session in another time zone
-- converts the rest of the text timestamps as the first chunks were.
SELECT parproc.create_pipeline('rs', 'rs_src', 'rs_dst',
	'[{"name": "num", "map": "id, rs_num(x) AS n, ts_text::timestamptz AS ts"}]');
TRUNCATE rs_dst;
SET TimeZone = 'America/New_York';
SELECT state FROM parproc.run('rs', workers => 1);
SET TimeZone = 'Asia/Kolkata';
UPDATE rs_allow SET ok = true;
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SET TimeZone = 'America/New_York';
SELECT * FROM rs_check('resumed from another time zone');
RESET TimeZone;

-- Stages are resolved once, when the run starts, and a resume goes on with
-- that resolution: a function created since that would now be chosen for
-- a name makes the resume refuse rather than compute other values.
CREATE SCHEMA rs_shadow;
CREATE TABLE rs_isrc (id int, v int);
INSERT INTO rs_isrc SELECT g, CASE WHEN g = 9000 THEN -1 ELSE g END FROM generate_series(1, 12000) g;
CREATE TABLE rs_idst (id int, w bigint);
CREATE FUNCTION rs_f(v bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT 1000 / (v + 1) + v $$;
SET search_path = rs_shadow, public;
SELECT parproc.create_pipeline('rs_res', 'rs_isrc', 'rs_idst',
	'[{"name": "f", "map": "id, rs_f(v) AS w"}]');
SELECT state FROM parproc.run('rs_res', workers => 1);
-- rs_shadow.rs_f(int) is a better match for rs_f(v) with v integer
CREATE FUNCTION rs_shadow.rs_f(v int) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT 0::bigint $$;
UPDATE rs_isrc SET v = 5 WHERE v = -1;
SELECT rs_try('SELECT parproc.resume((SELECT max(run_id) FROM parproc.runs))');
SELECT (parproc.wait((SELECT max(run_id) FROM parproc.runs))).state;
-- once it is gone again, the resume goes on, with the stages as they were
DROP FUNCTION rs_shadow.rs_f(int);
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
SELECT count(*) AS differences FROM rs_isrc s FULL JOIN rs_idst d USING (id)
WHERE d.w IS DISTINCT FROM public.rs_f(s.v);
RESET search_path;

-- a run that is done cannot be resumed
SELECT rs_try('SELECT parproc.resume((SELECT max(run_id) FROM parproc.runs))');
