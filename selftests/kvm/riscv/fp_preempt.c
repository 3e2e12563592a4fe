// SPDX-License-Identifier: GPL-2.0
/*
 * fp_preempt - guest, VMM and competing contexts keep their F/D and vector
 * registers while the vCPU thread is preempted, takes signals and migrates
 * (riscv64).
 *
 * The vCPU thread and a "hammer" thread are pinned to the same CPU. The
 * hammer loads its own pattern into f0-f31 and yields the CPU, then loads
 * one into v0-v31 and spins (6.12 discards v0-v31 at every system call,
 * so a vector pattern can only be held across involuntary preemption),
 * checking both, over and over. The guest holds a pattern in f0-f31 and,
 * when the vCPU has V, in v0-v31 (vl = VLMAX at SEW 64, LMUL 8) across a
 * spin, where host timer interrupts preempt the thread inside KVM_RUN,
 * and then across EXITS exits, ROUNDS times, and reports what it reads
 * back. Every KVM_RUN is made from an asm block that holds the VMM's
 * pattern in f0-f31 across the ioctl; the VMM also loads a pattern into
 * v0-v31 before it and must find 6.12's discard value (all ones) there
 * after it, never another context's registers.
 *
 * Three phases of ROUNDS / 3: preemption alone; then a timer sends the
 * vCPU thread SIGUSR1 SIGNAL_US microseconds (or a tenth of a first-phase
 * round's time, if longer: gfpu_signals_start()) after the last handler
 * ended, whose handler does what the hammer does; then, signals still
 * on, the vCPU thread moves to the next CPU after every round
 * (gfpu_migrate()).  Under TCG a signal and the KVM_RUN it interrupts
 * take longer than 500 us: at that period, fixed, the thread did little
 * but take signals (300 s for less than two thirds of the rounds); at
 * 2000 us the test takes seconds.
 *
 * What it catches: guest F/D or vector state not saved at put (dirty bits
 * ignored) or not restored at load when the vCPU thread is preempted or
 * moved inside or between KVM_RUNs; host state left wrong after KVM_RUN;
 * signal frames built from the wrong registers; any context seeing
 * another's values.
 */
#include <stdint.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_riscv.h"

#define ROUNDS		300	/* guest patterns, one GUEST_SYNC each */
#define PHASE		(ROUNDS / 3)
#define EXITS		20	/* exits with one pattern held, per round */
#define SIGNAL_US	2000	/* at least, between SIGUSR1s (see above) */
#define SPIN		500000	/* guest loop per round without any exit */

/* Spin with no exit, then exit %[count] times; the registers stay live. */
#define HOLD_LOOP	"2: addi %[spin], %[spin], -1\n\t"		\
			"bnez %[spin], 2b\n\t"				\
			"1: sd %[r], 0(%[mmio])\n\t"			\
			"addi %[count], %[count], -1\n\t"		\
			"bnez %[count], 1b\n\t"

/* Not inlined: its prologue saves f registers, before FS is on there. */
static noinline void guest_hold(const uint64_t *in, uint64_t *out,
				volatile uint64_t *mmio, uint64_t r,
				uint64_t vb)
{
	const uint64_t *vin = in + F_WORDS;
	uint64_t *vout = out + F_WORDS;
	uint64_t count = EXITS, spin = SPIN, grp = 8 * vb, vl;

	if (!vb) {
		asm volatile(F_ALL(F_LOAD) HOLD_LOOP F_ALL(F_STORE)
			     : [count] "+r" (count), [spin] "+r" (spin)
			     : [in] "r" (in), [out] "r" (out),
			       [mmio] "r" (mmio), [r] "r" (r)
			     : "memory", F_CLOBBERS);
		return;
	}
	asm volatile(F_ALL(F_LOAD) V_BEGIN V_GROUPS(V_LOAD)
		     HOLD_LOOP
		     V_GROUPS(V_STORE) V_END F_ALL(F_STORE)
		     : [count] "+r" (count), [spin] "+r" (spin),
		       [vin] "+r" (vin), [vout] "+r" (vout), [vl] "=&r" (vl)
		     : [in] "r" (in), [out] "r" (out), [mmio] "r" (mmio),
		       [r] "r" (r), [grp] "r" (grp)
		     : "memory", F_CLOBBERS);
}

static void guest_code(volatile uint64_t *mmio, uint64_t vb)
{
	uint64_t in[FV_WORDS], out[FV_WORDS];
	uint64_t r;

	asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_FS_INITIAL));
	if (vb) {
		asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_VS_INITIAL));
		GUEST_ASSERT_EQ(gfpu_read_vlenb(), vb);
	}
	for (r = 0; r < ROUNDS; r++) {
		gfpu_pattern_fill(in, F_WORDS + gfpu_v_words(vb),
				  GFPU_DOM_GUEST, r);
		guest_hold(in, out, mmio, r, vb);
		GUEST_SYNC2(r, gfpu_fv_diff(out, vb, GFPU_DOM_GUEST, r));
	}
	GUEST_DONE();
}

static struct gfpu_check guest_regs[3] = {
	{ "guest f0-f31 and v0-v31 survive preemption", FV_LEGEND },
	{ "guest f0-f31 and v0-v31 survive preemption and signals", FV_LEGEND },
	{ "guest f0-f31 and v0-v31 survive preemption, signals and migration",
	  FV_LEGEND },
};

static struct gfpu_check host_regs = { "VMM f0-f31 survive KVM_RUN" };
static struct gfpu_check vmm_v = {
	"VMM v0-v31 after KVM_RUN: 6.12's discard value, nothing else's" };
static struct gfpu_check hammer_regs = {
	"competing thread's f0-f31 and v0-v31 survive",
	"bits 0-15: f0-f31 in pairs, 32-63: v0-v31" };
static struct gfpu_check signal_regs = {
	"signal handler's f0-f31 and v0-v31 survive",
	"bits 0-15: f0-f31 in pairs, 32-63: v0-v31" };

static vm_paddr_t exit_gpa;
static bool host_v;
static unsigned long migrations;

static void loop_run(struct gfpu_loop *l)
{
	uint64_t bad;

	if (!host_v) {
		gfpu_run_holding(l);
		return;
	}
	/* The VMM's own vector pattern, live (VS Dirty) at the ecall. */
	bad = gfpu_host_v_hold(GFPU_DOM_HOST, vmm_v.runs, 1);
	gfpu_run_holding(l);
	gfpu_check_record(&vmm_v, vmm_v.runs, bad | gfpu_host_v_discarded());
}

static bool loop_exit(struct gfpu_loop *l)
{
	return gfpu_exit_mmio(l->vcpu, exit_gpa, NULL);
}

/* The guest's verdict on round args[0]: args[1], registers that differ. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	unsigned long r = uc->args[0];
	struct gfpu_check *c = &guest_regs[r / PHASE];

	TEST_ASSERT(r < ROUNDS, "round %lu", r);
	gfpu_sync_record(uc, c->runs + r / PHASE * PHASE, c);
	if (r + 1 == PHASE)
		gfpu_signals_start(SIGNAL_US, PHASE, &signal_regs);
	if (r + 1 >= 2 * PHASE && r + 1 < ROUNDS)
		migrations += gfpu_migrate(r) >= 0;
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.run = loop_run,
		.exit = loop_exit,
		.sync = loop_sync,
		.host = &host_regs,
		/* 6.12's restore_fp_state() race (lib/gfpu_util.c). */
		.sigreturn_race = true,
	};
	struct kvm_vm *vm;
	long preempted;
	uint64_t vb;
	int cpu, ncpus;

	ksft_print_header();
	ksft_set_plan(11);

	host_v = gfpu_host_has_v();
	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	vb = gfpu_vcpu_vlenb(loop.vcpu);
	TEST_ASSERT(vb <= MAX_VLENB, "vlenb %lu", (unsigned long)vb);
	vcpu_args_set(loop.vcpu, 2, gfpu_map_exit_page(vm, &exit_gpa), vb);
	if (host_v)
		gfpu_contenders_use_v();
	ncpus = gfpu_migrate_init();
	cpu = gfpu_preempt_begin(&hammer_regs);
	ksft_print_msg("vCPU and hammer threads on CPU %d of %d, SIGUSR1 from round %d, migration from round %d; guest vlenb %lu, host V %s\n",
		       cpu, ncpus, PHASE, 2 * PHASE,
		       (unsigned long)vb, host_v ? "yes" : "no");

	gfpu_run_loop(&loop);
	preempted = gfpu_preempt_end(loop.vcpu);
	kvm_vm_free(vm);

	gfpu_preempt_report(&loop, &guest_regs[0], &hammer_regs, &signal_regs,
			    preempted);
	gfpu_check_report(&guest_regs[1]);
	gfpu_check_report(&guest_regs[2]);
	gfpu_check_report_or_skip(&vmm_v, host_v, "the host has no V");
	if (ncpus < 2)
		ksft_test_result_skip("vCPU thread migrated: one CPU only\n");
	else
		ksft_test_result(migrations > 0,
				 "vCPU thread migrated between CPUs (%lu times)\n",
				 migrations);
	ksft_finished();
}
