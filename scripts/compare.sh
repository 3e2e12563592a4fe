#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compare the designs in the running kernels: boot each design of each
# arch, and unmodified 6.12, ROUNDS times, alternated, run the scenario
# program (selftests/kvm/bench/compare.c) in each boot, and write
# build/compare/compare.csv, compare.md and the SVG plots.
#
# Usage: scripts/compare.sh [ARCH...]    (default: x86_64 arm64 riscv64)
# Environment: ROUNDS (default 3).
#
# Transfers come from the instrumentation's fpu_saves, fpu_restores and
# fpu_bytes stats (kernel/patches/6.12-count: every transfer the FP
# save/restore primitives made while a vCPU was loaded, counted the same
# way in both kernels), where the arch counts them (x86, arm64); else
# from the framework's own gfpu_* stats, which the baseline lacks (its
# transfer columns are then empty and only its time counts).
# The first round's framework boots also trace each one-vCPU scenario
# once (compare.replay=1) and the model replays the trace
# (selftests/model, -r): it must count what the kernel counted, and the
# oracle on the same trace is that run's lower bound.
# A boot whose raw result is newer than its kernel image, the scenario
# program and this script is not made again (delete build/compare/raw to
# redo them all).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/compare
raw=$out/raw
rounds=${ROUNDS:-3}
arches=${*:-x86_64 arm64 riscv64}
mkdir -p "$raw"
t0=$(date +%s)

# ARCH: DESIGN=FRAMEWORK:POLICY ...
designs() {
	case $1 in
	x86_64) echo "run=y: loadput=y:loadput entry=y:entry baseline=n:" ;;
	arm64) echo "eager=y: lazy-host=y:lazy-host keep-bound=y:keep-bound entry=y:entry baseline=n:" ;;
	riscv64) echo "eager=y: riscv-lazy=y:riscv-lazy baseline=n:" ;;
	esac
}

list=$out/compare.list
printf 'gfpu  compare  1200  gfpu/bench/compare\n' > "$list"

# Build each kernel once, before any boot.
for arch in $arches; do
	for fw in y n; do
		make --no-print-directory -C "$top/kernel" kernel initramfs \
			ARCH="$arch" FRAMEWORK=$fw GFPU_DEBUG=n LIST="$list" QUIET=1 \
			> "$raw/build-$arch-$fw.log" 2>&1 ||
			{ echo "[compare] $arch FRAMEWORK=$fw: build failed (see $raw/build-$arch-$fw.log)"; exit 1; }
	done
done

# The kernels as production builds (GFPU_DEBUG=n): no lockdep, and the
# framework without its per-hook checks (CONFIG_GFPU_DEBUG off; the
# baseline has CONFIG_X86_DEBUG_FPU off too), in their own build
# directories, apart from the test kernels.
kobj() {
	if [ "$2" = y ]; then echo "$top/.cache/build/$1-fw-nodebug"
	else echo "$top/.cache/base/build/$1-base-nodebug"; fi
}
# Time is QEMU's instruction count: with -icount the guest's clocks
# advance by a fixed step per instruction executed (sleep=off: idle time
# jumps to the next timer), so a batch's time is proportional to the
# instructions executed meanwhile, the same to about 1% from run to run.
# Wall-clock time under TCG on a loaded 2-core host spread 0.48-2.16x
# between rounds of one design (and the x86 guest's clocksource,
# refined-jiffies once the TSC sync check fails with two sockets, ticks
# in 4 ms steps and loses ticks while TCG is busy).  What this does not
# see: an instruction is an instruction, so an XSAVE or an SVE save
# costs one and a trap or VM exit's hardware cost nothing (the transfer
# columns count those); and TCG then runs the vCPUs round robin on one
# thread, so a batch's time includes the other CPU's instructions
# (overcommit, migrate, the preempting threads).
qemu_extra="-icount shift=0,sleep=off"
# The guest's clock: tsc=reliable keeps the x86 guest on the TSC.
kargs() {
	case $1 in
	x86_64) echo "tsc=reliable" ;;
	esac
}
kimage() {
	case $1 in
	x86_64) echo arch/x86/boot/bzImage ;;
	arm64) echo arch/arm64/boot/Image ;;
	riscv64) echo arch/riscv/boot/Image ;;
	esac
}

boots=0
for r in $(seq 1 "$rounds"); do
	for arch in $arches; do
		read -r -a ds <<< "$(designs "$arch")"
		# Alternate: each round starts one design later.
		n=${#ds[@]}
		for k in $(seq 0 $((n - 1))); do
			d=${ds[$(( (k + r - 1) % n ))]}
			name=${d%%=*} spec=${d#*=}
			fw=${spec%%:*} policy=${spec#*:}
			f=$raw/$arch-$name-$r.txt
			ko=$(kobj "$arch" "$fw")
			if [ -s "$f" ] && [ "$f" -nt "$ko/$(kimage "$arch")" ] &&
			   [ "$f" -nt "$ko/gfpu-selftests/gfpu/bench/compare" ] &&
			   [ "$f" -nt "$0" ]; then
				echo "[compare] $arch $name round $r: kept"
				continue
			fi
			t1=$(date +%s)
			ka=$(kargs "$arch")
			[ "$r" = 1 ] && [ "$fw" = y ] && ka="$ka compare.replay=1"
			make --no-print-directory -C "$top/kernel" boot ARCH="$arch" \
				FRAMEWORK="$fw" GFPU_DEBUG=n POLICY="$policy" LIST="$list" \
				KERNEL_ARGS="$ka" QEMU_EXTRA="$qemu_extra" \
				QUIET=1 > "$f.log" 2>&1
			grep -o 'compare: scenario=.*' "$f.log" > "$f.tmp"
			grep -o 'compare: replay .*' "$f.log" > "${f%.txt}.replay"
			if [ "$(wc -l < "$f.tmp")" -lt 1 ]; then
				echo "[compare] $arch $name round $r: no results (see $f.log)"
				rm -f "$f.tmp"
				exit 1
			fi
			if ! grep -q '^[0-9]* passed, 0 failed' "$f.log"; then
				echo "[compare] $arch $name round $r: a test failed (see $f.log)"
				rm -f "$f.tmp"
				exit 1
			fi
			mv "$f.tmp" "$f"
			boots=$((boots + 1))
			cs=$(grep -o 'clocksource=[^ ]*' "$f.log" | head -n 1)
			echo "[compare] $arch $name round $r: $(wc -l < "$f") scenarios, ${cs:-clocksource=?} ($(( $(date +%s) - t1 ))s)"
		done
	done
done

# Every raw result line, prefixed with its boot (ARCH-DESIGN-ROUND).
rawlines() {
	for f in "$raw"/*-[0-9]*.txt; do
		sed "s/^/$(basename "$f" .txt) /" "$f"
	done
}

# The model's replay of each traced scenario: its counts against the
# kernel's, and the oracle for that run.
make --no-print-directory -C "$top/selftests/model" > "$raw/model-build.log" 2>&1 ||
	{ echo "[compare] the model does not build (see $raw/model-build.log)"; exit 1; }
march() {
	case $1 in x86_64) echo x86 ;; riscv64) echo riscv ;; *) echo "$1" ;; esac
}
oracle=$out/oracle.txt
: > "$oracle"
for arch in $arches; do
	read -r -a ds <<< "$(designs "$arch")"
	for d in "${ds[@]}"; do
		name=${d%%=*}
		rp=$raw/$arch-$name-1.replay
		[ -s "$rp" ] || continue
		"$top/selftests/model/out/model-$(march "$arch")" -r "$rp" \
			> "$raw/$arch-$name.model" 2>&1
		grep '^replay: ' "$raw/$arch-$name.model" | sed "s/^replay: /$arch $name /" >> "$oracle"
		grep '^not ok' "$raw/$arch-$name.model" | sed "s/^/[compare] $arch $name: /"
	done
done
# Scenarios interrupted at times of their own (async=1: a contender, a
# timer) are replayed and reported, but their traces cannot always say
# what the interruption did to the registers (bench/compare.c).
agree=$(grep -c ' async=0 agree=1 ' "$oracle")
replayed=$(grep -c ' async=0 ' "$oracle")
async_agree=$(grep -c ' async=1 agree=1 ' "$oracle")
async_replayed=$(grep -c ' async=1 ' "$oracle")

# One row per arch, scenario, design: medians over the rounds.
csv=$out/compare.csv
echo "arch,scenario,design,saves,restores,bytes,exits,ns_per_exit,oracle_saves,oracle_restores" > "$csv"
rawlines | awk -v oracle="$oracle" '
function kv(s, k,  i, a, n) {
	n = split(s, a, /[ =]/)
	for (i = 1; i < n; i++) if (a[i] == k) return a[i + 1]
	return ""
}
BEGIN {
	while ((getline l < oracle) > 0) {
		split(l, w, " "); o = kv(l, "oracle")
		if (o != "") { split(o, x, "/"); osv[w[1] SUBSEP kv(l, "scenario") SUBSEP w[2]] = x[1]; ors[w[1] SUBSEP kv(l, "scenario") SUBSEP w[2]] = x[2] }
	}
}
function median(list,  a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
		t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	split($1, p, "-"); arch = p[1]; round = p[length(p)]
	design = substr($1, length(arch) + 2, length($1) - length(arch) - length(round) - 2)
	sc = kv($0, "scenario"); key = arch SUBSEP sc SUBSEP design
	keys[key] = 1
	e = kv($0, "exits"); ns[key] = ns[key] " " kv($0, "ns") / e
	exits[key] = e
	sv[key] = sv[key] " " kv($0, "saves"); rs[key] = rs[key] " " kv($0, "restores")
	by[key] = by[key] " " kv($0, "bytes")
	psv[key] = psv[key] " " kv($0, "psaves"); prs[key] = prs[key] " " kv($0, "prestores")
	pby[key] = pby[key] " " kv($0, "pbytes")
}
END {
	for (k in keys) {
		split(k, q, SUBSEP)
		s = median(psv[k]); r = median(prs[k]); b = median(pby[k])
		if (s + r <= 0) { s = median(sv[k]); r = median(rs[k]); b = median(by[k]) }
		if (s < 0) { s = ""; r = ""; b = "" }
		printf "%s,%s,%s,%s,%s,%s,%s,%.0f,%s,%s\n", q[1], q[2], q[3], s, r, b, exits[k], median(ns[k]), osv[k], ors[k]
	}
}' | sort >> "$csv"

# Time per exit against the baseline, per round: median and spread.
ratios=$out/ratios.txt
rawlines | awk '
function kv(s, k,  i, a, n) {
	n = split(s, a, /[ =]/)
	for (i = 1; i < n; i++) if (a[i] == k) return a[i + 1]
	return ""
}
{
	split($1, p, "-"); arch = p[1]; round = p[length(p)]
	design = substr($1, length(arch) + 2, length($1) - length(arch) - length(round) - 2)
	sc = kv($0, "scenario")
	t[arch SUBSEP sc SUBSEP design SUBSEP round] = kv($0, "ns") / kv($0, "exits")
	d[arch SUBSEP design] = 1; s[arch SUBSEP sc] = 1; rr[round] = 1
}
END {
	for (as in s) for (ad in d) {
		split(as, x, SUBSEP); split(ad, y, SUBSEP)
		if (x[1] != y[1] || y[2] == "baseline") continue
		list = ""
		for (r in rr) {
			f = t[x[1] SUBSEP x[2] SUBSEP y[2] SUBSEP r]
			g = t[x[1] SUBSEP x[2] SUBSEP "baseline" SUBSEP r]
			if (f != "" && g > 0) list = list " " f / g
		}
		print x[1], x[2], y[2], list
	}
}' | sort > "$ratios"

md=$out/compare.md
{
	echo "# gfpu design comparison"
	echo
	echo "$(date -u +%Y-%m-%d), $rounds rounds, boots alternated. Time is QEMU's"
	echo "instruction count (-icount shift=0,sleep=off: the guest's clock moves"
	echo "a fixed step per instruction executed, on every CPU, so an XSAVE costs"
	echo "what an ADD does and a VM exit's hardware cost is not seen); icount"
	echo "ns/exit is the median over rounds, the ratio the framework's time over"
	echo "the baseline's in the same round, median [min, max]. Transfers are per"
	echo "batch (medians):"
	echo "on x86 and arm64 what the save/restore primitives moved while a vCPU"
	echo "was loaded, counted the same way on both kernels"
	echo "(kernel/patches/6.12-count); on riscv the framework's own stats (the"
	echo "baseline's are not counted there yet)."
	echo
	echo "The oracle (o.saves, o.restores) is the fewest transfers any design"
	echo "could have made on the FP uses of a traced run of the same scenario"
	echo "(the first round's, framework kernels): the model replays the trace,"
	echo "must count what the kernel counted, and runs the oracle on it. x/o"
	echo "is every transfer of the replay over the oracle's (below). Not replayed: overcommit"
	echo "(four vCPUs; the model has one). model/kernel agreement: $agree of"
	echo "$replayed scenarios; and $async_agree of $async_replayed asynchronous ones (preempt_fp,"
	echo "preempt_nofp, preempt_kernel, kfpu, signal_fp: interrupted at times of their own, where"
	echo "the trace cannot always say what the interruption did to the registers)."
	echo
	echo "## Model replay"
	echo
	echo "Kernel and model: saves/restores/bytes/traps charged to the vCPU over"
	echo "the traced batch (the model's bytes differ on x86: its host also has"
	echo "AVX-512 and AMX). All: every transfer of the replay, by anyone (the"
	echo "host's reloads on the way back to userspace too), which is what the"
	echo "oracle bounds; x/o is all over the oracle."
	echo
	echo "| arch | design | scenario | kernel | model | agree | all | oracle | x/o |"
	echo "|---|---|---|---|---|---|---|---|---|"
	awk '{ a = $1; d = $2; sc = ""; k = ""; m = ""; o = ""; t = ""; g = "no"
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "scenario") sc = kv[2]; else if (kv[1] == "kernel") k = kv[2]
			else if (kv[1] == "model") m = kv[2]; else if (kv[1] == "oracle") o = kv[2]
			else if (kv[1] == "all") t = kv[2]
			else if ($i == "agree=1") g = "yes"; else if ($i == "async=1") sc = sc " (async)"
		}
		split(t, tt, "/"); split(o, oo, "/"); xo = "-"
		if (oo[1] + oo[2] > 0) xo = sprintf("%.1f", (tt[1] + tt[2]) / (oo[1] + oo[2]))
		print "| " a " | " d " | " sc " | " k " | " m " | " g " | " t " | " o " | " xo " |" }' "$oracle"
	for arch in $arches; do
		echo
		echo "## $arch"
		echo
		echo "| scenario | design | exits | saves | restores | bytes | o.saves | o.restores | x/o | icount ns/exit | ratio [min, max] |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|"
		grep "^$arch," "$csv" | while IFS=, read -r a sc d s r b e ns os or; do
			rt=$(awk -v a="$a" -v sc="$sc" -v d="$d" '$1 == a && $2 == sc && $3 == d {
				n = NF - 3; for (i = 4; i <= NF; i++) v[i - 3] = $i
				for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
				m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
				printf "%.2f [%.2f, %.2f]", m, v[1], v[n] }' "$ratios")
			xo=$(awk -v a="$a" -v sc="$sc" -v d="$d" '$1 == a && $2 == d {
				t = ""; o = ""; n = ""
				for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "scenario") n = kv[2]
					if (kv[1] == "all") t = kv[2]; if (kv[1] == "oracle") o = kv[2] }
				split(t, tt, "/"); split(o, oo, "/")
				if (n == sc && oo[1] + oo[2] > 0) printf "%.1f", (tt[1] + tt[2]) / (oo[1] + oo[2]) }' "$oracle")
			echo "| $sc | $d | $e | ${s:--} | ${r:--} | ${b:--} | ${os:--} | ${or:--} | ${xo:--} | $ns | ${rt:--} |"
		done
	done
} > "$md"

# Plots: transfers per exit, and the time ratio with its spread
# (gnuplot from Debian's gnuplot-nox, installed here when missing).
command -v gnuplot > /dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox > /dev/null 2>&1 ||
	echo "[compare] no gnuplot: no plots"
if command -v gnuplot > /dev/null; then
	for arch in $arches; do
		grep "^$arch," "$csv" | awk -F, '$4 != "" {
			print $2, $3, ($4 + $5) / $7, $9 == "" ? "?" : ($9 + $10) / $7 }' \
			> "$out/$arch-transfers.dat"
		awk -v a="$arch" '$1 == a {
			n = NF - 3; min = 1e9; max = 0; s = 0
			for (i = 4; i <= NF; i++) { s += $i; if ($i < min) min = $i; if ($i > max) max = $i }
			if (n) print $2 "/" $3, s / n, min, max }' "$ratios" > "$out/$arch-ratio.dat"
		gnuplot <<-GP 2> /dev/null
		set terminal svg size 1000,500
		set output "$out/$arch-transfers.svg"
		set title "$arch: transfers (saves + restores) per exit" noenhanced
		set style data histogram
		set style fill solid 0.6
		set xtics rotate by 90 right noenhanced
		set datafile missing "?"
		plot "$out/$arch-transfers.dat" using 3:xtic(stringcolumn(1)."/".stringcolumn(2)) title "design", \
			"" using 0:4 with points pt 7 ps 1 lc rgb "black" title "oracle"
		set output "$out/$arch-ratio.svg"
		set title "$arch: time per exit, framework / baseline (mean, min-max over rounds)" noenhanced
		set style data yerrorbars
		plot "$out/$arch-ratio.dat" using 0:2:3:4:xtic(1) notitle, 1 notitle
		GP
	done
fi

echo "model/kernel agreement: $agree of $replayed scenarios"
echo "model/kernel agreement, asynchronous scenarios: $async_agree of $async_replayed"
echo "[compare] $boots boots, $(( $(date +%s) - t0 ))s; $csv, $md"
