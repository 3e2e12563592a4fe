// SPDX-License-Identifier: GPL-2.0
/*
 * fp_kneon - guest and host FP/SIMD and SVE registers survive kernel-mode
 * NEON between VM exit and entry (arm64).
 *
 * The kernel's test facility /sys/kernel/debug/gfpu_kfpu_torture fires a
 * softirq hrtimer every TORTURE_US microseconds on every CPU, and each
 * fire that may use SIMD does kernel_neon_begin(), loads V0-V31 with its
 * own pattern and kernel_neon_end(). Under it a guest holds a pattern in
 * V0-V31 across a spin (host timer interrupts exit to the host, where the
 * softirq runs with the guest's registers live) and then across EXITS
 * exits to userspace, ROUNDS times, and reports what it reads back. The
 * host reads the registers with KVM_GET_ONE_REG at some of those exits and
 * makes every KVM_RUN from an asm block that holds its own pattern in
 * V0-V31 across the syscall. On an SVE host, a second vCPU with SVE at its
 * maximum vector length does the same with Z0-Z31, P0-P15 and FFR.
 *
 * The facility's "used" count must grow during the run (fires that really
 * clobbered the registers), or the test proved nothing; on a gfpu kernel
 * its "steals" count must show kernel-mode NEON taking the vCPU's live
 * registers. The torture is stopped at exit, failures included.
 *
 * What it catches: guest state left live in the registers after exit
 * without the host's FP tracking knowing (kernel_neon_begin() then saves
 * the wrong thing or nothing), bound to the wrong buffer or at the wrong
 * vector length; host state lost the same way.
 */
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define TORTURE_US	40	/* kernel-mode NEON period on every CPU */
#define ROUNDS		100	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define GET_EXIT	10	/* the host reads the registers at this exit */
#define SPIN		100000	/* guest loop per round, before the exits */

/* Guest memory, both vCPUs: what is loaded and what is read back. */
static struct gfpu_sve_regs g_in, g_out, g_exp;
static uint64_t g_vin[V_WORDS], g_vout[V_WORDS];

/* Spin, then exit EXITS times, with the registers loaded from g_in/g_vin. */
#define GUEST_HOLD(load, store, ...)					\
	asm volatile(load						\
		     "mov %w[spin], #" __stringify(SPIN) " & 0xffff\n\t"	\
		     "movk %w[spin], #" __stringify(SPIN) " >> 16, lsl #16\n\t" \
		     "2: subs %w[spin], %w[spin], #1\n\t"		\
		     "b.ne 2b\n\t"					\
		     "1: str %[r], [%[mmio]]\n\t"			\
		     "subs %w[count], %w[count], #1\n\t"		\
		     "b.ne 1b\n\t"					\
		     store						\
		     : [count] "+r" (count), [spin] "=&r" (spin)	\
		     : [mmio] "r" (mmio), [r] "r" (r), __VA_ARGS__)

static void guest_code(volatile uint64_t *mmio, uint64_t vl)
{
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_GUEST };
	uint32_t count, spin;
	uint64_t r;

	gfpu_guest_fp_enable(vl);
	if (vl)
		GUEST_ASSERT_EQ(gfpu_sve_rdvl(), vl);
	for (r = 0; r < ROUNDS; r++) {
		count = EXITS;
		if (!vl) {
			gfpu_pattern_fill(g_vin, V_WORDS, GFPU_DOM_GUEST, r);
			GUEST_HOLD(V_ALL(V_LOAD), V_ALL(V_STORE),
				   [in] "r" (g_vin), [out] "r" (g_vout)
				   : "memory", "cc", V_CLOBBERS);
			GUEST_SYNC2(r, gfpu_pattern_diff(g_vout, NR_VREGS,
							 GFPU_DOM_GUEST, r));
			continue;
		}
		e.seed = r;
		gfpu_sve_fill(&g_in, vl, &e);
		GUEST_HOLD(SVE_LOAD, SVE_STORE,
			   [zin] "r" (g_in.z), [pin] "r" (g_in.p),
			   [fin] "r" (g_in.ffr), [zout] "r" (g_out.z),
			   [pout] "r" (g_out.p), [fout] "r" (g_out.ffr)
			   : "memory", "cc", SVE_CLOBBERS);
		gfpu_sve_fill(&g_exp, vl, &e);
		GUEST_SYNC2(r, gfpu_sve_cmp(&g_out, &g_exp, vl));
	}
	GUEST_DONE();
}

static struct gfpu_check guest_v = { "guest V0-V31 survive kernel-mode NEON" };
static struct gfpu_check get_v = { "KVM_GET_ONE_REG returns the guest's V0-V31 under kernel-mode NEON" };
static struct gfpu_check guest_sve = { "guest Z/P/FFR survive kernel-mode NEON" };
static struct gfpu_check get_sve = { "KVM_GET_ONE_REG returns the guest's Z/P/FFR under kernel-mode NEON" };
static struct gfpu_check host_v = { "host V0-V31 survive KVM_RUN under kernel-mode NEON" };

/* One vCPU, V0-V31 only or with SVE at @vl, and its checks. */
struct vm_run {
	unsigned int vl;
	vm_paddr_t exit_gpa;
	unsigned long rounds, exits;
	struct gfpu_check *guest, *get;
};

/* The guest's registers at an exit of round @r, through ONE_REG. */
static uint64_t vcpu_diff(struct kvm_vcpu *vcpu, unsigned int vl, uint64_t r)
{
	static struct gfpu_sve_regs got, want;
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_GUEST, .seed = r };
	uint64_t v[V_WORDS], bad;

	if (!vl) {
		gfpu_vregs_get(vcpu, v);
		return gfpu_pattern_diff(v, NR_VREGS, GFPU_DOM_GUEST, r);
	}
	bad = gfpu_sve_get(vcpu, &got, vl);
	gfpu_sve_fill(&want, vl, &e);
	return bad | gfpu_sve_cmp(&got, &want, vl);
}

static bool loop_exit(struct gfpu_loop *l)
{
	struct vm_run *v = l->data;

	if (!gfpu_exit_mmio(l->vcpu, v->exit_gpa, NULL))
		return false;
	if (++v->exits % EXITS == GET_EXIT)
		gfpu_check_record(v->get, v->rounds,
				  vcpu_diff(l->vcpu, v->vl, v->rounds));
	return true;
}

/* The guest's verdict on round args[0]: args[1], registers that differ. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct vm_run *v = l->data;

	TEST_ASSERT(v->exits == (v->rounds + 1) * EXITS,
		    "%lu exits by round %lu", v->exits, v->rounds);
	gfpu_sync_record(uc, v->rounds++, v->guest);
}

/*
 * One VM, one vCPU (with SVE at its maximum VL if @sve), run to the end.
 * Return: the framework's steals count for it, -1 without the framework.
 */
static long run_vm(bool sve)
{
	struct vm_run v = {
		.guest = sve ? &guest_sve : &guest_v,
		.get = sve ? &get_sve : &get_v,
	};
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.data = &v,
		.host = &host_v,
	};
	struct kvm_vm *vm;
	long steals;

	vm = vm_create(1);
	if (sve)
		loop.vcpu = gfpu_sve_vcpu_add(vm, guest_code, &v.vl);
	else
		loop.vcpu = gfpu_vcpu_add(vm, guest_code, false);
	vcpu_args_set(loop.vcpu, 2, gfpu_map_exit_page(vm, &v.exit_gpa), v.vl);

	gfpu_run_loop(&loop);
	ksft_print_msg("%s vCPU%s: %lu rounds, %lu FP exits\n",
		       sve ? "SVE" : "FP/SIMD", sve ? " at its maximum VL" : "",
		       v.rounds, v.exits);
	gfpu_print_stats(loop.vcpu);
	steals = gfpu_stat(loop.vcpu, "steals");
	kvm_vm_free(vm);
	return steals;
}

/*
 * Stop the torture; @after and @later are read 20 ms and 40 ms after
 * that: no fire after the write returned, none pending.
 * Return: 0 or the write's negative errno.
 */
static int torture_stop(struct gfpu_torture *after, struct gfpu_torture *later)
{
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	int ret = gfpu_torture_set(0);

	nanosleep(&pause, NULL);
	TEST_ASSERT(gfpu_torture_read(after), "cannot read %s", GFPU_TORTURE_PATH);
	nanosleep(&pause, NULL);
	TEST_ASSERT(gfpu_torture_read(later), "cannot read %s", GFPU_TORTURE_PATH);
	return ret;
}

int main(int argc, char *argv[])
{
	bool sve = (getauxval(AT_HWCAP) & HWCAP_SVE) &&
		   kvm_has_cap(KVM_CAP_ARM_SVE);
	struct gfpu_torture before, during, after, later;
	const char *no_sve = "no SVE for guests";
	long steals, s;
	int ret;

	ksft_print_header();
	if (access(GFPU_TORTURE_PATH, F_OK))
		ksft_exit_skip("no %s: a kernel without CONFIG_GFPU_KFPU_TORTURE, or no debugfs\n",
			       GFPU_TORTURE_PATH);
	ksft_set_plan(8);

	TEST_ASSERT(gfpu_torture_read(&before), "cannot read %s", GFPU_TORTURE_PATH);
	ret = gfpu_torture_set(TORTURE_US);
	TEST_ASSERT(!ret, "start the torture: %s", strerror(-ret));
	TEST_ASSERT(gfpu_torture_read(&during) && during.period_us == TORTURE_US,
		    "torture period %ld us, asked for %d", during.period_us,
		    TORTURE_US);
	ksft_print_msg("kernel-mode NEON every %ld us on every CPU; SVE vCPU: %s\n",
		       during.period_us,
		       sve ? "yes" : "no (no HWCAP_SVE or KVM_CAP_ARM_SVE)");

	steals = run_vm(false);
	if (sve) {
		s = run_vm(true);
		steals = s < 0 ? s : steals + s;
	}

	TEST_ASSERT(gfpu_torture_read(&during), "cannot read %s", GFPU_TORTURE_PATH);
	ret = torture_stop(&after, &later);
	ksft_print_msg("torture: %ld fires during the run, %ld of them used NEON\n",
		       during.fires - before.fires, during.used - before.used);

	gfpu_check_report(&guest_v);
	gfpu_check_report(&get_v);
	gfpu_check_report_or_skip(&guest_sve, sve, no_sve);
	gfpu_check_report_or_skip(&get_sve, sve, no_sve);
	gfpu_check_report(&host_v);
	ksft_test_result(during.used > before.used,
			 "kernel-mode NEON clobbered the registers during the run (used %ld -> %ld)\n",
			 before.used, during.used);
	ksft_test_result(!ret && after.period_us == 0 &&
			 later.fires == after.fires,
			 "torture stopped (period_us %ld, fires %ld, then %ld)\n",
			 after.period_us, after.fires, later.fires);
	if (steals < 0)
		ksft_test_result_skip("gfpu: kernel-mode NEON took the vCPU's live registers: %s (baseline kernel?)\n",
				      GFPU_NO_STATS);
	else
		ksft_test_result(steals > 0,
				 "gfpu: kernel-mode NEON took the vCPU's live registers (steals %ld)\n",
				 steals);
	ksft_finished();
}
