// SPDX-License-Identifier: GPL-2.0
/*
 * one_reg_bad - invalid KVM_GET/SET_ONE_REG input is rejected and changes
 * nothing (arm64).
 *
 * For every malformed register id below, on a vCPU without SVE and on one
 * with SVE, KVM_GET_ONE_REG and KVM_SET_ONE_REG must fail with exactly the
 * errno that 6.12's arch/arm64/kvm/guest.c gives (EINVAL or ENOENT; the
 * table says which and why): core FP/SIMD registers with the wrong size,
 * past V31, at misaligned offsets; FPSR/FPCR with the wrong size; SVE Z/P/
 * FFR ids with a slice above 0, a register number out of range or the
 * wrong size; SVE ids on a vCPU without SVE; V registers through the core
 * interface on an SVE vCPU; ids that name no register at all.
 *
 * Each case runs on a fresh, valid register state (V0-V31 or Z0-Z31/P0-P15/
 * FFR, FPSR, FPCR) written by the host while the guest is stopped inside
 * an asm block. After the rejected calls the GET buffer must be untouched,
 * the host must read back that state exactly, and the guest, which stores
 * its registers to memory as soon as it runs again, must hold it too.
 *
 * KVM_REG_ARM64_SVE_VLS, on an SVE vCPU not yet finalized: a set with a
 * length above the maximum, without a supported length below its maximum,
 * or empty is EINVAL and changes nothing; SVE registers, KVM_RUN and
 * KVM_GET_REG_LIST are EPERM before KVM_ARM_VCPU_FINALIZE; a smaller valid
 * set is taken and the guest then runs at that length; after finalizing,
 * setting it again, and finalizing again, are EPERM.
 *
 * What it catches: a ONE_REG path that validates too late and writes part
 * of a register before failing, reads or writes the wrong copy of the FP
 * state, or returns a different errno than the kernel it replaces.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

/* FPSR/FPCR bits every FP implementation keeps: the pattern's masks. */
#define FPSR_BITS	0x0800009full	/* QC, IDC, IXC, UFC, OFC, DZC, IOC */
#define FPCR_BITS	0x07c80000ull	/* AHP, DN, FZ, RMode, FZ16 */

#define DOM_BAD		(GFPU_DOM_LONG + 1)	/* what rejected SETs carry */
#define PW_FPSR		4000			/* pattern words for FPSR ... */
#define PW_FPCR		4001			/* ... and FPCR */

/* Bits of a state difference, besides SVE_DIFF_*: */
#define DIFF_VVIEW	BIT_ULL(49)	/* SVE: V reads differ from Z */
#define DIFF_FPSR	BIT_ULL(62)
#define DIFF_FPCR	BIT_ULL(63)

#define CORE_OFF(f)	KVM_REG_ARM_CORE_REG(f)
#define CORE(off, size)	(KVM_REG_ARM64 | KVM_REG_SIZE_##size | KVM_REG_ARM_CORE | (off))
#define V_OFF(n)	(CORE_OFF(fp_regs.vregs[0]) + (n) * 4)
#define FPSR_ID		CORE(CORE_OFF(fp_regs.fpsr), U32)
#define FPCR_ID		CORE(CORE_OFF(fp_regs.fpcr), U32)
#define VREG_ID(n)	CORE(V_OFF(n), U128)
#define ZREG_NR(n)	(KVM_REG_ARM64_SVE_ZREG(0, 0) | ((uint64_t)(n) << 5))
#define PREG_NR(n)	(KVM_REG_ARM64_SVE_PREG(0, 0) | ((uint64_t)(n) << 5))
/* Register group (coprocessor field) 0x7f: none exists. */
#define UNKNOWN_GROUP	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | (0x7full << KVM_REG_ARM_COPROC_SHIFT))
#define RESIZE(id, size) (((id) & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_##size)

enum { ON_BOTH, ON_PLAIN, ON_SVE };

struct bad_case {
	const char *what;
	uint64_t id;
	int err;	/* errno of both GET and SET */
	int on;
};

/*
 * The errno is 6.12's: core ids are first bounds-checked against struct
 * kvm_regs with ">=" (so an id whose last 32-bit word is the struct's last
 * one is ENOENT), then their offset, alignment and size must name a field
 * exactly (EINVAL). SVE ids out of the slice-0 Z/P/FFR ranges are EINVAL;
 * inside the ranges but with a slice, or on a vCPU without SVE, ENOENT.
 */
static const struct bad_case cases[] = {
	{ "V0 with a 64-bit size",
	  CORE(V_OFF(0), U64), EINVAL, ON_BOTH },
	{ "V31 with a 32-bit size",
	  CORE(V_OFF(31), U32), EINVAL, ON_BOTH },
	{ "V5 with a 256-bit size",
	  CORE(V_OFF(5), U256), EINVAL, ON_BOTH },
	{ "V32 (past V31: FPSR's offset), 128-bit",
	  CORE(V_OFF(32), U128), ENOENT, ON_BOTH },
	{ "V33 (past the end of struct kvm_regs), 128-bit",
	  CORE(V_OFF(33), U128), ENOENT, ON_BOTH },
	{ "V0 + 4 bytes (misaligned), 128-bit",
	  CORE(V_OFF(0) + 1, U128), EINVAL, ON_BOTH },
	{ "V0 + 8 bytes (misaligned), 128-bit",
	  CORE(V_OFF(0) + 2, U128), EINVAL, ON_BOTH },
	{ "V31 + 8 bytes (no such field), 64-bit",
	  CORE(V_OFF(31) + 2, U64), EINVAL, ON_BOTH },
	{ "X0 + 4 bytes (misaligned), 64-bit",
	  CORE(CORE_OFF(regs.regs[0]) + 1, U64), EINVAL, ON_BOTH },
	{ "FPSR with a 64-bit size",
	  RESIZE(FPSR_ID, U64), EINVAL, ON_BOTH },
	{ "FPCR with a 64-bit size",
	  RESIZE(FPCR_ID, U64), EINVAL, ON_BOTH },
	{ "FPCR with an 8-bit size",
	  RESIZE(FPCR_ID, U8), EINVAL, ON_BOTH },
	{ "FPSR with a 128-bit size (ends at kvm_regs' end)",
	  RESIZE(FPSR_ID, U128), ENOENT, ON_BOTH },
	{ "FPCR with a 128-bit size (past kvm_regs' end)",
	  RESIZE(FPCR_ID, U128), ENOENT, ON_BOTH },
	{ "fp_regs.__reserved[0], 32-bit",
	  CORE(CORE_OFF(fp_regs.__reserved[0]), U32), EINVAL, ON_BOTH },
	{ "fp_regs.__reserved[1] (kvm_regs' last word), 32-bit",
	  CORE(CORE_OFF(fp_regs.__reserved[1]), U32), ENOENT, ON_BOTH },
	{ "a system register that does not exist",
	  ARM64_SYS_REG(3, 7, 15, 15, 7), ENOENT, ON_BOTH },
	{ "a firmware register that does not exist",
	  KVM_REG_ARM_FW_REG(0x7ff), ENOENT, ON_BOTH },
	{ "an unknown arm64 register group",
	  UNKNOWN_GROUP, ENOENT, ON_BOTH },
	{ "an id of another architecture (x86)",
	  KVM_REG_X86 | KVM_REG_SIZE_U64, EINVAL, ON_BOTH },
	{ "SVE Z0",
	  KVM_REG_ARM64_SVE_ZREG(0, 0), ENOENT, ON_PLAIN },
	{ "SVE P15",
	  KVM_REG_ARM64_SVE_PREG(15, 0), ENOENT, ON_PLAIN },
	{ "SVE FFR",
	  KVM_REG_ARM64_SVE_FFR(0), ENOENT, ON_PLAIN },
	{ "KVM_REG_ARM64_SVE_VLS",
	  KVM_REG_ARM64_SVE_VLS, ENOENT, ON_PLAIN },
	{ "V0 through the core interface, 128-bit",
	  VREG_ID(0), EINVAL, ON_SVE },
	{ "V31 through the core interface, 128-bit",
	  VREG_ID(31), EINVAL, ON_SVE },
	{ "SVE Z0 slice 1",
	  KVM_REG_ARM64_SVE_ZREG(0, 1), ENOENT, ON_SVE },
	{ "SVE Z31 slice 31",
	  KVM_REG_ARM64_SVE_ZREG(31, 31), ENOENT, ON_SVE },
	{ "SVE P0 slice 1",
	  KVM_REG_ARM64_SVE_PREG(0, 1), ENOENT, ON_SVE },
	{ "SVE FFR slice 1",
	  KVM_REG_ARM64_SVE_FFR(1), ENOENT, ON_SVE },
	{ "SVE Z register number 32",
	  ZREG_NR(32), EINVAL, ON_SVE },
	{ "SVE P register number 17",
	  PREG_NR(17), EINVAL, ON_SVE },
	{ "SVE Z0 with the P registers' 256-bit size",
	  RESIZE(KVM_REG_ARM64_SVE_ZREG(0, 0), U256), EINVAL, ON_SVE },
	{ "SVE P0 with the Z registers' 2048-bit size",
	  RESIZE(KVM_REG_ARM64_SVE_PREG(0, 0), U2048), EINVAL, ON_SVE },
	{ "SVE FFR with a 128-bit size",
	  RESIZE(KVM_REG_ARM64_SVE_FFR(0), U128), EINVAL, ON_SVE },
};

/* What the guest stores when it runs again; one per VM. */
struct guest_fp {
	struct gfpu_sve_regs sve;
	uint64_t v[V_WORDS];
	uint64_t fpsr, fpcr;
};

static struct guest_fp guest_fp;

/*
 * Exit (an MMIO store of @round), then store every FP register at once:
 * nothing runs in between, so this is what the host left there.
 */
static void guest_code(volatile uint64_t *mmio, uint64_t vl)
{
	uint64_t round = 0, fpsr, fpcr;

	gfpu_guest_fp_enable(vl);
	GUEST_SYNC2(0, vl ? gfpu_sve_rdvl() : 0);
	for (;;) {
		round++;
		asm volatile("str %[round], [%[mmio]]\n\t"
			     "cbz %[vl], 3f\n\t"
			     SVE_STORE
			     "3:\n\t"
			     V_ALL(V_STORE)
			     "mrs %[fpsr], fpsr\n\t"
			     "mrs %[fpcr], fpcr\n\t"
			     : [fpsr] "=&r" (fpsr), [fpcr] "=&r" (fpcr)
			     : [round] "r" (round), [mmio] "r" (mmio),
			       [vl] "r" (vl), [zout] "r" (guest_fp.sve.z),
			       [pout] "r" (guest_fp.sve.p),
			       [fout] "r" (guest_fp.sve.ffr),
			       [out] "r" (guest_fp.v)
			     : "memory", "p0");
		guest_fp.fpsr = fpsr;
		guest_fp.fpcr = fpcr;
		GUEST_SYNC2(round, 0);
	}
}

/* One vCPU with its VM, stopped at an FP exit between rounds. */
struct vctx {
	const char *name;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	unsigned int vl;	/* bytes; 0 without SVE */
	vm_paddr_t exit_gpa;
	struct guest_fp *gfp;	/* the guest's guest_fp, seen from here */
	uint64_t round;		/* the state the vCPU should hold */
};

static const char *errname(int err)
{
	switch (err) {
	case 0:		return "success";
	case EINVAL:	return "EINVAL";
	case ENOENT:	return "ENOENT";
	case EPERM:	return "EPERM";
	case EFAULT:	return "EFAULT";
	case E2BIG:	return "E2BIG";
	case ENOEXEC:	return "ENOEXEC";
	default:	return "another errno";
	}
}

/* A ONE_REG ioctl: 0 on success, else errno (the ioctl must say -1). */
static int one_reg(struct kvm_vcpu *vcpu, unsigned long cmd, uint64_t id,
		   void *buf)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)buf };
	int ret = ioctl(vcpu->fd, cmd, &reg);

	if (!ret)
		return 0;
	TEST_ASSERT(ret == -1, "ONE_REG ioctl returned %d", ret);
	return errno;
}

static uint64_t fpsr_of(uint64_t round)
{
	return gfpu_pattern_word(GFPU_DOM_HOST_SET, round, PW_FPSR) & FPSR_BITS;
}

static uint64_t fpcr_of(uint64_t round)
{
	return gfpu_pattern_word(GFPU_DOM_HOST_SET, round, PW_FPCR) & FPCR_BITS;
}

static struct gfpu_sve_regs sve_want, sve_got;

/* Write the valid state of @round through ONE_REG. */
static void state_set(struct vctx *c, uint64_t round)
{
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_HOST_SET, .seed = round };
	uint64_t v[V_WORDS], val;

	if (!c->vl) {
		gfpu_pattern_fill(v, V_WORDS, GFPU_DOM_HOST_SET, round);
		gfpu_vregs_set(c->vcpu, v);
	} else {
		gfpu_sve_fill(&sve_want, c->vl, &e);
		gfpu_sve_set(c->vcpu, &sve_want, c->vl);
	}
	val = fpsr_of(round);
	TEST_ASSERT(!one_reg(c->vcpu, KVM_SET_ONE_REG, FPSR_ID, &val), "set FPSR");
	val = fpcr_of(round);
	TEST_ASSERT(!one_reg(c->vcpu, KVM_SET_ONE_REG, FPCR_ID, &val), "set FPCR");
	c->round = round;
}

/* Read the state back through ONE_REG: a mask of what differs. */
static uint64_t state_diff(struct vctx *c)
{
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_HOST_SET, .seed = c->round };
	uint64_t v[V_WORDS], bad = 0, val;

	if (!c->vl) {
		gfpu_vregs_get(c->vcpu, v);
		bad = gfpu_pattern_diff(v, NR_VREGS, GFPU_DOM_HOST_SET, c->round);
	} else {
		bad = gfpu_sve_get(c->vcpu, &sve_got, c->vl);
		gfpu_sve_fill(&sve_want, c->vl, &e);
		bad |= gfpu_sve_cmp(&sve_got, &sve_want, c->vl);
	}
	val = 0;
	TEST_ASSERT(!one_reg(c->vcpu, KVM_GET_ONE_REG, FPSR_ID, &val), "get FPSR");
	if (val != fpsr_of(c->round))
		bad |= DIFF_FPSR;
	val = 0;
	TEST_ASSERT(!one_reg(c->vcpu, KVM_GET_ONE_REG, FPCR_ID, &val), "get FPCR");
	if (val != fpcr_of(c->round))
		bad |= DIFF_FPCR;
	return bad;
}

/* Run the vCPU to its next ucall; FP exits must not come first. */
static void run_to_sync(struct vctx *c, uint64_t tag)
{
	struct ucall uc;

	TEST_ASSERT(gfpu_run_to_ucall(c->vcpu, &uc) == UCALL_SYNC,
		    "%s vCPU: guest done", c->name);
	TEST_ASSERT(uc.args[0] == tag, "%s vCPU: sync %lu, expected %lu",
		    c->name, (unsigned long)uc.args[0], (unsigned long)tag);
	if (!tag)
		TEST_ASSERT(uc.args[1] == c->vl,
			    "%s vCPU: guest VL %lu, expected %u", c->name,
			    (unsigned long)uc.args[1], c->vl);
}

/* Run the vCPU to its next FP exit, where it waits to store its state. */
static void run_to_fp_exit(struct vctx *c)
{
	uint64_t round;

	vcpu_run(c->vcpu);
	TEST_ASSERT(gfpu_exit_mmio(c->vcpu, c->exit_gpa, &round),
		    "%s vCPU: expected the FP exit, got %s", c->name,
		    exit_reason_str(c->vcpu->run->exit_reason));
	TEST_ASSERT(round == c->round + 1, "%s vCPU: FP exit %lu, expected %lu",
		    c->name, (unsigned long)round, (unsigned long)c->round + 1);
}

/*
 * Let the guest store its registers (it is at an FP exit): a mask of what
 * differs from the state of the current round. Leaves it at the next one.
 */
static uint64_t guest_diff(struct vctx *c)
{
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_HOST_SET, .seed = c->round };
	const struct guest_fp *g = c->gfp;
	uint64_t bad = 0;
	const uint64_t *z;
	unsigned int n;

	run_to_sync(c, c->round);
	if (!c->vl) {
		bad = gfpu_pattern_diff(g->v, NR_VREGS, GFPU_DOM_HOST_SET, c->round);
	} else {
		gfpu_sve_fill(&sve_want, c->vl, &e);
		bad = gfpu_sve_cmp(&g->sve, &sve_want, c->vl);
		for (n = 0; n < NR_VREGS; n++) {
			z = (const uint64_t *)&g->sve.z[n * c->vl];
			if (g->v[2 * n] != z[0] || g->v[2 * n + 1] != z[1])
				bad |= DIFF_VVIEW;
		}
	}
	if (g->fpsr != fpsr_of(c->round))
		bad |= DIFF_FPSR;
	if (g->fpcr != fpcr_of(c->round))
		bad |= DIFF_FPCR;
	run_to_fp_exit(c);
	return bad;
}

static uint64_t vls_get(struct kvm_vcpu *vcpu, uint64_t *vls)
{
	memset(vls, 0, KVM_ARM64_SVE_VLS_WORDS * sizeof(*vls));
	return one_reg(vcpu, KVM_GET_ONE_REG, KVM_REG_ARM64_SVE_VLS, vls);
}

static bool vq_in(const uint64_t *vls, unsigned int vq)
{
	vq -= KVM_ARM64_SVE_VQ_MIN;
	return vls[vq / 64] & (1ull << (vq % 64));
}

static void vq_flip(uint64_t *vls, unsigned int vq)
{
	vq -= KVM_ARM64_SVE_VQ_MIN;
	vls[vq / 64] ^= 1ull << (vq % 64);
}

/* The smallest length in a set, in quadwords; 0 if empty. */
static unsigned int vls_min(const uint64_t *vls)
{
	unsigned int vq;

	for (vq = KVM_ARM64_SVE_VQ_MIN; vq <= KVM_ARM64_SVE_VQ_MAX; vq++)
		if (vq_in(vls, vq))
			return vq;
	return 0;
}

/* The guest up to its first FP exit, at @vl (0: no SVE). */
static void vctx_start(struct vctx *c, const char *name, struct kvm_vm *vm,
		       struct kvm_vcpu *vcpu, unsigned int vl)
{
	c->name = name;
	c->vm = vm;
	c->vcpu = vcpu;
	c->vl = vl;
	c->round = 0;
	vcpu_args_set(vcpu, 2, gfpu_map_exit_page(vm, &c->exit_gpa), vl);
	c->gfp = addr_gva2hva(vm, (vm_vaddr_t)&guest_fp);
	run_to_sync(c, 0);
	run_to_fp_exit(c);
}

/* One bad id: rejected exactly, nothing changed anywhere. */
static void run_case(struct vctx *c, const struct bad_case *bc)
{
	uint8_t buf[512], junk[512];
	int get_err, set_err;
	uint64_t host_bad, guest_bad;
	bool buf_ok = true;
	unsigned int i;

	state_set(c, c->round + 1);

	memset(buf, 0xa5, sizeof(buf));
	get_err = one_reg(c->vcpu, KVM_GET_ONE_REG, bc->id, buf);
	for (i = 0; i < sizeof(buf); i++)
		buf_ok &= buf[i] == 0xa5;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = gfpu_pattern_byte(DOM_BAD, c->round, i / 8, i % 8);
	set_err = one_reg(c->vcpu, KVM_SET_ONE_REG, bc->id, junk);

	host_bad = state_diff(c);
	guest_bad = guest_diff(c);

	if (get_err != bc->err || set_err != bc->err || !buf_ok ||
	    host_bad || guest_bad)
		ksft_print_msg("%s vCPU, id 0x%llx: GET %s, SET %s (expected %s), GET buffer %s, host reads back 0x%lx, guest sees 0x%lx (bits 0-31 V/Z, 32-47 P, 48 FFR, 49 V view, 62 FPSR, 63 FPCR)\n",
			       c->name, (unsigned long long)bc->id,
			       errname(get_err), errname(set_err),
			       errname(bc->err), buf_ok ? "untouched" : "written",
			       (unsigned long)host_bad, (unsigned long)guest_bad);
	ksft_test_result(get_err == bc->err && set_err == bc->err && buf_ok &&
			 !host_bad && !guest_bad,
			 "%s vCPU: %s: %s, nothing changed\n",
			 c->name, bc->what, errname(bc->err));
}

static void run_cases(struct vctx *c, int on)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (cases[i].on == ON_BOTH || cases[i].on == on)
			run_case(c, &cases[i]);
}

static void skip_cases(int on, const char *why)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (cases[i].on == ON_BOTH || cases[i].on == on)
			ksft_test_result_skip("SVE vCPU: %s: %s\n",
					      cases[i].what, why);
}

static unsigned int count_cases(int on)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		n += cases[i].on == ON_BOTH || cases[i].on == on;
	return n;
}

/* The results test_vls() reports, in order (for skipping them). */
static const char *const vls_checks[] = {
	"SVE registers before KVM_ARM_VCPU_FINALIZE",
	"KVM_RUN and KVM_GET_REG_LIST before KVM_ARM_VCPU_FINALIZE",
	"KVM_REG_ARM64_SVE_VLS with a length above the maximum",
	"KVM_REG_ARM64_SVE_VLS without a supported length below its maximum",
	"KVM_REG_ARM64_SVE_VLS with no length at all",
	"KVM_REG_ARM64_SVE_VLS with the smallest length only",
	"KVM_ARM_VCPU_FINALIZE",
	"KVM_REG_ARM64_SVE_VLS after finalizing (the same set)",
	"KVM_REG_ARM64_SVE_VLS after finalizing (the original set)",
	"KVM_ARM_VCPU_FINALIZE twice",
	"SVE vCPU finalized at its smallest VL runs at it",
};

/* Set VLS to @vls and expect @want; then VLS must read @expect_after. */
static void vls_try(struct kvm_vcpu *vcpu, const char *what,
		    const uint64_t *vls, int want, const uint64_t *after)
{
	uint64_t got[KVM_ARM64_SVE_VLS_WORDS];
	int err, get_err;
	bool same;

	err = one_reg(vcpu, KVM_SET_ONE_REG, KVM_REG_ARM64_SVE_VLS, (void *)vls);
	get_err = vls_get(vcpu, got);
	same = !get_err && !memcmp(got, after, sizeof(got));
	ksft_test_result(err == want && same, "%s: %s, %s (reads back %s)\n",
			 what, errname(err), want ? "VLS unchanged" : "VLS taken",
			 same ? "as expected" : "something else");
}

/*
 * KVM_REG_ARM64_SVE_VLS and finalization on a fresh SVE vCPU, which then
 * runs at the smallest length.
 */
static void test_vls(void)
{
	uint64_t orig[KVM_ARM64_SVE_VLS_WORDS], vls[KVM_ARM64_SVE_VLS_WORDS];
	uint64_t small[KVM_ARM64_SVE_VLS_WORDS], list_n = 0;
	unsigned int min_vq, max_vq;
	uint8_t buf[SVE_VL_MAX_BYTES];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct vctx c;
	int zget, zset, run, list, err;
	uint64_t bad;

	vm = vm_create(1);
	vcpu = gfpu_vcpu_add(vm, guest_code, true);
	TEST_ASSERT(!vls_get(vcpu, orig), "get KVM_REG_ARM64_SVE_VLS");
	min_vq = vls_min(orig);
	max_vq = gfpu_sve_vls_max(orig);
	TEST_ASSERT(min_vq && max_vq < KVM_ARM64_SVE_VQ_MAX,
		    "vector lengths %u..%u quadwords", min_vq, max_vq);
	ksft_print_msg("new SVE vCPU: vector lengths %u..%u bytes\n",
		       min_vq * 16, max_vq * 16);

	/* Not finalized: no SVE registers, no KVM_RUN, no register list. */
	zget = one_reg(vcpu, KVM_GET_ONE_REG, KVM_REG_ARM64_SVE_ZREG(0, 0), buf);
	zset = one_reg(vcpu, KVM_SET_ONE_REG, KVM_REG_ARM64_SVE_ZREG(0, 0), buf);
	ksft_test_result(zget == EPERM && zset == EPERM,
			 "SVE vCPU before KVM_ARM_VCPU_FINALIZE: Z0 GET %s, SET %s (expected EPERM)\n",
			 errname(zget), errname(zset));
	run = __vcpu_ioctl(vcpu, KVM_RUN, NULL) ? errno : 0;
	list = __vcpu_ioctl(vcpu, KVM_GET_REG_LIST, &list_n) ? errno : 0;
	ksft_test_result(run == EPERM && list == EPERM,
			 "SVE vCPU before KVM_ARM_VCPU_FINALIZE: KVM_RUN %s, KVM_GET_REG_LIST %s (expected EPERM)\n",
			 errname(run), errname(list));

	memcpy(vls, orig, sizeof(vls));
	vq_flip(vls, max_vq + 1);
	vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS with a length above the maximum",
		vls, EINVAL, orig);

	memcpy(vls, orig, sizeof(vls));
	vq_flip(vls, min_vq);
	if (min_vq != max_vq)
		vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS without a supported length below its maximum",
			vls, EINVAL, orig);
	else
		ksft_test_result_skip("KVM_REG_ARM64_SVE_VLS without a supported length below its maximum: the vCPU has one length only\n");

	memset(vls, 0, sizeof(vls));
	vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS with no length at all", vls,
		EINVAL, orig);

	memset(small, 0, sizeof(small));
	vq_flip(small, min_vq);
	vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS with the smallest length only",
		small, 0, small);

	err = gfpu_sve_finalize(vcpu);
	ksft_test_result(!err, "KVM_ARM_VCPU_FINALIZE: %s\n", errname(err));

	vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS after finalizing (the same set)",
		small, EPERM, small);
	vls_try(vcpu, "KVM_REG_ARM64_SVE_VLS after finalizing (the original set)",
		orig, EPERM, small);

	err = gfpu_sve_finalize(vcpu);
	ksft_test_result(err == EPERM,
			 "KVM_ARM_VCPU_FINALIZE twice: %s (expected EPERM)\n",
			 errname(err));

	/* It runs at that length, and keeps a state written at it. */
	vctx_start(&c, "small-VL SVE", vm, vcpu, min_vq * 16);
	state_set(&c, 1);
	bad = state_diff(&c) | guest_diff(&c);
	ksft_test_result(!bad, "SVE vCPU finalized at %u bytes runs at it and keeps its registers (diff 0x%lx)\n",
			 min_vq * 16, (unsigned long)bad);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	bool sve = (getauxval(AT_HWCAP) & HWCAP_SVE) &&
		   kvm_has_cap(KVM_CAP_ARM_SVE);
	const char *why = "no SVE for guests (HWCAP_SVE, KVM_CAP_ARM_SVE)";
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct vctx c;
	unsigned int i;
	int err;

	ksft_print_header();
	ksft_set_plan(count_cases(ON_PLAIN) + 1 + count_cases(ON_SVE) +
		      ARRAY_SIZE(vls_checks));

	vm = vm_create(1);
	vcpu = gfpu_vcpu_add(vm, guest_code, false);
	err = gfpu_sve_finalize(vcpu);
	ksft_test_result(err == EINVAL,
			 "KVM_ARM_VCPU_FINALIZE(SVE) on a vCPU without SVE: %s (expected EINVAL)\n",
			 errname(err));
	vctx_start(&c, "plain", vm, vcpu, 0);
	run_cases(&c, ON_PLAIN);
	kvm_vm_free(vm);

	if (!sve) {
		skip_cases(ON_SVE, why);
		for (i = 0; i < ARRAY_SIZE(vls_checks); i++)
			ksft_test_result_skip("%s: %s\n", vls_checks[i], why);
		ksft_finished();
	}

	vm = vm_create(1);
	vcpu = gfpu_vcpu_add(vm, guest_code, true);
	TEST_ASSERT(!gfpu_sve_finalize(vcpu), "KVM_ARM_VCPU_FINALIZE");
	TEST_ASSERT(!vls_get(vcpu, vls), "get KVM_REG_ARM64_SVE_VLS");
	vctx_start(&c, "SVE", vm, vcpu, gfpu_sve_vls_max(vls) * 16);
	ksft_print_msg("SVE vCPU at %u bytes\n", c.vl);
	run_cases(&c, ON_SVE);
	kvm_vm_free(vm);

	test_vls();
	ksft_finished();
}
