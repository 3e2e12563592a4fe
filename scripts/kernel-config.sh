#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the .config of one test kernel and check that it says what the
# fragments asked for.
#
#   allnoconfig, seeded (KCONFIG_ALLCONFIG) with the fragments merged by
#   scripts/kconfig/merge_config.sh -m -s, then olddefconfig. Every value a
#   fragment sets must survive into .config (an option whose dependencies
#   are missing silently drops out otherwise); any that does not fails the
#   script, naming the option.
#
# Usage: kernel-config.sh SRC OBJ FRAGMENT...
# Environment: KARCH (kernel ARCH), CROSS_COMPILE, KCC (compiler command,
# e.g. "ccache gcc"), as kernel/Makefile passes them to Kbuild.

set -euo pipefail

die() { echo "kernel-config: error: $*" >&2; exit 1; }

[ "$#" -ge 3 ] || die "usage: $0 SRC OBJ FRAGMENT..."
src=$(realpath "$1") obj=$(realpath -m "$2")
shift 2
: "${KARCH:?}" "${KCC:?}"
cross=${CROSS_COMPILE:-}

frags=()
for f in "$@"; do
	[ -r "$f" ] || die "fragment $f not found"
	frags+=("$(realpath "$f")")
done
set -- "${frags[@]}"

# CONFIG_GFPU only exists once the project root has a Kconfig that
# jury-rig.sh has hooked in.
if grep -qx 'CONFIG_GFPU=y' "$@" &&
   ! grep -rqs 'virt/gfpu/Kconfig' "$src/arch/x86/kvm/Kconfig" "$src/arch/arm64/kvm/Kconfig"; then
	die "CONFIG_GFPU=y requested, but the tree has no 'source \"virt/gfpu/Kconfig\"'.
  The framework's Kconfig is not at the project root yet (or jury-rig.sh has
  not run since it appeared). Build the baseline with FRAMEWORK=n meanwhile."
fi

mkdir -p "$obj"
merged="$obj/gfpu-fragments.config"
kmake=(make -s -C "$src" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$cross" CC="$KCC")

# merge_config.sh leaves temporary files in the current directory.
(cd "$obj" && KCONFIG_CONFIG="$merged" \
	"$src/scripts/kconfig/merge_config.sh" -m -s "$@" >/dev/null) ||
	die "merge_config.sh failed (a fragment redefines a value?)"

"${kmake[@]}" KCONFIG_ALLCONFIG="$merged" allnoconfig
"${kmake[@]}" olddefconfig

# Check every requested value, e.g. "CONFIG_KVM=y" or
# "# CONFIG_GFPU is not set" (the latter also holds when the symbol is
# absent from .config because its dependencies are off).
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$obj/.config" && continue
		sym=${line%%=*}
		;;
	"# CONFIG_"*" is not set")
		sym=${line#"# "}
		sym=${sym%% *}
		grep -q "^$sym=" "$obj/.config" || continue
		;;
	*)
		continue
		;;
	esac
	got=$(grep -E "^$sym=|^# $sym is not set" "$obj/.config" || echo "(absent: dependencies not met or no such option)")
	echo "kernel-config: requested '$line', got '$got'" >&2
	bad=1
done < "$merged"
[ "$bad" -eq 0 ] || die "$obj/.config does not match the fragments: $*"

echo "kernel-config: $obj/.config: $(grep -c '=y$' "$obj/.config") options =y, all fragment values present"
