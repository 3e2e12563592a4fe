#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Print gfpu as an ordinary patch series against Linux 6.12, on stdout:
#
#   1/N  the framework, as new files under virt/gfpu/ (the tracked files of
#        core/ arch/ Documentation/ and Kconfig Kbuild Makefile) and its
#        public headers under include/gfpu/;
#   2/N  the Kconfig and virt/Makefile lines that hook it in;
#   3/N... the hook patches, kernel/patches/6.12/*.patch, as they are.
#
# For review, or to apply by hand:  create-patch.sh | patch -p1 -d linux
# The insert patch is made against the pristine files of the 6.12 tarball.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=integrate.sh
. "$top/scripts/integrate.sh"

tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
die() { echo "create-patch: error: $*" >&2; exit 1; }

cd "$top"
shopt -s nullglob
hooks=(kernel/patches/6.12/*.patch)
shopt -u nullglob

mapfile -t files < <(git ls-files -- core arch include Documentation Kconfig Kbuild Makefile)
total=$((1 + 1 + ${#hooks[@]}))
version=$(git describe --always --dirty 2>/dev/null || echo unknown)

header() {
	printf 'From: gfpu create-patch.sh (%s)\n' "$version"
	printf 'Subject: [PATCH %d/%d] %s\n\n' "$1" "$total" "$2"
}

# 1. The framework as new files.
header 1 "virt/gfpu: add the guest FPU switching framework"
echo "${#files[@]} files from gfpu $version."
echo
echo "---"
for f in "${files[@]}"; do
	# The public headers go where asm/kvm_host.h includes them from
	# (<gfpu/gfpu.h>): include/gfpu/, which jury-rig.sh links instead.
	dir=virt/gfpu/
	case "$f" in include/gfpu/*) dir= ;; esac
	# git diff --no-index exits 1 when the files differ, which they do.
	rc=0
	git diff --no-index --no-color --src-prefix="a/$dir" \
		--dst-prefix="b/$dir" -- /dev/null "$f" || rc=$?
	[ "$rc" -le 1 ] || die "git diff failed on $f"
done
echo

# 2. The inserts, against pristine copies from the tarball.
[ -r "$tarball" ] || die "$tarball not found (scripts/deps.sh installs it)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t edited < <(gfpu_insert_files)
tar -xf "$tarball" -C "$work" --strip-components=1 \
	"${edited[@]/#/linux-source-6.12/}"
mkdir -p "$work/b"
for f in "${edited[@]}"; do
	mkdir -p "$work/b/$(dirname "$f")"
	cp "$work/$f" "$work/b/$f"
done
gfpu_insert "$work/b" || die "inserts do not apply to the 6.12 tarball"
header 2 "virt/gfpu: hook into Kconfig and the virt/ Makefile"
echo "---"
for f in "${edited[@]}"; do
	rc=0
	diff -u --label "a/$f" --label "b/$f" "$work/$f" "$work/b/$f" || rc=$?
	[ "$rc" -le 1 ] || die "diff failed on $f"
done
echo

# 3. The hook patches.
n=3
for p in "${hooks[@]}"; do
	subject=$(sed -n 's/^Subject: *\(\[PATCH[^]]*\] *\)\{0,1\}//p' "$p" | head -n 1)
	header "$n" "${subject:-$(basename "$p" .patch)}"
	# Drop the patch's own mail header; keep its description and diff.
	sed '1,/^$/{/^From \|^From:\|^Date:\|^Subject:/d}' "$p"
	echo
	n=$((n + 1))
done
