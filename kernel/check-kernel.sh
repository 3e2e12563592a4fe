#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and test every kernel variant CI checks, each to the end,
# then print one line per variant and the total:
#   N passed, N failed, N skipped
# A variant that does not get as far as a summary (build failure, ...)
# counts as one failure. Exits non-zero if anything failed.
#
# Usage: check-kernel.sh ARCH:FRAMEWORK[:POLICY]...
#   e.g. x86_64:y x86_64:y:loadput,realloc-cpuid arm64:n
# A POLICY boots the same kernel with gfpu.policy=POLICY (no rebuild).
# Extra make variables (POLICY=..., QUIET=1, ...) come from MAKEFLAGS when
# run from kernel/Makefile, or from the environment as MAKE_ARGS.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

t0=$(date +%s)
pass=0 fail=0 skip=0
lines=()
for v in "$@"; do
	IFS=: read -r arch fw policy <<< "$v"
	name="$arch FRAMEWORK=$fw${policy:+ POLICY=$policy}"
	t1=$(date +%s)
	echo "[check-kernel] $name"
	# shellcheck disable=SC2086 # MAKE_ARGS is split on purpose
	make --no-print-directory -C "$here" qemu ARCH="$arch" FRAMEWORK="$fw" \
		${policy:+POLICY="$policy"} ${MAKE_ARGS:-} 2>&1 | tee "$log/out"
	rc=${PIPESTATUS[0]}
	secs=$(($(date +%s) - t1))
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log/out" | tail -n 1)
	if [ -z "$summary" ]; then
		summary="0 passed, 1 failed, 0 skipped"
		what="did not reach the tests (exit status $rc)"
	else
		what=$summary
	fi
	read -r p _ f _ s _ <<< "${summary//,/}"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail=$((fail + 1))	# failed without saying which test
		what="$what, but exit status $rc"
	fi
	lines+=("[check-kernel] $name: $what (${secs}s)")
done

echo
printf '%s\n' "${lines[@]}"
echo "[check-kernel] total $(($(date +%s) - t0))s"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
