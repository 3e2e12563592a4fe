#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Mutation testing of the userspace model (make check-mutants).
#
# For each selftests/mutants/<name>.mutant: copy core/, arch/, include/ and
# selftests/model/ to a scratch tree, apply the mutant there (apply.pl),
# build that arch's model binary and run every check `make check-model`
# runs for the arch, stopping at the first failure (-x).  A failure, a
# non-zero exit or a sanitizer report is "caught"; a clean run is
# "survived".  First the unmutated tree must pass for both arches, or a
# catch means nothing.
#
# Usage: selftests/mutants/run.sh [-j JOBS] [-k] [NAME...]
#   -j JOBS   parallel jobs (default 2, or $MUTANT_JOBS)
#   -k        keep the scratch trees and logs (their path is printed)
#   NAME      only these mutants (default: all)
# $MODEL_ARGS is passed to every model run, $MUTANT_TIMEOUT (seconds,
# default 600) bounds one.  Exit status: 0 when every mutant was caught or
# survived as its "survives:" line expects; 1 otherwise (a stale or broken
# mutant, an unexpected survivor, a failing unmutated model).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
jobs=${MUTANT_JOBS:-2}
keep=0
model_args=${MODEL_ARGS:-}
limit=${MUTANT_TIMEOUT:-600}

while getopts "j:k" opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	k) keep=1 ;;
	*) sed -n '/^# Usage/,/^# survived/p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

names=()
if [ $# -gt 0 ]; then
	for n in "$@"; do
		[ -f "$here/$n.mutant" ] || { echo "mutants: no $here/$n.mutant" >&2; exit 2; }
		names+=("$n")
	done
else
	for f in "$here"/*.mutant; do
		n=$(basename "$f" .mutant)
		names+=("$n")
	done
fi
[ ${#names[@]} -gt 0 ] || { echo "mutants: none in $here" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gfpu-mutants.XXXXXX")
if [ "$keep" -eq 0 ]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "# mutants: scratch trees and logs in $work"
fi
# Jobs still running when we are interrupted go with us.
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM

field() {
	perl "$here/apply.pl" --field "$1" "$here/$2.mutant"
}

# The tree the model builds from, as it is in the working tree now.
copy_tree() {
	mkdir -p "$1/selftests"
	cp -a "$top/core" "$top/arch" "$top/include" "$1/" &&
	cp -a "$top/selftests/model" "$1/selftests/" &&
	rm -rf "$1/selftests/model/out"
}

# Build and run the model of arch $2 in tree $1; log names in $3.
# Sets rc (0: it passed) and msg (the first failure, or empty).
model_run() {
	local t=$1 arch=$2 log=$3 why
	msg=""
	if ! make -s -C "$t/selftests/model" OUT=out "out/model-$arch" \
	     > "$log.build" 2>&1; then
		rc=-1
		msg=$(grep -m1 -E 'error|Error' "$log.build")
		return
	fi
	# shellcheck disable=SC2086
	timeout "$limit" "$t/selftests/model/out/model-$arch" -x $model_args \
		> "$log.run" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] && return
	msg=$(grep -m1 -E '^not ok |ERROR: AddressSanitizer|runtime error:' "$log.run")
	# "N - arch: check name: counts" -> "arch check name"
	msg=$(sed -E 's/^not ok [0-9]+ - ([a-z0-9]+): ([^:]*).*/\1 \2/' <<< "$msg")
	if [ "$rc" -eq 124 ]; then
		msg="timed out after ${limit}s"
	elif [ -z "$msg" ]; then
		msg="exit status $rc"
	fi
	why=$(grep -m1 -E '^#   (violation|scenario failed): ' "$log.run" |
	      sed -E 's/^#   (violation|scenario failed): //')
	[ -n "$why" ] && msg="$msg: $why"
}

# One job: $1 a mutant name or "-ARCH" for the unmutated baseline.
# Writes $work/<job>/result: "caught|survived|stale|broken|clean|failed WHY".
run_one() {
	run_job "$@"
	echo "# $1: $(cut -d' ' -f1 "$work/$1/result")"
}

run_job() {
	local job=$1 d="$work/$1" archs name out a
	mkdir -p "$d"
	if [ "${job#-}" != "$job" ]; then
		archs=${job#-}
		name=""
	else
		name=$job
		archs=$(field arch "$name") ||
			{ echo "broken bad mutant file" > "$d/result"; return; }
	fi
	copy_tree "$d/tree" ||
		{ echo "broken copying the tree failed" > "$d/result"; return; }
	if [ -n "$name" ] &&
	   ! out=$(perl "$here/apply.pl" "$here/$name.mutant" "$d/tree" 2>&1); then
		echo "stale ${out:-apply.pl failed}" > "$d/result"
		return
	fi
	# A mutant of the core names both arches: caught if either catches.
	for a in $archs; do
		model_run "$d/tree" "$a" "$d/$a"
		if [ "$rc" -eq -1 ]; then
			if [ -n "$name" ]; then
				echo "broken the $a model does not build: $msg" > "$d/result"
			else
				echo "failed the unmutated $a model does not build: $msg" > "$d/result"
			fi
			return
		fi
		if [ "$rc" -ne 0 ]; then
			if [ -n "$name" ]; then
				echo "caught $msg" > "$d/result"
			else
				echo "failed the unmutated $a model fails: $msg" > "$d/result"
			fi
			return
		fi
	done
	if [ -n "$name" ]; then
		echo "survived" > "$d/result"
	else
		echo "clean" > "$d/result"
	fi
}

start=$(date +%s)
all=(-x86 -arm64 -riscv "${names[@]}")
running=0
for job in "${all[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$job" &
	running=$((running + 1))
done
wait

rc=0
for arch in x86 arm64 riscv; do
	res=$(cat "$work/-$arch/result" 2>/dev/null || echo "failed no result")
	if [ "$res" != clean ]; then
		echo "not ok - ${res#failed }"
		echo "# every catch below means nothing until the unmutated model passes"
		rc=1
	fi
done

caught=0
total=0
survivors=()
for name in "${names[@]}"; do
	res=$(cat "$work/$name/result" 2>/dev/null || echo "broken no result")
	kind=${res%% *}
	why=${res#"$kind"}
	why=${why# }
	expect=$(field survives "$name" 2>/dev/null)
	case $kind in
	caught)
		total=$((total + 1))
		caught=$((caught + 1))
		echo "ok - $name caught: $why"
		[ -n "$expect" ] &&
			echo "# $name is caught now: drop its 'survives:' line"
		;;
	survived)
		total=$((total + 1))
		survivors+=("$name")
		if [ -n "$expect" ]; then
			echo "ok - $name survived, as expected # $expect"
		else
			echo "not ok - $name survived"
			rc=1
		fi
		;;
	*)
		echo "not ok - $name $kind: $why"
		rc=1
		;;
	esac
done

echo "# mutants: $(( $(date +%s) - start ))s wall, $jobs jobs"
for name in "${survivors[@]}"; do
	echo "# survivor $name ($(field arch "$name"), $(field file "$name")): $(field bug "$name")"
	expect=$(field survives "$name")
	echo "#   why: ${expect:-NOT EXPLAINED: a gap in the model, or an equivalent mutant to drop}"
done
pct=0
[ "$total" -gt 0 ] && pct=$((caught * 100 / total))
echo "mutants: $caught caught of $total ($pct%)"
exit "$rc"
