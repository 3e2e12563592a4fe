/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu riscv backend: per-vCPU state.
 */
#ifndef _GFPU_ARCH_RISCV_H
#define _GFPU_ARCH_RISCV_H

#include <gfpu/gfpu_riscv.h>

/* The two register units, each with its own sstatus field (FS, VS). */
enum gfpu_riscv_unit {
	GFPU_RISCV_FP,
	GFPU_RISCV_V,
	GFPU_RISCV_NR_UNITS,
};

/* Values of sstatus.FS and sstatus.VS, as the privileged spec has them. */
#define GFPU_RISCV_OFF		0
#define GFPU_RISCV_INITIAL	1
#define GFPU_RISCV_CLEAN	2
#define GFPU_RISCV_DIRTY	3

/**
 * struct gfpu_arch_vcpu - riscv backend state of one vCPU
 * @live: the guest's unit is in this CPU's registers (GUEST owner).
 * @armed: lazy policy: the guest's FS and VS are held Off in its
 *	sstatus, so its first FP or vector instruction traps to the host.
 * @held: the FS and VS values the guest had when the trap was armed.
 * @v_bound: the guest's live vector state is bound to the vCPU task
 *	(its thread.vstate and the VS of its user status), so kernel-mode
 *	vector saves it into the vCPU.
 * @host_saved: the host task's FP state was saved to restore the guest's;
 *	it goes back into the registers before returning to userspace.
 */
struct gfpu_arch_vcpu {
	bool live[GFPU_RISCV_NR_UNITS];
	bool armed;
	u8 held[GFPU_RISCV_NR_UNITS];
	bool v_bound;
	bool host_saved;
};

#endif /* _GFPU_ARCH_RISCV_H */
