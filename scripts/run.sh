#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job: install what is missing, build gfpu into a 6.12 kernel for
# x86_64 and arm64, boot each under QEMU, run the tests there, print one
# summary per arch (tests, and the framework's own counters), then compare
# the designs with unmodified 6.12 on those arches (make compare: the
# table and plots in build/compare/).
#
# Usage: scripts/run.sh [ARCH...]     (default: x86_64 arm64)
# Environment: COMPARE=0 skips the comparison; ROUNDS (make compare's).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
arches=${*:-x86_64 arm64}
t0=$(date +%s)
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
rc=0

"$top/scripts/deps.sh" || exit 1
for arch in $arches; do
	t1=$(date +%s)
	echo "[run] $arch: build, boot, test (progress below)"
	make --no-print-directory -C kernel qemu ARCH="$arch" FRAMEWORK=y \
		QUIET=1 2>&1 | tee "$log/$arch"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	echo "[run] $arch: $(( $(date +%s) - t1 ))s"
done

echo
echo "== summary ($(( $(date +%s) - t0 ))s) =="
for arch in $arches; do
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/$arch" | tail -n 1)
	echo "$arch: ${line:-no result (see above)}"
	grep -E '^# +gfpu stats:' "$log/$arch" | sed 's/^# */    /' | head -n 8
done

if [ "${COMPARE:-1}" = 1 ]; then
	echo
	echo "[run] compare: $arches (make compare)"
	"$top/scripts/compare.sh" $arches || rc=1
	[ -f "$top/build/compare/compare.md" ] && cat "$top/build/compare/compare.md"
fi
exit "$rc"
