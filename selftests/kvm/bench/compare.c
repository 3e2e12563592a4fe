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
 * 6.12 and both x86 designs swap the fpstate in and out on each, guest
 * entered or not, hence six transfers per exit.  On arm64 each KVM_RUN
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
 * shares the vCPU thread's CPU); kfpu (kernel-mode FP in a softirq,
 * the torture timer, where the kernel has it); signal_fp (SIGUSR1 every
 * SIGNAL_US, its handler uses FP); migrate (the vCPU thread moves to the
 * next CPU every MIGRATE_EVERY exits); overcommit (4 vCPU threads on 2
 * CPUs, busy guests).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs.h"

#define EXITS		2000	/* per vCPU and scenario */
#define SIGNAL_US	1000
#define TORTURE_US	200
#define MIGRATE_EVERY	50
#define MAX_VCPUS	4

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

/* Shares the CPU and never touches FP: integer work, then yield. */
static void *spin_nofp(void *arg)
{
	unsigned long x = 0;
	int i;

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

static bool preempt_nofp_start(struct bench *b)
{
	TEST_ASSERT(gfpu_pin_first_cpu() >= 0, "cannot pin");
	spinner_stop = 0;
	TEST_ASSERT(!pthread_create(&spinner, NULL, spin_nofp, NULL),
		    "pthread_create");
	return true;
}

static void preempt_nofp_stop(struct bench *b)
{
	spinner_stop = 1;
	pthread_join(spinner, NULL);
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
	gfpu_signals_start(SIGNAL_US, &contender);
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

static const struct scenario scenarios[] = {
	{ "exit_idle", 1, false },
	{ "exit_busy", 1, true },
	{ "vmm_fp", 1, true, .between = vmm_fp },
	{ "preempt_fp", 1, true, preempt_fp_start, preempt_fp_stop },
	{ "preempt_nofp", 1, true, preempt_nofp_start, preempt_nofp_stop },
	{ "kfpu", 1, true, kfpu_start, kfpu_stop },
	{ "signal_fp", 1, true, signal_start, signal_stop },
	{ "migrate", 1, true, migrate_start, .between = migrate },
	{ "overcommit", 4, true },
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
 * The batch's verdict: where the arch counts its primitives, gfpu's
 * stats against their counts (see the top of the file); elsewhere that
 * it ran.
 */
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
/* Eager: gfpu's put leaves nothing live, so only the load edge. */
#define KFPU_EDGE_MAX(policy)	((policy) & 1 ? 60 : 30)
#endif

/* arm64's protected mode (kvm-arm.mode=protected), where hyp counts nothing. */
static bool protected_kvm(void)
{
	char line[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "kvm-arm.mode=protected") != NULL;
}

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

static void run_scenario(const struct scenario *s)
{
	struct bench b = { .s = s, .nr = s->vcpus, .busy = s->busy };
	struct kvm_vm *vm;
	cpu_set_t all;
	unsigned int v;

	TEST_ASSERT(!sched_getaffinity(0, sizeof(all), &all), "affinity");
	vm = vm_create_with_vcpus(b.nr, guest_code, b.vcpu);
	for (v = 0; v < b.nr; v++) {
		vcpu_args_set(b.vcpu[v], 1, (uint64_t)b.busy);
		run_one(b.vcpu[v]);	/* the first exit: the guest is up */
	}
	if (s->start && !s->start(&b)) {
		ksft_test_result_skip("%s: not available on this kernel\n",
				      s->name);
	} else {
		run_batch(&b);
		if (s->stop)
			s->stop(&b);
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
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(scenarios));
	ksft_print_msg("compare: policy=%ld exits_per_vcpu=%d\n",
		       gfpu_policy_param(), EXITS);
	print_clock();
	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i]);
	ksft_finished();
}
