/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu arm64 backend: per-vCPU state.
 */
#ifndef _GFPU_ARCH_ARM64_H
#define _GFPU_ARCH_ARM64_H

#include <gfpu/gfpu_arm64.h>

/* Architectural limits of SVE, in bytes of one Z register. */
#define GFPU_SVE_VL_MIN		16
#define GFPU_SVE_VL_MAX		256

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
