/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu arm64: the backend's part of the per-vCPU record, and the register
 * ids for gfpu_get_state()/gfpu_set_state(), shared by the backend and KVM.
 */
#ifndef _GFPU_GFPU_ARM64_H
#define _GFPU_GFPU_ARM64_H

#include <linux/types.h>

/**
 * struct gfpu_arch_vcpu - arm64 backend state of one vCPU
 * @host_sve: lazy policy: the host task's TIF_SVE when its state was left
 *	live at load, so the trap saves it at the right size.
 * @bound_cpu: keep-bound policy: the CPU the guest's state was last bound
 *	to inside this KVM_RUN and may still be held by, or -1.  Reset by
 *	every put that does not leave it bound, every flush and run enter.
 *
 * The vCPU's maximum SVE vector length (vcpu->arch.sve_max_vl, guest SVE
 * state is always kept at it) and whether it is final
 * (kvm_arm_vcpu_sve_finalized()) are KVM's; the backend reads them there.
 */
struct gfpu_arch_vcpu {
	bool host_sve;
	int bound_cpu;
};

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

#endif /* _GFPU_GFPU_ARM64_H */
