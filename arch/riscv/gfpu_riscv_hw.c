// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu riscv hardware layer, kernel side: the primitives of
 * gfpu_riscv_hw.h on 6.12's arch/riscv.  The guest's units move with
 * KVM's own save and restore (__kvm_riscv_fp_[fd]_save/restore(),
 * __kvm_riscv_vector_save/restore()) on vcpu->arch.guest_context, whose
 * sstatus carries the guest's FS and VS from VM exit to VM entry.  The
 * host task's state moves with the host's own tracking (fstate_save(),
 * fstate_restore(), riscv_v_vstate_save(), riscv_v_vstate_set_restore()),
 * never into KVM's host_context.
 *
 * Binding: kernel_vector_begin() in a softirq saves the vector registers
 * into current->thread.vstate when the VS of current's user status is
 * Dirty, then marks current TIF_RISCV_V_DEFER_RESTORE (its VS not Off).
 * While the guest's vector state is live outside guest mode, the vCPU
 * task's thread.vstate and user VS are the guest's, its own kept per CPU
 * (the binding ends at the next entry or put, on the same CPU).
 */
#include <linux/irqflags.h>
#include <linux/kvm_host.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <asm/csr.h>
#include <asm/switch_to.h>
#include <asm/vector.h>
#include <asm/kvm_vcpu_fp.h>
#include <asm/kvm_vcpu_vector.h>
#include "gfpu_core.h"
#include "gfpu_riscv_hw.h"

/**
 * struct gfpu_riscv_host_v - the vCPU task's own vector tracking, kept
 *	aside while the guest's vector state is bound to it
 * @vstate: its thread.vstate.
 * @vs: the VS field of its user status.
 * @defer: its TIF_RISCV_V_DEFER_RESTORE.
 */
struct gfpu_riscv_host_v {
	struct __riscv_v_ext_state vstate;
	unsigned long vs;
	bool defer;
};

static DEFINE_PER_CPU(struct gfpu_riscv_host_v, gfpu_riscv_host_v);

static struct kvm_vcpu *gfpu_kvm(struct gfpu_vcpu *v)
{
	return container_of(v, struct kvm_vcpu, arch.gfpu);
}

static struct kvm_cpu_context *gfpu_cntx(struct gfpu_vcpu *v)
{
	return &gfpu_kvm(v)->arch.guest_context;
}

/* The sstatus field of each unit and its lowest bit. */
static const unsigned long gfpu_sr_mask[GFPU_RISCV_NR_UNITS] = {
	[GFPU_RISCV_FP] = SR_FS,
	[GFPU_RISCV_V] = SR_VS,
};

static const unsigned long gfpu_sr_one[GFPU_RISCV_NR_UNITS] = {
	[GFPU_RISCV_FP] = SR_FS_INITIAL,
	[GFPU_RISCV_V] = SR_VS_INITIAL,
};

/* No riscv policy depends on what the host CPU has. */
unsigned int gfpu_hw_supported_policies(void)
{
	return GFPU_POLICY_RISCV_LAZY;
}

bool gfpu_riscv_hw_has(struct gfpu_vcpu *v, enum gfpu_riscv_unit unit)
{
	const unsigned long *isa = gfpu_kvm(v)->arch.isa;

	if (unit == GFPU_RISCV_V)
		return riscv_isa_extension_available(isa, v);
	return riscv_isa_extension_available(isa, f) ||
	       riscv_isa_extension_available(isa, d);
}

unsigned int gfpu_riscv_hw_status(struct gfpu_vcpu *v,
				  enum gfpu_riscv_unit unit)
{
	return (gfpu_cntx(v)->sstatus & gfpu_sr_mask[unit]) /
		gfpu_sr_one[unit];
}

void gfpu_riscv_hw_set_status(struct gfpu_vcpu *v, enum gfpu_riscv_unit unit,
			      unsigned int st)
{
	struct kvm_cpu_context *cntx = gfpu_cntx(v);

	cntx->sstatus = (cntx->sstatus & ~gfpu_sr_mask[unit]) |
			(st * gfpu_sr_one[unit]);
}

static u64 gfpu_fp_bytes(struct gfpu_vcpu *v)
{
	if (riscv_isa_extension_available(gfpu_kvm(v)->arch.isa, d))
		return sizeof(struct __riscv_d_ext_state);
	return sizeof(struct __riscv_f_ext_state);
}

static u64 gfpu_v_bytes(void)
{
	return riscv_v_vsize + offsetof(struct __riscv_v_ext_state, datap);
}

struct gfpu_xfer gfpu_riscv_hw_host_save(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long flags;

	local_irq_save(flags);
	if (has_fpu()) {
		if ((regs->status & SR_FS) == SR_FS_DIRTY)
			gfpu_xfer_save(&x, sizeof(current->thread.fstate));
		fstate_save(current, regs);
	}
	if (has_vector()) {
		if ((regs->status & SR_VS) == SR_VS_DIRTY)
			gfpu_xfer_save(&x, gfpu_v_bytes());
		riscv_v_vstate_save(&current->thread.vstate, regs);
		riscv_v_vstate_set_restore(current, regs);
	}
	local_irq_restore(flags);
	return x;
}

struct gfpu_xfer gfpu_riscv_hw_host_fp_restore(struct gfpu_vcpu *v)
{
	struct gfpu_xfer x = { };
	struct pt_regs *regs = task_pt_regs(current);

	if (!has_fpu())
		return x;
	if ((regs->status & SR_FS) != SR_FS_OFF)
		gfpu_xfer_restore(&x, sizeof(current->thread.fstate));
	fstate_restore(current, regs);
	return x;
}

struct gfpu_xfer gfpu_riscv_hw_guest_save(struct gfpu_vcpu *v,
					  enum gfpu_riscv_unit unit)
{
	struct gfpu_xfer x = { };
	struct kvm_cpu_context *cntx = gfpu_cntx(v);
	const unsigned long *isa = gfpu_kvm(v)->arch.isa;

	if (unit == GFPU_RISCV_V) {
		__kvm_riscv_vector_save(cntx);
		gfpu_xfer_save(&x, gfpu_v_bytes());
		return x;
	}
	if (riscv_isa_extension_available(isa, d))
		__kvm_riscv_fp_d_save(cntx);
	else
		__kvm_riscv_fp_f_save(cntx);
	gfpu_xfer_save(&x, gfpu_fp_bytes(v));
	return x;
}

struct gfpu_xfer gfpu_riscv_hw_guest_restore(struct gfpu_vcpu *v,
					     enum gfpu_riscv_unit unit,
					     bool bind)
{
	struct gfpu_xfer x = { };
	struct kvm_cpu_context *cntx = gfpu_cntx(v);
	const unsigned long *isa = gfpu_kvm(v)->arch.isa;
	unsigned long flags;

	if (unit == GFPU_RISCV_V) {
		/* A softirq must not find the registers loaded but unbound. */
		local_irq_save(flags);
		__kvm_riscv_vector_restore(cntx);
		if (bind)
			gfpu_riscv_hw_v_bind(v);
		local_irq_restore(flags);
		gfpu_xfer_restore(&x, gfpu_v_bytes());
		return x;
	}
	if (riscv_isa_extension_available(isa, d))
		__kvm_riscv_fp_d_restore(cntx);
	else
		__kvm_riscv_fp_f_restore(cntx);
	gfpu_xfer_restore(&x, gfpu_fp_bytes(v));
	return x;
}

void gfpu_riscv_hw_v_bind(struct gfpu_vcpu *v)
{
	struct gfpu_riscv_host_v *h = this_cpu_ptr(&gfpu_riscv_host_v);
	struct kvm_cpu_context *cntx = gfpu_cntx(v);
	struct pt_regs *regs = task_pt_regs(current);

	WARN_ON_ONCE(!irqs_disabled());
	h->vstate = current->thread.vstate;
	h->vs = regs->status & SR_VS;
	h->defer = test_and_clear_thread_flag(TIF_RISCV_V_DEFER_RESTORE);
	current->thread.vstate = cntx->vector;
	regs->status = (regs->status & ~SR_VS) | (cntx->sstatus & SR_VS);
}

/*
 * Called with interrupts on (put, uAPI flush), nothing protects the
 * registers once the binding is gone: kernel-mode vector in a softirq
 * would clobber them as the task's, before or in the middle of the
 * backend's save.  The guest's state then goes to the vCPU here, inside
 * the interrupts-off section, and is reported as taken.  With interrupts
 * off (guest entry) the registers stay live until the entry.
 */
bool gfpu_riscv_hw_v_unbind(struct gfpu_vcpu *v)
{
	struct gfpu_riscv_host_v *h;
	struct kvm_cpu_context *cntx = gfpu_cntx(v);
	struct pt_regs *regs = task_pt_regs(current);
	bool taken, irqs_on = !irqs_disabled();
	unsigned long flags, vs;

	local_irq_save(flags);
	h = this_cpu_ptr(&gfpu_riscv_host_v);
	taken = test_and_clear_thread_flag(TIF_RISCV_V_DEFER_RESTORE);
	/* What kernel_vector_begin() saved is the guest's latest state. */
	vs = taken ? SR_VS_CLEAN : regs->status & SR_VS;
	cntx->vector = current->thread.vstate;
	if (!taken && irqs_on) {
		if (vs == SR_VS_DIRTY)
			__kvm_riscv_vector_save(cntx);
		vs = SR_VS_CLEAN;
		taken = true;
	}
	cntx->sstatus = (cntx->sstatus & ~SR_VS) | vs;
	current->thread.vstate = h->vstate;
	regs->status = (regs->status & ~SR_VS) | h->vs;
	if (h->defer)
		set_thread_flag(TIF_RISCV_V_DEFER_RESTORE);
	local_irq_restore(flags);
	return taken;
}

bool gfpu_riscv_hw_v_taken(struct gfpu_vcpu *v)
{
	return test_thread_flag(TIF_RISCV_V_DEFER_RESTORE);
}

u32 gfpu_riscv_hw_vlenb(struct gfpu_vcpu *v)
{
	return riscv_v_vsize / 32;
}

/* Where register @cls/@n lives in the vCPU's memory, as KVM keeps it. */
static void *gfpu_reg_addr(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n)
{
	struct kvm_cpu_context *cntx = gfpu_cntx(v);

	switch (cls) {
	case GFPU_RISCV_F:
		return &cntx->fp.d.f[n];
	case GFPU_RISCV_FCSR:
		if (riscv_isa_extension_available(gfpu_kvm(v)->arch.isa, d))
			return &cntx->fp.d.fcsr;
		return &cntx->fp.f.fcsr;
	case GFPU_RISCV_VCSR:
		switch (n) {
		case GFPU_RISCV_VCSR_VSTART:
			return &cntx->vector.vstart;
		case GFPU_RISCV_VCSR_VL:
			return &cntx->vector.vl;
		case GFPU_RISCV_VCSR_VTYPE:
			return &cntx->vector.vtype;
		case GFPU_RISCV_VCSR_VCSR:
			return &cntx->vector.vcsr;
		default:
			return &cntx->vector.vlenb;
		}
	case GFPU_RISCV_VREG:
		return (u8 *)cntx->vector.datap + n * gfpu_riscv_hw_vlenb(v);
	case GFPU_RISCV_F32:
		/* KVM's F view: 32-bit words of struct __riscv_f_ext_state. */
		if (n == 32)
			return &cntx->fp.f.fcsr;
		return &cntx->fp.f.f[n];
	default:
		return NULL;
	}
}

void gfpu_riscv_hw_reg_get(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, void *buf, u32 size)
{
	void *reg = gfpu_reg_addr(v, cls, n);

	if (!WARN_ON_ONCE(!reg))
		memcpy(buf, reg, size);
}

void gfpu_riscv_hw_reg_set(struct gfpu_vcpu *v, unsigned int cls,
			   unsigned int n, const void *buf, u32 size)
{
	void *reg = gfpu_reg_addr(v, cls, n);

	if (!WARN_ON_ONCE(!reg))
		memcpy(reg, buf, size);
}
