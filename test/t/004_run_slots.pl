# Run slots under concurrency: sessions resuming one run at the same
# moment, and a coordinator that dies while its workers are busy while a
# new run starts at once.  Each run must land exactly once; workers of a
# dead coordinator must stop, and no new run may inherit its slot while
# they are still there.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('run_slots');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "parproc.chunk_size = 1");
$node->append_conf('postgresql.conf', "max_worker_processes = 24");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION parproc;
	-- about 1 ms a row, so runs last seconds
	CREATE FUNCTION slow(x int) RETURNS int LANGUAGE sql PARALLEL SAFE
		AS 'SELECT x FROM pg_sleep(0.001)';
	CREATE TABLE src AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 8000) g;
	CREATE TABLE dst (id int, k int);
	CREATE TABLE ref AS SELECT id, k FROM src WHERE k <> 3;
	SELECT parproc.create_pipeline('p', 'src', 'dst',
		'[{"name": "f", "filter": "k <> 3"}, {"name": "m", "map": "slow(id) AS id, k"}]');
	CREATE TABLE src2 AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 3000) g;
	CREATE TABLE dst2 (id int, k int);
	SELECT parproc.create_pipeline('p2', 'src2', 'dst2', '[{"name": "m", "map": "id, k"}]');
});

# the target equals INSERT ... SELECT: no row lost, none twice
sub same_as_reference
{
	my ($name) = @_;
	is( $node->safe_psql(
			'postgres', q{
		SELECT (SELECT count(*) FROM dst) || ' ' || (SELECT count(*) FROM
			((TABLE dst EXCEPT ALL TABLE ref) UNION ALL (TABLE ref EXCEPT ALL TABLE dst)) d)}),
		'7200 0', $name);
}

# wait until run $id has committed at least $n chunks
sub wait_chunks
{
	my ($id, $n) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM parproc.run_chunks WHERE run_id = $id")
	  or die "run $id made no progress";
}

# 1. six sessions resume one cancelled run at once: exactly one starts it
my $id = $node->safe_psql('postgres', "SELECT parproc.start('p', workers => 2)");
wait_chunks($id, 3);
$node->safe_psql('postgres', "SELECT parproc.cancel($id)");
is($node->safe_psql('postgres', "SELECT (parproc.wait($id)).state"), 'cancelled', 'run cancelled');
my (@out, @err, @h);
for my $i (0 .. 5)
{
	$out[$i] = '';
	$err[$i] = '';
	push @h,
	  IPC::Run::start(
		[ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', "SELECT parproc.resume($id)" ],
		'>', \$out[$i], '2>', \$err[$i]);
}
$_->finish for @h;
my $started = grep { $_ =~ /^$id$/m } @out;
my $refused = grep { $_ =~ /run $id is (in progress|done)/ } @err;
is($started, 1, 'one of six simultaneous resumes starts the run');
is($refused, 5, 'the others are told it is in progress (or done)');
is($node->safe_psql('postgres', "SELECT (parproc.wait($id)).state"), 'done', 'the run completes');
same_as_reference('simultaneous resumes = INSERT ... SELECT');

# 2. the coordinator dies (SIGTERM) while its workers are in their chunks,
# and another run starts at once: the workers stop, the new run is not
# disturbed, and the first run resumes exactly
$node->safe_psql('postgres', 'TRUNCATE dst');
$id = $node->safe_psql('postgres', "SELECT parproc.start('p', workers => 2)");
wait_chunks($id, 2);
my $coord = $node->safe_psql('postgres',
	"SELECT pid FROM parproc.worker_stats WHERE run_id = $id AND worker = 0");
ok($coord > 0, 'coordinator pid visible');
kill 'TERM', $coord;
$node->poll_query_until('postgres', "SELECT state = 'failed' FROM parproc.runs WHERE run_id = $id")
  or die "run not reported failed after its coordinator died";
my $id2 = $node->safe_psql('postgres', "SELECT parproc.start('p2', workers => 2)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'parproc worker'"
		  . " AND query LIKE 'parproc run $id:%'"),
	'the workers of the dead coordinator stop');
is($node->safe_psql('postgres', 'SELECT count(*) < 7200 FROM dst'), 't',
	'they stopped before the end of the run');
is( $node->safe_psql('postgres',
		"SELECT state || ' ' || rows_read || ' ' || rows_written FROM parproc.wait($id2)"),
	'done 3000 3000', 'the run started meanwhile counts only its own rows');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM (TABLE dst2 EXCEPT ALL TABLE src2) d"), '0',
	'and writes exactly its rows');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'the run of the dead coordinator resumes');
same_as_reference('coordinator death + resume = INSERT ... SELECT');
is($node->safe_psql('postgres', "SELECT count(*) FROM parproc.run_progress"), '0',
	'no run left in progress');

$node->stop;
done_testing();
