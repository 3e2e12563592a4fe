/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu riscv hardware layer: the only operations the backend may use to
 * touch registers, the guest's sstatus or the host's FP/vector tracking.
 * The kernel implements them on 6.12's arch/riscv (switch_to.h, vector.h,
 * KVM's vcpu_fp.c and vcpu_vector.c); the userspace model on a simulated
 * CPU.
 *
 * Primitives that move state return a &struct gfpu_xfer saying what they
 * moved (nothing, when nothing moved) and count nothing themselves: the
 * backend counts.
 */
#ifndef _GFPU_RISCV_HW_H
#define _GFPU_RISCV_HW_H

struct gfpu_vcpu;
struct gfpu_xfer;

/* The vCPU has the unit (FP: the F or D extension; V: the V extension). */
bool gfpu_riscv_hw_has(struct gfpu_vcpu *v, enum gfpu_riscv_unit unit);

/* The guest's FS or VS in its sstatus as KVM keeps it (GFPU_RISCV_*). */
unsigned int gfpu_riscv_hw_status(struct gfpu_vcpu *v,
				  enum gfpu_riscv_unit unit);
void gfpu_riscv_hw_set_status(struct gfpu_vcpu *v, enum gfpu_riscv_unit unit,
			      unsigned int st);

/*
 * Save the host task's FP and vector state through the host's own
 * tracking (fstate_save(), riscv_v_vstate_save(): only what is Dirty) and
 * release the vector registers (riscv_v_vstate_set_restore(): restored
 * when the task returns to userspace).
 */
struct gfpu_xfer gfpu_riscv_hw_host_save(struct gfpu_vcpu *v);

/* Put the host task's FP state back in the registers (fstate_restore()). */
struct gfpu_xfer gfpu_riscv_hw_host_fp_restore(struct gfpu_vcpu *v);

/* Save the guest's unit from the registers to the vCPU, unconditionally. */
struct gfpu_xfer gfpu_riscv_hw_guest_save(struct gfpu_vcpu *v,
					  enum gfpu_riscv_unit unit);

/*
 * Load the guest's unit from the vCPU, unconditionally; for V with @bind,
 * bind it (gfpu_riscv_hw_v_bind()) before interrupts can come in.
 */
struct gfpu_xfer gfpu_riscv_hw_guest_restore(struct gfpu_vcpu *v,
					     enum gfpu_riscv_unit unit,
					     bool bind);

/*
 * Bind the guest's live vector state to the vCPU task: its thread.vstate
 * and the VS of its user status become the guest's, so kernel-mode vector
 * (kernel_vector_begin()) saves the guest's registers into the vCPU if
 * they are Dirty, and marks the task TIF_RISCV_V_DEFER_RESTORE.  The
 * task's own are kept aside.  Interrupts disabled.
 */
void gfpu_riscv_hw_v_bind(struct gfpu_vcpu *v);

/*
 * Undo gfpu_riscv_hw_v_bind(); true when the guest's vector state is in
 * the vCPU, VS Clean, and no longer live: kernel-mode vector took the
 * registers meanwhile, or the caller has interrupts on (the state is
 * saved first, since nothing protects the registers after the unbind).
 */
bool gfpu_riscv_hw_v_unbind(struct gfpu_vcpu *v);

/* While bound: kernel-mode vector has taken the registers. */
bool gfpu_riscv_hw_v_taken(struct gfpu_vcpu *v);

/* The vCPU's vector register size in bytes (vlenb). */
u32 gfpu_riscv_hw_vlenb(struct gfpu_vcpu *v);

/*
 * Copy register @cls/@n of the vCPU's in-memory state to @buf, or from
 * it; the backend has validated the id and @size.
 */
void gfpu_riscv_hw_reg_get(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, void *buf, u32 size);
void gfpu_riscv_hw_reg_set(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, const void *buf, u32 size);

#endif /* _GFPU_RISCV_HW_H */
