#!/usr/bin/env bash
# make test: everything CI checks.  Unit tests of the kernels, a short fuzz
# run of the decoders, a build with warnings as errors, install, then as an
# unprivileged user: a throwaway cluster with parproc preloaded for
# pg_regress and the isolation tests, the TAP tests (which start clusters of
# their own), the soak, and with CITUS_SRC set (or Citus installed) the
# Citus tests (scripts/citus.sh).  All of it against PostgreSQL $PG_MAJOR (15
# unless set), then, as root, the same in a Debian root for each version of
# $TEST_PG_VERSIONS (17 and 18 unless set; scripts/pgroot.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

WERROR_CFLAGS=${WERROR_CFLAGS:--Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Werror}

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# Other PostgreSQL versions tested after this one (scripts/test-pg.sh).
TEST_PG_VERSIONS=${TEST_PG_VERSIONS-17 18}

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	ensure_packages "${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
else
	ensure_packages "${BUILD_PACKAGES[@]}"
fi

say "META.json (PGXN metadata) against the meta spec and parproc.control"
perl scripts/check-meta.pl

say "unit tests of src/kernels"
make -s unittest UNIT_CFLAGS="$WERROR_CFLAGS"

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	say "fuzzing the decoders for $FUZZ_SECONDS s each (libFuzzer, ASan, UBSan)"
	make -s fuzz FUZZ_SECONDS="$FUZZ_SECONDS"
fi

say "build with $WERROR_CFLAGS"
make -s clean
make -s PG_CFLAGS="$WERROR_CFLAGS" >/dev/null
install_extension

# The checks run as the PostgreSQL user.  As root, they run in a copy of
# the tree that user owns, so nothing in the checkout changes hands.
if [ "$(id -u)" -eq 0 ]; then
	tree=$(mktemp -d /tmp/parproc-test.XXXXXX)
	cp -a . "$tree/src-tree"
	tree=$tree/src-tree
	rm -rf "$tree/tmp"
	chown -R postgres "$(dirname "$tree")"
else
	tree=$PWD
fi

run_dir=$(work_dir "$PWD/tmp/test")
trap 'cluster_stop "$run_dir"' EXIT

say "pg_regress, isolation and TAP tests (as $(pg_user))"
cluster_start "$run_dir"
status=0
installcheck_in "$tree" || status=$?
if [ $status -ne 0 ]; then
	echo "test files and logs are kept in $tree"
	exit $status
fi
[ "$tree" != "$PWD" ] && rm -rf "$(dirname "$tree")"

say "soak: pgbench clients mixing aggregates, graphs, runs, cancels and resumes (about a minute)"
test/soak.sh

if [ -n "${PARPROC_ROOT:-}" ]; then
	echo "note: the Citus tests run on the host's PostgreSQL 15, not in the $PARPROC_ROOT root"
elif [ -n "${CITUS_SRC:-}" ] || [ -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]; then
	scripts/citus.sh
else
	echo "note: not tested on Citus: make test CITUS_SRC=/path/to/citus-13.2.2.tar.gz builds it (README, Scale-out)"
fi
if [ "$(id -u)" -eq 0 ]; then
	scripts/deb.sh --check
else
	echo "note: the Debian package is built, installed and tested as root (scripts/deb.sh --check)"
fi
# the benches install their alternatives (tdigest, hll, pgRouting) and
# gnuplot: as root only, on the host
if [ "$(id -u)" -eq 0 ] && [ -z "${PARPROC_ROOT:-}" ]; then
	say "the benchmark report in quick mode: every bench on small inputs, tables and plots"
	env -u PGHOST -u PGPORT -u PGUSER BENCH_QUICK=1 bench/report >"$run_dir/report.log" 2>&1 || { tail -n 40 "$run_dir/report.log"; die "bench/report failed"; }
	tail -n 1 "$run_dir/report.log"
elif [ -z "${PARPROC_ROOT:-}" ]; then
	echo "note: the quick benchmark report runs as root (BENCH_QUICK=1 make bench-report)"
fi
echo "all tests passed on PostgreSQL $PG_MAJOR"

for v in $TEST_PG_VERSIONS; do
	if [ "$(id -u)" -ne 0 ]; then
		echo "note: not tested on PostgreSQL $v: that takes root (a Debian root with debootstrap;" \
			"see scripts/pgroot.sh), or PG_MAJOR=$v make test with postgresql-$v installed here"
		continue
	fi
	scripts/pgroot.sh "$v"
done
