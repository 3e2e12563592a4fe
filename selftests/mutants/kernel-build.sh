#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run one kernel build with a mutant applied (make -C kernel ... MUTANT=name).
#
#   kernel-build.sh NAME ARCH SRC -- COMMAND...
#
# The framework sources Kbuild reads (Kbuild, Kconfig, gfpu_build.c,
# core/, arch/, include/, selftests/kernel/) are copied, mtimes kept, to
# .cache/mutant/NAME/, the mutant is applied there, and SRC/virt/gfpu (the
# jury-rig symlink to the checkout) points at that copy while COMMAND
# runs.  The link is put back on any exit, failure and signals included,
# and a link a killed run left behind is repaired first.  Only the
# framework's objects rebuild: Kbuild passes -DGFPU_KERNEL_MUTANT=NAME to
# them, so the command line changes both ways and Kbuild recompiles them
# here and again in the next unmutated build.  Kernel builds must not run
# concurrently on one source tree (kernel/README.md: flock).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
die() { echo "mutant: error: $*" >&2; exit 1; }

[ $# -ge 5 ] && [ "$4" = "--" ] || die "usage: $0 NAME ARCH SRC -- COMMAND..."
name=$1 karch=$2 src=$3
shift 4
mfile="$here/$name.mutant"
[ -f "$mfile" ] || die "no mutant '$name' (selftests/mutants/$name.mutant)"

archs=$(perl "$here/apply.pl" --field arch "$mfile")
file=$(perl "$here/apply.pl" --field file "$mfile")
case $karch in
x86_64 | x86) want=x86 ;;
arm64) want=arm64 ;;
riscv64 | riscv) want=riscv ;;
*) die "ARCH=$karch" ;;
esac
case " $archs " in
*" $want "*) ;;
*) die "mutant '$name' breaks $archs, not $karch" ;;
esac
case $file in
selftests/model/*) die "mutant '$name' edits the model's simulator ($file): model only" ;;
esac

link="$src/virt/gfpu"
[ -L "$link" ] || die "$link is not the jury-rig symlink (run make -C kernel jury-rig)"
good=$(realpath --relative-to="$src/virt" "$top")
# A run killed with SIGKILL may have left the link on a mutant.
if [ "$(readlink "$link")" != "$good" ]; then
	echo "mutant: $link pointed at $(readlink "$link"): restored" >&2
	ln -sfn "$good" "$link"
fi

dir="$top/.cache/mutant/$name"
rm -rf "$dir"
mkdir -p "$dir/selftests"
# Every top-level source file too (gfpu_build.c): a source missing from
# the copy leaves its stale object in place, unmutated, with no error.
cp -a "$top/Kbuild" "$top/Kconfig" "$top"/*.c "$top/core" "$top/arch" \
	"$top/include" "$dir/"
cp -a "$top/selftests/kernel" "$dir/selftests/"
perl "$here/apply.pl" "$mfile" "$dir" ||
	die "mutant '$name' does not apply: stale (fix or drop selftests/mutants/$name.mutant)"
echo "[kernel] mutant $name: $file edited in .cache/mutant/$name, virt/gfpu -> it for this build"

restore() { ln -sfn "$good" "$link"; }
trap restore EXIT
trap 'restore; exit 130' INT
trap 'restore; exit 143' TERM HUP
ln -sfn "$dir" "$link"
"$@"
