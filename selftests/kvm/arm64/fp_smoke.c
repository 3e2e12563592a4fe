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
#include <sys/syscall.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"

#define ITERATIONS	1000	/* GUEST_SYNC exits, and as many FP exits */
#define LONG_EXITS	1000	/* exits with one pattern held throughout */
#define SET_EVERY	4	/* host writes the guest's V regs this often */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */

/* What the guest writes to the FP exit page: which phase it is in. */
#define FP_EXIT_SHORT	1
#define FP_EXIT_LONG	2

#define VREG_ID(n)	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(fp_regs.vregs[n]))

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

	/* The library enables FP already; a guest must not rely on it. */
	write_sysreg(read_sysreg(cpacr_el1) | CPACR_FPEN, cpacr_el1);
	isb();
	GUEST_ASSERT((read_sysreg(cpacr_el1) & CPACR_FPEN) == CPACR_FPEN);

	for (i = 0; i < ITERATIONS; i++) {
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_GUEST, i);
		guest_hold_vregs(in, out, mmio, FP_EXIT_SHORT, 1);
		dom = i % SET_EVERY ? GFPU_DOM_GUEST : GFPU_DOM_HOST_SET;
		GUEST_SYNC2(i, gfpu_pattern_diff(out, NR_VREGS, dom, i));
	}

	gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_LONG, 0);
	guest_hold_vregs(in, out, mmio, FP_EXIT_LONG, LONG_EXITS);
	GUEST_SYNC2(ITERATIONS, gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_LONG, 0));

	GUEST_DONE();
}

static struct gfpu_check host_regs = { "host v0-v31 survive KVM_RUN" };
static struct gfpu_check guest_regs = { "guest v0-v31 survive exits" };
static struct gfpu_check get_reg = { "KVM_GET_ONE_REG returns the guest's live V regs" };
static struct gfpu_check set_reg = { "KVM_SET_ONE_REG reaches the guest's V regs" };
static struct gfpu_check long_regs = { "guest v0-v31 held across many exits" };

/*
 * KVM_RUN from inside an asm block that holds a host pattern in v0-v31
 * across the syscall; the registers are compared afterwards. Retries on
 * EINTR like vcpu_run().
 */
static void run_holding_vregs(struct kvm_vcpu *vcpu)
{
	static unsigned long seed;
	uint64_t in[V_WORDS], out[V_WORDS];
	long ret;

	do {
		seed++;
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_HOST, seed);
		ret = gfpu_kvm_run_holding_v(vcpu->fd, in, out);
		gfpu_check_record(&host_regs, seed,
			     gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_HOST, seed));
	} while (ret == -EINTR);

	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(vcpu);
}

static uint64_t vregs_diff(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[V_WORDS];
	int n;

	for (n = 0; n < NR_VREGS; n++)
		vcpu_get_reg(vcpu, VREG_ID(n), &words[2 * n]);
	return gfpu_pattern_diff(words, NR_VREGS, dom, seed);
}

static void vregs_set(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[V_WORDS];
	struct kvm_one_reg reg;
	int n;

	gfpu_pattern_fill(words, V_WORDS, dom, seed);
	for (n = 0; n < NR_VREGS; n++) {
		reg.id = VREG_ID(n);
		reg.addr = (uint64_t)&words[2 * n];
		vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
	}
}

/* The guest is stopped at a short FP exit in iteration @i. */
static void handle_fp_exit(struct kvm_vcpu *vcpu, uint64_t i)
{
	gfpu_check_record(&get_reg, i, vregs_diff(vcpu, GFPU_DOM_GUEST, i));
	if (i % SET_EVERY)
		return;
	vregs_set(vcpu, GFPU_DOM_HOST_SET, i);
	gfpu_check_record(&set_reg, i, vregs_diff(vcpu, GFPU_DOM_HOST_SET, i));
}

/* A page outside every memslot, mapped in the guest: stores to it exit. */
static vm_vaddr_t map_exit_page(struct kvm_vm *vm, vm_paddr_t *gpa)
{
	vm_vaddr_t gva = vm_vaddr_unused_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);

	/* The ucall page sits right after memslot 0; take the next one. */
	*gpa = vm->ucall_mmio_addr + vm->page_size;
	virt_map(vm, gva, *gpa, 1);
	return gva;
}

/*
 * The latched policy's signature in the framework's counters: SIG_RUNS
 * KVM_RUNs whose guest never touches FP, then SIG_RUNS that each use it
 * once (so each traps once).
 *   eager (default): the host is saved at every vcpu load, used or not:
 *     no-FP runs save once each and trap never;
 *   lazy-host: the host is saved on the guest's first trap only: no-FP
 *     runs save nothing, FP runs trap and save twice (host on the trap,
 *     guest at put).
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

static void sig_run(struct kvm_vcpu *vcpu, vm_paddr_t gpa, uint64_t what)
{
	struct kvm_run *run = vcpu->run;
	uint64_t got;

	vcpu_run(vcpu);
	TEST_ASSERT(run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == gpa,
		    "signature guest: unexpected exit %s",
		    exit_reason_str(run->exit_reason));
	memcpy(&got, run->mmio.data, sizeof(got));
	TEST_ASSERT(got == what, "signature guest: exit %lu, expected %lu",
		    (unsigned long)got, (unsigned long)what);
}

static void policy_signature(void)
{
	struct gfpu_counters c0, c1, c2, nofp, fp;
	long param = gfpu_policy_param(), slack = SIG_RUNS / 10;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t gpa;
	struct ucall uc;
	bool have, lazy;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, sig_guest);
	vcpu_args_set(vcpu, 1, map_exit_page(vm, &gpa));
	/* The first run starts the guest; count from its first exit on. */
	sig_run(vcpu, gpa, SIG_NOFP);
	have = gfpu_counters_read("vcpu0", &c0);
	for (i = 0; i < SIG_RUNS; i++)
		sig_run(vcpu, gpa, SIG_NOFP);
	gfpu_counters_read("vcpu0", &c1);
	for (i = 0; i < SIG_RUNS; i++)
		sig_run(vcpu, gpa, SIG_FP);
	gfpu_counters_read("vcpu0", &c2);
	vcpu_run(vcpu);
	TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_DONE, "signature guest did not finish");
	kvm_vm_free(vm);

	if (!have) {
		ksft_test_result_skip("policy signature: no gfpu counters\n");
		return;
	}
	gfpu_counters_sub(&nofp, &c1, &c0);
	gfpu_counters_sub(&fp, &c2, &c1);
	lazy = c2.policy & GFPU_POLICY_LAZY_HOST;
	ksft_print_msg("policy %ld latched (parameter %ld); %d runs without FP: run_enter %ld saves %ld traps %ld; %d runs with FP: run_enter %ld saves %ld traps %ld restores %ld\n",
		       c2.policy, param, SIG_RUNS, nofp.run_enter, nofp.saves,
		       nofp.traps, SIG_RUNS, fp.run_enter, fp.saves, fp.traps,
		       fp.restores);
	if (c2.policy != param)
		ksft_test_result_fail("policy signature: the vCPU latched %ld, the parameter is %ld\n",
				      c2.policy, param);
	else if (lazy)
		ksft_test_result(nofp.traps == 0 && nofp.saves == 0 &&
				 fp.traps >= SIG_RUNS &&
				 fp.saves >= 2 * SIG_RUNS - slack,
				 "policy %ld signature (lazy-host): no host save at load (%ld saves in %d runs without FP), host saved on the trap (%ld traps, %ld saves in %d runs with FP)\n",
				 c2.policy, nofp.saves, SIG_RUNS, fp.traps,
				 fp.saves, SIG_RUNS);
	else
		ksft_test_result(nofp.traps == 0 && nofp.saves >= SIG_RUNS - slack &&
				 fp.traps >= SIG_RUNS,
				 "policy %ld signature (eager): host saved at every load (%ld saves, %ld traps in %d runs without FP), %ld traps in %d runs with FP\n",
				 c2.policy, nofp.saves, nofp.traps, SIG_RUNS,
				 fp.traps, SIG_RUNS);
}

int main(int argc, char *argv[])
{
	unsigned long syncs = 0, long_exits = 0, migrations = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct kvm_vm *vm;
	vm_paddr_t exit_gpa;
	struct ucall uc;
	bool done = false, have_stats;
	long runs, entries, syncs_hook;
	uint64_t what;
	int ncpus;

	ksft_print_header();
	ksft_set_plan(7);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 1, map_exit_page(vm, &exit_gpa));
	run = vcpu->run;
	ncpus = gfpu_migrate_init();
	ksft_print_msg("%d iterations, %d long exits, host thread on %d CPUs\n",
		       ITERATIONS, LONG_EXITS, ncpus);

	while (!done) {
		run_holding_vregs(vcpu);

		if (run->exit_reason == KVM_EXIT_MMIO &&
		    run->mmio.phys_addr == exit_gpa) {
			TEST_ASSERT(run->mmio.is_write && run->mmio.len == 8,
				    "unexpected access to the FP exit page");
			memcpy(&what, run->mmio.data, sizeof(what));
			if (what == FP_EXIT_SHORT) {
				handle_fp_exit(vcpu, syncs);
				continue;
			}
			TEST_ASSERT(what == FP_EXIT_LONG, "FP exit %lu", (unsigned long)what);
			gfpu_check_record(&long_regs, long_exits,
				     vregs_diff(vcpu, GFPU_DOM_LONG, 0));
			if (++long_exits % MIGRATE_EVERY == 0 &&
			    gfpu_migrate(long_exits / MIGRATE_EVERY) >= 0)
				migrations++;
			continue;
		}

		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == syncs,
				    "guest at iteration %lu, host expected %lu",
				    (unsigned long)uc.args[0], syncs);
			if (syncs < ITERATIONS)
				gfpu_check_record(&guest_regs, syncs, uc.args[1]);
			else
				gfpu_check_record(&long_regs, syncs, uc.args[1]);
			if (++syncs % MIGRATE_EVERY == 0 &&
			    gfpu_migrate(syncs / MIGRATE_EVERY) >= 0)
				migrations++;
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit: %s, ucall %lu",
				  exit_reason_str(run->exit_reason),
				  (unsigned long)uc.cmd);
		}
	}
	ksft_print_msg("%lu syncs, %lu long-phase exits, %lu migrations, %lu KVM_RUNs\n",
		       syncs, long_exits, migrations, host_regs.runs);
	/* While the VM lives, so that its per-vCPU counters are listed. */
	have_stats = gfpu_print_stats();
	/* The framework's own count of what it did for this vCPU. */
	runs = gfpu_stat("vcpu0", "run_enter");
	entries = gfpu_stat("vcpu0", "guest_enter");
	syncs_hook = gfpu_stat("vcpu0", "exit_sync");
	kvm_vm_free(vm);

	gfpu_check_report(&guest_regs);
	gfpu_check_report(&get_reg);
	gfpu_check_report(&set_reg);
	gfpu_check_report(&long_regs);
	gfpu_check_report(&host_regs);
	if (have_stats)
		/* Every KVM_RUN and every entry went through the hooks. */
		ksft_test_result(runs >= (long)host_regs.runs &&
				 entries >= (long)host_regs.runs &&
				 syncs_hook == entries,
				 "gfpu hooks ran: run_enter %ld, guest_enter %ld, exit_sync %ld for %lu KVM_RUNs\n",
				 runs, entries, syncs_hook, host_regs.runs);
	else
		ksft_test_result_skip("gfpu hooks: no %s (baseline kernel?)\n",
				      GFPU_STATS_PATH);
	policy_signature();
	ksft_finished();
}
