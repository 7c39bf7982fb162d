-- pipeline_source: a pipeline reads what SELECT * FROM source reads
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 2;
SET parproc.batch_size = 64;
\set VERBOSITY terse

CREATE FUNCTION ps_same(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL
										 (TABLE %s EXCEPT ALL TABLE %s)) d', a, b, b, a) INTO n;
	RETURN n;
END $$;

-- A plain table with inheritance children: one with a column of its own,
-- one whose columns are in another order (it inherited after it was
-- made), a grandchild, and a child that lost a column of its own.
CREATE TABLE ps_parent (id int, label text, amount numeric);
CREATE TABLE ps_child1 (note text) INHERITS (ps_parent);
CREATE TABLE ps_child2 (amount numeric, secret text, id int, label text);
ALTER TABLE ps_child2 INHERIT ps_parent;
CREATE TABLE ps_grand (extra int) INHERITS (ps_child1);
ALTER TABLE ps_child1 ADD COLUMN dropped_later int;
ALTER TABLE ps_child1 DROP COLUMN dropped_later;
INSERT INTO ps_parent SELECT g, 'p' || g, g * 1.5 FROM generate_series(1, 3000) g;
INSERT INTO ps_child1 SELECT g, 'c' || g, g * 2.5, 'note' FROM generate_series(3001, 5000) g;
INSERT INTO ps_child2 SELECT g * 0.5, 'hidden', g, 'd' || g FROM generate_series(5001, 7000) g;
INSERT INTO ps_grand SELECT g, 'g' || g, g, 'n', g FROM generate_series(7001, 8000) g;
SELECT count(*) AS rows_select_reads FROM ps_parent;

-- only filters: the source's columns go to the target by name
CREATE TABLE ps_dst (id int, label text, amount numeric, note text, secret text);
CREATE TABLE ps_ref (LIKE ps_dst);
INSERT INTO ps_ref (id, label, amount) SELECT * FROM ps_parent WHERE id % 3 <> 0;
SELECT parproc.create_pipeline('ps_filter', 'ps_parent', 'ps_dst',
	'[{"name": "keep", "filter": "id % 3 <> 0"}]');
SELECT state, rows_read, rows_written FROM parproc.run('ps_filter', workers => 2);
SELECT ps_same('ps_dst', 'ps_ref') AS differences,
	   count(*) FILTER (WHERE note IS NOT NULL OR secret IS NOT NULL) AS child_columns_written
FROM ps_dst;

-- a filter, a map that uses every source column, and a filter after it
CREATE TABLE ps_dst2 (id int, tag text, twice numeric);
CREATE TABLE ps_ref2 (LIKE ps_dst2);
INSERT INTO ps_ref2
SELECT id, upper(label) || ':' || amount, amount * 2 FROM ps_parent
WHERE amount > 100 AND id % 7 <> 0;
SELECT parproc.create_pipeline('ps_map', 'ps_parent', 'ps_dst2',
	'[{"name": "big", "filter": "amount > 100"},
	  {"name": "shape", "map": "id, upper(label) || '':'' || amount AS tag, amount * 2 AS twice"},
	  {"name": "drop7", "filter": "id % 7 <> 0"}]');
SELECT state, rows_read, rows_written FROM parproc.run('ps_map', workers => 2);
SELECT ps_same('ps_dst2', 'ps_ref2') AS differences;
SELECT parproc.dry_run('ps_map') IS NOT NULL AS dry_run_ok,
	   (parproc.dry_run('ps_map')).rows_read AS dry_run_rows_read;

-- failed rows are recorded as SELECT from the parent shows them: its
-- columns only, whatever child they were read from
CREATE TABLE ps_dst3 (id int, n int);
SELECT parproc.create_pipeline('ps_fail', 'ps_parent', 'ps_dst3',
	'[{"name": "num", "map": "id, (CASE WHEN id % 1000 = 0 THEN ''x'' ELSE id::text END)::int AS n"}]');
SELECT state, rows_read, rows_written, rows_failed
FROM parproc.run('ps_fail', workers => 2, on_error => 'skip');
SELECT source, row FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY (row->>'id')::int;

-- the whole row of the source is refused where a part has other columns
CREATE TABLE ps_dst4 (id int, j text);
SELECT parproc.create_pipeline('ps_whole', 'ps_parent', 'ps_dst4',
	'[{"name": "j", "map": "id, _parproc_input::text AS j"}]');
SELECT * FROM parproc.run('ps_whole', workers => 1);
SELECT count(*) AS written FROM ps_dst4;

-- a part that is not a local table is refused, never skipped
CREATE FOREIGN DATA WRAPPER ps_fdw;
CREATE SERVER ps_server FOREIGN DATA WRAPPER ps_fdw;
CREATE FOREIGN TABLE ps_remote () INHERITS (ps_parent) SERVER ps_server;
SELECT * FROM parproc.run('ps_filter', workers => 1);
DROP FOREIGN TABLE ps_remote;

-- a partitioned source whose partitions have their columns in other places
CREATE TABLE ps_part (k int, v text, w float8) PARTITION BY RANGE (k);
CREATE TABLE ps_part_a (w float8, junk int, v text, k int);
ALTER TABLE ps_part_a DROP COLUMN junk;
ALTER TABLE ps_part ATTACH PARTITION ps_part_a FOR VALUES FROM (0) TO (5000);
CREATE TABLE ps_part_b PARTITION OF ps_part FOR VALUES FROM (5000) TO (10000);
INSERT INTO ps_part SELECT g, 'v' || g, g / 3.0 FROM generate_series(0, 9999) g;
CREATE TABLE ps_pdst (k int, vw text);
CREATE TABLE ps_pref (LIKE ps_pdst);
INSERT INTO ps_pref SELECT k, v || '/' || w FROM ps_part WHERE k % 2 = 0;
SELECT parproc.create_pipeline('ps_parts', 'ps_part', 'ps_pdst',
	'[{"name": "even", "filter": "k % 2 = 0"}, {"name": "vw", "map": "k, v || ''/'' || w AS vw"}]');
SELECT state, rows_read, rows_written FROM parproc.run('ps_parts', workers => 2);
SELECT ps_same('ps_pdst', 'ps_pref') AS differences;
