// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu x86 hardware layer, kernel side: the primitives of gfpu_x86_hw.h on
 * the 6.12 x86 FPU core and KVM's struct fpu_guest.
 *
 * Routed through gfpu in this kernel: the swap points (once per run, or
 * at every load/put with the loadput policy), TIF_NEED_FPU_LOAD before
 * entry and the XFD read-back after exit.  Not yet routed, still
 * done by KVM's own 6.12 code: XCR0/XSS switching (vendor vcpu_run, inside
 * the same interrupts-off window), XFD_ERR, fpstate reallocation and the
 * XSAVE uAPI; their primitives warn if anything reaches them.
 */
#include <linux/kvm_host.h>
#include <linux/sched.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include "gfpu_core.h"
#include "gfpu_x86_hw.h"

static struct fpu_guest *gfpu_guest_fpu(struct gfpu_vcpu *v)
{
	struct kvm_vcpu *vcpu = v->hw;

	return &vcpu->arch.guest_fpu;
}

static u64 gfpu_fpstate_bytes(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->fpstate->size;
}

/* A primitive that KVM does not route through gfpu in this kernel yet. */
#define GFPU_NOT_ROUTED()	WARN_ONCE(1, "gfpu: %s is not routed in this kernel\n", __func__)

unsigned int gfpu_hw_supported_policies(void)
{
	return GFPU_POLICY_SWAP_LOADPUT;
}

int gfpu_x86_hw_init(struct gfpu_vcpu *v)
{
	/* KVM allocated the guest fpstate (fpu_alloc_guest_fpstate()). */
	return gfpu_guest_fpu(v)->fpstate ? 0 : -EINVAL;
}

void gfpu_x86_hw_destroy(struct gfpu_vcpu *v)
{
}

u64 gfpu_x86_hw_host_xfeatures(void)
{
	GFPU_NOT_ROUTED();
	return 0;
}

u64 gfpu_x86_hw_guest_perm(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->perm;
}

bool gfpu_x86_hw_regs_live(void)
{
	return !test_thread_flag(TIF_NEED_FPU_LOAD);
}

void gfpu_x86_hw_swap(struct gfpu_vcpu *v, bool to_guest)
{
	bool live = !test_thread_flag(TIF_NEED_FPU_LOAD);

	/* The loadput policy swaps from sched_out too, interrupts off. */
	if (irqs_disabled())
		fpu_swap_kvm_fpstate_irqsoff(gfpu_guest_fpu(v), to_guest);
	else
		fpu_swap_kvm_fpstate(gfpu_guest_fpu(v), to_guest);
	if (live)
		gfpu_count_save(v, gfpu_fpstate_bytes(v));
	gfpu_count_restore(v, gfpu_fpstate_bytes(v));
}

void gfpu_x86_hw_reload(struct gfpu_vcpu *v)
{
	/* It restores only if the registers are no longer current's. */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		gfpu_count_restore(v, gfpu_fpstate_bytes(v));
	switch_fpu_return();
}

void gfpu_x86_hw_save_current(struct gfpu_vcpu *v)
{
	bool live = !test_thread_flag(TIF_NEED_FPU_LOAD);

	/* Saves the live registers into current's fpstate, then drops them. */
	kernel_fpu_begin();
	kernel_fpu_end();
	if (live)
		gfpu_count_save(v, gfpu_fpstate_bytes(v));
}

/* XCR0/XSS/PKRU: kvm_load_{guest,host}_xsave_state() in vendor vcpu_run. */
void gfpu_x86_hw_load_guest_xcr(struct gfpu_vcpu *v, u64 xcr0)
{
}

void gfpu_x86_hw_load_host_xcr(struct gfpu_vcpu *v)
{
}

void gfpu_x86_hw_sync_xfd(struct gfpu_vcpu *v)
{
	fpu_sync_guest_vmexit_xfd_state();
}

u64 gfpu_x86_hw_read_xfd_err(void)
{
	u64 val = 0;

	if (cpu_feature_enabled(X86_FEATURE_XFD))
		rdmsrl(MSR_IA32_XFD_ERR, val);
	return val;
}

void gfpu_x86_hw_write_xfd_err(u64 val)
{
	if (cpu_feature_enabled(X86_FEATURE_XFD))
		wrmsrl(MSR_IA32_XFD_ERR, val);
}

u64 gfpu_x86_hw_fpstate_features(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->fpstate->xfeatures;
}

u64 gfpu_x86_hw_fpstate_xfd(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->fpstate->xfd;
}

int gfpu_x86_hw_fpstate_grow(struct gfpu_vcpu *v, u64 features)
{
	return fpu_enable_guest_xfd_features(gfpu_guest_fpu(v), features);
}

void gfpu_x86_hw_fpstate_set_xfd(struct gfpu_vcpu *v, u64 xfd)
{
	fpu_update_guest_xfd(gfpu_guest_fpu(v), xfd);
}

void gfpu_x86_hw_fpstate_drop(struct gfpu_vcpu *v, u64 mask)
{
	gfpu_guest_fpu(v)->fpstate->regs.xsave.header.xfeatures &= ~mask;
}

u32 gfpu_x86_hw_xstate_size(u64 features)
{
	GFPU_NOT_ROUTED();
	return U32_MAX;
}

u32 gfpu_x86_hw_mxcsr_mask(void)
{
	GFPU_NOT_ROUTED();
	return 0;
}

void gfpu_x86_hw_copy_to_uabi(struct gfpu_vcpu *v, void *buf, u32 size)
{
	GFPU_NOT_ROUTED();
	memset(buf, 0, size);
}

void gfpu_x86_hw_copy_from_uabi(struct gfpu_vcpu *v, const void *buf,
				u64 keep)
{
	GFPU_NOT_ROUTED();
}
