#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unmodified 6.12's answers to the uAPI fuzzer (fuzz_uapi), recorded from
# a FRAMEWORK=n boot into qemu/fuzz-6.12-ARCH.txt, so that a run without a
# baseline boot (CI's check-kernel) still compares every framework
# variant's answers with 6.12's, call by call. Any run that does boot a
# baseline (make check-baseline, make check-riscv) compares that boot's
# answers with the recorded ones as well, so the file cannot drift from
# what 6.12 answers.
#
# The file starts with a hash of what decides the calls: the arch's
# fuzzer, the library that prints its answers, and the test list's
# fuzz_uapi line (seed, count). check-kernel.sh refuses a file whose hash
# is not today's: a stale reference is a failure, not a comparison.
#
#   fuzz-ref.sh file ARCH         the reference's path
#   fuzz-ref.sh inputs ARCH       the hash of today's inputs
#   fuzz-ref.sh check ARCH        exit 0 if the reference can be used; 1
#                                 (none recorded) or 2 (stale, empty),
#                                 saying why
#   fuzz-ref.sh answers ARCH      the recorded answers, one line of 100
#   fuzz-ref.sh extract ARCH LOG  the answers in a boot's output
#   fuzz-ref.sh record ARCH LOG   write the reference from a FRAMEWORK=n
#                                 boot's output (kernel/Makefile's fuzz-ref)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)

die() { echo "fuzz-ref: error: $*" >&2; exit 1; }

[ "$#" -ge 2 ] || die "usage: $0 file|inputs|check|answers|extract|record ARCH [LOG]"
cmd=$1 arch=$2
case $arch in
x86_64) dir=x86 qarch=x86_64 ;;
arm64) dir=arm64 qarch=aarch64 ;;
riscv64) dir=riscv qarch=riscv64 ;;
*) die "ARCH=$arch: x86_64, arm64 or riscv64" ;;
esac
ref=$here/qemu/fuzz-6.12-$arch.txt
list=$here/qemu/tests-$arch.list

inputs() {
	{
		cat "$top/selftests/kvm/$dir/fuzz_uapi.c" \
		    "$top/selftests/kvm/lib/gfpu_util.c"
		awk '$1 == "gfpu" && $2 == "fuzz_uapi"' "$list"
	} | sha256sum | cut -d' ' -f1
}

# The answer lines of a boot's output.
answers_of() {
	sed -n 's/.*# fuzz: \([a-z0-9_]* calls .*\)/\1/p' "$1"
}

case $cmd in
file)
	echo "$ref"
	;;
inputs)
	inputs
	;;
check)
	[ -f "$ref" ] || { echo "no recorded answers (${ref#"$top"/})"; exit 1; }
	have=$(sed -n 's/^# inputs: //p' "$ref")
	if [ "$have" != "$(inputs)" ]; then
		echo "stale: the fuzzer or its list line changed since ${ref#"$top"/} was recorded (make -C kernel fuzz-ref ARCH=$arch)"
		exit 2
	fi
	grep -qv '^#' "$ref" || { echo "no answers in ${ref#"$top"/}"; exit 2; }
	;;
answers)
	grep -v '^#' "$ref"
	;;
extract)
	[ "$#" -eq 3 ] || die "usage: $0 extract ARCH LOG"
	answers_of "$3"
	;;
record)
	[ "$#" -eq 3 ] || die "usage: $0 record ARCH LOG"
	n=$(answers_of "$3" | wc -l)
	[ "$n" -gt 0 ] || die "no fuzz answers in $3"
	{
		echo "# SPDX-License-Identifier: GPL-2.0"
		echo "# Unmodified 6.12's answers to fuzz_uapi on $arch, one letter a"
		echo "# call, as recorded by kernel/fuzz-ref.sh from a FRAMEWORK=n boot"
		echo "# (make -C kernel fuzz-ref ARCH=$arch)."
		echo "# inputs: $(inputs)"
		echo "# $(qemu-system-$qarch --version | head -n 1)"
		answers_of "$3"
	} > "$ref.tmp"
	mv "$ref.tmp" "$ref"
	echo "fuzz-ref: $n lines into ${ref#"$top"/}"
	;;
*)
	die "unknown command $cmd"
	;;
esac
