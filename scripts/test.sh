#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's test command: every tier, each to the end, one summary.
#   tier 1: the userspace model (make check-model)
#   tier 2: the kernels under QEMU (make check-kernel), when GFPU_TIERS
#           includes "kernel" (the default)
# Ends with "N retried" (upstream peer tests that passed only on their
# second try) and "N passed, N failed, N skipped", every subtest counted.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tiers=${GFPU_TIERS:-model kernel}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0
fail=0
skip=0
retried=0
rc=0

tally() {
	local file=$1 line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$file" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - $2: no summary line (it did not finish)"
		fail=$((fail + 1))
		return
	fi
	set -- $line
	pass=$((pass + $1))
	fail=$((fail + $3))
	case "${5:-}" in [0-9]*) skip=$((skip + $5)) ;; esac
	# Tests that passed only on a second try (check-kernel's count).
	line=$(grep -E '^[0-9]+ retried$' "$file" | tail -n 1)
	[ -n "$line" ] && retried=$((retried + ${line%% *}))
	return 0
}

# Everything a fresh Debian 12 machine lacks (compilers, QEMU, the 6.12
# source package, ...); a no-op when present.
"$top/scripts/deps.sh" || exit 1

for tier in $tiers; do
	start=$(date +%s)
	echo "# tier $tier"
	case $tier in
	model) make --no-print-directory check-model 2>&1 | tee "$log/$tier" ;;
	kernel) make --no-print-directory check-kernel 2>&1 | tee "$log/$tier" ;;
	*) echo "unknown tier $tier"; exit 2 ;;
	esac
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	tally "$log/$tier" "$tier"
	echo "# tier $tier: $(( $(date +%s) - start ))s"
done
[ "$fail" -eq 0 ] || rc=1
# Never silent: how many passes needed a second try (listed above by
# check-kernel as "retried in ...").
echo "$retried retried"
echo "$pass passed, $fail failed, $skip skipped"
exit "$rc"
