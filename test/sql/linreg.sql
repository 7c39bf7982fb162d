-- parproc.linreg and linreg_predict: against core's regr_* for one
-- column, against the normal equations solved in numeric arithmetic for
-- many, against NIST's certified values for Longley's data; serial,
-- forced parallel and grouped
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS parproc;
RESET client_min_messages;

-- Values are multiples of 2^-20 below 2^32, exact in float8 and in
-- numeric, so that the numeric oracle sees exactly the rows linreg sees.
-- x3 is far from zero (1e9 + noise): raw sums of products lose it.
CREATE TABLE lr (g int, x1 numeric, x2 numeric, x3 numeric, x4 numeric, y numeric);
SELECT setseed(0.5) \gset
INSERT INTO lr
SELECT i % 3, x1, x2, x3, x4,
	   round((1.5 + 2 * x1 - 0.75 * x2 + 0.25 * (x3 - 1e9) + 0.01 * x4) * 1048576 + e)::numeric * 0.00000095367431640625
FROM (SELECT i, round(random() * 1048576)::numeric * 0.00000095367431640625 x1,
			 round((random() + random()) * 1048576)::numeric * 0.00000095367431640625 x2,
			 1e9 + round(random() * 1024)::numeric * 0.0009765625 x3,
			 round(random() * 1048576)::numeric * 0.00000095367431640625 x4,
			 (random() - 0.5) * 1048576 AS e
	  FROM generate_series(1, 20000) i) s;
-- rows with a NULL are left out
INSERT INTO lr VALUES (0, NULL, 1, 2, 3, 4), (1, 1, 2, 3, 4, NULL);
CREATE VIEW lrf AS
SELECT g, x1::float8 x1, x2::float8 x2, x3::float8 x3, x4::float8 x4, y::float8 y FROM lr;
ANALYZE lr;

-- The oracle: ordinary least squares of y on the columns xs (numeric
-- expressions over table tab, a row of them NULL: left out) by the normal
-- equations, exact sums, Gauss-Jordan elimination at 60 decimal places
-- (every value carries 60: numeric's division keeps its operands' scale,
-- and only 16 significant digits beyond them).
-- Returns coef, std_err, r2, adj_r2, rmse; intercept: whether xs has a
-- constant column (R² then centred).
CREATE FUNCTION ols(tab text, y text, xs text[], intercept boolean,
					OUT coef numeric[], OUT std_err numeric[], OUT r2 numeric,
					OUT adj_r2 numeric, OUT rmse numeric, OUT df numeric)
LANGUAGE plpgsql AS $$
DECLARE
	k int := array_length(xs, 1);
	sums text := 'count(*), sum(y * y), sum(y)';
	r numeric[];
	n numeric;
	a numeric[];			-- k x (2k + 1): [XᵀX | I | Xᵀy]
	w int := 2 * k + 1;
	piv int;
	t numeric;
	rss numeric;
	tss numeric;
BEGIN
	FOR i IN 1..k LOOP
		FOR j IN 1..k LOOP
			sums := sums || format(', sum(x[%s] * x[%s])', i, j);
		END LOOP;
		sums := sums || format(', sum(x[%s] * y)', i);
	END LOOP;
	EXECUTE format('SELECT ARRAY[%s] FROM (SELECT %s AS y, ARRAY[%s] AS x FROM %s) s
					WHERE y IS NOT NULL AND array_position(x, NULL) IS NULL',
				   sums, y, array_to_string(xs, ', '), tab) INTO r;
	n := r[1];
	a := array_fill(0::numeric, ARRAY[k * w]);
	FOR i IN 1..k LOOP
		FOR j IN 1..k LOOP
			a[(i - 1) * w + j] := round(r[3 + (i - 1) * (k + 1) + j], 60);
		END LOOP;
		a[(i - 1) * w + k + i] := 1;
		a[(i - 1) * w + w] := r[3 + (i - 1) * (k + 1) + k + 1];
	END LOOP;
	FOR c IN 1..k LOOP
		piv := c;
		FOR i IN c + 1..k LOOP
			IF abs(a[(i - 1) * w + c]) > abs(a[(piv - 1) * w + c]) THEN
				piv := i;
			END IF;
		END LOOP;
		FOR j IN 1..w LOOP
			t := a[(c - 1) * w + j];
			a[(c - 1) * w + j] := a[(piv - 1) * w + j];
			a[(piv - 1) * w + j] := t;
		END LOOP;
		t := a[(c - 1) * w + c];
		FOR j IN 1..w LOOP
			a[(c - 1) * w + j] := round(a[(c - 1) * w + j] / t, 60);
		END LOOP;
		FOR i IN 1..k LOOP
			IF i <> c THEN
				t := a[(i - 1) * w + c];
				FOR j IN 1..w LOOP
					a[(i - 1) * w + j] := round(a[(i - 1) * w + j] - t * a[(c - 1) * w + j], 60);
				END LOOP;
			END IF;
		END LOOP;
	END LOOP;
	coef := ARRAY[]::numeric[];
	rss := r[2];
	FOR i IN 1..k LOOP
		coef := coef || a[(i - 1) * w + w];
		rss := rss - a[(i - 1) * w + w] * r[3 + (i - 1) * (k + 1) + k + 1];
	END LOOP;
	df := n - k;
	std_err := ARRAY[]::numeric[];
	FOR i IN 1..k LOOP
		std_err := std_err || sqrt(round(rss / df * a[(i - 1) * w + k + i], 60));
	END LOOP;
	tss := CASE WHEN intercept THEN r[2] - r[3] * r[3] / n ELSE r[2] END;
	r2 := 1 - rss / tss;
	adj_r2 := 1 - (1 - r2) * (n - intercept::int) / df;
	rmse := sqrt(round(rss / n, 60));
END $$;

-- The two-sided tail of Student's t with df degrees of freedom, by the
-- finite series of Abramowitz and Stegun 26.7.3 (even df) and 26.7.4 (odd)
CREATE FUNCTION t_tail(t float8, df int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
	th numeric := atan(abs(t) / sqrt(df));
	c2 numeric := cos(th) ^ 2;
	term numeric := 1;
	s numeric := 1;
BEGIN
	IF df % 2 = 0 THEN
		FOR k IN 1..df / 2 - 1 LOOP
			term := round(term * c2 * (2 * k - 1) / (2 * k), 40);
			s := s + term;
		END LOOP;
		RETURN 1 - sin(th) * s;
	END IF;
	s := 0;
	IF df > 1 THEN
		term := cos(th);
		s := term;
		FOR k IN 1..(df - 3) / 2 LOOP
			term := round(term * c2 * (2 * k) / (2 * k + 1), 40);
			s := s + term;
		END LOOP;
	END IF;
	RETURN 1 - 2 / pi() * (th + sin(th) * s);
END $$;

-- The largest relative difference of two arrays, relative to each
-- element or, for values near zero, to scale[i]
CREATE FUNCTION worst(a float8[], b numeric[], scale numeric[] DEFAULT NULL) RETURNS float8
LANGUAGE sql AS $$
	SELECT max(abs(x - y::float8) / greatest(abs(y), coalesce(s, 0)))
	FROM unnest(a, b, coalesce(scale, b)) u(x, y, s)
$$;

-- one column and an intercept: core's regr_slope, regr_intercept, regr_r2
SELECT abs((r).coef[2] / regr_slope - 1) < 1e-12 AS slope,
	   abs((r).coef[1] / regr_intercept - 1) < 1e-12 AS intercept,
	   abs((r).r2 / regr_r2 - 1) < 1e-12 AS r2, (r).n = regr_count AS n
FROM (SELECT parproc.linreg(y, ARRAY[1, x1]) r, regr_slope(y, x1), regr_intercept(y, x1),
			 regr_r2(y, x1), regr_count(y, x1) FROM lrf) s;

-- four columns and an intercept, against the oracle: coefficients and
-- standard errors to 1e-9 relative (the coefficients relative to their
-- standard errors where smaller), R², adjusted R², root mean square
CREATE TABLE oracle AS
SELECT * FROM ols('lr', 'y', ARRAY['1', 'x1', 'x2', 'x3', 'x4'], true);
CREATE FUNCTION check_fit(r parproc.linreg_result) RETURNS TABLE (coef boolean, std_err boolean, t_stat boolean, r2 boolean, adj_r2 boolean, rmse boolean, n bigint)
LANGUAGE sql AS $$
	SELECT worst(r.coef, o.coef, o.std_err) < 1e-9, worst(r.std_err, o.std_err) < 1e-9,
		   worst(r.t_stat, (SELECT array_agg(c / s) FROM unnest(o.coef, o.std_err) u(c, s))) < 1e-9,
		   abs(r.r2 - o.r2::float8) < 1e-12, abs(r.adj_r2 - o.adj_r2::float8) < 1e-12,
		   abs(r.rmse / o.rmse::float8 - 1) < 1e-12, r.n
	FROM oracle o
$$;
SELECT (check_fit(parproc.linreg(y, ARRAY[1, x1, x2, x3, x4]))).* FROM lrf;
-- the p-values against Student's t (only where p > 1e-9: below it the
-- series' 1 - sum keeps too few digits)
SELECT bool_and(CASE WHEN p > 1e-9 THEN abs(p / t_tail(t, (n - 5)::int) - 1) < 1e-8
					ELSE t_tail(t, (n - 5)::int) < 1e-9 END) AS p_value,
	   count(*) FILTER (WHERE p > 1e-9) AS checked, bool_and(p BETWEEN 0 AND 1) AS in_range
FROM (SELECT (r).n, unnest((r).p_value) p, unnest((r).t_stat) t
	  FROM (SELECT parproc.linreg(y, ARRAY[1, x1, x2, x3, x4]) r FROM lrf) s) u;

-- forced parallel: partial states from the workers, merged
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT parproc.linreg(y, ARRAY[1, x1, x2, x3, x4]) FROM lrf;
SELECT (check_fit(parproc.linreg(y, ARRAY[1, x1, x2, x3, x4]))).* FROM lrf;
-- grouped, in parallel: each group against regr_* of one column
EXPLAIN (COSTS OFF) SELECT g, parproc.linreg(y, ARRAY[1, x3]) FROM lrf GROUP BY g;
SELECT g, abs((r).coef[2] / regr_slope - 1) < 1e-9 AS slope, abs((r).r2 / regr_r2 - 1) < 1e-9 AS r2
FROM (SELECT g, parproc.linreg(y, ARRAY[1, x3]) r FROM lrf GROUP BY g) mine
JOIN (SELECT g, regr_slope(y::float8, (x3 - 1e9)::float8), regr_r2(y::float8, (x3 - 1e9)::float8)
	  FROM lr GROUP BY g) core USING (g)
ORDER BY g;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- through the origin (no constant column): the oracle, R² uncentred
TRUNCATE oracle;
INSERT INTO oracle SELECT * FROM ols('lr', 'y', ARRAY['x1', 'x2', 'x4'], false);
SELECT (check_fit(parproc.linreg(y, ARRAY[x1, x2, x4]))).* FROM lrf;

-- Longley's data, NIST StRD: certified coefficients and standard errors
-- to 15 digits (www.itl.nist.gov/div898/strd/lls/data/Longley.shtml); a
-- hard case, XᵀX's condition number near 1e19
CREATE TABLE longley (y float8, x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8);
INSERT INTO longley VALUES
(60323, 83.0, 234289, 2356, 1590, 107608, 1947), (61122, 88.5, 259426, 2325, 1456, 108632, 1948),
(60171, 88.2, 258054, 3682, 1616, 109773, 1949), (61187, 89.5, 284599, 3351, 1650, 110929, 1950),
(63221, 96.2, 328975, 2099, 3099, 112075, 1951), (63639, 98.1, 346999, 1932, 3594, 113270, 1952),
(64989, 99.0, 365385, 1870, 3547, 115094, 1953), (63761, 100.0, 363112, 3578, 3350, 116219, 1954),
(66019, 101.2, 397469, 2904, 3048, 117388, 1955), (67857, 104.6, 419180, 2822, 2857, 118734, 1956),
(68169, 108.4, 442769, 2936, 2798, 120445, 1957), (66513, 110.8, 444546, 4681, 2637, 121950, 1958),
(68655, 112.6, 482704, 3813, 2552, 123366, 1959), (69564, 114.2, 502601, 3931, 2514, 125368, 1960),
(69331, 115.7, 518173, 4806, 2572, 127852, 1961), (70551, 116.9, 554894, 4007, 2827, 130081, 1962);
CREATE TABLE longley_certified (coef numeric[], std_err numeric[], rmse numeric, r2 numeric);
INSERT INTO longley_certified VALUES (
	ARRAY[-3482258.63459582, 15.0618722713733, -0.358191792925910E-01, -2.02022980381683,
		  -1.03322686717359, -0.511041056535807E-01, 1829.15146461355],
	ARRAY[890420.383607373, 84.9149257747669, 0.334910077722432E-01, 0.488399681651699,
		  0.214274163161675, 0.226073200069370, 455.478499142212],
	304.854073561965, 0.995479004577296);
SELECT worst((r).coef, c.coef) < 1e-7 AS coef_7_digits, worst((r).std_err, c.std_err) < 1e-7 AS std_err_7_digits,
	   abs((r).r2 / c.r2::float8 - 1) < 1e-10 AS r2, abs(sqrt((r).rmse ^ 2 * 16 / 9) / c.rmse::float8 - 1) < 1e-7 AS residual_sd,
	   (SELECT bool_and(abs(p / t_tail(t, 9) - 1) < 1e-9) FROM unnest((r).p_value, (r).t_stat) u(p, t)) AS p_value,
	   -log(worst((r).coef, c.coef)) >= 10 AS coef_10_digits
FROM (SELECT parproc.linreg(y, ARRAY[1, x1, x2, x3, x4, x5, x6]) r FROM longley) s, longley_certified c;
-- the oracle agrees with NIST (the data as typed here are NIST's)
SELECT worst(o.coef::float8[], c.coef) < 1e-13 AS oracle_certified
FROM ols('longley', 'y::numeric', ARRAY['1', 'x1::numeric', 'x2::numeric', 'x3::numeric', 'x4::numeric',
										'x5::numeric', 'x6::numeric'], true) o, longley_certified c;

-- collinear columns: the later is dropped (NULL), the rest as without it
SELECT (r).coef[4] IS NULL AND (r).std_err[4] IS NULL AND (r).p_value[4] IS NULL AS dropped,
	   worst((r).coef[1:3], (q).coef::numeric[]) < 1e-9 AS same_coef,
	   worst((r).std_err[1:3], (q).std_err::numeric[]) < 1e-9 AS same_std_err
FROM (SELECT parproc.linreg(y, ARRAY[1, x1, x2, x1 + 2 * x2]) r, parproc.linreg(y, ARRAY[1, x1, x2]) q FROM lrf) s;
-- a second constant column is collinear with the first
SELECT (parproc.linreg(y, ARRAY[1, x1, 2])).coef[3] IS NULL AS second_constant_dropped FROM lrf;
-- a zero column is dropped
SELECT (parproc.linreg(y, ARRAY[1, 0, x1])).coef[2] IS NULL AS zero_dropped FROM lrf;

-- the condition number of XᵀX for two columns, in closed form
SELECT abs(cn / ((tr + sqrt(tr * tr - 4 * det)) / (tr - sqrt(tr * tr - 4 * det)))::float8 - 1) < 1e-6 AS condition_number
FROM (SELECT (parproc.linreg(y::float8, ARRAY[1, x1::float8])).condition_number cn,
			 count(*)::numeric + sum(x1 * x1) tr, count(*) * sum(x1 * x1) - sum(x1) ^ 2 det
	  FROM lr WHERE y IS NOT NULL AND x1 IS NOT NULL) s;

CREATE FUNCTION round_all(float8[]) RETURNS numeric[] LANGUAGE sql AS
$$ SELECT array_agg(round(v::numeric, 12)) FROM unnest($1) v $$;
-- few rows: none gives NULL; as many rows as columns, no standard errors
-- (NULL), an exact fit; y without variance, no R²
SELECT parproc.linreg(y, x) FROM (VALUES (1::float8, ARRAY[1, 2]::float8[])) v(y, x) WHERE false;
SELECT round_all((r).coef) AS coef, (r).std_err, (r).p_value, round((r).r2::numeric, 12) AS r2, (r).adj_r2,
	   (r).rmse < 1e-7 AS rmse_0, (r).n
FROM (SELECT parproc.linreg(y, x) r FROM (VALUES (1::float8, ARRAY[1, 2]::float8[]), (3, ARRAY[1, 3])) v(y, x)) s;
SELECT (r).coef, (r).r2, (r).adj_r2, (r).rmse
FROM (SELECT parproc.linreg(y, x) r FROM (VALUES (1::float8, ARRAY[1, 2]::float8[]), (1, ARRAY[1, 3]), (1, ARRAY[1, 4])) v(y, x)) s;
-- NULLs leave their rows out
SELECT (parproc.linreg(y, x)).n FROM (VALUES (1::float8, ARRAY[1, 2]::float8[]), (NULL, ARRAY[1, 3]), (1, ARRAY[1, NULL]), (1, NULL)) v(y, x);
-- NaN and Infinity make every result NaN, as regr_slope
SELECT parproc.linreg(y, x), regr_slope(y, x[2])
FROM (VALUES (1::float8, ARRAY[1, 2]::float8[]), (2, ARRAY[1, 'Infinity'::float8]), (3, ARRAY[1, 4])) v(y, x);
SELECT (parproc.linreg(y, x)).coef FROM (VALUES ('NaN'::float8, ARRAY[1, 2]::float8[]), (2, ARRAY[1, 3]), (3, ARRAY[1, 4])) v(y, x);
-- errors
SELECT parproc.linreg(y, x) FROM (VALUES (1::float8, ARRAY[1, 2]::float8[]), (1, ARRAY[1, 2, 3])) v(y, x);
SELECT parproc.linreg(1, ARRAY[[1, 2], [3, 4]]::float8[]);
SELECT parproc.linreg(1, '{}'::float8[]);
SELECT parproc.linreg(1, array_fill(1::float8, ARRAY[1001]));
-- states of another aggregate, or cut short
SELECT parproc.linreg_final(parproc.comoments_accum(NULL, ARRAY[1, 2]));
SELECT 'bGluMQIAAAA='::parproc.agg_state;
-- a partial state through its text form, as Citus moves it
CREATE AGGREGATE linreg_state(float8, float8[]) (SFUNC = parproc.linreg_accum, STYPE = parproc.agg_state);
SELECT worst((parproc.linreg_final(parproc.linreg_union(s1::text::parproc.agg_state, s2::text::parproc.agg_state))).coef,
			 (SELECT (parproc.linreg(y, ARRAY[1, x1, x2])).coef::numeric[] FROM lrf WHERE g < 2)) < 1e-12 AS text_round_trip
FROM (SELECT linreg_state(y, ARRAY[1, x1, x2]) s1 FROM lrf WHERE g = 0) a,
	 (SELECT linreg_state(y, ARRAY[1, x1, x2]) s2 FROM lrf WHERE g = 1) b;

-- linreg_predict: the fitted values; their mean is y's (with an intercept;
-- to 1e-5 here: the intercept, -2.5e8 to 14 digits, and the term in x3,
-- +2.5e8, cancel to about 2)
SELECT abs(avg(parproc.linreg_predict(f.coef, ARRAY[1, x1, x2, x3, x4])) / avg(y) - 1) < 1e-5 AS mean_fitted,
	   abs(sqrt(avg((y - parproc.linreg_predict(f.coef, ARRAY[1, x1, x2, x3, x4])) ^ 2)) / f.rmse - 1) < 1e-6 AS rmse
FROM lrf, (SELECT (r).coef, (r).rmse FROM (SELECT parproc.linreg(y, ARRAY[1, x1, x2, x3, x4]) r FROM lrf) s) f
WHERE y IS NOT NULL AND x1 IS NOT NULL
GROUP BY f.rmse;
SELECT parproc.linreg_predict(ARRAY[1, 2, NULL], ARRAY[1, 1, NULL]) AS dropped_column,
	   parproc.linreg_predict(ARRAY[1, 2], ARRAY[1, NULL]) AS null_value;
SELECT parproc.linreg_predict(ARRAY[1, 2], ARRAY[1, 2, 3]);
