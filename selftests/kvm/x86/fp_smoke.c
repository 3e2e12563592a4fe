// SPDX-License-Identifier: GPL-2.0
/*
 * fp_smoke - guest and host SSE registers survive VM exits.
 *
 * The guest loads all sixteen xmm registers with a pattern that changes
 * every iteration and exits to userspace with the pattern still live in the
 * registers (an OUT to a private port, inside one asm block). At that exit
 * the host reads the guest's registers with KVM_GET_FPU and, every
 * SET_EVERY-th iteration, replaces them with KVM_SET_FPU. Back in the
 * guest, the registers must hold exactly what the host saw or wrote. Then a
 * GUEST_SYNC reports the guest's verdict. A last phase holds one pattern
 * across LONG_EXITS exits without reloading it.
 *
 * The host thread does every KVM_RUN from inside an asm block that holds its
 * own pattern in xmm0-xmm15 across the syscall, so a hypervisor that hands
 * the host back guest (or stale) registers is caught too. Between
 * iterations the thread hops between CPUs.
 *
 * What it catches: a guest FP state not saved at exit or not restored at
 * entry, one restored from another iteration or CPU, KVM_GET/SET_FPU
 * reading or writing a stale copy, and host state clobbered by KVM_RUN.
 */
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"

#define ITERATIONS	1000	/* GUEST_SYNC exits, and as many FP exits */
#define LONG_EXITS	1000	/* exits with one pattern held throughout */
#define SET_EVERY	4	/* host writes the guest's xmm this often */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */

#define FP_PORT		0x1001	/* exit with the iteration's pattern live */
#define FP_PORT_LONG	0x1002	/* exit during the long phase */

/* Load @in, exit @count times through @port, store to @out. */
static void guest_hold_xmm(const uint64_t *in, uint64_t *out,
			   uint16_t port, uint32_t count)
{
	asm volatile(XMM_ALL(XMM_LOAD)
		     "1: outb %%al, %%dx\n\t"
		     "dec %%ecx\n\t"
		     "jnz 1b\n\t"
		     XMM_ALL(XMM_STORE)
		     : "+c" (count)
		     : [in] "r" (in), [out] "r" (out), "a" (0), "d" (port)
		     : "memory", XMM_CLOBBERS);
}

static void guest_code(void)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	uint64_t i, dom;

	GUEST_ASSERT(get_cr4() & X86_CR4_OSFXSR);

	for (i = 0; i < ITERATIONS; i++) {
		gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_GUEST, i);
		guest_hold_xmm(in, out, FP_PORT, 1);
		dom = i % SET_EVERY ? GFPU_DOM_GUEST : GFPU_DOM_HOST_SET;
		GUEST_SYNC2(i, gfpu_pattern_diff(out, NR_XMM, dom, i));
	}

	gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_LONG, 0);
	guest_hold_xmm(in, out, FP_PORT_LONG, LONG_EXITS);
	GUEST_SYNC2(ITERATIONS, gfpu_pattern_diff(out, NR_XMM, GFPU_DOM_LONG, 0));

	GUEST_DONE();
}

static struct gfpu_check host_regs = { "host xmm0-15 survive KVM_RUN" };
static struct gfpu_check guest_regs = { "guest xmm0-15 survive exits" };
static struct gfpu_check get_fpu = { "KVM_GET_FPU returns the guest's live xmm" };
static struct gfpu_check set_fpu = { "KVM_SET_FPU reaches the guest's xmm" };
static struct gfpu_check long_regs = { "guest xmm0-15 held across many exits" };

/*
 * KVM_RUN from inside an asm block that holds a host pattern in xmm0-15
 * across the syscall; the registers are compared afterwards. Retries on
 * EINTR like vcpu_run().
 */
static void run_holding_xmm(struct kvm_vcpu *vcpu)
{
	static unsigned long seed;
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	long ret;

	do {
		seed++;
		gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_HOST, seed);
		ret = gfpu_kvm_run_holding_xmm(vcpu->fd, in, out);
		gfpu_check_record(&host_regs, seed,
			     gfpu_pattern_diff(out, NR_XMM, GFPU_DOM_HOST, seed));
	} while (ret == -EINTR);

	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(vcpu);
}

static uint64_t fpu_diff(const struct kvm_fpu *fpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[XMM_WORDS];

	memcpy(words, fpu->xmm, sizeof(words));
	return gfpu_pattern_diff(words, NR_XMM, dom, seed);
}

/* The guest is stopped at FP_PORT in iteration @i: check, maybe replace. */
static void handle_fp_exit(struct kvm_vcpu *vcpu, uint64_t i)
{
	uint64_t words[XMM_WORDS];
	struct kvm_fpu fpu;

	vcpu_fpu_get(vcpu, &fpu);
	gfpu_check_record(&get_fpu, i, fpu_diff(&fpu, GFPU_DOM_GUEST, i));
	if (i % SET_EVERY)
		return;

	gfpu_pattern_fill(words, XMM_WORDS, GFPU_DOM_HOST_SET, i);
	memcpy(fpu.xmm, words, sizeof(words));
	vcpu_fpu_set(vcpu, &fpu);
	vcpu_fpu_get(vcpu, &fpu);
	gfpu_check_record(&set_fpu, i, fpu_diff(&fpu, GFPU_DOM_HOST_SET, i));
}

int main(int argc, char *argv[])
{
	unsigned long syncs = 0, long_exits = 0, migrations = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_fpu fpu;
	struct kvm_vm *vm;
	struct ucall uc;
	bool done = false, have_stats;
	long runs, entries, syncs_hook;
	int ncpus;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XMM2));

	ksft_print_header();
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	ncpus = gfpu_migrate_init();
	ksft_print_msg("%d iterations, %d long exits, host thread on %d CPUs\n",
		       ITERATIONS, LONG_EXITS, ncpus);

	while (!done) {
		run_holding_xmm(vcpu);

		if (vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == FP_PORT) {
			handle_fp_exit(vcpu, syncs);
			continue;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == FP_PORT_LONG) {
			vcpu_fpu_get(vcpu, &fpu);
			gfpu_check_record(&long_regs, long_exits,
				     fpu_diff(&fpu, GFPU_DOM_LONG, 0));
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
				  exit_reason_str(vcpu->run->exit_reason),
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
	gfpu_check_report(&get_fpu);
	gfpu_check_report(&set_fpu);
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
	ksft_finished();
}
