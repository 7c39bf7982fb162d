#!/usr/bin/env bash
# test/soak.sh (the last step of make test; runs alone too): a bounded soak
#
# A throwaway cluster with parproc preloaded; pgbench clients mix, for a
# fixed number of transactions each, exact and approximate aggregates
# (forced parallel plans or serial), spreading activation with graph
# refreshes, and pipeline runs into per-client targets: run() to the end,
# run() cancelled by statement_timeout, start() + cancel(), cancels of other
# clients' runs, and resumes of whatever was left cancelled (sometimes
# cancelled again).  Meanwhile a probe (one more pgbench client, one
# backend) repeats a fixed round of all of it.  Then it checks:
#
#  - every aggregate and spread_activation result against an oracle
#    computed once by core PostgreSQL (or, for sketches, the error bound);
#  - every run that reached done (at once or after any number of cancels
#    and resumes) left its target equal to INSERT ... SELECT of the same
#    transform (same row count, EXCEPT ALL empty), with rows_written and
#    the dead letters (parproc.errors) matching; runs left cancelled are
#    resumed to done at the end and checked the same way;
#  - backend memory returns to its level: the probe's memory contexts
#    (pg_backend_memory_contexts) and private RSS (RssAnon) after its last
#    round against after its warm-up round, and every pgbench backend's
#    over its last quarter of transactions against its second quarter;
#  - nothing is left behind: no run in parproc.run_progress, no parproc or
#    parallel worker process, the same DSM segments as before (read from
#    the cluster's DSM control segment), all of parproc.max_workers
#    available to a new run, no leak warning or crash in the server log.
#
# It prints the figures and "soak: N passed, M failed"; exits 1 on any
# failure.  It uses the parproc installed in PostgreSQL's directories (make
# install, or make test, first).  Settings: SOAK_CLIENTS, SOAK_TXNS (per
# client), SOAK_ROUNDS (of the probe), SOAK_ROWS (source rows).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

CLIENTS=${SOAK_CLIENTS:-4}
TXNS=${SOAK_TXNS:-60}
ROUNDS=${SOAK_ROUNDS:-16}
ROWS=${SOAK_ROWS:-100000}

# Bounds on memory growth, in kB, of each backend's peak over its last
# quarter of transactions against its second (the first warms catalog
# caches, cached plans and the graph's scratch arrays up; CacheMemoryContext
# doubles to 2 MB there).  The probe repeats one round, so its memory
# contexts must stay level: 1 MB allows one more block of a cache context,
# while a leak of 1 kB per statement over the ~150 statements of its last
# quarter exceeds it.  RssAnon also holds what malloc keeps after free
# (glibc raises its mmap threshold after a large free, so an exact
# percentile's array stays in the heap: 6 to 23 MB seen from one round to
# the next), so its bound is 16 MB; a pipeline's or a sketch's worth of
# leak per transaction still exceeds it.  pgbench backends run a random
# mix, and may meet a kind of query first late: 4 MB for their contexts.
PROBE_CTX_KB=1024
PROBE_RSS_KB=16384
CLIENT_CTX_KB=4096
CLIENT_RSS_KB=16384
# A DSA area keeps the segments it grew to: the graph cache grows while a
# refresh loads a version beside the old one (two or three versions of the
# 1.4 MB graph when queries still use older ones), and stays there.  8 MB
# is that and a segment-size step; a version never freed, over the ~15
# refreshes of a soak, exceeds it (and shows in parproc._graph_cache()).
DSA_GROWTH_MB=8

PSQL="$PG_BINDIR/psql"
PGBENCH="$PG_BINDIR/pgbench"
[ -x "$PGBENCH" ] || die "$PGBENCH not found: install postgresql-$PG_MAJOR"
[ -f "$("$PG_CONFIG" --pkglibdir)/parproc.so" ] ||
	die "parproc is not installed: run 'make install' (or 'make test') first"

passed=0
failed=0
# check NAME COMMAND...: run the test command, count and print the outcome.
check() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		printf '  ok    %s\n' "$name"
	else
		failed=$((failed + 1))
		printf '  FAIL  %s\n' "$name"
	fi
}
# q SQL: one value (or rows, |-separated) from the server.
q() { "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
# is X Y: the two strings are equal (saying both when not).
is() { [ "$1" = "$2" ] || { printf '        got %s, want %s\n' "$1" "$2"; return 1; }; }

dir=$(work_dir "$PWD/tmp/soak")
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	cluster_stop "$dir"
}
trap cleanup EXIT
cluster_stop "$dir"     # one left by a run that was killed
rm -f "$dir/server.log"

t_start=$(date +%s)
lib=$("$PG_CONFIG" --pkglibdir)/parproc.so
say "cluster in $dir, with $lib of $(date -r "$lib" '+%F %T')"
# Worker slots: enough background worker slots for every coordinator, but
# parallel workers (max_parallel_workers) and parproc.max_workers fewer
# than the clients ask for, so runs and parallel queries compete for them
# and often get fewer than they asked.  Small chunks make many chunk
# transactions per run, so cancels land in the middle of runs.
cluster_start "$dir" "-c max_worker_processes=24" "-c max_parallel_workers=6" \
	"-c parproc.max_workers=4" "-c parproc.chunk_size=16" "-c timezone=UTC" \
	"-c work_mem=32MB" "-c max_connections=40"

# ------------------------------------------------------------------ data
say "loading $ROWS source rows, a graph, $((CLIENTS + 1)) x 2 pipelines and the oracles"
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres -o /dev/null -v rows="$ROWS" -v clients="$CLIENTS" <<'SQL'
CREATE EXTENSION parproc;
SELECT setseed(0.42);
-- v is a multiple of 1/8 with |v| <= 50000: sums are exact in any order
CREATE TABLE src AS
SELECT g AS id, g % 100 AS k, g % 3000 AS grp,
	   (floor(random() * 800000) - 400000) / 8.0 AS v,
	   md5(g::text) AS txt,
	   (timestamp '2024-01-01' + g * interval '37 seconds')::text AS ts_text
FROM generate_series(1, :rows) g;
ANALYZE src;

-- the oracles of the aggregates, by core PostgreSQL
CREATE TABLE soak_expect AS
SELECT count(v) AS n, sum(v) AS sum, var_samp(v) AS var_samp, min(v) AS min, max(v) AS max,
	   percentile_cont(ARRAY(SELECT (i / 100.0)::float8 FROM generate_series(1, 99) i))
		   WITHIN GROUP (ORDER BY v) AS pcont,
	   percentile_disc(ARRAY(SELECT (i / 100.0)::float8 FROM generate_series(1, 99) i))
		   WITHIN GROUP (ORDER BY v) AS pdisc,
	   count(DISTINCT grp) AS ngrp, count(DISTINCT txt) AS ntxt, count(DISTINCT k) AS nk
FROM src;
CREATE TABLE soak_expect_k AS
SELECT k, percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median, count(*) AS n
FROM src GROUP BY k;

-- a directed graph of 5000 nodes and 50000 weighted edges, and the results
-- of 200 seed pairs (test/sql/graph.sql checks the function against brute force;
-- here the results must not change under concurrency and refreshes)
CREATE TABLE edges AS
SELECT (random() * 4999)::bigint + 1 AS src, (random() * 4999)::bigint + 1 AS dst, random() AS w
FROM generate_series(1, 50000);
SELECT parproc.create_graph('kg', edges => 'public.edges', source => 'src', target => 'dst',
							weight => 'w', directed => true);
CREATE TABLE soak_expect_sa AS
SELECT s AS seed, a.node, a.activation
FROM generate_series(1, 200) s,
	 parproc.spread_activation('kg', ARRAY[s, s + 1000]::bigint[], max_iterations => 10,
							   max_nodes => 50) a;

-- two pipelines per client (and the probe): a (vectorised kernels and
-- fallbacks, on_error abort) and b (400 rows failing with division by
-- zero, on_error skip), their targets, and what INSERT ... SELECT writes
CREATE TABLE soak_pipes (pipeline text PRIMARY KEY, target regclass, oracle regclass,
						 want_failed bigint);
CREATE TABLE ref_a AS
SELECT id, k, v * 2 AS v2, sqrt(abs(v)) AS s, upper(substr(txt, 1, 8)) AS u,
	   ts_text::timestamptz AS ts, round(v::numeric, 1) AS n
FROM src WHERE k % 4 <> 1;
CREATE TABLE ref_b AS
SELECT id, 1000 / (id % 500 - 7) AS q, length(txt || ts_text) AS l, lower(txt) AS t
FROM src WHERE id % 500 <> 7;
SELECT format($$CREATE TABLE ta_%s (LIKE ref_a); CREATE TABLE tb_%s (LIKE ref_b);
	SELECT parproc.create_pipeline('pa_%s', 'src', 'ta_%s', '[{"name": "f", "filter": "k %% 4 <> 1"},
		{"name": "m", "map": "id, k, v * 2 AS v2, sqrt(abs(v)) AS s, upper(substr(txt, 1, 8)) AS u, ts_text::timestamptz AS ts, round(v::numeric, 1) AS n"}]');
	SELECT parproc.create_pipeline('pb_%s', 'src', 'tb_%s', '[{"name": "m",
		"map": "id, 1000 / (id %% 500 - 7) AS q, length(txt || ts_text) AS l, lower(txt) AS t"}]');
	INSERT INTO soak_pipes VALUES ('pa_%s', 'ta_%s', 'ref_a', 0), ('pb_%s', 'tb_%s', 'ref_b', %s);$$,
	c, c, c, c, c, c, c, c, c, c, (SELECT count(*) FROM src WHERE id % 500 = 7))
FROM generate_series(0, :clients) c \gexec

-- what the clients record
CREATE TABLE soak_checks (at timestamptz DEFAULT clock_timestamp(), what text, ok boolean);
CREATE TABLE soak_runs (run_id bigint, pipeline text, state text, attempts int, target_rows bigint,
						missing bigint, rows_written bigint, rows_failed bigint, dead_letters bigint,
						ok boolean);
CREATE TABLE soak_events (at timestamptz DEFAULT clock_timestamp(), run_id bigint, pipeline text,
						  event text);
CREATE TABLE soak_ctx (client int, sample bigint, context text, bytes bigint);
CREATE TABLE soak_conf AS SELECT :clients AS probe;
CREATE TABLE soak_mem (id bigserial, client int, pid int, ctx_bytes bigint, rss_anon_kb bigint);

CREATE FUNCTION soak_assert(ok int, what text) RETURNS void LANGUAGE sql
AS $$ INSERT INTO soak_checks (what, ok) VALUES (what, ok = 1) $$;

-- this backend's memory: its memory contexts and its private resident set
-- (the probe, client :clients, also by context name, to show what grew;
-- with its parent's name before PostgreSQL 18, which has no parent column)
CREATE FUNCTION soak_sample(client int) RETURNS void LANGUAGE sql
AS $$ INSERT INTO soak_mem (client, pid, ctx_bytes, rss_anon_kb)
	SELECT client, pg_backend_pid(), (SELECT sum(total_bytes) FROM pg_backend_memory_contexts),
		   (regexp_match(pg_read_file('/proc/self/status'), 'RssAnon:\s+(\d+)'))[1]::bigint;
	INSERT INTO soak_ctx
	SELECT client, currval('soak_mem_id_seq'), coalesce((to_jsonb(c) ->> 'parent') || '/', '') || name,
		   sum(total_bytes)
	FROM pg_backend_memory_contexts c WHERE client = (SELECT probe FROM soak_conf) GROUP BY 3 $$;

-- Check a done run: its target holds exactly the oracle's rows (as many,
-- and none missing: equal multisets), its counters and dead letters agree.
CREATE FUNCTION soak_check(rid bigint) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	p soak_pipes;
	r record;
	att int;
	n bigint;
	want bigint;
	missing bigint;
	nerr bigint;
	ok boolean;
BEGIN
	SELECT * INTO r FROM parproc.runs WHERE run_id = rid;
	SELECT * INTO p FROM soak_pipes WHERE pipeline = r.pipeline;
	SELECT attempts INTO att FROM parproc.run_history WHERE run_id = rid;
	EXECUTE format('SELECT count(*) FROM %s', p.target) INTO n;
	EXECUTE format('SELECT count(*) FROM %s', p.oracle) INTO want;
	EXECUTE format('SELECT count(*) FROM (TABLE %s EXCEPT ALL TABLE %s) d', p.oracle, p.target)
		INTO missing;
	SELECT count(*) INTO nerr FROM parproc.errors e WHERE e.run_id = rid;
	ok := r.state = 'done' AND n = want AND missing = 0 AND r.rows_written = n
		AND r.rows_failed = p.want_failed AND nerr = p.want_failed;
	INSERT INTO soak_runs VALUES (rid, r.pipeline, r.state, att, n, missing, r.rows_written,
								  r.rows_failed, nerr, ok);
	RETURN ok;
END $$;

-- After wait(): check a done run.  One that is not done stays for the
-- client's next transaction of the pipeline to resume.
CREATE FUNCTION soak_settle(rid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	st text;
	pipe text;
BEGIN
	SELECT state, pipeline INTO st, pipe FROM parproc.runs WHERE run_id = rid;
	INSERT INTO soak_events (run_id, pipeline, event) VALUES (rid, pipe, st);
	IF st = 'done' THEN
		PERFORM soak_check(rid);
	END IF;
END $$;

-- Check the done runs of a pipeline that no wait() saw end (a run whose
-- run() was cancelled before it was recorded, say), before the target is
-- emptied for the next run.
CREATE FUNCTION soak_sweep(pipe text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	rid bigint;
BEGIN
	FOR rid IN SELECT run_id FROM parproc.runs r WHERE pipeline = pipe AND state = 'done'
			   AND NOT EXISTS (SELECT FROM soak_runs s WHERE s.run_id = r.run_id) LOOP
		INSERT INTO soak_events (run_id, pipeline, event) VALUES (rid, pipe, 'done unseen');
		PERFORM soak_check(rid);
	END LOOP;
END $$;

-- run() that statement_timeout (ms, unless NULL) may cancel: the run's id
-- either way.  When the run ends first, sleep until the timeout has fired,
-- so that it fires here and not after this function has returned.  Any
-- other error is recorded (and counted as a failure), not raised, so that
-- the client goes on.
CREATE FUNCTION soak_run(pipe text, oe text, ms int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	rid bigint;
	before bigint := (SELECT coalesce(max(run_id), 0) FROM parproc.run_history);
BEGIN
	BEGIN
		SELECT run_id INTO rid FROM parproc.run(pipe, workers => 2, on_error => oe);
		IF ms IS NOT NULL THEN
			PERFORM pg_sleep(ms / 1000.0 + 0.2
							 - extract(epoch FROM clock_timestamp() - statement_timestamp()));
		END IF;
	EXCEPTION
		WHEN query_canceled THEN
			NULL;
		WHEN OTHERS THEN
			INSERT INTO soak_events (run_id, pipeline, event) VALUES ((SELECT min(run_id) FROM parproc.run_history
					 WHERE pipeline = pipe AND run_id > before), pipe, 'error: run(): ' || SQLERRM);
	END;
	-- cancelled: the run of this pipeline recorded since, if it was (0 if not)
	RETURN coalesce(rid, (SELECT min(run_id) FROM parproc.run_history
						  WHERE pipeline = pipe AND run_id > before), 0);
END $$;

-- resume(rid); an error (the run is still in progress, or done) is
-- recorded as a failure, and the caller waits for the run all the same
CREATE FUNCTION soak_resume(rid bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	PERFORM parproc.resume(rid, workers => 2);
	INSERT INTO soak_events (run_id, pipeline, event)
	SELECT rid, pipeline, 'resume' FROM parproc.run_history WHERE run_id = rid;
	RETURN rid;
EXCEPTION
	-- another client cancelled the run while it was starting
	WHEN query_canceled THEN
		INSERT INTO soak_events (run_id, pipeline, event)
		SELECT rid, pipeline, 'cancel' FROM parproc.run_history WHERE run_id = rid;
		RETURN rid;
	WHEN OTHERS THEN
		INSERT INTO soak_events (run_id, pipeline, event)
		SELECT rid, pipeline, 'error: resume(): ' || SQLERRM FROM parproc.run_history WHERE run_id = rid;
		RETURN rid;
END $$;
SQL

# ------------------------------------------------------------ the scripts
# pgbench scripts; ":me" is the client (0 .. CLIENTS-1, the probe CLIENTS).
sd=$dir/scripts
mkdir -p "$sd"

# the 99 fractions 0.01 .. 0.99 as a constant (a subquery there would keep
# the planner from splitting the aggregates)
fractions="ARRAY[$(seq -s, -f '0.%02g' 1 99)]::float8[]"

sed "s/@FRACTIONS@/$fractions/g" >"$sd/agg_exact.sql" <<'EOF'
\set me :client_id + :base
\set par random(0, 1)
\set q random(1, 99)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\set w :par * 2
SET max_parallel_workers_per_gather = :w;
SELECT ((s).n = e.n AND (s).sum = e.sum AND abs((s).var_samp - e.var_samp) <= 1e-9 * e.var_samp
		AND (s).min = e.min AND (s).max = e.max AND (s).mean = e.sum / e.n
		AND pc = e.pcont AND pd = e.pdisc AND p1 = e.pcont[:q] AND d1 = e.pdisc[:q])::int AS ok
FROM (SELECT parproc.stats(v) AS s,
			 parproc.percentile_cont(v, @FRACTIONS@) AS pc,
			 parproc.percentile_disc(v, @FRACTIONS@) AS pd,
			 parproc.percentile_cont(v, :q / 100.0) AS p1,
			 parproc.percentile_disc(v, :q / 100.0) AS d1
	  FROM src) a, soak_expect e \gset
SELECT soak_assert(:ok, 'stats and exact percentiles');
SELECT (count(*) = 100 AND bool_and(m = e.median))::int AS ok
FROM (SELECT k, parproc.median(v) AS m FROM src GROUP BY k) a JOIN soak_expect_k e USING (k) \gset
SELECT soak_assert(:ok, 'median per group');
SELECT soak_sample(:me);
EOF

cat >"$sd/agg_sketch.sql" <<'EOF'
\set me :client_id + :base
\set par random(0, 1)
\set q random(1, 99)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
\set w :par * 2
SET max_parallel_workers_per_gather = :w;
-- hll is exact up to 4096 distinct values, topk with more counters than values
SELECT (g = e.ngrp AND abs(t - e.ntxt) <= 0.02 * e.ntxt
		AND (SELECT count(*) = e.nk AND bool_and(count = e.n / e.nk AND max_error = 0)
			 FROM parproc.topk_items(tk)))::int AS ok
FROM (SELECT parproc.approx_count_distinct(grp) AS g, parproc.cardinality(parproc.hll_agg(txt)) AS t,
			 parproc.topk_agg(k, 128) AS tk FROM src) a, soak_expect e \gset
SELECT soak_assert(:ok, 'hll and topk');
-- per-group sketches merged: hll exactly, a quantile sketch within its bound
SELECT (parproc.cardinality(parproc.merge_agg(h)) = (SELECT ngrp FROM soak_expect))::int AS ok,
	   parproc.quantile(parproc.merge_agg(s), :q / 100.0) AS est3
FROM (SELECT k, parproc.hll_agg(grp) AS h, parproc.qsketch_agg(v) AS s FROM src GROUP BY k) x \gset
SELECT soak_assert(:ok, 'merged hll');
-- quantile sketches' estimates within 0.5% (accuracy 200, also merged)
-- and 1% (accuracy 100) of the fraction's rank
SELECT parproc.approx_percentile(v, :q / 100.0) AS est,
	   parproc.quantile(parproc.qsketch_agg(v, 100), :q / 100.0) AS est2 FROM src \gset
SELECT (abs(count(*) FILTER (WHERE v <= :est) / count(*)::float8 - :q / 100.0) <= 0.005
		AND abs(count(*) FILTER (WHERE v <= :est2) / count(*)::float8 - :q / 100.0) <= 0.01
		AND abs(count(*) FILTER (WHERE v <= :est3) / count(*)::float8 - :q / 100.0) <= 0.005)::int AS ok
FROM src \gset
SELECT soak_assert(:ok, 'quantile sketch rank error');
SELECT soak_sample(:me);
EOF

cat >"$sd/graph.sql" <<'EOF'
\set me :client_id + :base
\set s random(1, 200)
SELECT (count(*) = 0)::int AS ok
FROM parproc.spread_activation('kg', ARRAY[:s, :s + 1000]::bigint[], max_iterations => 10,
							   max_nodes => 50) a
	 FULL JOIN (SELECT * FROM soak_expect_sa WHERE seed = :s) e ON e.node = a.node
WHERE a.node IS NULL OR e.node IS NULL OR abs(a.activation - e.activation) > 1e-9 \gset
SELECT soak_assert(:ok, 'spread_activation');
SELECT soak_sample(:me);
EOF

cat >"$sd/refresh.sql" <<'EOF'
\set me :client_id + :base
SELECT parproc.refresh_graph('kg');
SELECT soak_sample(:me);
EOF

# A pipeline transaction: resume this pipeline's run left cancelled (and
# maybe cancel it again), or empty the target and run it afresh: run() to
# the end, run() cancelled by statement_timeout, or start() then cancel().
# Then wait, and check it if done (soak_settle).  Only this client runs
# this pipeline and writes its target.
pipeline_script() {
	cat <<EOF
\\set me :client_id + :base
\\set d random(0, 400)
SELECT soak_sweep('p$1_:me');
SELECT coalesce(min(run_id), 0) AS pend FROM parproc.runs WHERE pipeline = 'p$1_:me' AND state <> 'done' \\gset
\\if :pend > 0
  SELECT soak_resume(:pend) AS rid \\gset
  \\set again random(0, 2)
  \\if :again = 0
    \\sleep :d ms
    SELECT parproc.cancel(:rid)::int AS c \\gset
    INSERT INTO soak_events (run_id, pipeline, event) SELECT :rid, 'p$1_:me', 'cancel' WHERE :c = 1;
  \\endif
\\else
  TRUNCATE t$1_:me;
  \\set mode random(1, 3)
  \\if :mode = 1
    SELECT soak_run('p$1_:me', '$2', NULL) AS rid \\gset
  \\elif :mode = 2
    \\set ms :d + 20
    SET statement_timeout = :ms;
    SELECT soak_run('p$1_:me', '$2', :ms) AS rid \\gset
    RESET statement_timeout;
  \\else
    SELECT parproc.start('p$1_:me', workers => 2, on_error => '$2') AS rid \\gset
    \\sleep :d ms
    SELECT parproc.cancel(:rid)::int AS c \\gset
    INSERT INTO soak_events (run_id, pipeline, event) SELECT :rid, 'p$1_:me', 'cancel' WHERE :c = 1;
  \\endif
\\endif
\\if :rid > 0
  SELECT state FROM parproc.wait(:rid) \\gset
  SELECT soak_settle(:rid);
\\endif
SELECT soak_sample(:me);
EOF
}
pipeline_script a abort >"$sd/pipe_a.sql"
pipeline_script b skip >"$sd/pipe_b.sql"

# cancel a run of any client
cat >"$sd/chaos.sql" <<'EOF'
\set me :client_id + :base
\set d random(0, 300)
\sleep :d ms
INSERT INTO soak_events (run_id, pipeline, event)
SELECT run_id, pipeline, 'cancel' FROM (SELECT run_id, pipeline FROM parproc.run_progress
										 ORDER BY random() LIMIT 1) r
WHERE parproc.cancel(run_id);
SELECT soak_sample(:me);
EOF

# the probe's round: each kind once
cat "$sd/agg_exact.sql" "$sd/agg_sketch.sql" "$sd/graph.sql" "$sd/pipe_a.sql" "$sd/pipe_b.sql" \
	| grep -v 'soak_sample' >"$sd/round.sql"
echo 'SELECT soak_sample(:me);' >>"$sd/round.sql"

# ----------------------------------------------------------- the baseline
# wait until no parproc or parallel worker process is left (at most 30 s)
idle() {
	for _ in $(seq 60); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'parproc%'
			OR backend_type = 'parallel worker'")" = 0 ] && return 0
		sleep 0.5
	done
	return 1
}
# The cluster's DSM segments in use, from its control segment (the one file
# in /dev/shm the postmaster maps): an item with a reference count of 2 or
# more is in use (PostgreSQL 14+ layout of dsm_control_item on 64-bit:
# handle, refcnt, first_page, npages, a pointer, pinned).  Prints the
# number of unpinned segments (a run's spec, a parallel query's: mapped
# only while in use), then the number and megabytes of pinned ones (DSA
# areas: the graph cache's, which keeps the segments it grew to).
dsm_segments() {
	local pm ctl
	pm=$(head -n 1 "$dir/data/postmaster.pid")
	ctl=$(grep -o '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$pm/maps" | head -n 1)
	perl -e '
		open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!";
		binmode $f; local $/; my $b = <$f>;
		my ($magic, $n) = unpack("V2", $b);
		die "not a DSM control segment\n" unless $magic == 0x9a503d32;
		my ($unpinned, $pinned, $bytes) = (0, 0, 0);
		for my $i (0 .. $n - 1) {
			my ($h, $ref, $first, $npages, $ptr, $pin) = unpack("V V Q< Q< Q< C", substr($b, 16 + 40 * $i, 40));
			next if $ref < 2;
			if ($pin) { $pinned++; $bytes += -s "/dev/shm/PostgreSQL.$h" // 0; } else { $unpinned++; }
		}
		printf "%d %d %.1f\n", $unpinned, $pinned, $bytes / 1048576;' "$ctl"
}

# warm up: graph queries and refreshes, a parallel aggregate and a run, so
# that the graph cache's area has room for two versions and other lazily
# made segments exist
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d postgres -o /dev/null <<'SQL'
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]::bigint[]);
SELECT parproc.refresh_graph('kg');
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]::bigint[]);
SELECT parproc.refresh_graph('kg');
SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]::bigint[]);
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SELECT parproc.stats(v), parproc.percentile_cont(v, 0.5), parproc.approx_count_distinct(txt) FROM src;
SELECT soak_check(run_id) FROM parproc.run('pa_0', workers => 2);
TRUNCATE ta_0;
SQL
idle || true
read -r dsm_before dsm_pinned_before dsm_mb_before < <(dsm_segments)
graph_before=$(q "SELECT count(*) || ' ' || coalesce(sum(bytes), 0) FROM parproc._graph_cache()")
plan=$(q "SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
	EXPLAIN (COSTS OFF) SELECT parproc.stats(v), parproc.percentile_cont(v, $fractions),
		parproc.hll_agg(grp), parproc.topk_agg(k, 128), parproc.approx_percentile(v, 0.5) FROM src")

# ------------------------------------------------------------------- soak
say "pgbench: $CLIENTS clients x $TXNS transactions, and a probe of $ROUNDS rounds"
t_bench=$(date +%s)
"$PGBENCH" -n -c 1 -j 1 -t "$ROUNDS" -D base="$CLIENTS" --random-seed=7 \
	-f "$sd/round.sql" postgres >"$dir/probe.log" 2>&1 &
probe_pid=$!
bg_pids+=("$probe_pid")
bench_status=0
"$PGBENCH" -n -c "$CLIENTS" -j 2 -t "$TXNS" -D base=0 --random-seed=42 \
	-f "$sd/agg_exact.sql@3" -f "$sd/agg_sketch.sql@3" -f "$sd/graph.sql@4" -f "$sd/refresh.sql@2" \
	-f "$sd/pipe_a.sql@3" -f "$sd/pipe_b.sql@3" -f "$sd/chaos.sql@1" postgres >"$dir/pgbench.log" 2>&1 \
	|| bench_status=$?
probe_status=0
wait "$probe_pid" || probe_status=$?
bg_pids=()
t_bench=$(($(date +%s) - t_bench))
grep -E '^(number of transactions actually|number of failed|latency average|tps)' "$dir/pgbench.log" |
	sed 's/^/  clients: /'
grep -E '^(number of transactions actually|number of failed|latency average)' "$dir/probe.log" |
	sed 's/^/  probe:   /'

# ---------------------------------------------- resume what was left over
say "resuming runs left cancelled"
left=$(q "SELECT run_id FROM parproc.runs WHERE state <> 'done' ORDER BY run_id")
for rid in $left; do
	q "SELECT soak_resume($rid)" >/dev/null
	q "SELECT state FROM parproc.wait($rid)" >/dev/null
	q "SELECT soak_settle($rid)" >/dev/null
done
q "SELECT soak_sweep(pipeline) FROM soak_pipes" >/dev/null
echo "  resumed $(echo "$left" | wc -w) runs"

# the graph's older versions are freed when a session sees the new one
q "SELECT count(*) FROM parproc.spread_activation('kg', ARRAY[1]::bigint[])" >/dev/null
all_idle=0
idle || all_idle=1

# ------------------------------------------------------------------ figures
# Memory per backend: the peak of its last quarter of samples against the
# peak of its second (the first quarter warms caches up; peaks, because a
# backend's memory after a transaction depends on what it ran last).
mem=$(q "WITH s AS (SELECT client = probe AS is_probe, pid, ctx_bytes / 1024 AS ctx, rss_anon_kb AS rss,
						   ntile(4) OVER (PARTITION BY pid ORDER BY id) AS quarter
					FROM soak_mem, soak_conf),
		 g AS (SELECT is_probe, pid,
					  max(ctx) FILTER (WHERE quarter = 2) AS ctx2, max(ctx) FILTER (WHERE quarter = 4) AS ctx4,
					  max(rss) FILTER (WHERE quarter = 2) AS rss2, max(rss) FILTER (WHERE quarter = 4) AS rss4
			   FROM s GROUP BY is_probe, pid)
	SELECT concat_ws(' ', max(ctx2) FILTER (WHERE is_probe), max(ctx4) FILTER (WHERE is_probe),
					 max(rss2) FILTER (WHERE is_probe), max(rss4) FILTER (WHERE is_probe),
					 coalesce(max(ctx4 - ctx2) FILTER (WHERE NOT is_probe), 0),
					 coalesce(max(rss4 - rss2) FILTER (WHERE NOT is_probe), 0)) FROM g")
read -r probe_ctx0 probe_ctx1 probe_rss0 probe_rss1 client_ctx_kb client_rss_kb <<<"$mem"
read -r dsm_after dsm_pinned_after dsm_mb_after < <(dsm_segments)
graph_after=$(q "SELECT count(*) || ' ' || coalesce(sum(bytes), 0) FROM parproc._graph_cache()")
n_errors=$(q "SELECT count(*) FROM soak_events WHERE event LIKE 'error:%'")
live_runs=$(q "SELECT count(*) FROM parproc.run_progress")
live_slots=$(q "SELECT count(*) FROM parproc._live_runs()")
workers_left=$(q "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'parproc%' OR backend_type = 'parallel worker'")
events=$(q "SELECT count(*) FILTER (WHERE event = 'cancel') || ' ' || count(*) FILTER (WHERE event = 'cancelled')
			|| ' ' || count(*) FILTER (WHERE event LIKE 'resume%') || ' ' || count(*) FILTER (WHERE event = 'failed')
			FROM soak_events")
read -r n_cancel n_cancelled n_resume n_failed <<<"$events"
runs=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE r.state = 'done') || ' ' ||
			  count(*) FILTER (WHERE r.state = 'done' AND h.attempts > 1) FROM parproc.runs r
			  JOIN parproc.run_history h USING (run_id)")
read -r n_runs n_done n_done_resumed <<<"$runs"
checked=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT ok) || ' ' || coalesce(sum(target_rows), 0)
			 FROM soak_runs")
read -r n_checked n_bad rows_checked <<<"$checked"
aggs=$(q "SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT ok) FROM soak_checks")
read -r n_aggs n_aggs_bad <<<"$aggs"
txns=$(grep -E '^number of transactions actually processed' "$dir/pgbench.log" | sed 's/.*: //')
log_trouble=$(grep -cE 'leak|PANIC|TRAP|terminated by signal|server process .* was terminated|was terminated by' \
	"$dir/server.log" || true)
probe_errors=$(grep -ci 'error' "$dir/probe.log" || true)

say "figures"
printf '  %-48s %s\n' \
	"transactions (clients)" "$txns" \
	"probe rounds" "$(grep -E '^number of transactions actually processed' "$dir/probe.log" | sed 's/.*: //')" \
	"aggregate and graph results checked (wrong)" "$n_aggs ($n_aggs_bad)" \
	"pipeline runs / done / done after resume" "$n_runs / $n_done / $n_done_resumed" \
	"cancels accepted / runs ended cancelled" "$n_cancel / $n_cancelled" \
	"resumes (of which at the end)" "$n_resume ($(echo "$left" | wc -w))" \
	"runs ended failed" "$n_failed" \
	"done runs checked (wrong) / target rows" "$n_checked ($n_bad) / $rows_checked" \
	"probe contexts, peak of 2nd / 4th quarter (kB)" "$probe_ctx0 / $probe_ctx1 (bound +$PROBE_CTX_KB)" \
	"probe RssAnon, peak of 2nd / 4th quarter (kB)" "$probe_rss0 / $probe_rss1 (bound +$PROBE_RSS_KB)" \
	"client backends' peak growth, contexts (kB)" "$client_ctx_kb (bound $CLIENT_CTX_KB)" \
	"client backends' peak growth, RssAnon (kB)" "$client_rss_kb (bound $CLIENT_RSS_KB)" \
	"DSM segments unpinned before / after" "$dsm_before / $dsm_after" \
	"DSM segments pinned before / after (MB)" "$dsm_pinned_before ($dsm_mb_before) / $dsm_pinned_after ($dsm_mb_after) (bound +$DSA_GROWTH_MB MB)" \
	"graph versions loaded, bytes: before / after" "$graph_before / $graph_after" \
	"parproc calls that failed unexpectedly" "$n_errors" \
	"runs in progress / run slots in use after" "$live_runs / $live_slots" \
	"parproc and parallel workers left" "$workers_left" \
	"pgbench seconds / total seconds" "$t_bench / $(($(date +%s) - t_start))"

echo "  probe memory contexts that grew most from round 2 to the last (bytes):"
q "WITH f AS (SELECT (SELECT sample FROM soak_ctx GROUP BY 1 ORDER BY 1 OFFSET 1 LIMIT 1) AS s0,
					 max(sample) AS s1 FROM soak_ctx)
   SELECT '    ' || rpad(context, 60) || coalesce(b.bytes, 0) - coalesce(a.bytes, 0)
   FROM f, (SELECT * FROM soak_ctx WHERE sample = (SELECT s0 FROM f)) a
		FULL JOIN (SELECT * FROM soak_ctx WHERE sample = (SELECT s1 FROM f)) b USING (context)
   ORDER BY coalesce(b.bytes, 0) - coalesce(a.bytes, 0) DESC LIMIT 5"

# ------------------------------------------------------------------- checks
say "checks"
check "pgbench clients ran every transaction" is "$bench_status $txns" "0 $((CLIENTS * TXNS))/$((CLIENTS * TXNS))"
check "the probe ran every round without an error" is "$probe_status $probe_errors" "0 0"
check "forced parallel plan has Partial Aggregate" grep -q 'Partial Aggregate' <<<"$plan"
check "aggregates and spread_activation equal their oracles" is "$n_aggs_bad" 0
check "every done run equals INSERT ... SELECT" is "$n_bad" 0
check "every run ended done and was checked" \
	is "$(q "SELECT count(*) FROM parproc.runs r WHERE state <> 'done'
		OR NOT EXISTS (SELECT FROM soak_runs s WHERE s.run_id = r.run_id AND s.ok)")" 0
check "no run ended failed" is "$n_failed" 0
check "cancels and resumes happened" test "$n_cancelled" -gt 0 -a "$n_done_resumed" -gt 0
check "probe memory contexts back to their level" test $((probe_ctx1 - probe_ctx0)) -le $PROBE_CTX_KB
check "probe RSS back to its level" test $((probe_rss1 - probe_rss0)) -le $PROBE_RSS_KB
check "client backends' memory bounded" test "$client_ctx_kb" -le $CLIENT_CTX_KB -a "$client_rss_kb" -le $CLIENT_RSS_KB
check "no run in progress, no run slot in use" is "$live_runs $live_slots" "0 0"
check "no parproc or parallel worker left" is "$all_idle $workers_left" "0 0"
check "no parproc call failed unexpectedly" is "$n_errors" 0
check "no DSM segment left mapped" is "$dsm_after" "$dsm_before"
check "DSA areas within their bound" \
	awk -v a="$dsm_mb_after" -v b="$dsm_mb_before" -v m="$DSA_GROWTH_MB" 'BEGIN { exit !(a - b <= m) }'
check "one graph version loaded, of its size" is "$graph_after" "$graph_before"
# a leaked reservation of parproc.max_workers (4) shows as fewer workers
q "TRUNCATE ta_0" >/dev/null
check "a new run gets all parproc.max_workers" \
	is "$(q "SELECT state || ' ' || workers_used || ' ' || soak_check(run_id)
		FROM parproc.run('pa_0', workers => 4)")" "done 4 true"
check "no leak warning or crash in the server log" is "$log_trouble" 0

if [ "$failed" -ne 0 ]; then
	echo
	echo "--- wrong results (soak_checks, soak_runs)"
	q "SELECT at, what FROM soak_checks WHERE NOT ok LIMIT 10"
	q "SELECT * FROM soak_runs WHERE NOT ok LIMIT 10"
	q "SELECT at, run_id, pipeline, event FROM soak_events WHERE event LIKE 'error:%' OR event = 'failed' LIMIT 20"
	echo "--- pgbench, probe and server logs: $dir"
	grep -E 'error|abort' "$dir/pgbench.log" "$dir/probe.log" | head -n 20 || true
	grep -E 'leak|PANIC|TRAP|terminated' "$dir/server.log" | head -n 20 || true
fi
echo
echo "soak: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
