// SPDX-License-Identifier: GPL-2.0
/*
 * fp_init - the guest's x87 and vector registers and its XCR0 survive
 * INIT, taken by KVM_GET_MP_STATE or inside KVM_RUN.
 *
 * INIT leaves x87, SSE, AVX and XCR0 alone (SDM vol. 3, 10.1); KVM's INIT
 * (kvm_vcpu_reset(), from kvm_apic_accept_events()) only clears the MPX
 * components, and 6.12 swapped the guest fpstate out and in around that
 * itself.  With gfpu, that swap goes through gfpu's put and load, and
 * KVM_GET_MP_STATE no longer loads the guest FPU.
 *
 * In each round the guest loads a fresh pattern into ST0-7 and xmm0-15
 * (all of ymm0-15 where KVM offers AVX) and exits once through an OUT
 * inside the same asm block.  The host keeps the vCPU's registers,
 * latches an INIT with KVM_SET_VCPU_EVENTS (smi.latched_init) and has it
 * accepted: in even rounds by KVM_GET_MP_STATE (the vCPU must be at the
 * reset vector right after it), in odd rounds by the next KVM_RUN.  Either way the vCPU then runs from
 * the reset vector, where an OUT to RESET_PORT sits, and exits.  The host
 * checks KVM_GET_XSAVE and XCR0 before and after the INIT, puts the
 * registers back (KVM_SET_SREGS, KVM_SET_REGS, past the first OUT) and
 * the guest stores the FP registers and reports what differs.
 *
 * What it catches: a put or load around INIT that loses or mixes the
 * guest's registers or leaves the framework's record wrong (the WARN
 * check after the tests), and an INIT that resets FP state or XCR0.
 * What it cannot reach here: the MPX clear itself, as QEMU TCG offers no
 * MPX (kvm_mpx_supported() is false, and the test says so).
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

#define ROUNDS		64	/* patterns, one INIT each */
#define FP_PORT		0x1005
#define RESET_PORT	0xe9	/* OUT imm8 at the reset vector */

/* The reset vector, CS.base 0xffff0000 + RIP 0xfff0, in the top page. */
#define RESET_VECTOR	0xfff0
#define RESET_GPA	0xfffffff0ull
#define RESET_PAGE_GPA	0xfffff000ull
#define RESET_SLOT	10

#define PH_HOLD		1	/* round, FPX_BAD_* mask */

/* Set by the host before the first run. */
static unsigned int fpx_what;

static void guest_code(void)
{
	struct gfpu_fpx in, out, want;
	uint64_t r;

	for (r = 0; r < ROUNDS; r++) {
		gfpu_fpx_fill(&in, GFPU_DOM_GUEST, r);
		memset(&out, 0, sizeof(out));
		gfpu_guest_hold(&in, &out, 1, FP_PORT, 0, fpx_what);
		gfpu_fpx_fill(&want, GFPU_DOM_GUEST, r);
		GUEST_SYNC3(PH_HOLD, r, gfpu_fpx_diff(&out, &want, fpx_what));
	}
	GUEST_DONE();
}

static struct gfpu_check regs_mpstate = { "guest x87 and vector registers survive INIT by KVM_GET_MP_STATE" };
static struct gfpu_check regs_run = { "guest x87 and vector registers survive INIT inside KVM_RUN" };
static struct gfpu_check xsave_init = { "KVM_GET_XSAVE has the guest's state before and after INIT" };
static struct gfpu_check xcr0_init = { "XCR0 survives INIT" };
static struct gfpu_check at_reset = { "INIT puts the vCPU at the reset vector, which runs" };

struct host {
	struct kvm_vcpu *vcpu;
	void *buf;
	uint64_t xcr0;
	uint32_t ymmh_off;
	unsigned long round, inits, migrations;
};

static uint64_t xsave_diff(struct host *h)
{
	struct gfpu_fpx got, want;

	vcpu_xsave_get(h->vcpu, h->buf);
	gfpu_fpx_from_xsave(&got, h->buf, h->ymmh_off, 0);
	gfpu_fpx_fill(&want, GFPU_DOM_GUEST, h->round);
	return gfpu_fpx_diff(&got, &want, fpx_what);
}

static void latch_init(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;

	vcpu_events_get(vcpu, &ev);
	ev.flags |= KVM_VCPUEVENT_VALID_SMM;
	ev.smi.latched_init = 1;
	vcpu_events_set(vcpu, &ev);
}

/* The guest sits at its OUT to FP_PORT, holding the round's pattern. */
static void init_round(struct host *h)
{
	struct kvm_vcpu *vcpu = h->vcpu;
	struct kvm_run *run = vcpu->run;
	bool by_mpstate = !(h->round & 1);
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	bool reset_ok;

	vcpu_regs_get(vcpu, &regs);
	vcpu_sregs_get(vcpu, &sregs);
	/* Resume past the one-byte OUT %al, %dx. */
	regs.rip += 1;
	gfpu_check_record(&xsave_init, h->round, xsave_diff(h));

	latch_init(vcpu);
	reset_ok = true;
	if (by_mpstate) {
		struct kvm_regs now;

		vcpu_mp_state_get(vcpu, &mp);
		vcpu_regs_get(vcpu, &now);
		reset_ok = mp.mp_state == KVM_MP_STATE_RUNNABLE &&
			   now.rip == RESET_VECTOR;
		gfpu_check_record(&xsave_init, h->round, xsave_diff(h));
	}
	vcpu_run(vcpu);
	reset_ok = reset_ok && run->exit_reason == KVM_EXIT_IO &&
		   run->io.port == RESET_PORT &&
		   run->io.direction == KVM_EXIT_IO_OUT;
	if (!reset_ok)
		ksft_print_msg("round %lu: after INIT: exit %s, port 0x%x\n",
			       h->round, exit_reason_str(run->exit_reason),
			       run->exit_reason == KVM_EXIT_IO ?
			       run->io.port : 0);
	gfpu_check_record(&at_reset, h->round, !reset_ok);
	gfpu_check_record(&xsave_init, h->round, xsave_diff(h));
	gfpu_check_record(&xcr0_init, h->round, gfpu_xcr0_get(vcpu) != h->xcr0);
	h->inits++;

	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_set(vcpu, &regs);
	h->migrations += gfpu_migrate_every(h->round, 1);
}

static bool loop_exit(struct gfpu_loop *l)
{
	if (!gfpu_exit_io(l->vcpu, FP_PORT))
		return false;
	init_round(l->data);
	return true;
}

/* The guest's verdict on round args[1]: args[2], an FPX_BAD_* mask. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct host *h = l->data;

	TEST_ASSERT(uc->args[0] == PH_HOLD && uc->args[1] == h->round,
		    "guest phase %lu round %lu, host round %lu",
		    (unsigned long)uc->args[0], (unsigned long)uc->args[1],
		    h->round);
	gfpu_check_record(h->round & 1 ? &regs_run : &regs_mpstate, h->round,
			  uc->args[2]);
	h->round++;
}

/* OUT %al, RESET_PORT at the reset vector, in a memslot of its own. */
static void map_reset_vector(struct kvm_vm *vm)
{
	uint8_t *reset;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, RESET_PAGE_GPA,
				    RESET_SLOT, 1, 0);
	reset = addr_gpa2hva(vm, RESET_GPA);
	reset[0] = 0xe6;		/* out %al, $RESET_PORT */
	reset[1] = RESET_PORT;
	reset[2] = 0xf4;		/* hlt */
}

int main(int argc, char *argv[])
{
	struct host h = {};
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.data = &h,
	};
	bool mpx = kvm_cpu_supported_xcr0() & XFEATURE_MASK_BNDREGS;
	struct kvm_vm *vm;
	size_t size;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_XCRS));

	ksft_print_header();
	ksft_set_plan(5);

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	h.vcpu = loop.vcpu;
	h.xcr0 = gfpu_test_xcr0();
	gfpu_xstate_setup(h.vcpu, h.xcr0);
	fpx_what = gfpu_fpx_what(h.xcr0) & ~FPX_PKRU_ON;
	if (fpx_what & FPX_YMM)
		h.ymmh_off = gfpu_xstate_offset(2);
	sync_global_to_guest(vm, fpx_what);
	map_reset_vector(vm);

	size = sizeof(struct kvm_xsave);
	h.buf = calloc(1, size);
	TEST_ASSERT(h.buf, "calloc(%zu)", size);

	ksft_print_msg("guest XCR0 0x%lx, %d rounds, one INIT each; policy %ld\n",
		       (unsigned long)h.xcr0, ROUNDS, gfpu_policy_param());
	ksft_print_msg("MPX %s: %s\n", mpx ? "offered" : "not offered",
		       mpx ? "INIT also clears the MPX state through gfpu" :
		       "the MPX clear on INIT does not run here");
	ksft_print_msg("host thread on %d CPUs\n", gfpu_migrate_init());
	ksft_print_msg("failure masks: ST(i) bit i, xmm n bit 8+n, ymm n high 24+n\n");

	gfpu_run_loop(&loop);
	kvm_vm_free(vm);
	free(h.buf);

	ksft_print_msg("%lu rounds, %lu INITs, %lu migrations\n",
		       h.round, h.inits, h.migrations);
	gfpu_check_report(&regs_mpstate);
	gfpu_check_report(&regs_run);
	gfpu_check_report(&xsave_init);
	gfpu_check_report(&xcr0_init);
	gfpu_check_report(&at_reset);
	ksft_finished();
}
