/* parproc 0.1 -> 0.2 */
\echo Use "ALTER EXTENSION parproc UPDATE TO '0.2'" to load this file. \quit

-- hardening (issue 13) -------------------------------------------------------

-- graphs ---------------------------------------------------------------------

-- A loaded graph is cached under its definition's generation (with its
-- edge table and owner), so only the extension may assign generations: a
-- fresh one for every row inserted or updated, whatever was written.
CREATE FUNCTION parproc._graph_defs_generation() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	NEW.generation := nextval('parproc.graph_generation');
	RETURN NEW;
END $$;
CREATE TRIGGER graph_defs_generation BEFORE INSERT OR UPDATE ON parproc.graph_defs
	FOR EACH ROW EXECUTE FUNCTION parproc._graph_defs_generation();
-- definitions written before this version get fresh generations too (the
-- trigger overwrites whatever is set)
UPDATE parproc.graph_defs SET generation = 0;
COMMENT ON TABLE parproc.graph_defs IS
'graph definitions of parproc.create_graph; generation is assigned afresh at every insert and update of a row';

-- a changed definition, like a new one, must name a table its writer may read
ALTER POLICY graph_defs_change ON parproc.graph_defs
	WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER')
				AND pg_catalog.has_table_privilege(edges, 'SELECT'));

-- trigger functions are for the triggers only; _graph_load and
-- _graph_unload stay callable (create_graph, refresh_graph and drop_graph
-- run as the caller) and check in C that the caller is a member of the
-- graph's owner; _graph_cache stays behind the parproc.graphs view
REVOKE EXECUTE ON FUNCTION parproc._graph_defs_generation() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION parproc._graph_defs_changed() FROM PUBLIC;

-- spread_activation's "normalize" parameter is normalize_weights: NORMALIZE
-- is an SQL keyword, which named notation had to quote.  A parameter cannot
-- be renamed in place, so the function is made again (an object of yours
-- that depends on it makes this update fail with a message naming it: drop
-- it, update, create it again).
DROP FUNCTION parproc.spread_activation(text, bigint[], double precision, double precision,
	double precision, double precision, double precision, boolean, integer, double precision,
	integer, double precision[]);
CREATE FUNCTION parproc.spread_activation(
	graph text, seeds bigint[],
	initial double precision DEFAULT 1.0, spread double precision DEFAULT 0.8,
	decay double precision DEFAULT 0.2, threshold double precision DEFAULT 0.01,
	inhibition double precision DEFAULT 0.0, normalize_weights boolean DEFAULT true,
	max_iterations integer DEFAULT 10, epsilon double precision DEFAULT 1e-6,
	max_nodes integer DEFAULT 100, seed_weights double precision[] DEFAULT NULL,
	OUT node bigint, OUT activation double precision, OUT iteration_reached integer)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_spread_activation' LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION parproc.spread_activation(text, bigint[], double precision, double precision,
	double precision, double precision, double precision, boolean, integer, double precision,
	integer, double precision[]) IS
'spreading activation from seed nodes; see the README for the exact definition';

-- pipelines ------------------------------------------------------------------

-- A run keeps what it needs to be resumed as it began, whatever happens to
-- its pipeline and to the resuming session's settings: its source and
-- target, its stages as defined and as resolved (the node trees of their
-- expressions), and the settings its workers run with ("name=value": those
-- set for the session, role or database that started it).  Runs recorded by 0.1 get the definition of their pipeline when it
-- was created before they started (so it is the one they ran).
ALTER TABLE parproc.run_history
	ADD COLUMN source regclass,
	ADD COLUMN target regclass,
	ADD COLUMN stages jsonb,
	ADD COLUMN resolved text,
	ADD COLUMN settings text[],
	ADD COLUMN chunk_retries bigint NOT NULL DEFAULT 0,
	ADD COLUMN on_conflict text;
-- chunks retried after transient errors (deadlocks, lock timeouts,
-- serialization failures), per worker; runs in progress from shared memory
ALTER TABLE parproc.run_workers ADD COLUMN retries bigint NOT NULL DEFAULT 0;
CREATE FUNCTION parproc._live_retries(
	OUT run_id bigint, OUT attempt integer, OUT worker integer, OUT retries bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_live_retries' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
UPDATE parproc.run_history h SET source = d.source, target = d.target, stages = d.stages
FROM parproc.pipeline_defs d
WHERE d.name = h.pipeline AND d.created_at <= h.started_at;

-- Failed rows and error messages are table data, not statistics: shown to
-- those who may SELECT the run's source (the pg_read_all_stats members who
-- see other roles' runs see that they failed, not the rows).  When the
-- source is not known (a run of 0.1), was dropped, or has row-level
-- security (whose policies the run, reading as the owner, did not apply),
-- only to the members of the run's role.
CREATE FUNCTION parproc._may_read_rows(owner regrole, source regclass) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
	SELECT CASE WHEN EXISTS (SELECT FROM pg_class c WHERE c.oid = source AND NOT c.relrowsecurity)
				THEN has_table_privilege(source, 'SELECT')
				ELSE pg_has_role(owner, 'USAGE') END
$$;

-- The views whose rows or columns depend on who asks are security
-- barriers: a cheap function in the caller's WHERE clause runs only on
-- what the view lets through.
CREATE OR REPLACE VIEW parproc.runs WITH (security_barrier) AS
SELECT h.run_id, h.pipeline, h.role,
	   coalesce(l.state, CASE WHEN h.state IN ('queued', 'running') THEN 'failed' ELSE h.state END)
		   AS state,
	   h.started_at, h.finished_at,
	   coalesce(l.rows_read, h.rows_read) AS rows_read,
	   coalesce(l.rows_written, h.rows_written) AS rows_written,
	   coalesce(l.rows_failed, h.rows_failed) AS rows_failed,
	   coalesce(h.elapsed_ms, extract(epoch FROM clock_timestamp() - l.started_at) * 1000) AS elapsed_ms,
	   coalesce(l.rows_read, h.rows_read)
		   / NULLIF(coalesce(h.elapsed_ms, extract(epoch FROM clock_timestamp() - l.started_at) * 1000), 0)
		   * 1000 AS rows_per_sec,
	   h.workers_requested, coalesce(l.workers_used, h.workers_used) AS workers_used,
	   h.on_error,
	   CASE WHEN parproc._may_read(h.role) AND parproc._may_read_rows(h.role, h.source) THEN
		   coalesce(h.error, CASE WHEN h.state IN ('queued', 'running') AND l.run_id IS NULL THEN
			   'the run was interrupted (server restart or coordinator exit)' END)
	   END AS error,
	   h.sqlstate,
	   h.chunk_retries + coalesce(lr.retries, 0) AS chunk_retries
FROM parproc.run_history h LEFT JOIN parproc._live_runs() l ON l.run_id = h.run_id
	 LEFT JOIN (SELECT r.run_id, sum(r.retries) AS retries FROM parproc._live_retries() r
				GROUP BY r.run_id) lr ON lr.run_id = h.run_id;

CREATE OR REPLACE VIEW parproc.worker_stats AS
SELECT w.run_id, w.attempt, w.worker, w.pid, w.chunks, w.rows, w.busy_ms, w.wait_ms,
	   w.read_ms, w.eval_ms, w.write_ms, w.wal_bytes, w.retries
FROM parproc.run_workers w
UNION ALL
SELECT l.run_id, l.attempt, l.worker, l.pid, l.chunks, l.rows, l.busy_ms, l.wait_ms,
	   l.read_ms, l.eval_ms, l.write_ms, l.wal_bytes, coalesce(r.retries, 0)
FROM parproc._live_workers() l
	 LEFT JOIN parproc._live_retries() r USING (run_id, attempt, worker);

-- Upsert targets: what follows ON CONFLICT in the INSERT that writes a
-- pipeline's rows (NULL: a plain INSERT), kept by the definition and by each
-- run as it began.  create_pipeline gets the argument, so it is created
-- anew; the privileges a DBA granted or revoked on it carry over.
ALTER TABLE parproc.pipeline_defs ADD COLUMN on_conflict text;
-- GRANT on fn what acl (a function's proacl) grants, PUBLIC's default
-- revoked first: a function created anew keeps the privileges a DBA gave
-- the one it replaces (dropped below, once used)
CREATE FUNCTION parproc._grant_as(acl aclitem[], fn regprocedure) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	g record;
BEGIN
	IF acl IS NULL THEN
		RETURN;
	END IF;
	EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', fn);
	FOR g IN SELECT * FROM pg_catalog.aclexplode(acl) LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s', fn,
			CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END,
			CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
END $$;
DO $$
DECLARE
	acl aclitem[] := (SELECT proacl FROM pg_catalog.pg_proc WHERE oid =
		'parproc.create_pipeline(text, regclass, text, jsonb, boolean)'::pg_catalog.regprocedure);
BEGIN
	DROP FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean);
	CREATE FUNCTION parproc.create_pipeline(name text, source regclass, target text, stages jsonb,
											create_target boolean DEFAULT false,
											on_conflict text DEFAULT NULL)
	RETURNS void
		AS 'MODULE_PATHNAME', 'parproc_create_pipeline' LANGUAGE C PARALLEL UNSAFE;
	COMMENT ON FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean, text) IS
	'define a chain of filter/map stages from a source table to a target table, written by INSERT or by INSERT ... ON CONFLICT';
	PERFORM parproc._grant_as(acl,
		'parproc.create_pipeline(text, regclass, text, jsonb, boolean, text)');
END $$;

-- Aggregate stages: the partial states of each chunk's groups (the hash of
-- the group keys, the keys and the states, in binary form), committed with
-- the chunk's done mark.  The run's final step combines them per group,
-- writes the target and deletes them, with a final mark in run_chunks
-- (part -1).
CREATE TABLE parproc.run_partials (
	run_id bigint NOT NULL,
	khash integer NOT NULL,
	keys bytea NOT NULL,
	states bytea NOT NULL
);
CREATE INDEX run_partials_run_id_khash ON parproc.run_partials (run_id, khash);
SELECT pg_catalog.pg_extension_config_dump('parproc.run_partials', '');
COMMENT ON TABLE parproc.run_partials IS
'partial aggregate states of the committed chunks of pipeline runs with an aggregate stage, until the run''s final step combines them';
COMMENT ON FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean, text) IS
'define a chain of filter, map and aggregate stages from a source table to a target table, written by INSERT or by INSERT ... ON CONFLICT';

-- scale-out (issue 14) ---------------------------------------------------------

-- parproc.stats keeps its state in a real type, parproc.stats_state, rather
-- than internal: Citus computes the aggregate of such a type on the shards
-- and combines the partial states on the coordinator, moving them as text.
-- CREATE OR REPLACE AGGREGATE gives stats (and below the other aggregates
-- whose state changes type) its new state in place, so that views and
-- functions of yours that use them survive the update.

CREATE TYPE parproc.stats_state;

CREATE FUNCTION parproc.stats_state_in(cstring) RETURNS parproc.stats_state
	AS 'MODULE_PATHNAME', 'parproc_stats_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_state_out(parproc.stats_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'parproc_stats_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_state_recv(internal) RETURNS parproc.stats_state
	AS 'MODULE_PATHNAME', 'parproc_stats_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_state_send(parproc.stats_state) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_stats_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- plain storage and double alignment: the moments are read in place
CREATE TYPE parproc.stats_state (
	INPUT = parproc.stats_state_in,
	OUTPUT = parproc.stats_state_out,
	RECEIVE = parproc.stats_state_recv,
	SEND = parproc.stats_state_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE parproc.stats_state IS
'Partial state of parproc.stats: count, sum, shifted central moments M2..M4, min and max; text form \x and hex';

CREATE FUNCTION parproc.stats_accum(parproc.stats_state, double precision) RETURNS parproc.stats_state
	AS 'MODULE_PATHNAME', 'parproc_stats_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.stats_merge(parproc.stats_state, parproc.stats_state) RETURNS parproc.stats_state
	AS 'MODULE_PATHNAME', 'parproc_stats_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.stats_final(parproc.stats_state) RETURNS parproc.stats_result
	AS 'MODULE_PATHNAME', 'parproc_stats_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


CREATE OR REPLACE AGGREGATE parproc.stats(double precision) (
	SFUNC = parproc.stats_accum,
	STYPE = parproc.stats_state,
	SSPACE = 112,
	FINALFUNC = parproc.stats_final,
	COMBINEFUNC = parproc.stats_merge,
	PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.stats_transfn(internal, double precision);
DROP FUNCTION parproc.stats_combinefn(internal, internal);
DROP FUNCTION parproc.stats_serialfn(internal);
DROP FUNCTION parproc.stats_deserialfn(bytea, internal);
DROP FUNCTION parproc.stats_finalfn(internal);

COMMENT ON AGGREGATE parproc.stats(double precision) IS
'n, sum, mean, sample and population variance and standard deviation, skewness (G1), excess kurtosis (G2), min and max in one pass';

-- The hll aggregates over smallint, integer, bigint, text and uuid keep
-- their state in parproc.hll itself: the sketch being built is an expanded
-- object, updated in place from row to row and flattened to the sketch's
-- bytes only where a value must exist (a parallel worker's partial state,
-- Citus's text, the result).  Citus distributes these.  The polymorphic
-- forms (anyelement) stay as they were, with an internal state: Citus
-- would push them down too, and then refuse to run them (it checks the
-- declared argument type against the column's), so they gather rows.
-- varchar and name values take the text forms (the same hashes).

CREATE FUNCTION parproc.hll_union(parproc.hll, parproc.hll) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_final(parproc.hll) RETURNS parproc.hll
	AS 'MODULE_PATHNAME', 'parproc_hll_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.hll_count_final(parproc.hll) RETURNS bigint
	AS 'MODULE_PATHNAME', 'parproc_hll_count_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- SSPACE: a dense sketch is 2^precision bytes (64 kB at the default 16;
-- the two-argument form allows up to 256 kB), and the sparse form never
-- takes more.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'text', 'uuid'] LOOP
		-- the transition functions declare the type: Citus calls them
		-- without the call's expression, which a polymorphic one needs
		EXECUTE format('CREATE FUNCTION parproc.hll_accum(parproc.hll, %s) RETURNS parproc.hll
			AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE', t, 'MODULE_PATHNAME', 'parproc_hll_accum');
		EXECUTE format('CREATE FUNCTION parproc.hll_accum(parproc.hll, %s, integer) RETURNS parproc.hll
			AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE', t, 'MODULE_PATHNAME', 'parproc_hll_accum');
		EXECUTE format('CREATE AGGREGATE parproc.hll_agg(%s) (
			SFUNC = parproc.hll_accum, STYPE = parproc.hll, SSPACE = 65536,
			FINALFUNC = parproc.hll_final, COMBINEFUNC = parproc.hll_union, PARALLEL = SAFE)', t);
		EXECUTE format('CREATE AGGREGATE parproc.hll_agg(%s, integer) (
			SFUNC = parproc.hll_accum, STYPE = parproc.hll, SSPACE = 262144,
			FINALFUNC = parproc.hll_final, COMBINEFUNC = parproc.hll_union, PARALLEL = SAFE)', t);
		EXECUTE format('CREATE AGGREGATE parproc.approx_count_distinct(%s) (
			SFUNC = parproc.hll_accum, STYPE = parproc.hll, SSPACE = 65536,
			FINALFUNC = parproc.hll_count_final, COMBINEFUNC = parproc.hll_union, PARALLEL = SAFE)', t);
		EXECUTE format('COMMENT ON AGGREGATE parproc.hll_agg(%s) IS %L', t,
			'HyperLogLog sketch of the distinct non-NULL values, precision 16 (0.41% standard error, exact up to 4096 values)');
		EXECUTE format('COMMENT ON AGGREGATE parproc.approx_count_distinct(%s) IS %L', t,
			'approximate count(DISTINCT x) from a HyperLogLog sketch, precision 16; exact up to 4096 values');
	END LOOP;
END $$;

CREATE OR REPLACE AGGREGATE parproc.merge_agg(parproc.hll) (
	SFUNC = parproc.hll_union, STYPE = parproc.hll, SSPACE = 262144,
	FINALFUNC = parproc.hll_final, COMBINEFUNC = parproc.hll_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.hll_merge_transfn(internal, parproc.hll);
COMMENT ON AGGREGATE parproc.merge_agg(parproc.hll) IS
'union of stored hll sketches of one precision';

-- qsketch_agg and merge_agg of parproc.qsketch keep the sketch being built
-- as their parproc.qsketch state, as the hll aggregates do; Citus
-- distributes them.  approx_percentile keeps its internal state, which
-- carries its fractions besides the sketch.

CREATE FUNCTION parproc.qsketch_accum(parproc.qsketch, double precision) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_accum(parproc.qsketch, double precision, integer) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_union(parproc.qsketch, parproc.qsketch) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.qsketch_final(parproc.qsketch) RETURNS parproc.qsketch
	AS 'MODULE_PATHNAME', 'parproc_qsketch_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


-- SSPACE: a state that has seen many rows holds a 32 kB buffer and room
-- for its centroids plus one buffer (about 90 kB at the default accuracy);
-- a group of few rows stays far smaller.
CREATE OR REPLACE AGGREGATE parproc.qsketch_agg(x double precision) (
	SFUNC = parproc.qsketch_accum, STYPE = parproc.qsketch, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_final, COMBINEFUNC = parproc.qsketch_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.qsketch_agg(x double precision, accuracy integer) (
	SFUNC = parproc.qsketch_accum, STYPE = parproc.qsketch, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_final, COMBINEFUNC = parproc.qsketch_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.merge_agg(parproc.qsketch) (
	SFUNC = parproc.qsketch_union, STYPE = parproc.qsketch, SSPACE = 131072,
	FINALFUNC = parproc.qsketch_final, COMBINEFUNC = parproc.qsketch_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.qsketch_transfn(internal, double precision);
DROP FUNCTION parproc.qsketch_transfn(internal, double precision, integer);
DROP FUNCTION parproc.qsketch_merge_transfn(internal, parproc.qsketch);
DROP FUNCTION parproc.qsketch_finalfn(internal);

COMMENT ON AGGREGATE parproc.qsketch_agg(double precision) IS
'quantile sketch of the non-NULL values at accuracy 200: normalized rank error about 0.01% at the median, 0.001% at p99; exact below 400 values';
COMMENT ON AGGREGATE parproc.qsketch_agg(double precision, integer) IS
'quantile sketch at an accuracy from 10 to 10000: centroids of about 4q(1-q)/accuracy of the values near fraction q';
COMMENT ON AGGREGATE parproc.merge_agg(parproc.qsketch) IS
'merge of stored quantile sketches, at the lowest of their accuracies';

-- The other aggregates keep their states in parproc.agg_state: the state
-- being built is an expanded object, as above, whose bytes (a mark of the
-- aggregate, then its state: an exact percentile's values, a histogram's
-- counts ...) exist only where a value must, and whose text form is their
-- base64.  Citus distributes these.

CREATE TYPE parproc.agg_state;

CREATE FUNCTION parproc.agg_state_in(cstring) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_agg_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.agg_state_out(parproc.agg_state) RETURNS cstring
	AS 'MODULE_PATHNAME', 'parproc_agg_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.agg_state_recv(internal) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_agg_state_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION parproc.agg_state_send(parproc.agg_state) RETURNS bytea
	AS 'MODULE_PATHNAME', 'parproc_agg_state_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE parproc.agg_state (
	INPUT = parproc.agg_state_in,
	OUTPUT = parproc.agg_state_out,
	RECEIVE = parproc.agg_state_recv,
	SEND = parproc.agg_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);

COMMENT ON TYPE parproc.agg_state IS
'Partial state of the exact percentile, approx_percentile, histogram and vector aggregates; text form base64';

-- exact percentiles
CREATE FUNCTION parproc.percentile_accum(parproc.agg_state, double precision, double precision) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_percentile_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_accum(parproc.agg_state, double precision, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_percentile_multi_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.median_accum(parproc.agg_state, double precision) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_median_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_percentile_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_cont_final(parproc.agg_state) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_percentile_cont_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_disc_final(parproc.agg_state) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_percentile_disc_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_cont_multi_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_percentile_cont_multi_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.percentile_disc_multi_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_percentile_disc_multi_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


-- The final functions reorder the values in place, which keeps the state
-- equivalent: a percentile_cont and a percentile_disc over the same rows
-- share one state.  An exact percentile keeps 8 bytes per row, so a hash
-- table of many groups holds the whole input and PostgreSQL cannot spill
-- groups it already has; SSPACE (8192 rows per group) steers the planner to
-- sorted grouping, which keeps one group in memory at a time, unless there
-- are few groups.
CREATE OR REPLACE AGGREGATE parproc.percentile_cont(x double precision, fraction double precision) (
	SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state, SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_final, FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.percentile_cont(x double precision, fractions double precision[]) (
	SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state, SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_multi_final, FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.percentile_disc(x double precision, fraction double precision) (
	SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state, SSPACE = 65536,
	FINALFUNC = parproc.percentile_disc_final, FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.percentile_disc(x double precision, fractions double precision[]) (
	SFUNC = parproc.percentile_accum, STYPE = parproc.agg_state, SSPACE = 65536,
	FINALFUNC = parproc.percentile_disc_multi_final, FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.median(x double precision) (
	SFUNC = parproc.median_accum, STYPE = parproc.agg_state, SSPACE = 65536,
	FINALFUNC = parproc.percentile_cont_final, FINALFUNC_MODIFY = SHAREABLE,
	COMBINEFUNC = parproc.percentile_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.percentile_transfn(internal, double precision, double precision);
DROP FUNCTION parproc.percentile_multi_transfn(internal, double precision, double precision[]);
DROP FUNCTION parproc.median_transfn(internal, double precision);
DROP FUNCTION parproc.percentile_combinefn(internal, internal);
DROP FUNCTION parproc.percentile_serialfn(internal);
DROP FUNCTION parproc.percentile_deserialfn(bytea, internal);
DROP FUNCTION parproc.percentile_cont_finalfn(internal);
DROP FUNCTION parproc.percentile_disc_finalfn(internal);
DROP FUNCTION parproc.percentile_cont_multi_finalfn(internal);
DROP FUNCTION parproc.percentile_disc_multi_finalfn(internal);

COMMENT ON AGGREGATE parproc.percentile_cont(double precision, double precision) IS
'exact continuous percentile, identical to percentile_cont(fraction) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_cont(double precision, double precision[]) IS
'exact continuous percentiles, identical to percentile_cont(fractions) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_disc(double precision, double precision) IS
'exact discrete percentile, identical to percentile_disc(fraction) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.percentile_disc(double precision, double precision[]) IS
'exact discrete percentiles, identical to percentile_disc(fractions) WITHIN GROUP (ORDER BY x), parallel safe';
COMMENT ON AGGREGATE parproc.median(double precision) IS
'exact median, identical to percentile_cont(0.5) WITHIN GROUP (ORDER BY x), parallel safe';

-- approx_percentile: the sketch and its fraction(s)
CREATE FUNCTION parproc.approx_percentile_accum(parproc.agg_state, double precision, double precision) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_accum(parproc.agg_state, double precision, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_multi_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_final(parproc.agg_state) RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.approx_percentile_multi_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_approx_percentile_multi_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


CREATE OR REPLACE AGGREGATE parproc.approx_percentile(x double precision, fraction double precision) (
	SFUNC = parproc.approx_percentile_accum, STYPE = parproc.agg_state, SSPACE = 131072,
	FINALFUNC = parproc.approx_percentile_final,
	COMBINEFUNC = parproc.approx_percentile_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.approx_percentile(x double precision, fractions double precision[]) (
	SFUNC = parproc.approx_percentile_accum, STYPE = parproc.agg_state, SSPACE = 131072,
	FINALFUNC = parproc.approx_percentile_multi_final,
	COMBINEFUNC = parproc.approx_percentile_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.approx_percentile_transfn(internal, double precision, double precision);
DROP FUNCTION parproc.approx_percentile_multi_transfn(internal, double precision, double precision[]);
DROP FUNCTION parproc.approx_percentile_finalfn(internal);
DROP FUNCTION parproc.approx_percentile_multi_finalfn(internal);
DROP FUNCTION parproc.qsketch_combinefn(internal, internal);
DROP FUNCTION parproc.qsketch_serialfn(internal);
DROP FUNCTION parproc.qsketch_deserialfn(bytea, internal);

COMMENT ON AGGREGATE parproc.approx_percentile(double precision, double precision) IS
'approximate percentile_cont from a quantile sketch at the default accuracy';
COMMENT ON AGGREGATE parproc.approx_percentile(double precision, double precision[]) IS
'approximate percentile_cont at several fractions from one quantile sketch';

-- histogram
CREATE FUNCTION parproc.histogram_accum(parproc.agg_state, double precision, double precision, double precision, integer) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_histogram_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_histogram_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.histogram_final(parproc.agg_state) RETURNS bigint[]
	AS 'MODULE_PATHNAME', 'parproc_histogram_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


CREATE OR REPLACE AGGREGATE parproc.histogram(x double precision, lo double precision, hi double precision, buckets integer) (
	SFUNC = parproc.histogram_accum, STYPE = parproc.agg_state, SSPACE = 256,
	FINALFUNC = parproc.histogram_final,
	COMBINEFUNC = parproc.histogram_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.histogram_transfn(internal, double precision, double precision, double precision, integer);
DROP FUNCTION parproc.histogram_combinefn(internal, internal);
DROP FUNCTION parproc.histogram_serialfn(internal);
DROP FUNCTION parproc.histogram_deserialfn(bytea, internal);
DROP FUNCTION parproc.histogram_finalfn(internal);

COMMENT ON AGGREGATE parproc.histogram(double precision, double precision, double precision, integer) IS
'counts per width_bucket(x, lo, hi, buckets) bucket: element 1 counts x < lo, element buckets+2 counts x >= hi';

-- vector aggregates
CREATE FUNCTION parproc.vec_sum_accum(parproc.agg_state, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_vec_sum_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_min_accum(parproc.agg_state, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_vec_min_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_max_accum(parproc.agg_state, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_vec_max_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_vec_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_vec_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.vec_avg_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_vec_avg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;


CREATE OR REPLACE AGGREGATE parproc.vec_sum(double precision[]) (
	SFUNC = parproc.vec_sum_accum, STYPE = parproc.agg_state, SSPACE = 512,
	FINALFUNC = parproc.vec_final, COMBINEFUNC = parproc.vec_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.vec_avg(double precision[]) (
	SFUNC = parproc.vec_sum_accum, STYPE = parproc.agg_state, SSPACE = 512,
	FINALFUNC = parproc.vec_avg_final, COMBINEFUNC = parproc.vec_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.vec_min(double precision[]) (
	SFUNC = parproc.vec_min_accum, STYPE = parproc.agg_state, SSPACE = 384,
	FINALFUNC = parproc.vec_final, COMBINEFUNC = parproc.vec_union, PARALLEL = SAFE
);
CREATE OR REPLACE AGGREGATE parproc.vec_max(double precision[]) (
	SFUNC = parproc.vec_max_accum, STYPE = parproc.agg_state, SSPACE = 384,
	FINALFUNC = parproc.vec_final, COMBINEFUNC = parproc.vec_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.vec_sum_transfn(internal, double precision[]);
DROP FUNCTION parproc.vec_min_transfn(internal, double precision[]);
DROP FUNCTION parproc.vec_max_transfn(internal, double precision[]);
DROP FUNCTION parproc.vec_combinefn(internal, internal);
DROP FUNCTION parproc.vec_serialfn(internal);
DROP FUNCTION parproc.vec_deserialfn(bytea, internal);
DROP FUNCTION parproc.vec_finalfn(internal);
DROP FUNCTION parproc.vec_avg_finalfn(internal);

COMMENT ON AGGREGATE parproc.vec_sum(double precision[]) IS
'element-wise sum of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_avg(double precision[]) IS
'element-wise average of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_min(double precision[]) IS
'element-wise minimum of equal-length arrays; NULL elements skipped per position';
COMMENT ON AGGREGATE parproc.vec_max(double precision[]) IS
'element-wise maximum of equal-length arrays; NULL elements skipped per position';

-- topk_agg over smallint, integer, bigint, text and uuid and merge_agg of
-- parproc.topk keep the summary being built as their parproc.topk state, as
-- the hll aggregates do; Citus distributes these.  The polymorphic form
-- (anyelement) keeps its internal state and gathers rows on Citus.
CREATE FUNCTION parproc.topk_union(parproc.topk, parproc.topk) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.topk_final(parproc.topk) RETURNS parproc.topk
	AS 'MODULE_PATHNAME', 'parproc_topk_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'text', 'uuid'] LOOP
		-- items are the values' text forms, which for these types depend on
		-- no setting: IMMUTABLE
		EXECUTE format('CREATE FUNCTION parproc.topk_accum(parproc.topk, %s, integer) RETURNS parproc.topk
			AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE', t, 'MODULE_PATHNAME', 'parproc_topk_accum');
		EXECUTE format('CREATE AGGREGATE parproc.topk_agg(%s, integer) (
			SFUNC = parproc.topk_accum, STYPE = parproc.topk, SSPACE = 16384,
			FINALFUNC = parproc.topk_final, COMBINEFUNC = parproc.topk_union, PARALLEL = SAFE)', t);
		EXECUTE format('COMMENT ON AGGREGATE parproc.topk_agg(%s, integer) IS %L', t,
			'space-saving summary of the k most frequent values: every value more frequent than n/k is listed, count - max_error <= true count <= count');
	END LOOP;
END $$;

CREATE OR REPLACE AGGREGATE parproc.merge_agg(parproc.topk) (
	SFUNC = parproc.topk_union, STYPE = parproc.topk, SSPACE = 16384,
	FINALFUNC = parproc.topk_final, COMBINEFUNC = parproc.topk_union, PARALLEL = SAFE
);
-- the 0.1 functions, no longer used
DROP FUNCTION parproc.topk_merge_transfn(internal, parproc.topk);
COMMENT ON AGGREGATE parproc.merge_agg(parproc.topk) IS
'merge of stored topk summaries of one k; the guarantee holds for the union';

-- Exact percentiles of a table's column in two reads, moving only the
-- values near the rows asked for (on Citus, from the shards): for tables
-- whose values would not all fit one process, or on Citus, where the
-- aggregates bring every value to the coordinator.
CREATE FUNCTION parproc.table_percentile_cont(relation regclass, column_name text, fractions double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_table_percentile_cont' LANGUAGE C STABLE STRICT;
CREATE FUNCTION parproc.table_percentile_disc(relation regclass, column_name text, fractions double precision[])
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_table_percentile_disc' LANGUAGE C STABLE STRICT;
CREATE FUNCTION parproc.table_percentile_cont(relation regclass, column_name text, fraction double precision)
	RETURNS double precision
	LANGUAGE sql STABLE STRICT AS $$ SELECT (parproc.table_percentile_cont($1, $2, ARRAY[$3]))[1] $$;
CREATE FUNCTION parproc.table_percentile_disc(relation regclass, column_name text, fraction double precision)
	RETURNS double precision
	LANGUAGE sql STABLE STRICT AS $$ SELECT (parproc.table_percentile_disc($1, $2, ARRAY[$3]))[1] $$;

COMMENT ON FUNCTION parproc.table_percentile_cont(regclass, text, double precision[]) IS
'exact percentile_cont of a column at each fraction, reading the table twice and keeping only the values near the rows needed';
COMMENT ON FUNCTION parproc.table_percentile_disc(regclass, text, double precision[]) IS
'exact percentile_disc of a column at each fraction, reading the table twice and keeping only the values near the rows needed';
COMMENT ON FUNCTION parproc.table_percentile_cont(regclass, text, double precision) IS
'exact percentile_cont of a column, reading the table twice and keeping only the values near the rows needed';
COMMENT ON FUNCTION parproc.table_percentile_disc(regclass, text, double precision) IS
'exact percentile_disc of a column, reading the table twice and keeping only the values near the rows needed';

-- matrix aggregates (issue 18): covariance and correlation matrices of the
-- columns of an array, in one pass, parallel and on Citus's shards
CREATE FUNCTION parproc.comoments_accum(parproc.agg_state, double precision[]) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_comoments_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.comoments_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_comoments_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.cov_matrix_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_cov_matrix_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.corr_matrix_final(parproc.agg_state) RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'parproc_corr_matrix_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- SSPACE: 8 columns take about 700 bytes; 1000 columns (the most) 4 MB
CREATE AGGREGATE parproc.cov_matrix(x double precision[]) (
	SFUNC = parproc.comoments_accum, STYPE = parproc.agg_state, SSPACE = 1024,
	FINALFUNC = parproc.cov_matrix_final, COMBINEFUNC = parproc.comoments_union, PARALLEL = SAFE
);
CREATE AGGREGATE parproc.corr_matrix(x double precision[]) (
	SFUNC = parproc.comoments_accum, STYPE = parproc.agg_state, SSPACE = 1024,
	FINALFUNC = parproc.corr_matrix_final, COMBINEFUNC = parproc.comoments_union, PARALLEL = SAFE
);

COMMENT ON AGGREGATE parproc.cov_matrix(double precision[]) IS
'sample covariance matrix (d x d) of the columns of x; rows with a NULL are left out, as covar_samp does';
COMMENT ON AGGREGATE parproc.corr_matrix(double precision[]) IS
'Pearson correlation matrix (d x d) of the columns of x; rows with a NULL are left out, as corr does';

-- least squares (issue 18): y on the columns of x, from the co-moments of
-- (x..., y), in one pass, parallel and on Citus's shards
CREATE TYPE parproc.linreg_result AS (
	coef double precision[],
	std_err double precision[],
	t_stat double precision[],
	p_value double precision[],
	r2 double precision,
	adj_r2 double precision,
	rmse double precision,
	n bigint,
	condition_number double precision
);
COMMENT ON TYPE parproc.linreg_result IS
'result of parproc.linreg: per column of x the coefficient, its standard error, t statistic and two-sided p-value (NULL for a column dropped as collinear); R², adjusted R², root mean square residual, rows, condition number of XᵀX';

CREATE FUNCTION parproc.linreg_accum(parproc.agg_state, double precision, double precision[])
	RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_linreg_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.linreg_union(parproc.agg_state, parproc.agg_state) RETURNS parproc.agg_state
	AS 'MODULE_PATHNAME', 'parproc_linreg_union' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION parproc.linreg_final(parproc.agg_state) RETURNS parproc.linreg_result
	AS 'MODULE_PATHNAME', 'parproc_linreg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE parproc.linreg(y double precision, x double precision[]) (
	SFUNC = parproc.linreg_accum, STYPE = parproc.agg_state, SSPACE = 1024,
	FINALFUNC = parproc.linreg_final, COMBINEFUNC = parproc.linreg_union, PARALLEL = SAFE
);
COMMENT ON AGGREGATE parproc.linreg(double precision, double precision[]) IS
'ordinary least squares of y on the columns of x (an intercept is a constant column, e.g. ARRAY[1, x1, x2]); rows with a NULL are left out, as regr_slope does';

CREATE FUNCTION parproc.linreg_predict(coef double precision[], x double precision[])
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'parproc_linreg_predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION parproc.linreg_predict(double precision[], double precision[]) IS
'the prediction sum(coef[i] * x[i]) of a linreg fit; a NULL coefficient (a dropped column) counts as 0';

-- file sources (issue 16) ----------------------------------------------------

-- A pipeline reads a table, or files: source 'file:' followed by an absolute
-- path or glob on the server, read as COPY reads them with source_options
-- (COPY's option syntax) into rows of source_columns (a column definition
-- list; the target's columns when NULL).  create_pipeline gets a form that
-- takes the source as text (a table's name is read as regclass reads it),
-- which a call with a quoted literal picks; the regclass form stays for
-- calls that pass a regclass.  The new form gets the privileges a DBA
-- granted or revoked on the other.
ALTER TABLE parproc.pipeline_defs
	ALTER COLUMN source DROP NOT NULL,
	ADD COLUMN source_file text,
	ADD COLUMN source_options text,
	ADD COLUMN source_columns text,
	ADD CHECK ((source IS NULL) <> (source_file IS NULL));
-- a file run keeps its source and the files it found, with their sizes and
-- modification times: a resume reads the same files, unchanged
ALTER TABLE parproc.run_history
	ADD COLUMN source_file text,
	ADD COLUMN source_options text,
	ADD COLUMN source_columns text,
	ADD COLUMN files text[],
	ADD COLUMN file_sizes bigint[],
	ADD COLUMN file_mtimes timestamptz[];
-- a failed line of a file: where it is, and the line as read
ALTER TABLE parproc.error_rows
	ALTER COLUMN source DROP NOT NULL,
	ALTER COLUMN source_ctid DROP NOT NULL,
	ADD COLUMN file text,
	ADD COLUMN line bigint,
	ADD COLUMN byte_offset bigint,
	ADD COLUMN raw_line text;
CREATE FUNCTION parproc.create_pipeline(name text, source text, target text, stages jsonb,
										create_target boolean DEFAULT false,
										on_conflict text DEFAULT NULL,
										source_options text DEFAULT NULL,
										source_columns text DEFAULT NULL)
RETURNS void
	AS 'MODULE_PATHNAME', 'parproc_create_pipeline' LANGUAGE C PARALLEL UNSAFE;
SELECT parproc._grant_as(proacl, 'parproc.create_pipeline(text, text, text, jsonb, boolean, text, text, text)')
FROM pg_catalog.pg_proc
WHERE oid = 'parproc.create_pipeline(text, regclass, text, jsonb, boolean, text)'::pg_catalog.regprocedure;
DROP FUNCTION parproc._grant_as(aclitem[], regprocedure);
COMMENT ON FUNCTION parproc.create_pipeline(text, text, text, jsonb, boolean, text, text, text) IS
'define a chain of filter, map and aggregate stages from a source table or files to a target table, written by INSERT or by INSERT ... ON CONFLICT';

CREATE OR REPLACE VIEW parproc.pipelines WITH (security_barrier) AS
SELECT d.name, d.owner, d.source, d.target,
	   CASE WHEN parproc._may_read(d.owner) THEN d.stages END AS stages,
	   d.created_at, count(h.run_id) AS runs,
	   coalesce(sum(h.rows_read), 0) AS rows_read,
	   coalesce(sum(h.rows_written), 0) AS rows_written,
	   coalesce(sum(h.rows_failed), 0) AS rows_failed,
	   max(h.started_at) AS last_run,
	   CASE WHEN parproc._may_read(d.owner) THEN d.on_conflict END AS on_conflict,
	   d.source_file,
	   CASE WHEN parproc._may_read(d.owner) THEN d.source_options END AS source_options,
	   CASE WHEN parproc._may_read(d.owner) THEN d.source_columns END AS source_columns
FROM parproc.pipeline_defs d LEFT JOIN parproc.run_history h ON h.pipeline = d.name
GROUP BY d.name;

-- a file run's progress in bytes: its files' sizes and the bytes of the
-- chunks done (rows vary in size, bytes do not), for its percent and ETA
CREATE FUNCTION parproc._live_bytes(OUT run_id bigint, OUT bytes_total bigint,
									OUT bytes_done bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'parproc_live_bytes' LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION parproc._live_bytes() IS
'the bytes of the file runs in progress, from shared memory (behind the parproc.run_progress view)';
CREATE OR REPLACE VIEW parproc.run_progress AS
SELECT l.run_id, h.pipeline, l.state, l.chunks_total, l.chunks_done,
	   l.rows_read, l.rows_written, l.rows_failed,
	   round(100.0 * coalesce(b.bytes_done::float8 / NULLIF(b.bytes_total, 0),
							  l.chunks_done::float8 / NULLIF(l.chunks_total, 0))::numeric, 1)
		   AS percent,
	   l.rows_read / NULLIF(extract(epoch FROM clock_timestamp() - l.started_at), 0) AS rows_per_sec,
	   CASE WHEN coalesce(b.bytes_done, l.chunks_done) > 0 THEN
		   (clock_timestamp() - l.started_at) *
		   coalesce((b.bytes_total - b.bytes_done)::float8 / NULLIF(b.bytes_done, 0),
					(l.chunks_total - l.chunks_done)::float8 / l.chunks_done)
	   END AS eta,
	   b.bytes_total, b.bytes_done,
	   b.bytes_done / 1e6 / NULLIF(extract(epoch FROM clock_timestamp() - l.started_at), 0)
		   AS mb_per_sec
FROM parproc._live_runs() l JOIN parproc.run_history h ON h.run_id = l.run_id
	 LEFT JOIN parproc._live_bytes() b ON b.run_id = l.run_id;

-- a file's failed lines are shown as the rows of a table are: to the
-- members of the run's role (_may_read_rows, for a run without a source table)
CREATE OR REPLACE VIEW parproc.errors WITH (security_barrier) AS
SELECT e.run_id, e.stage, e.source, e.source_ctid,
	   CASE WHEN parproc._may_read_rows(h.role, coalesce(h.source, e.source)) THEN e.row END AS row,
	   e.sqlstate,
	   CASE WHEN parproc._may_read_rows(h.role, coalesce(h.source, e.source)) THEN e.message END
		   AS message,
	   e.failed_at,
	   e.file, e.line, e.byte_offset,
	   CASE WHEN parproc._may_read_rows(h.role, coalesce(h.source, e.source)) THEN e.raw_line END
		   AS raw_line
FROM parproc.error_rows e JOIN parproc.run_history h ON h.run_id = e.run_id
WHERE parproc._may_read(h.role);

-- Every object of the extension says what it is in \df+, \dT+, \dv+
-- (test/sql/catalog.sql checks that none is left without a comment)
COMMENT ON FUNCTION parproc.cardinality(parproc.hll) IS
'estimated number of distinct values of an hll sketch';
COMMENT ON FUNCTION parproc.merge(parproc.hll, parproc.hll) IS
'union of two hll sketches of one precision';
COMMENT ON AGGREGATE parproc.hll_agg(anyelement, integer) IS
'HyperLogLog sketch of the distinct non-NULL values at the given precision p, 4 to 18 (standard error 1.04 / sqrt(2^p))';
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['smallint', 'integer', 'bigint', 'text', 'uuid'] LOOP
		EXECUTE format('COMMENT ON AGGREGATE parproc.hll_agg(%s, integer) IS %L', t,
			'HyperLogLog sketch of the distinct non-NULL values at the given precision p, 4 to 18 (standard error 1.04 / sqrt(2^p))');
	END LOOP;
END $$;
COMMENT ON FUNCTION parproc._graph_cache() IS
'the graphs loaded in this server''s cache (behind the parproc.graphs view)';
COMMENT ON FUNCTION parproc._graph_defs_changed() IS
'trigger: tells every session that graph definitions changed';
COMMENT ON FUNCTION parproc._graph_defs_generation() IS
'trigger: gives a graph definition a fresh generation on every write';
COMMENT ON FUNCTION parproc._graph_load(text) IS
'loads a graph into the cache (used by create_graph and refresh_graph; checks the caller owns it)';
COMMENT ON FUNCTION parproc._graph_unload(text) IS
'drops a graph from the cache (used by drop_graph and refresh_graph; checks the caller owns it)';
COMMENT ON FUNCTION parproc._live_runs() IS
'the pipeline runs in progress, from shared memory (behind the parproc.runs and run_progress views)';
COMMENT ON FUNCTION parproc._live_retries() IS
'the chunks retried per worker of pipeline runs in progress, from shared memory (behind the parproc.runs and worker_stats views)';
COMMENT ON FUNCTION parproc._live_stages() IS
'the stage counters of pipeline runs in progress, from shared memory (behind the parproc.stage_stats view)';
COMMENT ON FUNCTION parproc._live_workers() IS
'the worker counters of pipeline runs in progress, from shared memory (behind the parproc.worker_stats view)';
COMMENT ON FUNCTION parproc._may_read(regrole) IS
'whether the current user may see the rows of runs made by this role (a member of it, or of pg_read_all_stats)';
COMMENT ON FUNCTION parproc._may_read_rows(regrole, regclass) IS
'whether the current user may see the failed rows a run by this role captured from this source (may read the source, or, without one or with row-level security, is a member of the role)';
COMMENT ON SEQUENCE parproc.graph_generation IS
'generations of graph definitions (never reused, even for a graph dropped and created again)';
COMMENT ON SEQUENCE parproc.run_id_seq IS
'pipeline run ids';
COMMENT ON TABLE parproc.error_rows IS
'rows pipeline runs with on_error => ''skip'' could not process (read through the parproc.errors view)';
COMMENT ON TABLE parproc.pipeline_defs IS
'pipeline definitions (read through the parproc.pipelines view)';
COMMENT ON TABLE parproc.run_chunks IS
'the chunks of each pipeline run committed so far, with their counts (what resume skips)';
COMMENT ON TABLE parproc.run_history IS
'every pipeline run: its definition as run, settings, state, counts, timing and error (read through the parproc.runs view)';
COMMENT ON TABLE parproc.run_stages IS
'per-stage counters of finished pipeline runs (read through the parproc.stage_stats view)';
COMMENT ON TABLE parproc.run_workers IS
'per-worker counters of finished pipeline runs (read through the parproc.worker_stats view)';
COMMENT ON VIEW parproc.errors IS
'rows pipeline runs skipped with on_error => ''skip'': stage, source row, SQLSTATE and message (those of runs you may read)';
COMMENT ON VIEW parproc.pipelines IS
'pipeline definitions with their runs and rows read, written and failed';
COMMENT ON VIEW parproc.run_progress IS
'pipeline runs in progress: chunks done of total, rows, percent, rows per second and ETA';
COMMENT ON VIEW parproc.runs IS
'pipeline runs, live and finished: state, rows read, written and failed, rows per second, workers, error, chunks retried';
COMMENT ON VIEW parproc.stage_stats IS
'per-stage counters of pipeline runs: rows in, out and failed, time, values computed by kernels and by the evaluator';
COMMENT ON VIEW parproc.worker_stats IS
'per-worker counters of pipeline runs: chunks, rows, time busy, waiting, reading, evaluating and writing, WAL bytes, chunks retried';

-- the support functions of the aggregates and of the types, by their role
DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT f.oid::regprocedure AS fn,
			   string_agg(DISTINCT v.role, ' and ') AS roles,
			   string_agg(DISTINCT a.aggfnoid::regproc::text, ', ') AS aggs
		FROM pg_aggregate a
		CROSS JOIN LATERAL (VALUES (a.aggtransfn, 'transition'), (a.aggfinalfn, 'final'),
								   (a.aggcombinefn, 'combine'), (a.aggserialfn, 'serialization'),
								   (a.aggdeserialfn, 'deserialization')) v(f, role)
		JOIN pg_proc f ON f.oid = v.f
		WHERE f.pronamespace = 'parproc'::regnamespace
		  AND obj_description(f.oid, 'pg_proc') IS NULL
		GROUP BY f.oid
	LOOP
		EXECUTE format('COMMENT ON FUNCTION %s IS %L', r.fn,
					   format('%s function of %s (not to be called directly)', r.roles, r.aggs));
	END LOOP;
	FOR r IN
		SELECT f.oid::regprocedure AS fn, string_agg(DISTINCT v.role, ' and ') AS roles,
			   string_agg(DISTINCT t.oid::regtype::text, ', ') AS types
		FROM pg_type t
		CROSS JOIN LATERAL (VALUES (t.typinput, 'input'), (t.typoutput, 'output'),
								   (t.typreceive, 'binary input'), (t.typsend, 'binary output')) v(f, role)
		JOIN pg_proc f ON f.oid = v.f
		WHERE t.typnamespace = 'parproc'::regnamespace AND f.pronamespace = 'parproc'::regnamespace
		  AND obj_description(f.oid, 'pg_proc') IS NULL
		GROUP BY f.oid
	LOOP
		EXECUTE format('COMMENT ON FUNCTION %s IS %L', r.fn, format('%s function of type %s', r.roles, r.types));
	END LOOP;
END $$;
