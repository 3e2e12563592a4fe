// SPDX-License-Identifier: GPL-2.0
/*
 * fp_preempt - guest, VMM and a competing thread keep their FP/SIMD
 * registers while the vCPU thread is preempted and takes signals.
 *
 * The vCPU thread and a "hammer" thread are pinned to the same CPU. The
 * hammer loads its own pattern into V0-V31, yields the CPU and checks the
 * pattern, over and over. In the second half of the run a timer sends the
 * vCPU thread SIGUSR1 every SIGNAL_US microseconds; the handler does the
 * same with its own pattern.
 * The guest holds a pattern in V0-V31 across EXITS exits per round and
 * reports what it reads back. Every KVM_RUN is made from an asm block that
 * holds the VMM's pattern in V0-V31 across the syscall.
 *
 * On an SVE host the vCPU thread also sets every bit of P0 before each
 * KVM_RUN and counts them after a signal round trip (a SIGILL from UDF),
 * as upstream's host_sve test does: lazy host save once discarded them.
 *
 * What it catches: guest state not bound to the CPU after exit, or lost
 * when the vCPU thread is preempted in KVM_RUN; host state or the EL0 SVE
 * trap left wrong after KVM_RUN; signal frames built from the wrong
 * registers; any context seeing another's values.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"

#define ROUNDS		200	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define SIGNAL_US	300	/* timer period for SIGUSR1 */
#define SPIN		1000000	/* guest loop per round without any exit */

enum {
	DOM_HAMMER = GFPU_DOM_LONG + 1,
	DOM_SIGNAL,
};

static void guest_code(volatile uint64_t *mmio)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	uint32_t count, spin;
	uint64_t r;

	write_sysreg(read_sysreg(cpacr_el1) | CPACR_FPEN, cpacr_el1);
	isb();
	for (r = 0; r < ROUNDS; r++) {
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_GUEST, r);
		count = EXITS;
		/*
		 * Spin first: host timer interrupts exit to the kernel only,
		 * so the thread is preempted inside KVM_RUN, not in the VMM.
		 */
		asm volatile(V_ALL(V_LOAD)
			     "mov %w[spin], #" __stringify(SPIN) " & 0xffff\n\t"
			     "movk %w[spin], #" __stringify(SPIN) " >> 16, lsl #16\n\t"
			     "2: subs %w[spin], %w[spin], #1\n\t"
			     "b.ne 2b\n\t"
			     "1: str %[r], [%[mmio]]\n\t"
			     "subs %w[count], %w[count], #1\n\t"
			     "b.ne 1b\n\t"
			     V_ALL(V_STORE)
			     : [count] "+r" (count), [spin] "=&r" (spin)
			     : [in] "r" (in), [out] "r" (out), [mmio] "r" (mmio),
			       [r] "r" (r)
			     : "memory", "cc", V_CLOBBERS);
		GUEST_SYNC2(r, gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_GUEST, r));
	}
	GUEST_DONE();
}

/* Load a pattern, give the CPU away, read it back: 0 if it survived. */
static uint64_t hold_across_yield(uint64_t dom, uint64_t seed)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	register long x8 asm("x8");
	register long x0 asm("x0");

	gfpu_pattern_fill(in, V_WORDS, dom, seed);
	x8 = __NR_sched_yield;	/* after the call, which may use x8 */
	asm volatile(V_ALL(V_LOAD)
		     "svc #0\n\t"
		     V_ALL(V_STORE)
		     : "=r" (x0)
		     : "r" (x8), [in] "r" (in), [out] "r" (out)
		     : "memory", V_CLOBBERS);
	return gfpu_pattern_diff(out, NR_VREGS, dom, seed);
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

/* Skip the UDF that forced a signal round trip. */
static void on_sigill(int sig, siginfo_t *info, void *ctx)
{
	((ucontext_t *)ctx)->uc_mcontext.pc += 4;
}

static unsigned long host_runs, host_fails, eintr;
static unsigned long sve_runs, sve_fails;

static void run_holding_vregs(struct kvm_vcpu *vcpu)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	long ret;

	do {
		host_runs++;
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_HOST, host_runs);
		ret = gfpu_kvm_run_holding_v(vcpu->fd, in, out);
		if (gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_HOST, host_runs))
			host_fails++;
		eintr += ret == -EINTR;
	} while (ret == -EINTR);
	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(vcpu);
}

/* All of P0 set, a signal round trip, count what is left (host_sve). */
static void sve_roundtrip(void)
{
	unsigned long before, after;

	asm volatile(".arch_extension sve\n\t"
		     "ptrue p0.b\n\t"
		     "cntp %[before], p0, p0.b\n\t"
		     "udf #0\n\t"
		     "cntp %[after], p0, p0.b\n\t"
		     : [before] "=r" (before), [after] "=r" (after)
		     :
		     : "p0");
	sve_runs++;
	sve_fails += before != after;
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
	struct sigaction ill = {
		.sa_sigaction = on_sigill,
		.sa_flags = SA_SIGINFO,
	};
	timer_t timer = NULL;

	sev._sigev_un._tid = gettid();
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!sigaction(SIGILL, &ill, NULL), "sigaction");
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &timer), "timer_create");
	TEST_ASSERT(!timer_settime(timer, 0, &its, NULL), "timer_settime");
	return timer;
}

/* A page outside every memslot, mapped in the guest: stores to it exit. */
static vm_vaddr_t map_exit_page(struct kvm_vm *vm, vm_paddr_t *gpa)
{
	vm_vaddr_t gva = vm_vaddr_unused_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);

	*gpa = vm->ucall_mmio_addr + vm->page_size;
	virt_map(vm, gva, *gpa, 1);
	return gva;
}

static void result(unsigned long runs, unsigned long fails, const char *what)
{
	ksft_test_result(runs && !fails, "%s (%lu checks, %lu wrong)\n",
			 what, runs, fails);
}

int main(int argc, char *argv[])
{
	unsigned long guest_rounds = 0, guest_fails = 0;
	long preempted;
	bool done = false, sve = getauxval(AT_HWCAP) & HWCAP_SVE;
	struct kvm_vcpu *vcpu;
	vm_paddr_t exit_gpa;
	struct kvm_vm *vm;
	pthread_t thread;
	struct sigaction ill = {
		.sa_sigaction = on_sigill,
		.sa_flags = SA_SIGINFO,
	};
	struct ucall uc;
	timer_t timer = NULL;
	int cpu;

	ksft_print_header();
	ksft_set_plan(7);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 1, map_exit_page(vm, &exit_gpa));
	TEST_ASSERT(!sigaction(SIGILL, &ill, NULL), "sigaction");
	cpu = gfpu_pin_first_cpu();
	TEST_ASSERT(cpu >= 0, "cannot pin to a CPU");
	TEST_ASSERT(!pthread_create(&thread, NULL, hammer, NULL), "pthread_create");
	ksft_print_msg("vCPU and hammer threads on CPU %d, SIGUSR1 every %d us, host SVE %s\n",
		       cpu, SIGNAL_US, sve ? "yes" : "no");

	while (!done) {
		if (sve)
			sve_roundtrip();
		run_holding_vregs(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu->run->mmio.phys_addr == exit_gpa)
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
	kvm_vm_free(vm);

	ksft_print_msg("%lu KVM_RUNs, %lu interrupted by a signal, %lu signals, %lu hammer rounds\n",
		       host_runs, eintr, (unsigned long)signal_runs,
		       (unsigned long)hammer_runs);
	result(guest_rounds, guest_fails,
	       "guest V0-V31 survive preemption and signals");
	result(host_runs, host_fails, "VMM V0-V31 survive KVM_RUN");
	result(hammer_runs, hammer_fails, "competing thread's V0-V31 survive");
	result(signal_runs, signal_fails, "signal handler's V0-V31 survive");
	ksft_test_result(eintr > 0, "signals interrupted KVM_RUN (%lu times)\n",
			 eintr);
	/* Only the framework counts it; without it this is not known. */
	if (preempted < 0)
		ksft_test_result_skip("preempted inside KVM_RUN: no gfpu counters\n");
	else
		ksft_test_result(preempted > 0,
				 "preempted inside KVM_RUN (%ld times)\n",
				 preempted);
	if (sve)
		result(sve_runs, sve_fails,
		       "host SVE P0 survives KVM_RUN and a signal round trip");
	else
		ksft_test_result_skip("host SVE: the host has no SVE\n");
	ksft_finished();
}
