-- pipeline_file: pipelines whose source is files, every load compared with
-- COPY FROM of the same file with the same options (the oracle), cut into
-- many chunks (chunk_size 1: 8 kB) read by two workers
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 1;
SET parproc.batch_size = 50;

-- files go to the data directory: written by COPY TO, or byte for byte by
-- lo_export; paths are shown without it
SELECT current_setting('data_directory') || '/parproc_file_' AS dir \gset
CREATE FUNCTION write_file(path text, content bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	lo oid := lo_from_bytea(0, content);
BEGIN
	PERFORM lo_export(lo, path);
	PERFORM lo_unlink(lo);
END $$;

-- rows with what matters to COPY's parsing: delimiters, quotes, newlines,
-- backslashes, multibyte characters, empty strings and NULLs
CREATE TABLE f_rows (id int, ts timestamptz, note text, value numeric);
INSERT INTO f_rows
SELECT g, '2026-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
	   CASE g % 9 WHEN 0 THEN E'two\nlines, "quoted"' WHEN 1 THEN 'back\slash\.'
				  WHEN 2 THEN 'tab	and | pipe' WHEN 3 THEN '' WHEN 4 THEN NULL
				  WHEN 5 THEN 'café ☕ 日本' WHEN 6 THEN E'cr\r\nlf' ELSE 'plain ' || g END,
	   CASE WHEN g % 11 = 0 THEN NULL ELSE g * 1.25 END
FROM generate_series(1, 3000) g;
CREATE TABLE f_dst (LIKE f_rows);
CREATE TABLE f_oracle (LIKE f_rows);
-- rows in one table and not the other, both ways
CREATE FUNCTION f_diff() RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM ((SELECT * FROM f_dst EXCEPT ALL SELECT * FROM f_oracle) UNION ALL
						  (SELECT * FROM f_oracle EXCEPT ALL SELECT * FROM f_dst)) d $$;
-- load file with options by a pipeline (2 workers) and by COPY; compare
CREATE FUNCTION f_prepare(name text, file text, options text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE f_dst, f_oracle;
	EXECUTE format('COPY f_oracle FROM %L WITH (%s)', file, options);
	PERFORM parproc.create_pipeline(name, 'file:' || file, 'f_dst', '[]', source_options => options);
END $$;
-- a statement's error and its detail, the data directory left out
CREATE FUNCTION f_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	detail text;
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
	RETURN regexp_replace(replace(msg || coalesce(' / ' || nullif(detail, ''), ''),
								  current_setting('data_directory') || '/parproc_file_', '<dir>/'),
						  'run \d+', 'run N', 'g');
END $$;
CREATE VIEW f_last AS
SELECT h.state, h.rows_read, h.rows_written, h.rows_failed, h.workers_used,
	   h.chunks_total > 10 AS many_chunks, f_diff() AS diff, (SELECT count(*) FROM f_dst) AS loaded
FROM parproc.run_history h ORDER BY run_id DESC LIMIT 1;

-- CSV with a header, quoted fields with newlines, delimiters and quotes
SELECT :'dir' || 'a.csv' AS a_csv \gset
COPY f_rows TO :'a_csv' WITH (FORMAT csv, HEADER true);
SELECT f_prepare('fa', :'a_csv', 'FORMAT csv, HEADER true');
SELECT state, workers_used FROM parproc.run('fa', workers => 2);
SELECT * FROM f_last;
SELECT name, source, replace(source_file, :'dir', '<dir>/') AS source_file, source_options,
	   source_columns
FROM parproc.pipelines WHERE name = 'fa';

-- HEADER MATCH checks the header against the columns; one that does not
-- match stops the run, as it stops COPY, even with 'skip'
SELECT :'dir' || 'h.csv' AS h_csv \gset
COPY (SELECT id, ts AS time, note, value FROM f_rows WHERE id <= 100)
	TO :'h_csv' WITH (FORMAT csv, HEADER true);
SELECT parproc.create_pipeline('fhm', 'file:' || :'a_csv', 'f_dst', '[]',
							   source_options => 'FORMAT csv, HEADER match');
TRUNCATE f_dst;
SELECT state, rows_written FROM parproc.run('fhm', workers => 2, on_error => 'skip');
SELECT parproc.create_pipeline('fhx', 'file:' || :'h_csv', 'f_dst', '[]',
							   source_options => 'FORMAT csv, HEADER match');
SELECT f_error($$SELECT parproc.run('fhx', workers => 2, on_error => 'skip')$$);

-- the text format: backslash escapes (\n, \\, \.) and \N, another delimiter
SELECT :'dir' || 'b.txt' AS b_txt \gset
COPY f_rows TO :'b_txt' WITH (FORMAT text, DELIMITER '|');
SELECT f_prepare('fb', :'b_txt', 'FORMAT text, DELIMITER ''|''');
SELECT state FROM parproc.run('fb', workers => 2);
SELECT * FROM f_last;

-- CSV with its own quote and escape, NULL as a word, FORCE_NULL and
-- FORCE_NOT_NULL, and LATIN1 bytes (converted as COPY converts them)
SELECT :'dir' || 'c.csv' AS c_csv \gset
COPY (SELECT id, ts, translate(note, '☕日本', '???') AS note, value FROM f_rows)
	TO :'c_csv' WITH (FORMAT csv, QUOTE '''', ESCAPE '\', NULL 'NULL', FORCE_QUOTE (note),
					  ENCODING 'LATIN1');
SELECT f_prepare('fc', :'c_csv', 'FORMAT csv, QUOTE '''''''', ESCAPE ''\'', NULL ''NULL'','
				 ' FORCE_NOT_NULL (note), FORCE_NULL (value), ENCODING ''LATIN1''');
SELECT state FROM parproc.run('fc', workers => 2);
SELECT * FROM f_last;
SELECT count(*) FILTER (WHERE note IS NULL) AS null_notes, count(*) FILTER (WHERE note LIKE 'café ?%') AS latin1
FROM f_dst;

-- \r\n line endings, quoted newlines inside, no newline after the last line
SELECT :'dir' || 'd.csv' AS d_csv \gset
SELECT write_file(:'d_csv', convert_to(string_agg(
	format('%s,%s,"%s",%s', id, ts, replace(replace(coalesce(note, ''), '"', '""'), E'\r', ''),
		   value), E'\r\n' ORDER BY id), 'UTF8'))
FROM f_rows;
SELECT f_prepare('fd', :'d_csv', 'FORMAT csv');
SELECT state FROM parproc.run('fd', workers => 2);
SELECT * FROM f_last;

-- the end-of-data marker: what follows \. is not read, as by COPY
SELECT :'dir' || 'e.txt' AS e_txt \gset
SELECT write_file(:'e_txt', convert_to(string_agg(format(E'%s\t2026-01-01\tn%s\t%s', g, g, g), E'\n')
	|| E'\n\\.\n1\tnot\ta row\n', 'UTF8'))
FROM generate_series(1, 2000) g;
SELECT f_prepare('fe', :'e_txt', 'FORMAT text');
SELECT state FROM parproc.run('fe', workers => 2);
SELECT * FROM f_last;

-- a glob: every matching file, each in its chunks
SELECT :'dir' || 'g' AS g, :'dir' || 'g1.csv' AS g1, :'dir' || 'g2.csv' AS g2,
	   :'dir' || 'g3.csv' AS g3 \gset
COPY (SELECT * FROM f_rows WHERE id <= 1000) TO :'g1' WITH (FORMAT csv);
COPY (SELECT * FROM f_rows WHERE id > 1000 AND id <= 1001) TO :'g2' WITH (FORMAT csv);
COPY (SELECT * FROM f_rows WHERE id > 1001) TO :'g3' WITH (FORMAT csv);
TRUNCATE f_dst, f_oracle;
COPY f_oracle FROM :'a_csv' WITH (FORMAT csv, HEADER true);
SELECT parproc.create_pipeline('fg', 'file:' || :'g' || '*.csv', 'f_dst', '[]',
							   source_options => 'FORMAT csv');
SELECT state FROM parproc.run('fg', workers => 2);
SELECT * FROM f_last;
SELECT cardinality(files), array(SELECT replace(f, :'dir', '') FROM unnest(files) f)
FROM parproc.run_history ORDER BY run_id DESC LIMIT 1;

-- stages over the files' own columns (source_columns), and an aggregate stage
CREATE TABLE f_agg (hour timestamptz, n bigint, total numeric, notes bigint);
SELECT parproc.create_pipeline('fh', 'file:' || :'a_csv', 'f_agg',
	'[{"name": "parse", "map": "id, ts::timestamptz AS ts, nullif(value, '''')::numeric AS value, note"},
	  {"name": "hourly", "group_by": "date_trunc(''hour'', ts) AS hour",
	   "aggregates": "count(*) AS n, sum(value) AS total, count(note) AS notes"}]',
	source_options => 'FORMAT csv, HEADER true',
	source_columns => 'id int, ts text, note text, value text');
SELECT state, rows_written FROM parproc.run('fh', workers => 2);
SELECT count(*) AS diff FROM (
	(SELECT * FROM f_agg EXCEPT ALL
	 SELECT date_trunc('hour', ts), count(*), sum(value), count(note) FROM f_rows GROUP BY 1)
	UNION ALL
	(SELECT date_trunc('hour', ts), count(*), sum(value), count(note) FROM f_rows GROUP BY 1
	 EXCEPT ALL SELECT * FROM f_agg)) d;
SELECT stage, kind, column_name, mode FROM parproc.explain_pipeline('fh') WHERE stage = 'parse';
SELECT rows_read, rows_out FROM parproc.dry_run('fh');

-- bad lines: with 'skip' each goes to parproc.errors (file, line, byte
-- offset, the line as read) and every good line is loaded
SELECT :'dir' || 'bad.csv' AS bad_csv \gset
CREATE TABLE f_lines (n int, line text);
INSERT INTO f_lines SELECT g, format('%s,2026-01-01,"n%s",%s', g, g, g) FROM generate_series(1, 2000) g;
UPDATE f_lines SET line = '7,2026-01-01' WHERE n = 7;							-- too few fields
UPDATE f_lines SET line = 'x8,2026-01-01,n,1' WHERE n = 8;						-- not an integer
UPDATE f_lines SET line = '900,2026-01-01,"two' || E'\n' || 'lines",900,extra' WHERE n = 900;
UPDATE f_lines SET line = '1999,not a time,n,1999' WHERE n = 1999;
-- line 1500 has a byte that is not UTF8
SELECT write_file(:'bad_csv', string_agg(CASE WHEN n = 1500
	THEN convert_to('1500,2026-01-01,"caf', 'UTF8') || '\xe9'::bytea || convert_to('",1500', 'UTF8')
	ELSE convert_to(line, 'UTF8') END || '\x0a'::bytea, ''::bytea ORDER BY n))
FROM f_lines;
TRUNCATE f_dst;
SELECT parproc.create_pipeline('fbad', 'file:' || :'bad_csv', 'f_dst', '[]',
							   source_options => 'FORMAT csv, ENCODING ''UTF8''');
SELECT state, rows_read, rows_written, rows_failed FROM parproc.run('fbad', workers => 2, on_error => 'skip');
SELECT stage, replace(file, :'dir', '<dir>/') AS file, line, byte_offset, sqlstate, message, raw_line
FROM parproc.errors e WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY line;
-- each line is where the error says, in the file's bytes
SELECT bool_and(pg_read_binary_file(file, byte_offset, octet_length(raw_line))
				= convert_to(raw_line, 'UTF8')) AS at_offsets
FROM parproc.errors WHERE run_id = (SELECT max(run_id) FROM parproc.runs) AND sqlstate <> '22021';
SELECT count(*), count(*) FILTER (WHERE id IN (7, 8, 900, 1500, 1999)) AS bad FROM f_dst;
-- a bad line is reported in the database's encoding (converted from the
-- file's), and at most 64 kB of it
SELECT :'dir' || 'l1.txt' AS l1_txt \gset
COPY (SELECT CASE g WHEN 2 THEN 'café' WHEN 3 THEN repeat('x', 70000)
					ELSE format(E'%s\t2026-01-01\tcafé %s\t%s', g, g, g) END
	  FROM generate_series(1, 5) g) TO :'l1_txt' WITH (FORMAT csv, QUOTE E'\x01', ENCODING 'LATIN1');
SELECT parproc.create_pipeline('fl1', 'file:' || :'l1_txt', 'f_dst', '[]',
							   source_options => 'FORMAT text, ENCODING ''LATIN1''');
TRUNCATE f_dst;
SELECT state, rows_written, rows_failed FROM parproc.run('fl1', workers => 2, on_error => 'skip');
SELECT line, left(raw_line, 12) AS raw_line, octet_length(raw_line) AS bytes, right(raw_line, 20) AS ends
FROM parproc.errors WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY line;
SELECT note FROM f_dst ORDER BY id;

-- a stage's error on a file's row is recorded with its file, line and offset
TRUNCATE f_dst;
SELECT parproc.create_pipeline('fstage', 'file:' || :'bad_csv', 'f_dst',
	'[{"name": "parse", "map": "id::int AS id, ts::timestamptz AS ts, note, value::numeric AS value"}]',
	source_options => 'FORMAT csv, ENCODING ''UTF8''',
	source_columns => 'id text, ts text, note text, value text');
SELECT state, rows_read, rows_written, rows_failed FROM parproc.run('fstage', workers => 2, on_error => 'skip');
SELECT stage, replace(file, :'dir', '<dir>/') AS file, line, byte_offset, sqlstate, row, raw_line IS NULL AS no_raw
FROM parproc.errors WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY line;

-- 'abort' stops at the first, saying where
SELECT f_error($$SELECT parproc.run('fbad', workers => 2)$$);

-- a stray quote: COPY reads every line after it as one quoted field; its
-- line alone is the bad one, and the lines after it load
SELECT :'dir' || 'stray.csv' AS stray_csv \gset
SELECT write_file(:'stray_csv', convert_to(string_agg(CASE WHEN g = 1200 THEN '1200,2026-01-01,"stray,1200'
	ELSE format('%s,2026-01-01,"n%s",%s', g, g, g) END, E'\n' ORDER BY g) || E'\n', 'UTF8'))
FROM generate_series(1, 2000) g;
TRUNCATE f_dst;
SELECT parproc.create_pipeline('fstray', 'file:' || :'stray_csv', 'f_dst', '[]',
							   source_options => 'FORMAT csv');
SELECT state, rows_read, rows_written, rows_failed FROM parproc.run('fstray', workers => 2, on_error => 'skip');
SELECT line, message, raw_line FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY line;
SELECT count(*), sum(id) = 2000 * 2001 / 2 - 1200 AS all_but_1200 FROM f_dst;
SELECT f_error($$SELECT parproc.run('fstray', workers => 2)$$);

-- gzip files (named *.gz): each one chunk, decompressed as it is read; the
-- lines and byte offsets of bad lines are those of the decompressed data
SELECT :'dir' || 'a.csv.gz' AS a_gz, :'dir' || 'bad.csv.gz' AS bad_gz,
	   :'dir' || 'two.csv.gz' AS two_gz, :'dir' || 'cut.csv.gz' AS cut_gz \gset
SELECT format('gzip -c > %L', :'a_gz') AS gzip_a, format('gzip -dc %L', :'a_gz') AS gunzip_a,
	   format('gzip -c < %L > %L', :'bad_csv', :'bad_gz') AS gzip_bad,
	   format('cat %L %L > %L', :'bad_gz', :'bad_gz', :'two_gz') AS cat_two,
	   format('head -c 1000 %L > %L', :'bad_gz', :'cut_gz') AS cut \gset
COPY (SELECT * FROM f_rows WHERE id < 2000) TO PROGRAM :'gzip_a' WITH (FORMAT csv, HEADER true);
TRUNCATE f_dst, f_oracle;
COPY f_oracle FROM PROGRAM :'gunzip_a' WITH (FORMAT csv, HEADER true);
SELECT parproc.create_pipeline('fz', 'file:' || :'a_gz', 'f_dst', '[]',
							   source_options => 'FORMAT csv, HEADER true');
SELECT state FROM parproc.run('fz', workers => 2);
SELECT l.state, l.rows_written, l.diff, h.chunks_total FROM f_last l, parproc.run_history h
WHERE h.run_id = (SELECT max(run_id) FROM parproc.runs);
-- bad lines: where they are in the plain file
COPY (SELECT 1 WHERE false) TO PROGRAM :'gzip_bad';
TRUNCATE f_dst;
SELECT parproc.create_pipeline('fzbad', 'file:' || :'bad_gz', 'f_dst', '[]',
							   source_options => 'FORMAT csv, ENCODING ''UTF8''');
SELECT state, rows_written, rows_failed FROM parproc.run('fzbad', workers => 2, on_error => 'skip');
SELECT line, byte_offset, sqlstate FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs) ORDER BY line;
-- two gzip members in one file (gzip files concatenated): both are read
COPY (SELECT 1 WHERE false) TO PROGRAM :'cat_two';
TRUNCATE f_dst;
SELECT parproc.create_pipeline('fztwo', 'file:' || :'two_gz', 'f_dst', '[]',
							   source_options => 'FORMAT csv, ENCODING ''UTF8''');
SELECT state, rows_written, rows_failed FROM parproc.run('fztwo', workers => 2, on_error => 'skip');
-- a gzip file cut short is an error of the run, not a bad line
COPY (SELECT 1 WHERE false) TO PROGRAM :'cut';
SELECT parproc.create_pipeline('fzcut', 'file:' || :'cut_gz', 'f_dst', '[]',
							   source_options => 'FORMAT csv, ENCODING ''UTF8''');
SELECT f_error($$SELECT parproc.run('fzcut', workers => 2, on_error => 'skip')$$);

-- resume: a run stopped by the target (a CHECK) finishes once the check is
-- gone, each line loaded once; a file changed since is refused
TRUNCATE f_dst;
ALTER TABLE f_dst ADD CONSTRAINT f_not_2500 CHECK (id <> 2500);
SELECT f_error($$SELECT parproc.run('fa', workers => 2)$$);
SELECT max(run_id) AS rid FROM parproc.runs \gset
SELECT count(*) < 3000 AS partial FROM f_dst;
ALTER TABLE f_dst DROP CONSTRAINT f_not_2500;
SELECT parproc.resume(:rid, workers => 2) = :rid AS resumed;
SELECT state, rows_read, rows_written FROM parproc.wait(:rid);
TRUNCATE f_oracle;
COPY f_oracle FROM :'a_csv' WITH (FORMAT csv, HEADER true);
SELECT f_diff() AS diff, count(*) FROM f_dst;
TRUNCATE f_dst;
ALTER TABLE f_dst ADD CONSTRAINT f_not_2500 CHECK (id <> 2500);
SELECT f_error($$SELECT parproc.run('fa', workers => 2)$$);
SELECT max(run_id) AS rid FROM parproc.runs \gset
COPY (SELECT * FROM f_rows WHERE id < 2000) TO :'a_csv' WITH (FORMAT csv, HEADER true);
SELECT f_error(format('SELECT parproc.resume(%s)', :rid));
ALTER TABLE f_dst DROP CONSTRAINT f_not_2500;

-- what is refused, and when
SELECT parproc.create_pipeline('x', 'file:relative.csv', 'f_dst', '[]');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'FORMAT binary');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'FREEZE');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'ON_ERROR ignore');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'FORMAT csv); DROP TABLE f_dst; --');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'DELIMITER ''ab''');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_columns => 'id int CHECK (id > 0)');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'f_dst', '[]', source_columns => 'id nosuchtype');
SELECT parproc.create_pipeline('x', 'file:' || :'a_csv', 'nosuch', '[]');
SELECT parproc.create_pipeline('x', 'f_rows', 'f_dst', '[]', source_options => 'FORMAT csv');
SELECT parproc.create_pipeline('x', 'file:/nonexistent/parproc_*.csv', 'f_dst', '[]');
SELECT state FROM parproc.run('x');
SELECT parproc.drop_pipeline('x');
-- reading server files takes pg_read_server_files, as COPY does
CREATE ROLE f_loader;
GRANT USAGE ON SCHEMA parproc TO f_loader;
GRANT INSERT ON f_dst TO f_loader;
SET ROLE f_loader;
SELECT parproc.create_pipeline('fl', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'FORMAT csv, HEADER true');
RESET ROLE;
GRANT pg_read_server_files TO f_loader;
SET ROLE f_loader;
SELECT parproc.create_pipeline('fl', 'file:' || :'a_csv', 'f_dst', '[]', source_options => 'FORMAT csv, HEADER true');
RESET ROLE;
REVOKE pg_read_server_files FROM f_loader;
SELECT state FROM parproc.run('fl');
SELECT parproc.drop_pipeline('fl');
DROP OWNED BY f_loader;
DROP ROLE f_loader;
