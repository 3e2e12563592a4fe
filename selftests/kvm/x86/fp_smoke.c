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

static struct gfpu_smoke smoke = {
	.guest = { "guest xmm0-15 survive exits" },
	.get = { "KVM_GET_FPU returns the guest's live xmm" },
	.set = { "KVM_SET_FPU reaches the guest's xmm" },
	.held = { "guest xmm0-15 held across many exits" },
	.host = { "host xmm0-15 survive KVM_RUN" },
	.iterations = ITERATIONS,
	.long_exits = LONG_EXITS,
	.migrate_every = MIGRATE_EVERY,
};

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
	gfpu_check_record(&smoke.get, i, fpu_diff(&fpu, GFPU_DOM_GUEST, i));
	if (i % SET_EVERY)
		return;

	gfpu_pattern_fill(words, XMM_WORDS, GFPU_DOM_HOST_SET, i);
	memcpy(fpu.xmm, words, sizeof(words));
	vcpu_fpu_set(vcpu, &fpu);
	vcpu_fpu_get(vcpu, &fpu);
	gfpu_check_record(&smoke.set, i, fpu_diff(&fpu, GFPU_DOM_HOST_SET, i));
}

static bool loop_exit(struct gfpu_loop *l)
{
	struct kvm_fpu fpu;

	if (gfpu_exit_io(l->vcpu, FP_PORT)) {
		handle_fp_exit(l->vcpu, smoke.syncs);
		return true;
	}
	if (!gfpu_exit_io(l->vcpu, FP_PORT_LONG))
		return false;
	vcpu_fpu_get(l->vcpu, &fpu);
	gfpu_smoke_held(&smoke, fpu_diff(&fpu, GFPU_DOM_LONG, 0));
	return true;
}

int main(int argc, char *argv[])
{
	struct gfpu_hooks hooks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XMM2));

	ksft_print_header();
	ksft_set_plan(6);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	gfpu_smoke_run(&smoke, vcpu, loop_exit, &hooks);
	kvm_vm_free(vm);

	gfpu_smoke_report(&smoke, &hooks);
	ksft_finished();
}
