#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the kernel tier needs on a Debian 12 machine, and fetch a
# static arm64 busybox for the arm64 initramfs into .cache/.
#
# Idempotent: apt is skipped when every package is already installed, and
# "apt-get update" runs only when something must actually be fetched.
#
# Usage: scripts/deps.sh [--no-arm64-busybox]

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache="$top/.cache"

# What the kernel tier runs: the 6.12 source, a native and an arm64 cross
# toolchain (static libc for the test programs), the kernel build's host
# tools, QEMU, busybox for the x86 initramfs (the arm64 one is fetched
# below), patch for the hook series, ccache.
packages=(
	linux-source-6.12
	make gcc libc6-dev bc flex bison libelf-dev libssl-dev xz-utils
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
	qemu-system-x86 qemu-system-arm qemu-system-misc
	busybox-static patch ccache
)

t0=$(date +%s)
step() { printf '[deps %4ds] %s\n' "$(($(date +%s) - t0))" "$*"; }

with_busybox_arm64=1
[ "${1:-}" = "--no-arm64-busybox" ] && with_busybox_arm64=0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

apt_updated=0
apt_update() {
	[ "$apt_updated" -eq 1 ] && return 0
	step "apt-get update"
	$sudo apt-get update -qq
	apt_updated=1
}

installed() {
	dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed
}

# 1. Host packages
missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	step "all ${#packages[@]} packages present, apt skipped"
else
	step "installing: ${missing[*]}"
	# A fresh machine (or container) may have no package lists at all.
	if ! compgen -G '/var/lib/apt/lists/*_Packages' > /dev/null; then
		apt_update
	fi
	if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		step "not in the current package lists"
		apt_update
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
	step "installed ${#missing[@]} packages"
fi

# 2. Static arm64 busybox for the arm64 initramfs
bb="$cache/busybox-arm64/bin/busybox"
if [ "$with_busybox_arm64" -eq 1 ]; then
	if [ -x "$bb" ]; then
		step "arm64 busybox present: $bb"
	else
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			step "dpkg --add-architecture arm64"
			$sudo dpkg --add-architecture arm64
			apt_updated=0
		fi
		dl=$(mktemp -d)
		trap 'rm -rf "$dl"' EXIT
		# apt-get download writes as the _apt user where it can.
		chown _apt "$dl" 2>/dev/null || true
		step "apt-get download busybox-static:arm64"
		if ! (cd "$dl" && apt-get download -qq busybox-static:arm64) 2>/dev/null; then
			apt_update
			(cd "$dl" && apt-get download -qq busybox-static:arm64)
		fi
		rm -rf "$cache/busybox-arm64"
		mkdir -p "$cache/busybox-arm64"
		dpkg-deb -x "$dl"/busybox-static_*_arm64.deb "$cache/busybox-arm64"
		[ -x "$bb" ] || { echo "deps: $bb missing after extraction" >&2; exit 1; }
		step "arm64 busybox extracted: $bb"
	fi
fi

step "done"
