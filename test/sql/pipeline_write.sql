-- pipeline_write: partitioned targets, row triggers and foreign keys fire as
-- INSERT ... SELECT fires them; each run compared with INSERT ... SELECT into
-- a twin target with the same triggers
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 2;
SET parproc.batch_size = 64;

CREATE TABLE pw_src (id int, grp int, label text);
INSERT INTO pw_src SELECT g, g % 5, 'row' || g FROM generate_series(1, 6000) g;

CREATE FUNCTION pw_same(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL
										 (TABLE %s EXCEPT ALL TABLE %s)) d', a, b, b, a) INTO n;
	RETURN n;
END $$;

-- a run's outcome, its error without the run id
CREATE FUNCTION pw_outcome(pipeline text, workers int DEFAULT NULL)
RETURNS TABLE (state text, sqlstate text, error text, detail text) LANGUAGE plpgsql AS $$
DECLARE id bigint := parproc.start(pipeline, workers);
BEGIN
	PERFORM parproc.wait(id);
	RETURN QUERY SELECT h.state, h.sqlstate, h.error, h.error_detail
				 FROM parproc.run_history h WHERE h.run_id = id;
END $$;

-- a partitioned target: range partitions, one with another column order, one
-- partitioned again by hash, a default partition; rows are routed as INSERT
-- routes them
CREATE FUNCTION pw_make_parted(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('CREATE TABLE %1$I (id int, grp int, label text, twice int GENERATED ALWAYS AS (id * 2) STORED)
					PARTITION BY RANGE (id)', name);
	EXECUTE format('CREATE TABLE %1$I_a PARTITION OF %1$I FOR VALUES FROM (0) TO (2000)', name);
	EXECUTE format('CREATE TABLE %1$I_b (label text, grp int, id int, twice int GENERATED ALWAYS AS (id * 2) STORED)', name);
	EXECUTE format('ALTER TABLE %1$I ATTACH PARTITION %1$I_b FOR VALUES FROM (2000) TO (4000)', name);
	EXECUTE format('CREATE TABLE %1$I_c PARTITION OF %1$I FOR VALUES FROM (4000) TO (5000) PARTITION BY HASH (grp)', name);
	EXECUTE format('CREATE TABLE %1$I_c0 PARTITION OF %1$I_c FOR VALUES WITH (MODULUS 2, REMAINDER 0)', name);
	EXECUTE format('CREATE TABLE %1$I_c1 PARTITION OF %1$I_c FOR VALUES WITH (MODULUS 2, REMAINDER 1)', name);
	EXECUTE format('CREATE TABLE %1$I_d PARTITION OF %1$I DEFAULT', name);
	EXECUTE format('CREATE UNIQUE INDEX ON %1$I (id, grp)', name);
	EXECUTE format('ALTER TABLE %1$I ADD CHECK (grp < 5)', name);
END $$;
SELECT pw_make_parted('pw_part');
SELECT pw_make_parted('pw_part_ref');
SELECT parproc.create_pipeline('pw_p', 'pw_src', 'pw_part',
	'[{"name": "m", "map": "id, grp, upper(label) AS label"}]');
SELECT state, rows_read, rows_written FROM parproc.run('pw_p', workers => 2);
INSERT INTO pw_part_ref (id, grp, label) SELECT id, grp, upper(label) FROM pw_src;
SELECT pw_same('pw_part', 'pw_part_ref') AS differences;
SELECT p.part, p.n, r.n AS n_insert
FROM (SELECT substr(tableoid::regclass::text, 9) AS part, count(*) AS n FROM pw_part GROUP BY 1) p
FULL JOIN (SELECT substr(tableoid::regclass::text, 13) AS part, count(*) AS n FROM pw_part_ref GROUP BY 1) r
	USING (part)
ORDER BY 1;
-- no partition takes the row: the run fails as INSERT does
TRUNCATE pw_part;
ALTER TABLE pw_part DETACH PARTITION pw_part_d;
SELECT * FROM pw_outcome('pw_p', 0);
SELECT count(*) FROM pw_part;
-- the unique index spans the partitions
ALTER TABLE pw_part ATTACH PARTITION pw_part_d DEFAULT;
SELECT state, rows_written FROM parproc.run('pw_p');
SELECT * FROM pw_outcome('pw_p', 0);

-- row triggers: BEFORE changes and skips rows and runs before the generated
-- column and the CHECK; AFTER sees the row as written, as the calling role
CREATE TABLE pw_audit (tab text, id int, label text, who name);
CREATE FUNCTION pw_before() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.id % 10 = 0 THEN RETURN NULL; END IF;
	NEW.label := lower(NEW.label) || '!';
	RETURN NEW;
END $$;
CREATE FUNCTION pw_after() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO pw_audit VALUES (TG_TABLE_NAME, NEW.id, NEW.label, current_user);
	RETURN NULL;
END $$;
CREATE FUNCTION pw_make_trig(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('CREATE TABLE %1$I (id int, label text CHECK (label LIKE ''%%!''),
					len int GENERATED ALWAYS AS (length(label)) STORED)', name);
	EXECUTE format('CREATE TRIGGER b BEFORE INSERT ON %1$I FOR EACH ROW EXECUTE FUNCTION pw_before()', name);
	EXECUTE format('CREATE TRIGGER a AFTER INSERT ON %1$I FOR EACH ROW EXECUTE FUNCTION pw_after()', name);
END $$;
SELECT pw_make_trig('pw_trig');
SELECT pw_make_trig('pw_trig_ref');
CREATE ROLE pw_user;
GRANT USAGE ON SCHEMA parproc TO pw_user;
GRANT SELECT ON pw_src TO pw_user;
GRANT INSERT ON pw_trig, pw_audit TO pw_user;
SET ROLE pw_user;
SELECT parproc.create_pipeline('pw_t', 'pw_src', 'pw_trig',
	'[{"name": "some", "filter": "grp <> 1"}, {"name": "m", "map": "id, label"}]');
SELECT state, rows_read, rows_written FROM parproc.run('pw_t', workers => 2);
RESET ROLE;
INSERT INTO pw_trig_ref (id, label) SELECT id, label FROM pw_src WHERE grp <> 1;
SELECT pw_same('pw_trig', 'pw_trig_ref') AS differences;
SELECT tab, count(*), count(DISTINCT id), min(label), max(label), min(who) AS who
FROM pw_audit GROUP BY tab ORDER BY tab;
SELECT count(*) AS audit_rows_not_written FROM pw_audit a
WHERE a.tab = 'pw_trig' AND NOT EXISTS (SELECT FROM pw_trig t WHERE t.id = a.id AND t.label = a.label);

-- a trigger on one partition only
CREATE TRIGGER b BEFORE INSERT ON pw_part_b FOR EACH ROW EXECUTE FUNCTION pw_before();
CREATE TRIGGER b BEFORE INSERT ON pw_part_ref_b FOR EACH ROW EXECUTE FUNCTION pw_before();
TRUNCATE pw_part, pw_part_ref;
SELECT state, rows_read, rows_written FROM parproc.run('pw_p', workers => 2);
INSERT INTO pw_part_ref (id, grp, label) SELECT id, grp, upper(label) FROM pw_src;
SELECT pw_same('pw_part', 'pw_part_ref') AS differences;
-- a BEFORE trigger moving a row out of its partition fails as INSERT does
CREATE OR REPLACE FUNCTION pw_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.id := NEW.id + 10000; RETURN NEW; END $$;
CREATE TRIGGER c BEFORE INSERT ON pw_part_a FOR EACH ROW EXECUTE FUNCTION pw_move();
TRUNCATE pw_part;
SELECT * FROM pw_outcome('pw_p', 0);
DROP TRIGGER c ON pw_part_a;
-- a partition as the target keeps its bounds, as INSERT into it does
SELECT parproc.create_pipeline('pw_direct', 'pw_src', 'pw_part_a',
	'[{"name": "m", "map": "id, grp, label"}]');
SELECT * FROM pw_outcome('pw_direct', 0);
SET parproc.max_error_rows = 10000;
SELECT state, rows_written, rows_failed FROM parproc.run('pw_direct', workers => 2, on_error => 'skip');
RESET parproc.max_error_rows;
SELECT count(*), min(id), max(id) FROM pw_part_a;
SELECT stage, sqlstate, message, count(*) FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) GROUP BY 1, 2, 3;
TRUNCATE pw_part;

-- foreign keys are checked in the chunk's transaction
CREATE TABLE pw_grp (grp int PRIMARY KEY);
INSERT INTO pw_grp SELECT generate_series(0, 4);
CREATE TABLE pw_fk (id int, grp int REFERENCES pw_grp);
SELECT parproc.create_pipeline('pw_f', 'pw_src', 'pw_fk', '[{"name": "m", "map": "id, grp"}]');
SELECT state, rows_written FROM parproc.run('pw_f', workers => 2);
SELECT count(*) AS orphans FROM pw_fk WHERE grp NOT IN (SELECT grp FROM pw_grp);
TRUNCATE pw_fk;
DELETE FROM pw_grp WHERE grp = 3;
SELECT * FROM pw_outcome('pw_f', 0);
SELECT count(*) AS orphans FROM pw_fk WHERE grp NOT IN (SELECT grp FROM pw_grp);
-- resume after fixing the parent table: exactly INSERT ... SELECT's rows
INSERT INTO pw_grp VALUES (3);
SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
CREATE TABLE pw_fk_ref AS SELECT id, grp FROM pw_src;
SELECT pw_same('pw_fk', 'pw_fk_ref') AS differences;

-- targets a run cannot write as one INSERT statement would
CREATE TABLE pw_stmt (id int);
CREATE FUNCTION pw_stmt_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER s AFTER INSERT ON pw_stmt FOR EACH STATEMENT EXECUTE FUNCTION pw_stmt_trig();
SELECT parproc.create_pipeline('e', 'pw_src', 'pw_stmt', '[{"name": "m", "map": "id"}]');
DROP TRIGGER s ON pw_stmt;
CREATE TRIGGER t AFTER INSERT ON pw_stmt REFERENCING NEW TABLE AS n
	FOR EACH ROW EXECUTE FUNCTION pw_stmt_trig();
SELECT parproc.create_pipeline('e', 'pw_src', 'pw_stmt', '[{"name": "m", "map": "id"}]');
-- a trigger added after the pipeline was made is refused when the run starts
DROP TRIGGER t ON pw_stmt;
SELECT parproc.create_pipeline('pw_s', 'pw_src', 'pw_stmt', '[{"name": "m", "map": "id"}]');
CREATE TRIGGER s BEFORE INSERT ON pw_stmt FOR EACH STATEMENT EXECUTE FUNCTION pw_stmt_trig();
SELECT * FROM parproc.run('pw_s');
CREATE FOREIGN DATA WRAPPER pw_fdw;
CREATE SERVER pw_server FOREIGN DATA WRAPPER pw_fdw;
CREATE TABLE pw_fp (id int) PARTITION BY RANGE (id);
CREATE TABLE pw_fp_1 PARTITION OF pw_fp FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (id);
CREATE FOREIGN TABLE pw_fp_f PARTITION OF pw_fp_1 FOR VALUES FROM (0) TO (5) SERVER pw_server;
SELECT parproc.create_pipeline('e', 'pw_src', 'pw_fp', '[{"name": "m", "map": "id"}]');

SELECT parproc.drop_pipeline(name) FROM parproc.pipelines WHERE name LIKE 'pw\_%' ORDER BY name;
DROP TABLE pw_src, pw_part, pw_part_ref, pw_audit, pw_trig, pw_trig_ref, pw_grp, pw_fk, pw_fk_ref,
	pw_stmt, pw_fp CASCADE;
DROP SERVER pw_server;
DROP FOREIGN DATA WRAPPER pw_fdw;
DROP FUNCTION pw_same, pw_outcome, pw_make_parted, pw_before, pw_after, pw_move, pw_make_trig, pw_stmt_trig;
DROP OWNED BY pw_user;
DROP ROLE pw_user;
