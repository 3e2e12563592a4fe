// SPDX-License-Identifier: GPL-2.0
/*
 * compare - the design comparison's workloads, on any kernel.
 *
 * Each scenario runs vCPUs that exit to userspace (GUEST_SYNC) EXITS
 * times each, with the host doing something between or during the runs,
 * and prints one line:
 *
 *   compare: scenario=NAME vcpus=N exits=E ns=T saves=S restores=R bytes=B traps=P psaves=S' prestores=R' pbytes=B'
 *
 * E is the exits of all vCPUs, T the wall time of the whole batch in
 * nanoseconds (CLOCK_MONOTONIC), S, R, B, P the growth of the vCPUs'
 * gfpu_saves, gfpu_restores, gfpu_bytes and gfpu_traps binary stats
 * (-1 on a kernel without gfpu), S', R', B' that of fpu_saves,
 * fpu_restores and fpu_bytes: the transfers the FP save/restore
 * primitives made while a vCPU was loaded, counted the same way in the
 * framework and the baseline kernel (kernel/patches/6.12-count; x86
 * and arm64, zero on riscv).  scripts/compare.sh boots each design and
 * the baseline, alternated, and builds the tables from these lines.
 *
 * On x86 an exit is three KVM_RUNs: the selftest library's get_ucall()
 * completes the port I/O with a KVM_RUN under immediate_exit
 * (vcpu_run_complete_io()), once from _vcpu_run()'s
 * assert_on_unhandled_exception() and once from the test's own call.
 * 6.12, run and loadput swap the fpstate in and out on each, guest
 * entered or not; entry only in the one that enters the guest.  On
 * arm64 each KVM_RUN
 * saves the VMM's registers at its first load (the eager design, and
 * 6.12).
 *
 * Where the arch counts its primitives, each scenario is also a test of
 * the framework's accounting: its stats must equal the primitives'
 * counts (S = S', R = R', B = B').  The exception is kfpu, whose
 * softirqs may save the VMM's registers in the few instructions between
 * KVM's registering its preempt notifier (where the counting starts)
 * and gfpu's load hook, or between the put hook and the unregistering:
 * there the primitives may count saves gfpu never saw, so kfpu requires
 * equal restores and the extra saves (and only saves: B' - B = their
 * bytes) to stay under a bound (KFPU_EDGE_MAX, below).  On the baseline
 * the test is that the primitives counted the transfers every KVM_RUN
 * makes: the two fpstate swaps on x86, the VMM's save on arm64.
 *
 * Scenarios: exit_idle and exit_busy (the guest does not / does write an
 * FP register before each exit); vmm_fp (the VMM uses FP between runs);
 * preempt_fp and preempt_nofp (a thread that does / does not use FP
 * shares the vCPU thread's CPU); preempt_kernel (a thread that shares it
 * from inside long reads of /dev/zero, so that the registers are mostly
 * untouched when the vCPU thread comes back); kfpu (kernel-mode FP in a softirq,
 * the torture timer, where the kernel has it); signal_fp (SIGUSR1
 * SIGNAL_US after the last handler ended, its handler uses FP); migrate (the vCPU thread moves to the
 * next CPU every MIGRATE_EVERY exits); overcommit (4 vCPU threads on 2
 * CPUs, busy guests).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs.h"

#define EXITS		2000	/* per vCPU and scenario */
#define SIGNAL_US	1000
#define TORTURE_US	200
#define MIGRATE_EVERY	50
#define MAX_VCPUS	4
#define READ_CHUNK	(16 << 20)	/* preempt_kernel's reads */

struct scenario;

struct bench {
	const struct scenario *s;
	struct kvm_vcpu *vcpu[MAX_VCPUS];
	unsigned int nr;
	bool busy;
};

struct scenario {
	const char *name;
	unsigned int vcpus;
	bool busy;
	/* Set up around the batch, on the thread that runs vCPU 0. */
	bool (*start)(struct bench *b);
	void (*stop)(struct bench *b);
	/* Between two runs of vCPU 0. */
	void (*between)(struct bench *b, unsigned long i);
	/*
	 * Something interrupts the vCPU thread at times of its own (a
	 * contender, a timer): its trace cannot always say what it did to
	 * the registers (see replay_batch()), so the replay may differ.
	 */
	bool async;
	/* Why the scenario cannot run on this kernel, or NULL. */
	const char *(*skip)(void);
};

static void guest_code(uint64_t busy)
{
	uint64_t i;

	for (i = 0;; i++) {
		if (busy)
			gfpu_guest_fp_touch(i);
		GUEST_SYNC(i);
	}
}

static void run_one(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC,
		    "vCPU %u did not sync", vcpu->id);
}

/* === What the host does ================================================ */

static volatile double vmm_acc = 1.0;

static void vmm_fp(struct bench *b, unsigned long i)
{
	vmm_acc = vmm_acc * 1.000001 + (double)i;
}

static void migrate(struct bench *b, unsigned long i)
{
	gfpu_migrate_every(i, MIGRATE_EVERY);
}

static struct gfpu_check contender = { .name = "contender" };
static volatile int spinner_stop;
static pthread_t spinner;
/* Its last thread, for replay_print() after it stopped. */
static volatile pid_t spinner_tid;

/* Shares the CPU and never touches FP: integer work, then yield. */
static void *spin_nofp(void *arg)
{
	unsigned long x = 0;
	int i;

	spinner_tid = gettid();
	while (!spinner_stop) {
		for (i = 0; i < 1000; i++)
			x = x * 31 + i;
		sched_yield();
	}
	return (void *)x;
}

static bool preempt_fp_start(struct bench *b)
{
	gfpu_preempt_begin(&contender);
	return true;
}

static void preempt_fp_stop(struct bench *b)
{
	gfpu_hammer_stop();
}

/* Pin to the first CPU and start @fn there as the contender. */
static bool contender_start(void *(*fn)(void *))
{
	TEST_ASSERT(gfpu_pin_first_cpu() >= 0, "cannot pin");
	spinner_stop = 0;
	TEST_ASSERT(!pthread_create(&spinner, NULL, fn, NULL),
		    "pthread_create");
	return true;
}

static bool preempt_nofp_start(struct bench *b)
{
	return contender_start(spin_nofp);
}

static void preempt_nofp_stop(struct bench *b)
{
	spinner_stop = 1;
	pthread_join(spinner, NULL);
}

/*
 * Shares the CPU from inside the kernel: large reads of /dev/zero
 * (clear_user(), no FP), so that most of the time it preempts the vCPU
 * thread and is preempted back it has loaded no FP state of its own.
 */
static void *read_zero(void *arg)
{
	/* Not in .bss: the selftest library loads that into the guest. */
	char *buf = malloc(READ_CHUNK);
	int fd = open("/dev/zero", O_RDONLY);

	TEST_ASSERT(fd >= 0 && buf, "open /dev/zero, buffer");
	spinner_tid = gettid();
	while (!spinner_stop)
		TEST_ASSERT(read(fd, buf, READ_CHUNK) > 0, "read /dev/zero");
	close(fd);
	free(buf);
	return NULL;
}

static bool preempt_kernel_start(struct bench *b)
{
	return contender_start(read_zero);
}

static bool kfpu_start(struct bench *b)
{
	return !gfpu_torture_set(TORTURE_US);
}

static void kfpu_stop(struct bench *b)
{
	gfpu_torture_set(0);
}

static bool signal_start(struct bench *b)
{
	gfpu_signals_start(SIGNAL_US, 0, &contender);
	return true;
}

static void signal_stop(struct bench *b)
{
	gfpu_signals_stop();
}

static bool migrate_start(struct bench *b)
{
	return gfpu_migrate_init() >= 2;
}

/*
 * x86 under QEMU's TCG (boot.sh says so on the command line): a vCPU of
 * this SMP guest at times comes back from VMRUN with its host's state in
 * its VMCB, and the guest or the host then crashes, on the framework
 * kernel and on unmodified 6.12 alike (kernel/README.md, "Known limits
 * under QEMU TCG").  Skipped, and said so.
 */
static const char *overcommit_skip(void)
{
#if defined(__x86_64__)
	if (gfpu_cmdline_has("gfpu_test.accel=tcg"))
		return "x86 under TCG: QEMU's nested SVM (kernel/README.md)";
#endif
	return NULL;
}

static const struct scenario scenarios[] = {
	{ "exit_idle", 1, false },
	{ "exit_busy", 1, true },
	{ "vmm_fp", 1, true, .between = vmm_fp },
	{ "preempt_fp", 1, true, preempt_fp_start, preempt_fp_stop,
	  .async = true },
	{ "preempt_nofp", 1, true, preempt_nofp_start, preempt_nofp_stop,
	  .async = true },
	{ "preempt_kernel", 1, true, preempt_kernel_start, preempt_nofp_stop,
	  .async = true },
	{ "kfpu", 1, true, kfpu_start, kfpu_stop, .async = true },
	{ "signal_fp", 1, true, signal_start, signal_stop, .async = true },
	{ "migrate", 1, true, migrate_start, .between = migrate },
	{ "overcommit", 4, true, .skip = overcommit_skip },
};

/* === Running a batch =================================================== */

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	int i;

	for (i = 0; i < EXITS; i++)
		run_one(vcpu);
	return NULL;
}

/* @sum += @val, where -1 (not exported) sticks. */
static void add(long *sum, long val)
{
	*sum = *sum < 0 || val < 0 ? -1 : *sum + val;
}

static void counters_sum(struct bench *b, struct gfpu_counters *sum)
{
	struct gfpu_counters c;
	unsigned int i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < b->nr; i++) {
		gfpu_counters_read(b->vcpu[i], &c);
		add(&sum->saves, c.saves);
		add(&sum->restores, c.restores);
		add(&sum->bytes, c.bytes);
		add(&sum->traps, c.traps);
		add(&sum->fpu_saves, c.fpu_saves);
		add(&sum->fpu_restores, c.fpu_restores);
		add(&sum->fpu_bytes, c.fpu_bytes);
	}
}

static long delta(long after, long before)
{
	return after < 0 || before < 0 ? -1 : after - before;
}

/*
 * RUN_XFERS: what 6.12 moves per exit at least.  KFPU_EDGE_MAX: how many
 * saves the primitives may count that gfpu cannot see, per exit, in
 * tenths.  On x86 the edges are a few instructions each.  On arm64 the
 * load edge is most of kvm_arch_vcpu_load(), which loads the vGIC, the
 * timer and the VHE state before kvm_arch_vcpu_load_fp(), and the put
 * edge most of kvm_arch_vcpu_put() (where the lazy policy leaves the
 * VMM's registers live): a softirq in either may save them, once per
 * edge at most (then they are foreign), and an exit is three KVM_RUNs
 * (as on x86).  Measured: 1473 (eager) and 1911 (lazy-host) in 2000
 * exits.  Where the guest's state has the VMM's size (here), the bytes
 * cannot tell such a save from a missed steal of the guest's: the model
 * catches that one (mutant arm64_steal_uncounted).
 */
#if defined(__x86_64__)
#define RUN_XFERS	2
#define KFPU_EDGE_MAX(policy)	((void)(policy), 1)
#elif defined(__aarch64__)
#define RUN_XFERS	1
/*
 * Eager: gfpu's put leaves nothing live, so only the load edge; lazy-host
 * and entry (bits 0 and 4) leave the VMM's registers live at the put of a
 * run that did not need them saved.
 */
#define KFPU_EDGE_MAX(policy)	((policy) & 0x11 ? 60 : 30)
#endif

#ifdef RUN_XFERS
/* arm64's protected mode (kvm-arm.mode=protected), where hyp counts nothing. */
static bool protected_kvm(void)
{
	return gfpu_cmdline_has("kvm-arm.mode=protected");
}
#endif

/*
 * The batch's verdict: where the arch counts its primitives, gfpu's
 * stats against their counts (see the top of the file); elsewhere that
 * it ran.
 */
static void verdict(const struct scenario *s, const struct gfpu_counters *d,
		    unsigned long runs)
{
#ifdef RUN_XFERS
	long extra = d->fpu_saves - d->saves;

	if (protected_kvm()) {
		ksft_test_result_skip("%s: protected KVM: hyp's transfers are not counted\n",
				      s->name);
	} else if (d->fpu_saves < 0) {
		ksft_test_result_fail("%s: no fpu_* stats: the kernel lacks the counting patch\n",
				      s->name);
	} else if (d->saves < 0) {
		ksft_test_result(d->fpu_saves + d->fpu_restores >=
				 RUN_XFERS * (long)runs,
				 "%s: baseline: the primitives counted %ld saves, %ld restores for %lu exits\n",
				 s->name, d->fpu_saves, d->fpu_restores, runs);
	} else if (strcmp(s->name, "kfpu")) {
		ksft_test_result(d->saves == d->fpu_saves &&
				 d->restores == d->fpu_restores &&
				 d->bytes == d->fpu_bytes,
				 "%s: gfpu's stats equal the primitives': %ld/%ld saves, %ld/%ld restores, %ld/%ld bytes\n",
				 s->name, d->saves, d->fpu_saves, d->restores,
				 d->fpu_restores, d->bytes, d->fpu_bytes);
	} else {
		/*
		 * Every state here has the same size (no AMX, no SVE
		 * guest), so each missed save is bytes / transfers of them.
		 */
		long n = d->saves + d->restores;

		ksft_test_result(d->restores == d->fpu_restores && extra >= 0 &&
				 extra < KFPU_EDGE_MAX(gfpu_policy_param()) *
					 (long)runs / 10 && n > 0 &&
				 (d->fpu_bytes - d->bytes) * n == extra * d->bytes,
				 "%s: gfpu's stats equal the primitives' but for %ld saves at the load/put edges: %ld/%ld saves, %ld/%ld restores, %ld/%ld bytes\n",
				 s->name, extra, d->saves, d->fpu_saves, d->restores,
				 d->fpu_restores, d->bytes, d->fpu_bytes);
	}
#else
	ksft_test_result_pass("%s\n", s->name);
#endif
}

static void run_batch(struct bench *b)
{
	const struct scenario *s = b->s;
	struct gfpu_counters c0, c1, d;
	pthread_t threads[MAX_VCPUS];
	struct timespec t0, t1;
	unsigned int v;
	unsigned long i;
	long ns;

	counters_sum(b, &c0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (v = 1; v < b->nr; v++)
		TEST_ASSERT(!pthread_create(&threads[v], NULL, vcpu_thread,
					    b->vcpu[v]), "pthread_create");
	for (i = 0; i < EXITS; i++) {
		run_one(b->vcpu[0]);
		if (s->between)
			s->between(b, i);
	}
	for (v = 1; v < b->nr; v++)
		pthread_join(threads[v], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	counters_sum(b, &c1);
	ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec;
	d.saves = delta(c1.saves, c0.saves);
	d.restores = delta(c1.restores, c0.restores);
	d.bytes = delta(c1.bytes, c0.bytes);
	d.traps = delta(c1.traps, c0.traps);
	d.fpu_saves = delta(c1.fpu_saves, c0.fpu_saves);
	d.fpu_restores = delta(c1.fpu_restores, c0.fpu_restores);
	d.fpu_bytes = delta(c1.fpu_bytes, c0.fpu_bytes);
	ksft_print_msg("compare: scenario=%s vcpus=%u exits=%lu ns=%ld saves=%ld restores=%ld bytes=%ld traps=%ld psaves=%ld prestores=%ld pbytes=%ld\n",
		       s->name, b->nr, (unsigned long)EXITS * b->nr, ns,
		       d.saves, d.restores, d.bytes, d.traps, d.fpu_saves,
		       d.fpu_restores, d.fpu_bytes);
	/* Each exit is at least one KVM_RUN (on x86 three: get_ucall()). */
	verdict(s, &d, (unsigned long)EXITS * b->nr);
}

/* === The traced batch, for the model's replay ========================== */

/*
 * With compare.replay=1 on the kernel command line (scripts/compare.sh
 * sets it in the first round), a framework kernel runs each one-vCPU
 * scenario's batch a second time, untimed, with tracing on, and prints
 * what vCPU 0's thread went through as one token per event:
 *
 *   compare: replay scenario=NAME policy=P busy=B async=A exits=E saves=S restores=R bytes=Y traps=T lost=L events=TOKENS
 *
 * S, R, Y, T being the growth of its gfpu stats over the batch, which the
 * model's replay of TOKENS must reproduce (selftests/model, -r), where
 * the scenario is not asynchronous (A = 0; see struct scenario).  The
 * tokens, from the gfpu_hook events of the thread, sched_switch,
 * signal_deliver, the torture's hrtimer and trace_marker:
 *
 *   R run_enter  L load  l load (sched_in)  G guest_enter  T lazy_trap
 *   X exit_sync  P put  p put (sched_out)  E run_exit
 *   /N the thread's events are on CPU N from here on
 *   U u: before a sched_in load, a user task that uses FP / never does
 *	(the spinner) ran on the vCPU's CPU while the thread was off it;
 *	kernel threads are not listed: they leave the registers alone
 *   K kernel-mode FP (the torture timer) on the thread's CPU while it ran
 *   k the same, in a syscall before its first hook (KVM_RUN's or another
 *	vCPU ioctl's entry): the registers are not reloaded before the hook
 *   y ... Y the thread was scheduled out there and back (on CPU /N),
 *	with U or u as above
 *   S a signal delivered to the thread (its handler uses FP)
 *   V the VMM used FP (vmm_fp's between-runs work)
 *   w z what gfpu counted there (gfpu_xfer): a save, a restore; the
 *	replay's counts must agree at the end of each KVM_RUN
 *
 * What is not seen: FP the VMM's library code uses (memcpy with vector
 * registers) and preemptions of the thread in userspace; neither changes
 * what gfpu counts, only what the oracle would need.  Nor, exactly, what
 * an interruption did to the registers: a softirq's kernel FP between a
 * syscall's entry enabling interrupts and its sys_enter event looks like
 * one in userspace, whose registers are reloaded before the syscall; a
 * kernel preemption there is told by its "R+" state from one just after
 * the last sys_exit event by how far the thread had run from that
 * sys_exit when the interrupt that preempted it came (replay_in_exit()),
 * which the trace's clock tells only to its resolution; a user task that
 * preempted the thread but was switched out before reaching userspace
 * left the registers as they were.  Hence the async scenarios.
 */
#define REPLAY_BUF_KB	"16384"

/* From one syscall to the next (replay_call()), never switched out. */
struct replay_gap {
	uint64_t from, to;
	double min;		/* the shortest way out and back in */
};

struct replay {
	pid_t tid;
	int cpu;		/* of the thread's last event */
	bool on;		/* the thread is on a CPU */
	int off_cpu;		/* where it was scheduled out */
	bool fp, user;		/* what ran there since */
	bool in_sys, hooked;	/* in a syscall; one that reached a hook */
	bool early;		/* in one, before its sys_enter event */
	double t_exit, t_in;	/* the last sys_exit, switch back in */
	double t_irq;		/* the last interrupt that hit the thread */
	bool off_since_exit;	/* switched out since that sys_exit */
	uint64_t call, last_call;	/* this syscall's and the last one's */
	struct replay_gap gaps[16];
	unsigned int nr_gaps;
	double since_exit;	/* from it to an early switch out, running */
	char pend[64];		/* what happened in it before any hook */
	char *tok;
	size_t len, cap;
};

static void replay_put(struct replay *r, const char *t)
{
	size_t n = strlen(t);

	if (r->len + n + 1 > r->cap) {
		r->cap = (r->cap + n + 1) * 2;
		r->tok = realloc(r->tok, r->cap);
		TEST_ASSERT(r->tok, "out of memory");
	}
	memcpy(r->tok + r->len, t, n + 1);
	r->len += n;
}

/* The thread's event on @cpu: first say where it is, if it moved. */
static void replay_here(struct replay *r, int cpu)
{
	char t[16];

	if (cpu == r->cpu)
		return;
	snprintf(t, sizeof(t), "/%d", cpu);
	replay_put(r, t);
	r->cpu = cpu;
}

/* PF_KTHREAD in /proc/PID/stat's flags (the idle task, pid 0, too). */
static bool is_kthread(pid_t pid)
{
	char path[64], buf[512], *p;
	unsigned long flags = 0;
	FILE *f;

	if (!pid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state ppid pgrp session tty tpgid flags. */
	if (p)
		sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags);
	return flags & 0x00200000;
}

static void replay_hook(struct replay *r, int cpu, const char *name,
			unsigned int arg)
{
	static const struct {
		const char *name;
		const char *tok[2];	/* by arg: sched_in/out for load/put */
	} map[] = {
		{ "run_enter", { "R", "R" } }, { "load", { "L", "l" } },
		{ "guest_enter", { "G", "G" } }, { "lazy_trap", { "T", "T" } },
		{ "exit_sync", { "X", "X" } }, { "put", { "P", "p" } },
		{ "run_exit", { "E", "E" } },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i].name, name))
			break;
	TEST_ASSERT(i < ARRAY_SIZE(map), "hook %s in a KVM_RUN batch", name);
	replay_here(r, cpu);
	if (!strcmp(name, "load") && arg) {
		if (r->fp)
			replay_put(r, "U");
		else if (r->user)
			replay_put(r, "u");
	}
	/*
	 * The syscall's first hook after run_enter (which comes before
	 * vcpu_load() registers KVM's preempt notifier): what came before
	 * was inside the syscall, and the registers were not reloaded.
	 */
	if (strcmp(name, "run_enter")) {
		if (r->in_sys && !r->hooked && r->pend[0])
			replay_put(r, r->pend);
		r->pend[0] = 0;
		r->hooked = true;
	}
	replay_put(r, map[i].tok[!!arg]);
}

/* Before a syscall's first hook: @t into r->pend. */
static void replay_pend(struct replay *r, const char *t)
{
	size_t n = strlen(r->pend);

	TEST_ASSERT(n + strlen(t) < sizeof(r->pend),
		    "too much in one syscall's entry: %s", r->pend);
	strcpy(r->pend + n, t);
}

/* Who ran on the vCPU thread's CPU while it was off: the task @pid. */
static void replay_other(struct replay *r, pid_t pid)
{
	if (is_kthread(pid))
		return;
	if (pid == spinner_tid)
		r->user = true;
	else
		r->fp = true;
}

/* A syscall, for replay_gap(): its number and, for an ioctl, the command. */
static uint64_t replay_call(const char *ev)
{
	unsigned long nr, a0, a1;

	if (sscanf(ev, "sys_enter: NR %lu (%lx, %lx", &nr, &a0, &a1) != 3)
		return 0;
	return (uint64_t)nr << 32 | (nr == __NR_ioctl ? (uint32_t)a1 : 0);
}

/*
 * The way from syscall @from to @to; with @add a new one (min 0) if it
 * was not seen and there is room.
 */
static struct replay_gap *replay_gap(struct replay *r, uint64_t from,
				     uint64_t to, bool add)
{
	unsigned int i;

	for (i = 0; i < r->nr_gaps; i++)
		if (r->gaps[i].from == from && r->gaps[i].to == to)
			return &r->gaps[i];
	if (!add || r->nr_gaps == ARRAY_SIZE(r->gaps))
		return NULL;
	r->gaps[i] = (struct replay_gap){ .from = from, .to = to };
	r->nr_gaps++;
	return &r->gaps[i];
}

/*
 * Where an early switch out was (see replay_line()): its thread had been
 * preempted by the interrupt that hit it last, or, with none since the
 * last sys_exit, by a preempt_enable() on that syscall's way out (the
 * interrupt that asked for it, in userspace, would have rescheduled it
 * there, not preempted it).  How long the thread ran from the sys_exit
 * to that point, then, and without the interrupt's and the scheduler's
 * time, which under TCG can be longer than a syscall's whole way out
 * and in.
 */
static double replay_ran_since_exit(const struct replay *r)
{
	return r->t_irq > r->t_exit ? r->t_irq - r->t_exit : 0;
}

/*
 * The early switch out was on the last syscall's way out, whose return to
 * userspace reloaded the registers, not on this one's way in (@ts, its
 * sys_enter): the thread had run less than half of the way from one to
 * the other (the shortest such way seen without a switch out; on the
 * way in it would have run nearly all of it).  Before any such way was
 * seen: nearer the sys_exit than this sys_enter.
 */
static bool replay_in_exit(struct replay *r, double ts)
{
	struct replay_gap *g = replay_gap(r, r->last_call, r->call, false);

	if (g && g->min)
		return r->since_exit < g->min / 2;
	return r->since_exit < ts - r->t_in;
}

/* The interrupt-entry events replay_setup() enables where they exist. */
static const char *const replay_irq_events[] = {
	"irq/irq_handler_entry", "ipi/ipi_entry",
	"irq_vectors/local_timer_entry", "irq_vectors/reschedule_entry",
	"irq_vectors/call_function_entry",
	"irq_vectors/call_function_single_entry",
};

static bool replay_is_irq(const char *ev)
{
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(replay_irq_events); i++) {
		const char *name = strchr(replay_irq_events[i], '/') + 1;

		n = strlen(name);
		if (!strncmp(ev, name, n) && ev[n] == ':')
			return true;
	}
	return false;
}

/* One line of the trace: "comm-pid [cpu] flags ts: event: fields". */
static void replay_line(struct replay *r, const char *line)
{
	const char *lb = strchr(line, '['), *ev, *p;
	unsigned int arg, saves, restores;
	char name[32], t[16];
	int cpu, prev, next;
	double ts;
	pid_t pid;

	if (!lb || sscanf(lb, "[%d] %*s %lf:", &cpu, &ts) != 2)
		return;
	for (p = lb; p > line && p[-1] == ' '; p--)
		;
	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	pid = atoi(p);
	ev = strstr(lb, ": ");
	if (!ev)
		return;
	ev += 2;
	if (sscanf(ev, "gfpu_hook: vcpu %*s %31s arg %u", name, &arg) == 2) {
		if (pid == r->tid)
			replay_hook(r, cpu, name, arg);
	} else if (sscanf(ev, "gfpu_xfer: vcpu %*s saves %u restores %u",
			  &saves, &restores) == 2) {
		for (; saves; saves--)
			replay_put(r, "w");
		for (; restores; restores--)
			replay_put(r, "z");
	} else if (!strncmp(ev, "sched_switch:", 13)) {
		p = strstr(ev, " prev_pid=");
		if (!p || sscanf(p, " prev_pid=%d", &prev) != 1)
			return;
		p = strstr(ev, " next_pid=");
		if (!p || sscanf(p, " next_pid=%d", &next) != 1)
			return;
		/* sched_switch comes before the sched_out notifier. */
		if (prev == r->tid) {
			r->on = false;
			r->off_cpu = cpu;
			r->fp = r->user = false;
			replay_other(r, next);
			/*
			 * Preempted in the kernel ("R+") outside a syscall
			 * the trace saw enter: in the next one's entry,
			 * before its sys_enter event, with interrupts on.
			 */
			if (!r->in_sys && strstr(ev, " prev_state=R+ ")) {
				r->in_sys = r->early = true;
				r->hooked = false;
				r->pend[0] = 0;
				r->since_exit = replay_ran_since_exit(r);
			}
			r->off_since_exit = true;
			if (r->in_sys && !r->hooked)
				replay_pend(r, "y");
		} else if (next == r->tid) {
			r->on = true;
			r->t_in = ts;
			if (r->in_sys && !r->hooked) {
				snprintf(t, sizeof(t), "%s/%dY",
					 r->fp ? "U" : r->user ? "u" : "", cpu);
				replay_pend(r, t);
				r->cpu = cpu;
			}
		} else if (!r->on && cpu == r->off_cpu) {
			replay_other(r, next);
		}
	} else if (!strncmp(ev, "sys_enter:", 10)) {
		r->last_call = r->call;
		r->call = replay_call(ev);
		/*
		 * An early switch out on the last syscall's way out, whose
		 * return to userspace reloaded the registers, changed
		 * nothing.
		 */
		if (!r->early || replay_in_exit(r, ts))
			r->pend[0] = 0;
		if (!r->off_since_exit && r->t_exit) {
			struct replay_gap *g = replay_gap(r, r->last_call,
							  r->call, true);

			if (g && (!g->min || ts - r->t_exit < g->min))
				g->min = ts - r->t_exit;
		}
		r->in_sys = true;
		r->hooked = r->early = false;
	} else if (!strncmp(ev, "sys_exit:", 9)) {
		r->t_exit = ts;
		r->off_since_exit = false;
		/*
		 * A syscall without hooks returned to userspace, which
		 * reloads the registers: its kernel FP was as if there, a
		 * preemption in it changed nothing gfpu counts.
		 */
		for (p = r->pend; *p; p++)
			if (*p == 'k')
				replay_put(r, "K");
		r->pend[0] = 0;
		r->in_sys = false;
	} else if (replay_is_irq(ev)) {
		if (pid == r->tid)
			r->t_irq = ts;
	} else if (!strncmp(ev, "signal_deliver:", 15)) {
		if (pid == r->tid) {
			replay_here(r, cpu);
			replay_put(r, "S");
		}
	} else if (!strncmp(ev, "hrtimer_expire_entry:", 21)) {
		if (!strstr(ev, "function=gfpu_kfpu_fire") || !r->on ||
		    cpu != r->cpu)
			return;
		if (r->in_sys && !r->hooked)
			replay_pend(r, "k");
		else
			replay_put(r, "K");
	} else if (!strncmp(ev, "tracing_mark_write: V", 21)) {
		if (pid == r->tid) {
			replay_here(r, cpu);
			replay_put(r, "V");
		}
	}
}

static const char *const replay_events[] = {
	"gfpu/gfpu_hook", "gfpu/gfpu_xfer", "sched/sched_switch", "signal/signal_deliver",
	"timer/hrtimer_expire_entry", "raw_syscalls/sys_enter",
	"raw_syscalls/sys_exit",
};

/*
 * Set up before the scenario's contenders start, and tear down after they
 * stopped: clearing the ring buffer and disabling an event wait for RCU
 * grace periods, which a contender spinning on the vCPU thread's CPU can
 * hold off for minutes under TCG.  In between, recording is turned on
 * and off with tracing_on, a flag.
 */
static void replay_setup(void)
{
	char path[256], filter[64];
	unsigned int irq_events = 0;
	size_t i;

	/* Only the vCPU thread's syscalls (the contenders make many). */
	snprintf(filter, sizeof(filter), "common_pid == %d", gettid());
	TEST_ASSERT(gfpu_trace_write("events/raw_syscalls/sys_enter/filter",
				     filter) &&
		    gfpu_trace_write("events/raw_syscalls/sys_exit/filter",
				     filter), "cannot filter the syscall events");
	/*
	 * The trace prints the nanosecond clocks in microseconds, a syscall's
	 * way out and back in under TCG's -icount: x86's TSC is finer
	 * (replay_in_exit()).  Elsewhere microseconds it is.
	 */
	gfpu_trace_write("trace_clock", "x86-tsc");
	TEST_ASSERT(gfpu_trace_write("tracing_on", "0") &&
		    gfpu_trace_write("buffer_size_kb", REPLAY_BUF_KB) &&
		    gfpu_trace_write("trace", ""),
		    "cannot set up tracing in %s", gfpu_tracefs);
	for (i = 0; i < ARRAY_SIZE(replay_events); i++) {
		snprintf(path, sizeof(path), "events/%s/enable",
			 replay_events[i]);
		TEST_ASSERT(gfpu_trace_write(path, "1"), "cannot enable %s",
			    replay_events[i]);
	}
	/* The interrupts that hit the thread: those this arch has. */
	for (i = 0; i < ARRAY_SIZE(replay_irq_events); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/filter",
			 gfpu_tracefs, replay_irq_events[i]);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "events/%s/filter",
			 replay_irq_events[i]);
		TEST_ASSERT(gfpu_trace_write(path, filter), "cannot filter %s",
			    replay_irq_events[i]);
		snprintf(path, sizeof(path), "events/%s/enable",
			 replay_irq_events[i]);
		TEST_ASSERT(gfpu_trace_write(path, "1"), "cannot enable %s",
			    replay_irq_events[i]);
		irq_events++;
	}
	TEST_ASSERT(irq_events, "no interrupt-entry event in %s", gfpu_tracefs);
}

/* vCPU 0 runs the batch again, recorded; the others stay where they are. */
static void replay_batch(struct bench *b, struct gfpu_counters *c0,
			 struct gfpu_counters *c1)
{
	const struct scenario *s = b->s;
	unsigned long i;

	gfpu_counters_read(b->vcpu[0], c0);
	TEST_ASSERT(gfpu_trace_write("tracing_on", "1"), "tracing_on");
	for (i = 0; i < EXITS; i++) {
		run_one(b->vcpu[0]);
		if (s->between) {
			s->between(b, i);
			if (s->between == vmm_fp)
				gfpu_trace_write("trace_marker", "V");
		}
	}
	gfpu_trace_write("tracing_on", "0");
	gfpu_counters_read(b->vcpu[0], c1);
}

static void replay_print(struct bench *b, const struct gfpu_counters *c0,
			 const struct gfpu_counters *c1)
{
	struct replay r = { .tid = gettid(), .cpu = -1, .on = true };
	unsigned long in_buf = 0, written = 0;
	char path[256], line[512];
	size_t i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(replay_events); i++) {
		snprintf(path, sizeof(path), "events/%s/enable",
			 replay_events[i]);
		gfpu_trace_write(path, "0");
	}
	for (i = 0; i < ARRAY_SIZE(replay_irq_events); i++) {
		snprintf(path, sizeof(path), "events/%s/enable",
			 replay_irq_events[i]);
		gfpu_trace_write(path, "0");
	}
	snprintf(path, sizeof(path), "%s/trace", gfpu_tracefs);
	f = fopen(path, "r");
	TEST_ASSERT(f, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '#')
			replay_line(&r, line);
		else
			sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			       &in_buf, &written);
	}
	fclose(f);
	gfpu_trace_write("trace_clock", "local");
	gfpu_trace_write("trace", "");
	gfpu_trace_write("tracing_on", "1");
	ksft_print_msg("compare: replay scenario=%s policy=%ld busy=%d async=%d exits=%d saves=%ld restores=%ld bytes=%ld traps=%ld lost=%lu events=%s\n",
		       b->s->name, c1->policy, b->busy, b->s->async, EXITS,
		       c1->saves - c0->saves, c1->restores - c0->restores,
		       c1->bytes - c0->bytes, c1->traps - c0->traps,
		       written - in_buf, r.tok ? r.tok : "");
	free(r.tok);
}

/*
 * The scenario's timed batch, or with @replay (a one-vCPU scenario on a
 * framework kernel) its traced batch, each in a VM of its own.
 */
static void run_scenario(const struct scenario *s, bool replay)
{
	struct bench b = { .s = s, .nr = s->vcpus, .busy = s->busy };
	struct gfpu_counters c0, c1;
	struct kvm_vm *vm;
	cpu_set_t all;
	unsigned int v;

	if (s->skip && s->skip()) {
		if (!replay)
			ksft_test_result_skip("%s: %s\n", s->name, s->skip());
		return;
	}
	TEST_ASSERT(!sched_getaffinity(0, sizeof(all), &all), "affinity");
	vm = vm_create_with_vcpus(b.nr, guest_code, b.vcpu);
	for (v = 0; v < b.nr; v++) {
		vcpu_args_set(b.vcpu[v], 1, (uint64_t)b.busy);
		run_one(b.vcpu[v]);	/* the first exit: the guest is up */
	}
	if (replay)
		replay_setup();
	if (s->start && !s->start(&b)) {
		if (!replay)
			ksft_test_result_skip("%s: not available on this kernel\n",
					      s->name);
	} else {
		if (replay)
			replay_batch(&b, &c0, &c1);
		else
			run_batch(&b);
		if (s->stop)
			s->stop(&b);
		if (replay)
			replay_print(&b, &c0, &c1);
	}
	/* Undo pinning and migration for the next scenario. */
	sched_setaffinity(0, sizeof(all), &all);
	kvm_vm_free(vm);
}

/*
 * The clock a batch is timed with: a clocksource of jiffies resolution
 * (x86 under TCG falls back to one unless booted with tsc=reliable)
 * quantises a batch's time in ticks.
 */
static void print_clock(void)
{
	char cs[64] = "";
	struct timespec res;
	FILE *f;

	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", cs) != 1)
			cs[0] = 0;
		fclose(f);
	}
	clock_getres(CLOCK_MONOTONIC, &res);
	ksft_print_msg("compare: clocksource=%s res_ns=%ld\n",
		       cs[0] ? cs : "unknown",
		       res.tv_sec * 1000000000L + res.tv_nsec);
}

int main(void)
{
	bool replay = gfpu_cmdline_has("compare.replay=1") && gfpu_trace_find();
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(scenarios));
	ksft_print_msg("compare: policy=%ld exits_per_vcpu=%d\n",
		       gfpu_policy_param(), EXITS);
	print_clock();
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		run_scenario(&scenarios[i], false);
		if (!replay)
			continue;
		if (scenarios[i].vcpus == 1)
			run_scenario(&scenarios[i], true);
		else
			ksft_print_msg("compare: replay scenario=%s skipped: %u vCPUs, the model has one\n",
				       scenarios[i].name, scenarios[i].vcpus);
	}
	ksft_finished();
}
