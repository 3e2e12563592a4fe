/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu x86 hardware layer: the only operations the backend may use to
 * touch registers, MSRs, XCRs, the host's FPU tracking or KVM's vCPU.
 * The kernel implements them on arch/x86/kernel/fpu (fpu_swap_kvm_fpstate()
 * and friends) and KVM's struct kvm_vcpu_arch; the userspace model on a
 * simulated CPU.  Primitives that move state return a &struct gfpu_xfer
 * and count nothing themselves: the backend counts.
 */
#ifndef _GFPU_X86_HW_H
#define _GFPU_X86_HW_H

struct gfpu_vcpu;
struct gfpu_xfer;

/* Check that KVM allocated the guest fpstate (fpu_alloc_guest_fpstate()). */
int gfpu_x86_hw_init(struct gfpu_vcpu *v);
void gfpu_x86_hw_destroy(struct gfpu_vcpu *v);

/* Host xfeatures KVM can offer, and the process's guest permission. */
u64 gfpu_x86_hw_host_xfeatures(void);
u64 gfpu_x86_hw_guest_perm(struct gfpu_vcpu *v);

/* KVM's vcpu->arch.xcr0 and vcpu->arch.guest_supported_xcr0. */
u64 gfpu_x86_hw_guest_xcr0(struct gfpu_vcpu *v);
u64 gfpu_x86_hw_guest_supported_xcr0(struct gfpu_vcpu *v);

/* The current task's fpstate is live: !TIF_NEED_FPU_LOAD and valid here. */
bool gfpu_x86_hw_regs_live(void);
/* The x86 FPU core has the guest fpstate swapped in on current. */
bool gfpu_x86_hw_swapped_in(struct gfpu_vcpu *v);

/*
 * fpu_swap_kvm_fpstate(): save the live registers (if not already saved:
 * TIF_NEED_FPU_LOAD) into the current fpstate, make the guest's (in) or
 * the task's own (out) fpstate current, and load it.  Interrupts on.
 */
struct gfpu_xfer gfpu_x86_hw_swap_in(struct gfpu_vcpu *v);
struct gfpu_xfer gfpu_x86_hw_swap_out(struct gfpu_vcpu *v);
/*
 * The same swaps with interrupts off: out from the sched_out preempt
 * notifier, in at a guest entry (GFPU_POLICY_SWAP_ENTRY).
 */
struct gfpu_xfer gfpu_x86_hw_swap_in_irqsoff(struct gfpu_vcpu *v);
struct gfpu_xfer gfpu_x86_hw_swap_out_irqsoff(struct gfpu_vcpu *v);

/*
 * switch_fpu_return(): load the current fpstate if needed; interrupts
 * off, or inside fpregs_lock().
 */
struct gfpu_xfer gfpu_x86_hw_reload(struct gfpu_vcpu *v);

/* Save the live registers into the current fpstate and invalidate them. */
struct gfpu_xfer gfpu_x86_hw_save_current(struct gfpu_vcpu *v);

/*
 * One save of the current fpstate that the host makes on its own (the
 * context switch, kernel-mode FP), for counting; it moves nothing.
 */
struct gfpu_xfer gfpu_x86_hw_host_save(void);

/* Guest XCR0 (and XSS, PKRU) in, host values back; interrupts off. */
void gfpu_x86_hw_load_guest_xcr(struct gfpu_vcpu *v);
void gfpu_x86_hw_load_host_xcr(struct gfpu_vcpu *v);

/* fpu_sync_guest_vmexit_xfd_state(): read XFD back into the fpstate. */
void gfpu_x86_hw_sync_xfd(struct gfpu_vcpu *v);

/*
 * The guest's XFD_ERR, kept in vcpu->arch.guest_fpu.xfd_err: its value,
 * the MSR loaded from it and saved into it, and the MSR cleared for the
 * host.  All but the first with interrupts off.
 */
u64 gfpu_x86_hw_xfd_err(struct gfpu_vcpu *v);
void gfpu_x86_hw_load_xfd_err(struct gfpu_vcpu *v);
void gfpu_x86_hw_save_xfd_err(struct gfpu_vcpu *v);
void gfpu_x86_hw_clear_xfd_err(void);

/* The guest fpstate: features it has room for, its XFD. */
u64 gfpu_x86_hw_fpstate_features(struct gfpu_vcpu *v);
u64 gfpu_x86_hw_fpstate_xfd(struct gfpu_vcpu *v);

/*
 * Grow the guest fpstate to hold @features, its contents and XFD carried
 * over; -ENOMEM (old one intact) or -EPERM (not permitted) on failure.
 * What it moved (a swap in and out around it, or the reload of an
 * fpstate in use) is added to @x.
 */
int gfpu_x86_hw_fpstate_grow(struct gfpu_vcpu *v, u64 features,
			     struct gfpu_xfer *x);

/* Set the fpstate's XFD, and the MSR too when the fpstate is live. */
void gfpu_x86_hw_fpstate_set_xfd(struct gfpu_vcpu *v, u64 xfd);

/* Clear @mask from the fpstate's XSTATE_BV: those components become init. */
void gfpu_x86_hw_fpstate_drop(struct gfpu_vcpu *v, u64 mask);

/* uAPI (non-compacted) XSAVE image size for @features. */
u32 gfpu_x86_hw_xstate_size(u64 features);

/*
 * Copy the guest fpstate to a uAPI XSAVE image, or from one the backend
 * checked for room (components not in its XSTATE_BV load as init); the
 * copy checks the header and MXCSR (copy_uabi_to_xstate()).
 */
void gfpu_x86_hw_copy_to_uabi(struct gfpu_vcpu *v, void *buf, u32 size);
int gfpu_x86_hw_copy_from_uabi(struct gfpu_vcpu *v, const void *buf);

#endif /* _GFPU_X86_HW_H */
