/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vCPU thread's life, common to both simulators: entering and leaving
 * KVM_RUN, being preempted by the other task of its CPU, migrating to the
 * other CPU, kernel-mode FP in a softirq.  Included by sim_<arch>.c after
 * it has defined: struct sim_task and the world w (w.vmm, w.other[],
 * w.v), cpu(), switch_out(), switch_in(), ret_to_user(), kernel_fp(),
 * other_task_ret() (the other task returns to userspace) and
 * other_task_fp() (it does, and uses FP).
 */
#ifndef _GFPU_MODEL_SIM_THREAD_H
#define _GFPU_MODEL_SIM_THREAD_H

/* A vCPU ioctl other than KVM_RUN is running (x86 loads the vCPU). */
#ifndef sim_in_ioctl
#define sim_in_ioctl()	false
#endif

/*
 * Replay only (model -r): the thread is in a syscall's kernel part before
 * its first hook (KVM_RUN's run_enter, an ioctl's vcpu_load()), where a
 * preemption or kernel FP does not return to userspace before the hook
 * (mc.in_syscall, until that hook).
 */
void sim_replay_syscall(void)
{
	if (mc.phase != PH_USER)
		model_fail("replay: a syscall entry outside userspace");
	mc.in_syscall = true;
}

/* The return to userspace, unless a syscall or an ioctl goes on. */
static void ret_to_user_unless_in_kernel(void)
{
	if (!mc.in_syscall && !sim_in_ioctl())
		ret_to_user();
}

/*
 * kvm_sched_out(): a preempt notifier, run with interrupts off, from
 * vcpu_load() to vcpu_put().
 */
static void put_in_run(void)
{
	if (mc.phase != PH_KERNEL && !sim_in_ioctl())
		return;
	preempt_disable();
	model_irq_off();
	gfpu_vcpu_put(w.v, true);
	model_irq_on();
	preempt_enable();
}

static void load_in_run_or_return(void)
{
	if (mc.phase != PH_KERNEL && !sim_in_ioctl()) {
		ret_to_user_unless_in_kernel();
		return;
	}
	preempt_disable();
	gfpu_vcpu_load(w.v, true);
	preempt_enable();
}

/* vcpu_put(): KVM unregisters its preempt notifier after the put hook. */
#ifndef sim_vcpu_unloaded
#define sim_vcpu_unloaded()	do { } while (0)
#endif

static void run_exit(void)
{
	preempt_disable();
	gfpu_vcpu_put(w.v, false);
	sim_vcpu_unloaded();
	preempt_enable();
	gfpu_run_exit(w.v);
	ret_to_user();
}

/*
 * What the task that preempts the vCPU thread does: a kernel thread
 * leaves the registers alone; a user task returns to userspace, where
 * its state is loaded, and then uses FP or never does.
 */
enum sim_other {
	OTHER_KTHREAD,
	OTHER_USER,
	OTHER_FP,
};

/* The vCPU thread is preempted on its CPU by that CPU's other task. */
static void preempt(enum sim_other what)
{
	struct sim_task *o = &w.other[mc.cur_cpu];

	put_in_run();
	switch_out();
	switch_in(o);
	if (what == OTHER_FP)
		other_task_fp(o);
	else if (what == OTHER_USER)
		other_task_ret(o);
	switch_out();
	switch_in(&w.vmm);
	load_in_run_or_return();
}

static void ev_preempt(void)
{
	preempt(OTHER_FP);
}

static void ev_preempt_user(void)
{
	preempt(OTHER_USER);
}

static void ev_preempt_nofp(void)
{
	preempt(OTHER_KTHREAD);
}

/* The vCPU thread moves to the other CPU, whose other task steps aside. */
static void ev_migrate(void)
{
	int to = !mc.vcpu_cpu;

	put_in_run();
	switch_out();
	switch_in(&w.other[mc.cur_cpu]);
	mc.cur_cpu = mc.vcpu_cpu = to;
	switch_out();
	switch_in(&w.vmm);
	load_in_run_or_return();
}

static void ev_softirq(void)
{
	kernel_fp();
	if (mc.phase == PH_USER)
		ret_to_user_unless_in_kernel();
}

/* What KVM does before each entry with interrupts on, per arch. */
#ifndef sim_before_entry
#define sim_before_entry()	do { } while (0)
#endif

static void ev_k_enter(void)
{
	sim_before_entry();
	model_irq_off();
	gfpu_guest_enter(w.v);
	cpu()->guest_mode = true;
	mc.phase = PH_GUEST;
}

static void ev_k_exit_run(void)
{
	run_exit();
}

/* The thread's events, the same on every arch, for sim_events[]. */
#define SIM_THREAD_EVENTS						\
	{ "preempt",	PH_HOST, EV_CORE,	NULL,	ev_preempt },		\
	{ "preempt_nofp", PH_HOST, 0,		NULL,	ev_preempt_nofp },	\
	{ "preempt_user", PH_HOST, 0,		NULL,	ev_preempt_user },	\
	{ "migrate",	PH_HOST, EV_CORE,	NULL,	ev_migrate },		\
	{ "softirq",	PH_HOST, EV_CORE,	NULL,	ev_softirq },		\
	{ "k_enter",	PH(PH_KERNEL), EV_CORE,	NULL,	ev_k_enter },		\
	{ "k_exit_run",	PH(PH_KERNEL), EV_CORE,	NULL,	ev_k_exit_run }

/* Named scenarios for the accounting table; the same events on both arches. */
static const char *const sc_idle[] = {
	"u_run", "[", "k_enter", "g_exit", "]", "k_exit_run", NULL };
static const char *const sc_busy[] = {
	"u_run", "[", "k_enter", "g_fp", "g_exit", "]", "k_exit_run", NULL };
/*
 * Each exit followed by two KVM_RUNs that return before entering the
 * guest, as the KVM selftest library's get_ucall() makes them on x86
 * (immediate_exit), and as a VMM's signal kicks do.
 */
static const char *const sc_noentry[] = {
	"[", "u_run", "k_enter", "g_fp", "g_exit", "k_exit_run",
	"u_run", "k_exit_run", "u_run", "k_exit_run", "]", NULL };
static const char *const sc_vmm[] = {
	"[", "u_fp", "u_run", "k_enter", "g_fp", "g_exit", "k_exit_run", "]",
	NULL };
static const char *const sc_preempt[] = {
	"u_run", "[", "k_enter", "g_fp", "g_exit", "preempt", "]",
	"k_exit_run", NULL };
static const char *const sc_nofp[] = {
	"u_run", "[", "k_enter", "g_fp", "g_exit", "preempt_nofp", "]",
	"k_exit_run", NULL };
static const char *const sc_softirq[] = {
	"u_run", "[", "k_enter", "g_fp", "g_exit", "softirq", "]",
	"k_exit_run", NULL };

const struct model_scenario sim_scenarios[] = {
	{ "exit storm, guest FP idle",		sc_idle,	50 },
	{ "exit storm, guest FP busy",		sc_busy,	50 },
	{ "exits, 2 runs without entry each",	sc_noentry,	20 },
	{ "VMM FP between runs",		sc_vmm,		20 },
	{ "preempted by an FP task",		sc_preempt,	20 },
	{ "preempted by a non-FP task",		sc_nofp,	20 },
	{ "kernel-mode FP in softirq",		sc_softirq,	20 },
};
const int sim_nr_scenarios = ARRAY_SIZE(sim_scenarios);

#endif /* _GFPU_MODEL_SIM_THREAD_H */
