# A file load under failure: a worker killed with SIGKILL (the server
# restarts) and a cancel in the middle of a run, each then resumed.  After
# each the target must hold exactly the rows COPY FROM loads from the file,
# and with on_error => 'skip' every bad line must be in parproc.errors once.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('file_load');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "parproc.chunk_size = 1");
$node->append_conf('postgresql.conf', "restart_after_crash = on");
$node->start;

my $file = $node->data_dir . '/load.csv';
$node->safe_psql(
	'postgres', qq{
	CREATE EXTENSION parproc;
	-- about 0.3 ms a row, so runs last a few seconds
	CREATE FUNCTION slow(x int) RETURNS int LANGUAGE sql PARALLEL SAFE
		AS 'SELECT x FROM pg_sleep(0.0003)';
	-- 6000 lines, quoted fields with quotes and newlines, in about 50
	-- chunks of 8 kB; every 500th line has too few fields
	CREATE TABLE lines AS
	SELECT g, CASE WHEN g % 500 = 0 THEN g::text
				   ELSE format(E'%s,"line %s, with ""quotes""\\nand a newline",%s', g, g, g * 0.5)
			  END AS line
	FROM generate_series(1, 6000) g;
	CREATE FUNCTION write_file(path text, content bytea) RETURNS void LANGUAGE plpgsql AS \$\$
	DECLARE
		lo oid := lo_from_bytea(0, content);
	BEGIN
		PERFORM lo_export(lo, path);
		PERFORM lo_unlink(lo);
	END \$\$;
	SELECT write_file('$file', convert_to(string_agg(line, E'\\n' ORDER BY g) || E'\\n', 'UTF8'))
	FROM lines;
	SELECT write_file('$file.good', convert_to(string_agg(line, E'\\n' ORDER BY g), 'UTF8'))
	FROM lines WHERE g % 500 <> 0;
	CREATE TABLE dst (id int, note text, value numeric);
	CREATE TABLE ref (LIKE dst);
	COPY ref FROM '$file.good' WITH (FORMAT csv);
	SELECT parproc.create_pipeline('load', 'file:$file', 'dst',
		'[{"name": "m", "map": "slow(id) AS id, note, value"}]',
		source_options => 'FORMAT csv');
});

sub same_as_copy
{
	my ($name) = @_;
	is( $node->safe_psql(
			'postgres', q{
		SELECT (SELECT count(*) FROM dst) || ' ' || (SELECT count(*) FROM
			((TABLE dst EXCEPT ALL TABLE ref) UNION ALL (TABLE ref EXCEPT ALL TABLE dst)) d)}),
		'5988 0', $name);
}

sub wait_chunks
{
	my ($id, $n) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM parproc.run_chunks WHERE run_id = $id")
	  or die "run $id made no progress";
}

# 1. kill -9 a worker in the middle: the server restarts, the run is failed;
# the target holds exactly the committed chunks, and resume loads the rest
my $id = $node->safe_psql('postgres',
	"SELECT parproc.start('load', workers => 2, on_error => 'skip')");
wait_chunks($id, 3);
is( $node->safe_psql(
		'postgres',
		"SELECT bytes_total = (pg_stat_file('$file')).size AND bytes_done > 0
			AND bytes_done < bytes_total AND percent > 0 AND percent < 100 AND eta IS NOT NULL
		 FROM parproc.run_progress WHERE run_id = $id"),
	't',
	'run_progress shows the bytes of the file done, the percent and an ETA');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM parproc.worker_stats WHERE run_id = $id AND worker = 1");
kill 'KILL', $pid;
$node->poll_query_until('postgres',
	"SELECT state = 'failed' FROM parproc.runs WHERE run_id = $id")
  or die "run $id not reported failed after the crash";
my $partial = $node->safe_psql('postgres', 'SELECT count(*) FROM dst');
ok($partial < 5988, 'the crash stopped the load before the end');
is( $node->safe_psql('postgres',
		"SELECT coalesce(sum(rows_written), 0) FROM parproc.run_chunks WHERE run_id = $id"),
	$partial, 'after the crash the target holds exactly the committed chunks');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume after the crash completes');
same_as_copy('kill -9 + resume = COPY of the good lines');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) || ' ' || count(DISTINCT line) || ' ' || bool_and(raw_line ~ '^[0-9]+\$')
		 FROM parproc.errors WHERE run_id = $id"),
	'12 12 true',
	'each bad line in parproc.errors once');

# 2. cancel in the middle: whole chunks only, then resume
$node->safe_psql('postgres', 'TRUNCATE dst');
$id = $node->safe_psql('postgres', "SELECT parproc.start('load', workers => 2, on_error => 'skip')");
wait_chunks($id, 3);
is($node->safe_psql('postgres', "SELECT parproc.cancel($id)"), 't', 'cancel accepted');
is($node->safe_psql('postgres', "SELECT (parproc.wait($id)).state"), 'cancelled', 'run cancelled');
is( $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM dst) = (SELECT coalesce(sum(rows_written), 0)
		 FROM parproc.run_chunks WHERE run_id = $id)"),
	't', 'the cancelled load left whole chunks only');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume after the cancel completes');
same_as_copy('cancel + resume = COPY of the good lines');
is($node->safe_psql('postgres', "SELECT count(*) FROM parproc.errors WHERE run_id = $id"),
	'12', 'and each bad line once in parproc.errors');

$node->stop;
done_testing();
