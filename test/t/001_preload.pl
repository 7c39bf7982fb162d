# parproc works both from shared_preload_libraries and from a plain
# CREATE EXTENSION, with settings from postgresql.conf applied either way.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

foreach my $preload (1, 0)
{
	my $name = $preload ? 'preloaded' : 'plain';
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'parproc'") if $preload;
	$node->append_conf('postgresql.conf',
		"parproc.percentile_max_memory = '128kB'");
	$node->start;

	# before anything loads it, the library is there only when preloaded
	is( $node->safe_psql(
			'postgres',
			"SELECT unit FROM pg_settings WHERE name = 'parproc.percentile_max_memory'"),
		$preload ? 'kB' : '',
		"$name: setting registered at start only when preloaded");

	$node->safe_psql('postgres', 'CREATE EXTENSION parproc');

	is( $node->safe_psql(
			'postgres', q{
		SELECT (s).n = n AND (s).sum = sm AND (s).mean = mean
		FROM (SELECT parproc.stats(g) AS s, count(g) AS n, sum(g) AS sm, avg(g) AS mean
			  FROM generate_series(1, 1000) g) a}),
		't',
		"$name: stats agrees with core");

	$node->safe_psql('postgres',
		'CREATE TABLE t AS SELECT random() AS x FROM generate_series(1, 10000)');
	is( $node->safe_psql(
			'postgres', q{
		SET max_parallel_workers_per_gather = 2;
		SET parallel_setup_cost = 0;
		SET parallel_tuple_cost = 0;
		SET min_parallel_table_scan_size = 0;
		SET parallel_leader_participation = off;
		SET parproc.percentile_max_memory = '1MB';
		SELECT parproc.percentile_cont(x, 0.99) = percentile_cont(0.99) WITHIN GROUP (ORDER BY x)
		FROM t}),
		't',
		"$name: parallel percentile agrees with core");

	# the limit from postgresql.conf applies (16384 values fit in 128kB)
	is($node->safe_psql('postgres', 'SHOW parproc.percentile_max_memory'),
		'128kB', "$name: setting from postgresql.conf");
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		'SELECT parproc.median(g) FROM generate_series(1, 20000) g');
	like(
		$stderr,
		qr/exact percentile state exceeds parproc.percentile_max_memory/,
		"$name: memory limit enforced");

	# the parproc prefix is reserved once the library is loaded
	($ret, $stdout, $stderr) = $node->psql('postgres',
		"LOAD 'parproc'; SET parproc.no_such_setting = 1");
	like(
		$stderr,
		qr/invalid configuration parameter name "parproc.no_such_setting"/,
		"$name: parproc prefix reserved");

	$node->stop;
}

done_testing();
