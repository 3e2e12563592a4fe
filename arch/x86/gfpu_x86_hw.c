// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu x86 hardware layer, kernel side: the primitives of gfpu_x86_hw.h on
 * the 6.12 x86 FPU core and KVM's struct fpu_guest.
 *
 * KVM calls gfpu at every point where 6.12 handled the guest FPU: the
 * swap points (once per run, or at every load/put with the loadput
 * policy), each VM entry and exit inside the vendor vcpu_run (where
 * TIF_NEED_FPU_LOAD, XCR0/XSS/PKRU, XFD and XFD_ERR are handled), XCR0,
 * XFD and XFD_ERR writes, KVM_SET_CPUID2 and the XSAVE uAPI.  These
 * primitives do the work with the x86 FPU core's KVM interface and KVM's
 * own XCR0/XSS/PKRU switch.
 */
#include <linux/kvm_host.h>
#include <linux/sched.h>
#include <asm/fpu/api.h>
#include <asm/fpu/sched.h>	/* fpu_swap_kvm_fpstate_irqsoff() */
#include <asm/fpu/types.h>
#include <asm/msr.h>
#include "x86.h"		/* arch/x86/kvm: kvm_caps, XCR0/XSS/PKRU switch */
#include "cpuid.h"		/* arch/x86/kvm: xstate_required_size() */
#include "gfpu_core.h"
#include "gfpu_x86_hw.h"

static_assert(sizeof(struct kvm_xsave) == GFPU_XSAVE_LEGACY_SIZE);

static struct kvm_vcpu *gfpu_kvm(struct gfpu_vcpu *v)
{
	return container_of(v, struct kvm_vcpu, arch.gfpu);
}

static struct fpu_guest *gfpu_guest_fpu(struct gfpu_vcpu *v)
{
	return &gfpu_kvm(v)->arch.guest_fpu;
}

/* The size of current's fpstate: what an XSAVE or XRSTOR of it moves. */
static u32 gfpu_current_bytes(void)
{
	return current->thread.fpu.fpstate->size;
}

unsigned int gfpu_hw_supported_policies(void)
{
	return GFPU_POLICY_SWAP_LOADPUT | GFPU_POLICY_REALLOC_CPUID |
	       GFPU_POLICY_SWAP_ENTRY;
}

int gfpu_x86_hw_init(struct gfpu_vcpu *v)
{
	/* KVM allocated the guest fpstate (fpu_alloc_guest_fpstate()). */
	return gfpu_guest_fpu(v)->fpstate ? 0 : -EINVAL;
}

void gfpu_x86_hw_destroy(struct gfpu_vcpu *v)
{
}

/* What KVM offers guests; FP and SSE always (KVM_SET_XSAVE takes them). */
u64 gfpu_x86_hw_host_xfeatures(void)
{
	return kvm_caps.supported_xcr0 | XFEATURE_MASK_FPSSE;
}

u64 gfpu_x86_hw_guest_perm(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->perm;
}

u64 gfpu_x86_hw_guest_xcr0(struct gfpu_vcpu *v)
{
	return gfpu_kvm(v)->arch.xcr0;
}

u64 gfpu_x86_hw_guest_supported_xcr0(struct gfpu_vcpu *v)
{
	return gfpu_kvm(v)->arch.guest_supported_xcr0;
}

bool gfpu_x86_hw_regs_live(void)
{
	return !test_thread_flag(TIF_NEED_FPU_LOAD);
}

/*
 * Whether the guest fpstate is swapped in on current, as the x86 FPU core
 * records it (fpu_swap_kvm_fpstate()): it is current's fpstate, marked in
 * use, and the task's own fpstate is parked in __task_fpstate.
 */
bool gfpu_x86_hw_swapped_in(struct gfpu_vcpu *v)
{
	struct fpu *fpu = &current->thread.fpu;
	struct fpstate *gfps = gfpu_guest_fpu(v)->fpstate;

	return fpu->fpstate == gfps && gfps->in_use && fpu->__task_fpstate;
}

/*
 * A swap saves the live registers into the old fpstate, unless
 * TIF_NEED_FPU_LOAD says they are already in memory, and always loads
 * the new one.
 */
static void gfpu_swap(struct gfpu_vcpu *v, bool enter, bool irqsoff,
		      struct gfpu_xfer *x)
{
	struct fpu *fpu = &current->thread.fpu;

	/* A confidential (SEV-ES) guest's fpstate is never saved or loaded. */
	if (gfpu_x86_hw_regs_live() && !fpu->fpstate->is_confidential)
		gfpu_xfer_save(x, gfpu_current_bytes());
	if (irqsoff)
		fpu_swap_kvm_fpstate_irqsoff(gfpu_guest_fpu(v), enter);
	else
		fpu_swap_kvm_fpstate(gfpu_guest_fpu(v), enter);
	if (!fpu->fpstate->is_confidential)
		gfpu_xfer_restore(x, gfpu_current_bytes());
}

struct gfpu_xfer gfpu_x86_hw_swap_in(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	gfpu_swap(v, true, false, &x);
	return x;
}

struct gfpu_xfer gfpu_x86_hw_swap_out(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	gfpu_swap(v, false, false, &x);
	return x;
}

/* fpregs_lock() must not be taken there: its local_bh_enable() would run. */
struct gfpu_xfer gfpu_x86_hw_swap_in_irqsoff(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	gfpu_swap(v, true, true, &x);
	return x;
}

struct gfpu_xfer gfpu_x86_hw_swap_out_irqsoff(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	gfpu_swap(v, false, true, &x);
	return x;
}

/*
 * The x86 FPU core's fpregs_state_valid() (arch/x86/kernel/fpu/context.h,
 * private to it) for current: the registers still hold its fpstate
 * (nobody loaded anything since it was saved here), so that a reload
 * needs no XRSTOR.
 */
static bool gfpu_current_regs_valid(void)
{
	struct fpu *fpu = &current->thread.fpu;
	unsigned int cpu = smp_processor_id();

	return this_cpu_read(fpu_fpregs_owner_ctx) == fpu &&
	       fpu->last_cpu == cpu;
}

struct gfpu_xfer gfpu_x86_hw_reload(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	/* It restores only if the registers are no longer current's. */
	if (!gfpu_x86_hw_regs_live() && !gfpu_current_regs_valid())
		gfpu_xfer_restore(&x, gfpu_current_bytes());
	switch_fpu_return();
	return x;
}

struct gfpu_xfer gfpu_x86_hw_save_current(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };

	if (gfpu_x86_hw_regs_live())
		gfpu_xfer_save(&x, gfpu_current_bytes());
	/* Saves the live registers into current's fpstate, then drops them. */
	kernel_fpu_begin();
	kernel_fpu_end();
	return x;
}

struct gfpu_xfer gfpu_x86_hw_host_save(void)
{
	struct gfpu_xfer x = { };

	gfpu_xfer_save(&x, gfpu_current_bytes());
	return x;
}

/*
 * KVM's XCR0/XSS/PKRU switch, from vcpu->arch.xcr0, which KVM sets only
 * after gfpu accepted the value (__kvm_set_xcr()); SEV-ES guests' XCR0 is
 * the hardware's business (the switch does nothing).
 */
void gfpu_x86_hw_load_guest_xcr(struct gfpu_vcpu *v)
{
	kvm_load_guest_xsave_state(gfpu_kvm(v));
}

void gfpu_x86_hw_load_host_xcr(struct gfpu_vcpu *v)
{
	kvm_load_host_xsave_state(gfpu_kvm(v));
}

void gfpu_x86_hw_sync_xfd(struct gfpu_vcpu *v)
{
	fpu_sync_guest_vmexit_xfd_state();
}

u64 gfpu_x86_hw_xfd_err(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->xfd_err;
}

/* As vcpu_enter_guest() did before the entry. */
void gfpu_x86_hw_load_xfd_err(struct gfpu_vcpu *v)
{
	if (cpu_feature_enabled(X86_FEATURE_XFD))
		wrmsrl(MSR_IA32_XFD_ERR, gfpu_guest_fpu(v)->xfd_err);
}

/* As handle_nm_fault_irqoff() did for an #NM exit with XFD armed. */
void gfpu_x86_hw_save_xfd_err(struct gfpu_vcpu *v)
{
	if (cpu_feature_enabled(X86_FEATURE_XFD))
		rdmsrl(MSR_IA32_XFD_ERR, gfpu_guest_fpu(v)->xfd_err);
}

void gfpu_x86_hw_clear_xfd_err(void)
{
	if (cpu_feature_enabled(X86_FEATURE_XFD))
		wrmsrl(MSR_IA32_XFD_ERR, 0);
}

u64 gfpu_x86_hw_fpstate_features(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->fpstate->xfeatures;
}

u64 gfpu_x86_hw_fpstate_xfd(struct gfpu_vcpu *v)
{
	return gfpu_guest_fpu(v)->fpstate->xfd;
}

/*
 * fpu_enable_guest_xfd_features() puts a zeroed fpstate in place and keeps
 * the old contents only when the old one is current with its registers
 * live (fpstate_realloc()); outside KVM_RUN the guest fpstate never is, so
 * swap it in around the growth, as kvm_load_guest_fpu() would.  The new
 * fpstate has XFD clear for the features it grew by: put the guest's back.
 * A failed allocation comes back as -EFAULT (__xfd_enable_feature()).
 */
int gfpu_x86_hw_fpstate_grow(struct gfpu_vcpu *v, u64 features,
			     struct gfpu_xfer *x)
{
	struct fpu_guest *gfpu = gfpu_guest_fpu(v);
	bool in_use = gfpu->fpstate->in_use;
	u64 xfd = gfpu->fpstate->xfd;
	u32 old_bytes = gfpu->fpstate->size;
	bool reload;
	int ret;

	if (!in_use)
		gfpu_swap(v, true, false, x);
	/* fpstate_realloc() first reloads an fpstate in use, as needed. */
	reload = in_use && !gfpu_x86_hw_regs_live() &&
		 !gfpu_current_regs_valid();
	/* An injected failure stands for fpstate_realloc()'s. */
	if (gfpu_should_fail(GFPU_FAIL_GROW, 0))
		ret = -EFAULT;
	else
		ret = fpu_enable_guest_xfd_features(gfpu, features);
	if (!ret && reload)
		gfpu_xfer_restore(x, old_bytes);
	if (!ret && gfpu->fpstate->xfd != xfd)
		fpu_update_guest_xfd(gfpu, xfd);
	if (!in_use)
		gfpu_swap(v, false, false, x);
	return ret == -EFAULT ? -ENOMEM : ret;
}

void gfpu_x86_hw_fpstate_set_xfd(struct gfpu_vcpu *v, u64 xfd)
{
	fpu_update_guest_xfd(gfpu_guest_fpu(v), xfd);
}

/* Locked: a softirq's kernel-mode FPU may save into the same header. */
void gfpu_x86_hw_fpstate_drop(struct gfpu_vcpu *v, u64 mask)
{
	fpregs_lock();
	gfpu_guest_fpu(v)->fpstate->regs.xsave.header.xfeatures &= ~mask;
	fpregs_unlock();
}

/* KVM's xstate_required_size() (arch/x86/kvm/cpuid.c), non-compacted. */
u32 gfpu_x86_hw_xstate_size(u64 features)
{
	return xstate_required_size(features, false);
}

/* The guest's components, plus FP and SSE, as KVM_GET_XSAVE2 copies. */
void gfpu_x86_hw_copy_to_uabi(struct gfpu_vcpu *v, void *buf, u32 size)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);

	fpu_copy_guest_fpstate_to_uabi(gfpu_guest_fpu(v), buf, size,
				       vcpu->arch.guest_supported_xcr0 |
				       XFEATURE_MASK_FPSSE, vcpu->arch.pkru);
}

int gfpu_x86_hw_copy_from_uabi(struct gfpu_vcpu *v, const void *buf)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);

	return fpu_copy_uabi_to_guest_fpstate(gfpu_guest_fpu(v), buf,
					      kvm_caps.supported_xcr0,
					      &vcpu->arch.pkru);
}
