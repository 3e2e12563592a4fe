// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu arm64 hardware layer, kernel side: the primitives of
 * gfpu_arm64_hw.h on the 6.12 fpsimd core and KVM's per-CPU
 * host_data.fp_owner, which hyp reads to decide whether to trap.
 *
 * The guest's FP/SVE trap is taken at EL2, where the core cannot run
 * (nVHE); hyp restores the guest's state there and marks the CPU
 * FP_STATE_GUEST_OWNED.  The KVM glue tells the core at the first
 * interrupts-off point after exit (gfpu_lazy_trap() from
 * kvm_arch_vcpu_ctxsync_fp()), so the restore primitive here only counts.
 *
 * Lazy host policy: the host's state stays live and bound to its task
 * (FP_STATE_HOST_OWNED).  Hyp does not save it: it hands the guest's trap
 * back (GFPU_FP_RETRY) and the host saves it right after the exit with
 * fpsimd_save_and_flush_cpu_state(), the code the eager policy uses, so
 * TIF_SVE, the task's vector length, fp_type and FPMR stay the fpsimd
 * core's business.  The guest retries its instruction and traps again.
 */
#include <linux/irqflags.h>
#include <linux/kvm_host.h>
#include <linux/sched.h>
#include <asm/fpsimd.h>
#include <asm/kvm_asm.h>
#include <asm/kvm_hyp.h>
#include <asm/kvm_mmu.h>
#include <asm/sysreg.h>
#include "gfpu_core.h"
#include "gfpu_arm64_hw.h"

static struct kvm_vcpu *gfpu_kvm(struct gfpu_vcpu *v)
{
	return container_of(v, struct kvm_vcpu, arch.gfpu);
}

static u32 gfpu_guest_bytes(struct gfpu_vcpu *v)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);

	if (vcpu_has_sve(vcpu))
		return vcpu_sve_state_size(vcpu);
	return sizeof(struct user_fpsimd_state);
}

/*
 * Lazy host save is not offered with SME: ZA and streaming mode would
 * stay live across the guest's run.  Keeping the guest's state bound
 * across a sched_out is not offered under pKVM, where hyp keeps the
 * guest's state itself.
 */
unsigned int gfpu_hw_supported_policies(void)
{
	unsigned int policies = GFPU_POLICY_KEEP_BOUND;

	/*
	 * Neither is the entry policy: ZA and streaming mode would stay
	 * live from the load to the first guest entry, where the eager
	 * save (fpsimd_save_and_flush_cpu_state()) has them off.
	 */
	if (!system_supports_sme())
		policies |= GFPU_POLICY_LAZY_HOST | GFPU_POLICY_SWAP_ENTRY;
	/*
	 * gfpu.policy= comes before the capabilities are final, when
	 * is_protected_kvm_enabled() (cpus_have_final_cap()) would BUG:
	 * a KVM_RUN checks again (gfpu_arch_run_enter()).
	 */
	if (system_capabilities_finalized() && is_protected_kvm_enabled())
		policies &= ~GFPU_POLICY_KEEP_BOUND;
	return policies;
}

/* Nested guests' ZCR_EL2 traps expect the guest's state loaded in hyp. */
bool gfpu_arm64_hw_lazy_host_ok(struct gfpu_vcpu *v)
{
	return !vcpu_has_nv(gfpu_kvm(v));
}

/*
 * A new task runs the vCPU: make its FPSIMD state visible to hyp, which
 * saves the host's registers there on a lazy trap (what 6.12's
 * kvm_arch_vcpu_run_map_fp() did).  pKVM tracks the host state itself.
 */
int gfpu_arm64_hw_map_host(struct gfpu_vcpu *v)
{
	struct user_fpsimd_state *fpsimd = &current->thread.uw.fpsimd_state;

	if (is_protected_kvm_enabled())
		return 0;
	return kvm_share_hyp(fpsimd, fpsimd + 1);
}

u32 gfpu_arm64_hw_max_vl(void)
{
	return kvm_sve_max_vl;
}

bool gfpu_arm64_hw_sve_finalized(struct gfpu_vcpu *v)
{
	return kvm_arm_vcpu_sve_finalized(gfpu_kvm(v));
}

u32 gfpu_arm64_hw_sve_vl(struct gfpu_vcpu *v)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);

	return kvm_arm_vcpu_sve_finalized(vcpu) ? vcpu->arch.sve_max_vl : 0;
}

bool gfpu_arm64_hw_regs_live(void)
{
	return !test_thread_flag(TIF_FOREIGN_FPSTATE);
}

bool gfpu_arm64_hw_host_sve(void)
{
	return test_thread_flag(TIF_SVE);
}

struct gfpu_xfer gfpu_arm64_hw_save_flush(struct gfpu_vcpu *v, bool guest)
{
	bool live = !test_thread_flag(TIF_FOREIGN_FPSTATE);
	struct gfpu_xfer x = { };

	fpsimd_save_and_flush_cpu_state();
	*host_data_ptr(fp_owner) = FP_STATE_FREE;
	if (live) {
		x.saves = 1;
		x.bytes = guest ? gfpu_guest_bytes(v) :
			  sizeof(struct user_fpsimd_state);
	}
	return x;
}

/*
 * What the host's fpsimd_save_user_state() moved when it took the
 * registers: the bound vCPU's state at its own size, or the task's, which
 * inside KVM_RUN the syscall ABI has cut down to FPSIMD.
 */
struct gfpu_xfer gfpu_arm64_hw_stolen(struct gfpu_vcpu *v, bool guest)
{
	struct gfpu_xfer x = { };

	gfpu_xfer_save(&x, guest ? gfpu_guest_bytes(v) :
		       sizeof(struct user_fpsimd_state));
	return x;
}

void gfpu_arm64_hw_flush_cpu(void)
{
	/* Nothing is live for current here, so this only unbinds. */
	fpsimd_save_and_flush_cpu_state();
	*host_data_ptr(fp_owner) = FP_STATE_FREE;
}

/*
 * The task's own save, at the size its state needs: the fpsimd core reads
 * TIF_SVE and the CPU's binding itself (inside KVM_RUN the syscall ABI has
 * already cut live SVE state down to FPSIMD), so @sve is only checked.
 */
struct gfpu_xfer gfpu_arm64_hw_host_save(struct gfpu_vcpu *v, bool sve)
{
	bool live = !test_thread_flag(TIF_FOREIGN_FPSTATE);
	struct gfpu_xfer x = { };

	WARN_ON_ONCE(!irqs_disabled());
	WARN_ON_ONCE(live && sve != test_thread_flag(TIF_SVE));
	fpsimd_save_and_flush_cpu_state();
	*host_data_ptr(fp_owner) = FP_STATE_FREE;
	if (live) {
		x.saves = 1;
		x.bytes = sizeof(struct user_fpsimd_state);
	}
	return x;
}

/*
 * VM exit left EL0 SVE trapped (CPACR_EL1.ZEN); the task's state is
 * still live and bound, so make the trap follow TIF_SVE again, as
 * fpsimd_bind_task_to_cpu() does.
 */
void gfpu_arm64_hw_host_rebind(void)
{
	if (!system_supports_sve() || test_thread_flag(TIF_FOREIGN_FPSTATE))
		return;
	if (test_thread_flag(TIF_SVE))
		sve_user_enable();
	else
		sve_user_disable();
}

struct gfpu_xfer gfpu_arm64_hw_guest_restore(struct gfpu_vcpu *v, u32 vl)
{
	struct gfpu_xfer x = { };

	/* Hyp's FP/SVE trap handler (kvm_hyp_handle_fpsimd()) did it. */
	if (guest_owns_fp_regs()) {
		x.restores = 1;
		x.bytes = gfpu_guest_bytes(v);
	}
	return x;
}

void gfpu_arm64_hw_guest_bind(struct gfpu_vcpu *v, u32 vl)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);
	struct cpu_fp_state fp_state = {
		.st = &vcpu->arch.ctxt.fp_regs,
		.sve_state = vcpu->arch.sve_state,
		.sve_vl = vcpu->arch.sve_max_vl,
		.sme_state = NULL,
		.svcr = &__vcpu_sys_reg(vcpu, SVCR),
		.fpmr = &__vcpu_sys_reg(vcpu, FPMR),
		.fp_type = &vcpu->arch.fp_type,
		.to_save = vcpu_has_sve(vcpu) ? FP_STATE_SVE : FP_STATE_FPSIMD,
	};

	WARN_ON_ONCE(!irqs_disabled());
	fpsimd_bind_state_to_cpu(&fp_state);
	clear_thread_flag(TIF_FOREIGN_FPSTATE);
}

bool gfpu_arm64_hw_guest_rebind(struct gfpu_vcpu *v, u32 vl)
{
	unsigned long flags;
	bool held;

	local_irq_save(flags);
	held = this_cpu_ptr(&fpsimd_last_state)->st ==
	       &gfpu_kvm(v)->arch.ctxt.fp_regs;
	if (held)
		gfpu_arm64_hw_guest_bind(v, vl);
	local_irq_restore(flags);
	return held;
}

/*
 * raw_: the hooks that ask run with preemption disabled and check it
 * themselves (CONFIG_GFPU_DEBUG); CONFIG_DEBUG_PREEMPT's check of
 * smp_processor_id() would repeat it out of line at every guest exit.
 */
int gfpu_arm64_hw_cpu(void)
{
	return raw_smp_processor_id();
}

void gfpu_arm64_hw_set_trap(enum gfpu_owner owner)
{
	/* Hyp traps guest FP/SVE unless the guest owns the registers. */
	static const u8 fp_owner[GFPU_NR_OWNERS] = {
		[GFPU_OWNER_NONE] = FP_STATE_FREE,
		[GFPU_OWNER_HOST] = FP_STATE_HOST_OWNED,
		[GFPU_OWNER_GUEST] = FP_STATE_GUEST_OWNED,
	};

	*host_data_ptr(fp_owner) = fp_owner[owner];
}

/* The SVE state's size at @vl: the signal frame's register block. */
static size_t gfpu_sve_bytes(u32 vl)
{
	return SVE_SIG_REGS_SIZE(sve_vq_from_vl(vl));
}

/*
 * vcpu->arch.sve_state, shared with hyp (which saves and restores the
 * guest's SVE state there), at @vl; 0 frees it (vCPU destroy).
 */
int gfpu_arm64_hw_alloc_sve(struct gfpu_vcpu *v, u32 vl)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);
	void *old = vcpu->arch.sve_state, *buf = NULL;
	int ret;

	if (vl) {
		size_t bytes = gfpu_sve_bytes(vl);

		if (WARN_ON_ONCE(vl != vcpu->arch.sve_max_vl))
			return -EINVAL;
		if (!gfpu_should_fail(GFPU_FAIL_SVE, bytes))
			buf = kzalloc(bytes, GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
		if (gfpu_should_fail(GFPU_FAIL_SVE_SHARE, 0))
			ret = -ENOMEM;
		else
			ret = kvm_share_hyp(buf, buf + bytes);
		if (ret) {
			kfree(buf);
			return ret;
		}
	}
	if (old) {
		kvm_unshare_hyp(old, old + gfpu_sve_bytes(vcpu->arch.sve_max_vl));
		kfree(old);
	}
	vcpu->arch.sve_state = buf;
	return 0;
}

/* Where register @cls/@n lives in the vCPU's memory, as KVM keeps it. */
static void *gfpu_reg_addr(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);
	struct user_fpsimd_state *fp = &vcpu->arch.ctxt.fp_regs;
	unsigned int vq = sve_vq_from_vl(gfpu_arm64_hw_sve_vl(v));
	u8 *sve = vcpu->arch.sve_state;

	switch (cls) {
	case GFPU_ARM64_V:
		return &fp->vregs[n];
	case GFPU_ARM64_FPSR:
		return &fp->fpsr;
	case GFPU_ARM64_FPCR:
		return &fp->fpcr;
	case GFPU_ARM64_Z:
		return sve + SVE_SIG_ZREG_OFFSET(vq, n) - SVE_SIG_REGS_OFFSET;
	case GFPU_ARM64_P:
		return sve + SVE_SIG_PREG_OFFSET(vq, n) - SVE_SIG_REGS_OFFSET;
	case GFPU_ARM64_FFR:
		return sve + SVE_SIG_FFR_OFFSET(vq) - SVE_SIG_REGS_OFFSET;
	default:
		return NULL;
	}
}

/* The register's memory, or NULL (a warning) where the backend erred. */
static void *gfpu_reg_checked(struct gfpu_vcpu *v, unsigned int cls,
			      unsigned int n)
{
	void *reg = gfpu_reg_addr(v, cls, n);

	if (WARN_ON_ONCE(!reg || (cls >= GFPU_ARM64_Z &&
				  !gfpu_kvm(v)->arch.sve_state)))
		return NULL;
	return reg;
}

void gfpu_arm64_hw_reg_get(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, void *buf, u32 size)
{
	void *reg = gfpu_reg_checked(v, cls, n);

	if (reg)
		memcpy(buf, reg, size);
}

void gfpu_arm64_hw_reg_set(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, const void *buf, u32 size)
{
	void *reg = gfpu_reg_checked(v, cls, n);

	if (reg)
		memcpy(reg, buf, size);
}
