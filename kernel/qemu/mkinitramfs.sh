#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack the test initramfs: /init, busybox as /bin/sh, the runner, the test
# list and the static test programs it names (as PROGRAM, or as an
# argument, for the soak). Uses the kernel's own
# usr/gen_init_cpio, so no root is needed for /dev/console.
#
# Usage: mkinitramfs.sh GEN_INIT_CPIO INIT BUSYBOX TESTS_DIR LIST OUT [SUITE...]
#   BUSYBOX    a static busybox, or "-" for none: then RUNNER (environment)
#              is the static C runner (qemu/runner.c), packed as /runner
#   TESTS_DIR  the selftests OUTPUT; a PROGRAM in LIST is relative to it
#   SUITE...   keep only these suites of LIST (default: all)

set -euo pipefail

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ "$#" -ge 6 ] || die "usage: $0 GEN_INIT_CPIO INIT BUSYBOX TESTS_DIR LIST OUT [SUITE...]"
gen=$1 init=$2 busybox=$3 tests=$4 list=$5 out=$6
shift 6
suites=" $* "
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

runner=""
if [ "$busybox" = - ]; then
	runner=${RUNNER:?RUNNER (the static C runner) is required without busybox}
	busybox=""
fi
for f in "$gen" "$init" $busybox $runner; do
	[ -x "$f" ] || die "$f missing or not executable"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The list in the image keeps only the selected suites.
while read -r suite rest; do
	case "$suite" in ''|'#'*) continue ;; esac
	[ "$suites" = "  " ] || [[ "$suites" == *" $suite "* ]] || continue
	echo "$suite $rest"
done < "$list" > "$work/tests.list"
[ -s "$work/tests.list" ] || die "no tests selected from $list (suites:$suites)"

{
	echo "dir /dev 755 0 0"
	echo "nod /dev/console 600 0 0 c 5 1"
	echo "dir /bin 755 0 0"
	echo "dir /sbin 755 0 0"
	echo "dir /tmp 1777 0 0"
	echo "file /init $init 755 0 0"
	if [ -n "$busybox" ]; then
		echo "file /bin/busybox $busybox 755 0 0"
		echo "slink /bin/sh busybox 777 0 0"
		echo "file /run-tests.sh $here/run-tests.sh 755 0 0"
	else
		echo "file /runner $runner 755 0 0"
	fi
	echo "file /tests.list $work/tests.list 644 0 0"
	echo "dir /tests 755 0 0"
	declare -A dirs=() files=()
	# PROGRAM, and any argument that names a built program too (the
	# soak's children), each once.
	pack() {
		local d p part
		[ -n "${files[$1]:-}" ] && return
		files[$1]=1
		d=$(dirname "$1")
		p=""
		for part in ${d//\// }; do
			[ "$part" = . ] && continue
			p="$p/$part"
			[ -n "${dirs[$p]:-}" ] && continue
			dirs[$p]=1
			echo "dir /tests$p 755 0 0"
		done
		echo "file /tests/$1 $tests/$1 755 0 0"
		# An upstream peer's helpers: its whole directory.
		if [[ "$1" == peer/* ]]; then
			local f
			for f in "$tests/$d"/*; do
				if [ -f "$f" ] && [ -x "$f" ]; then
					pack "$d/${f##*/}"
				fi
			done
		fi
	}
	while read -r suite name tmo prog args; do
		[ -x "$tests/$prog" ] || die "$suite:$name: $tests/$prog not built"
		pack "$prog"
		for a in $args; do
			if [[ "$a" == */* ]] && [ -f "$tests/$a" ] &&
			   [ -x "$tests/$a" ]; then
				pack "$a"
			fi
		done
	done < "$work/tests.list"
} > "$work/spec"

"$gen" "$work/spec" | gzip -6 > "$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out: $(wc -l < "$work/tests.list") tests, $(du -k "$out" | cut -f1) KiB"
