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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"
#include "gfpu_xstate_x86.h"

#define TORTURE_PATH	"/sys/kernel/debug/gfpu_kfpu_torture"
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

struct torture {
	long period_us, fires, used;
};

/* Read the facility's counters; false if the file cannot be read. */
static bool torture_read(struct torture *t)
{
	char key[32];
	long val;
	FILE *f;

	t->period_us = -1;
	t->fires = -1;
	t->used = -1;
	f = fopen(TORTURE_PATH, "r");
	if (!f)
		return false;
	while (fscanf(f, "%31s %ld", key, &val) == 2) {
		if (!strcmp(key, "period_us"))
			t->period_us = val;
		else if (!strcmp(key, "fires"))
			t->fires = val;
		else if (!strcmp(key, "used"))
			t->used = val;
	}
	fclose(f);
	return t->fires >= 0 && t->used >= 0;
}

static int torture_write(unsigned int period_us)
{
	char s[16];
	int fd, len, ret = 0;

	fd = open(TORTURE_PATH, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(s, sizeof(s), "%u\n", period_us);
	if (write(fd, s, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/* Also on every failure path: TEST_ASSERT() ends in exit(). */
static void torture_stop(void)
{
	torture_write(0);
}

static struct gfpu_check guest_x87 = { "guest x87 ST0-7 survive kernel-mode FPU use" };
static struct gfpu_check guest_xmm = { "guest xmm0-15 survive kernel-mode FPU use" };
static struct gfpu_check guest_ymmh = { "guest ymm0-15 upper halves survive kernel-mode FPU use" };
static struct gfpu_check host_regs = { "VMM xmm0-15 survive KVM_RUN under kernel-mode FPU use" };
static struct gfpu_check get_xsave = {
	"KVM_GET_XSAVE returns the guest's live state under kernel-mode FPU use"
};

/* KVM_RUN with the VMM's pattern held in xmm0-15 across the syscall. */
static void run_holding_xmm(struct kvm_vcpu *vcpu)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS];
	static unsigned long seed;
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

int main(int argc, char *argv[])
{
	unsigned long round = 0, exits = 0;
	struct torture t0, t1;
	struct gfpu_fpx want, got;
	uint32_t ymmh_off = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	uint64_t xcr0;
	bool done = false;
	void *buf;
	int r;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));

	ksft_print_header();
	if (access(TORTURE_PATH, F_OK))
		ksft_exit_skip("no %s (no CONFIG_GFPU_KFPU_TORTURE or no debugfs)\n",
			       TORTURE_PATH);
	ksft_set_plan(6);

	torture_stop();		/* left running by an earlier, killed run? */
	TEST_ASSERT(torture_read(&t0), "cannot read %s", TORTURE_PATH);

	/* x87 and xmm always; ymm where KVM offers AVX (XCR0 from the host). */
	xcr0 = gfpu_test_xcr0() & ~XFEATURE_MASK_PKRU;
	fpx_what = FPX_X87;
	if (xcr0 & XFEATURE_MASK_YMM)
		fpx_what |= FPX_YMM;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	gfpu_xstate_setup(vcpu, xcr0);
	sync_global_to_guest(vm, fpx_what);
	buf = calloc(1, sizeof(struct kvm_xsave));
	TEST_ASSERT(buf, "calloc");
	if (fpx_what & FPX_YMM)
		ymmh_off = gfpu_xstate_offset(2);

	atexit(torture_stop);
	r = torture_write(PERIOD_US);
	TEST_ASSERT(!r, "start %s: %s", TORTURE_PATH, strerror(-r));
	ksft_print_msg("kernel-mode FPU torture every %d us on every CPU\n",
		       PERIOD_US);
	ksft_print_msg("guest XCR0 0x%lx, %d rounds of %d exits, spin %d\n",
		       (unsigned long)xcr0, ROUNDS, EXITS, SPIN);

	while (!done) {
		run_holding_xmm(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == FP_PORT) {
			vcpu_xsave_get(vcpu, buf);
			gfpu_fpx_from_xsave(&got, buf, ymmh_off, 0);
			gfpu_fpx_fill(&want, GFPU_DOM_GUEST, round);
			gfpu_check_record(&get_xsave, exits++,
				     gfpu_fpx_diff(&got, &want, fpx_what));
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == round,
				    "guest in round %lu, host in %lu",
				    (unsigned long)uc.args[0], round);
			gfpu_check_record(&guest_x87, round, uc.args[1] & FPX_ST_MASK);
			gfpu_check_record(&guest_xmm, round,
				     uc.args[1] & FPX_XMM_MASK);
			gfpu_check_record(&guest_ymmh, round,
				     uc.args[1] & FPX_YMMH_MASK);
			round++;
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
	TEST_ASSERT(torture_read(&t1), "cannot read %s", TORTURE_PATH);
	torture_stop();
	kvm_vm_free(vm);
	free(buf);

	ksft_print_msg("%lu rounds, %lu FP exits, %lu KVM_RUNs; torture fires +%ld, used +%ld\n",
		       round, exits, host_regs.runs, t1.fires - t0.fires,
		       t1.used - t0.used);
	gfpu_check_report(&guest_x87);
	gfpu_check_report(&guest_xmm);
	if (fpx_what & FPX_YMM)
		gfpu_check_report(&guest_ymmh);
	else
		ksft_test_result_skip("%s: no AVX in KVM's CPUID and XCR0\n",
				      guest_ymmh.name);
	gfpu_check_report(&get_xsave);
	gfpu_check_report(&host_regs);
	ksft_test_result(t1.used > t0.used,
			 "kernel-mode FPU torture used the FPU during the run (fires +%ld, used +%ld)\n",
			 t1.fires - t0.fires, t1.used - t0.used);
	ksft_finished();
}
