// SPDX-License-Identifier: GPL-2.0
/*
 * fp_preempt - guest, VMM and a competing thread keep their SSE registers
 * while the vCPU thread is preempted and takes signals.
 *
 * The vCPU thread and a "hammer" thread are pinned to the same CPU. The
 * hammer loads its own pattern into xmm0-15, yields the CPU, and checks
 * the pattern, over and over. In the second half of the run, a timer
 * sends the vCPU thread SIGUSR1 every SIGNAL_US microseconds; the handler
 * loads its own pattern, yields, and checks it. The guest holds a pattern in xmm0-15 across EXITS exits per
 * round and reports what it reads back. Every KVM_RUN is made from an asm
 * block that holds the VMM's pattern in xmm0-15 across the syscall.
 *
 * What it catches: guest state saved into the VMM's buffer or lost when
 * the vCPU thread is preempted inside KVM_RUN (TIF_NEED_FPU_LOAD not
 * honoured on a load, put or entry path), a signal frame built from, or
 * restored into, the wrong registers, and any context seeing another's
 * values.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"

#define ROUNDS		200	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define SIGNAL_US	300	/* timer period for SIGUSR1 */
#define SPIN		1000000	/* guest loop per round without any exit */

#define FP_PORT		0x1003

enum {
	DOM_HAMMER = GFPU_DOM_LONG + 1,
	DOM_SIGNAL,
};

static void guest_code(void)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	uint32_t count;
	uint64_t r;

	for (r = 0; r < ROUNDS; r++) {
		gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_GUEST, r);
		count = EXITS;
		/*
		 * Spin first: host timer interrupts exit to the kernel only,
		 * so the thread is preempted inside KVM_RUN, not in the VMM.
		 */
		asm volatile(XMM_ALL(XMM_LOAD)
			     "mov %[spin], %%ebx\n\t"
			     "2: dec %%ebx\n\t"
			     "jnz 2b\n\t"
			     "1: outb %%al, %%dx\n\t"
			     "dec %%ecx\n\t"
			     "jnz 1b\n\t"
			     XMM_ALL(XMM_STORE)
			     : "+c" (count)
			     : [in] "r" (in), [out] "r" (out), "a" (0),
			       "d" (FP_PORT), [spin] "i" (SPIN)
			     : "rbx", "memory", XMM_CLOBBERS);
		GUEST_SYNC2(r, gfpu_pattern_diff(out, NR_XMM, GFPU_DOM_GUEST, r));
	}
	GUEST_DONE();
}

/* Load a pattern, give the CPU away, read it back: 0 if it survived. */
static uint64_t hold_across_yield(uint64_t dom, uint64_t seed)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	long ret;

	gfpu_pattern_fill(in, XMM_WORDS, dom, seed);
	asm volatile(XMM_ALL(XMM_LOAD)
		     "syscall\n\t"
		     XMM_ALL(XMM_STORE)
		     : "=a" (ret)
		     : "0" ((long)__NR_sched_yield), [in] "r" (in), [out] "r" (out)
		     : "rcx", "r11", "memory", XMM_CLOBBERS);
	return gfpu_pattern_diff(out, NR_XMM, dom, seed);
}

static volatile sig_atomic_t stop;
static volatile unsigned long hammer_runs, hammer_fails;
static volatile unsigned long signal_runs, signal_fails;

static void *hammer(void *arg)
{
	while (!stop) {
		if (hold_across_yield(DOM_HAMMER, hammer_runs))
			hammer_fails++;
		hammer_runs++;
	}
	return NULL;
}

static void on_sigusr1(int sig)
{
	if (hold_across_yield(DOM_SIGNAL, signal_runs))
		signal_fails++;
	signal_runs++;
}

static unsigned long host_runs, host_fails, eintr;

static void run_holding_xmm(struct kvm_vcpu *vcpu)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	long ret;

	do {
		host_runs++;
		gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_HOST, host_runs);
		ret = gfpu_kvm_run_holding_xmm(vcpu->fd, in, out);
		if (gfpu_pattern_diff(out, NR_XMM, GFPU_DOM_HOST, host_runs))
			host_fails++;
		eintr += ret == -EINTR;
	} while (ret == -EINTR);
	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(vcpu);
}

static timer_t start_signals(void)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_value.tv_nsec = SIGNAL_US * 1000,
		.it_interval.tv_nsec = SIGNAL_US * 1000,
	};
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	timer_t timer = NULL;

	sev._sigev_un._tid = gettid();
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &timer), "timer_create");
	TEST_ASSERT(!timer_settime(timer, 0, &its, NULL), "timer_settime");
	return timer;
}

/*
 * The latched policy's signature in the framework's counters, from a run
 * that was preempted inside KVM_RUN:
 *   loadput: the guest fpstate is swapped out at every put and in at every
 *     load, sched_out/sched_in included, and each swap restores registers:
 *     restores >= 2 * (run_enter + preempted);
 *   run (default): swapped only at the first load and last put of each
 *     KVM_RUN, never at sched_out/sched_in; only those swaps, the uAPI's
 *     flush and the swaps around an fpstate growth save:
 *     saves <= 2 * (run_enter + feature) + get + set.
 */
static void policy_signature(bool have, const struct gfpu_counters *c)
{
	long param = gfpu_policy_param();
	long run_bound = 2 * (c->run_enter + c->feature) + c->get + c->set;
	bool loadput;

	if (!have) {
		ksft_test_result_skip("policy signature: no gfpu counters\n");
		return;
	}
	loadput = c->policy & GFPU_POLICY_SWAP_LOADPUT;
	ksft_print_msg("policy %ld latched (parameter %ld): run_enter %ld preempted %ld saves %ld restores %ld get %ld set %ld\n",
		       c->policy, param, c->run_enter, c->preempted, c->saves,
		       c->restores, c->get, c->set);
	ksft_print_msg("loadput bound: restores %ld >= %ld; run bound: saves %ld <= %ld\n",
		       c->restores, 2 * (c->run_enter + c->preempted),
		       c->saves, run_bound);
	if (c->policy != param)
		ksft_test_result_fail("policy signature: the vCPU latched %ld, the parameter is %ld\n",
				      c->policy, param);
	else if (c->preempted <= 0)
		ksft_test_result_fail("policy signature: never preempted inside KVM_RUN, nothing shown\n");
	else if (loadput)
		ksft_test_result(c->restores >= 2 * (c->run_enter + c->preempted),
				 "policy %ld signature (loadput): a swap at every load and put, %ld restores for %ld KVM_RUNs and %ld preemptions\n",
				 c->policy, c->restores, c->run_enter, c->preempted);
	else
		ksft_test_result(c->saves <= run_bound,
				 "policy %ld signature (run): no swap at sched_out/sched_in, %ld saves for %ld KVM_RUNs and %ld preemptions\n",
				 c->policy, c->saves, c->run_enter, c->preempted);
}

static void result(bool ok, unsigned long runs, unsigned long fails,
		   const char *what)
{
	ksft_test_result(ok && runs && !fails, "%s (%lu checks, %lu wrong)\n",
			 what, runs, fails);
}

int main(int argc, char *argv[])
{
	unsigned long guest_rounds = 0, guest_fails = 0;
	struct gfpu_counters counters;
	bool have_counters;
	long preempted;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	pthread_t thread;
	struct ucall uc;
	timer_t timer = NULL;
	bool done = false;
	int cpu;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XMM2));
	ksft_print_header();
	ksft_set_plan(7);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	cpu = gfpu_pin_first_cpu();
	TEST_ASSERT(cpu >= 0, "cannot pin to a CPU");
	/* The hammer inherits the pinning: both threads share one CPU. */
	TEST_ASSERT(!pthread_create(&thread, NULL, hammer, NULL), "pthread_create");
	ksft_print_msg("vCPU and hammer threads on CPU %d, SIGUSR1 every %d us\n",
		       cpu, SIGNAL_US);

	while (!done) {
		run_holding_xmm(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == FP_PORT)
			continue;
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == guest_rounds, "guest round %lu, expected %lu",
				    (unsigned long)uc.args[0], guest_rounds);
			guest_rounds++;
			guest_fails += uc.args[1] != 0;
			/*
			 * Preemption alone first: a pending signal makes
			 * KVM_RUN return, and the way back to userspace
			 * reloads what a broken entry path would miss.
			 */
			if (guest_rounds == ROUNDS / 2)
				timer = start_signals();
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit: %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
	if (timer)
		timer_delete(timer);
	stop = 1;
	pthread_join(thread, NULL);
	gfpu_print_stats();
	preempted = gfpu_stat("vcpu0", "preempted");
	have_counters = gfpu_counters_read("vcpu0", &counters);
	kvm_vm_free(vm);

	ksft_print_msg("%lu KVM_RUNs, %lu interrupted by a signal, %lu signals, %lu hammer rounds\n",
		       host_runs, eintr, (unsigned long)signal_runs,
		       (unsigned long)hammer_runs);
	result(true, guest_rounds, guest_fails,
	       "guest xmm0-15 survive preemption and signals");
	result(true, host_runs, host_fails, "VMM xmm0-15 survive KVM_RUN");
	result(true, hammer_runs, hammer_fails,
	       "competing thread's xmm0-15 survive");
	result(true, signal_runs, signal_fails,
	       "signal handler's xmm0-15 survive");
	/* Otherwise the run above proved nothing about signals in KVM_RUN. */
	ksft_test_result(eintr > 0, "signals interrupted KVM_RUN (%lu times)\n",
			 eintr);
	/* Only the framework counts it; without it this is not known. */
	if (preempted < 0)
		ksft_test_result_skip("preempted inside KVM_RUN: no gfpu counters\n");
	else
		ksft_test_result(preempted > 0,
				 "preempted inside KVM_RUN (%ld times)\n",
				 preempted);
	policy_signature(have_counters, &counters);
	ksft_finished();
}
