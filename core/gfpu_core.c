// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu core: guest FPU ownership for KVM, common to all architectures.
 *
 * The core keeps one record per physical CPU (whose FP/SIMD state is live
 * in its registers) and one per vCPU (inside KVM_RUN or not, loaded where,
 * which policy).  Every hook asserts its calling context, revalidates
 * ownership where the host may have taken the registers, and hands the
 * state movement to the arch backend.
 *
 * Invariants (checked with GFPU_DEBUG_WARN_ON() under CONFIG_GFPU_DEBUG,
 * proven by the userspace model):
 *  - a CPU's owner is GUEST only while that vCPU's state is the latest copy
 *    and sits in this CPU's registers;
 *  - a vCPU is loaded on at most one CPU and a CPU has at most one loaded
 *    vCPU; a CPU's record names a vCPU only while it is loaded there;
 *  - gfpu_guest_enter() and gfpu_exit_sync() pair up with interrupts off,
 *    and gfpu_lazy_trap() only happens between them;
 *  - KVM passes its vcpu->scheduled_out as sched_in and sched_out:
 *    kvm_sched_out() sets it before the put and kvm_sched_in() clears it
 *    after the load, so a load sees sched_in exactly when the previous
 *    put was a sched_out.
 */
#define pr_fmt(fmt) "gfpu: " fmt

#include "gfpu_core.h"
#include "gfpu_trace.h"

/* === Data ============================================================= */

DEFINE_PER_CPU(struct gfpu_cpu, gfpu_cpus);

/* Written by gfpu_set_policy(), read once per KVM_RUN by gfpu_run_enter(). */
static unsigned int gfpu_global_policy;

/* === Internals ======================================================== */

/*
 * The host may have taken the registers since the last hook: a context
 * switch saved them, or kernel-mode FP saved and clobbered them.  Either
 * way the state went to where the host's own tracking sends it (the task,
 * or the vCPU it was bound to), so the registers are simply nobody's now.
 */
static __always_inline void gfpu_revalidate(struct gfpu_vcpu *v,
					    struct gfpu_cpu *c)
{
	if (c->owner == GFPU_OWNER_NONE)
		return;
	if (c->vcpu == v && gfpu_arch_still_live(v, c))
		return;
	if (c->vcpu == v) {
		v->stats->steals++;
		gfpu_arch_stolen(v, c);
	}
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
}

/* @arg: the hook's flag, for the trace (gfpu_trace.h). */
static __always_inline void gfpu_count_hook(struct gfpu_vcpu *v,
					    enum gfpu_hook hook,
					    unsigned int arg)
{
	trace_gfpu_hook(v, hook, arg);
	v->stats->hooks[hook]++;
}

/* === Public interface: lifecycle ====================================== */

int gfpu_vcpu_init(struct gfpu_vcpu *v, struct gfpu_stats *stats)
{
	int ret;

	might_sleep();
	v->stats = stats;
	v->policy = gfpu_policy();
	stats->policy = v->policy;
	ret = gfpu_arch_vcpu_init(v);
	if (ret)
		return ret;
	ret = gfpu_track_vcpu(v);
	if (ret)
		gfpu_arch_vcpu_destroy(v);
	return ret;
}

void gfpu_vcpu_destroy(struct gfpu_vcpu *v)
{
	int cpu;

	might_sleep();
	GFPU_WARN_ON(v->in_run || v->loaded);
	/* Racy read of other CPUs' records: only to catch a dangling one. */
	for_each_possible_cpu(cpu) {
		struct gfpu_cpu *c = per_cpu_ptr(&gfpu_cpus, cpu);

		GFPU_WARN_ON(READ_ONCE(c->vcpu) == v ||
			     READ_ONCE(c->loaded) == v);
	}
	gfpu_untrack_vcpu(v);
	gfpu_arch_vcpu_destroy(v);
}

/* === Public interface: the run loop =================================== */

/*
 * The run loop's hooks are __flatten: the kernel builds the core, the
 * backend and its hardware layer as one unit (gfpu_build.c), and each
 * hook then inlines its whole path through them instead of calling the
 * backend and the primitives, a call (and the records reloaded after it)
 * at each step on every hook of every KVM_RUN.
 */

__flatten int gfpu_run_enter(struct gfpu_vcpu *v, bool pid_changed)
{
	int ret;

	/*
	 * Preemptible, not "may sleep": nothing here sleeps, and the
	 * assertion costs nothing without lockdep, on every KVM_RUN.
	 */
	lockdep_assert_preemption_enabled();
	if (GFPU_WARN_ON(v->in_run || v->loaded))
		return -EINVAL;
	v->policy = gfpu_policy();
	v->stats->policy = v->policy;
	gfpu_count_hook(v, GFPU_HOOK_RUN_ENTER, pid_changed);
	ret = gfpu_arch_run_enter(v, pid_changed);
	if (ret)
		return ret;
	v->in_run = true;
	return 0;
}

__flatten void gfpu_vcpu_load(struct gfpu_vcpu *v, bool sched_in)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(preemptible());
	c = gfpu_this_cpu();
	/*
	 * Nothing to revalidate: the last put here left the record empty,
	 * and only a loaded vCPU's hooks fill it.
	 */
	GFPU_DEBUG_WARN_ON(c->loaded || v->loaded);
	GFPU_DEBUG_WARN_ON(c->owner != GFPU_OWNER_NONE);
	gfpu_count_hook(v, GFPU_HOOK_LOAD, sched_in);
	/* Pairs with the READ_ONCE() in gfpu_vcpu_destroy(). */
	WRITE_ONCE(c->loaded, v);
	v->loaded = true;
	gfpu_arch_load(v, c, sched_in);
}

__flatten void gfpu_guest_enter(struct gfpu_vcpu *v)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(!irqs_disabled());
	c = gfpu_this_cpu();
	GFPU_DEBUG_WARN_ON(c->loaded != v || !v->in_run || v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_GUEST_ENTER, 0);
	gfpu_revalidate(v, c);
	gfpu_arch_guest_enter(v, c);
	v->in_guest = true;
}

__flatten void gfpu_guest_regs(struct gfpu_vcpu *v)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(preemptible());
	c = gfpu_this_cpu();
	GFPU_DEBUG_WARN_ON(c->loaded != v || !v->in_run || v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_GUEST_REGS, 0);
	gfpu_revalidate(v, c);
	gfpu_arch_guest_regs(v, c);
}

__flatten void gfpu_lazy_trap(struct gfpu_vcpu *v)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(!irqs_disabled());
	c = gfpu_this_cpu();
	GFPU_DEBUG_WARN_ON(!v->in_guest || c->loaded != v);
	GFPU_DEBUG_WARN_ON(c->owner == GFPU_OWNER_GUEST);
	gfpu_count_hook(v, GFPU_HOOK_LAZY_TRAP, 0);
	v->stats->traps++;
	gfpu_arch_lazy_trap(v, c);
	/*
	 * The guest's state is live now, or the hardware handed the trap
	 * back after the host's save and the guest retries into a new one.
	 */
	GFPU_DEBUG_WARN_ON(c->owner == GFPU_OWNER_HOST);
}

__flatten void gfpu_exit_sync(struct gfpu_vcpu *v, unsigned int exit_flags)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(!irqs_disabled());
	c = gfpu_this_cpu();
	GFPU_DEBUG_WARN_ON(!v->in_guest || c->loaded != v);
	gfpu_count_hook(v, GFPU_HOOK_EXIT_SYNC, exit_flags);
	v->in_guest = false;
	gfpu_arch_exit_sync(v, c, exit_flags);
}

__flatten void gfpu_vcpu_put(struct gfpu_vcpu *v, bool sched_out)
{
	struct gfpu_cpu *c;

	GFPU_DEBUG_WARN_ON(preemptible());
	c = gfpu_this_cpu();
	GFPU_DEBUG_WARN_ON(c->loaded != v || v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_PUT, sched_out);
	if (sched_out && v->in_run)
		v->stats->preempted++;
	gfpu_revalidate(v, c);
	gfpu_arch_put(v, c, sched_out);
	/*
	 * A record names a vCPU only while it is loaded here: once put, the
	 * vCPU may migrate or be freed.  Whatever is still live stays with
	 * the host's own tracking (x86: the guest fpstate is current's until
	 * swapped out), and the next load or entry rebuilds the record.
	 */
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
	WRITE_ONCE(c->loaded, NULL);
	v->loaded = false;
}

__flatten void gfpu_run_exit(struct gfpu_vcpu *v)
{
	lockdep_assert_preemption_enabled();
	GFPU_DEBUG_WARN_ON(!v->in_run || v->loaded);
	gfpu_count_hook(v, GFPU_HOOK_RUN_EXIT, 0);
	gfpu_arch_run_exit(v);
	v->in_run = false;
}

/* === Public interface: features and uAPI state ======================== */

int gfpu_feature_change(struct gfpu_vcpu *v, const struct gfpu_feature *f)
{
	might_sleep();
	GFPU_WARN_ON(v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_FEATURE, 0);
	return gfpu_arch_feature_change(v, f);
}

/* Make the in-memory copy of the guest's state the latest one. */
static void gfpu_flush_if_live(struct gfpu_vcpu *v)
{
	struct gfpu_cpu *c;

	preempt_disable();
	c = gfpu_this_cpu();
	gfpu_revalidate(v, c);
	if (c->owner == GFPU_OWNER_GUEST && c->vcpu == v)
		gfpu_arch_flush_guest(v, c);
	preempt_enable();
}

int gfpu_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	might_sleep();
	GFPU_WARN_ON(v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_GET, 0);
	if (gfpu_arch_state_in_regs(id))
		gfpu_flush_if_live(v);
	return gfpu_arch_get_state(v, id, buf, size);
}

int gfpu_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	might_sleep();
	GFPU_WARN_ON(v->in_guest);
	gfpu_count_hook(v, GFPU_HOOK_SET, 0);
	if (gfpu_arch_state_in_regs(id))
		gfpu_flush_if_live(v);
	return gfpu_arch_set_state(v, id, buf, size);
}

/* === Public interface: policy and counters ============================ */

enum gfpu_owner gfpu_cpu_owner(void)
{
	GFPU_WARN_ON(preemptible());
	return gfpu_this_cpu()->owner;
}

const struct gfpu_stats *gfpu_vcpu_stats(const struct gfpu_vcpu *v)
{
	return v->stats;
}

unsigned int gfpu_policy(void)
{
	/* Pairs with the WRITE_ONCE() in gfpu_set_policy(). */
	return READ_ONCE(gfpu_global_policy);
}

int gfpu_set_policy(unsigned int policy)
{
	if (policy & ~GFPU_POLICY_MASK)
		return -EINVAL;
	/* One point that moves the host's state at a time. */
	if ((policy & GFPU_POLICY_SWAP_ENTRY) &&
	    (policy & (GFPU_POLICY_SWAP_LOADPUT | GFPU_POLICY_LAZY_HOST)))
		return -EINVAL;
	WRITE_ONCE(gfpu_global_policy, policy);
	return 0;
}
