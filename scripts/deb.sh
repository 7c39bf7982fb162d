#!/usr/bin/env bash
# scripts/deb.sh [--check]: builds the Debian package of parproc,
# postgresql-<v>-parproc_<version>_<arch>.deb, for every PostgreSQL version
# of debian/pgversions installed here, into tmp/deb/.  pg_buildext and
# debhelper's pgxs_loop build it as Debian builds its own extension
# packages; the build runs in a copy of the tree, so nothing is left in
# the checkout.
#
# --check (as root): then installs the package for this PostgreSQL
# (PG_MAJOR) with apt-get in place of any `make install` copy, runs the
# regression and isolation suites against it in a fresh cluster (make
# installcheck, as the postgres user), and removes the package again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

check=
case ${1:-} in
	--check) check=1 ;;
	"") ;;
	*) die "usage: scripts/deb.sh [--check]" ;;
esac

ensure_packages "${BUILD_PACKAGES[@]}" debhelper dpkg-dev postgresql-server-dev-all

version=$(dpkg-parsechangelog -S Version)
out=$PWD/tmp/deb
src=$out/parproc-$version
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$src"
else
	tar --exclude=./tmp -cf - . | tar -xf - -C "$src"
fi

say "building parproc $version for PostgreSQL $(cd "$src" && pg_buildext supported-versions | xargs)"
(
	cd "$src"
	pg_buildext updatecontrol
	dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1
) || { tail -n 60 "$out/build.log"; die "the package did not build (log: $out/build.log)"; }
ls "$out"/*.deb

[ -n "$check" ] || exit 0
[ "$(id -u)" -eq 0 ] || die "scripts/deb.sh --check installs the package: run it as root"

arch=$(dpkg --print-architecture)
deb=$out/postgresql-${PG_MAJOR}-parproc_${version}_$arch.deb
[ -f "$deb" ] || die "no package for PostgreSQL $PG_MAJOR: $deb"
pkg=postgresql-${PG_MAJOR}-parproc

say "installing $(basename "$deb") with apt-get, in place of make install's copy"
make -s uninstall PG_CONFIG="$PG_CONFIG" >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" >"$out/apt.log" 2>&1 \
	|| { cat "$out/apt.log"; die "apt-get could not install $deb"; }
for f in "$("$PG_CONFIG" --pkglibdir)/parproc.so" "$("$PG_CONFIG" --sharedir)/extension/parproc.control"; do
	dpkg -S "$f" >/dev/null || die "$f is not the package's"
done

tree=$(mktemp -d /tmp/parproc-deb.XXXXXX)
cp -a "$src" "$tree/src-tree"
chown -R postgres "$tree"
dir=$(work_dir "$out/cluster")
trap 'cluster_stop "$dir"; rm -rf "$tree"' EXIT
say "pg_regress and isolation tests against the installed package (as postgres)"
cluster_start "$dir"
installcheck_in "$tree/src-tree" TAP_TESTS= || die "the suite failed against the package"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q "$pkg" >/dev/null
echo "the package built, installed and passed the suite; removed again"
