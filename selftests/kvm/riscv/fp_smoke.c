// SPDX-License-Identifier: GPL-2.0
/*
 * fp_smoke - guest and host F/D registers survive VM exits (riscv64).
 *
 * The guest turns its FP unit on (sstatus.FS Initial), loads f0-f31 with a
 * pattern that changes every iteration and exits to userspace with the
 * pattern still live (an MMIO store to a page outside every memslot, inside
 * one asm block). At that exit the host reads the guest's f0-f31 with
 * KVM_GET_ONE_REG and, every SET_EVERY-th iteration, replaces them with
 * KVM_SET_ONE_REG. Back in the guest the registers must hold exactly what
 * the host saw or wrote; a GUEST_SYNC reports the guest's verdict. A last
 * phase holds one pattern across LONG_EXITS exits without reloading it.
 *
 * The host thread does every KVM_RUN from inside an asm block that holds its
 * own pattern in f0-f31 across the syscall, and hops between CPUs between
 * iterations.
 *
 * Then ONE_REG with bad ids and sizes (f32, f0 as 32 bits, fcsr as 64
 * bits, a vector register number past v31, datap) must fail with 6.12's
 * errno and change nothing; fcsr and the F view (KVM_REG_RISCV_FP_F)
 * round-trip. Last, the latched policy's signature in the framework's
 * counters: eager never traps, riscv-lazy traps once per run that uses FP
 * and never in one that does not.
 *
 * What it catches: a guest FP state not saved at exit or not restored at
 * entry (the lazy trap included), one restored from another iteration or
 * CPU, the one-reg interface reading or writing a stale copy, and host
 * state clobbered by KVM_RUN.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_riscv.h"

#define ITERATIONS	1000	/* GUEST_SYNC exits, and as many FP exits */
#define LONG_EXITS	1000	/* exits with one pattern held throughout */
#define SET_EVERY	4	/* host writes the guest's f regs this often */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */

#define GFPU_POLICY_RISCV_LAZY	(1u << 3)

#define FP_D_ID(n, size) (KVM_REG_RISCV | KVM_REG_SIZE_##size | \
			  KVM_REG_RISCV_FP_D | (n))
#define FP_F_ID(n, size) (KVM_REG_RISCV | KVM_REG_SIZE_##size | \
			  KVM_REG_RISCV_FP_F | (n))
#define VEC_ID(n, size)	(KVM_REG_RISCV | KVM_REG_SIZE_##size | \
			 KVM_REG_RISCV_VECTOR | (n))
#define FCSR_NUM	32

static void guest_fp_enable(void)
{
	asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_FS_INITIAL));
}

static void guest_code(volatile uint64_t *mmio)
{
	guest_fp_enable();
	gfpu_guest_fregs_smoke(mmio, ITERATIONS, LONG_EXITS, SET_EVERY);
	GUEST_DONE();
}

static struct gfpu_smoke smoke = {
	.guest = { "guest f0-f31 survive exits" },
	.get = { "KVM_GET_ONE_REG returns the guest's live f regs" },
	.set = { "KVM_SET_ONE_REG reaches the guest's f regs" },
	.held = { "guest f0-f31 held across many exits" },
	.host = { "host f0-f31 survive KVM_RUN" },
	.iterations = ITERATIONS,
	.long_exits = LONG_EXITS,
	.migrate_every = MIGRATE_EVERY,
	.set_every = SET_EVERY,
	.regs_diff = gfpu_fregs_diff,
	.regs_set = gfpu_fregs_fill,
};

/* === ONE_REG: bad ids change nothing, good ones round-trip ============= */

static const struct gfpu_bad_reg bad_cases[] = {
	{ "D f32 (past f31 and fcsr)", FP_D_ID(33, U64), ENOENT },
	{ "D f0 with a 32-bit size", FP_D_ID(0, U32), EINVAL },
	{ "D f31 with a 128-bit size", FP_D_ID(31, U128), EINVAL },
	{ "D fcsr with a 64-bit size", FP_D_ID(FCSR_NUM, U64), EINVAL },
	{ "F f0 with a 64-bit size", FP_F_ID(0, U64), EINVAL },
	{ "F word 33 (past fcsr)", FP_F_ID(33, U32), ENOENT },
	{ "vector datap", VEC_ID(5, U64), ENOENT },
	{ "vector register 32 (past v31)", VEC_ID(6 + 32, U256), ENOENT },
	{ "vector vl with a 32-bit size", VEC_ID(1, U32), EINVAL },
};

static void one_reg(struct kvm_vcpu *vcpu)
{
	uint64_t want[F_WORDS], got[F_WORDS], fcsr;
	unsigned int bad;

	gfpu_pattern_fill(want, F_WORDS, GFPU_DOM_HOST_SET, 4242);
	gfpu_fregs_set(vcpu, want);
	vcpu_set_reg(vcpu, FP_D_ID(FCSR_NUM, U32), 0x61);
	bad = gfpu_bad_regs(vcpu, bad_cases, ARRAY_SIZE(bad_cases));
	gfpu_fregs_get(vcpu, got);
	fcsr = 0;
	vcpu_get_reg(vcpu, FP_D_ID(FCSR_NUM, U32), &fcsr);
	ksft_test_result(!bad && !memcmp(got, want, sizeof(got)) && fcsr == 0x61,
			 "ONE_REG: %zu bad ids and sizes rejected with 6.12's errno, f0-f31 and fcsr unchanged\n",
			 ARRAY_SIZE(bad_cases));
}

/*
 * The latched policy's signature: SIG_RUNS KVM_RUNs whose guest never
 * touches FP, then SIG_RUNS that each use it once. eager: no traps at
 * all; riscv-lazy: none in the first, one per run in the second.
 */
#define SIG_RUNS	200
#define SIG_NOFP	3
#define SIG_FP		4

static void sig_guest(volatile uint64_t *mmio)
{
	uint64_t i;

	guest_fp_enable();
	for (i = 0; i <= SIG_RUNS; i++)
		asm volatile("sd %0, 0(%1)"
			     : : "r" ((uint64_t)SIG_NOFP), "r" (mmio) : "memory");
	for (i = 0; i < SIG_RUNS; i++)
		asm volatile("fmv.d.x f0, %0\n\t"
			     "sd %0, 0(%1)"
			     : : "r" ((uint64_t)SIG_FP), "r" (mmio)
			     : "memory", "f0");
	GUEST_DONE();
}

static void policy_signature(void)
{
	struct gfpu_counters c0, c1, c2, nofp, fp;
	long param = gfpu_policy_param();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t gpa;
	struct ucall uc;
	bool have, lazy;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, sig_guest);
	vcpu_args_set(vcpu, 1, gfpu_map_exit_page(vm, &gpa));
	gfpu_run_expect_mmio(vcpu, gpa, SIG_NOFP);
	have = gfpu_counters_read(vcpu, &c0);
	for (i = 0; i < SIG_RUNS; i++)
		gfpu_run_expect_mmio(vcpu, gpa, SIG_NOFP);
	gfpu_counters_read(vcpu, &c1);
	for (i = 0; i < SIG_RUNS; i++)
		gfpu_run_expect_mmio(vcpu, gpa, SIG_FP);
	gfpu_counters_read(vcpu, &c2);
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
	lazy = c2.policy & GFPU_POLICY_RISCV_LAZY;
	ksft_print_msg("policy %ld latched (parameter %ld); %d runs without FP: restores %ld traps %ld; %d runs with FP: restores %ld traps %ld\n",
		       c2.policy, param, SIG_RUNS, nofp.restores, nofp.traps,
		       SIG_RUNS, fp.restores, fp.traps);
	if (c2.policy != param)
		ksft_test_result_fail("policy signature: the vCPU latched %ld, the parameter is %ld\n",
				      c2.policy, param);
	else if (lazy)
		ksft_test_result(nofp.traps == 0 && nofp.restores == 0 &&
				 fp.traps >= SIG_RUNS,
				 "policy %ld signature (riscv-lazy): nothing restored without FP (%ld restores, %ld traps), a trap per run with FP (%ld traps)\n",
				 c2.policy, nofp.restores, nofp.traps, fp.traps);
	else
		ksft_test_result(nofp.traps == 0 && fp.traps == 0 &&
				 nofp.restores >= SIG_RUNS,
				 "policy %ld signature (eager): restored at every load (%ld restores in %d runs without FP), no traps (%ld, %ld)\n",
				 c2.policy, nofp.restores, SIG_RUNS,
				 nofp.traps, fp.traps);
}

int main(int argc, char *argv[])
{
	struct gfpu_hooks hooks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	ksft_print_header();
	ksft_set_plan(8);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 1, gfpu_map_exit_page(vm, &smoke.exit_gpa));
	gfpu_smoke_run(&smoke, vcpu, gfpu_smoke_exit, &hooks);
	one_reg(vcpu);
	kvm_vm_free(vm);

	gfpu_smoke_report(&smoke, &hooks);
	policy_signature();
	ksft_finished();
}
