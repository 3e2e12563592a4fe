/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu arm64 hardware layer: the only operations the backend may use to
 * touch registers or the host's FPSIMD tracking.  The kernel implements
 * them on arch/arm64/kernel/fpsimd.c and the hyp switch code; the
 * userspace model implements them on a simulated CPU.
 *
 * Primitives that move state return a &struct gfpu_xfer saying what they
 * moved (nothing, when there was nothing to move) and count nothing
 * themselves: the backend counts.
 */
#ifndef _GFPU_ARM64_HW_H
#define _GFPU_ARM64_HW_H

struct gfpu_vcpu;
struct gfpu_xfer;

/* Share the current task's FPSIMD state with hyp (nothing under pKVM). */
int gfpu_arm64_hw_map_host(struct gfpu_vcpu *v);

/* Largest vector length this host supports for guests, 0 without SVE. */
u32 gfpu_arm64_hw_max_vl(void);

/*
 * The vCPU's SVE vector length once final (KVM's vcpu->arch.sve_max_vl
 * after KVM_ARM_VCPU_FINALIZE(SVE)), else 0; and whether it is final
 * (kvm_arm_vcpu_sve_finalized()).
 */
u32 gfpu_arm64_hw_sve_vl(struct gfpu_vcpu *v);
bool gfpu_arm64_hw_sve_finalized(struct gfpu_vcpu *v);

/* The lazy host policy can be used for this vCPU (kernel: not nested). */
bool gfpu_arm64_hw_lazy_host_ok(struct gfpu_vcpu *v);

/* Someone's state is live: the current task's TIF_FOREIGN_FPSTATE clear. */
bool gfpu_arm64_hw_regs_live(void);

/* The current task's TIF_SVE. */
bool gfpu_arm64_hw_host_sve(void);

/*
 * fpsimd_save_and_flush_cpu_state(): save whatever is bound, unbind.
 * @guest: the vCPU's state is what is bound, else the task's.  The caller
 * knows; hyp's fp_owner may be stale (a put leaves it, and so does a
 * steal), so it cannot tell.
 */
struct gfpu_xfer gfpu_arm64_hw_save_flush(struct gfpu_vcpu *v, bool guest);

/*
 * What the host saved when it took the registers behind gfpu's back:
 * the bound vCPU's state when @guest, else the task's.  Moves nothing.
 */
struct gfpu_xfer gfpu_arm64_hw_stolen(struct gfpu_vcpu *v, bool guest);

/* fpsimd_flush_cpu_state(): unbind without saving. */
void gfpu_arm64_hw_flush_cpu(void);

/* Save the host task's live registers into it (as SVE when @sve). */
struct gfpu_xfer gfpu_arm64_hw_host_save(struct gfpu_vcpu *v, bool sve);

/* Rebind the host task's live state to the CPU, EL0 traps per TIF_SVE. */
void gfpu_arm64_hw_host_rebind(void);

/*
 * Load the vCPU's state (SVE at @vl when @vl != 0) and its ZCR.  Nothing
 * restored when the trap only handed the registers back (kernel: hyp
 * restores the guest's state when the guest retries its instruction).
 */
struct gfpu_xfer gfpu_arm64_hw_guest_restore(struct gfpu_vcpu *v, u32 vl);

/* Bind the vCPU's live state to the CPU for kernel-mode NEON; irqs off. */
void gfpu_arm64_hw_guest_bind(struct gfpu_vcpu *v, u32 vl);

/*
 * If this CPU's registers still hold the vCPU's state as last bound here
 * (the fpsimd core's fpsimd_last_state still names it: nothing was
 * loaded and the binding was not flushed since; a context switch saves
 * what is bound and keeps the binding), bind it again and make it
 * current's live state; in one interrupts-off section, so no softirq
 * comes between the check and the bind.
 */
bool gfpu_arm64_hw_guest_rebind(struct gfpu_vcpu *v, u32 vl);

/* This CPU's number.  Context: preemption disabled (every caller's hook). */
int gfpu_arm64_hw_cpu(void);

/*
 * Set up the guest FP/SVE access trap for the next entry: none when
 * @owner is GUEST; with HOST, the trap must first have the host's live
 * state saved (gfpu_arm64_hw_host_save()).
 */
void gfpu_arm64_hw_set_trap(enum gfpu_owner owner);

/* (Re)allocate the vCPU's SVE storage for @vl; 0 frees it. */
int gfpu_arm64_hw_alloc_sve(struct gfpu_vcpu *v, u32 vl);

/*
 * Copy register @cls/@n of the vCPU's in-memory state to @buf, or from
 * it; the backend has validated the id and @size.
 */
void gfpu_arm64_hw_reg_get(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, void *buf, u32 size);
void gfpu_arm64_hw_reg_set(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, const void *buf, u32 size);

#endif /* _GFPU_ARM64_HW_H */
