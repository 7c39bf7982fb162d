# ALTER EXTENSION parproc UPDATE from 0.1: runs recorded by 0.1 resume with
# the definition they ran (when the pipeline has not been re-created since)
# or are refused, and a 0.2 library refuses to run pipelines before the
# update instead of failing half-way.
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
});
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

$node->stop;
done_testing();
