/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu arm64 backend: per-vCPU state and register ids.
 */
#ifndef _GFPU_ARCH_ARM64_H
#define _GFPU_ARCH_ARM64_H

/* Architectural limits of SVE, in bytes of one Z register. */
#define GFPU_SVE_VL_MIN		16
#define GFPU_SVE_VL_MAX		256

/*
 * Register ids for gfpu_get_state()/gfpu_set_state(): the KVM glue
 * translates KVM_REG_ARM_CORE V registers and KVM_REG_ARM64_SVE_* ids
 * (slice 0) to these.
 */
enum gfpu_arm64_reg_class {
	GFPU_ARM64_V,		/* V0-V31, 16 bytes; FPSIMD-only vCPUs */
	GFPU_ARM64_FPSR,	/* 4 bytes */
	GFPU_ARM64_FPCR,	/* 4 bytes */
	GFPU_ARM64_Z,		/* Z0-Z31, VL bytes; SVE vCPUs */
	GFPU_ARM64_P,		/* P0-P15, VL / 8 bytes; SVE vCPUs */
	GFPU_ARM64_FFR,		/* VL / 8 bytes; SVE vCPUs */
	GFPU_ARM64_NR_CLASSES,
};

#define GFPU_ARM64_REG(cls, n)	(((u64)(cls) << 8) | (n))
#define GFPU_ARM64_REG_CLASS(id) ((id) >> 8)
#define GFPU_ARM64_REG_NUM(id)	((id) & 0xff)

/**
 * struct gfpu_arch_vcpu - arm64 backend state of one vCPU
 * @sve_vl: the vCPU's maximum SVE vector length in bytes, 0 without SVE;
 *	guest SVE state is always kept at this length.
 * @finalized: the vCPU has run, so @sve_vl can no longer change.
 * @host_sve: lazy policy: the host task's TIF_SVE when its state was left
 *	live at load, so the trap saves it at the right size.
 */
struct gfpu_arch_vcpu {
	u32 sve_vl;
	bool finalized;
	bool host_sve;
};

#endif /* _GFPU_ARCH_ARM64_H */
