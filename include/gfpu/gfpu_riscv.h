/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu riscv: the backend's part of the per-vCPU record, and the register
 * ids for gfpu_get_state()/gfpu_set_state(), shared by the backend and KVM.
 */
#ifndef _GFPU_GFPU_RISCV_H
#define _GFPU_GFPU_RISCV_H

#include <linux/types.h>

/* The two register units, each with its own sstatus field (FS, VS). */
enum gfpu_riscv_unit {
	GFPU_RISCV_FP,
	GFPU_RISCV_V,
	GFPU_RISCV_NR_UNITS,
};

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

/*
 * Register ids: the KVM glue translates KVM_REG_RISCV_FP_D,
 * KVM_REG_RISCV_FP_F and KVM_REG_RISCV_VECTOR ids to these.
 */
enum gfpu_riscv_reg_class {
	GFPU_RISCV_F,		/* f0-f31, 8 bytes; vCPUs with D */
	GFPU_RISCV_FCSR,	/* 4 bytes; vCPUs with F or D */
	/*
	 * GFPU_RISCV_VCSR_*, 8 bytes; vCPUs with V. Numbers past them
	 * (KVM's datap) name no register, refused after the size as in
	 * 6.12.
	 */
	GFPU_RISCV_VCSR,
	GFPU_RISCV_VREG,	/* v0-v31, vlenb bytes; vCPUs with V */
	/*
	 * Words 0-31 (f0-f31) and 32 (fcsr) of the F layout, 4 bytes;
	 * numbers past 32 as past the vector CSRs.
	 */
	GFPU_RISCV_F32,
	GFPU_RISCV_NR_CLASSES,
};

/* Register numbers of class GFPU_RISCV_VCSR, in KVM's uAPI order. */
enum gfpu_riscv_vcsr {
	GFPU_RISCV_VCSR_VSTART,
	GFPU_RISCV_VCSR_VL,
	GFPU_RISCV_VCSR_VTYPE,
	GFPU_RISCV_VCSR_VCSR,
	GFPU_RISCV_VCSR_VLENB,	/* read-only: a write must match */
	GFPU_RISCV_NR_VCSRS,
};

/**
 * gfpu_riscv_trap_armed() - the lazy policy holds the guest's FS/VS Off
 * @a: the backend part of the vCPU's record.
 *
 * For KVM's exit handler: while this is true, an illegal instruction exit
 * from the guest may be the guest's first FP or vector instruction, and
 * goes to gfpu_lazy_trap() instead of the guest.
 *
 * Context: the vCPU's thread, interrupts disabled after a VM exit.
 */
static inline bool gfpu_riscv_trap_armed(const struct gfpu_arch_vcpu *a)
{
	return a->armed;
}

#define GFPU_RISCV_REG(cls, n)	(((u64)(cls) << 8) | (n))
#define GFPU_RISCV_REG_CLASS(id) ((id) >> 8)
#define GFPU_RISCV_REG_NUM(id)	((id) & 0xff)

#endif /* _GFPU_GFPU_RISCV_H */
