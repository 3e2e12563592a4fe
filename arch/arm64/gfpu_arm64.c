// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu arm64 backend: FPSIMD/SVE ownership on top of the host's fpsimd
 * context tracking, as commit e6b673b741ea ("KVM: arm64: Optimise FPSIMD
 * handling to reduce guest/host thrashing") built it, with what upstream
 * learnt since.
 *
 * The guest's state is restored lazily, on the first trapped guest FP/SVE
 * access.  The host's state is saved either eagerly at vcpu load
 * (default; upstream since "KVM: arm64: Unconditionally save+flush host
 * FPSIMD/SVE/SME state", 2025), at the run's first guest entry
 * (GFPU_POLICY_SWAP_ENTRY: a KVM_RUN that never enters the guest, such as
 * the one that completes an MMIO exit, saves nothing), or lazily in that
 * same trap (the design from 2018 to 2025, GFPU_POLICY_LAZY_HOST).
 * After every exit with the guest's state live,
 * the state is bound to the CPU before interrupts come back, so that
 * kernel-mode NEON in a softirq saves it into the vCPU, not over the task.
 *
 * Owner and host tracking, per CPU:
 *   NONE  - TIF_FOREIGN_FPSTATE is set for the vCPU task: nothing live.
 *   HOST  - lazy and entry policies: the vCPU task's own state, bound to it
 *           (entry: only until the guest entry saves it).
 *   GUEST - the vCPU's state, bound to the CPU once gfpu_exit_sync() ran.
 * Anything that takes the registers (context switch, kernel_neon_begin)
 * saves what is bound and sets TIF_FOREIGN_FPSTATE, which is what
 * gfpu_arch_still_live() reads.
 */
#include "gfpu_core.h"
#include "gfpu_arm64_hw.h"

int gfpu_arch_vcpu_init(struct gfpu_vcpu *v)
{
	v->arch.bound_cpu = -1;
	return 0;
}

void gfpu_arch_vcpu_destroy(struct gfpu_vcpu *v)
{
	gfpu_arm64_hw_alloc_sve(v, 0);
}

/*
 * gfpu.policy= is parsed before the CPU capabilities are final, so
 * gfpu_set_policy() may have taken a policy that turned out not to be
 * offered here (lazy-host or entry on an SME host, keep-bound under pKVM).
 * Check again where the run latches the policy, and fall back there.
 */
static void gfpu_arm64_drop_unsupported(struct gfpu_vcpu *v,
					unsigned int unsupported)
{
	if (unsupported & GFPU_POLICY_LAZY_HOST)
		pr_warn_once("gfpu: lazy-host not supported on this host, using eager host save\n");
	if (unsupported & GFPU_POLICY_SWAP_ENTRY)
		pr_warn_once("gfpu: entry not supported on this host, using eager host save\n");
	if (unsupported & GFPU_POLICY_KEEP_BOUND)
		pr_warn_once("gfpu: keep-bound not supported under pKVM, not used\n");
	v->policy &= ~unsupported;
}

int gfpu_arch_run_enter(struct gfpu_vcpu *v, bool pid_changed)
{
	unsigned int unsupported = v->policy & ~gfpu_hw_supported_policies();
	int ret = 0;

	if (unsupported)
		gfpu_arm64_drop_unsupported(v, unsupported);
	v->arch.bound_cpu = -1;
	if (pid_changed)
		ret = gfpu_arm64_hw_map_host(v);
	return ret;
}

bool gfpu_arch_still_live(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	return gfpu_arm64_hw_regs_live();
}

/*
 * kernel_neon_begin() (from a softirq: a context switch goes through the
 * put first) saved what was bound: the guest's state once bound at exit,
 * or under the lazy policy the task's own.  It saves only while
 * TIF_FOREIGN_FPSTATE is clear and then sets it, so once per steal.
 */
void gfpu_arch_stolen(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	gfpu_count_xfer(v, gfpu_arm64_hw_stolen(v,
						c->owner == GFPU_OWNER_GUEST));
}

/*
 * Keep-bound policy, at a sched_in load: the sched_out put left the
 * guest's state bound, the context switch saved it, and if nothing was
 * loaded on this CPU since (a kernel thread or the idle task ran, or a
 * task that stayed in the kernel), the registers still hold it: bind it
 * again instead of reloading it at the next trap.  Any load, save or
 * kernel-mode NEON in between changed or flushed the binding, and a run
 * on another CPU moved @bound_cpu.
 */
static bool gfpu_arm64_take_back(struct gfpu_vcpu *v, struct gfpu_cpu *c,
				 bool sched_in)
{
	if (!sched_in || !gfpu_policy_has(v, GFPU_POLICY_KEEP_BOUND) ||
	    v->arch.bound_cpu != gfpu_arm64_hw_cpu() ||
	    !gfpu_arm64_hw_guest_rebind(v, gfpu_arm64_hw_sve_vl(v)))
		return false;
	v->stats->kept++;
	gfpu_set_owner(c, GFPU_OWNER_GUEST, v);
	return true;
}

void gfpu_arch_load(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_in)
{
	if (!v->in_run)
		return;
	if (gfpu_arm64_take_back(v, c, sched_in))
		return;
	v->arch.bound_cpu = -1;

	if (gfpu_policy_has(v, GFPU_POLICY_LAZY_HOST | GFPU_POLICY_SWAP_ENTRY)) {
		/*
		 * Leave the host's state live and bound: the trap (lazy) or
		 * the first guest entry (entry) saves it if needed.  The
		 * binding is the task's own, so nothing else can come back
		 * to stale registers; anything else bound is flushed below.
		 */
		if (c->owner == GFPU_OWNER_NONE && gfpu_arm64_hw_regs_live() &&
		    (gfpu_policy_has(v, GFPU_POLICY_SWAP_ENTRY) ||
		     gfpu_arm64_hw_lazy_host_ok(v))) {
			v->arch.host_sve = gfpu_arm64_hw_host_sve();
			gfpu_set_owner(c, GFPU_OWNER_HOST, v);
		}
		if (c->owner == GFPU_OWNER_HOST)
			return;
	}

	/*
	 * The guest will clobber the registers and VM exit rewrites the EL0
	 * SVE trap, so nothing may stay bound to this CPU: a task whose
	 * binding survived would return to userspace with guest values and
	 * the wrong trap.  The host's own state needs saving only at the
	 * first load of a run; on sched_in it is still in memory from then,
	 * since nothing in KVM_RUN reloads it (KVM's vcpu->scheduled_out).
	 */
	if (sched_in)
		gfpu_arm64_hw_flush_cpu();
	else
		gfpu_count_xfer(v, gfpu_arm64_hw_save_flush(v, false));
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
}

void gfpu_arch_guest_enter(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	/*
	 * Entry policy: the host's state is still live (nothing took it
	 * since the load): save it and unbind it now, as the eager load
	 * would have, with interrupts off so that nothing rebinds it
	 * before the guest runs.
	 */
	if (c->owner == GFPU_OWNER_HOST &&
	    gfpu_policy_has(v, GFPU_POLICY_SWAP_ENTRY)) {
		gfpu_count_xfer(v, gfpu_arm64_hw_save_flush(v, false));
		gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
	}
	/* Whatever is not the guest's stays behind the trap. */
	gfpu_arm64_hw_set_trap(c->owner);
}

/* KVM/arm64 never emulates FP instructions: nothing uses them in place. */
void gfpu_arch_guest_regs(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	GFPU_WARN_ON(1);
}

void gfpu_arch_lazy_trap(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	struct gfpu_xfer x;

	if (c->owner == GFPU_OWNER_HOST) {
		/*
		 * Lazy host save.  The size must follow the task's TIF_SVE,
		 * or SVE state is cut down to FPSIMD while TIF_SVE still says
		 * the task's SVE copy is valid (the bug upstream removed lazy
		 * host save for).
		 */
		gfpu_count_xfer(v, gfpu_arm64_hw_host_save(v, v->arch.host_sve));
		gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
	}
	x = gfpu_arm64_hw_guest_restore(v, gfpu_arm64_hw_sve_vl(v));
	gfpu_count_xfer(v, x);
	if (!x.restores) {
		/* The guest retries and traps again, with nothing live. */
		gfpu_arm64_hw_set_trap(GFPU_OWNER_NONE);
		return;
	}
	gfpu_arm64_hw_set_trap(GFPU_OWNER_GUEST);
	gfpu_set_owner(c, GFPU_OWNER_GUEST, v);
}

void gfpu_arch_exit_sync(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			 unsigned int exit_flags)
{
	if (c->owner != GFPU_OWNER_GUEST)
		return;
	gfpu_arm64_hw_guest_bind(v, gfpu_arm64_hw_sve_vl(v));
	v->arch.bound_cpu = gfpu_arm64_hw_cpu();
}

void gfpu_arch_flush_guest(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	v->arch.bound_cpu = -1;
	gfpu_count_xfer(v, gfpu_arm64_hw_save_flush(v, true));
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
}

void gfpu_arch_put(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_out)
{
	switch (c->owner) {
	case GFPU_OWNER_GUEST:
		if (sched_out && gfpu_policy_has(v, GFPU_POLICY_KEEP_BOUND)) {
			/*
			 * Left bound (since gfpu_exit_sync()): the context
			 * switch that follows saves it, and the sched_in may
			 * take it back.  Hyp traps again until then.
			 */
			gfpu_count_xfer(v, gfpu_arm64_hw_stolen(v, true));
			gfpu_arm64_hw_set_trap(GFPU_OWNER_NONE);
			break;
		}
		gfpu_arch_flush_guest(v, c);
		break;
	case GFPU_OWNER_HOST:
		/*
		 * Lazy: the guest never touched FP, so the host's state is
		 * still live, but VM exit rewrote the EL0 SVE trap.  Entry:
		 * no guest entry since the load.  Rebind so the trap follows
		 * TIF_SVE again.
		 */
		gfpu_arm64_hw_host_rebind();
		/* The context switch that follows saves it. */
		if (sched_out)
			gfpu_count_xfer(v, gfpu_arm64_hw_stolen(v, false));
		gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
		v->arch.bound_cpu = -1;
		break;
	default:
		v->arch.bound_cpu = -1;
		break;
	}
}

void gfpu_arch_run_exit(struct gfpu_vcpu *v)
{
}

/*
 * KVM_ARM_VCPU_FINALIZE(SVE): allocate the storage for the vCPU's maximum
 * vector length, which KVM holds (vcpu->arch.sve_max_vl) and marks final
 * (VCPU_SVE_FINALIZED) once this succeeded.  Once final, the storage may
 * be in use by a running vCPU and never changes again.
 */
static int gfpu_arm64_set_vl(struct gfpu_vcpu *v, u64 vl)
{
	int ret;

	if (gfpu_arm64_hw_sve_finalized(v))
		return -EBUSY;
	if (vl && (vl % GFPU_SVE_VL_MIN || vl > gfpu_arm64_hw_max_vl()))
		return -EINVAL;
	ret = gfpu_arm64_hw_alloc_sve(v, vl);
	if (ret)
		return ret;
	v->stats->reallocs++;
	return 0;
}

int gfpu_arch_feature_change(struct gfpu_vcpu *v,
			     const struct gfpu_feature *f)
{
	if (f->kind != GFPU_FEAT_SVE_VL)
		return -EINVAL;
	return gfpu_arm64_set_vl(v, f->value);
}

/*
 * Size of register @id for this vCPU; -ENOENT when the vCPU has no such
 * register, -EINVAL when it exists but cannot be reached this way.
 */
static int gfpu_arm64_reg_size(struct gfpu_vcpu *v, u64 id)
{
	unsigned int cls = GFPU_ARM64_REG_CLASS(id);
	unsigned int n = GFPU_ARM64_REG_NUM(id);
	u32 vl = gfpu_arm64_hw_sve_vl(v);

	switch (cls) {
	case GFPU_ARM64_V:
		if (n >= 32)
			return -ENOENT;
		/* With SVE, V is only reachable as the low bits of Z. */
		return vl ? -EINVAL : 16;
	case GFPU_ARM64_FPSR:
	case GFPU_ARM64_FPCR:
		return n ? -ENOENT : 4;
	case GFPU_ARM64_Z:
		return vl && n < 32 ? (int)vl : -ENOENT;
	case GFPU_ARM64_P:
		return vl && n < 16 ? (int)vl / 8 : -ENOENT;
	case GFPU_ARM64_FFR:
		return vl && !n ? (int)vl / 8 : -ENOENT;
	default:
		return -ENOENT;
	}
}

/* Every arm64 id is a register (FPSR and FPCR included). */
bool gfpu_arch_state_in_regs(u64 id)
{
	return true;
}

int gfpu_arch_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	int ret = gfpu_reg_check(gfpu_arm64_reg_size(v, id), size);

	if (ret < 0)
		return ret;
	gfpu_arm64_hw_reg_get(v, GFPU_ARM64_REG_CLASS(id),
			      GFPU_ARM64_REG_NUM(id), buf, size);
	return ret;
}

int gfpu_arch_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	int ret = gfpu_reg_check(gfpu_arm64_reg_size(v, id), size);

	if (ret < 0)
		return ret;
	gfpu_arm64_hw_reg_set(v, GFPU_ARM64_REG_CLASS(id),
			      GFPU_ARM64_REG_NUM(id), buf, size);
	return 0;
}
