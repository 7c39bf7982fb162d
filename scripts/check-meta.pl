#!/usr/bin/perl
# scripts/check-meta.pl: checks META.json, the PGXN distribution metadata,
# against the PGXN meta spec 1.0.0's required keys and against the
# extension: its version is the control file's default_version (as
# major.minor.patch) and the Debian package's, every file it names exists.  Exits 1 with the
# problems listed.
use strict;
use warnings;
use JSON::PP;

my $dir = $ARGV[0] // '.';
my @problems;

open my $fh, '<', "$dir/META.json" or die "META.json: $!\n";
my $meta = eval { JSON::PP->new->decode(do { local $/; <$fh> }) };
die "META.json is not valid JSON: $@" unless $meta;

for my $key (qw(name abstract version maintainer license provides meta-spec))
{
	push @problems, "missing required key \"$key\"" unless defined $meta->{$key};
}
push @problems, "meta-spec version is not 1.0.0"
  unless ($meta->{'meta-spec'}{version} // '') eq '1.0.0';
my $semver = qr/^\d+\.\d+\.\d+$/;
push @problems, "version \"$meta->{version}\" is not major.minor.patch"
  unless ($meta->{version} // '') =~ $semver;

open my $cf, '<', "$dir/parproc.control" or die "parproc.control: $!\n";
my ($default) = map { /^\s*default_version\s*=\s*'([^']*)'/ ? $1 : () } <$cf>;
die "parproc.control has no default_version\n" unless defined $default;
my $expected = $default =~ /^\d+\.\d+$/ ? "$default.0" : $default;
push @problems, "version $meta->{version} is not the control file's default_version $default"
  unless ($meta->{version} // '') eq $expected;

# the Debian package's version (debian/changelog's first line)
if (open my $cl, '<', "$dir/debian/changelog")
{
	my ($deb) = <$cl> =~ /^\S+ \(([^)]+)\)/;
	push @problems, "debian/changelog's version $deb is not $meta->{version}"
	  unless defined $deb && $deb eq ($meta->{version} // '');
}
else
{
	push @problems, "debian/changelog: $!";
}

my $provides = $meta->{provides} // {};
push @problems, "provides does not name the extension parproc" unless $provides->{parproc};
for my $name (sort keys %$provides)
{
	my $p = $provides->{$name};
	push @problems, "provides.$name has no file" unless $p->{file};
	push @problems, "provides.$name has no version" unless $p->{version};
	push @problems, "provides.$name.version $p->{version} is not $meta->{version}"
	  if $p->{version} && $p->{version} ne ($meta->{version} // '');
	for my $key (qw(file docfile))
	{
		push @problems, "provides.$name.$key: $p->{$key} does not exist"
		  if $p->{$key} && !-f "$dir/$p->{$key}";
	}
}
push @problems, "prereqs.runtime.requires has no PostgreSQL"
  unless $meta->{prereqs}{runtime}{requires}{PostgreSQL};

if (@problems)
{
	print STDERR "META.json: $_\n" for @problems;
	exit 1;
}
print "META.json: valid (version $meta->{version}, PostgreSQL $meta->{prereqs}{runtime}{requires}{PostgreSQL})\n";
