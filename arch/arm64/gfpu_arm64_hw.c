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
 * Routed in this kernel: the eager host policy, guest entry, the post-exit
 * binding and put.  Not yet routed: the lazy host policy (needs the hyp
 * trap to save the host into the task), vector length setup and ONE_REG,
 * which KVM's own 6.12 code still does; their primitives warn.
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
	return v->hw;
}

static u64 gfpu_guest_bytes(struct gfpu_vcpu *v)
{
	struct kvm_vcpu *vcpu = gfpu_kvm(v);

	if (vcpu_has_sve(vcpu))
		return vcpu_sve_state_size(vcpu);
	return sizeof(struct user_fpsimd_state);
}

#define GFPU_NOT_ROUTED()	WARN_ONCE(1, "gfpu: %s is not routed in this kernel\n", __func__)

unsigned int gfpu_hw_supported_policies(void)
{
	return 0;
}

int gfpu_arm64_hw_map_host(struct gfpu_vcpu *v)
{
	return kvm_arch_vcpu_run_map_fp(gfpu_kvm(v));
}

u32 gfpu_arm64_hw_max_vl(void)
{
	return kvm_sve_max_vl;
}

bool gfpu_arm64_hw_regs_live(void)
{
	return !test_thread_flag(TIF_FOREIGN_FPSTATE);
}

bool gfpu_arm64_hw_host_sve(void)
{
	return test_thread_flag(TIF_SVE);
}

void gfpu_arm64_hw_save_flush(struct gfpu_vcpu *v)
{
	bool live = !test_thread_flag(TIF_FOREIGN_FPSTATE);
	bool guest = guest_owns_fp_regs();

	fpsimd_save_and_flush_cpu_state();
	*host_data_ptr(fp_owner) = FP_STATE_FREE;
	if (live)
		gfpu_count_save(v, guest ? gfpu_guest_bytes(v) :
				sizeof(struct user_fpsimd_state));
}

void gfpu_arm64_hw_flush_cpu(void)
{
	/* Nothing is live for current here, so this only unbinds. */
	fpsimd_save_and_flush_cpu_state();
	*host_data_ptr(fp_owner) = FP_STATE_FREE;
}

void gfpu_arm64_hw_host_save(struct gfpu_vcpu *v, bool sve)
{
	GFPU_NOT_ROUTED();
}

void gfpu_arm64_hw_host_rebind(void)
{
	GFPU_NOT_ROUTED();
}

void gfpu_arm64_hw_guest_restore(struct gfpu_vcpu *v, u32 vl)
{
	/* Done by hyp's FP/SVE trap handler (kvm_hyp_handle_fpsimd()). */
	gfpu_count_restore(v, gfpu_guest_bytes(v));
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

void gfpu_arm64_hw_set_trap(bool armed)
{
	/* Hyp traps guest FP/SVE unless the guest owns the registers. */
	if (armed)
		*host_data_ptr(fp_owner) = FP_STATE_FREE;
	else
		*host_data_ptr(fp_owner) = FP_STATE_GUEST_OWNED;
}

int gfpu_arm64_hw_alloc_sve(struct gfpu_vcpu *v, u32 vl)
{
	/* 0 at destroy: KVM frees vcpu->arch.sve_state itself. */
	if (vl)
		GFPU_NOT_ROUTED();
	return vl ? -EOPNOTSUPP : 0;
}

void gfpu_arm64_hw_reg_copy(struct gfpu_vcpu *v, unsigned int cls,
			    unsigned int n, void *buf, u32 size, bool write)
{
	GFPU_NOT_ROUTED();
	if (!write)
		memset(buf, 0, size);
}
