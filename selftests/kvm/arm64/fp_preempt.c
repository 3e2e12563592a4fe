// SPDX-License-Identifier: GPL-2.0
/*
 * fp_preempt - guest, VMM and a competing thread keep their FP/SIMD
 * registers while the vCPU thread is preempted and takes signals.
 *
 * The vCPU thread and a "hammer" thread are pinned to the same CPU. The
 * hammer loads its own pattern into V0-V31, yields the CPU and checks the
 * pattern, over and over. In the second half of the run a timer sends the
 * vCPU thread SIGUSR1, SIGNAL_US microseconds (or a tenth of a first-half
 * round's time, if longer: gfpu_signals_start()) after the last handler
 * ended; the handler does the same with its own pattern.
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
#include <stdint.h>
#include <sys/auxv.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define ROUNDS		200	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define SIGNAL_US	300	/* at least, from one SIGUSR1 handler's end to the next */
#define SPIN		1000000	/* guest loop per round without any exit */

static void guest_code(volatile uint64_t *mmio)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	uint32_t count, spin;
	uint64_t r;

	gfpu_guest_fp_enable(0);
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

static struct gfpu_check guest_regs = { "guest V0-V31 survive preemption and signals" };
static struct gfpu_check host_regs = { "VMM V0-V31 survive KVM_RUN" };
static struct gfpu_check hammer_regs = { "competing thread's V0-V31 survive" };
static struct gfpu_check signal_regs = { "signal handler's V0-V31 survive" };
static struct gfpu_check sve_regs = { "host SVE P0 survives KVM_RUN and a signal round trip" };

static vm_paddr_t exit_gpa;
static bool sve;

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
	gfpu_check_record(&sve_regs, sve_regs.runs, before != after);
}

static void loop_run(struct gfpu_loop *l)
{
	if (sve)
		sve_roundtrip();
	gfpu_run_holding(l);
}

static bool loop_exit(struct gfpu_loop *l)
{
	return gfpu_exit_mmio(l->vcpu, exit_gpa, NULL);
}

/* The guest's verdict on round args[0]: args[1], registers that differ. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	gfpu_sync_record(uc, guest_regs.runs, &guest_regs);
	/* Preemption alone first, as in x86/fp_preempt.c. */
	if (guest_regs.runs == ROUNDS / 2)
		gfpu_signals_start(SIGNAL_US, ROUNDS / 2, &signal_regs);
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.run = loop_run,
		.exit = loop_exit,
		.sync = loop_sync,
		.host = &host_regs,
	};
	struct kvm_vm *vm;
	long preempted;
	int cpu;

	ksft_print_header();
	ksft_set_plan(7);

	sve = getauxval(AT_HWCAP) & HWCAP_SVE;
	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	vcpu_args_set(loop.vcpu, 1, gfpu_map_exit_page(vm, &exit_gpa));
	gfpu_sigill_skips_udf();
	cpu = gfpu_preempt_begin(&hammer_regs);
	ksft_print_msg("vCPU and hammer threads on CPU %d, host SVE %s\n",
		       cpu, sve ? "yes" : "no");

	gfpu_run_loop(&loop);
	preempted = gfpu_preempt_end(loop.vcpu);
	kvm_vm_free(vm);

	gfpu_preempt_report(&loop, &guest_regs, &hammer_regs, &signal_regs,
			    preempted);
	gfpu_check_report_or_skip(&sve_regs, sve, "the host has no SVE");
	ksft_finished();
}
