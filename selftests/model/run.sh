#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the model for every arch in parallel, print their
# TAP in order and one closing line: N passed, N failed.
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
echo "# model: $(( $(date +%s) - start ))s wall"
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ] && [ "$fail" -eq 0 ]
