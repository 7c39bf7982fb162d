# scripts/lib.sh: helpers shared by demo.sh, test.sh and bench/run.
# Sourced, not run.  Everything here works as root (installing what is
# missing, running PostgreSQL as the unprivileged user "postgres") and as an
# ordinary user (saying what to install, running PostgreSQL as that user).

PG_MAJOR=${PG_MAJOR:-15}
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
export PG_CONFIG=${PG_CONFIG:-$PG_BINDIR/pg_config}

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install the Debian packages named, if any is missing.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages; install them with: sudo apt-get install -y ${missing[*]}"
	fi
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Packages needed to build, install and test parproc (from 16 on, the
# server's headers include ICU's); libFuzzer's runtime for the decoder fuzz
# targets.
BUILD_PACKAGES=(build-essential postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR libipc-run-perl zlib1g-dev)
if [ "$PG_MAJOR" -ge 16 ]; then BUILD_PACKAGES+=(libicu-dev); fi
FUZZ_PACKAGES=(libclang-rt-14-dev)

# The user PostgreSQL runs as: "postgres" when we are root (PostgreSQL
# refuses to run as root), ourselves otherwise.
pg_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# Run a command as the PostgreSQL user.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- env PATH="$PG_BINDIR:$PATH" "$@"
	else
		env PATH="$PG_BINDIR:$PATH" "$@"
	fi
}

# Install the built extension into the server's directories.
install_extension() {
	if [ "$(id -u)" -eq 0 ] || [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
		make -s install >/dev/null
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
	else
		die "cannot write to $("$PG_CONFIG" --pkglibdir): run 'sudo make install' once, or run this as root"
	fi
}

# make installcheck in tree $1 (owned by the PostgreSQL user) against the
# server in PGHOST, as that user, with make arguments $2...; on failure
# prints the regression diffs and the TAP logs and returns make's status.
installcheck_in() {
	local tree=$1 status=0 f
	shift
	as_pg env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
		make -C "$tree" -s installcheck PG_CONFIG="$PG_CONFIG" "$@" || status=$?
	if [ $status -ne 0 ]; then
		for f in "$tree/regression.diffs" "$tree/output_iso/regression.diffs"; do
			[ -f "$f" ] && { echo "--- $f"; cat "$f"; }
		done
		for f in "$tree"/tmp_check/log/*; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 50 "$f"; }
		done
	fi
	return $status
}

# A directory the PostgreSQL user can write: ./tmp when it can reach it and
# the server's socket path fits there (about 100 bytes), else a fresh
# directory under /tmp.
work_dir() {
	local want=$1 dir
	if [ ${#want} -le 80 ]; then
		mkdir -p "$want"
		if [ "$(id -u)" -ne 0 ]; then
			echo "$want"
			return
		fi
		chown postgres "$want"
		if runuser -u postgres -- test -w "$want"; then
			echo "$want"
			return
		fi
	fi
	dir=$(mktemp -d /tmp/parproc.XXXXXX)
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	echo "$dir"
}

# Start a throwaway cluster in $1 (data, socket and log inside it) with
# parproc preloaded.  Extra "-c name=value" settings may follow.  With
# CLUSTER_HUGE_PAGES=on (bench_cluster's) its shared memory is in huge
# pages (use_huge_pages), with off not; unset, PostgreSQL's default (try)
# holds.
cluster_start() {
	local dir=$1
	shift
	local opts="-c listen_addresses='' -k $dir -c shared_preload_libraries=parproc -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	local o
	for o in "$@"; do opts="$opts $o"; done
	as_pg rm -rf "$dir/data"
	as_pg initdb -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
		|| { cat "$dir/initdb.log"; die "initdb failed"; }
	if [ -n "${CLUSTER_HUGE_PAGES:-}" ]; then
		# shellcheck disable=SC2048,SC2086 # the settings, word by word
		if [ "$CLUSTER_HUGE_PAGES" = on ]; then use_huge_pages "$dir/data" $*; fi
		opts="$opts -c huge_pages=$CLUSTER_HUGE_PAGES"
	fi
	as_pg pg_ctl -D "$dir/data" -l "$dir/server.log" -o "$opts" -w start >/dev/null \
		|| { cat "$dir/server.log"; die "the server did not start"; }
	export PGHOST=$dir PGUSER=postgres PGPORT=5432
}

# Reserve the 2 MB pages a server on data directory $1 with settings $2...
# needs (vm.nr_hugepages, root only; given back by release_huge_pages),
# as one sets a server with a large shared_buffers up: processes that map
# shared buffers page by page spend much of their time in page faults.
# Sets CLUSTER_HUGE_PAGES to off when they cannot be had.
use_huge_pages() {
	local data=$1 need free
	shift
	need=$(as_pg postgres -D "$data" -c shared_preload_libraries=parproc "$@" \
		-C shared_memory_size_in_huge_pages 2>/dev/null) || need=-1
	free=$(huge_pages_free)
	if [ "$need" -gt 0 ] && [ "$free" -lt "$need" ] && [ "$(id -u)" -eq 0 ]; then
		HUGE_PAGES_BEFORE=${HUGE_PAGES_BEFORE:-$(cat /proc/sys/vm/nr_hugepages)}
		# a read-only /proc/sys (a container) leaves free as it was
		{ echo $(( $(cat /proc/sys/vm/nr_hugepages) + need - free )) >/proc/sys/vm/nr_hugepages; } \
			2>/dev/null || true
		free=$(huge_pages_free)
	fi
	if [ "$need" -le 0 ] || [ "$free" -lt "$need" ]; then
		echo "note: no huge pages for the server (it needs $need of 2 MB; run as root, or set vm.nr_hugepages)" >&2
		CLUSTER_HUGE_PAGES=off
	fi
}

# Huge pages neither in use nor promised to a process.
huge_pages_free() {
	awk '/^HugePages_Free/ { f = $2 } /^HugePages_Rsvd/ { r = $2 } END { print f - r }' /proc/meminfo
}

# Give back the huge pages use_huge_pages reserved: the number there was
# before (a change made meanwhile by someone else is undone with it).
release_huge_pages() {
	if [ -n "${HUGE_PAGES_BEFORE:-}" ]; then
		{ echo "$HUGE_PAGES_BEFORE" >/proc/sys/vm/nr_hugepages; } 2>/dev/null || true
	fi
	return 0
}

# Stop the cluster started by cluster_start.
cluster_stop() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] && as_pg pg_ctl -D "$dir/data" -m fast -w stop >/dev/null
	return 0
}

# For bench/: unless PGHOST names a server, build, install and start a
# throwaway cluster (shared_buffers = 2GB), stopped when the script exits.
# Its shared memory is in huge pages unless BENCH_HUGE_PAGES=off is set or
# they cannot be had; HUGE_PAGES says which, for the scripts' headers.
bench_cluster() {
	if [ -z "${PGHOST:-}" ]; then
		make -s >/dev/null
		install_extension
		bench_dir=$(work_dir "$PWD/tmp/bench")
		trap 'cluster_stop "$bench_dir"; release_huge_pages' EXIT
		CLUSTER_HUGE_PAGES=${BENCH_HUGE_PAGES:-on}
		cluster_start "$bench_dir" "-c shared_buffers=2GB"
		HUGE_PAGES=$CLUSTER_HUGE_PAGES
	else
		# the setting: PostgreSQL 15 does not say whether "try" got them
		HUGE_PAGES="setting $(psql -X -A -t -c "SHOW huge_pages")"
	fi
}

# For bench/: median milliseconds of $RUNS executions of a query (after
# one warm-up run), with settings applied first.
time_query() {
	local settings=$1 query=$2
	{
		echo "$settings"
		echo '\o /dev/null'
		echo "$query;"
		echo '\timing on'
		for _ in $(seq "$RUNS"); do echo "$query;"; done
	} | psql -X -q -v ON_ERROR_STOP=1 | awk '/^Time:/ { print $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
