-- parproc's aggregates on a Citus cluster (a coordinator and two workers):
-- each over a distributed table against the same rows in a local table,
-- and where Citus computes it (the shard tasks' queries)
SET client_min_messages = warning;
CREATE SCHEMA citus_agg;
SET search_path = citus_agg, public;

-- k: 500 values, as many rows each; z: 15 values, each about twice as
-- frequent as the one before (k14 is cut short)
CREATE TABLE loc (id int, g int, x float8, v float8[], k text, z text);
INSERT INTO loc
SELECT i, i % 7,
	   CASE WHEN i % 97 = 0 THEN NULL ELSE (i * 7919 % 10007) / 100.0 - 20 END,
	   ARRAY[i % 5, (i * 13) % 11, i / 1000.0]::float8[],
	   'k' || (i * 31 % 500), 'z' || floor(log(2, i))::int
FROM generate_series(1, 20000) i;
CREATE TABLE dist (LIKE loc);
SELECT create_distributed_table('dist', 'id', shard_count => 8);
INSERT INTO dist SELECT * FROM loc;

-- the query each shard task runs, shard numbers left out
CREATE FUNCTION task_query(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || query LOOP
		IF line ~ '^\s*Query: ' THEN
			RETURN NEXT regexp_replace(regexp_replace(line, '^\s*Query: ', ''), '_\d+\M', '_N', 'g');
		END IF;
	END LOOP;
END $$;

-- the same result from both tables, with and without GROUP BY (by the
-- distribution column and by another)
CREATE FUNCTION same(expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	grouping text;
	differ bigint;
BEGIN
	FOREACH grouping IN ARRAY ARRAY['', 'g', 'id'] LOOP
		EXECUTE format('SELECT count(*) FROM ((SELECT %1$s %2$s::text FROM dist %3$s EXCEPT SELECT %1$s %2$s::text FROM loc %3$s)
						UNION ALL (SELECT %1$s %2$s::text FROM loc %3$s EXCEPT SELECT %1$s %2$s::text FROM dist %3$s)) d',
					   CASE WHEN grouping <> '' THEN grouping || ',' END, expr,
					   CASE WHEN grouping <> '' THEN 'GROUP BY ' || grouping END)
			INTO differ;
		IF differ > 0 THEN
			RETURN 'differs' || CASE WHEN grouping <> '' THEN ' grouped by ' || grouping ELSE '' END;
		END IF;
	END LOOP;
	RETURN 'same';
END $$;

-- (a control: the table's own name differs)
SELECT same('min(tableoid::regclass::text)') AS control;
SELECT e AS aggregate, same(e)
FROM unnest(ARRAY[
	'parproc.percentile_cont(x, 0.37)',
	'parproc.percentile_disc(x, 0.37)',
	'parproc.median(x)',
	'parproc.percentile_cont(x, ARRAY[0, 0.25, 0.999, 1])',
	'parproc.percentile_disc(x, ARRAY[0, 0.25, 0.999, 1])',
	'parproc.percentile_cont(x, ARRAY[[0.5, NULL], [0.1, 0.9]])',
	'parproc.histogram(x, -20, 80, 13)',
	'parproc.histogram(x, 80, -20, 4)',
	'parproc.vec_min(v)',
	'parproc.vec_max(v)',
	'parproc.vec_sum(v[1:2])',
	'parproc.vec_avg(v[1:2])',
	-- as many counters as values: exact counts
	'parproc.topk_agg(z, 16)',
	'parproc.approx_count_distinct(k)',
	'parproc.hll_agg(k)',
	'parproc.hll_agg(id, 12)',
	'parproc.approx_count_distinct(x)']) e;
-- merge_agg over stored sketches in a distributed table
CREATE TABLE sk (g int, s parproc.hll);
SELECT create_distributed_table('sk', 'g', shard_count => 4);
INSERT INTO sk SELECT g, parproc.hll_agg(k) FROM loc GROUP BY g;
SELECT (SELECT parproc.merge_agg(s)::text FROM sk) = (SELECT parproc.hll_agg(k)::text FROM loc) AS merge_agg_same;
-- topk: a sketch of 5 counters over 15 values, whose counts depend on the
-- order rows came in: the same five values in the same order, each true
-- count within [count - max_error, count]
SELECT string_agg(value, ' ' ORDER BY count DESC) AS top5,
	   bool_and(t.n BETWEEN count - max_error AND count) AS within_bounds
FROM parproc.topk_items((SELECT parproc.topk_agg(z, 5) FROM dist))
JOIN (SELECT z, count(*) AS n FROM loc GROUP BY z) t ON t.z = value;
SELECT string_agg(value, ' ' ORDER BY count DESC) AS top5
FROM parproc.topk_items((SELECT parproc.topk_agg(z, 5) FROM loc));
-- merge_agg over stored summaries in a distributed table
CREATE TABLE tk (g int, s parproc.topk);
SELECT create_distributed_table('tk', 'g', shard_count => 4);
INSERT INTO tk SELECT g, parproc.topk_agg(z, 16) FROM loc GROUP BY g;
SELECT (SELECT parproc.merge_agg(s)::text FROM tk) = (SELECT parproc.topk_agg(z, 16)::text FROM loc)
	AS topk_merge_agg_same;

-- stats within the README's tolerance: counts, min and max equal, the
-- rest to a relative 1e-12 (sums of floating-point numbers added in
-- another order; skewness and kurtosis, which have no unit and are near
-- zero here, to an absolute 1e-12), also per group
CREATE FUNCTION reldiff(a float8, b float8) RETURNS float8 LANGUAGE sql AS
$$ SELECT CASE WHEN a = b THEN 0 ELSE abs(a - b) / greatest(abs(a), abs(b)) END $$;
SELECT count(*) AS groups,
	   bool_and((d).n = (l).n AND (d).min = (l).min AND (d).max = (l).max) AS exact,
	   max(greatest(reldiff((d).sum, (l).sum), reldiff((d).mean, (l).mean),
					reldiff((d).var_samp, (l).var_samp), reldiff((d).stddev_pop, (l).stddev_pop),
					abs((d).skewness - (l).skewness), abs((d).kurtosis - (l).kurtosis))) < 1e-12 AS close
FROM (SELECT g, parproc.stats(x) AS d FROM dist GROUP BY g UNION ALL SELECT NULL, parproc.stats(x) FROM dist) a
JOIN (SELECT g, parproc.stats(x) AS l FROM loc GROUP BY g UNION ALL SELECT NULL, parproc.stats(x) FROM loc) b
	ON a.g IS NOT DISTINCT FROM b.g;
-- vec_sum and vec_avg: the same to a relative 1e-12
SELECT bool_and(reldiff(a, b) < 1e-12) AS vec_sum_close
FROM unnest((SELECT parproc.vec_sum(v) FROM dist), (SELECT parproc.vec_sum(v) FROM loc)) u(a, b);
SELECT bool_and(reldiff(a, b) < 1e-12) AS vec_avg_close
FROM unnest((SELECT parproc.vec_avg(v) FROM dist), (SELECT parproc.vec_avg(v) FROM loc)) u(a, b);
-- cov_matrix and corr_matrix: the same within rounding (shards' states
-- merged in another order): covariances to 1e-12 of the largest element,
-- correlations to 1e-12, also per group
SELECT bool_and(abs(a - b) < 1e-12 * (SELECT max(abs(v)) FROM unnest(l) v)) AS cov_matrix_close
FROM (SELECT parproc.cov_matrix(ARRAY[x, id, g]) d FROM dist) x, (SELECT parproc.cov_matrix(ARRAY[x, id, g]) l FROM loc) y,
	 unnest(d, l) u(a, b);
SELECT count(DISTINCT g) AS groups, bool_and(abs(a - b) < 1e-12) AS corr_matrix_close
FROM (SELECT g, parproc.corr_matrix(ARRAY[x, id]) d FROM dist GROUP BY g) x
JOIN (SELECT g, parproc.corr_matrix(ARRAY[x, id]) l FROM loc GROUP BY g) y USING (g), unnest(d, l) u(a, b);
-- linreg: coefficients and standard errors the same to 1e-9 (of each, or
-- of its standard error), also per group
SELECT bool_and(abs(a - b) < 1e-9 * greatest(abs(b), s)) AS linreg_coef_close,
	   bool_and(reldiff(c, e) < 1e-9) AS linreg_std_err_close, bool_and((d).n = (l).n) AS n
FROM (SELECT parproc.linreg(x, ARRAY[1, id, g]) d FROM dist) x, (SELECT parproc.linreg(x, ARRAY[1, id, g]) l FROM loc) y,
	 unnest((d).coef, (l).coef, (l).std_err, (d).std_err, (l).std_err) u(a, b, s, c, e);
SELECT count(DISTINCT g) AS groups, bool_and(abs(a - b) < 1e-9 * greatest(abs(b), s)) AS linreg_close
FROM (SELECT g, parproc.linreg(x, ARRAY[1, id]) d FROM dist GROUP BY g) x
JOIN (SELECT g, parproc.linreg(x, ARRAY[1, id]) l FROM loc GROUP BY g) y USING (g),
	 unnest((d).coef, (l).coef, (l).std_err) u(a, b, s);
-- approx_percentile and quantile of qsketch_agg: rank error inside the
-- README's 0.5% bound
CREATE TEMP TABLE est AS
SELECT parproc.approx_percentile(x, ARRAY[0.01, 0.25, 0.5, 0.99]) AS e FROM dist
UNION ALL
SELECT parproc.quantile(parproc.qsketch_agg(x), ARRAY[0.01, 0.25, 0.5, 0.99]) FROM dist;
SELECT q, bool_and(abs((SELECT count(*) FROM loc WHERE x <= p)::float8 / (SELECT count(x) FROM loc) - q) < 0.005) AS within
FROM est, unnest(ARRAY[0.01, 0.25, 0.5, 0.99], e) u(q, p) GROUP BY q ORDER BY q;
-- merge_agg over stored quantile sketches in a distributed table
CREATE TABLE qk (g int, s parproc.qsketch);
SELECT create_distributed_table('qk', 'g', shard_count => 4);
INSERT INTO qk SELECT g, parproc.qsketch_agg(x) FROM loc GROUP BY g;
SELECT bool_and(abs((SELECT count(*) FROM loc WHERE x <= p)::float8 / (SELECT count(x) FROM loc) - q) < 0.005) AS merged_within
FROM unnest(ARRAY[0.01, 0.25, 0.5, 0.99],
			(SELECT parproc.quantile(parproc.merge_agg(s), ARRAY[0.01, 0.25, 0.5, 0.99]) FROM qk)) u(q, p);

-- table_percentile_cont/disc: two reads of the distributed table, each
-- computed on the shards (the second's shard task below), exact
SELECT parproc.table_percentile_cont('dist', 'x', ARRAY[0, 0.25, 0.5, 0.999, 1])
	 = (SELECT parproc.percentile_cont(x, ARRAY[0, 0.25, 0.5, 0.999, 1]) FROM loc) AS table_cont_same,
	   parproc.table_percentile_disc('dist', 'x', ARRAY[0.01, 0.5, 0.75])
	 = (SELECT parproc.percentile_disc(x, ARRAY[0.01, 0.5, 0.75]) FROM loc) AS table_disc_same;
SELECT task_query('SELECT count((x)::float8), count(*) FILTER (WHERE (x)::float8 < 1), array_agg((x)::float8) FILTER (WHERE (x)::float8 >= 1 AND (x)::float8 <= 2) FROM dist');

-- empty and one-row shards: a table with 8 shards and 3 rows
CREATE TABLE few (id int, x float8);
SELECT create_distributed_table('few', 'id', shard_count => 8);
INSERT INTO few VALUES (1, 1.5), (2, 'Infinity'), (3, -2);
SELECT (parproc.stats(x)).n, (parproc.stats(x)).max, (parproc.stats(x)).var_samp FROM few;
SELECT (parproc.stats(x)).n FROM few WHERE id > 100;
SELECT parproc.median(x), parproc.percentile_disc(x, ARRAY[0, 1]),
	   parproc.histogram(x, -2, 2, 2), parproc.approx_percentile(x, 0.5) FROM few;
SELECT parproc.median(x), parproc.histogram(x, -2, 2, 2), parproc.vec_sum(ARRAY[x])
FROM few WHERE id > 100;
INSERT INTO few VALUES (4, 'NaN'), (5, '-Infinity');
SELECT (parproc.stats(x)).n, (parproc.stats(x)).max, (parproc.stats(x)).mean FROM few;
SELECT parproc.percentile_disc(x, ARRAY[0, 0.5, 1]), parproc.percentile_cont(x, 0.1),
	   parproc.vec_max(ARRAY[x, 1]), parproc.vec_sum(ARRAY[x, 1]) FROM few;
-- shards with only NULLs
INSERT INTO few VALUES (6, NULL), (7, NULL), (8, NULL), (9, NULL);
SELECT parproc.approx_percentile(x, 0.5), parproc.quantile(parproc.qsketch_agg(x), 0.5),
	   parproc.median(x), parproc.approx_count_distinct(id) FROM few WHERE x IS NULL OR id < 3;
-- core's, which Citus computes on the coordinator from every row
SELECT percentile_disc(ARRAY[0, 0.5, 1]) WITHIN GROUP (ORDER BY x),
	   percentile_cont(0.1) WITHIN GROUP (ORDER BY x) FROM few;

-- where each aggregate runs: worker_partial_agg in the shard task is a
-- partial aggregate on the shard; "SELECT x AS ... FROM dist_N" pulls
-- every row to the coordinator
SELECT task_query('SELECT parproc.stats(x) FROM dist');
SELECT task_query('SELECT g, parproc.stats(x) FROM dist GROUP BY g');
SELECT task_query('SELECT id, parproc.stats(x) FROM dist GROUP BY id');
SELECT task_query('SELECT parproc.median(x) FROM dist');
SELECT task_query('SELECT g, parproc.percentile_cont(x, 0.37) FROM dist GROUP BY g');
SELECT task_query('SELECT id, parproc.percentile_disc(x, ARRAY[0.1, 0.9]) FROM dist GROUP BY id');
SELECT task_query('SELECT parproc.histogram(x, -20, 80, 13) FROM dist');
SELECT task_query('SELECT parproc.vec_sum(v) FROM dist');
SELECT task_query('SELECT g, parproc.vec_avg(v), parproc.vec_min(v), parproc.vec_max(v) FROM dist GROUP BY g');
SELECT task_query('SELECT g, parproc.corr_matrix(ARRAY[x, id]) FROM dist GROUP BY g');
SELECT task_query('SELECT parproc.linreg(x, ARRAY[1, id, g]) FROM dist');
SELECT task_query('SELECT parproc.approx_count_distinct(k) FROM dist');
SELECT task_query('SELECT g, parproc.hll_agg(id, 12) FROM dist GROUP BY g');
SELECT task_query('SELECT parproc.merge_agg(s) FROM sk');
SELECT task_query('SELECT parproc.topk_agg(z, 5) FROM dist');
SELECT task_query('SELECT g, parproc.topk_agg(id, 3) FROM dist GROUP BY g');
SELECT task_query('SELECT parproc.merge_agg(s) FROM tk');
-- the polymorphic forms (here over float8) cannot be pushed down
SELECT task_query('SELECT parproc.approx_count_distinct(x) FROM dist');
SELECT task_query('SELECT parproc.topk_agg(x, 5) FROM dist');
SELECT task_query('SELECT parproc.qsketch_agg(x) FROM dist');
SELECT task_query('SELECT g, parproc.qsketch_agg(x, 50) FROM dist GROUP BY g');
SELECT task_query('SELECT parproc.merge_agg(s) FROM qk');
SELECT task_query('SELECT parproc.approx_percentile(x, 0.5) FROM dist');
SELECT task_query('SELECT g, parproc.approx_percentile(x, ARRAY[0.5, 0.99]) FROM dist GROUP BY g');

-- a malformed partial state is refused where the coordinator reads it
SELECT coord_combine_agg('parproc.stats(double precision)'::regprocedure::oid, '\x00'::cstring, NULL::float8)
FROM (VALUES (1)) v;
SELECT coord_combine_agg('parproc.median(double precision)'::regprocedure::oid, 'cGN0MQ=='::cstring, NULL::float8)
FROM (VALUES (1)) v;
-- the state of another aggregate
SELECT coord_combine_agg('parproc.median(double precision)'::regprocedure::oid,
						 (SELECT parproc.histogram_accum(NULL, 1, 0, 1, 1)::text::cstring), NULL::float8)
FROM (VALUES (1)) v;

DROP SCHEMA citus_agg CASCADE;
