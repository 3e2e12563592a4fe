// SPDX-License-Identifier: GPL-2.0
/*
 * fp_xstate - the guest's x87, ymm and PKRU state and its XCR0 survive VM
 * exits, and the XSAVE uAPI reads and writes the live state.
 *
 * The host gives the vCPU CR4.OSXSAVE (and CR4.PKE) with KVM_SET_SREGS and
 * its XCR0 (FP, SSE, and YMM and PKRU where KVM offers them) with
 * KVM_SET_XCRS: under QEMU TCG a guest's own XSETBV does not exit to KVM,
 * so only an XCR0 that KVM knows about is loaded at every entry.
 *
 * In each round the guest loads a fresh pattern into ST0-7 (64-bit
 * integers, so FILD and FISTP are exact), all 256 bits of ymm0-15 and
 * PKRU, and exits EXITS times through an OUT inside the same asm block,
 * then stores the registers and reports what differs from the pattern.
 * At every exit the host reads the state with KVM_GET_XSAVE or
 * KVM_GET_XSAVE2 (alternately) and compares it with the pattern; in every
 * SET_EVERY-th round it writes a pattern of its own with KVM_SET_XSAVE
 * halfway, which the guest must then find in its registers. The guest
 * also reads XCR0 with XGETBV every round.
 *
 * Last, the host sets the guest's XCR0 to FP|SSE with KVM_SET_XCRS: the
 * guest must read that back and take #UD from an AVX instruction, then,
 * with the full XCR0 back, run it again.
 *
 * What it catches: x87, upper ymm or PKRU state not saved at exit or not
 * restored at entry (a switch that only handles FXSAVE state, or that
 * drops components with the XCR0 of the wrong context), KVM_GET/SET_XSAVE
 * working on a stale copy, and a hypervisor that runs the guest with the
 * host's XCR0 instead of the guest's (AVX would then work in the guest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"
#include "gfpu_xstate_x86.h"

#define ROUNDS		256	/* patterns, one GUEST_SYNC each */
#define EXITS		16	/* exits with one pattern held, per round */
#define SET_EVERY	4	/* rounds in which the host writes the state */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */

#define FP_PORT		0x1004

enum {
	PH_HOLD = 1,		/* round, FPX_BAD_* mask, XGETBV */
	PH_XCR0_LOW,		/* asks the host for XCR0 = FP|SSE */
	PH_XCR0_LOW_SEEN,	/* XGETBV, #UDs from one AVX instruction */
	PH_XCR0_BACK_SEEN,	/* the same with the full XCR0 again */
};

/* Set by the host before the first run. */
static uint64_t guest_xcr0;
static unsigned int fpx_what;

static unsigned long ud_count;	/* #UDs the handler skipped */

/* One AVX instruction, VPXOR ymm0, ymm0, ymm0: c5 fd ef c0. */
static void guest_avx_probe(void)
{
	asm volatile("vpxor %%ymm0, %%ymm0, %%ymm0" : : : "xmm0", "memory");
}

static void guest_ud_handler(struct ex_regs *regs)
{
	const uint8_t *ip = (const uint8_t *)regs->rip;

	__GUEST_ASSERT(ip[0] == 0xc5 && ip[1] == 0xfd && ip[2] == 0xef &&
		       ip[3] == 0xc0, "unexpected #UD at 0x%lx", regs->rip);
	WRITE_ONCE(ud_count, ud_count + 1);
	regs->rip += 4;
}

static unsigned long guest_avx_uds(void)
{
	unsigned long before = READ_ONCE(ud_count);

	if (fpx_what & FPX_YMM)
		guest_avx_probe();
	return READ_ONCE(ud_count) - before;
}

static void guest_code(void)
{
	struct gfpu_fpx in, out, want;
	uint64_t r, dom;

	GUEST_ASSERT(get_cr4() & X86_CR4_OSXSAVE);

	for (r = 0; r < ROUNDS; r++) {
		gfpu_fpx_fill(&in, GFPU_DOM_GUEST, r);
		memset(&out, 0, sizeof(out));
		gfpu_guest_hold(&in, &out, EXITS, FP_PORT, 0, fpx_what);
		dom = r % SET_EVERY ? GFPU_DOM_GUEST : GFPU_DOM_HOST_SET;
		gfpu_fpx_fill(&want, dom, r);
		GUEST_SYNC4(PH_HOLD, r, gfpu_fpx_diff(&out, &want, fpx_what),
			    xgetbv(0));
	}

	GUEST_SYNC1(PH_XCR0_LOW);
	GUEST_SYNC3(PH_XCR0_LOW_SEEN, xgetbv(0), guest_avx_uds());
	GUEST_SYNC3(PH_XCR0_BACK_SEEN, xgetbv(0), guest_avx_uds());
	GUEST_DONE();
}

static struct gfpu_check xcr0_seen = { "guest XGETBV reads the XCR0 set by KVM_SET_XCRS" };
static struct gfpu_check x87_regs = { "guest x87 ST0-7 survive exits" };
static struct gfpu_check ymm_regs = { "guest ymm0-15, all 256 bits, survive exits" };
static struct gfpu_check pkru_reg = { "guest PKRU survives exits" };
static struct gfpu_check get_xsave = { "KVM_GET_XSAVE/KVM_GET_XSAVE2 return the guest's live state" };
static struct gfpu_check set_xsave = { "KVM_SET_XSAVE reaches the guest's registers" };

struct host {
	struct kvm_vcpu *vcpu;
	uint64_t low_xcr0;	/* the XCR0 below guest_xcr0 it gets */
	uint64_t low_seen, low_ud, back_seen, back_ud;
	bool have_low, have_back;
	void *buf;
	int xsave2_size;
	uint32_t ymmh_off, pkru_off;
	unsigned long round, exit_in_round, exits, sets, migrations;
	uint64_t dom;		/* what the guest's registers hold now */
};

static void handle_fp_exit(struct host *h)
{
	struct gfpu_fpx got, want;

	if (h->xsave2_size && (h->exits & 1))
		vcpu_xsave2_get(h->vcpu, h->buf);
	else
		vcpu_xsave_get(h->vcpu, h->buf);
	gfpu_fpx_from_xsave(&got, h->buf, h->ymmh_off, h->pkru_off);
	gfpu_fpx_fill(&want, h->dom, h->round);
	gfpu_check_record(&get_xsave, h->exits, gfpu_fpx_diff(&got, &want, fpx_what));

	if (h->round % SET_EVERY == 0 && h->exit_in_round == EXITS / 2) {
		gfpu_fpx_fill(&want, GFPU_DOM_HOST_SET, h->round);
		gfpu_fpx_to_xsave(h->buf, &want, h->ymmh_off, h->pkru_off);
		vcpu_xsave_set(h->vcpu, h->buf);
		h->dom = GFPU_DOM_HOST_SET;
		h->sets++;
	}
	h->exit_in_round++;
	h->migrations += gfpu_migrate_every(++h->exits, MIGRATE_EVERY);
}

static void handle_hold_sync(struct host *h, struct ucall *uc)
{
	uint64_t bad = uc->args[2];

	TEST_ASSERT(uc->args[1] == h->round, "guest in round %lu, host in %lu",
		    (unsigned long)uc->args[1], h->round);
	TEST_ASSERT(h->exit_in_round == EXITS, "round %lu: %lu exits, not %d",
		    h->round, h->exit_in_round, EXITS);
	gfpu_check_record(&xcr0_seen, h->round, uc->args[3] != guest_xcr0);
	if (h->dom == GFPU_DOM_HOST_SET) {
		gfpu_check_record(&set_xsave, h->round, bad);
	} else {
		gfpu_check_record(&x87_regs, h->round, bad & FPX_ST_MASK);
		if (fpx_what & FPX_YMM)
			gfpu_check_record(&ymm_regs, h->round,
					  bad & (FPX_XMM_MASK | FPX_YMMH_MASK));
		if (fpx_what & FPX_PKRU_ON)
			gfpu_check_record(&pkru_reg, h->round, bad & FPX_BAD_PKRU);
	}
	h->round++;
	h->exit_in_round = 0;
	h->dom = GFPU_DOM_GUEST;
}

static bool loop_exit(struct gfpu_loop *l)
{
	if (!gfpu_exit_io(l->vcpu, FP_PORT))
		return false;
	handle_fp_exit(l->data);
	return true;
}

static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct host *h = l->data;

	switch (uc->args[0]) {
	case PH_HOLD:
		handle_hold_sync(h, uc);
		break;
	case PH_XCR0_LOW:
		gfpu_xcr0_set(l->vcpu, h->low_xcr0);
		break;
	case PH_XCR0_LOW_SEEN:
		h->low_seen = uc->args[1];
		h->low_ud = uc->args[2];
		h->have_low = true;
		gfpu_xcr0_set(l->vcpu, guest_xcr0);
		break;
	case PH_XCR0_BACK_SEEN:
		h->back_seen = uc->args[1];
		h->back_ud = uc->args[2];
		h->have_back = true;
		break;
	default:
		TEST_FAIL("unknown phase %lu", (unsigned long)uc->args[0]);
	}
}

/* The XCR0 phases: loaded for the guest at the low value and back. */
static void report_xcr0(const struct host *h)
{
	if (fpx_what & FPX_YMM)
		ksft_test_result(h->have_low && h->low_seen == h->low_xcr0 &&
				 h->low_ud == 1,
				 "guest XCR0 0x%lx from KVM_SET_XCRS is loaded: XGETBV 0x%lx, %lu #UD from AVX\n",
				 (unsigned long)h->low_xcr0,
				 (unsigned long)h->low_seen,
				 (unsigned long)h->low_ud);
	else
		ksft_test_result(h->have_low && h->low_seen == h->low_xcr0 &&
				 !h->low_ud,
				 "guest XCR0 0x%lx from KVM_SET_XCRS is loaded: XGETBV 0x%lx (no AVX: #UD not tested)\n",
				 (unsigned long)h->low_xcr0,
				 (unsigned long)h->low_seen);
	ksft_test_result(h->have_back && h->back_seen == guest_xcr0 &&
			 !h->back_ud,
			 "guest XCR0 0x%lx back from KVM_SET_XCRS: XGETBV 0x%lx, %lu #UD from AVX\n",
			 (unsigned long)guest_xcr0, (unsigned long)h->back_seen,
			 (unsigned long)h->back_ud);
}

/* The guest's #UD handler, XSAVE state and XCR0; the host's buffer. */
static void vm_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct host *h)
{
	size_t size;

	vm_install_exception_handler(vm, UD_VECTOR, guest_ud_handler);
	gfpu_xstate_setup(vcpu, guest_xcr0);
	sync_global_to_guest(vm, guest_xcr0);
	sync_global_to_guest(vm, fpx_what);

	h->vcpu = vcpu;
	h->xsave2_size = gfpu_xsave2_size(vm);
	size = h->xsave2_size ? h->xsave2_size : sizeof(struct kvm_xsave);
	h->buf = calloc(1, size);
	TEST_ASSERT(h->buf, "calloc(%zu)", size);
	if (fpx_what & FPX_YMM)
		h->ymmh_off = gfpu_xstate_offset(2);
	if (fpx_what & FPX_PKRU_ON)
		h->pkru_off = gfpu_xstate_offset(9);
}

int main(int argc, char *argv[])
{
	struct host h = {
		.dom = GFPU_DOM_GUEST,
		.low_xcr0 = XFEATURE_MASK_FP | XFEATURE_MASK_SSE,
	};
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.data = &h,
	};
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_XCRS));

	ksft_print_header();
	ksft_set_plan(8);

	guest_xcr0 = gfpu_test_xcr0();
	fpx_what = gfpu_fpx_what(guest_xcr0);
	/* Something below the full XCR0 that KVM must load all the same. */
	if (guest_xcr0 == h.low_xcr0)
		h.low_xcr0 = XFEATURE_MASK_FP;

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	vm_setup(vm, loop.vcpu, &h);

	ksft_print_msg("guest XCR0 0x%lx (KVM's 0x%lx), %d rounds of %d exits\n",
		       (unsigned long)guest_xcr0,
		       (unsigned long)kvm_cpu_supported_xcr0(), ROUNDS, EXITS);
	ksft_print_msg("KVM_GET_XSAVE2 %d bytes, ymm high at %u, PKRU at %u\n",
		       h.xsave2_size, h.ymmh_off, h.pkru_off);
	ksft_print_msg("host thread on %d CPUs\n", gfpu_migrate_init());
	ksft_print_msg("failure masks: ST(i) bit i, xmm n bit 8+n, ymm n high 24+n, PKRU 40\n");

	gfpu_run_loop(&loop);
	kvm_vm_free(vm);
	free(h.buf);

	ksft_print_msg("%lu rounds, %lu FP exits, %lu KVM_SET_XSAVE, %lu migrations\n",
		       h.round, h.exits, h.sets, h.migrations);
	gfpu_check_report(&xcr0_seen);
	gfpu_check_report(&x87_regs);
	gfpu_check_report_or_skip(&ymm_regs, fpx_what & FPX_YMM,
				  "no AVX in KVM's CPUID and XCR0");
	gfpu_check_report_or_skip(&pkru_reg, fpx_what & FPX_PKRU_ON,
				  "no PKU in KVM's CPUID and XCR0");
	gfpu_check_report(&get_xsave);
	gfpu_check_report(&set_xsave);
	report_xcr0(&h);
	ksft_finished();
}
