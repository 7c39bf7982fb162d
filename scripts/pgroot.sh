#!/usr/bin/env bash
# scripts/pgroot.sh VERSION [COMMAND [ARG...]]: run COMMAND (scripts/test.sh
# unless given) of this checkout against PostgreSQL VERSION, in a Debian
# root that has it.  make test-pg PGVERSION=18 runs the whole of make test
# there; scripts/pgroot.sh 18 bench/pipeline a benchmark.
#
# Debian 12 ships PostgreSQL 15 only; Debian's newer suites have the newer
# servers (17: trixie, 18: forky).  The root is made once with debootstrap
# under $PG_ROOTS (/var/tmp/parproc-roots unless set) and reused: later runs
# only install what is missing.  The checkout (its tracked and untracked
# files, not its build outputs) is copied into the root, where COMMAND
# runs as root with PG_MAJOR=VERSION (so scripts/lib.sh installs and uses
# that server, run as the root's "postgres" user).  For scripts/test.sh:
# -Werror build, unit tests, pg_regress, isolation, TAP and the soak; the
# decoders' fuzz run is left to the host's run (the same C, whatever the
# server).  Needs root (debootstrap, chroot, mount).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

version=${1:-}
shift || true
[ $# -gt 0 ] || set -- scripts/test.sh
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
script=
case $version in
	17) suite=trixie ;;
	18)
		# Debian 12's debootstrap has no script of its own for forky
		suite=forky
		script=/usr/share/debootstrap/scripts/sid
		;;
	*) die "usage: scripts/pgroot.sh 17|18 [COMMAND [ARG...]] (PostgreSQL 15 is this machine's own)" ;;
esac
[ "$(id -u)" -eq 0 ] ||
	die "a Debian root for PostgreSQL $version takes root (debootstrap, chroot);" \
		"with postgresql-$version installed here, PG_MAJOR=$version make test runs the tests without one"

ensure_packages debootstrap
root=${PG_ROOTS:-/var/tmp/parproc-roots}/$suite
mkdir -p "$(dirname "$root")"

# One run at a time in a root.
exec 9>"$root.lock"
flock 9

if [ ! -e "$root/.parproc-root" ]; then
	say "making a Debian $suite root in $root (debootstrap)"
	rm -rf "$root"
	# shellcheck disable=SC2086 # no script: no argument
	debootstrap --variant=minbase "$suite" "$root" "$mirror" $script >"$root.log" 2>&1 ||
		{ tail -n 30 "$root.log"; die "debootstrap of $suite failed (log: $root.log)"; }
	# A suite in development may carry a Release file past its expiry date.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99parproc"
	touch "$root/.parproc-root"
fi

# /proc for the tools, a tmpfs for PostgreSQL's dynamic shared memory;
# unmounted again when this script ends.
mounted=()
unmount_all() {
	local m
	for m in "${mounted[@]}"; do umount "$m" || umount -l "$m" || true; done
}
trap unmount_all EXIT
if ! mountpoint -q "$root/proc"; then
	mount -t proc proc "$root/proc"
	mounted+=("$root/proc")
fi
if ! mountpoint -q "$root/dev/shm"; then
	mkdir -p "$root/dev/shm"
	mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
	mounted+=("$root/dev/shm")
fi

say "copying the checkout into $root/build/parproc"
rm -rf "$root/build/parproc"
mkdir -p "$root/build/parproc"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		tar -c --null -T - -f - | tar -x -C "$root/build/parproc" -f -
else
	tar -c --exclude=./tmp -f - . | tar -x -C "$root/build/parproc" -f -
fi

say "$* against PostgreSQL $version in the $suite root"
env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
	PG_MAJOR="$version" FUZZ_SECONDS=0 TEST_PG_VERSIONS= PARPROC_ROOT="$suite")
if [ -n "${WERROR_CFLAGS:-}" ]; then env+=(WERROR_CFLAGS="$WERROR_CFLAGS"); fi
chroot "$root" /usr/bin/env -i "${env[@]}" /bin/sh -c 'cd /build/parproc && exec "$@"' sh "$@"
