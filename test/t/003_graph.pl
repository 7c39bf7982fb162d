# Graphs in shared memory: with parproc preloaded, backends share one
# loaded copy of a graph (loaded once, counted once, statistics across
# sessions), see each other's refreshes, evict and refuse by
# parproc.graph_memory, and recover from a backend killed mid-load.
# Without preload each session keeps its own copy.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# 50k nodes, 1M edges: a 26 MB graph, far more than a backend's own memory
my $setup = q{
	CREATE EXTENSION parproc;
	CREATE TABLE edges AS
	SELECT g % 50000 AS src, (g * 7919 + g / 50000) % 50000 AS dst, (g % 10) / 10.0 AS w
	FROM generate_series(1, 1000000::bigint) g;
	CREATE TABLE small AS SELECT g AS src, g + 1 AS dst FROM generate_series(1, 1000) g;
	ANALYZE edges, small;
};

# the reference for one step from seed 1 (no decay, no normalization):
# each out-neighbour gets the sum of its edge weights, at most 1
my $one_step_matches = q{
	WITH a AS (SELECT node, activation
			   FROM parproc.spread_activation('g', ARRAY[1], spread => 1, decay => 0, threshold => 0,
											  normalize_weights => false, max_iterations => 1, max_nodes => 1000)),
		 b AS (SELECT 1::bigint AS node, 1::float8 AS activation
			   UNION ALL
			   SELECT dst, least(1, sum(w))::float8 FROM edges WHERE src = 1 AND dst <> 1
			   GROUP BY dst HAVING sum(w) > 0)
	SELECT count(*) > 1 AND count(*) FILTER (WHERE a.node IS NULL OR b.node IS NULL
											 OR abs(a.activation - b.activation) > 1e-9) = 0
	FROM a FULL JOIN b USING (node)};

# other roles' graphs, set up on each node: tap_carol owns two graphs over
# her table, tap_dave owns a one-edge table and may not read hers
my $roles = q{
	CREATE ROLE tap_carol;
	CREATE ROLE tap_dave;
	GRANT USAGE ON SCHEMA parproc TO tap_carol, tap_dave;
	CREATE TABLE carol_edges (s int, d int);
	INSERT INTO carol_edges VALUES (10, 11), (11, 12);
	ALTER TABLE carol_edges OWNER TO tap_carol;
	CREATE TABLE dave_edges (s int, d int);
	INSERT INTO dave_edges VALUES (10, 99);
	ALTER TABLE dave_edges OWNER TO tap_dave;
};
my $carol_graphs = q{
	SET ROLE tap_carol;
	SELECT FROM parproc.create_graph('carol_g', 'carol_edges', 's', 'd');
	SELECT FROM parproc.create_graph('carol_h', 'carol_edges', 's', 'd');
};
# the nodes of dave_edges: all that a query of his from node 10 may return
my $dave_nodes = q{
	SELECT string_agg(n::text, ',' ORDER BY n) FROM (SELECT s FROM dave_edges UNION SELECT d FROM dave_edges) u(n)};
my $dave_answer = q{
	SELECT string_agg(node::text, ',' ORDER BY node)
	FROM parproc.spread_activation('carol_g', ARRAY[10], spread => 1, decay => 0, threshold => 0)};

my $node = PostgreSQL::Test::Cluster->new('graph_shared');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "restart_after_crash = on");
$node->start;
$node->safe_psql('postgres', $setup);

# 1. one backend loads the graph and queries it
$node->safe_psql('postgres', q{
	SELECT parproc.create_graph('g', 'edges', 'src', 'dst', 'w');
	SELECT count(*) FROM parproc.spread_activation('g', ARRAY[1]);
	SELECT count(*) FROM parproc.spread_activation('g', ARRAY[2]);
	SELECT count(*) FROM parproc.spread_activation('g', ARRAY[3]);
});
my $bytes = $node->safe_psql('postgres', "SELECT bytes FROM parproc.graphs WHERE name = 'g'");
ok($bytes > 24_000_000, "the graph takes $bytes bytes");

# a second backend sees it loaded before its first query, with the first
# one's queries; its own queries use that copy: no second load, its own
# memory stays far below one copy, the statistics count every session's
is( $node->safe_psql('postgres',
		"SELECT nodes || ' ' || edges || ' ' || loads || ' ' || queries FROM parproc.graphs WHERE name = 'g'"),
	'50000 1000000 1 3',
	'second backend sees the loaded graph and the first backend\'s queries');
my $second = $node->safe_psql('postgres', qq{
	SELECT (count(*) > 0)::text FROM parproc.spread_activation('g', ARRAY[4]);
	SELECT ($one_step_matches)::text;
	SELECT (sum(total_bytes) < $bytes / 2)::text FROM pg_backend_memory_contexts;
	SELECT loads || ' ' || queries || ' ' || bytes FROM parproc.graphs WHERE name = 'g';
});
is($second, "true\ntrue\ntrue\n1 5 $bytes",
	'second backend answers from the shared copy (exact), without a copy of its own; loaded once');
is( $node->safe_psql('postgres',
		"SELECT count(*) || ' ' || sum(bytes) FROM parproc.graphs WHERE bytes IS NOT NULL"),
	"1 $bytes", 'memory counted once');
like(
	$node->safe_psql('postgres',
		"SELECT mean_ms > 0 AND p99_ms >= mean_ms / 2 FROM parproc.graphs WHERE name = 'g'"),
	qr/^t$/, 'mean and p99 latencies across sessions');

# 2. a session that stays connected sees another session's refresh at its
# next query; the old version is gone from the view, the new one loaded once
my $s1 = $node->background_psql('postgres');
$s1->query_safe('SET client_min_messages = warning');
is($s1->query_safe(
		"SELECT count(*) FROM parproc.spread_activation('g', ARRAY[60000])"),
	'0', 'node 60000 not in the graph yet');
$node->safe_psql('postgres', q{
	INSERT INTO edges VALUES (60000, 60001, 1);
	SELECT parproc.refresh_graph('g');
});
is($s1->query_safe(
		"SELECT string_agg(node::text, ',' ORDER BY node) FROM parproc.spread_activation('g', ARRAY[60000])"),
	'60000,60001', 'refresh in one session reaches the other at its next query');
is($s1->query_safe(
		"SELECT count(*) || ' ' || min(nodes) || ' ' || min(loads) || ' ' || min(queries) FROM parproc.graphs WHERE name = 'g'"),
	'1 50002 2 1', 'the new version loaded once, shown alone');
$s1->quit;

# 3. parproc.graph_memory bounds the shared memory: set by a reload only;
# a graph that does not fit evicts the unused ones, and one larger than
# the limit fails naming its size
my ($ret, $stdout, $stderr) =
  $node->psql('postgres', "SET parproc.graph_memory = '1GB'");
like($stderr, qr/cannot be changed now/, 'graph_memory is not a session setting with preload');
$node->append_conf('postgresql.conf', "parproc.graph_memory = '40MB'");
$node->reload;
$node->poll_query_until('postgres', "SELECT current_setting('parproc.graph_memory') = '40MB'")
  or die 'graph_memory not reloaded';
$node->safe_psql('postgres', q{
	CREATE TABLE edges2 AS SELECT * FROM edges;
	SELECT parproc.create_graph('g2', 'edges2', 'src', 'dst', 'w');
});
is( $node->safe_psql('postgres',
		"SELECT string_agg(name || ':' || (nodes IS NOT NULL), ' ' ORDER BY name) FROM parproc.graphs"),
	'g:false g2:true', 'loading g2 evicted g, unused');
$node->safe_psql('postgres', q{
	CREATE TABLE edges3 AS SELECT src, dst, w FROM edges UNION ALL SELECT dst, src, w FROM edges;
	INSERT INTO parproc.graph_defs (name, edges, source, target, weight, directed)
	VALUES ('g3', 'edges3', 'src', 'dst', 'w', true);
});
($ret, $stdout, $stderr) = $node->psql(
	'postgres', q{
	\set VERBOSITY verbose
	SELECT count(*) FROM parproc.spread_activation('g3', ARRAY[1]);
});
like(
	$stderr,
	qr/ERROR:  53200: graph "g3" does not fit in parproc.graph_memory\nDETAIL:  It needs \d+ kB; .*\nHINT:  Raise parproc.graph_memory/,
	'a graph larger than the limit fails with 53200, its size and a hint');
is($node->safe_psql('postgres', "SELECT ($one_step_matches)::text"),
	'true', 'after the failure the evicted graph loads again and answers exactly');
$node->append_conf('postgresql.conf', "parproc.graph_memory = '1GB'");
$node->reload;
$node->poll_query_until('postgres', "SELECT current_setting('parproc.graph_memory') = '1GB'")
  or die 'graph_memory not reloaded';

# 4. two sessions wanting a graph nobody has loaded: one loads it (held up
# here by a lock on the edge table), the other waits for that load
# instead of loading it too
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE edges3 IN ACCESS EXCLUSIVE MODE');
my @waiters = map { $node->background_psql('postgres') } 1 .. 2;
my @pids = map { $_->query_safe('SELECT pg_backend_pid()') } @waiters;
$_->query_until(qr/sent/, "\\echo sent\nSELECT count(*) FROM parproc.spread_activation('g3', ARRAY[1]);\n")
  foreach @waiters;
$node->poll_query_until('postgres', qq{
	SELECT string_agg(wait_event_type, ' ' ORDER BY wait_event_type) = 'Extension Lock'
	FROM pg_stat_activity WHERE pid IN ($pids[0], $pids[1])})
  or die 'the sessions are not loading and waiting';
$locker->query_safe('COMMIT');
$node->poll_query_until('postgres', "SELECT queries = 2 FROM parproc.graphs WHERE name = 'g3'")
  or die 'the queries did not finish';
is($node->safe_psql('postgres', "SELECT loads FROM parproc.graphs WHERE name = 'g3'"),
	'1', 'two sessions wanting the same graph at once load it once');
$_->quit foreach @waiters;

# 4b. a session holding a lock the loader waits for (here on a partition of
# the edge table, which the caller's checks do not know of) does not wait
# for that load, which would never end: it loads a copy of its own
$node->safe_psql('postgres', q{
	CREATE TABLE pedges (src bigint, dst bigint, w float8) PARTITION BY RANGE (src);
	CREATE TABLE pedges_1 PARTITION OF pedges FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
	INSERT INTO pedges SELECT src, dst, w FROM edges WHERE src < 5000;
	INSERT INTO parproc.graph_defs (name, edges, source, target, weight, directed)
	VALUES ('g5', 'pedges', 'src', 'dst', 'w', true);
});
my $answer = q{SELECT string_agg(node || ':' || round(activation::numeric, 9), ',' ORDER BY node)
	FROM parproc.spread_activation('g5', ARRAY[1])};
$locker->query_safe('BEGIN; LOCK TABLE pedges_1 IN ACCESS EXCLUSIVE MODE');
my $blocked = $node->background_psql('postgres');
my $bpid = $blocked->query_safe('SELECT pg_backend_pid()');
$blocked->query_until(qr/sent/, "\\echo sent\n$answer;\n");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $bpid")
  or die 'the load did not start';
my $own = $locker->query_safe($answer);
$locker->query_safe('COMMIT');
$node->poll_query_until('postgres', "SELECT queries >= 2 FROM parproc.graphs WHERE name = 'g5'")
  or die 'the blocked load did not finish';
is($node->safe_psql('postgres', $answer), $own,
	'the lock holder answered with a copy of its own, the same answer');
$blocked->quit;

# 5. kill -9 of a backend in the middle of a load: the server restarts
# with empty shared memory, and the cache works again
$node->safe_psql('postgres', q{
	INSERT INTO parproc.graph_defs (name, edges, source, target, weight, directed)
	VALUES ('g4', 'edges3', 'src', 'dst', 'w', false);
});
$locker->query_safe('BEGIN; LOCK TABLE edges3 IN ACCESS EXCLUSIVE MODE');
my $loader = $node->background_psql('postgres');
my $pid = $loader->query_safe('SELECT pg_backend_pid()');
$loader->query_until(qr/sent/, "\\echo sent\nSELECT count(*) FROM parproc.spread_activation('g4', ARRAY[1]);\n");
$node->poll_query_until('postgres',
	"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $pid")
  or die 'the load did not start';
kill 'KILL', $pid;
$loader->{run}->kill_kill;
$locker->{run}->kill_kill;
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
like(slurp_file($node->logfile), qr/terminated by signal 9/,
	'the loading backend was killed and the server restarted');
is( $node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE nodes IS NOT NULL) FROM parproc.graphs"),
	'0', 'after the restart nothing is loaded');
is($node->safe_psql('postgres', "SELECT ($one_step_matches)::text"),
	'true', 'after the restart a graph loads again and answers exactly');
is( $node->safe_psql('postgres', q{
		SELECT count(*) > 0 FROM parproc.spread_activation('g4', ARRAY[1]);
		SELECT loads FROM parproc.graphs WHERE name = 'g4'}),
	"t\n1", 'the graph being loaded at the kill loads again');
# 6. other roles' graphs, across sessions sharing the cache: a role that
# does not own a graph cannot unload it from another session, and a
# definition written over its own table with the generation of another
# role's loaded version (read from parproc._graph_cache()) gets a fresh
# one: its queries answer from its own edges, not from that version
$node->safe_psql('postgres', $roles);
$node->safe_psql('postgres', $carol_graphs);
($ret, $stdout, $stderr) =
  $node->psql('postgres', "SET ROLE tap_dave; SELECT parproc._graph_unload('carol_h')");
like($stderr, qr/must be a member of the owner of graph "carol_h" to unload it/,
	'another role cannot unload a graph loaded by another session');
is( $node->safe_psql('postgres', "SELECT nodes || ' ' || loads FROM parproc.graphs WHERE name = 'carol_h'"),
	'3 1', 'the graph stays loaded in shared memory');
$node->safe_psql('postgres',
	"SET ROLE tap_carol; DELETE FROM parproc.graph_defs WHERE name = 'carol_g'");
my $carol_generation =
  $node->safe_psql('postgres', "SELECT generation FROM parproc._graph_cache() WHERE name = 'carol_g'");
$node->safe_psql('postgres', qq{
	SET ROLE tap_dave;
	INSERT INTO parproc.graph_defs (name, edges, source, target, directed, generation)
	VALUES ('carol_g', 'dave_edges', 's', 'd', true, $carol_generation)});
is($node->safe_psql('postgres', "SET ROLE tap_dave; $dave_answer"),
	$node->safe_psql('postgres', $dave_nodes),
	"a definition written with another version's generation answers from its own edge table");

$node->stop;

# 7. without preload: each session loads its own copy, with the same API
my $plain = PostgreSQL::Test::Cluster->new('graph_plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', $setup);
$plain->safe_psql('postgres', "SELECT parproc.create_graph('g', 'edges', 'src', 'dst', 'w')");
is( $plain->safe_psql('postgres',
		"SELECT nodes IS NULL FROM parproc.graphs WHERE name = 'g'"),
	't', 'without preload a new session has not loaded the graph');
is( $plain->safe_psql('postgres', qq{
		SELECT ($one_step_matches)::text;
		SELECT nodes || ' ' || loads || ' ' || queries FROM parproc.graphs WHERE name = 'g'}),
	"true\n50000 1 1", 'without preload a session loads its own copy and answers exactly');
($ret, $stdout, $stderr) = $plain->psql(
	'postgres', q{
	SET parproc.graph_memory = '1MB';
	SELECT count(*) FROM parproc.spread_activation('g', ARRAY[1]);
});
like($stderr, qr/graph "g" does not fit in parproc.graph_memory/,
	'without preload the limit is a session setting');
# 8. the same without preload, in one session (the cache is the
# session's): the role changes, the cache stays
$plain->safe_psql('postgres', $roles);
($ret, $stdout, $stderr) = $plain->psql(
	'postgres', qq{
	\\o /dev/null
	$carol_graphs
	\\o
	SET ROLE tap_dave;
	SELECT parproc._graph_unload('carol_h');
	SELECT nodes FROM parproc.graphs WHERE name = 'carol_h';
	SET ROLE tap_carol;
	DELETE FROM parproc.graph_defs WHERE name = 'carol_g';
	SET ROLE tap_dave;
	SELECT generation AS carol_generation FROM parproc._graph_cache() WHERE name = 'carol_g' \\gset
	INSERT INTO parproc.graph_defs (name, edges, source, target, directed, generation)
	VALUES ('carol_g', 'dave_edges', 's', 'd', true, :carol_generation);
	$dave_answer;
}, on_error_stop => 0);
like($stderr, qr/must be a member of the owner of graph "carol_h" to unload it/,
	'without preload another role cannot unload a graph either');
is($stdout, "3\n" . $plain->safe_psql('postgres', $dave_nodes),
	"without preload the graph stays loaded, and a forged generation answers from its own edge table");

$plain->stop;

done_testing();
