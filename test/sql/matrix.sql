-- parproc.cov_matrix and corr_matrix: every element against core's
-- covar_samp and corr of the pair, serial, forced parallel and grouped
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;
CREATE TABLE m (g int, a float8, b float8, c float8, d float8);
SELECT setseed(0.25) \gset
-- c is far from zero (1e9 + noise): sums of raw products would lose it
INSERT INTO m
SELECT i % 3, r1, r1 + 0.5 * r2, 1e9 - 3 * r2 + r3, (i * 7919 % 10007) / 100.0
FROM (SELECT i, random() r1, random() r2, random() r3 FROM generate_series(1, 20000) i) s;
-- a NULL element leaves its row out (core's pairs leave out a row where
-- either value is NULL; here the row goes for every pair)
INSERT INTO m VALUES (0, NULL, 1, 2, 3), (1, 5, NULL, 7, 8), (2, NULL, NULL, NULL, NULL);
ANALYZE m;

-- the largest difference from core over all 16 pairs, over the rows
-- without NULLs, covariances relative to their scale sqrt(var_i var_j).
-- Core's pairs get c - 1e9 (exact in float8): far from zero they lose
-- digits (covar_samp(a, c) is off by 2e-7 relative here), and the
-- covariances do not change with a shift
CREATE FUNCTION worst(source text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	names text[] := ARRAY['a', 'b', '(c - 1e9)', 'd'];
	cv float8[];
	cr float8[];
	ocv float8;
	ocr float8;
	w float8 := 0;
BEGIN
	EXECUTE format('SELECT parproc.cov_matrix(ARRAY[a, b, c, d]), parproc.corr_matrix(ARRAY[a, b, c, d]) FROM (%s) s',
				   source) INTO cv, cr;
	FOR i IN 1..4 LOOP
		FOR j IN 1..4 LOOP
			EXECUTE format('SELECT covar_samp(%1$s, %2$s), corr(%1$s, %2$s) FROM (%3$s) s
							WHERE a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL AND d IS NOT NULL',
						   names[i], names[j], source) INTO ocv, ocr;
			w := greatest(w, abs(cv[i][j] - ocv) / sqrt(cv[i][i] * cv[j][j]), abs(cr[i][j] - ocr));
		END LOOP;
	END LOOP;
	RETURN w;
END $$;

SELECT worst('SELECT * FROM m') < 1e-10 AS serial;
-- against exact numeric arithmetic where core's own pair loses digits
WITH r AS (SELECT a::text::numeric a, (c - 1e9)::text::numeric c FROM m
		   WHERE a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL AND d IS NOT NULL),
	 exact AS (SELECT sum((a - ma) * (c - mc)) / (n - 1) AS cov
			   FROM r, (SELECT avg(a) ma, avg(c) mc, count(*) n FROM r) mu GROUP BY n)
SELECT abs(mine::numeric / cov - 1) < 1e-14 AS far_from_zero_exact, abs(core::numeric / cov - 1) < 1e-14 AS core_exact
FROM exact, (SELECT (parproc.cov_matrix(ARRAY[a, b, c, d]))[1][3] mine, covar_samp(a, c) core FROM m
			 WHERE a IS NOT NULL AND b IS NOT NULL AND c IS NOT NULL AND d IS NOT NULL) x;
SELECT array_dims(parproc.cov_matrix(ARRAY[a, b, c, d])), (parproc.corr_matrix(ARRAY[a, b, c, d]))[3][3] FROM m;

-- forced parallel: partial states from the workers, merged
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT parproc.corr_matrix(ARRAY[a, b, c, d]) FROM m;
SELECT worst('SELECT * FROM m') < 1e-10 AS parallel;
-- grouped, in parallel
EXPLAIN (COSTS OFF) SELECT g, parproc.cov_matrix(ARRAY[a, c]) FROM m GROUP BY g;
SELECT g, abs(cv[1][2] - ocv) / sqrt(cv[1][1] * cv[2][2]) < 1e-10 AS cov_close, abs(cr[2][1] - ocr) < 1e-10 AS corr_close
FROM (SELECT g, parproc.cov_matrix(ARRAY[a, c]) cv, parproc.corr_matrix(ARRAY[a, c]) cr FROM m GROUP BY g) mine
JOIN (SELECT g, covar_samp(a, c - 1e9) ocv, corr(a, c - 1e9) ocr FROM m GROUP BY g) core USING (g)
ORDER BY g;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- one column: the variance, and a correlation of 1
SELECT abs((parproc.cov_matrix(ARRAY[a]))[1][1] / var_samp(a) - 1) < 1e-14 AS var_samp, parproc.corr_matrix(ARRAY[a])
FROM m WHERE b IS NOT NULL;
-- few rows: no covariance below two rows (covar_samp gives NULL), no
-- correlation without rows, NULL correlations for a column without variance
SELECT parproc.cov_matrix(x), parproc.corr_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[])) v(x);
SELECT parproc.cov_matrix(x), parproc.corr_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[2, 2])) v(x);
SELECT parproc.cov_matrix(x), parproc.corr_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[])) v(x) WHERE false;
SELECT parproc.cov_matrix(x), parproc.corr_matrix(x) FROM (VALUES (NULL::float8[]), (ARRAY[1, NULL])) v(x);
-- NaN and Infinity make their column's results NaN, as in core; the
-- others are as without them
SELECT parproc.cov_matrix(x), parproc.corr_matrix(x)
FROM (VALUES ('{1, 1, NaN}'::float8[]), ('{2, 3, 1}'), ('{4, 4, Infinity}')) v(x);
SELECT covar_samp(a, b), corr(a, b), covar_samp(a, c), corr(a, c)
FROM (VALUES (1, 1, 'NaN'::float8), (2, 3, 1), (4, 4, 'Infinity')) v(a, b, c);
-- errors
SELECT parproc.cov_matrix(x) FROM (VALUES (ARRAY[1, 2]::float8[]), (ARRAY[1, 2, 3])) v(x);
SELECT parproc.cov_matrix(ARRAY[[1, 2], [3, 4]]::float8[]);
SELECT parproc.cov_matrix('{}'::float8[]);
SELECT parproc.cov_matrix(array_fill(1::float8, ARRAY[1001]));
-- a partial state through its text form, as Citus moves it
CREATE AGGREGATE comoments_state(float8[]) (SFUNC = parproc.comoments_accum, STYPE = parproc.agg_state);
SELECT bool_and(abs(p - q) < 1e-12) AS text_round_trip
FROM (SELECT comoments_state(ARRAY[a, b]) s1 FROM m WHERE g = 0 AND c IS NOT NULL) x,
	 (SELECT comoments_state(ARRAY[a, b]) s2 FROM m WHERE g = 1 AND c IS NOT NULL) y,
	 unnest(parproc.corr_matrix_final(parproc.comoments_union(s1::text::parproc.agg_state, s2::text::parproc.agg_state)),
			(SELECT parproc.corr_matrix(ARRAY[a, b]) FROM m WHERE g < 2 AND c IS NOT NULL)) u(p, q);
-- a matrix state cut short
SELECT 'Y292MQIAAAA='::parproc.agg_state;
