#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build gfpu into the unpacked 6.12 tree, in place:
#   1. virt/gfpu -> the project root (a relative symlink), and
#      include/gfpu -> virt/gfpu/include/gfpu (the public headers);
#   2. the Kconfig "source" lines and the virt/Makefile line (only once the
#      project root has a Kconfig);
#   3. the instrumentation, kernel/patches/6.12-count/*.patch (counting
#      only: FP register transfers at the primitives, as KVM stats), then
#      the hook patches kernel/patches/6.12/*.patch, each in name order.
#
# With --baseline, the same in a second tree, .cache/base/linux-source-6.12,
# but with only the instrumentation of step 3: unmodified 6.12 KVM, with
# only the test-only module (GFPU_KFPU_TORTURE) reachable through the
# inserts, so that the baseline kernel runs the same selftests and counts
# its transfers the same way.
#
# Idempotent. A stamp next to the tree records a hash of everything that
# decides the edits (the series, the insert rules, whether the inserts are
# on). When that hash changes, the tree is unpacked again from the tarball
# and the edits are redone, so a changed or shortened series never stacks on
# an old one. Files the old and new edits touched get a fresh mtime so that
# Kbuild recompiles them even where the pristine file is older than the
# objects.
#
# Usage: scripts/jury-rig.sh [--baseline]   (prints the tree on the last line)

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=integrate.sh
. "$top/scripts/integrate.sh"

series_dir="$top/kernel/patches/6.12"
count_dir="$top/kernel/patches/6.12-count"

t0=$(date +%s)
step() { printf '[jury-rig %4ds] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }
die() { echo "jury-rig: error: $*" >&2; exit 1; }

baseline=0
if [ "${1:-}" = "--baseline" ]; then
	baseline=1
	export KERNEL_SRC=${KERNEL_SRC:-$top/.cache/base/linux-source-6.12}
fi

src=$("$top/scripts/kernel-source.sh" | tail -n 1)
stamp="$src.jury-rigged"

# Everything applied in step 3: the instrumentation, then (not for the
# baseline) the hook series.
shopt -s nullglob
hooks=()
[ "$baseline" -eq 1 ] || hooks=("$series_dir"/*.patch)
patches=("$count_dir"/*.patch "${hooks[@]}")
shopt -u nullglob

inserts=0
if [ -f "$top/Kconfig" ]; then
	inserts=1
else
	step "no $top/Kconfig yet: skipping the Kconfig/Makefile inserts"
fi

# Everything that decides what the edited tree looks like.
want=$( {
	echo "inserts=$inserts baseline=$baseline"
	cat "$top/scripts/integrate.sh"
	for p in "${patches[@]}"; do
		echo "patch $(basename "$p")"
		cat "$p"
	done
} | sha256sum | cut -d' ' -f1)

have=""
old_files=""
if [ -f "$stamp" ]; then
	have=$(head -n 1 "$stamp")
	old_files=$(tail -n +2 "$stamp")
fi

if [ "$have" = "$want" ] && [ -L "$src/virt/gfpu" ] && [ -L "$src/include/gfpu" ]; then
	step "up to date (${#patches[@]} patches, inserts=$inserts): $src"
	echo "$src"
	exit 0
fi

if [ -n "$have" ]; then
	step "edits changed: unpacking a pristine tree"
	rm -f "$stamp"
	src=$("$top/scripts/kernel-source.sh" --force | tail -n 1)
fi

# 1. The symlink. Relative, so that the checkout can move.
rel=$(realpath --relative-to="$src/virt" "$top")
ln -sfn "$rel" "$src/virt/gfpu"
[ -f "$src/virt/gfpu/scripts/jury-rig.sh" ] || die "virt/gfpu does not reach $top"
step "virt/gfpu -> $rel"
# The public headers, where KVM's own headers include them from
# (<gfpu/gfpu.h> in asm/kvm_host.h, which the whole kernel may include).
ln -sfn ../virt/gfpu/include/gfpu "$src/include/gfpu"
[ -f "$src/include/gfpu/gfpu.h" ] || die "include/gfpu does not reach $top/include/gfpu"
step "include/gfpu -> virt/gfpu/include/gfpu"

# 2. The inserts.
new_files=""
if [ "$inserts" -eq 1 ]; then
	gfpu_insert "$src" || die "inserts failed (is this a 6.12 tree?)"
	new_files=$(gfpu_insert_files)
	step "inserted: $(echo "$new_files" | tr '\n' ' ')"
fi

# 3. The instrumentation, then the series.
for p in "${patches[@]}"; do
	step "patch -p1 < ${p#"$top"/}"
	if ! patch -p1 -s -N -d "$src" < "$p"; then
		# A stamp that matches nothing: the next run unpacks afresh.
		echo failed > "$stamp"
		die "${p#"$top"/} does not apply to $(basename "$src"); the tree is left as it is and is unpacked again on the next run"
	fi
done
if [ "$baseline" -eq 1 ]; then
	step "baseline: hook patches not applied"
elif [ "${#hooks[@]}" -eq 0 ]; then
	step "patch series empty: nothing to apply"
fi
new_files=$(printf '%s\n%s\n' "$new_files" "$(gfpu_patch_files "${patches[@]}")")

# Make Kbuild see every file the old or the new edits touched.
printf '%s\n%s\n' "$old_files" "$new_files" | sort -u | while read -r f; do
	if [ -n "$f" ] && [ -e "$src/$f" ]; then
		touch "$src/$f"
	fi
done

printf '%s\n%s\n' "$want" "$new_files" | sed '/^$/d' > "$stamp"
step "done"
echo "$src"
