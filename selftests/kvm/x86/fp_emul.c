// SPDX-License-Identifier: GPL-2.0
/*
 * fp_emul - KVM's emulator writes a guest SSE register, and the VMM's
 * registers and the guest's others survive it.
 *
 * The guest loads a pattern into xmm0-15 and, in the same asm block,
 * executes MOVDQU from a page outside every memslot into xmm0, then
 * stores xmm0-15.  KVM emulates the load: 16 bytes of MMIO go to
 * userspace as two 8-byte exits, and the KVM_RUN after the last one
 * completes the instruction (complete_emulated_mmio()), writing xmm0
 * through kvm_fpu_get() before that KVM_RUN enters the guest.  Under
 * gfpu.policy=entry the guest fpstate is not swapped in yet at that
 * point: gfpu_guest_regs(), called from kvm_fpu_get(), must swap it in
 * first, or the emulator writes the VMM's xmm0 and the guest reads the
 * VMM's values.
 *
 * Checked: xmm0 holds the MMIO data, xmm1-15 the guest's pattern (the
 * guest's verdict), and every KVM_RUN gives the VMM back its own
 * xmm0-15 (gfpu_run_holding()).  With gfpu, the hook ran for each
 * emulated load; under the entry policy, the KVM_RUN that only passed
 * on the first half of the data moved no FP state (but where the host
 * took its own registers meanwhile, at most 1 run in 20).
 */
#include <stdint.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"

#define ROUNDS		200

/* The MMIO data for round @r, word @w: a pattern of its own domain. */
#define MMIO_WORD(r, w)	gfpu_pattern_word(GFPU_DOM_HOST_SET, (r) + 1, (w))

static vm_vaddr_t mmio_gva;
static vm_paddr_t mmio_gpa;

static void guest_code(void)
{
	uint64_t in[XMM_WORDS], out[XMM_WORDS], bad;
	uint64_t r;
	int i;

	for (r = 0; r < ROUNDS; r++) {
		gfpu_pattern_fill(in, XMM_WORDS, GFPU_DOM_GUEST, r + 1);
		asm volatile(XMM_ALL(XMM_LOAD)
			     "movdqu (%[mmio]), %%xmm0\n\t"
			     XMM_ALL(XMM_STORE)
			     : : [in] "r" (in), [out] "r" (out),
			       [mmio] "r" (mmio_gva)
			     : "memory", XMM_CLOBBERS);
		bad = 0;
		for (i = 0; i < 2; i++)
			if (out[i] != MMIO_WORD(r, i))
				bad |= 1;
		for (i = 2; i < XMM_WORDS; i++)
			if (out[i] != in[i])
				bad |= 1ull << (i / 2);
		GUEST_SYNC2(r, bad);
	}
	GUEST_DONE();
}

struct emul {
	unsigned long round, reads;
	struct gfpu_check guest;
	bool have;
	struct gfpu_counters before;
	long idle_runs, idle_moves, idle_moving;
};

/* The guest's MMIO read: hand it this round's data, 8 bytes at a time. */
static bool emul_exit(struct gfpu_loop *l)
{
	struct kvm_run *run = l->vcpu->run;
	struct emul *e = l->data;
	uint64_t off, val;

	if (run->exit_reason != KVM_EXIT_MMIO)
		return false;
	off = run->mmio.phys_addr - mmio_gpa;
	TEST_ASSERT(!run->mmio.is_write && run->mmio.len == 8 &&
		    (off == 0 || off == 8),
		    "unexpected MMIO: gpa 0x%lx len %u write %u",
		    (unsigned long)run->mmio.phys_addr, run->mmio.len,
		    run->mmio.is_write);
	val = MMIO_WORD(e->round, off / 8);
	memcpy(run->mmio.data, &val, sizeof(val));
	e->reads++;
	/*
	 * The KVM_RUN that follows the first half only asks for the second:
	 * it never enters the guest.  Measure what it moved.
	 */
	if (off == 0)
		e->have = gfpu_counters_read(l->vcpu, &e->before);
	return true;
}

static void emul_second_half(struct gfpu_loop *l)
{
	struct emul *e = l->data;
	struct gfpu_counters now, d;

	gfpu_run_holding(l);
	if (!e->have || l->vcpu->run->exit_reason != KVM_EXIT_MMIO ||
	    l->vcpu->run->mmio.phys_addr != mmio_gpa + 8)
		return;
	if (!gfpu_counters_read(l->vcpu, &now))
		return;
	gfpu_counters_sub(&d, &now, &e->before);
	if (d.guest_enter)
		return;
	e->idle_runs++;
	e->idle_moves += d.saves + d.restores;
	e->idle_moving += d.saves + d.restores > 0;
}

static void emul_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct emul *e = l->data;

	gfpu_sync_record(uc, e->round++, &e->guest);
}

int main(int argc, char *argv[])
{
	struct gfpu_check host = { .name = "VMM xmm0-15 across every KVM_RUN" };
	struct emul e = {
		.guest = {
			.name = "emulated MOVDQU from MMIO: xmm0 loaded, xmm1-15 kept",
			.legend = "bit n: xmmn",
		},
	};
	struct gfpu_loop loop = {
		.run = emul_second_half,
		.exit = emul_exit,
		.sync = emul_sync,
		.data = &e,
		.host = &host,
	};
	struct gfpu_counters c;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool have;
	long policy;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XMM2));
	ksft_print_header();
	ksft_set_plan(5);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	mmio_gva = gfpu_map_exit_page(vm, &mmio_gpa);
	sync_global_to_guest(vm, mmio_gva);
	loop.vcpu = vcpu;
	gfpu_run_loop(&loop);

	gfpu_check_report(&e.guest);
	gfpu_check_report(&host);
	ksft_test_result(e.reads == 2 * ROUNDS,
			 "every load went to userspace as two 8-byte reads (%lu for %d)\n",
			 e.reads, ROUNDS);

	have = gfpu_counters_read(vcpu, &c);
	policy = have ? c.policy : -1;
	if (!have)
		ksft_test_result_skip("gfpu_guest_regs() ran: %s\n", GFPU_NO_STATS);
	else
		ksft_test_result(c.guest_regs >= ROUNDS,
				 "gfpu_guest_regs() ran for each emulated load (%ld for %d)\n",
				 c.guest_regs, ROUNDS);
	if (!have)
		ksft_test_result_skip("KVM_RUN without entry: %s\n", GFPU_NO_STATS);
	else if (!(policy & GFPU_POLICY_SWAP_ENTRY))
		ksft_test_result(e.idle_runs > 0 && e.idle_moves >= 2 * e.idle_runs,
				 "policy %ld: %ld KVM_RUNs without entry swapped (%ld transfers)\n",
				 policy, e.idle_runs, e.idle_moves);
	else
		/*
		 * The host may take its own registers in such a run (a
		 * preemption, kernel-mode FPU in a softirq), a save the
		 * vCPU's counters charge to it: 1 run of 200 in one boot
		 * of 2026-12-02.  A swap at load would move in every run.
		 */
		ksft_test_result(e.idle_runs > 0 && e.idle_moving * 20 <= e.idle_runs,
				 "policy %ld (entry): %ld KVM_RUNs without entry, %ld of them moved anything (%ld transfers; at most 1 in 20 may, by the host's doing)\n",
				 policy, e.idle_runs, e.idle_moving, e.idle_moves);

	kvm_vm_free(vm);
	ksft_finished();
}
