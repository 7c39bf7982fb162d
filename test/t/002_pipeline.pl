# Pipelines under failure: a worker killed with SIGKILL (the server
# restarts), a cancel in the middle of a run, a client that disconnects
# after start(), and no free background worker slot.  After each, the
# target must hold exactly the rows INSERT ... SELECT writes; an upsert
# target that adds 1 per source row must have counted each row once; an
# aggregate stage must give the rows of INSERT ... SELECT ... GROUP BY,
# with a crash while its chunks run and while its final step runs.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('pipeline');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "parproc.chunk_size = 1");
$node->append_conf('postgresql.conf', "restart_after_crash = on");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION parproc;
	-- about 1 ms a row, so runs last a few seconds
	CREATE FUNCTION slow(x int) RETURNS int LANGUAGE sql PARALLEL SAFE
		AS 'SELECT x FROM pg_sleep(0.0003)';
	CREATE TABLE src AS SELECT g AS id, g % 10 AS k FROM generate_series(1, 4000) g;
	CREATE TABLE dst (id int, k int);
	CREATE TABLE ref AS SELECT slow(id) AS id, k FROM src WHERE k <> 3;
	SELECT parproc.create_pipeline('p', 'src', 'dst',
		'[{"name": "f", "filter": "k <> 3"}, {"name": "m", "map": "slow(id) AS id, k"}]');
});

# the target equals INSERT ... SELECT: no row lost, none twice
sub same_as_reference
{
	my ($name) = @_;
	is( $node->safe_psql(
			'postgres', q{
		SELECT (SELECT count(*) FROM dst) || ' ' || (SELECT count(*) FROM
			((TABLE dst EXCEPT ALL TABLE ref) UNION ALL (TABLE ref EXCEPT ALL TABLE dst)) d)}),
		'3600 0', $name);
}

# wait until run $id has committed at least $n chunks
sub wait_chunks
{
	my ($id, $n) = @_;
	$node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM parproc.run_chunks WHERE run_id = $id")
	  or die "run $id made no progress";
}

# once run $id has committed 3 chunks, kill -9 its worker 1 (the server
# restarts) and wait until the run is reported failed; returns the pid
sub kill_worker
{
	my ($id) = @_;
	wait_chunks($id, 3);
	my $pid = $node->safe_psql('postgres',
		"SELECT pid FROM parproc.worker_stats WHERE run_id = $id AND worker = 1");
	kill 'KILL', $pid;
	$node->poll_query_until('postgres',
		"SELECT state = 'failed' FROM parproc.runs WHERE run_id = $id")
	  or die "run $id not reported failed after the crash";
	return $pid;
}

# 1. kill -9 a worker: the server restarts, the run is reported failed, resume completes it
my $id = $node->safe_psql('postgres', "SELECT parproc.start('p', workers => 2)");
my $pid = kill_worker($id);
ok($pid > 0, 'worker pid visible in parproc.worker_stats');
like($node->safe_psql('postgres', "SELECT error FROM parproc.runs WHERE run_id = $id"),
	qr/interrupted/, 'crashed run reported as interrupted');
my $partial = $node->safe_psql('postgres', 'SELECT count(*) FROM dst');
is( $node->safe_psql('postgres',
		"SELECT coalesce(sum(rows_written), 0) FROM parproc.run_chunks WHERE run_id = $id"),
	$partial, 'after the crash the target holds exactly the committed chunks');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume after the crash completes');
same_as_reference('kill -9 + resume = INSERT ... SELECT');

# 1b. the same with an upsert target that adds 1 per source row to the
# rows there (half the keys) and inserts the others: a chunk applied twice
# or not at all would show in the sums
$node->safe_psql('postgres', q{
	CREATE TABLE cnt (id int PRIMARY KEY, n int NOT NULL);
	INSERT INTO cnt SELECT g, 100 FROM generate_series(1, 4000, 2) g;
	SELECT parproc.create_pipeline('u', 'src', 'cnt',
		'[{"name": "m", "map": "slow(id) AS id, 1 AS n"}]',
		on_conflict => '(id) DO UPDATE SET n = cnt.n + excluded.n');
});
$id = $node->safe_psql('postgres', "SELECT parproc.start('u', workers => 2)");
kill_worker($id);
ok($node->safe_psql('postgres', 'SELECT count(*) < 4000 FROM cnt WHERE n IN (1, 101)') eq 't',
	'the crash stopped the upsert run before the end');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume of the upsert run completes');
is( $node->safe_psql('postgres',
		"SELECT count(*) || ' ' || sum(n) || ' ' || count(*) FILTER (WHERE n NOT IN (1, 101)) FROM cnt"),
	'4000 204000 0', 'kill -9 + resume of an upsert run counts every source row once');

# 1c. an aggregate stage: the partial states of the chunks committed before
# the crash are kept, resume aggregates the others and combines them all
$node->safe_psql('postgres', q{
	CREATE TABLE agg (k int, n bigint, s bigint);
	CREATE TABLE agg_ref AS SELECT k, count(*) AS n, sum(id) AS s FROM src WHERE k <> 3 GROUP BY k;
	SELECT parproc.create_pipeline('a', 'src', 'agg',
		'[{"name": "f", "filter": "k <> 3"},
		  {"name": "g", "group_by": "k", "aggregates": "count(*) AS n, sum(slow(id)) AS s"}]');
	-- a final function that takes 0.6 s a group, to crash in the final step
	CREATE FUNCTION slow_final(bigint) RETURNS bigint LANGUAGE plpgsql PARALLEL SAFE
		AS 'BEGIN PERFORM pg_sleep(0.6); RETURN $1; END';
	CREATE AGGREGATE slow_sum(bigint) (sfunc = int8pl, stype = bigint, combinefunc = int8pl,
		finalfunc = slow_final, initcond = '0', parallel = safe);
	SELECT parproc.create_pipeline('af', 'src', 'agg',
		'[{"name": "f", "filter": "k <> 3"},
		  {"name": "g", "group_by": "k", "aggregates": "count(*) AS n, slow_sum(id) AS s"}]');
});

sub same_as_group_by
{
	my ($name) = @_;
	is( $node->safe_psql(
			'postgres', q{
		SELECT (SELECT count(*) FROM agg) || ' ' || (SELECT count(*) FROM
			((TABLE agg EXCEPT ALL TABLE agg_ref) UNION ALL (TABLE agg_ref EXCEPT ALL TABLE agg)) d)
			|| ' ' || (SELECT count(*) FROM parproc.run_partials)}),
		'9 0 0', $name);
}

$id = $node->safe_psql('postgres', "SELECT parproc.start('a', workers => 2)");
kill_worker($id);
is( $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM agg) || ' ' || (SELECT count(*) > 0 FROM parproc.run_partials)"),
	'0 true', 'after the crash: no target rows, the committed chunks\' partial states');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume of the aggregate run completes');
same_as_group_by('kill -9 in the chunks + resume = INSERT ... SELECT ... GROUP BY');

# 1d. a crash in the final step: its hash ranges are committed whole or not
# at all, and resume does the others, once
$node->safe_psql('postgres', 'TRUNCATE agg');
$id = $node->safe_psql('postgres', "SELECT parproc.start('af', workers => 2)");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'parproc run $id: final step%'")
  or die "aggregate run $id did not reach its final step";
$pid = $node->safe_psql('postgres',
	"SELECT min(pid) FROM pg_stat_activity WHERE query LIKE 'parproc run $id: final step%'");
sleep(1);
kill 'KILL', $pid;
$node->poll_query_until('postgres',
	"SELECT state = 'failed' FROM parproc.runs WHERE run_id = $id")
  or die "aggregate run not reported failed after the crash in its final step";
is( $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM agg) || ' ' || (SELECT coalesce(sum(rows_written), 0)"
		  . " FROM parproc.run_chunks WHERE run_id = $id AND part = -1)"),
	$node->safe_psql('postgres', 'SELECT count(*) || \' \' || count(*) FROM agg'),
	'after a crash in the final step the target holds the committed hash ranges\' groups');
ok($node->safe_psql('postgres', 'SELECT count(*) FROM agg') < 9,
	'the crash stopped the final step before the end');
is($node->safe_psql('postgres', "SELECT (parproc.wait(parproc.resume($id))).state"),
	'done', 'resume after a crash in the final step completes');
same_as_group_by('kill -9 in the final step + resume = INSERT ... SELECT ... GROUP BY');
is( $node->safe_psql('postgres',
		"SELECT count(*) || ' ' || count(DISTINCT chunk) FROM parproc.run_chunks"
		  . " WHERE run_id = $id AND part = -1"),
	'16 16', 'one final mark per hash range');
my ($ret, $out, $err) = $node->psql('postgres', "SELECT parproc.resume($id)");
like($err, qr/is done: there is nothing to resume/, 'a done aggregate run is not resumed again');

# 2. cancel in the middle: whole chunks only, then resume
$node->safe_psql('postgres', 'TRUNCATE dst');
$id = $node->safe_psql('postgres', "SELECT parproc.start('p', workers => 2)");
wait_chunks($id, 3);
is($node->safe_psql('postgres', "SELECT parproc.cancel($id)"), 't', 'cancel accepted');
my $t0 = time();
is($node->safe_psql('postgres', "SELECT (parproc.wait($id)).state"), 'cancelled',
	'run cancelled');
ok(time() - $t0 <= 3, 'workers stop promptly after cancel');
is( $node->safe_psql('postgres',
		"SELECT count(*) = (SELECT sum(rows_written) FROM parproc.run_chunks WHERE run_id = $id) FROM dst"),
	't', 'cancelled run left whole chunks only');
ok($node->safe_psql('postgres', 'SELECT count(*) FROM dst') < 3600,
	'the cancel stopped the run before the end');
$node->safe_psql('postgres', "SELECT parproc.wait(parproc.resume($id))");
same_as_reference('cancel + resume = INSERT ... SELECT');

# 2b. the same for an aggregate stage
$node->safe_psql('postgres', 'TRUNCATE agg');
$id = $node->safe_psql('postgres', "SELECT parproc.start('a', workers => 2)");
wait_chunks($id, 3);
$node->safe_psql('postgres', "SELECT parproc.cancel($id)");
is($node->safe_psql('postgres', "SELECT (parproc.wait($id)).state"), 'cancelled',
	'aggregate run cancelled');
is($node->safe_psql('postgres', 'SELECT count(*) FROM agg'), '0',
	'a cancelled aggregate run writes no target rows');
$node->safe_psql('postgres', "SELECT parproc.wait(parproc.resume($id))");
same_as_group_by('cancel + resume of an aggregate run = INSERT ... SELECT ... GROUP BY');

# 3. cancelling the waiting run() stops its workers
$node->safe_psql('postgres', 'TRUNCATE dst');
($ret, $out, $err) = $node->psql('postgres',
	"SET statement_timeout = '1s'; SELECT * FROM parproc.run('p', workers => 2)");
like($err, qr/canceling statement due to statement timeout/, 'run() cancelled by the client');
$id = $node->safe_psql('postgres', 'SELECT max(run_id) FROM parproc.runs');
$node->poll_query_until('postgres',
	"SELECT state = 'cancelled' FROM parproc.runs WHERE run_id = $id")
  or die "run of a cancelled run() not stopped";
is($node->safe_psql('postgres', "SELECT count(*) FROM parproc.run_progress"), '0',
	'no run left in progress');

# 4. start() outlives its client
$node->safe_psql('postgres', 'TRUNCATE dst');
$id = $node->safe_psql('postgres', "SELECT parproc.start('p', workers => 2)");
# that session has disconnected; the run goes on
$node->poll_query_until('postgres', "SELECT state = 'done' FROM parproc.runs WHERE run_id = $id")
  or die "run did not finish after its client left";
same_as_reference('start() outlives the client');

# 5. no background worker slot at all: run() works alone in the session
$node->safe_psql('postgres', 'TRUNCATE dst');
$node->append_conf('postgresql.conf', 'max_worker_processes = 1');
$node->restart;
($ret, $out, $err) =
  $node->psql('postgres', "SELECT state, workers_used FROM parproc.run('p', workers => 2)");
is($out, 'done|0', 'run() completes without any worker slot');
like($err, qr/no background worker slot is free/, 'and says so');
same_as_reference('no worker slot = INSERT ... SELECT');
$node->safe_psql('postgres', 'TRUNCATE agg');
($ret, $out, $err) =
  $node->psql('postgres', "SELECT state, workers_used FROM parproc.run('a', workers => 2)");
is($out, 'done|0', 'an aggregate run completes without any worker slot');
same_as_group_by('no worker slot = INSERT ... SELECT ... GROUP BY');
($ret, $out, $err) = $node->psql('postgres', "SELECT parproc.start('p')");
like($err, qr/could not start run \d+: no background worker slot is free/,
	'start() without a slot fails clearly');

$node->stop;
done_testing();
