#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Where a KVM_RUN's instructions go, framework against unmodified 6.12
# (x86_64 or arm64, VHE): boot each kernel with the compare scenarios
# (make compare's list) under QEMU's -icount, log every translated block
# executed in KVM's, gfpu's and the host FPU code's text (-d
# in_asm,exec,nochain with -dfilter), and print the instructions per
# KVM_RUN of each function that differs.  A developer's tool, not a
# test: a few minutes a boot.
#
# Usage: [ARCH=x86_64|arm64] [POLICY=...] scripts/profile-run.sh [TOP]
#   TOP: functions to print (40); POLICY: the framework's gfpu.policy
#   (its default when unset).
# Profiles the kernels make compare measures (the framework's built with
# GFPU_DEBUG=n); build them first:
#   make -C kernel kernel initramfs ARCH=... FRAMEWORK=y GFPU_DEBUG=n \
#        LIST=build/compare/compare.list     (and FRAMEWORK=n)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=${ARCH:-x86_64}
out=$top/build/profile/$arch
mkdir -p "$out"
n=${1:-40}

kobj() {
	if [ "$1" = y ]; then echo "$top/.cache/build/$arch-fw-nodebug"
	else echo "$top/.cache/base/build/$arch-base-nodebug"; fi
}

# The objects whose text is profiled.
case $arch in
x86_64) objs="arch/x86/kvm/built-in.a virt/gfpu/built-in.a arch/x86/kernel/fpu/built-in.a" ;;
arm64) objs="arch/arm64/kvm/built-in.a virt/gfpu/built-in.a arch/arm64/kernel/fpsimd.o" ;;
*) echo "profile-run: ARCH=$arch: x86_64 or arm64" >&2; exit 2 ;;
esac

# -dfilter ranges: the largest cluster of each component's text symbols.
ranges() {
	python3 - "$1" "$objs" <<'PY'
import subprocess, sys
ko, objs = sys.argv[1], sys.argv[2].split()
syms = {}
etext = None
for l in open(ko + '/System.map'):
    a, t, name = l.split()[:3]
    if name == '_etext':
        etext = int(a, 16)
    if t in 'tT':
        syms.setdefault(name, int(a, 16))
out = []
for lib in objs:
    try:
        nm = subprocess.run(['nm', '--defined-only', ko + '/' + lib],
                            capture_output=True, text=True).stdout
    except OSError:
        continue
    # Static functions too: an out-of-line helper before the first
    # global one would fall outside the range.
    addrs = sorted({syms[s.split()[2]] for s in nm.splitlines()
                    if len(s.split()) == 3 and s.split()[1] in 'tT'
                    and s.split()[2] in syms
                    and syms[s.split()[2]] < etext})
    if not addrs:
        continue
    clusters, cur = [], [addrs[0]]
    for a in addrs[1:]:
        if a - cur[-1] > 0x10000:
            clusters.append(cur)
            cur = []
        cur.append(a)
    clusters.append(cur)
    c = max(clusters, key=len)
    out.append('0x%x..0x%x' % (c[0], c[-1] + 0x1000))
print(','.join(out))
PY
}

profile() {
	local fw=$1 ko fifo
	ko=$(kobj "$fw")
	fifo=$out/exec-$fw.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	# PC, executions, instructions in the block (from its translation).
	awk '
	/^Trace/ { split($0, f, /[][\/]/); c[f[3]]++; next }
	/^IN:/ { intb = 1; start = ""; next }
	intb && /^0x/ { a = substr($1, 3, 16); if (start == "") start = a
			if (!(start in seen)) n[start]++; next }
	intb && /^$/ { if (start != "") seen[start] = 1; intb = 0; next }
	END { for (k in c) print k, c[k], n[k] + 0 }' < "$fifo" > "$out/blocks-$fw.txt" &
	QEMU_EXTRA="-icount shift=0,sleep=off -d in_asm,exec,nochain -dfilter $(ranges "$ko") -D $fifo" \
		make --no-print-directory -C "$top/kernel" boot ARCH="$arch" \
		FRAMEWORK="$fw" GFPU_DEBUG=n POLICY="$([ "$fw" = y ] && echo "${POLICY:-}")" \
		LIST="$top/build/compare/compare.list" \
		KERNEL_ARGS="$([ "$arch" = x86_64 ] && echo tsc=reliable)" QUIET=1 TIMEOUT=1800 > "$out/boot-$fw.log" 2>&1
	wait
	rm -f "$fifo"
	echo "[profile] FRAMEWORK=$fw: $(grep -E '^[0-9]+ passed' "$out/boot-$fw.log" | tail -n 1)"
}

[ -f "$top/build/compare/compare.list" ] ||
	printf 'gfpu  compare  1200  gfpu/bench/compare\n' > "$top/build/compare/compare.list"
profile y
profile n

python3 - "$(kobj y)" "$(kobj n)" "$out" "$n" <<'PY'
import bisect, collections, sys
kfw, kbase, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def per_function(ko, blocks):
    syms = sorted((int(l.split()[0], 16), l.split()[2])
                  for l in open(ko + '/System.map') if l.split()[1] in 'tTwW')
    addrs = [a for a, _ in syms]
    insns, entries = collections.Counter(), collections.Counter()
    for l in open(blocks):
        pc, e, k = l.split()
        i = bisect.bisect_right(addrs, int(pc, 16)) - 1
        insns[syms[i][1]] += int(e) * int(k)
        if addrs[i] == int(pc, 16):
            entries[syms[i][1]] += int(e)
    return insns, entries

fw, fwx = per_function(kfw, out + '/blocks-y.txt')
base, basex = per_function(kbase, out + '/blocks-n.txt')
# KVM_RUNs: the calls of the ioctl's arch handler.
runs_fw = fwx['kvm_arch_vcpu_ioctl_run'] or 1
runs_base = basex['kvm_arch_vcpu_ioctl_run'] or 1
print('KVM_RUNs: framework %d, 6.12 %d' % (runs_fw, runs_base))
rows = []
for f in set(fw) | set(base):
    a, b = fw[f] / runs_fw, base[f] / runs_base
    if abs(a - b) >= 0.5:
        rows.append((a - b, f, a, b))
rows.sort(key=lambda r: -abs(r[0]))
print('%-40s %10s %10s %10s' % ('function', 'framework', '6.12', 'diff'))
for d, f, a, b in rows[:n]:
    print('%-40s %10.1f %10.1f %+10.1f' % (f, a, b, d))
print('total in the profiled text: framework %.1f, 6.12 %.1f instructions per KVM_RUN'
      % (sum(fw.values()) / runs_fw, sum(base.values()) / runs_base))
PY
