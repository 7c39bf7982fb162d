# ALTER EXTENSION parproc UPDATE from 0.1: the updated extension's catalog
# equals a fresh install's; objects of the user's that depend on it (views
# over aggregates whose state changes type, stored sketches, pipelines and
# their run history, graphs) survive and keep working; runs recorded by 0.1
# resume with the definition they ran (when the pipeline has not been
# re-created since) or are refused; a 0.2 library refuses to run pipelines
# before the update instead of failing half-way; sketch values stored in
# format version 1 are still read.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "parproc.chunk_size = 1");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION parproc VERSION '0.1';
	CREATE TABLE src AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 5000) g;
	CREATE TABLE dst (id int, k2 int);
	SELECT parproc.create_pipeline('p', 'src', 'dst', '[{"name": "m", "map": "id, k * 2 AS k2"}]');
	SELECT parproc.create_pipeline('q', 'src', 'dst', '[{"name": "m", "map": "id, k AS k2"}]');
	-- views over every aggregate whose state type the update changes, and
	-- stored sketches
	CREATE VIEW summary AS
	SELECT parproc.stats(id::float8) AS st, parproc.median(id::float8) AS med,
		   parproc.percentile_cont(id::float8, 0.3) AS pc, parproc.percentile_cont(id::float8, ARRAY[0.2]) AS pcs,
		   parproc.percentile_disc(id::float8, 0.7) AS pd, parproc.percentile_disc(id::float8, ARRAY[0.1, 0.9]) AS pds,
		   parproc.approx_percentile(id::float8, 0.5) AS ap, parproc.approx_percentile(id::float8, ARRAY[0.5]) AS aps,
		   parproc.histogram(k::float8, 0, 10, 5) AS hist, parproc.vec_sum(ARRAY[id, k]::float8[]) AS vs,
		   parproc.vec_avg(ARRAY[id, k]::float8[]) AS va, parproc.vec_min(ARRAY[id, k]::float8[]) AS vmin,
		   parproc.vec_max(ARRAY[id, k]::float8[]) AS vmax,
		   parproc.qsketch_agg(id::float8) AS qs, parproc.qsketch_agg(id::float8, 100) AS qs100
	FROM src;
	CREATE TABLE sketches AS
	SELECT k, parproc.hll_agg(id) AS h, parproc.qsketch_agg(id::float8) AS q, parproc.topk_agg(id % 7, 3) AS t
	FROM src GROUP BY k;
	CREATE VIEW merged AS
	SELECT parproc.merge_agg(h) AS h, parproc.merge_agg(q) AS q, parproc.merge_agg(t) AS t FROM sketches;
	CREATE TABLE edges AS SELECT g AS a, g + 1 AS b FROM generate_series(1, 100) g;
	SELECT parproc.create_graph('chain', 'edges', 'a', 'b');
});
my $summary_sql = q{
	SELECT (st).n, (st).mean, med, pc, pcs, pd, pds, round(ap), round(aps[1]), hist, vs, va, vmin, vmax,
		   round(parproc.quantile(qs, 0.5)), round(parproc.quantile(qs100, 0.5)) FROM summary};
my $summary_before = $node->safe_psql('postgres', $summary_sql);
my $sketches_sql = q{
	SELECT parproc.cardinality(h), round(parproc.quantile(q, 0.25)),
		   (SELECT string_agg(value || ':' || count, ',' ORDER BY value) FROM parproc.topk_items(t))
	FROM merged};
my $sketches_before = $node->safe_psql('postgres', $sketches_sql);
my $graph_sql = q{
	SELECT count(*), round(sum(activation)::numeric, 9)
	FROM parproc.spread_activation('chain', ARRAY[1]::bigint[], max_iterations => 5)};
my $graph_before = $node->safe_psql('postgres', $graph_sql);
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'parproc'"),
	'0.1', 'installed as 0.1');

my ($ret, $out, $err) = $node->psql('postgres', "SELECT parproc.run('p')");
like($err, qr/parproc's library needs version 0\.2 of the extension/,
	'the new library refuses to run pipelines of an extension not yet updated');

# Two runs as 0.1 recorded them, each with its first chunk done: run 1001
# of pipeline p, run 1002 of pipeline q, which is re-created after it.
$node->safe_psql('postgres', q{
	INSERT INTO parproc.run_history (run_id, pipeline, role, state, on_error, workers_requested,
		started_at, chunk_size, relids, filenodes)
	SELECT r, pl, current_user::regrole, 'cancelled', 'abort', 2, now(), 1,
		   ARRAY['src'::regclass::oid], ARRAY[pg_relation_filenode('src')]
	FROM (VALUES (1001, 'p'), (1002, 'q')) v(r, pl);
	INSERT INTO parproc.run_chunks (run_id, part, chunk, worker, rows_read, rows_written, rows_failed)
	SELECT r, 0, 0, 1, n, n, 0
	FROM (VALUES (1001), (1002)) v(r), (SELECT count(*) n FROM src WHERE ctid < '(1,0)') c;
	INSERT INTO dst SELECT id, k * 2 FROM src WHERE ctid < '(1,0)';
	UPDATE parproc.pipeline_defs SET created_at = now() + interval '1 minute' WHERE name = 'q';
	INSERT INTO parproc.graph_defs (name, edges, source, target, directed, generation)
	VALUES ('g', 'src', 'id', 'k', true, 777);
});

$node->safe_psql('postgres', 'ALTER EXTENSION parproc UPDATE');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'parproc'"),
	'0.2', 'updated to 0.2');

# The catalog of the extension's objects (each with its comment and its
# definition: functions and aggregates, tables with their columns,
# indexes, constraints, triggers and policies, views, types), updated and
# installed afresh.
my $catalog_sql = <<'SQL';
WITH m AS (
	SELECT d.classid, d.objid FROM pg_depend d
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'parproc'))
SELECT pg_describe_object(m.classid, m.objid, 0) || ' | ' ||
	   coalesce(obj_description(m.objid, m.classid::regclass::name), '-') || ' | ' ||
	   coalesce(CASE m.classid
		   WHEN 'pg_proc'::regclass THEN
			   (SELECT concat_ws(' ', p.prokind, p.prorettype::regtype, p.provolatile, p.proparallel,
								 p.proisstrict, p.prosecdef, p.proconfig, p.proacl, p.prosrc,
								 (SELECT concat_ws(' ', a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn,
												   a.aggdeserialfn, a.aggtranstype::regtype, a.aggtransspace,
												   a.agginitval, a.aggfinalmodify)
								  FROM pg_aggregate a WHERE a.aggfnoid = p.oid))
				FROM pg_proc p WHERE p.oid = m.objid)
		   WHEN 'pg_class'::regclass THEN
			   (SELECT concat_ws(' ', c.relkind, c.relacl, c.relrowsecurity, c.reloptions,
								 CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END,
								 (SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod),
															  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid)), ', ' ORDER BY a.attnum)
								  FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
								  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
								 (SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1) FROM pg_index i WHERE i.indrelid = c.oid),
								 (SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY 1) FROM pg_constraint k WHERE k.conrelid = c.oid),
								 (SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY 1) FROM pg_trigger t WHERE t.tgrelid = c.oid),
								 (SELECT string_agg(concat_ws(' ', po.polname, po.polcmd, po.polroles, pg_get_expr(po.polqual, po.polrelid),
															  pg_get_expr(po.polwithcheck, po.polrelid)), ', ' ORDER BY 1)
								  FROM pg_policy po WHERE po.polrelid = c.oid))
				FROM pg_class c WHERE c.oid = m.objid)
		   WHEN 'pg_type'::regclass THEN
			   (SELECT concat_ws(' ', t.typtype, t.typlen, t.typalign, t.typstorage, t.typinput, t.typoutput,
								 t.typreceive, t.typsend,
								 (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
								  FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
				FROM pg_type t WHERE t.oid = m.objid)
	   END, '')
FROM m ORDER BY 1;
SQL
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION parproc');
my $updated = $node->safe_psql('postgres', $catalog_sql);
my $fresh = $node->safe_psql('fresh', $catalog_sql);
cmp_ok(scalar(split /\n/, $fresh), '>', 300, 'the catalog query sees the extension\'s objects');
is($updated, $fresh, 'the updated catalog equals a fresh install of 0.2');

is($node->safe_psql('postgres', $summary_sql), $summary_before,
	'a view over the aggregates whose state changed type survives and answers the same');
is($node->safe_psql('postgres', $sketches_sql), $sketches_before,
	'sketches stored under 0.1 still read and merge, through a view over merge_agg');
is($node->safe_psql('postgres', $graph_sql), $graph_before, 'a graph defined under 0.1 still answers');

# Values stored in format version 1 (this release's, and 0.1's): an hll of
# 1..10, a qsketch of 1..5, a topk of (i % 4)::text over 1..20 with k 3 (its
# counts include their over-estimates).  A later format must keep reading
# them.
is( $node->safe_psql(
		'postgres', q{
	SELECT parproc.cardinality('\x011000000a000000f610a4cbb4129c36d94a5effd3aca83d4c9ecea28bedc85ccc18678eed5b4b76df87d6fd7fd7257a5f391774200dfa8ec79f76d9c55abda65d2e1dea2fa0d4cc9f76525c801c30d94edc28949d9274f8'::parproc.hll),
		   parproc.quantile('\x01000000c80000000500000000000000000000000000000000000000000000000000000000000000000000000000f03f0000000000001440000000000000f03f010000000000000000000000000000400100000000000000000000000000084001000000000000000000000000001040010000000000000000000000000014400100000000000000'::parproc.qsketch, 0.5),
		   (SELECT string_agg(value || ':' || count, ',' ORDER BY value)
			FROM parproc.topk_items('\x0100000003000000030000001400000000000000070000000000000005000000000000000100000030070000000000000006000000000000000100000033060000000000000004000000000000000100000031'::parproc.topk))}),
	'10|3|0:7,1:6,3:7', 'sketch values in format version 1 are read');
is( $node->safe_psql('postgres',
		"SELECT run_id, stages IS NOT NULL, source FROM parproc.run_history ORDER BY run_id"),
	"1001|t|src\n1002|f|", 'the definition of a run is kept when its pipeline is older than the run');
isnt($node->safe_psql('postgres', "SELECT generation FROM parproc.graph_defs"),
	'777', 'graph generations are assigned afresh');

is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume(1001))).state"),
	'done', 'a run of 0.1 resumes after the update');
is( $node->safe_psql(
		'postgres', q{
	SELECT count(*) FROM ((TABLE dst EXCEPT ALL SELECT id, k * 2 FROM src)
						  UNION ALL (SELECT id, k * 2 FROM src EXCEPT ALL TABLE dst)) d}),
	'0', 'and its target holds exactly what INSERT ... SELECT writes');
($ret, $out, $err) = $node->psql('postgres', 'SELECT parproc.resume(1002)');
like($err, qr/cannot resume run 1002: its definition was not recorded/,
	'a run of 0.1 whose pipeline was re-created since is refused');

$node->safe_psql('postgres', 'TRUNCATE dst');
is($node->safe_psql('postgres', "SELECT (parproc.run('p')).state"), 'done',
	'new runs work after the update');

# create_pipeline is created anew by the update (it gets on_conflict): what
# a DBA granted or revoked on it carries over
$node->safe_psql('postgres', 'CREATE DATABASE acl');
$node->safe_psql('acl', q{
	CREATE EXTENSION parproc VERSION '0.1';
	CREATE ROLE pipeline_admins;
	REVOKE EXECUTE ON FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean)
		FROM PUBLIC;
	GRANT EXECUTE ON FUNCTION parproc.create_pipeline(text, regclass, text, jsonb, boolean)
		TO pipeline_admins;
});
$node->safe_psql('acl', 'ALTER EXTENSION parproc UPDATE');
# its new signature, and its form for file sources
foreach my $sig ('text, regclass, text, jsonb, boolean, text',
	'text, text, text, jsonb, boolean, text, text, text')
{
	is( $node->safe_psql(
			'acl', qq{
		SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END, ',')
		FROM pg_proc p, aclexplode(p.proacl) a
		WHERE p.oid = 'parproc.create_pipeline($sig)'::regprocedure
		  AND a.grantee <> p.proowner}),
		'pipeline_admins',
		"privileges granted and revoked on create_pipeline carry over to create_pipeline($sig)");
}

$node->stop;
done_testing();
