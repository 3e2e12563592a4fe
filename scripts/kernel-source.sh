#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Unpack the Debian linux-source-6.12 tarball into .cache/linux-source-6.12.
#
# Idempotent: a stamp file records the tarball the tree came from, so a
# second call is a no-op and a new tarball (a Debian update) re-unpacks.
# With --force the tree is removed and unpacked again (used by jury-rig.sh
# to get back a pristine tree when the patch series changes).
#
# Prints the source directory on the last line of stdout.

set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tarball=${KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
src=${KERNEL_SRC:-$top/.cache/linux-source-6.12}
stamp="$src.unpacked"
want_major=6
want_minor=12

t0=$(date +%s)
step() { printf '[source %4ds] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }
die() { echo "kernel-source: error: $*" >&2; exit 1; }

force=0
[ "${1:-}" = "--force" ] && force=1

[ -r "$tarball" ] || die "$tarball not found (run scripts/deps.sh)"
id="$(basename "$tarball") $(stat -c '%s %Y' "$tarball")"

if [ "$force" -eq 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$id" ] &&
   [ -f "$src/Makefile" ]; then
	step "already unpacked: $src"
else
	rm -f "$stamp"
	if [ -e "$src" ]; then
		step "removing old tree $src"
		rm -rf "$src"
	fi
	mkdir -p "$src.tmp"
	step "unpacking $tarball"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	echo "$id" > "$stamp"
	step "unpacked into $src"
fi

# The source must be a 6.12.y kernel: the hook patches target it.
ver=$(sed -n 's/^VERSION = //p' "$src/Makefile")
pl=$(sed -n 's/^PATCHLEVEL = //p' "$src/Makefile")
sl=$(sed -n 's/^SUBLEVEL = //p' "$src/Makefile")
[ "$ver" = "$want_major" ] && [ "$pl" = "$want_minor" ] ||
	die "$src is Linux $ver.$pl.$sl, expected $want_major.$want_minor.x"
step "Linux $ver.$pl.$sl"
echo "$src"
