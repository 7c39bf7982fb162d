-- vectorize: stages evaluated with column kernels (parproc.vectorize = on)
-- against PostgreSQL's evaluator (off) and against plain SELECT, row by row:
-- the same rows (floats compared bit for bit through float4send/float8send),
-- the same failed rows with the same SQLSTATE and message.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
SET parproc.chunk_size = 1;
SET parproc.batch_size = 37;	-- several batches per chunk, odd sizes

-- every column cycles through its own list, lengths co-prime, so rows mix
-- NULLs, extremes, NaN, infinities, overflow and malformed text
CREATE TABLE vx_src (i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
					 t text, n text, b text, cat varchar, u text, w text);
INSERT INTO vx_src
SELECT (ARRAY[NULL, 0, 1, -1, 32767, -32768, 182, 300, 7]::int2[])[1 + g % 9],
	   (ARRAY[NULL, 0, 1, -1, 2147483647, -2147483648, 46341, 100000, -7, 3, 12]::int4[])[1 + g % 11],
	   (ARRAY[NULL, 0, 1, -1, 9223372036854775807, -9223372036854775808, 3037000500,
			  42, -5, 4294967296, 123456789012, 2, 17]::int8[])[1 + g % 13],
	   (ARRAY[NULL, 0, '-0', 1.5, 'NaN', 'Infinity', '-Infinity', 3e38, 1e-38, 1e-45, 0.1,
			  -2.5, 16777217, 2147483520, -32768.4, 32767.5, 9.2233715e18]::float4[])[1 + g % 17],
	   (ARRAY[NULL, 0, '-0', 1.5, -2.5, 'NaN', 'Infinity', '-Infinity', 1e308, -1e308, 1e-308,
			  5e-324, 0.1, 1e200, 1e-200, 10, 10.5, 2147483647.5, -2147483648.5, 9.2233720368547758e18,
			  3.4e38, 3.5e38, 1e-46, 32767.5, -32768.5, 2.5, 0.5]::float8[])[1 + g % 27],
	   (ARRAY[NULL, '2024-01-01 00:00:00', '2024-03-10 02:30:00', '2024-11-03 01:30:00',
			  '2024-03-10 01:59:59', '2024-03-10 03:00:00', '2024-11-03 00:59:59.999999',
			  '2024-11-03 02:00:00', '2024-02-29', '2023-02-29', '2024-01-01T12:34:56.5',
			  '2024-01-01 12:34:56+05:30', '2024-01-01 12:34:56-0800', '2024-01-01 12:34:56Z',
			  '2024-01-01 24:00:00', '2016-12-31 23:59:60', 'garbage', '', ' 2024-01-01',
			  '2024-01-01 12:34:56.1234567', '0001-01-01 00:00:00', '9999-12-31 23:59:59',
			  'epoch', 'infinity', '1883-11-18 12:00:00', '10000-01-01', '2024-13-01',
			  '2024-01-01 12:34', '01/02/2024', '2024-01-01 12:34:56 BC',
			  '2024-01-01 12:34:56+15', '2024-01-01 12:34:56+16', '2024-10-06 02:15:00',
			  '2024-04-07 01:45:00', '2014-10-26 01:30:00', '2024-06-30 23:59:59.000001',
			  '1999-12-31 23:59:59', '2000-01-01', '1900-02-28 12:00:00', '2024-1-5',
			  '2024-01-01 12:34:56.', '2024-01-01 12:34:56+05:', '2024-01-01 12:34:56+0530',
			  '2024-01-01 12:60:00', '2024-01-01 12:34:56 +05'])[1 + g % 46],
	   (ARRAY[NULL, '0', '-0', '42', '+7', '2147483648', '-2147483648', '9223372036854775808',
			  ' 12', '1.5', '1e3', '.5', '5.', 'NaN', 'inf', '1e400', '1e-400', 'abc', '', '007',
			  '0x1F', '1_000', '-32768', '32768', '-', '1e', '3.4028236e38', '1e-46',
			  '9223372036854775807', '-9223372036854775808', '123456789012345678',
			  '0.1', '-1.25e-3'])[1 + g % 34],
	   (ARRAY[NULL, 't', 'true', 'f', 'false', 'yes', '1', '0', 'TRUE', 'x', 'on', ' t'])[1 + g % 12],
	   'c' || g % 5,
	   -- text for the text functions: multibyte characters (2, 3 and 4
	   -- bytes), leading and trailing spaces, case, empty strings
	   (ARRAY[NULL, '', ' ', '  padded  ', 'héllo wörld', 'ÉTÉ', '€uro', '😀 emoji 😀',
			  'MiXeD Case 42', 'xxabcxx', E'\t tab \n', 'a', 'abcdefghij', 'ÀÉÎõü', '   ',
			  'yxzzyx', 'Ǆ ǅ ǆ', 'ß straße', 'İstanbul'])[1 + g % 19],
	   -- trim sets: ASCII, empty, and non-ASCII (which kernels leave to PostgreSQL)
	   (ARRAY[NULL, '', ' ', 'x', 'xyz', 'é', ' a'])[1 + g % 7]
FROM generate_series(1, 900) g;

CREATE TABLE vx_res (mode text, r text);
CREATE TABLE vx_err (mode text, c tid, stage text, sqlstate text, message text);
CREATE TABLE vx_report (label text, rows bigint, failed bigint, kernels text,
						rows_on_off bigint, rows_on_select bigint,
						errors_on_off bigint, errors_on_select bigint);

-- rows (or failed rows) of mode a and not of b, and of b and not of a
CREATE FUNCTION vx_diff(a text, b text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM ((SELECT r FROM vx_res WHERE mode = a EXCEPT ALL
						   SELECT r FROM vx_res WHERE mode = b) UNION ALL
						  (SELECT r FROM vx_res WHERE mode = b EXCEPT ALL
						   SELECT r FROM vx_res WHERE mode = a)) d $$;
CREATE FUNCTION vx_err_diff(a text, b text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM ((SELECT c, stage, sqlstate, message FROM vx_err WHERE mode = a
						   EXCEPT ALL
						   SELECT c, stage, sqlstate, message FROM vx_err WHERE mode = b) UNION ALL
						  (SELECT c, stage, sqlstate, message FROM vx_err WHERE mode = b
						   EXCEPT ALL
						   SELECT c, stage, sqlstate, message FROM vx_err WHERE mode = a)) d $$;

-- The pipeline "vx" from src: filter flt, then map sel, run with vectorize on (in
-- batches of 1 and 37 rows) and off (on_error => 'skip'), and the same evaluated row by row by SELECT
-- with an exception block per row; the differences go to vx_report.
CREATE PROCEDURE vx(label text, flt text, sel text, nworkers int DEFAULT 0,
				   src regclass DEFAULT 'vx_src')
LANGUAGE plpgsql AS $$
DECLARE
	enc text;
	vmode text;
	rid bigint;
	row_ record;
	keep boolean;
	st text;
	msg text;
	kern text;
BEGIN
	PERFORM parproc.drop_pipeline('vx') FROM parproc.pipelines WHERE name = 'vx';
	DROP TABLE IF EXISTS vx_out;
	PERFORM parproc.create_pipeline('vx', src, 'vx_out',
		jsonb_build_array(jsonb_build_object('name', 'f', 'filter', flt),
						  jsonb_build_object('name', 'm', 'map', sel)),
		create_target => true);
	SELECT string_agg(CASE atttypid WHEN 'float8'::regtype THEN format('float8send(%I)', attname)
								 WHEN 'float4'::regtype THEN format('float4send(%I)', attname)
								 ELSE format('%I::text', attname) END, ', ' ORDER BY attnum)
	INTO enc FROM pg_attribute WHERE attrelid = 'vx_out'::regclass AND attnum > 0;
	SELECT string_agg(e.mode, ',' ORDER BY e.stage_no, e.column_name) INTO kern
	FROM parproc.explain_pipeline('vx') e;
	DELETE FROM vx_res;
	DELETE FROM vx_err;
	COMMIT;
	-- batches of 1 row check each row alone; batches of 37 rows check that
	-- a batch's rows and errors are the same (in 'skip' mode a failing row
	-- is dropped and the stage goes on from the next row)
	FOREACH vmode IN ARRAY ARRAY['on 1', 'on 37', 'off 37'] LOOP
		PERFORM set_config('parproc.vectorize', split_part(vmode, ' ', 1), false);
		PERFORM set_config('parproc.batch_size', split_part(vmode, ' ', 2), false);
		DELETE FROM vx_out;
		COMMIT;
		SELECT run_id INTO rid FROM parproc.run('vx', workers => nworkers, on_error => 'skip');
		EXECUTE format('INSERT INTO vx_res SELECT %L, ROW(%s)::text FROM vx_out', vmode, enc);
		INSERT INTO vx_err SELECT vmode, source_ctid, stage, sqlstate, message
		FROM parproc.errors WHERE run_id = rid;
		COMMIT;
	END LOOP;
	RESET parproc.vectorize;
	RESET parproc.batch_size;
	FOR row_ IN EXECUTE format('SELECT ctid AS c FROM %s', src) LOOP
		BEGIN
			EXECUTE format('SELECT (%s) FROM %s WHERE ctid = $1', flt, src) INTO keep USING row_.c;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			INSERT INTO vx_err VALUES ('select', row_.c, 'f', st, msg);
			CONTINUE;
		END;
		CONTINUE WHEN keep IS NOT TRUE;
		BEGIN
			EXECUTE format('INSERT INTO vx_res SELECT %L, ROW(%s)::text FROM (SELECT %s FROM %s WHERE ctid = $1) s',
						   'select', enc, sel, src) USING row_.c;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
			INSERT INTO vx_err VALUES ('select', row_.c, 'm', st, msg);
		END;
	END LOOP;
	INSERT INTO vx_report
	SELECT label,
		   (SELECT count(*) FROM vx_res WHERE mode = 'on 1'),
		   (SELECT count(*) FROM vx_err WHERE mode = 'on 1'),
		   kern,
		   vx_diff('on 1', 'off 37') + vx_diff('on 37', 'off 37'),
		   vx_diff('on 1', 'select'),
		   vx_err_diff('on 1', 'off 37') + vx_err_diff('on 37', 'off 37'),
		   vx_err_diff('on 1', 'select');
	COMMIT;
END $$;

SET parproc.max_error_rows = 100000;

-- the benchmark transform, in zones with and without daylight saving time
SET TimeZone = 'UTC';
CALL vx('bench UTC', 'f8 > 10', 'i8, f8 * 2 AS v2, sqrt(f8) AS s, t::timestamptz AS ts, cat');
SET TimeZone = 'America/New_York';
CALL vx('bench New York', 'f8 > 10', 'i8, f8 * 2 AS v2, sqrt(f8) AS s, t::timestamptz AS ts, cat');
-- the same run by a worker, which must take the caller's TimeZone
CALL vx('bench New York, 1 worker', 'f8 > 10', 'i8, f8 * 2 AS v2, sqrt(f8) AS s, t::timestamptz AS ts, cat', 1);

-- text input, under several time zones and date styles
SET DateStyle = 'ISO, MDY';
CALL vx('text ISO MDY New York', 'true', 't::timestamptz AS tz, t::timestamp AS ts, t::date AS d');
CALL vx('text to integers', 'true', 'n::int4 AS i4, n::int8 AS i8, n::int2 AS i2');
CALL vx('text to floats', 'true', 'n::float8 AS f8, n::float4 AS f4');
CALL vx('text to bool', 'true', 'b::bool AS b');
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Australia/Lord_Howe';
CALL vx('text SQL DMY Lord Howe', 'true', 't::timestamptz AS tz, t::timestamp AS ts, t::date AS d');
SET DateStyle = 'German';
SET TimeZone = 'Europe/Moscow';
CALL vx('text German Moscow', 'true', 't::timestamptz AS tz, t::date AS d');
SET DateStyle = 'Postgres, YMD';
SET TimeZone = 'Asia/Kolkata';
CALL vx('text Postgres YMD Kolkata', 'true', 't::timestamptz AS tz, t::timestamp AS ts');
SET TimeZone = '+03:30';
CALL vx('text fixed offset', 'true', 't::timestamptz AS tz');
RESET DateStyle;
SET TimeZone = 'America/New_York';

-- arithmetic: overflow, division by zero, float overflow and underflow
CALL vx('int arithmetic', 'true',
		'i2 + i2 AS a, i2 * i2 AS b, i2 / i2 AS c, i2 % i2 AS d, -i2 AS e, abs(i2) AS f, '
		'i4 + i4 AS g, i4 - i2 AS h, i4 * i4 AS i, i4 / i2 AS j, i4 % i4 AS k, -i4 AS l, '
		'abs(i4) AS m, i8 + i4 AS n, i8 * i8 AS o, i8 / i8 AS p, i8 % i8 AS q, -i8 AS r, '
		'abs(i8) AS s, i2 - i8 AS t, i4 * i8 AS u, i8 / i4 AS v, i2 + i4 AS w');
CALL vx('float arithmetic', 'true',
		'f8 + f8 AS a, f8 - f8 AS b, f8 * f8 AS c, f8 / f8 AS d, -f8 AS e, abs(f8) AS f, '
		'f4 + f4 AS g, f4 - f4 AS h, f4 * f4 AS i, f4 / f4 AS j, -f4 AS k, abs(f4) AS l, '
		'f8 * f4 AS m, f4 / f8 AS n, sqrt(f8) AS o, |/ f8 AS p, f8 * 1e300 AS q, f4 * 1e-30::float4 AS r');
-- float8 functions: domain errors (ln of zero and negative numbers, zero
-- to a negative power, complex powers), overflow, underflow, NaN, infinities
CALL vx('float8 functions', 'true',
		'cbrt(f8) AS a, exp(f8) AS b, exp(f8 / 100) AS c, ln(f8) AS d, log10(f8) AS e, '
		'log(f8) AS f, power(f8, 2) AS g, f8 ^ 0.5 AS h, power(f8, f8) AS i, pow(2, f8) AS j, '
		'power(f8, -1) AS k, floor(f8) AS l, ceil(f8) AS m, ceiling(f8) AS n, round(f8) AS o, '
		'trunc(f8) AS p, round(f4) AS q, exp(-f8) AS r, |/ abs(f8) AS s, ||/ f8 AS t');
CALL vx('float8 functions that do not fail', 'true',
		'cbrt(f8) AS a, floor(f8) AS b, ceil(f8) AS c, round(f8) AS d, trunc(f8) AS e, '
		'round(f4) AS f, trunc(f8 * 1.5) AS g, floor(-f8) AS h, dround(f8) AS i, dtrunc(f8) AS j');
CALL vx('casts', 'true',
		'i4::int2 AS a, i8::int4 AS b, i8::int2 AS c, i2::int8 AS d, f8::int4 AS e, f8::int8 AS f, '
		'f8::int2 AS g, f4::int4 AS h, f4::int8 AS i, f4::int2 AS j, f8::float4 AS k, '
		'f4::float8 AS l, i8::float4 AS m, i8::float8 AS n, i4::float4 AS o, i2::float8 AS p');
CALL vx('logic', 'f8 > f4 OR i4 / i2 > 0',
		'f8 > f4 AS a, f8 = f8 AS b, f8 <> f4 AS c, f4 <= f8 AS d, i4 < i8 AS e, i2 >= i4 AS f, '
		'(f8 > 0 AND i4 > 0) AS g, (f8 > 0 OR i4 / i2 > 0) AS h, NOT (i4 > 0) AS i, '
		'(i2 = 0 AND i4 / i2 > 0) AS j, i4 IS NULL AS k, f8 IS NOT NULL AS l, '
		'coalesce(i4, i2, 0) AS m, coalesce(i8 / i4, -1) AS n, '
		'CASE WHEN i2 = 0 THEN 0 ELSE i4 / i2 END AS o, '
		'CASE i2 WHEN 0 THEN ''zero'' WHEN 1 THEN ''one'' ELSE cat END AS p, '
		'CASE WHEN f8 > 1 THEN f8 * 2 WHEN f8 < 0 THEN sqrt(f8) END AS q');
-- text functions; lower/upper have kernels (for ASCII strings; PostgreSQL
-- maps the others) under collations that map ASCII letters as C does, which
-- Turkish and Azeri do not (I and i)
CALL vx('text length, ||, md5', 'true',
		'length(u) AS a, char_length(u) AS b, character_length(w) AS c, u || w AS d, '
		'u || ''suffix'' AS e, ''prefix'' || u AS f, cat || u AS g, u || '''' AS h, '
		'length(u || w) AS i, md5(u) AS j, md5('''') AS k, md5(u || cat) AS l, '
		'octet_length(u) AS m');
CALL vx('text trims', 'true',
		'btrim(u) AS a, ltrim(u) AS b, rtrim(u) AS c, btrim(u, w) AS d, ltrim(u, w) AS e, '
		'rtrim(u, w) AS f, btrim(u, ''xy'') AS g, trim(both ''x'' from u) AS h, '
		'trim(leading from u) AS i, trim(trailing '' '' from u) AS j, btrim(u, ''é'') AS k, '
		'rtrim(u, E''\t\n '') AS l, length(btrim(u)) AS m, btrim(cat, ''c'') AS n');
CALL vx('text case', 'length(btrim(u)) > 2',
		'lower(u COLLATE "C") AS a, upper(u COLLATE "C") AS b, lower(u COLLATE "POSIX") AS c, '
		'upper(cat COLLATE "C") AS d, lower(u COLLATE "und-x-icu") AS e, '
		'upper(u || w COLLATE "C") AS f, lower(btrim(u) COLLATE "C") AS g, '
		'upper(u COLLATE "en-x-icu") AS h, lower(u COLLATE "tr-x-icu") AS i, '
		'upper(u COLLATE "tr-x-icu") AS j, lower(cat COLLATE "az-x-icu") AS k');
SELECT column_name, mode, detail FROM parproc.explain_pipeline('vx') WHERE kind = 'map';
CALL vx('substr', 'true',
		'substr(u, i4) AS a, substr(u, i4, 3) AS b, substr(u, i4, i4) AS c, '
		'substr(u, i2, i2) AS d, substring(u from 2 for 3) AS e, substring(u from i4) AS f, '
		'substr(u, -1, 3) AS g, substr(u, 0) AS h, substr(u, 3, 2147483647) AS i, '
		'substr(u, 2147483647, 2147483647) AS j, substr(u, 1, 0) AS k, substr(u, -5, 7) AS l, '
		'substr(u, 5) AS m, substr(cat, 2, 1) AS n');
-- a negative length: PostgreSQL's error, through the fallback
CALL vx('substr negative length', 'true', 'substr(u, 2, i4) AS a');
-- kernels and PostgreSQL's evaluator in one stage
CALL vx('mixed', 'i4 <> 0',
		'initcap(cat) AS a, i8 * i4 AS b, n::numeric AS c, t::timestamptz AS d, length(t) AS e, '
		'f8 * 2 AS f');

SELECT * FROM vx_report;

-- which expressions are kernels, and why the others are not
SELECT stage_no, stage, kind, column_name, mode, detail FROM parproc.explain_pipeline('vx');

-- an expression without kernels is named in the reason: the SQL construct,
-- with the operator or the types it involves, else its node type
SELECT parproc.create_pipeline('vx_why', 'vx_src', 'vx_why_out',
	jsonb_build_array(jsonb_build_object('name', 'm', 'map',
		'i4 IN (1, 2) AS a, i4 = ALL (ARRAY[i2, 3]) AS b, greatest(i4, 3) AS c, '
		'i4::text AS d, i4 IS DISTINCT FROM 3 AS e, (i4 > 0) IS NOT TRUE AS f, '
		'nullif(i4, 0) AS g, current_date AS h')),
	create_target => true);
SELECT column_name, mode, detail FROM parproc.explain_pipeline('vx_why');
SELECT parproc.drop_pipeline('vx_why');
DROP TABLE vx_why_out;

-- kernels read their columns straight from the page, without a slot: tuple
-- layouts that test that reader (NULL bitmaps, alignment after varlenas,
-- short and 4-byte varlena headers, a dropped column, attributes added
-- after rows were stored, compressed and out-of-line values)
CREATE TABLE vx_lay (a text, b int8, c int2, d float8, e text, f int4, x int2);
INSERT INTO vx_lay
SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE repeat('a', g % 5) END,
	   CASE WHEN g % 5 = 0 THEN NULL ELSE g END, g % 300,
	   CASE WHEN g % 11 = 0 THEN NULL ELSE g / 3.0 END,
	   CASE WHEN g % 13 = 0 THEN NULL WHEN g % 17 = 0 THEN repeat('long', 40) ELSE 'e' || g END,
	   CASE WHEN g % 3 = 0 THEN NULL ELSE g * 10 END, g % 2
FROM generate_series(1, 500) g;
ALTER TABLE vx_lay DROP COLUMN c;
ALTER TABLE vx_lay ADD COLUMN h int8 DEFAULT 7, ADD COLUMN i text DEFAULT 'dflt';
INSERT INTO vx_lay (a, b, d, e, f, x, h, i)
SELECT 'z' || g, g, g * 1.5, CASE WHEN g % 4 = 0 THEN NULL ELSE 'n' || g END, g, 1,
	   CASE WHEN g % 6 = 0 THEN NULL ELSE -g END, CASE WHEN g % 9 = 0 THEN NULL ELSE 'i' || g END
FROM generate_series(1, 300) g;
-- compressed, and stored out of line
INSERT INTO vx_lay (a, b, d, e, f, x, h, i)
SELECT repeat('c', 5000 + g), g, g, repeat('zz', 3000), g, 1, g,
	   (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 200) k)
FROM generate_series(1, 20) g;
CALL vx('tuple layouts', 'b IS NULL OR b % 3 <> 1 OR x = 1',
		'length(a) AS la, b * 2 AS b2, d + 1 AS d1, e, length(e) AS le, f - 1 AS f1, '
		'h + 1 AS h1, i, length(i) AS li, a', 0, 'vx_lay');
CALL vx('tuple layouts, one column', 'h > 0', 'h * 3 AS h3', 0, 'vx_lay');
SELECT * FROM vx_report WHERE label LIKE 'tuple layouts%';

-- text input fuzzed: valid numbers, booleans, dates and timestamps with
-- one to three random edits (a character replaced, inserted or deleted,
-- from the characters the parsers look at), converted by the kernels and
-- by PostgreSQL's input functions, one type per pipeline so that every
-- row's value or error is compared
CREATE FUNCTION vx_mutate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	alpha text := '0123456789-:. +TZeEinfatyo/';
	p int;
	c text;
BEGIN
	FOR k IN 1..1 + floor(random() * 3)::int LOOP
		p := floor(random() * (length(s) + 1))::int;
		c := substr(alpha, 1 + floor(random() * length(alpha))::int, 1);
		s := CASE floor(random() * 3)::int
				WHEN 0 THEN overlay(s placing c from p + 1 for 1)
				WHEN 1 THEN overlay(s placing c from p + 1 for 0)
				ELSE overlay(s placing '' from p + 1 for 1) END;
	END LOOP;
	RETURN s;
END $$;
SELECT setseed(0.25);
CREATE TABLE vx_fuzz AS
SELECT CASE WHEN g % 4 = 0 THEN b ELSE vx_mutate(b) END AS t
FROM generate_series(1, 2000) g,
	 LATERAL (SELECT (ARRAY['2024-03-10 02:30:00', '2024-11-03 01:30:00.5', '1999-12-31 23:59:59',
						   '2024-02-29', '2024-01-01T12:34:56+05:30', '2000-01-01 00:00:00Z',
						   '-123', '+42', '4.5e-3', '1.5', '9223372036854775807', '2147483647',
						   '-32768', 'NaN', '1e308', '-Infinity', 'true', 'off', 'yes']
					  )[1 + (g * 7919) % 19] AS b) x;
SET TimeZone = 'America/New_York';
DO $$
DECLARE
	typ text;
BEGIN
	FOREACH typ IN ARRAY ARRAY['int2', 'int4', 'int8', 'float4', 'float8', 'bool', 'date',
							   'timestamp', 'timestamptz'] LOOP
		CALL vx('fuzzed text to ' || typ, 'true', format('t::%s AS v', typ), 0, 'vx_fuzz');
	END LOOP;
END $$;
-- every kind of row: parsed, and failed with PostgreSQL's errors
SELECT label, rows + failed = 2000 AS all_rows, rows > 0 AS some_parsed, failed > 0 AS some_failed,
	   rows_on_off, rows_on_select, errors_on_off, errors_on_select
FROM vx_report WHERE label LIKE 'fuzzed%' ORDER BY label;
SET parproc.vectorize = off;
SELECT DISTINCT mode, detail FROM parproc.explain_pipeline('vx');
RESET parproc.vectorize;

-- on_error => 'abort': the run fails with the error that row-at-a-time
-- evaluation raises first: row by row, and column by column within a row
-- (kernels compute a whole column first, so this is the ordering to get right)
\set VERBOSITY terse
SELECT parproc.drop_pipeline('vx');
DROP TABLE vx_out;
CREATE TABLE vx_ord (i4 int4, t text);
INSERT INTO vx_ord VALUES (1, '2024-01-01'), (1, 'garbage'), (2147483647, '2024-01-01');
INSERT INTO vx_ord VALUES (2147483647, 'garbage');
CREATE TABLE vx_out (a int4, b timestamptz);
SELECT parproc.create_pipeline('vx', 'vx_ord', 'vx_out',
	'[{"name": "m", "map": "i4 * i4 AS a, t::timestamptz AS b"}]');
SELECT state FROM parproc.run('vx', workers => 0);
SET parproc.vectorize = off;
SELECT state FROM parproc.run('vx', workers => 0);
RESET parproc.vectorize;
SELECT parproc.drop_pipeline('vx');
DELETE FROM vx_ord WHERE t = 'garbage' AND i4 = 1;
SELECT parproc.create_pipeline('vx', 'vx_ord', 'vx_out',
	'[{"name": "m", "map": "i4 * i4 AS a, t::timestamptz AS b"}]');
SELECT state FROM parproc.run('vx', workers => 0);
SET parproc.vectorize = off;
SELECT state FROM parproc.run('vx', workers => 0);
RESET parproc.vectorize;
SELECT parproc.drop_pipeline('vx');
DELETE FROM vx_ord WHERE t = '2024-01-01' AND i4 = 2147483647;
SELECT parproc.create_pipeline('vx', 'vx_ord', 'vx_out',
	'[{"name": "m", "map": "t::timestamptz AS b, i4 * i4 AS a"}]');
SELECT state FROM parproc.run('vx', workers => 0);
SET parproc.vectorize = off;
SELECT state FROM parproc.run('vx', workers => 0);
RESET parproc.vectorize;
SELECT parproc.drop_pipeline('vx');

\set VERBOSITY default

-- parproc.vectorize reaches the workers: with 2 workers doing every chunk,
-- stage_stats counts the values kernels computed (on) or none (off); the
-- numeric cast has no kernel, so PostgreSQL's evaluator computes it either way
SELECT parproc.create_pipeline('vk', 'vx_src', 'vk_out',
	'[{"name": "f", "filter": "f8 > 10"},
	  {"name": "m", "map": "i8, f8 / 2 AS h, i8::numeric AS c"}]', create_target => true);
CREATE TABLE vk_runs (mode text, run_id bigint);
SET parproc.vectorize = on;
INSERT INTO vk_runs SELECT 'on', run_id FROM parproc.run('vk', workers => 2);
SET parproc.vectorize = off;
INSERT INTO vk_runs SELECT 'off', run_id FROM parproc.run('vk', workers => 2);
RESET parproc.vectorize;
SELECT v.mode, s.stage, s.name, s.rows_in, s.rows_out, s.kernel_values, s.evaluator_values,
	   s.kernel_values = CASE WHEN v.mode = 'off' THEN 0
							  WHEN s.name = 'f' THEN s.rows_in ELSE s.rows_out END
		   AS kernels_as_expected,
	   -- the time reading columns for kernels and running them is part of
	   -- the stage's, and none without kernels
	   CASE WHEN v.mode = 'off' THEN s.deform_ms = 0 AND s.kernel_ms = 0
			ELSE s.deform_ms >= 0 AND s.kernel_ms >= 0 AND s.deform_ms + s.kernel_ms <= s.time_ms
	   END AS kernel_time_in_stage_time
FROM vk_runs v JOIN parproc.stage_stats s USING (run_id) ORDER BY v.mode DESC, s.stage;
-- reading, evaluating and writing are parts of a participant's time in
-- chunks (each chunk's busy time may round down by a microsecond), and a
-- participant that wrote rows wrote WAL
SELECT v.mode, count(*) AS participants,
	   bool_and(w.read_ms >= 0 AND w.eval_ms >= 0 AND w.write_ms >= 0 AND
				w.read_ms + w.eval_ms + w.write_ms <= w.busy_ms + w.chunks * 0.001)
		   AS parts_of_busy_ms,
	   bool_and((w.wal_bytes > 0) = (w.rows > 0)) AS wal_if_rows
FROM vk_runs v JOIN parproc.worker_stats w USING (run_id) GROUP BY v.mode ORDER BY v.mode DESC;
-- the workers (1 and 2) read every row, the coordinator (0) none
SELECT v.mode, r.workers_used,
	   (SELECT sum(w.rows) FROM parproc.worker_stats w
		WHERE w.run_id = v.run_id AND w.worker > 0) AS worker_rows,
	   (SELECT coalesce(sum(w.rows), 0) FROM parproc.worker_stats w
		WHERE w.run_id = v.run_id AND w.worker = 0) AS coordinator_rows,
	   (SELECT count(*) FROM vx_src) AS source_rows
FROM vk_runs v JOIN parproc.runs r USING (run_id) ORDER BY v.mode DESC;
SELECT parproc.drop_pipeline('vk');
DROP TABLE vk_out, vk_runs;

-- on_error => 'skip' with a few bad rows among good ones: the batches that
-- hold them are still evaluated by the kernels, and only the flagged values
-- of the bad rows by PostgreSQL's evaluator (which raises their errors); the
-- rows written and the errors are those of each row alone (ISO dates: the
-- kernels read ISO forms; pg_regress's DateStyle writes Postgres forms)
SET DateStyle = 'ISO, MDY';
CREATE TABLE vd_src (id int, v float8, t text);
INSERT INTO vd_src SELECT g, g / 4.0,
	CASE WHEN g % 1000 = 7 THEN 'not a time ' || g ELSE (timestamp '2024-03-01' + g * interval '1 minute')::text END
FROM generate_series(1, 5000) g;
SELECT parproc.create_pipeline('vd', 'vd_src', 'vd_out',
	'[{"name": "m", "map": "id, v * 2 AS v2, t::timestamptz AS ts"}]', create_target => true);
CREATE TABLE vd_runs (workers int, run_id bigint);
INSERT INTO vd_runs SELECT 0, run_id FROM parproc.run('vd', workers => 0, on_error => 'skip');
SELECT v.workers, r.rows_written, r.rows_failed, s.kernel_values, s.evaluator_values,
	   s.kernel_values = 2 * r.rows_written + r.rows_failed AND s.evaluator_values = r.rows_failed
		   AS only_bad_values_evaluated
FROM vd_runs v JOIN parproc.runs r USING (run_id) JOIN parproc.stage_stats s USING (run_id);
SELECT (SELECT array_agg((row->>'id')::int ORDER BY (row->>'id')::int) FROM parproc.errors e
		JOIN vd_runs USING (run_id)) AS failed_ids,
	   (SELECT DISTINCT stage || ': ' || sqlstate FROM parproc.errors JOIN vd_runs USING (run_id)) AS error,
	   (SELECT count(*) FROM ((TABLE vd_out EXCEPT ALL
							   SELECT id, v * 2, t::timestamptz FROM vd_src WHERE id % 1000 <> 7)
							  UNION ALL
							  (SELECT id, v * 2, t::timestamptz FROM vd_src WHERE id % 1000 <> 7
							   EXCEPT ALL TABLE vd_out)) d) AS differences;
-- the same with 2 workers
TRUNCATE vd_out, vd_runs;
INSERT INTO vd_runs SELECT 2, run_id FROM parproc.run('vd', workers => 2, on_error => 'skip');
SELECT v.workers, r.rows_written, r.rows_failed, s.kernel_values = 2 * r.rows_written + r.rows_failed
		   AND s.evaluator_values = r.rows_failed AS only_bad_values_evaluated,
	   (SELECT count(*) FROM parproc.errors e WHERE e.run_id = v.run_id) AS errors,
	   (SELECT count(*) FROM vd_out) AS written
FROM vd_runs v JOIN parproc.runs r USING (run_id) JOIN parproc.stage_stats s USING (run_id);
SELECT parproc.drop_pipeline('vd');
DROP TABLE vd_src, vd_out, vd_runs;
RESET DateStyle;

-- dry_run evaluates and counts without writing
SELECT parproc.create_pipeline('vx', 'vx_src', 'vx_out',
	'[{"name": "f", "filter": "f8 > 10"}, {"name": "m", "map": "i2 + 1 AS a"}]');
SELECT rows_read, rows_out, (SELECT count(*) FROM vx_src WHERE f8 > 10) AS expected
FROM parproc.dry_run('vx');
SELECT count(*) FROM vx_out;

SELECT parproc.drop_pipeline('vx');
DROP TABLE vx_src, vx_lay, vx_fuzz, vx_ord, vx_out, vx_res, vx_err, vx_report;
DROP PROCEDURE vx;
DROP FUNCTION vx_mutate;
DROP FUNCTION vx_diff, vx_err_diff;
RESET TimeZone;
