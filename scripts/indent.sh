#!/usr/bin/env bash
# make indent: lay the C sources out as PostgreSQL's pgindent does, with
# pg_bsd_indent (Debian package pg-bsd-indent) and pgindent's options; the
# typedefs are parproc's own (typedefs.list) and those of the server's
# headers.  Rewrites the files in place; git diff shows what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_packages pg-bsd-indent
include=$("$PG_CONFIG" --includedir-server)
typedefs=$(mktemp)
trap 'rm -f "$typedefs" "$typedefs".c "$typedefs".out' EXIT
{
	grep -rhoE '^\} *[A-Za-z_][A-Za-z0-9_]*;' "$include" | sed -E 's/^\} *//; s/;//'
	grep -rhoE '^typedef [^;(]*[ *]([A-Za-z_][A-Za-z0-9_]*);' "$include" |
		sed -E 's/.*[ *]([A-Za-z_][A-Za-z0-9_]*);/\1/'
	grep -rhoE '^typedef [^;]*\(\*([A-Za-z_][A-Za-z0-9_]*)\)' "$include" |
		sed -E 's/.*\(\*([A-Za-z_][A-Za-z0-9_]*)\)/\1/'
	cat typedefs.list
	printf '%s\n' bool size_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t FILE pid_t
} | sort -u |
	grep -vxE 'ANY|FD_SET|U|abs|allocfunc|boolean|date|digit|ilist|interval|iterator|other|pointer|printfunc|reference|string|timestamp|type|wrap' \
	>"$typedefs"
for f in $(git ls-files 'src/*.[ch]' 'test/unit/*.[ch]' 'bench/*.c'); do
	# pgindent's own steps around the indent run: // comments, dashed
	# comments, and one space before '*' in function return types
	perl -0pe 's!^([ \t]*)//(.*)$!$1/* $2 */!gm; s!/\* +---!/*---X_X!g' "$f" >"$typedefs".c
	pg_bsd_indent -bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79 \
		-lp -lpl -nip -npro -sac -tpg -ts4 -U"$typedefs" "$typedefs".c "$typedefs".out
	perl -0pe 's!/\*---X_X!/* ---!g; s!\*/(/\*.*\*/)$!*/\t$1!gm; s!^([A-Za-z_]\S*)[ \t]+\*$!$1 *!gm' \
		"$typedefs".out >"$f.indent"
	if cmp -s "$f" "$f.indent"; then rm "$f.indent"; else mv "$f.indent" "$f"; echo "indented $f"; fi
done
