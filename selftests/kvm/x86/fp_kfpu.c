// SPDX-License-Identifier: GPL-2.0
/*
 * fp_kfpu - guest and VMM registers survive kernel-mode FPU use between a
 * VM exit and the next entry.
 *
 * The kernel's test facility /sys/kernel/debug/gfpu_kfpu_torture starts a
 * softirq hrtimer on every CPU that, every PERIOD_US microseconds, takes
 * the FPU with kernel_fpu_begin() (when irq_fpu_usable()), loads xmm0-15
 * with a fresh pattern (kernel_fpu_begin() also reinitialises x87) and
 * gives it back. Meanwhile the guest holds a pattern in ST0-7, xmm0-15 and,
 * with AVX, the upper halves of ymm0-15, spinning inside the guest (so the
 * timer's interrupts exit to the host while the guest's state is live)
 * and exiting to userspace EXITS times per pattern, all in one asm block.
 * At every exit the host compares KVM_GET_XSAVE with the pattern; every
 * KVM_RUN is made from an asm block that holds the VMM's own pattern in
 * xmm0-15 across the syscall. The timer must have used the FPU during the
 * run ("used" in the file goes up), or the run proved nothing.
 *
 * Skipped when the file does not exist (a kernel without the facility).
 *
 * What it catches: a hypervisor that keeps guest state in the registers
 * without telling the host's FPU tracking (TIF_NEED_FPU_LOAD, fpregs
 * owner), so that kernel_fpu_begin() saves it to the wrong place or not
 * at all, or that loads the guest's state again after the kernel used the
 * registers without reloading it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"
#include "gfpu_xstate_x86.h"

#define PERIOD_US	30	/* the timer's period on every CPU */

#define ROUNDS		500	/* patterns, one GUEST_SYNC each */
#define EXITS		10	/* exits with one pattern held, per round */
#define SPIN		20000	/* guest loop before each exit */

#define FP_PORT		0x1006

/* Set by the host before the first run. */
static unsigned int fpx_what;

static void guest_code(void)
{
	struct gfpu_fpx in, out;
	uint64_t r;

	for (r = 0; r < ROUNDS; r++) {
		gfpu_fpx_fill(&in, GFPU_DOM_GUEST, r);
		memset(&out, 0, sizeof(out));
		gfpu_guest_hold(&in, &out, EXITS, FP_PORT, SPIN, fpx_what);
		GUEST_SYNC2(r, gfpu_fpx_diff(&out, &in, fpx_what));
	}
	GUEST_DONE();
}

static struct gfpu_check guest_x87 = { "guest x87 ST0-7 survive kernel-mode FPU use" };
static struct gfpu_check guest_xmm = { "guest xmm0-15 survive kernel-mode FPU use" };
static struct gfpu_check guest_ymmh = { "guest ymm0-15 upper halves survive kernel-mode FPU use" };
static struct gfpu_check host_regs = { "VMM xmm0-15 survive KVM_RUN under kernel-mode FPU use" };
static struct gfpu_check get_xsave = {
	"KVM_GET_XSAVE returns the guest's live state under kernel-mode FPU use"
};

static void *xsave_buf;
static uint32_t ymmh_off;
static unsigned long round, exits;

/* At every FP exit: KVM_GET_XSAVE against the round's pattern. */
static bool loop_exit(struct gfpu_loop *l)
{
	struct gfpu_fpx want, got;

	if (!gfpu_exit_io(l->vcpu, FP_PORT))
		return false;
	vcpu_xsave_get(l->vcpu, xsave_buf);
	gfpu_fpx_from_xsave(&got, xsave_buf, ymmh_off, 0);
	gfpu_fpx_fill(&want, GFPU_DOM_GUEST, round);
	gfpu_check_record(&get_xsave, exits++, gfpu_fpx_diff(&got, &want, fpx_what));
	return true;
}

/* The guest's verdict on round args[0]: args[1], an FPX_BAD_* mask. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	TEST_ASSERT(uc->args[0] == round, "guest in round %lu, host in %lu",
		    (unsigned long)uc->args[0], round);
	gfpu_check_record(&guest_x87, round, uc->args[1] & FPX_ST_MASK);
	gfpu_check_record(&guest_xmm, round, uc->args[1] & FPX_XMM_MASK);
	gfpu_check_record(&guest_ymmh, round, uc->args[1] & FPX_YMMH_MASK);
	round++;
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.host = &host_regs,
	};
	struct gfpu_torture t0, t1;
	struct kvm_vm *vm;
	uint64_t xcr0;
	int r;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));

	ksft_print_header();
	if (access(GFPU_TORTURE_PATH, F_OK))
		ksft_exit_skip("no %s (no CONFIG_GFPU_KFPU_TORTURE or no debugfs)\n",
			       GFPU_TORTURE_PATH);
	ksft_set_plan(6);

	gfpu_torture_set(0);	/* left running by an earlier, killed run? */
	TEST_ASSERT(gfpu_torture_read(&t0), "cannot read %s", GFPU_TORTURE_PATH);

	/* x87 and xmm always; ymm where KVM offers AVX (XCR0 from the host). */
	xcr0 = gfpu_test_xcr0() & ~XFEATURE_MASK_PKRU;
	fpx_what = gfpu_fpx_what(xcr0);

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	gfpu_xstate_setup(loop.vcpu, xcr0);
	sync_global_to_guest(vm, fpx_what);
	xsave_buf = calloc(1, sizeof(struct kvm_xsave));
	TEST_ASSERT(xsave_buf, "calloc");
	if (fpx_what & FPX_YMM)
		ymmh_off = gfpu_xstate_offset(2);

	r = gfpu_torture_set(PERIOD_US);
	TEST_ASSERT(!r, "start %s: %s", GFPU_TORTURE_PATH, strerror(-r));
	ksft_print_msg("kernel-mode FPU torture every %d us on every CPU\n",
		       PERIOD_US);
	ksft_print_msg("guest XCR0 0x%lx, %d rounds of %d exits, spin %d\n",
		       (unsigned long)xcr0, ROUNDS, EXITS, SPIN);

	gfpu_run_loop(&loop);
	TEST_ASSERT(gfpu_torture_read(&t1), "cannot read %s", GFPU_TORTURE_PATH);
	gfpu_torture_set(0);
	kvm_vm_free(vm);
	free(xsave_buf);

	ksft_print_msg("%lu rounds, %lu FP exits, %lu KVM_RUNs; torture fires +%ld, used +%ld\n",
		       round, exits, host_regs.runs, t1.fires - t0.fires,
		       t1.used - t0.used);
	gfpu_check_report(&guest_x87);
	gfpu_check_report(&guest_xmm);
	gfpu_check_report_or_skip(&guest_ymmh, fpx_what & FPX_YMM,
				  "no AVX in KVM's CPUID and XCR0");
	gfpu_check_report(&get_xsave);
	gfpu_check_report(&host_regs);
	ksft_test_result(t1.used > t0.used,
			 "kernel-mode FPU torture used the FPU during the run (fires +%ld, used +%ld)\n",
			 t1.fires - t0.fires, t1.used - t0.used);
	ksft_finished();
}
