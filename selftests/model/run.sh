#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the model for every arch in parallel, print their
# TAP in order and one closing line: N passed, N failed.
# Then replay the kernel traces kept in traces/ (recorded by make
# compare's framework boots; see Documentation/gfpu/model.rst): the
# model must still count what those kernels counted.
set -euo pipefail
out=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
pids=()
for arch in x86 arm64 riscv; do
	"$out/model-$arch" "$@" >"$tmp/$arch.tap" 2>&1 &
	pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do
	wait "$pid" || rc=1
done
pass=0
fail=0
for arch in x86 arm64 riscv; do
	cat "$tmp/$arch.tap"
	p=$(grep -c '^ok ' "$tmp/$arch.tap" || true)
	f=$(grep -c '^not ok ' "$tmp/$arch.tap" || true)
	pass=$((pass + p))
	fail=$((fail + f))
	# A binary that died before its summary is a failure too.
	grep -q "^# $arch: .* passed, .* failed" "$tmp/$arch.tap" || {
		echo "not ok - $arch: model did not finish"
		fail=$((fail + 1))
	}
done
here=$(cd "$(dirname "$0")" && pwd)
for t in "$here"/traces/*.replay.gz; do
	[ -e "$t" ] || continue
	arch=$(basename "$t" | cut -d- -f1)
	zcat "$t" > "$tmp/replay"
	"$out/model-$arch" -r "$tmp/replay" > "$tmp/replay.tap" 2>&1 || rc=1
	sed "s|^# gfpu model, arch $arch: replay of .*|# gfpu model, arch $arch: replay of traces/$(basename "$t")|" \
		"$tmp/replay.tap"
	p=$(grep -c '^ok ' "$tmp/replay.tap" || true)
	f=$(grep -c '^not ok ' "$tmp/replay.tap" || true)
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "# model: $(( $(date +%s) - start ))s wall"
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
