#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test kernel with the test initramfs under QEMU (TCG), then judge
# the run from the results channel, not from the console:
#
#   - QEMU must end by itself (the guest reboots, -no-reboot ends QEMU)
#     before the hard timeout;
#   - the results channel must carry a complete TAP stream, closed by
#     init's end marker, with a result for every test in its plan;
#   - second line of defence, the console must show no kernel warning,
#     BUG, oops or panic.
#
# Prints the guest's TAP, a line "N retried[: SUITE:NAME...]" (upstream
# tests that passed only on their second try), then a closing line
# "N passed, N failed, N skipped" counting every subtest (problems with the
# run count as failed).
# Exits non-zero on any failure, missing result or broken run.
#
# Usage: boot.sh ARCH KERNEL INITRD OUTDIR [KERNEL_ARGS...]
# Environment: TIMEOUT (seconds, default 600), QUIET=1 (console to the log
# file only), QEMU_EXTRA (more QEMU options), QEMU_ACCEL (the -accel
# option, default tcg; e.g. tcg,thread=single: QEMU takes the first -accel
# that works, so QEMU_EXTRA cannot change it).

set -euo pipefail

die() { echo "boot: error: $*" >&2; exit 2; }

accel=${QEMU_ACCEL:-tcg}

[ "$#" -ge 4 ] || die "usage: $0 ARCH KERNEL INITRD OUTDIR [KERNEL_ARGS...]"
arch=$1 kernel=$2 initrd=$3 outdir=$4
shift 4
timeout_s=${TIMEOUT:-600}
quiet=${QUIET:-0}

[ -f "$kernel" ] || die "no kernel image $kernel (make kernel first)"
[ -f "$initrd" ] || die "no initramfs $initrd (make initramfs first)"
mkdir -p "$outdir"
console="$outdir/console.log"
results="$outdir/results.tap"
rm -f "$console" "$results"

# Both: reboot (not halt) ends QEMU; any warning or oops panics, and a
# panic reboots at once, i.e. ends QEMU too. gfpu_test.accel tells the
# tests what runs them (compare: kernel/README.md, "Known limits").
args="panic=-1 panic_on_warn=1 oops=panic gfpu_test.accel=tcg"
case "$arch" in
x86_64)
	# tsc_early_khz: without it PIT calibration under TCG fails about
	# half the time, and then every KVM selftest aborts (NOTES.md).
	# force_emulation_prefix: the selftests reach KVM's XSETBV emulation
	# with the KVM_FEP prefix, since TCG runs a plain guest XSETBV itself.
	args="console=ttyS0 $args tsc_early_khz=2000000 gfpu_test.results=ttyS1"
	args="$args kvm.force_emulation_prefix=1"
	qemu=(qemu-system-x86_64 -accel "$accel" -cpu max -smp 2,sockets=2 -m 2G
	      -serial stdio -serial "file:$results")
	;;
arm64)
	# One PL011 only: results over a virtio-serial port (vport0p1).
	args="console=ttyAMA0 $args gfpu_test.results=vport0p1"
	qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3
	      -cpu max -accel "$accel" -smp 2 -m 2G -serial stdio
	      -chardev "file,id=results,path=$results"
	      -device virtio-serial-device
	      -device virtserialport,chardev=results,name=gfpu.results)
	;;
riscv64)
	# The hypervisor extension and V (VLEN 256) for host and guest;
	# OpenSBI from QEMU's -bios default. One 16550: results over a
	# virtio-serial port (vport0p1), as on arm64.
	args="console=ttyS0 earlycon $args gfpu_test.results=vport0p1"
	qemu=(qemu-system-riscv64 -M virt -cpu rv64,h=true,v=true,vlen=256
	      -accel "$accel" -smp 2 -m 2G -bios default -serial stdio
	      -chardev "file,id=results,path=$results"
	      -device virtio-serial-device
	      -device virtserialport,chardev=results,name=gfpu.results)
	;;
*)
	die "ARCH=$arch: only x86_64, arm64 and riscv64"
	;;
esac
[ "$#" -gt 0 ] && args="$args $*"

qemu+=(-nodefaults -display none -monitor none -no-reboot
       -kernel "$kernel" -initrd "$initrd" -append "$args")
# shellcheck disable=SC2206 # QEMU_EXTRA is split on purpose
[ -n "${QEMU_EXTRA:-}" ] && qemu+=($QEMU_EXTRA)

echo "boot: ${qemu[*]}"
echo "boot: timeout ${timeout_s}s, console log $console"
start=$(date +%s)
set +e
if [ "$quiet" = 1 ]; then
	timeout -k 10 "$timeout_s" "${qemu[@]}" < /dev/null > "$console" 2>&1
	qemu_rc=$?
else
	timeout -k 10 "$timeout_s" "${qemu[@]}" < /dev/null 2>&1 | tee "$console"
	qemu_rc=${PIPESTATUS[0]}
fi
set -e
secs=$(($(date +%s) - start))
echo "boot: QEMU exit status $qemu_rc after ${secs}s"

# Judge. Problems with the run itself count as failures.
problems=()
case "$qemu_rc" in
0) ;;
124|137) problems+=("QEMU killed after the ${timeout_s}s timeout") ;;
*) problems+=("QEMU exit status $qemu_rc") ;;
esac

crash=$(grep -E 'Kernel panic|WARNING:|BUG:|Oops|Unable to handle kernel|Internal error:|Call [Tt]race:' "$console" || true)
if [ -n "$crash" ]; then
	problems+=("the console shows a kernel warning, BUG, oops or panic")
	[ "$quiet" = 1 ] && echo "$crash" | head -n 40 | sed 's/^/boot: console: /'
fi

[ -f "$results" ] || : > "$results"
tr -d '\r' < "$results" > "$results.tmp" && mv "$results.tmp" "$results"
grep -qx '# gfpu-test-end' "$results" ||
	problems+=("the results channel was not closed by init (guest died or hung?)")

# The guest's TAP, then the count: every subtest of a program (its own
# TAP, nested before the program's result line) counts; a program without
# subtests counts as one. A failed program whose subtests all passed counts
# one failure more, and so does each subtest missing from its plan.
cat "$results"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$results" | head -n 1)
read -r top passed failed skipped < <(awk '
	function reset() { np = nf = ns = nplan = 0 }
	BEGIN { reset() }
	/^    1\.\.[0-9]+/ { nplan = substr($1, 4) + 0; next }
	/^    ok [0-9]+/ { if (/# SKIP/) ns++; else np++; next }
	/^    not ok [0-9]+/ { nf++; next }
	/^(not )?ok [0-9]+/ {
		top++
		bad = /^not ok/
		if (np + nf + ns == 0) {
			if (bad) f++; else if (/# SKIP/) s++; else p++
		} else {
			missing = nplan - (np + nf + ns)
			if (missing > 0) nf += missing
			if (bad && nf == 0) nf = 1
			p += np; f += nf; s += ns
		}
		reset()
	}
	END { print top + 0, p + 0, f + 0, s + 0 }' "$results")
retried=$(sed -n 's/^# retried: //p' "$results" | tr '\n' ' ')
nretried=$(grep -c '^# retried: ' "$results" || true)
if [ -z "$plan" ]; then
	problems+=("no TAP plan in the results")
elif [ "$top" -lt "$plan" ]; then
	missing=$((plan - top))
	echo "# boot: $missing of $plan tests have no result, counted as failed"
	failed=$((failed + missing))
fi
# Each problem with the run itself counts as one more failure.
for p in "${problems[@]}"; do
	echo "# boot: FAIL: $p"
done
failed=$((failed + ${#problems[@]}))
[ "$quiet" = 1 ] && [ "${#problems[@]}" -gt 0 ] && tail -n 60 "$console" | sed 's/^/boot: console: /'
echo "# boot: $arch, QEMU ran ${secs}s, $top tests"
# Retries are never silent: a count line (with the tests' names) right
# before the summary.
echo "$nretried retried${retried:+: ${retried% }}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
