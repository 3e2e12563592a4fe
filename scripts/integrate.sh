# SPDX-License-Identifier: GPL-2.0
#
# Sourced, not run: the edits that hook virt/gfpu into a Linux 6.12 tree,
# shared by jury-rig.sh (which applies them) and create-patch.sh (which
# prints them as a patch).
#
# 6.12 has no virt/Kconfig: virt/kvm/Kconfig only holds hidden helper
# symbols and is sourced outside any menu. The option therefore goes into
# each supported architecture's KVM Kconfig, inside the Virtualization menu
# next to "config KVM". The objects hang off virt/Makefile, which the
# top-level Kbuild already descends into.

gfpu_kconfig_line='source "virt/gfpu/Kconfig"'
gfpu_makefile_line='obj-y += gfpu/'
gfpu_kconfig_files=(arch/x86/kvm/Kconfig arch/arm64/kvm/Kconfig arch/riscv/kvm/Kconfig)
gfpu_makefile_file=virt/Makefile
gfpu_menu_end='endif # VIRTUALIZATION'

# gfpu_insert TREE: add the Kconfig source lines and the Makefile line.
# Idempotent. Returns non-zero if an anchor is missing.
gfpu_insert() {
	local tree=$1 f

	for f in "${gfpu_kconfig_files[@]}"; do
		grep -qxF "$gfpu_kconfig_line" "$tree/$f" && continue
		if ! grep -qxF "$gfpu_menu_end" "$tree/$f"; then
			echo "integrate: no '$gfpu_menu_end' in $f" >&2
			return 1
		fi
		sed -i "s|^$gfpu_menu_end\$|$gfpu_kconfig_line\n\n&|" "$tree/$f"
	done
	f=$gfpu_makefile_file
	if [ ! -f "$tree/$f" ]; then
		echo "integrate: $f missing" >&2
		return 1
	fi
	grep -qxF "$gfpu_makefile_line" "$tree/$f" ||
		printf '%s\n' "$gfpu_makefile_line" >> "$tree/$f"
}

# gfpu_insert_files: the files gfpu_insert edits, one a line.
gfpu_insert_files() {
	printf '%s\n' "${gfpu_kconfig_files[@]}" "$gfpu_makefile_file"
}

# gfpu_patch_files PATCH...: the files the patches touch, one a line.
gfpu_patch_files() {
	[ "$#" -eq 0 ] && return 0
	sed -n '/^+++ \/dev\/null/d; s|^+++ [^/]*/\([^[:space:]]*\).*|\1|p' "$@" |
		sort -u
}
