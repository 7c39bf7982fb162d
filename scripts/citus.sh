#!/usr/bin/env bash
# scripts/citus.sh (make test-citus [CITUS_SRC=citus-X.Y.Z.tar.gz]): parproc
# on a three-node Citus cluster on this machine.
#
# Citus is not packaged by Debian.  Unless the citus extension of the same
# version as CITUS_SRC is installed in the server's directories, it is
# built from that source archive (as published on
# https://github.com/citusdata/citus/releases) and installed.  Then three
# throwaway clusters start as the unprivileged user, with citus and parproc
# preloaded, on localhost ports $CITUS_PORT (the coordinator), +1 and +2
# (the workers), and pg_regress runs test/citus against the coordinator.
# With "--keep" the cluster stays up (for bench/citus); "--stop" stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

CITUS_PORT=${CITUS_PORT:-9700}
CITUS_PACKAGES=(libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev)

# The default_version of the citus.control file on standard input.
citus_control_version() {
	sed -n "s/^default_version *= *'\(.*\)'/\1/p"
}

# Build and install Citus from $CITUS_SRC unless the same version is
# installed already.
ensure_citus() {
	local installed build src_version sharedir
	sharedir=$("$PG_CONFIG" --sharedir)
	installed=
	if [ -f "$sharedir/extension/citus.control" ]; then
		installed=$(citus_control_version <"$sharedir/extension/citus.control")
	fi
	if [ -z "${CITUS_SRC:-}" ]; then
		[ -n "$installed" ] && return 0
		die "Citus is not installed for PostgreSQL $PG_MAJOR: pass the path of its source archive," \
			"make test-citus CITUS_SRC=/path/to/citus-13.2.2.tar.gz (github.com/citusdata/citus/releases)"
	fi
	[ -f "$CITUS_SRC" ] || die "CITUS_SRC=$CITUS_SRC: no such file"
	# the archive's version, read without unpacking it
	src_version=$(tar -xzOf "$CITUS_SRC" --wildcards '*/src/backend/distributed/citus.control' |
		citus_control_version)
	[ -n "$src_version" ] || die "CITUS_SRC=$CITUS_SRC is not a Citus source archive"
	if [ "$installed" = "$src_version" ]; then
		return 0
	fi
	build=$(work_dir "$PWD/tmp/citus-build")
	rm -rf "$build/src"
	mkdir -p "$build/src"
	tar -xzf "$CITUS_SRC" -C "$build/src" --strip-components=1
	ensure_packages "${BUILD_PACKAGES[@]}" "${CITUS_PACKAGES[@]}"
	# PostgreSQL 15's later minor releases declare have_createdb_privilege(),
	# which Citus 13.2's compatibility header defines again as static for
	# versions before 16: take the server's.
	if grep -q have_createdb_privilege "$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h" 2>/dev/null; then
		perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n//s' \
			"$build/src/src/include/pg_version_compat.h"
	fi
	say "building Citus $src_version from $CITUS_SRC (a few minutes)"
	(
		cd "$build/src"
		./configure PG_CONFIG="$PG_CONFIG" >"$build/configure.log" 2>&1 ||
			{ tail -n 30 "$build/configure.log"; exit 1; }
		make -s -j"$(nproc)" >"$build/make.log" 2>&1 || { tail -n 30 "$build/make.log"; exit 1; }
	) || die "building Citus failed (logs in $build)"
	if [ "$(id -u)" -eq 0 ] || [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
		make -s -C "$build/src" install >/dev/null
	else
		die "cannot write to $("$PG_CONFIG" --pkglibdir): run 'sudo make -C $build/src install' once, or run this as root"
	fi
}

# Start node $1 (0: coordinator) of the cluster under $citus_dir.
start_node() {
	local n=$1 port=$((CITUS_PORT + $1))
	shift
	mkdir -p "$citus_dir/node$n"
	if [ "$(id -u)" -eq 0 ]; then chown postgres "$citus_dir/node$n"; fi
	cluster_start "$citus_dir/node$n" "-c port=$port" "-c listen_addresses=localhost" \
		"-c shared_preload_libraries=citus,parproc" "-c citus.node_conninfo=sslmode=disable" \
		"-c max_worker_processes=32" "$@"
}

stop_all() {
	local n
	for n in 0 1 2; do cluster_stop "$citus_dir/node$n"; done
}

citus_dir=$(work_dir "$PWD/tmp/citus")
case ${1:-} in
	--stop) stop_all; exit 0 ;;
	--keep) keep=1 ;;
	"") keep=0 ;;
	*) die "usage: scripts/citus.sh [--keep|--stop]" ;;
esac

ensure_packages "${BUILD_PACKAGES[@]}"
ensure_citus
make -s >/dev/null
install_extension

[ "$keep" = 1 ] || trap stop_all EXIT
stop_all
say "a Citus coordinator (port $CITUS_PORT) and two workers"
for n in 0 1 2; do start_node "$n"; done
export PGHOST=localhost PGPORT=$CITUS_PORT PGUSER=postgres
for n in 0 1 2; do
	psql -X -q -v ON_ERROR_STOP=1 -p $((CITUS_PORT + n)) -c "CREATE EXTENSION citus" postgres
done
psql -X -q -v ON_ERROR_STOP=1 postgres <<SQL
SELECT citus_set_coordinator_host('localhost', $CITUS_PORT);
SELECT citus_add_node('localhost', $((CITUS_PORT + 1)));
SELECT citus_add_node('localhost', $((CITUS_PORT + 2)));
CREATE EXTENSION parproc;
SQL
[ "$keep" = 1 ] && { echo "cluster left running: PGHOST=localhost PGPORT=$CITUS_PORT; scripts/citus.sh --stop"; exit 0; }

say "pg_regress on Citus (test/citus)"
regress_dir=$citus_dir/regress
rm -rf "$regress_dir"
cp -r test/citus "$regress_dir"
if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$regress_dir"; fi
status=0
# shellcheck disable=SC2046 # one test per file
as_pg "$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress" \
	--inputdir="$regress_dir" --outputdir="$regress_dir" --bindir="$PG_BINDIR" \
	--host=localhost --port="$CITUS_PORT" --user=postgres --use-existing --dbname=postgres \
	$(cd test/citus/sql && ls -- *.sql | sed 's/\.sql$//') || status=$?
if [ $status -ne 0 ]; then
	cat "$regress_dir/regression.diffs" 2>/dev/null || true
	echo "test files are kept in $regress_dir"
	exit $status
fi
echo "Citus tests passed"
