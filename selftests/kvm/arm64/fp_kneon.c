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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define TORTURE_PATH	"/sys/kernel/debug/gfpu_kfpu_torture"
#define TORTURE_US	40	/* kernel-mode NEON period on every CPU */
#define ROUNDS		100	/* guest patterns, one GUEST_SYNC each */
#define EXITS		20	/* exits with one pattern held, per round */
#define GET_EXIT	10	/* the host reads the registers at this exit */
#define SPIN		100000	/* guest loop per round, before the exits */

#define VREG_ID(n)	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(fp_regs.vregs[n]))

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

	write_sysreg(read_sysreg(cpacr_el1) | CPACR_FPEN |
		     (vl ? CPACR_EL1_ZEN_EL1EN | CPACR_EL1_ZEN_EL0EN : 0),
		     cpacr_el1);
	isb();
	if (vl) {
		write_sysreg_s(vl / 16 - 1, SYS_ZCR_EL1);
		isb();
		GUEST_ASSERT_EQ(gfpu_sve_rdvl(), vl);
	}
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

struct torture {
	long period_us, fires, used;
};

/* The torture facility's counters, from one read of its file. */
static bool torture_read(struct torture *t)
{
	char line[128], key[32];
	FILE *f;
	long val;

	t->period_us = -1;
	t->fires = -1;
	t->used = -1;
	f = fopen(TORTURE_PATH, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %ld", key, &val) != 2)
			continue;
		if (!strcmp(key, "period_us"))
			t->period_us = val;
		else if (!strcmp(key, "fires"))
			t->fires = val;
		else if (!strcmp(key, "used"))
			t->used = val;
	}
	fclose(f);
	return t->period_us >= 0 && t->fires >= 0 && t->used >= 0;
}

static int torture_set(unsigned int period_us)
{
	char buf[16];
	int fd, len, ret;

	fd = open(TORTURE_PATH, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u", period_us);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	return ret;
}

static bool torture_running;

/* At exit, whatever the way out: never leave the timers firing. */
static void torture_stop_at_exit(void)
{
	if (torture_running)
		torture_set(0);
}

static void run_holding_vregs(struct kvm_vcpu *vcpu)
{
	static unsigned long seed;
	uint64_t in[V_WORDS], out[V_WORDS];
	long ret;

	do {
		seed++;
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_HOST, seed);
		ret = gfpu_kvm_run_holding_v(vcpu->fd, in, out);
		gfpu_check_record(&host_v, seed,
			     gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_HOST, seed));
	} while (ret == -EINTR);
	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(vcpu);
}

/* The guest's registers at an exit of round @r, through ONE_REG. */
static uint64_t vcpu_diff(struct kvm_vcpu *vcpu, unsigned int vl, uint64_t r)
{
	static struct gfpu_sve_regs got, want;
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_GUEST, .seed = r };
	uint8_t buf[SVE_VL_MAX_BYTES];
	uint64_t v[V_WORDS], bad = 0;
	unsigned int n, k;

	if (!vl) {
		for (n = 0; n < NR_VREGS; n++)
			vcpu_get_reg(vcpu, VREG_ID(n), &v[2 * n]);
		return gfpu_pattern_diff(v, NR_VREGS, GFPU_DOM_GUEST, r);
	}
	for (n = 0; n < NR_ZREGS; n++) {
		vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_ZREG(n, 0), buf);
		memcpy(&got.z[n * vl], buf, vl);
		for (k = vl; k < sizeof(buf); k++)
			if (buf[k])
				bad |= BIT_ULL(n);
	}
	for (n = 0; n <= NR_PREGS; n++) {
		vcpu_get_reg(vcpu, n < NR_PREGS ? KVM_REG_ARM64_SVE_PREG(n, 0) :
			     KVM_REG_ARM64_SVE_FFR(0), buf);
		memcpy(n < NR_PREGS ? &got.p[n * vl / 8] : got.ffr, buf, vl / 8);
	}
	gfpu_sve_fill(&want, vl, &e);
	return bad | gfpu_sve_cmp(&got, &want, vl);
}

/* A page outside every memslot, mapped in the guest: stores to it exit. */
static vm_vaddr_t map_exit_page(struct kvm_vm *vm, vm_paddr_t *gpa)
{
	vm_vaddr_t gva = vm_vaddr_unused_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);

	*gpa = vm->ucall_mmio_addr + vm->page_size;
	virt_map(vm, gva, *gpa, 1);
	return gva;
}

static unsigned int sve_max_vl(struct kvm_vcpu *vcpu)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	unsigned int vq, max = 0;

	vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_VLS, vls);
	for (vq = KVM_ARM64_SVE_VQ_MIN; vq <= KVM_ARM64_SVE_VQ_MAX; vq++)
		if (vls[(vq - KVM_ARM64_SVE_VQ_MIN) / 64] &
		    (1ull << ((vq - KVM_ARM64_SVE_VQ_MIN) % 64)))
			max = vq;
	return max * 16;
}

/*
 * One VM, one vCPU (with SVE at its maximum VL if @sve), run to the end.
 * Return: the framework's steals count for it, -1 without the framework.
 */
static long run_vm(bool sve)
{
	struct kvm_vcpu_init init = { .target = -1 };
	struct gfpu_check *guest = sve ? &guest_sve : &guest_v;
	struct gfpu_check *get = sve ? &get_sve : &get_v;
	unsigned long rounds = 0, exits = 0;
	int feature = KVM_ARM_VCPU_SVE;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t exit_gpa;
	struct ucall uc;
	unsigned int vl = 0;
	bool done = false;
	long steals;

	vm = vm_create(1);
	if (sve)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	vcpu = aarch64_vcpu_add(vm, 0, &init, guest_code);
	if (sve) {
		vcpu_ioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &feature);
		vl = sve_max_vl(vcpu);
	}
	vcpu_args_set(vcpu, 2, map_exit_page(vm, &exit_gpa), vl);

	while (!done) {
		run_holding_vregs(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO &&
		    vcpu->run->mmio.phys_addr == exit_gpa) {
			if (++exits % EXITS == GET_EXIT)
				gfpu_check_record(get, rounds, vcpu_diff(vcpu, vl, rounds));
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			TEST_ASSERT(uc.args[0] == rounds, "guest round %lu, expected %lu",
				    (unsigned long)uc.args[0], rounds);
			TEST_ASSERT(exits == (rounds + 1) * EXITS,
				    "%lu exits by round %lu", exits, rounds);
			gfpu_check_record(guest, rounds++, uc.args[1]);
			break;
		case UCALL_DONE:
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit: %s",
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
	ksft_print_msg("%s vCPU%s: %lu rounds, %lu FP exits\n",
		       sve ? "SVE" : "FP/SIMD", sve ? " at its maximum VL" : "",
		       rounds, exits);
	gfpu_print_stats();
	steals = gfpu_stat("vcpu0", "steals");
	kvm_vm_free(vm);
	return steals;
}

int main(int argc, char *argv[])
{
	bool sve = (getauxval(AT_HWCAP) & HWCAP_SVE) &&
		   kvm_has_cap(KVM_CAP_ARM_SVE);
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	struct torture before, during, after, later;
	long steals, s;
	int ret;

	ksft_print_header();
	if (access(TORTURE_PATH, F_OK))
		ksft_exit_skip("no %s: a kernel without CONFIG_GFPU_KFPU_TORTURE, or no debugfs\n",
			       TORTURE_PATH);
	ksft_set_plan(8);

	TEST_ASSERT(torture_read(&before), "cannot read %s", TORTURE_PATH);
	atexit(torture_stop_at_exit);
	torture_running = true;
	ret = torture_set(TORTURE_US);
	TEST_ASSERT(!ret, "start the torture: %s", strerror(-ret));
	TEST_ASSERT(torture_read(&during) && during.period_us == TORTURE_US,
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

	TEST_ASSERT(torture_read(&during), "cannot read %s", TORTURE_PATH);
	ret = torture_set(0);
	torture_running = ret != 0;
	/* Stopped: no fire after the write returned, none pending. */
	nanosleep(&pause, NULL);
	TEST_ASSERT(torture_read(&after), "cannot read %s", TORTURE_PATH);
	nanosleep(&pause, NULL);
	TEST_ASSERT(torture_read(&later), "cannot read %s", TORTURE_PATH);
	ksft_print_msg("torture: %ld fires during the run, %ld of them used NEON\n",
		       during.fires - before.fires, during.used - before.used);

	gfpu_check_report(&guest_v);
	gfpu_check_report(&get_v);
	if (sve) {
		gfpu_check_report(&guest_sve);
		gfpu_check_report(&get_sve);
	} else {
		ksft_test_result_skip("%s: no SVE for guests\n", guest_sve.name);
		ksft_test_result_skip("%s: no SVE for guests\n", get_sve.name);
	}
	gfpu_check_report(&host_v);
	ksft_test_result(during.used > before.used,
			 "kernel-mode NEON clobbered the registers during the run (used %ld -> %ld)\n",
			 before.used, during.used);
	ksft_test_result(!ret && after.period_us == 0 &&
			 later.fires == after.fires,
			 "torture stopped (period_us %ld, fires %ld, then %ld)\n",
			 after.period_us, after.fires, later.fires);
	if (steals < 0)
		ksft_test_result_skip("gfpu: kernel-mode NEON took the vCPU's live registers: no %s (baseline kernel?)\n",
				      GFPU_STATS_PATH);
	else
		ksft_test_result(steals > 0,
				 "gfpu: kernel-mode NEON took the vCPU's live registers (steals %ld)\n",
				 steals);
	ksft_finished();
}
