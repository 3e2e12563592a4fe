/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu riscv: register ids for gfpu_get_state()/gfpu_set_state(), shared
 * by the backend and KVM's glue.
 */
#ifndef _GFPU_GFPU_RISCV_H
#define _GFPU_GFPU_RISCV_H

/*
 * Register ids: the KVM glue translates KVM_REG_RISCV_FP_D and
 * KVM_REG_RISCV_VECTOR ids to these.
 */
enum gfpu_riscv_reg_class {
	GFPU_RISCV_F,		/* f0-f31, 8 bytes; vCPUs with D */
	GFPU_RISCV_FCSR,	/* 4 bytes; vCPUs with F or D */
	GFPU_RISCV_VCSR,	/* GFPU_RISCV_VCSR_*, 8 bytes; vCPUs with V */
	GFPU_RISCV_VREG,	/* v0-v31, vlenb bytes; vCPUs with V */
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

#define GFPU_RISCV_REG(cls, n)	(((u64)(cls) << 8) | (n))
#define GFPU_RISCV_REG_CLASS(id) ((id) >> 8)
#define GFPU_RISCV_REG_NUM(id)	((id) & 0xff)

#endif /* _GFPU_GFPU_RISCV_H */
