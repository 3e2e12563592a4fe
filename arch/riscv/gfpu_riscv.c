// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu riscv backend: F/D and V state of a vCPU on the sstatus dirty bits.
 *
 * The guest's sstatus.FS and sstatus.VS are the evidence of what its
 * registers hold: its unit is restored unless that field is Off and saved
 * only when it is Dirty, after which it is Clean.  Two designs:
 *
 *   eager (default, 6.12 KVM): the guest's units are restored at vcpu load
 *	and saved at put;
 *   GFPU_POLICY_RISCV_LAZY: the guest's FS and VS are held Off until its
 *	first FP or vector instruction traps (an illegal instruction exit to
 *	the host), which restores both units and lets it retry.
 *
 * The host task's state is never the framework's: the host's own tracking
 * (its user status's FS/VS, TIF_RISCV_V_DEFER_RESTORE) saves it when the
 * guest's state comes in, and brings it back.  Kernel-mode vector may run
 * in a softirq whenever host interrupts are on inside KVM_RUN; the guest's
 * live vector state is then bound to the vCPU task, so that it is saved
 * into the vCPU, never over the task's.  No host code uses FP between VM
 * exit and entry (riscv's kernel_fpu_begin() is for process context), so
 * the guest's FP state stays live there unbound.
 *
 * Owner, per CPU: NONE - nothing of the guest's is live; GUEST - some unit
 * of the vCPU's is live (@arch.live), its vector state bound outside guest
 * mode.  HOST is never used.
 */
#include "gfpu_core.h"
#include "gfpu_riscv_hw.h"

int gfpu_arch_vcpu_init(struct gfpu_vcpu *v)
{
	return 0;
}

void gfpu_arch_vcpu_destroy(struct gfpu_vcpu *v)
{
}

int gfpu_arch_run_enter(struct gfpu_vcpu *v, bool pid_changed)
{
	return 0;
}

static bool gfpu_riscv_lazy(const struct gfpu_vcpu *v)
{
	return gfpu_policy_has(v, GFPU_POLICY_RISCV_LAZY);
}

static bool gfpu_riscv_any_live(const struct gfpu_vcpu *v)
{
	return v->arch.live[GFPU_RISCV_FP] || v->arch.live[GFPU_RISCV_V];
}

/* Kernel-mode vector took the bound registers: the guest's V is not live. */
bool gfpu_arch_still_live(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	return !(v->arch.v_bound && gfpu_riscv_hw_v_taken(v));
}

/*
 * riscv's primitives are not counted (kernel/patches/6.12-count): its
 * stats are gfpu's own transfers, and kernel-mode vector's save of the
 * bound state is only a steal.
 */
void gfpu_arch_stolen(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
}

/* Give the guest back the FS and VS that the lazy trap held Off. */
static void gfpu_riscv_disarm(struct gfpu_vcpu *v)
{
	enum gfpu_riscv_unit u;

	if (!v->arch.armed)
		return;
	for (u = GFPU_RISCV_FP; u < GFPU_RISCV_NR_UNITS; u++)
		gfpu_riscv_hw_set_status(v, u, v->arch.held[u]);
	v->arch.armed = false;
}

/* Hold the guest's FS and VS Off so its first use traps. */
static void gfpu_riscv_arm(struct gfpu_vcpu *v)
{
	enum gfpu_riscv_unit u;
	bool any = false;

	if (v->arch.armed || gfpu_riscv_any_live(v))
		return;
	for (u = GFPU_RISCV_FP; u < GFPU_RISCV_NR_UNITS; u++) {
		v->arch.held[u] = gfpu_riscv_hw_status(v, u);
		any |= v->arch.held[u] != GFPU_RISCV_OFF;
	}
	if (!any)
		return;
	for (u = GFPU_RISCV_FP; u < GFPU_RISCV_NR_UNITS; u++)
		gfpu_riscv_hw_set_status(v, u, GFPU_RISCV_OFF);
	v->arch.armed = true;
}

/* Take the guest's vector state back from the vCPU task. */
static void gfpu_riscv_unbind(struct gfpu_vcpu *v)
{
	if (!v->arch.v_bound)
		return;
	v->arch.v_bound = false;
	if (gfpu_riscv_hw_v_unbind(v))
		v->arch.live[GFPU_RISCV_V] = false;
}

/*
 * Restore every unit of the guest's that is not Off and not live yet,
 * after the host task's own save; @bind: host interrupts come on before
 * the guest runs.
 *
 * A unit the vCPU does not have is turned Off instead, so the guest's
 * use of it traps: 6.12 resets only FS when userspace changes the ISA
 * (ONE_REG ISA_EXT, before the first run), and a vCPU created with V
 * and then denied it would keep VS Initial and run vector code on
 * registers that nobody saves for it.
 */
static void gfpu_riscv_restore(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			       bool bind)
{
	enum gfpu_riscv_unit u;

	gfpu_riscv_disarm(v);
	for (u = GFPU_RISCV_FP; u < GFPU_RISCV_NR_UNITS; u++) {
		if (!gfpu_riscv_hw_has(v, u))
			gfpu_riscv_hw_set_status(v, u, GFPU_RISCV_OFF);
		if (v->arch.live[u] ||
		    gfpu_riscv_hw_status(v, u) == GFPU_RISCV_OFF)
			continue;
		if (!v->arch.host_saved) {
			gfpu_count_xfer(v, gfpu_riscv_hw_host_save(v));
			v->arch.host_saved = true;
		}
		gfpu_count_xfer(v, gfpu_riscv_hw_guest_restore(v, u, bind &&
							       u == GFPU_RISCV_V));
		gfpu_riscv_hw_set_status(v, u, GFPU_RISCV_CLEAN);
		v->arch.live[u] = true;
		if (bind && u == GFPU_RISCV_V)
			v->arch.v_bound = true;
	}
	if (gfpu_riscv_any_live(v) && c->owner != GFPU_OWNER_GUEST)
		gfpu_set_owner(c, GFPU_OWNER_GUEST, v);
}

/* Save what of the guest's live state is Dirty, and release it all. */
static void gfpu_riscv_save(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	enum gfpu_riscv_unit u;

	gfpu_riscv_unbind(v);
	for (u = GFPU_RISCV_FP; u < GFPU_RISCV_NR_UNITS; u++) {
		if (!v->arch.live[u])
			continue;
		if (gfpu_riscv_hw_status(v, u) == GFPU_RISCV_DIRTY) {
			gfpu_count_xfer(v, gfpu_riscv_hw_guest_save(v, u));
			gfpu_riscv_hw_set_status(v, u, GFPU_RISCV_CLEAN);
		}
		v->arch.live[u] = false;
	}
	gfpu_riscv_disarm(v);
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
}

void gfpu_arch_load(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_in)
{
	/* Outside KVM_RUN nothing of the guest's is made live. */
	if (!v->in_run || gfpu_riscv_lazy(v))
		return;
	gfpu_riscv_restore(v, c, true);
}

void gfpu_arch_guest_enter(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	bool had_v = v->arch.live[GFPU_RISCV_V];

	gfpu_riscv_unbind(v);
	if (!gfpu_riscv_lazy(v)) {
		gfpu_riscv_restore(v, c, false);
		return;
	}
	/*
	 * Kernel-mode vector took the guest's V: one trap brings back both
	 * units, so save the FP too and arm the trap again.
	 */
	if (had_v && !v->arch.live[GFPU_RISCV_V])
		gfpu_riscv_save(v, c);
	gfpu_riscv_arm(v);
}

/*
 * The guest's FP or vector instruction trapped on the Off that
 * gfpu_riscv_arm() set: bring in both units; the guest retries it.
 */
/* KVM/riscv emulates no FP or vector loads: nothing uses them in place. */
void gfpu_arch_guest_regs(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	GFPU_WARN_ON(1);
}

void gfpu_arch_lazy_trap(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	if (WARN_ON_ONCE(!v->arch.armed))
		return;
	gfpu_riscv_restore(v, c, false);
}

void gfpu_arch_exit_sync(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			 unsigned int exit_flags)
{
	if (!v->arch.live[GFPU_RISCV_V] || v->arch.v_bound)
		return;
	gfpu_riscv_hw_v_bind(v);
	v->arch.v_bound = true;
}

void gfpu_arch_flush_guest(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	gfpu_riscv_save(v, c);
}

void gfpu_arch_put(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_out)
{
	gfpu_riscv_save(v, c);
	/*
	 * Leaving KVM_RUN: the host task's FP state goes back now (riscv
	 * restores FP eagerly, at context switch; its vector state comes back
	 * on the way to userspace).  When the task is scheduled out the
	 * switch restores it.
	 */
	if (v->arch.host_saved && !sched_out)
		gfpu_count_xfer(v, gfpu_riscv_hw_host_fp_restore(v));
	v->arch.host_saved = false;
}

void gfpu_arch_run_exit(struct gfpu_vcpu *v)
{
}

int gfpu_arch_feature_change(struct gfpu_vcpu *v,
			     const struct gfpu_feature *f)
{
	return -EINVAL;
}

/*
 * A register whose unit @has, checked as KVM_REG_RISCV_FP_F and
 * KVM_REG_RISCV_VECTOR's CSRs are in 6.12: a wrong size (-EINVAL) before
 * a number that names no register (@known false: -ENOENT).
 */
static int gfpu_riscv_size_first(bool has, bool known, int reg_size, u32 size)
{
	if (!has)
		return -ENOENT;
	if (size != (u32)reg_size)
		return -EINVAL;
	return known ? reg_size : -ENOENT;
}

/*
 * Check an access of @size bytes to register @id of this vCPU, in 6.12's
 * order: the unit, then the F layout and the vector CSRs their size
 * first, the others their number first.
 *
 * Return: the register's size, or -ENOENT (no such register for this
 * vCPU) or -EINVAL (a wrong size).
 */
static int gfpu_riscv_reg_check(struct gfpu_vcpu *v, u64 id, u32 size)
{
	unsigned int n = GFPU_RISCV_REG_NUM(id);
	bool fp = gfpu_riscv_hw_has(v, GFPU_RISCV_FP);
	bool vec = gfpu_riscv_hw_has(v, GFPU_RISCV_V);

	switch (GFPU_RISCV_REG_CLASS(id)) {
	case GFPU_RISCV_F:
		return gfpu_reg_check(fp && n < 32 ? 8 : -ENOENT, size);
	case GFPU_RISCV_FCSR:
		return gfpu_reg_check(fp && !n ? 4 : -ENOENT, size);
	case GFPU_RISCV_VCSR:
		return gfpu_riscv_size_first(vec, n < GFPU_RISCV_NR_VCSRS, 8,
					     size);
	case GFPU_RISCV_VREG:
		return gfpu_reg_check(vec && n < 32 ?
				      (int)gfpu_riscv_hw_vlenb(v) : -ENOENT,
				      size);
	case GFPU_RISCV_F32:
		return gfpu_riscv_size_first(fp, n <= 32, 4, size);
	default:
		return -ENOENT;
	}
}

/* Every riscv id is register state. */
bool gfpu_arch_state_in_regs(u64 id)
{
	return true;
}

int gfpu_arch_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	int ret = gfpu_riscv_reg_check(v, id, size);

	if (ret < 0)
		return ret;
	gfpu_riscv_hw_reg_get(v, GFPU_RISCV_REG_CLASS(id),
			      GFPU_RISCV_REG_NUM(id), buf, size);
	return ret;
}

int gfpu_arch_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	int ret = gfpu_riscv_reg_check(v, id, size);
	u64 vlenb;

	if (ret < 0)
		return ret;
	if (id == GFPU_RISCV_REG(GFPU_RISCV_VCSR, GFPU_RISCV_VCSR_VLENB)) {
		/* Read-only: only the value it has is accepted. */
		memcpy(&vlenb, buf, sizeof(vlenb));
		return vlenb == gfpu_riscv_hw_vlenb(v) ? 0 : -EINVAL;
	}
	gfpu_riscv_hw_reg_set(v, GFPU_RISCV_REG_CLASS(id),
			      GFPU_RISCV_REG_NUM(id), buf, size);
	return 0;
}
