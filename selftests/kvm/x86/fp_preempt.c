// SPDX-License-Identifier: GPL-2.0
/*
 * fp_preempt - guest, VMM and a competing thread keep their SSE registers
 * while the vCPU thread is preempted and takes signals.
 *
 * The vCPU thread and a "hammer" thread are pinned to the same CPU. The
 * hammer loads its own pattern into xmm0-15, yields the CPU, and checks
 * the pattern, over and over. In the second half of the run, a timer
 * sends the vCPU thread SIGUSR1 SIGNAL_US microseconds (or a tenth of a
 * first-half round's time, if longer: gfpu_signals_start()) after the
 * last handler ended; the handler loads its own pattern, yields, and checks
 * it. The guest holds a pattern in xmm0-15 across EXITS exits per round
 * and reports what it reads back. Every KVM_RUN is made from an asm
 * block that holds the VMM's pattern in xmm0-15 across the syscall.
 *
 * What it catches: guest state saved into the VMM's buffer or lost when
 * the vCPU thread is preempted inside KVM_RUN (TIF_NEED_FPU_LOAD not
 * honoured on a load, put or entry path), a signal frame built from, or
 * restored into, the wrong registers, and any context seeing another's
 * values.
 */
#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"

#define ROUNDS		200	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define SIGNAL_US	300	/* at least, from one SIGUSR1 handler's end to the next */
#define SPIN		1000000	/* guest loop per round without any exit */

#define FP_PORT		0x1003

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

static struct gfpu_check guest_regs = { "guest xmm0-15 survive preemption and signals" };
static struct gfpu_check host_regs = { "VMM xmm0-15 survive KVM_RUN" };
static struct gfpu_check hammer_regs = { "competing thread's xmm0-15 survive" };
static struct gfpu_check signal_regs = { "signal handler's xmm0-15 survive" };

/* The guest's verdict on round args[0]: args[1], registers that differ. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	gfpu_sync_record(uc, guest_regs.runs, &guest_regs);
	/*
	 * Preemption alone first: a pending signal makes KVM_RUN return,
	 * and the way back to userspace reloads what a broken entry path
	 * would miss.
	 */
	if (guest_regs.runs == ROUNDS / 2)
		gfpu_signals_start(SIGNAL_US, ROUNDS / 2, &signal_regs);
}

static bool loop_exit(struct gfpu_loop *l)
{
	return gfpu_exit_io(l->vcpu, FP_PORT);
}

/*
 * The latched policy's signature in the framework's counters, from a run
 * that was preempted inside KVM_RUN:
 *   loadput: the guest fpstate is swapped out at every put and in at every
 *     load, sched_out/sched_in included, and each swap restores registers:
 *     restores >= 2 * (run_enter + preempted);
 *   run (default): swapped only at the first load and last put of each
 *     KVM_RUN, never at sched_out/sched_in; only those swaps, the uAPI's
 *     flush, the swaps around an fpstate growth and the host's own saves
 *     that gfpu counts (the context switch's at each preemption, and
 *     kernel-mode FP's, which it finds as steals) save:
 *     saves <= 2 * (run_enter + feature) + get + set + preempted + steals.
 *     A swap at sched_out would add a second save per preemption;
 *   entry: as run, the swap in deferred to the run's first guest entry,
 *     so the same bound holds (fp_emul shows what it saves: a KVM_RUN
 *     that never enters the guest moves nothing).
 */
static void policy_signature(bool have, const struct gfpu_counters *c)
{
	long param = gfpu_policy_param();
	long run_bound = 2 * (c->run_enter + c->feature) + c->get + c->set +
			 c->preempted + c->steals;
	bool loadput;

	if (!have) {
		ksft_test_result_skip("policy signature: no gfpu counters\n");
		return;
	}
	if (gfpu_soaking()) {
		ksft_test_result_skip("policy signature: the soak changes the policy under the run\n");
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
				 "policy %ld signature (%s): no swap at sched_out/sched_in, %ld saves for %ld KVM_RUNs and %ld preemptions\n",
				 c->policy,
				 c->policy & GFPU_POLICY_SWAP_ENTRY ? "entry" : "run",
				 c->saves, c->run_enter, c->preempted);
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.host = &host_regs,
	};
	struct gfpu_counters counters;
	bool have_counters;
	struct kvm_vm *vm;
	long preempted;
	int cpu;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XMM2));
	ksft_print_header();
	ksft_set_plan(7);

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	cpu = gfpu_preempt_begin(&hammer_regs);
	ksft_print_msg("vCPU and hammer threads on CPU %d\n", cpu);

	gfpu_run_loop(&loop);
	preempted = gfpu_preempt_end(loop.vcpu);
	have_counters = gfpu_counters_read(loop.vcpu, &counters);
	kvm_vm_free(vm);

	gfpu_preempt_report(&loop, &guest_regs, &hammer_regs, &signal_regs,
			    preempted);
	policy_signature(have_counters, &counters);
	ksft_finished();
}
