#!/usr/bin/env bash
# make demo: build, install, start a throwaway cluster with parproc
# preloaded, load sample data, run parproc's features beside core
# PostgreSQL's equivalents, print what they did, stop the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ROWS=${DEMO_ROWS:-3000000}

ensure_packages "${BUILD_PACKAGES[@]}"
say "building and installing parproc"
make -s >/dev/null
install_extension

run_dir=$(work_dir "$PWD/tmp/demo")
trap 'cluster_stop "$run_dir"' EXIT
say "starting a throwaway cluster in $run_dir (as $(pg_user))"
cluster_start "$run_dir" "-c shared_buffers=512MB"

say "loading $ROWS sample rows: request latencies of 20 services"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION parproc;
CREATE TABLE requests (id bigint, service int, latency_ms float8);
SELECT setseed(0.5) \\g /dev/null
-- log-normal latencies, slower for higher service numbers
INSERT INTO requests
SELECT i, 1 + (i % 20), exp(2 + 0.1 * (i % 20) + 0.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random()))
FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE requests;
SQL

psql -X -e -v ON_ERROR_STOP=1 <<'SQL'
\timing on
\echo
\echo '-- 1. Descriptive statistics in one pass, in parallel, against core aggregates'
EXPLAIN (COSTS OFF) SELECT parproc.stats(latency_ms) FROM requests;
SELECT (parproc.stats(latency_ms)).* FROM requests;
SELECT count(latency_ms) AS n, sum(latency_ms), avg(latency_ms) AS mean,
       var_samp(latency_ms), var_pop(latency_ms), stddev_samp(latency_ms),
       stddev_pop(latency_ms), min(latency_ms), max(latency_ms)
FROM requests;

\echo
\echo '-- 2. Exact percentiles: parproc runs in parallel, core''s ordered-set aggregate cannot'
EXPLAIN (COSTS OFF) SELECT parproc.percentile_cont(latency_ms, ARRAY[0.5, 0.9, 0.99]) FROM requests;
SELECT parproc.percentile_cont(latency_ms, ARRAY[0.5, 0.9, 0.99]) AS parproc FROM requests;
SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS core FROM requests;
SELECT parproc.percentile_disc(latency_ms, 0.999) AS parproc_p999,
       parproc.median(latency_ms) AS parproc_median
FROM requests;

\echo
\echo '-- 3. Per-service p99 and spread, parallel, checked against core'
SELECT service, round(p99::numeric, 2) AS p99_ms, round(((s).stddev_samp)::numeric, 2) AS stddev_ms,
       round(((s).skewness)::numeric, 2) AS skewness,
       p99 = core_p99 AS p99_matches_core
FROM (SELECT service, parproc.percentile_cont(latency_ms, 0.99) AS p99, parproc.stats(latency_ms) AS s
      FROM requests GROUP BY service) p
JOIN (SELECT service, percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS core_p99
      FROM requests GROUP BY service) c USING (service)
WHERE service IN (1, 10, 20)
ORDER BY service;

\echo
\echo '-- 4. A histogram in one aggregate, numbered like width_bucket'
SELECT parproc.histogram(latency_ms, 0, 100, 10) FROM requests;
SELECT array_agg(coalesce(c, 0) ORDER BY b) AS core_width_bucket
FROM generate_series(0, 11) b
LEFT JOIN (SELECT width_bucket(latency_ms, 0, 100, 10) AS wb, count(*) AS c
           FROM requests GROUP BY 1) w ON w.wb = b;

\echo
\echo '-- 5. Distinct counts: a mergeable HyperLogLog sketch, exact for small sets'
SELECT parproc.approx_count_distinct(round(latency_ms::numeric, 1)) AS parproc_estimate,
       count(DISTINCT round(latency_ms::numeric, 1)) AS core_exact
FROM requests;
SELECT parproc.approx_count_distinct(service) AS parproc_small_set, count(DISTINCT service) AS core
FROM requests;
CREATE TEMP TABLE per_service AS
SELECT service, parproc.hll_agg(round(latency_ms::numeric, 1)) AS sketch FROM requests GROUP BY service;
SELECT parproc.cardinality(parproc.merge_agg(sketch)) AS merged_from_20_sketches FROM per_service;

\echo
\echo '-- 6. Element-wise aggregates over arrays'
SELECT parproc.vec_avg(ARRAY[latency_ms, ln(latency_ms), service]) AS vec_avg,
       parproc.vec_max(ARRAY[latency_ms, ln(latency_ms), service]) AS vec_max
FROM requests;
-- every pair's correlation in one pass, against core's corr() of two pairs
SELECT parproc.corr_matrix(ARRAY[latency_ms, ln(latency_ms), service]) AS corr_matrix,
       corr(latency_ms, service) AS core_corr_1_3, corr(ln(latency_ms), service) AS core_corr_2_3
FROM requests;
-- least squares with an intercept (the constant column), t statistics and
-- p-values, against core's regr_slope for one predictor
SELECT (r).coef, (r).std_err, (r).p_value, (r).r2, (r).n
FROM (SELECT parproc.linreg(ln(latency_ms), ARRAY[1, service]) r FROM requests) s;
SELECT regr_intercept(ln(latency_ms), service), regr_slope(ln(latency_ms), service), regr_r2(ln(latency_ms), service)
FROM requests;

\echo
\echo '-- 7. Approximate percentiles from a mergeable quantile sketch, against the exact ones'
SELECT parproc.approx_percentile(latency_ms, ARRAY[0.5, 0.99, 0.999]) AS sketch,
       parproc.percentile_cont(latency_ms, ARRAY[0.5, 0.99, 0.999]) AS exact
FROM requests;
CREATE TEMP TABLE service_sketches AS
SELECT service, parproc.qsketch_agg(latency_ms) AS s FROM requests GROUP BY service;
SELECT parproc.quantile(parproc.merge_agg(s), 0.99) AS p99_merged_from_20_sketches,
       parproc.rank(parproc.merge_agg(s), 50) AS fraction_at_most_50ms
FROM service_sketches;

\echo
\echo '-- 8. Spreading activation over a graph stored as an edge table'
CREATE TABLE links (src int, dst int, w float8);
INSERT INTO links SELECT i, 1 + (i * 7 + j * 13) % 1000, 1.0 / j
FROM generate_series(1, 1000) i, generate_series(1, 5) j;
SELECT parproc.create_graph('links', 'links', 'src', 'dst', 'w');
SELECT * FROM parproc.spread_activation('links', ARRAY[1, 2]::bigint[], max_nodes => 8);
SELECT name, nodes, edges, bytes, stale, queries FROM parproc.graphs;

\echo
\echo '-- 9. A pipeline: the requests cleaned into another table by 2 background workers'
CREATE TABLE slow_requests (service int, latency_ms float8, log_ms float8, bucket text);
SET parproc.chunk_size = 256;
SELECT parproc.create_pipeline('slow', 'requests', 'slow_requests',
  '[{"name": "slow", "filter": "latency_ms > 100"},
    {"name": "derive", "map": "service, latency_ms, ln(latency_ms) AS log_ms, CASE WHEN latency_ms > 1000 THEN ''huge'' ELSE ''slow'' END AS bucket"}]');
SELECT * FROM parproc.run('slow', workers => 2);
SELECT count(*) = (SELECT count(*) FROM requests WHERE latency_ms > 100) AS same_as_insert_select
FROM slow_requests;
-- which expressions run as column kernels, and where the time went
SELECT stage, column_name, mode, detail FROM parproc.explain_pipeline('slow');
SELECT stage, name, rows_in, rows_out, round(time_ms) AS time_ms, round(kernel_ms) AS kernel_ms,
       kernel_values, evaluator_values
FROM parproc.stage_stats;
SELECT worker, chunks, rows, round(busy_ms) AS busy_ms, round(read_ms) AS read_ms,
       round(eval_ms) AS eval_ms, round(write_ms) AS write_ms,
       pg_size_pretty(wal_bytes) AS wal
FROM parproc.worker_stats;

\echo
\echo '-- 10. An upsert pipeline: a backfill that can run again, merging into the rows already there'
CREATE TABLE request_flags (id bigint PRIMARY KEY, slow boolean, runs int NOT NULL DEFAULT 1);
SELECT parproc.create_pipeline('flags', 'requests', 'request_flags',
  '[{"name": "m", "map": "id, latency_ms > 100 AS slow"}]',
  on_conflict => '(id) DO UPDATE SET slow = excluded.slow, runs = request_flags.runs + 1');
SELECT state, rows_read, rows_written FROM parproc.run('flags', workers => 2);
-- again: every row updated in place, none duplicated
SELECT state, rows_read, rows_written FROM parproc.run('flags', workers => 2);
SELECT count(*) AS rows, min(runs), max(runs),
       count(*) = (SELECT count(*) FROM requests) AS one_row_per_request,
       count(*) FILTER (WHERE slow) = (SELECT count(*) FROM requests WHERE latency_ms > 100) AS slow_as_select
FROM request_flags;
SELECT run_id, state, rows_written, chunk_retries FROM parproc.runs WHERE pipeline = 'flags';

\echo
\echo '-- 11. An aggregate pipeline feeding an incremental rollup: per service, merged into the rows there'
CREATE TABLE service_rollup (service int PRIMARY KEY, n bigint, total_ms float8,
                             latency parproc.qsketch, sizes parproc.hll);
SELECT parproc.create_pipeline('rollup', 'requests', 'service_rollup',
  '[{"name": "valid", "filter": "latency_ms > 0"},
    {"name": "per_service", "group_by": "service", "aggregates": "count(*) AS n, sum(latency_ms) AS total_ms, parproc.qsketch_agg(latency_ms) AS latency, parproc.hll_agg(round(latency_ms::numeric, 1)) AS sizes"}]',
  on_conflict => '(service) DO UPDATE SET n = service_rollup.n + excluded.n,
                  total_ms = service_rollup.total_ms + excluded.total_ms,
                  latency = parproc.merge(service_rollup.latency, excluded.latency),
                  sizes = parproc.merge(service_rollup.sizes, excluded.sizes)');
SELECT state, rows_read, rows_written FROM parproc.run('rollup', workers => 2);
-- a second batch of data (here: the same rows again) merges into the rollup
SELECT state, rows_read, rows_written FROM parproc.run('rollup', workers => 2);
SELECT r.service, r.n, r.n = 2 * c.n AS n_is_twice_group_by,
       abs(r.total_ms - 2 * c.total) < 1e-9 * c.total AS total_is_twice,
       round(parproc.quantile(r.latency, 0.99)::numeric, 1) AS p99_sketch,
       round(c.p99::numeric, 1) AS p99_exact,
       parproc.cardinality(r.sizes) AS distinct_sizes
FROM service_rollup r
JOIN (SELECT service, count(*) AS n, sum(latency_ms) AS total,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
      FROM requests GROUP BY service) c USING (service)
WHERE service IN (1, 10, 20) ORDER BY service;
SELECT stage, name, rows_in, rows_out FROM parproc.stage_stats
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'rollup') ORDER BY stage;

\echo '-- 12. Loading a CSV file in parallel with COPY''s parser; its 3 bad lines go to parproc.errors'
SELECT current_setting('data_directory') || '/demo_requests.csv' AS csv \gset
-- 100000 lines after a header; those of ids 500, 5000 and 50000 (lines 501, 5001, 50001) are malformed
COPY (SELECT 'id,service,latency_ms' UNION ALL
      SELECT CASE g WHEN 500 THEN '500,7'
                    WHEN 5000 THEN '5000,seven,1.5'
                    WHEN 50000 THEN '50000,7,"1.5'
                    ELSE format('%s,%s,%s', g, g % 20, round((g % 997) / 3.0, 2)) END
      FROM generate_series(1, 100000) g) TO :'csv' WITH (FORMAT text);
CREATE TABLE loaded (id bigint, service int, latency_ms float8);
SELECT parproc.create_pipeline('load', 'file:' || :'csv', 'loaded', '[]',
  source_options => 'FORMAT csv, HEADER true');
SET parproc.chunk_size = 32;   -- 256 kB chunks, so that this small file is cut
SELECT state, rows_read, rows_written, rows_failed, workers_used
FROM parproc.run('load', workers => 2, on_error => 'skip');
RESET parproc.chunk_size;
SELECT chunks_total, cardinality(files) AS files FROM parproc.run_history
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'load');
SELECT line, byte_offset, sqlstate, message, raw_line FROM parproc.errors
WHERE run_id = (SELECT max(run_id) FROM parproc.runs WHERE pipeline = 'load') ORDER BY line;
SELECT count(*) AS loaded, count(*) = 100000 - 3 AS every_good_line FROM loaded;
SQL
say "done; the cluster is stopped and $run_dir can be removed"
