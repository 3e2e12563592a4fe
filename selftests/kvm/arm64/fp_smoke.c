// SPDX-License-Identifier: GPL-2.0
/*
 * fp_smoke - guest and host FP/SIMD registers survive VM exits (arm64).
 *
 * The guest enables FP/SIMD (CPACR_EL1.FPEN), loads all 32 V registers with
 * a pattern that changes every iteration and exits to userspace with the
 * pattern still live (an MMIO store to a page outside every memslot, inside
 * one asm block). At that exit the host reads the guest's V registers with
 * KVM_GET_ONE_REG and, every SET_EVERY-th iteration, replaces them with
 * KVM_SET_ONE_REG. Back in the guest the registers must hold exactly what
 * the host saw or wrote; a GUEST_SYNC reports the guest's verdict. A last
 * phase holds one pattern across LONG_EXITS exits without reloading it.
 *
 * The host thread does every KVM_RUN from inside an asm block that holds its
 * own pattern in v0-v31 across the syscall, and hops between CPUs between
 * iterations.
 *
 * What it catches: a guest FP state not saved at exit or not restored at
 * entry (lazy trap paths included), one restored from another iteration or
 * CPU, the one-reg interface reading or writing a stale copy, and host
 * state clobbered by KVM_RUN.
 */
#include <stdint.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define ITERATIONS	1000	/* GUEST_SYNC exits, and as many FP exits */
#define LONG_EXITS	1000	/* exits with one pattern held throughout */
#define SET_EVERY	4	/* host writes the guest's V regs this often */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */

/* Load @in, exit @count times by storing @what to @mmio, store to @out. */
static void guest_hold_vregs(const uint64_t *in, uint64_t *out,
			     volatile uint64_t *mmio, uint64_t what,
			     uint32_t count)
{
	asm volatile(V_ALL(V_LOAD)
		     "1: str %[what], [%[mmio]]\n\t"
		     "subs %w[count], %w[count], #1\n\t"
		     "b.ne 1b\n\t"
		     V_ALL(V_STORE)
		     : [count] "+r" (count)
		     : [in] "r" (in), [out] "r" (out), [mmio] "r" (mmio),
		       [what] "r" (what)
		     : "memory", "cc", V_CLOBBERS);
}

static void guest_code(volatile uint64_t *mmio)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	uint64_t i, dom;

	gfpu_guest_fp_enable(0);
	GUEST_ASSERT((read_sysreg(cpacr_el1) & CPACR_FPEN) == CPACR_FPEN);

	for (i = 0; i < ITERATIONS; i++) {
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_GUEST, i);
		guest_hold_vregs(in, out, mmio, GFPU_EXIT_SHORT, 1);
		dom = i % SET_EVERY ? GFPU_DOM_GUEST : GFPU_DOM_HOST_SET;
		GUEST_SYNC2(i, gfpu_pattern_diff(out, NR_VREGS, dom, i));
	}

	gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_LONG, 0);
	guest_hold_vregs(in, out, mmio, GFPU_EXIT_LONG, LONG_EXITS);
	GUEST_SYNC2(ITERATIONS, gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_LONG, 0));

	GUEST_DONE();
}

static uint64_t vregs_diff(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[V_WORDS];

	gfpu_vregs_get(vcpu, words);
	return gfpu_pattern_diff(words, NR_VREGS, dom, seed);
}

static void vregs_fill(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[V_WORDS];

	gfpu_pattern_fill(words, V_WORDS, dom, seed);
	gfpu_vregs_set(vcpu, words);
}

static struct gfpu_smoke smoke = {
	.guest = { "guest v0-v31 survive exits" },
	.get = { "KVM_GET_ONE_REG returns the guest's live V regs" },
	.set = { "KVM_SET_ONE_REG reaches the guest's V regs" },
	.held = { "guest v0-v31 held across many exits" },
	.host = { "host v0-v31 survive KVM_RUN" },
	.iterations = ITERATIONS,
	.long_exits = LONG_EXITS,
	.migrate_every = MIGRATE_EVERY,
	.set_every = SET_EVERY,
	.regs_diff = vregs_diff,
	.regs_set = vregs_fill,
};

/*
 * The latched policy's signature in the framework's counters: SIG_RUNS
 * KVM_RUNs whose guest never touches FP, then SIG_RUNS that each use it
 * once (so each traps once).
 *   eager (default): the host is saved at every vcpu load, used or not:
 *     no-FP runs save once each and trap never;
 *   lazy-host: the host is saved on the guest's first trap only: no-FP
 *     runs save nothing, FP runs trap and save twice (host on the trap,
 *     guest at put);
 *   entry: the host is saved at the run's first guest entry: no-FP runs
 *     save once each, and SIG_RUNS more KVM_RUNs under immediate_exit,
 *     which never enter the guest, save nothing (eager saves at each).
 * Under every policy the only saves that the immediate exits may see are
 * the host's own, at a preemption or a steal, which gfpu counts too.
 */
#define SIG_RUNS	200
#define SIG_NOFP	3
#define SIG_FP		4

static void sig_guest(volatile uint64_t *mmio)
{
	uint32_t i;

	for (i = 0; i <= SIG_RUNS; i++)
		asm volatile("str %0, [%1]"
			     : : "r" ((uint64_t)SIG_NOFP), "r" (mmio) : "memory");
	for (i = 0; i < SIG_RUNS; i++)
		asm volatile("fmov d0, %0\n\t"
			     "str %0, [%1]"
			     : : "r" ((uint64_t)SIG_FP), "r" (mmio) : "memory", "v0");
	GUEST_DONE();
}

static void policy_signature(void)
{
	struct gfpu_counters c0, c1, c2, c3, nofp, fp, imm;
	long param = gfpu_policy_param(), slack = SIG_RUNS / 10;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t gpa;
	struct ucall uc;
	bool have, lazy, entry;
	int i, r;

	vm = vm_create_with_one_vcpu(&vcpu, sig_guest);
	vcpu_args_set(vcpu, 1, gfpu_map_exit_page(vm, &gpa));
	/* The first run starts the guest; count from its first exit on. */
	gfpu_run_expect_mmio(vcpu, gpa, SIG_NOFP);
	have = gfpu_counters_read(vcpu, &c0);
	for (i = 0; i < SIG_RUNS; i++)
		gfpu_run_expect_mmio(vcpu, gpa, SIG_NOFP);
	gfpu_counters_read(vcpu, &c1);
	for (i = 0; i < SIG_RUNS; i++)
		gfpu_run_expect_mmio(vcpu, gpa, SIG_FP);
	gfpu_counters_read(vcpu, &c2);
	/* KVM_RUNs that never enter the guest (the first completes the MMIO). */
	vcpu->run->immediate_exit = 1;
	for (i = 0; i < SIG_RUNS; i++) {
		r = __vcpu_run(vcpu);
		TEST_ASSERT(r == -1 && errno == EINTR,
			    "immediate_exit: KVM_RUN returned %d, errno %d", r,
			    errno);
	}
	vcpu->run->immediate_exit = 0;
	gfpu_counters_read(vcpu, &c3);
	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_DONE,
		    "signature guest did not finish");
	kvm_vm_free(vm);

	if (!have) {
		ksft_test_result_skip("policy signature: no gfpu counters\n");
		return;
	}
	if (gfpu_soaking()) {
		ksft_test_result_skip("policy signature: the soak changes the policy under the run\n");
		return;
	}
	gfpu_counters_sub(&nofp, &c1, &c0);
	gfpu_counters_sub(&fp, &c2, &c1);
	gfpu_counters_sub(&imm, &c3, &c2);
	lazy = c2.policy & GFPU_POLICY_LAZY_HOST;
	entry = c2.policy & GFPU_POLICY_SWAP_ENTRY;
	ksft_print_msg("policy %ld latched (parameter %ld); %d runs without FP: run_enter %ld saves %ld traps %ld; %d runs with FP: run_enter %ld saves %ld traps %ld restores %ld; %d immediate exits: run_enter %ld guest_enter %ld saves %ld\n",
		       c2.policy, param, SIG_RUNS, nofp.run_enter, nofp.saves,
		       nofp.traps, SIG_RUNS, fp.run_enter, fp.saves, fp.traps,
		       fp.restores, SIG_RUNS, imm.run_enter, imm.guest_enter,
		       imm.saves);
	if (c2.policy != param)
		ksft_test_result_fail("policy signature: the vCPU latched %ld, the parameter is %ld\n",
				      c2.policy, param);
	else if (imm.run_enter != SIG_RUNS || imm.guest_enter)
		ksft_test_result_fail("policy signature: %ld KVM_RUNs and %ld guest entries for %d immediate exits\n",
				      imm.run_enter, imm.guest_enter, SIG_RUNS);
	else if (entry)
		ksft_test_result(nofp.traps == 0 && nofp.saves >= SIG_RUNS - slack &&
				 fp.traps >= SIG_RUNS &&
				 imm.saves <= imm.preempted + imm.steals,
				 "policy %ld signature (entry): host saved at each run's guest entry (%ld saves in %d runs without FP), none in runs that never enter (%ld saves, %ld preemptions, %ld steals in %d immediate exits)\n",
				 c2.policy, nofp.saves, SIG_RUNS, imm.saves,
				 imm.preempted, imm.steals, SIG_RUNS);
	else if (lazy)
		/*
		 * No save at load: the only saves of the runs without FP
		 * are the host's own, one per preemption (the context
		 * switch saves the live task state) or per steal
		 * (kernel-mode NEON), which gfpu counts too.
		 */
		ksft_test_result(nofp.traps == 0 &&
				 nofp.saves <= nofp.preempted + nofp.steals &&
				 imm.saves <= imm.preempted + imm.steals &&
				 fp.traps >= SIG_RUNS &&
				 fp.saves >= 2 * SIG_RUNS - slack,
				 "policy %ld signature (lazy-host): no host save at load (%ld saves, %ld preemptions, %ld steals in %d runs without FP), host saved on the trap (%ld traps, %ld saves in %d runs with FP)\n",
				 c2.policy, nofp.saves, nofp.preempted,
				 nofp.steals, SIG_RUNS, fp.traps, fp.saves,
				 SIG_RUNS);
	else
		ksft_test_result(nofp.traps == 0 && nofp.saves >= SIG_RUNS - slack &&
				 fp.traps >= SIG_RUNS &&
				 imm.saves >= SIG_RUNS - slack,
				 "policy %ld signature (eager): host saved at every load (%ld saves, %ld traps in %d runs without FP; %ld saves in %d immediate exits), %ld traps in %d runs with FP\n",
				 c2.policy, nofp.saves, nofp.traps, SIG_RUNS,
				 imm.saves, SIG_RUNS, fp.traps, SIG_RUNS);
}

int main(int argc, char *argv[])
{
	struct gfpu_hooks hooks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(7);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 1, gfpu_map_exit_page(vm, &smoke.exit_gpa));
	gfpu_smoke_run(&smoke, vcpu, gfpu_smoke_exit, &hooks);
	kvm_vm_free(vm);

	gfpu_smoke_report(&smoke, &hooks);
	policy_signature();
	ksft_finished();
}
