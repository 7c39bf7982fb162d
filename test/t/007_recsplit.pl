# The record boundaries file sources cut at (src/kernels/recsplit.c),
# against COPY itself: random text and CSV files (quoted and escaped
# newlines, doubled and escaped quotes, \r\n and \r line endings, headers,
# multibyte and LATIN1 data, end-of-data markers, a last line without its
# line ending, and lines COPY rejects) are cut into pieces, and COPY of the
# pieces, the first with the header, must load the rows COPY of the whole
# file loads, in order, or fail with the same error.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dir = PostgreSQL::Test::Utils::tempdir;
my $cuts_bin = "$dir/recsplit_cuts";
system('cc', '-O2', '-o', $cuts_bin, 'test/unit/recsplit_cuts.c',
	'src/kernels/recsplit.c') == 0
  or die "cannot build recsplit_cuts";

my $node = PostgreSQL::Test::Cluster->new('recsplit');
$node->init;
$node->start;
$node->safe_psql('postgres',
	"CREATE DATABASE u TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'");
$node->safe_psql(
	'u', q{
	CREATE TABLE w (id bigint GENERATED ALWAYS AS IDENTITY, a text, b text, c text);
	CREATE TABLE p (LIKE w INCLUDING IDENTITY);
	-- COPY into tbl; NULL or the error's message
	CREATE FUNCTION try_copy(tbl text, path text, opts text) RETURNS text
	LANGUAGE plpgsql AS $$
	BEGIN
		EXECUTE format('COPY %I (a, b, c) FROM %L WITH (%s)', tbl, path, opts);
		RETURN NULL;
	EXCEPTION WHEN others THEN
		RETURN SQLERRM;
	END $$;
	-- the whole file against its pieces (the first with the header)
	CREATE FUNCTION compare(whole text, pieces text[], opts text, first_opts text)
	RETURNS text LANGUAGE plpgsql AS $$
	DECLARE
		werr text;
		perr text;
		i int;
	BEGIN
		TRUNCATE w, p;
		werr := try_copy('w', whole, first_opts);
		FOR i IN 1 .. cardinality(pieces) LOOP
			perr := try_copy('p', pieces[i], CASE WHEN i = 1 THEN first_opts ELSE opts END);
			EXIT WHEN perr IS NOT NULL;
		END LOOP;
		IF werr IS DISTINCT FROM perr THEN
			RETURN format('whole: %s; pieces: %s', coalesce(werr, 'loaded'), coalesce(perr, 'loaded'));
		END IF;
		IF werr IS NULL AND (SELECT array_agg((a, b, c)::text ORDER BY id) FROM w)
			IS DISTINCT FROM (SELECT array_agg((a, b, c)::text ORDER BY id) FROM p) THEN
			RETURN format('rows differ: %s whole, %s pieces',
						  (SELECT count(*) FROM w), (SELECT count(*) FROM p));
		END IF;
		RETURN coalesce('same error: ' || werr, 'same rows');
	END $$;
});

srand(20261205);
sub pick { return $_[ int(rand(@_)) ]; }

# One field of a CSV file with options %o.
sub csv_field
{
	my (%o) = @_;
	my ($q, $e, $d) = @o{qw(quote escape delim)};
	my @plain = ('abc', '12', '', 'x y', "caf\x{e9}", '\\.', '\\', '-1.5');
	push @plain, "\x{65e5}\x{672c}" if $o{encoding} eq 'UTF8';
	my $r = rand();
	return pick(@plain) if $r < 0.6;
	# a quoted field: delimiters, quotes, newlines inside
	my $s = '';
	for (1 .. 1 + int(rand(4)))
	{
		$s .= pick('a', $d, "$e$q", "\n", "\r\n", ' ', "caf\x{e9}",
			$e eq $q ? '' : "$e$e", '\\.');
	}
	return "$q$s$q";
}

# One field of a text-format file.
sub text_field
{
	my (%o) = @_;
	my @bits = ('abc', '12', '', '\\N', '\\t', '\\\\', '\\n', "caf\x{e9}", 'x y');
	push @bits, "\\\n" if $o{eol} eq "\n";    # an escaped newline: data
	push @bits, "\x{65e5}" if $o{encoding} eq 'UTF8';
	my $s = '';
	$s .= pick(@bits) for (1 .. 1 + int(rand(3)));
	return $s;
}

my %tally;
for my $t (1 .. 240)
{
	my $csv = $t % 2;
	my %o = (
		delim => $csv ? pick(',', '|', ';') : pick("\t", '|'),
		quote => pick('"', "'"),
		eol => pick("\n", "\n", "\r\n", "\r"),
		header => rand() < 0.3,
		encoding => pick('UTF8', 'LATIN1'));
	$o{escape} = rand() < 0.5 ? $o{quote} : '\\';
	my $nrows = 5 + int(rand(120));
	my $data = '';
	$data .= join($o{delim}, 'a', 'b', 'c') . $o{eol} if $o{header};
	for my $r (1 .. $nrows)
	{
		my @f = map { $csv ? csv_field(%o) : text_field(%o) } 1 .. 3;
		my $x = rand();
		pop @f if $x < 0.004;                    # a line COPY rejects
		@f = ('\\.') if $x > 0.997;              # end of data
		$data .= join($o{delim}, @f);
		$data .= "\r" if $x > 0.003 && $x < 0.005;    # stray \r
		$data .= $o{eol} unless $r == $nrows && rand() < 0.3;
	}
	my $bytes = $data;
	if ($o{encoding} eq 'UTF8') { utf8::encode($bytes); }
	else { utf8::downgrade($bytes); }
	my $file = "$dir/f$t";
	open(my $fh, '>:raw', $file) or die;
	print $fh $bytes;
	close $fh;

	my $chunk = 1 + int(rand(length($bytes) / 3 + 1));
	open(my $ch, '-|', $cuts_bin, $csv ? 'csv' : 'text', $o{quote}, $o{escape},
		$chunk, $file)
	  or die "cannot run recsplit_cuts";
	my @cuts = map { chomp; [ split / / ] } <$ch>;
	close $ch or die "recsplit_cuts failed";

	# each cut's line is the file's physical line there
	my $nl = $o{eol} eq "\r" ? "\r" : "\n";
	for my $c (@cuts)
	{
		my $line = 1 + (() = substr($bytes, 0, $c->[0]) =~ /$nl/g);
		is($c->[1], $line, "file $t: cut at byte $c->[0] is on line $line");
	}

	my @starts = (0, map { $_->[0] } @cuts);
	my @pieces;
	for my $i (0 .. $#starts)
	{
		my $end = $i < $#starts ? $starts[ $i + 1 ] : length($bytes);
		my $piece = "$file.$i";
		open(my $ph, '>:raw', $piece) or die;
		print $ph substr($bytes, $starts[$i], $end - $starts[$i]);
		close $ph;
		push @pieces, $piece;
	}
	my $q = $o{quote} eq "'" ? "''''" : "'\"'";
	my $e = $o{escape} eq "'" ? "''''" : "E'\\\\'";
	$e = $q if $o{escape} eq $o{quote};
	my $d = $o{delim} eq "\t" ? "E'\\t'" : "'$o{delim}'";
	my $opts = "FORMAT " . ($csv ? 'csv' : 'text') . ", DELIMITER $d, ENCODING '$o{encoding}'";
	$opts .= ", QUOTE $q, ESCAPE $e" if $csv;
	my $first = $opts . ($o{header} ? ', HEADER true' : '');
	my $sql = sprintf("SELECT compare('%s', ARRAY[%s]::text[], \$o\$%s\$o\$, \$o\$%s\$o\$)",
		$file, join(',', map { "'$_'" } @pieces), $opts, $first);
	my $res = $node->safe_psql('u', $sql);
	like($res, qr/^same/, "file $t (" . scalar(@pieces) . " pieces, $opts): $res");
	$tally{$res =~ /error/ ? 'error' : 'rows'}++;
	$tally{pieces} += @pieces;
}
# the random files exercise both outcomes and real splitting
cmp_ok($tally{error} // 0, '>', 5, 'some files COPY rejects');
cmp_ok($tally{rows} // 0, '>', 100, 'most files load');
cmp_ok($tally{pieces}, '>', 1000, 'files cut into many pieces');

$node->stop;
done_testing();
