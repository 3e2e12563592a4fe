// SPDX-License-Identifier: GPL-2.0
/*
 * fail_inject - every step the framework can fail, failed on purpose.
 *
 * fail_gfpu (CONFIG_FAIL_GFPU) is a fault_attr of the kernel's fault
 * injection framework with one extra knob, "points": the mask of the
 * framework's fallible steps (enum gfpu_fail_point) it may fail. For each
 * step this arch has, armed to fail it exactly once (probability 100,
 * times 1):
 *
 *  - vCPU creation, every arch: KVM_CREATE_VCPU of a second vCPU while
 *    the first holds a pattern in its FP registers;
 *  - arm64: KVM_ARM_VCPU_FINALIZE(SVE), at the SVE storage's allocation
 *    and at its mapping into hyp;
 *  - x86: the guest fpstate's growth for AMX tile data, which needs AMX
 *    (a skip without it; the model fails it on every policy, fail_grow).
 *
 * Each case shows: the call fails with ENOMEM and the point fired (its
 * "times" went from 1 to 0); the VMM's registers survive the failing
 * call (held across the system call itself); the guest's registers read
 * back through the uAPI as they were; the same call then succeeds and the
 * vCPUs run; the framework lists no record of a vCPU that was never
 * created, and retires exactly the vCPUs that were. Where the kernel has
 * kmemleak (DEBUG=y), a scan after all VMs are gone finds no leak in
 * KVM or the framework.
 *
 * Skips as a whole on a kernel without fail_gfpu (the baseline).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "ucall_common.h"
#ifdef __x86_64__
#include "processor.h"
#endif
#include "gfpu_test.h"
#include "gfpu_regs.h"
#ifdef __aarch64__
#include "gfpu_sve_arm64.h"
#endif

#define FAIL_DIR	"/sys/kernel/debug/fail_gfpu"
#define STATS_PATH	"/sys/kernel/debug/gfpu/stats"
#define KMEMLEAK_PATH	"/sys/kernel/debug/kmemleak"

/* enum gfpu_fail_point (core/gfpu_core.h): the bits of "points". */
enum {
	FAIL_VCPU,
	FAIL_SVE,
	FAIL_SVE_SHARE,
	FAIL_GROW,
};

static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(0);
}

/* Write @val to the debugfs file @path; false if it was refused. */
static bool write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

/* === fail_gfpu ========================================================== */

static bool knob_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", FAIL_DIR, name);
	return write_str(path, val);
}

static long knob_read(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FAIL_DIR, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%li", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* Fail @point, and only it, the next time it is reached; nothing else. */
static void fail_arm(unsigned int point)
{
	char mask[16];

	snprintf(mask, sizeof(mask), "%#x", 1u << point);
	TEST_ASSERT(knob_write("verbose", "0") &&
		    knob_write("task-filter", "N") &&
		    knob_write("interval", "1") &&
		    knob_write("space", "0") &&
		    knob_write("points", mask) &&
		    knob_write("probability", "100") &&
		    knob_write("times", "1"),
		    "cannot arm %s for point %u", FAIL_DIR, point);
}

/* Disarm; return how many of the armed failures were not used (0 or 1). */
static long fail_disarm(void)
{
	long left = knob_read("times");

	TEST_ASSERT(knob_write("probability", "0") &&
		    knob_write("times", "0") && knob_write("points", "0"),
		    "cannot disarm %s", FAIL_DIR);
	return left;
}

/* === The framework's list of vCPU records (debugfs) ==================== */

struct listed {
	long live, retired;
};

static void listed_read(struct listed *l)
{
	char line[1024];
	FILE *f = fopen(STATS_PATH, "r");

	TEST_ASSERT(f, "cannot read %s", STATS_PATH);
	l->live = 0;
	l->retired = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vcpu", 4))
			l->live++;
		else
			sscanf(line, "retired %ld", &l->retired);
	}
	fclose(f);
	TEST_ASSERT(l->retired >= 0, "no retired count in %s", STATS_PATH);
}

/* === Registers ========================================================== */

/*
 * ioctl(@fd, @req, @arg) as a raw system call with the VMM's vector
 * registers holding a pattern across it: the call's result (-errno on
 * failure), and in *@host_ok whether the pattern came back.
 */
static long held_ioctl(int fd, unsigned long req, unsigned long arg,
		       bool *host_ok)
{
	uint64_t in[GFPU_HOLD_WORDS], out[GFPU_HOLD_WORDS];
	long ret;

	gfpu_pattern_fill(in, GFPU_HOLD_WORDS, GFPU_DOM_HOST, req);
	ret = gfpu_syscall_holding(__NR_ioctl, fd, req, arg, in, out);
	*host_ok = !memcmp(in, out, sizeof(in));
	return ret;
}

/* The guest's FP registers through the uAPI: set a pattern, compare. */
#if defined(__x86_64__)
static void regs_fill(struct kvm_vcpu *vcpu, uint64_t seed)
{
	uint64_t words[XMM_WORDS];
	struct kvm_fpu fpu;

	vcpu_fpu_get(vcpu, &fpu);
	gfpu_pattern_fill(words, XMM_WORDS, GFPU_DOM_HOST_SET, seed);
	memcpy(fpu.xmm, words, sizeof(words));
	vcpu_fpu_set(vcpu, &fpu);
}

static uint64_t regs_diff(struct kvm_vcpu *vcpu, uint64_t seed)
{
	uint64_t words[XMM_WORDS];
	struct kvm_fpu fpu;

	vcpu_fpu_get(vcpu, &fpu);
	memcpy(words, fpu.xmm, sizeof(words));
	return gfpu_pattern_diff(words, NR_XMM, GFPU_DOM_HOST_SET, seed);
}
#elif defined(__aarch64__)
static void regs_fill(struct kvm_vcpu *vcpu, uint64_t seed)
{
	uint64_t words[V_WORDS];

	gfpu_pattern_fill(words, V_WORDS, GFPU_DOM_HOST_SET, seed);
	gfpu_vregs_set(vcpu, words);
}

static uint64_t regs_diff(struct kvm_vcpu *vcpu, uint64_t seed)
{
	uint64_t words[V_WORDS];

	gfpu_vregs_get(vcpu, words);
	return gfpu_pattern_diff(words, NR_VREGS, GFPU_DOM_HOST_SET, seed);
}
#else
static void regs_fill(struct kvm_vcpu *vcpu, uint64_t seed)
{
	gfpu_fregs_fill(vcpu, GFPU_DOM_HOST_SET, seed);
}

static uint64_t regs_diff(struct kvm_vcpu *vcpu, uint64_t seed)
{
	return gfpu_fregs_diff(vcpu, GFPU_DOM_HOST_SET, seed);
}
#endif

static bool run_to_sync(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	return gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC;
}

/* === vCPU creation ====================================================== */

static void case_vcpu_create(void)
{
	struct kvm_vcpu *v0, *v1;
	struct listed l0, l1, l2, l3;
	bool host_ok, usable;
	struct kvm_vm *vm;
	uint64_t bad, bad_after;
	long ret, left;

	listed_read(&l0);
	vm = vm_create_with_one_vcpu(&v0, guest_code);
	TEST_ASSERT(run_to_sync(v0), "vcpu0 did not reach its first sync");
	regs_fill(v0, 1);

	fail_arm(FAIL_VCPU);
	ret = held_ioctl(vm->fd, KVM_CREATE_VCPU, 1, &host_ok);
	left = fail_disarm();
	bad = regs_diff(v0, 1);
	listed_read(&l1);
	ksft_test_result(ret == -ENOMEM && left == 0,
			 "vCPU creation: KVM_CREATE_VCPU failed with %s at fail_gfpu's point (%ld of 1 failures left)\n",
			 ret < 0 ? strerror(-ret) : "no error", left);
	ksft_test_result(host_ok && !bad && l1.live == l0.live + 1 &&
			 l1.retired == l0.retired,
			 "vCPU creation: nothing changed: VMM registers %s, vcpu0's registers 0x%lx differ, %ld vCPUs listed (want %ld)\n",
			 host_ok ? "kept" : "LOST", (unsigned long)bad,
			 l1.live, l0.live + 1);

	v1 = vm_vcpu_add(vm, 1, guest_code);
	usable = run_to_sync(v1) && run_to_sync(v0);
	bad_after = regs_diff(v0, 1);
	listed_read(&l2);
	kvm_vm_free(vm);
	listed_read(&l3);
	ksft_test_result(usable && !bad_after && l2.live == l0.live + 2 &&
			 l3.live == l0.live && l3.retired == l0.retired + 2,
			 "vCPU creation: then vcpu1 created and both run (%s, vcpu0's registers 0x%lx differ); %ld listed, then %ld retired of 2\n",
			 usable ? "yes" : "NO", (unsigned long)bad_after,
			 l2.live - l0.live, l3.retired - l0.retired);
}

/* === arm64: KVM_ARM_VCPU_FINALIZE(SVE) ================================== */

#ifdef __aarch64__
#define FPSR_ID	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | \
		 KVM_REG_ARM_CORE_REG(fp_regs.fpsr))
#define FPCR_ID	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | \
		 KVM_REG_ARM_CORE_REG(fp_regs.fpcr))

static struct gfpu_sve_regs sve_set, sve_got;

static void case_sve(unsigned int point, const char *what)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS], vls_after[KVM_ARM64_SVE_VLS_WORDS];
	const struct gfpu_sve_expect e = { .dom = GFPU_DOM_HOST_SET, .seed = point };
	uint64_t fpsr = 0x0800001f, fpcr = 0x03000000, z0[32];
	uint32_t sr = 0, cr = 0;	/* 32-bit registers */
	int feature = KVM_ARM_VCPU_SVE, zerr, runerr, err;
	struct listed l0, l1;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool host_ok, usable;
	unsigned int vl;
	long ret, left;

	if (!kvm_check_cap(KVM_CAP_ARM_SVE)) {
		ksft_test_result_skip("%s: no SVE for guests\n", what);
		ksft_test_result_skip("%s: no SVE for guests\n", what);
		ksft_test_result_skip("%s: no SVE for guests\n", what);
		return;
	}
	listed_read(&l0);
	vm = vm_create(1);
	vcpu = gfpu_vcpu_add(vm, guest_code, true);
	vcpu_set_reg(vcpu, FPSR_ID, fpsr);
	vcpu_set_reg(vcpu, FPCR_ID, fpcr);
	vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_VLS, vls);

	fail_arm(point);
	ret = held_ioctl(vcpu->fd, KVM_ARM_VCPU_FINALIZE,
			 (unsigned long)&feature, &host_ok);
	left = fail_disarm();
	ksft_test_result(ret == -ENOMEM && left == 0,
			 "%s: KVM_ARM_VCPU_FINALIZE(SVE) failed with %s at fail_gfpu's point (%ld of 1 failures left)\n",
			 what, ret < 0 ? strerror(-ret) : "no error", left);

	/* Not final: Z unreachable, KVM_RUN refused, the rest as it was. */
	vcpu_get_reg(vcpu, FPSR_ID, &sr);
	vcpu_get_reg(vcpu, FPCR_ID, &cr);
	vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_VLS, vls_after);
	zerr = __vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_ZREG(0, 0), z0) ? errno : 0;
	runerr = __vcpu_run(vcpu) ? errno : 0;
	ksft_test_result(host_ok && sr == fpsr && cr == fpcr &&
			 !memcmp(vls, vls_after, sizeof(vls)) &&
			 zerr == EPERM && runerr == EPERM,
			 "%s: nothing changed: VMM registers %s, FPSR/FPCR %#x/%#x (set %#lx/%#lx), vector lengths %s, Z0 %s, KVM_RUN %s\n",
			 what, host_ok ? "kept" : "LOST", sr, cr,
			 (unsigned long)fpsr, (unsigned long)fpcr,
			 memcmp(vls, vls_after, sizeof(vls)) ? "CHANGED" : "kept",
			 strerror(zerr), strerror(runerr));

	/* Finalized for real: Z written, run, read back at the full VL. */
	err = gfpu_sve_finalize(vcpu);
	usable = !err;
	if (usable) {
		vl = gfpu_sve_max_vl(vcpu);
		gfpu_sve_fill(&sve_set, vl, &e);
		gfpu_sve_set(vcpu, &sve_set, vl);
		usable = run_to_sync(vcpu);
		gfpu_sve_get(vcpu, &sve_got, vl);
		usable = usable && !gfpu_sve_cmp(&sve_set, &sve_got, vl);
	}
	listed_read(&l1);
	kvm_vm_free(vm);
	ksft_test_result(usable && l1.live == l0.live + 1,
			 "%s: then finalized (%s), Z/P/FFR written, run and read back %s; %ld vCPU listed\n",
			 what, strerror(err), usable ? "intact" : "WRONG",
			 l1.live - l0.live);
}
#endif

/* === kmemleak =========================================================== */

static bool kmemleak_write(const char *cmd)
{
	return write_str(KMEMLEAK_PATH, cmd);
}

/*
 * Objects kmemleak reports whose allocation backtrace runs through KVM
 * or the framework, after a scan; -1 when it could not scan.
 */
static long kmemleak_suspects(long *all)
{
	char line[512];
	bool ours = false, ok;
	long n = 0;
	FILE *f;

	/*
	 * kmemleak reports only objects older than 5 s, and only at the
	 * second scan that finds them unreferenced (the first records
	 * their checksum). Task stacks are not scanned: a stale pointer left
	 * on this task's kernel stack by the failed call would hide the very
	 * leak this looks for.
	 */
	sleep(6);
	if (!kmemleak_write("stack=off"))
		return -1;
	ok = kmemleak_write("scan") && kmemleak_write("scan");
	kmemleak_write("stack=on");
	if (!ok)
		return -1;
	f = fopen(KMEMLEAK_PATH, "r");
	if (!f)
		return -1;
	*all = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "unreferenced object", 19)) {
			(*all)++;
			n += ours;
			ours = false;
		} else if (strstr(line, "gfpu") || strstr(line, "kvm")) {
			ours = true;
		}
	}
	n += ours;
	/* Say what was found. */
	rewind(f);
	while (n && fgets(line, sizeof(line), f))
		ksft_print_msg("kmemleak: %s", line);
	fclose(f);
	return n;
}

int main(void)
{
	bool leakcheck;
	long leaks, all;

	ksft_print_header();
	if (access(FAIL_DIR "/points", W_OK))
		ksft_exit_skip("no %s/points: a kernel without CONFIG_FAIL_GFPU (the baseline)\n",
			       FAIL_DIR);
#if defined(__aarch64__)
	ksft_set_plan(3 + 2 * 3 + 1);
#elif defined(__x86_64__)
	ksft_set_plan(3 + 1 + 1);
#else
	ksft_set_plan(3 + 1);
#endif
	/* Forget what earlier tests left: only this test's objects count. */
	leakcheck = !access(KMEMLEAK_PATH, W_OK) && kmemleak_write("scan") &&
		    kmemleak_write("clear");

	case_vcpu_create();
#if defined(__aarch64__)
	case_sve(FAIL_SVE, "SVE storage");
	case_sve(FAIL_SVE_SHARE, "SVE storage's hyp mapping");
#elif defined(__x86_64__)
	ksft_test_result_skip("fpstate growth: only for AMX tile data (%s); the model fails it on every policy (fail_grow)\n",
			      kvm_cpu_has(X86_FEATURE_AMX_TILE) ?
			      "AMX is here, but this case is not written" :
			      "no AMX here");
#endif
	if (!leakcheck) {
		ksft_test_result_skip("kmemleak: not in this kernel (DEBUG=y kernels have it)\n");
	} else {
		leaks = kmemleak_suspects(&all);
		ksft_test_result(leaks == 0,
				 "kmemleak: %ld suspected leaks in KVM or gfpu (%ld in all)\n",
				 leaks, all);
	}
	ksft_finished();
}
