# A run resumed from another login session than the one that started it:
# the run keeps its settings (not the starter's login), so any member of
# the pipeline's owner can resume it, and the rest of the run computes
# what its first chunks did.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('resume_login');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'parproc'");
$node->append_conf('postgresql.conf', "parproc.chunk_size = 1");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION parproc;
	CREATE ROLE etl NOLOGIN;
	CREATE ROLE ann LOGIN IN ROLE etl;
	CREATE ROLE bob LOGIN IN ROLE etl;
	GRANT USAGE ON SCHEMA parproc TO etl;
	CREATE TABLE allow (ok boolean);
	INSERT INTO allow VALUES (false);
	-- fails on one row until allowed
	CREATE FUNCTION gate(id int) RETURNS int LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
	BEGIN
		IF id = 3000 AND NOT (SELECT ok FROM allow) THEN
			RAISE EXCEPTION 'not yet';
		END IF;
		RETURN id;
	END $$;
	CREATE TABLE src AS SELECT g AS id, (timestamp '2024-03-30 12:00' + g * interval '7 minutes')::text AS ts
		FROM generate_series(1, 5000) g;
	CREATE TABLE dst (id int, ts timestamptz);
	GRANT SELECT ON src, allow TO etl;
	GRANT INSERT ON dst TO etl;
});

# ann starts the run as the pipeline's owner, in her time zone; it fails
# part-way
my ($ret, $out, $err) = $node->psql('postgres', q{
	SET ROLE etl;
	SELECT parproc.create_pipeline('p', 'src', 'dst',
		'[{"name": "m", "map": "gate(id) AS id, ts::timestamptz AS ts"}]');
	SET TimeZone = 'America/New_York';
	SELECT state FROM parproc.run('p', workers => 1);
}, extra_params => [ '-U', 'ann' ]);
like($err, qr/not yet/, 'the run fails part-way');
$node->safe_psql('postgres', 'UPDATE allow SET ok = true');

# bob, another login in the owner's role, resumes it from another time zone
($ret, $out, $err) = $node->psql('postgres', q{
	SET TimeZone = 'Asia/Tokyo';
	SELECT (parproc.wait(parproc.resume((SELECT max(run_id) FROM parproc.runs)))).state;
}, extra_params => [ '-U', 'bob' ]);
is($out, 'done', 'another login of the owner\'s role resumes it') or diag($err);
is( $node->safe_psql(
		'postgres', q{
	SET TimeZone = 'America/New_York';
	SELECT count(*) FROM ((TABLE dst EXCEPT ALL SELECT id, ts::timestamptz FROM src)
						  UNION ALL (SELECT id, ts::timestamptz FROM src EXCEPT ALL TABLE dst)) d}),
	'0', 'with the settings the run started with: exactly INSERT ... SELECT in its time zone');
is($node->safe_psql('postgres', 'SELECT role FROM parproc.runs'), 'etl',
	'the run\'s role is the pipeline\'s owner');

$node->stop;
done_testing();
