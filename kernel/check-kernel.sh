#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, boot and test every kernel variant CI checks, each to the end,
# then print one line per variant, the retries, and the total:
#   N passed, N failed, N skipped
# A variant that does not get as far as a summary (build failure, ...)
# counts as one failure. Exits non-zero if anything failed.
#
# Usage: check-kernel.sh ARCH:FRAMEWORK[:POLICY[:MODE]]...
#   e.g. x86_64:y x86_64:y:loadput,realloc-cpuid arm64:n arm64:y:lazy-host:nvhe
# A POLICY boots the same kernel with gfpu.policy=POLICY (no rebuild).
# A MODE (arm64: vhe, nvhe) boots it with KVM in that mode
# (kvm-arm.mode=nvhe for nvhe) and tells the guest's runner to fail the
# variant unless KVM reports that mode (gfpu_test.kvm_mode=MODE). Without
# one the runner still checks arm64's default, VHE.
# Each variant's line names what it proved: the policy the framework
# latched and, on arm64, the mode KVM runs in (from the guest's TAP).
# Extra make variables (QUIET=1, KERNEL_ARGS=..., ...) come from MAKEFLAGS
# when run from kernel/Makefile, or from the environment as MAKE_ARGS.

set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

t0=$(date +%s)
pass=0 fail=0 skip=0 retried=0
lines=()
retries=()
# Each variant's name, arch and FRAMEWORK, and the uAPI fuzzer's answers
# (fuzz_uapi's "fuzz: ARCH calls A-B: ..." lines) in $log/fuzz.N.
names=() archs=() fws=()
i=0
soaked=" "
for v in "$@"; do
	IFS=: read -r arch fw policy mode <<< "$v"
	name="$arch FRAMEWORK=$fw${policy:+ POLICY=$policy}${mode:+ MODE=$mode}"
	case "$mode" in
	'') margs="" ;;
	nvhe|protected) margs="kvm-arm.mode=$mode gfpu_test.kvm_mode=$mode" ;;
	*) margs="gfpu_test.kvm_mode=$mode" ;;
	esac
	# The short soak (gfpu/common/soak.c) in the first framework
	# variant of each arch; it skips in the others. On x86_64 that boot
	# runs QEMU with one TCG thread for both vCPUs: under multi-threaded
	# TCG minutes of the soak reset the machine (kernel/README.md,
	# "Known limits under QEMU TCG"), with one thread 30 minutes passed.
	accel=${QEMU_ACCEL:-}
	if [ "$fw" = y ] && [[ "$soaked" != *" $arch "* ]]; then
		soaked="$soaked$arch "
		margs="${margs:+$margs }gfpu_test.soak=1"
		[ "$arch" = x86_64 ] && accel=tcg,thread=single
	fi
	kargs="${KERNEL_ARGS:-}${margs:+ $margs}"
	t1=$(date +%s)
	echo "[check-kernel] $name"
	# shellcheck disable=SC2086 # MAKE_ARGS is split on purpose
	QEMU_ACCEL=$accel make --no-print-directory -C "$here" qemu ARCH="$arch" \
		FRAMEWORK="$fw" POLICY="$policy" KERNEL_ARGS="${kargs# }" \
		${MAKE_ARGS:-} 2>&1 | tee "$log/out"
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
	# Retries, and what the variant proved it ran.
	r=$(grep -E '^[0-9]+ retried' "$log/out" | tail -n 1)
	n=${r%% *}
	[ -n "$n" ] || n=0
	what="$what, $n retried"
	if [ "$n" -gt 0 ]; then
		retried=$((retried + n))
		retries+=("[check-kernel] retried in $name: ${r#*: }")
	fi
	proof=$(sed -n 's/^# gfpu policy: \([^(]*\) (.*/policy \1/p' "$log/out" | tail -n 1)
	km=$(sed -n 's/^# kvm mode: \([a-z]*\) .*/KVM \1/p' "$log/out" | tail -n 1)
	proof="${proof% }${proof:+${km:+, }}$km"
	proof="$proof${accel:+${proof:+, }QEMU -accel $accel}"
	lines+=("[check-kernel] $name: $what${proof:+ [$proof]} (${secs}s)")
	names[i]=$name archs[i]=$arch fws[i]=$fw
	"$here/fuzz-ref.sh" extract "$arch" "$log/out" > "$log/fuzz.$i"
	i=$((i + 1))
done

# The first call two fuzz logs answer differently: "call N: 6.12 X,
# framework Y" (a letter a call, see fuzz_uapi.c), or where one stops.
fuzz_first_diff() {
	paste -d '\n' <(sed 's/^[^:]*: //' "$1" | tr -d '\n'; echo) \
		<(sed 's/^[^:]*: //' "$2" | tr -d '\n'; echo) |
	awk 'NR == 1 { a = $0 } NR == 2 { b = $0 }
	     END { for (k = 1; k <= length(a) || k <= length(b); k++)
			if (substr(a, k, 1) != substr(b, k, 1)) {
				printf "call %d: 6.12 %s, framework %s\n", k - 1,
				       substr(a, k, 1) == "" ? "(end)" : substr(a, k, 1),
				       substr(b, k, 1) == "" ? "(end)" : substr(b, k, 1)
				exit
			}
	     }'
}

# The fuzzer's answers on each framework kernel against unmodified 6.12's
# on the same arch, which is the reference: one check a framework variant.
# The reference is a FRAMEWORK=n boot of this run where there is one, else
# 6.12's answers as recorded in qemu/fuzz-6.12-ARCH.txt (fuzz-ref.sh; CI
# boots no baseline). Each FRAMEWORK=n boot is itself checked against the
# recorded answers, which keeps them honest. A recorded file whose inputs
# changed since is a failure. The first line that differs names the calls.
for i in "${!names[@]}"; do
	[ -s "$log/fuzz.$i" ] || continue
	arch=${archs[i]}
	ref='' what=''
	if [ "${fws[i]}" = y ]; then
		for j in "${!names[@]}"; do
			if [ "${fws[j]}" = n ] && [ "${archs[j]}" = "$arch" ] &&
			   [ -s "$log/fuzz.$j" ]; then
				ref=$log/fuzz.$j what="6.12"
			fi
		done
	fi
	if [ -z "$ref" ]; then
		why=$("$here/fuzz-ref.sh" check "$arch")
		case $? in
		0)
			"$here/fuzz-ref.sh" answers "$arch" > "$log/fuzz.ref"
			ref=$log/fuzz.ref what="6.12 as recorded"
			;;
		1)
			skip=$((skip + 1))
			lines+=("[check-kernel] fuzz: ${names[i]}: SKIP, no FRAMEWORK=n boot of $arch in this run and $why")
			continue
			;;
		*)
			fail=$((fail + 1))
			lines+=("[check-kernel] fuzz: ${names[i]}: cannot compare with 6.12's recorded answers: $why")
			continue
			;;
		esac
	fi
	if cmp -s "$ref" "$log/fuzz.$i"; then
		pass=$((pass + 1))
		lines+=("[check-kernel] fuzz: ${names[i]}: the same answers as $what ($(wc -l < "$ref") lines of 100 calls)")
	else
		fail=$((fail + 1))
		d=$(fuzz_first_diff "$ref" "$log/fuzz.$i")
		if [ "${fws[i]}" = y ]; then
			lines+=("[check-kernel] fuzz: ${names[i]}: differs from $what: $d")
		else
			lines+=("[check-kernel] fuzz: ${names[i]}: differs from the recorded answers ($("$here/fuzz-ref.sh" file "$arch")): ${d/framework/this boot}")
		fi
	fi
done

echo
printf '%s\n' "${lines[@]}"
[ "${#retries[@]}" -gt 0 ] && printf '%s\n' "${retries[@]}"
echo "[check-kernel] total $(($(date +%s) - t0))s"
echo "$retried retried"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
