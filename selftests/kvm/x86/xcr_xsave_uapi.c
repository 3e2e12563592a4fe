// SPDX-License-Identifier: GPL-2.0
/*
 * xcr_xsave_uapi - XCR0 and XSAVE state through the uAPI and through KVM's
 * own XSETBV: bad input is refused and changes nothing, good input lands.
 *
 * KVM_SET_XCRS: XCR0 values that break the architectural rules (FP clear,
 * YMM without SSE, reserved or unoffered bits, half of AVX-512, AMX or
 * MPX, a supervisor bit), more XCRs than KVM_MAX_XCRS and non-zero flags
 * must fail with EINVAL and leave KVM_GET_XCRS as it was; an entry for an
 * XCR other than XCR0 must leave XCR0 alone. Valid values must read back
 * through KVM_GET_XCRS and through XGETBV in the guest.
 *
 * KVM_SET_XSAVE: while the guest holds a pattern in x87, ymm and PKRU
 * across an exit, the host offers buffers carrying a different pattern
 * and one defect each (XSTATE_BV with a feature KVM does not offer or a
 * supervisor feature, a compacted XCOMP_BV, non-zero reserved header
 * bytes, reserved MXCSR bits). Each must fail with EINVAL, the next
 * KVM_GET_XSAVE2 must be byte-identical to the one before, and the guest
 * must find its own pattern in its registers. The same buffer without a
 * defect must be taken and reach the guest. A vCPU whose CPUID lacks a
 * feature KVM has must not see that feature's state from KVM_SET_XSAVE.
 *
 * XSETBV in the guest, through KVM's instruction emulator (the KVM_FEP
 * prefix, kvm.force_emulation_prefix=1): valid values must be read back
 * by XGETBV and KVM_GET_XCRS, invalid ones must raise #GP(0) in the guest
 * and change nothing. A plain XSETBV is tried too; whether it reached KVM
 * is told by the gfpu counters (under QEMU TCG it does not: nested SVM
 * runs it itself).
 *
 * What it catches: uAPI or emulator paths that apply part of a bad XCR0
 * or XSAVE buffer before failing, that skip a validity rule, that write a
 * stale copy over the live registers, or that load something other than
 * the guest's XCR0 at entry.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_x86.h"
#include "gfpu_xstate_x86.h"

#define XSAVE_PORT	0x1005
#define PLAIN_N		1000	/* plain XSETBVs whose exits are counted */

#define MAX_CASES	16

#define NR_XCRS_BAD	13
#define NR_XCRS_GOOD	5
#define NR_XSAVE	9	/* the control buffer and eight defects */
#define NR_XSAVE_CPUID	1
#define NR_FEP		11
#define NR_PLAIN	1
#define NR_CHECKS	(NR_XCRS_BAD + NR_XCRS_GOOD + NR_XSAVE + \
			 NR_XSAVE_CPUID + NR_FEP + NR_PLAIN)

/* Set by the host in each VM before its first run. */
static unsigned int fpx_what;
static unsigned int nr_cases;
static unsigned int control_case;	/* the case the host writes for real */

struct fep_case {
	uint32_t index;
	uint64_t value;
};

static struct fep_case fep_cases[MAX_CASES];

/* === Guests =========================================================== */

static void guest_xgetbv(void)
{
	for (;;)
		GUEST_SYNC1(xgetbv(0));
}

static void guest_xsave(void)
{
	struct gfpu_fpx in, out, want;
	uint64_t i;

	for (i = 0; i < nr_cases; i++) {
		gfpu_fpx_fill(&in, GFPU_DOM_GUEST, i);
		memset(&out, 0, sizeof(out));
		gfpu_guest_hold(&in, &out, 1, XSAVE_PORT, 0, fpx_what);
		gfpu_fpx_fill(&want, i == control_case ? GFPU_DOM_HOST_SET :
			      GFPU_DOM_GUEST, i);
		GUEST_SYNC2(i, gfpu_fpx_diff(&out, &want, fpx_what));
	}
	GUEST_DONE();
}

static void guest_fep(void)
{
	uint64_t before, after, ec;
	uint8_t vector;
	uint64_t i;

	for (i = 0; i < nr_cases; i++) {
		uint32_t lo = fep_cases[i].value;
		uint32_t hi = fep_cases[i].value >> 32;

		before = xgetbv(0);
		vector = kvm_asm_safe_ec_fep("xsetbv", ec, "a" (lo), "d" (hi),
					     "c" (fep_cases[i].index));
		after = xgetbv(0);
		GUEST_SYNC5(i, vector, ec, before, after);
	}
	GUEST_DONE();
}

enum { PL_START = 1, PL_LOOP_DONE, PL_LOW, PL_AFTER_EXIT };

static uint64_t plain_low;

static void guest_plain(void)
{
	uint64_t cur = xgetbv(0), seen;
	int i;

	GUEST_SYNC2(PL_START, cur);
	for (i = 0; i < PLAIN_N; i++)
		xsetbv(0, cur);
	GUEST_SYNC2(PL_LOOP_DONE, xgetbv(0));
	xsetbv(0, plain_low);
	seen = xgetbv(0);
	GUEST_SYNC2(PL_LOW, seen);
	GUEST_SYNC2(PL_AFTER_EXIT, xgetbv(0));
	xsetbv(0, cur);
	GUEST_DONE();
}

/* === Host ============================================================= */

static uint64_t test_xcr0;	/* FP|SSE, YMM and PKRU where offered */
static uint64_t kvm_xcr0;	/* KVM's supported XCR0 */

static struct kvm_vcpu *new_vcpu(struct kvm_vm **vm, void *guest,
				 uint64_t xcr0)
{
	struct kvm_vcpu *vcpu;

	*vm = vm_create_with_one_vcpu(&vcpu, guest);
	gfpu_xstate_setup(vcpu, xcr0);
	return vcpu;
}

/* A user feature KVM does not offer, as a whole group; 0 if none. */
static uint64_t unoffered_feature(void)
{
	static const uint64_t groups[] = {
		XFEATURE_MASK_AVX512, XFEATURE_MASK_XTILE,
		XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR,
		XFEATURE_MASK_PKRU, XFEATURE_MASK_YMM,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(groups); i++)
		if (!(kvm_xcr0 & groups[i]))
			return groups[i];
	return 0;
}

/* --- KVM_SET_XCRS ---------------------------------------------------- */

static void xcrs_bad(struct kvm_vcpu *vcpu, const char *what,
		     struct kvm_xcrs *xcrs, bool ignored_ok)
{
	uint64_t before, after;
	int r, err;

	gfpu_xcr0_set(vcpu, test_xcr0);
	before = gfpu_xcr0_get(vcpu);
	r = __vcpu_ioctl(vcpu, KVM_SET_XCRS, xcrs);
	err = errno;
	after = gfpu_xcr0_get(vcpu);

	if (ignored_ok) {
		/* Only XCR0 exists: 6.12 skips other entries, returns 0. */
		ksft_test_result((!r || (r == -1 && err == EINVAL)) &&
				 after == before,
				 "KVM_SET_XCRS %s: %s, XCR0 0x%lx unchanged (now 0x%lx)\n",
				 what, r ? strerror(err) : "accepted, ignored",
				 (unsigned long)before, (unsigned long)after);
		return;
	}
	ksft_test_result(r == -1 && err == EINVAL && after == before,
			 "KVM_SET_XCRS %s: EINVAL (got %d, %s), XCR0 0x%lx unchanged (now 0x%lx)\n",
			 what, r, r ? strerror(err) : "success",
			 (unsigned long)before, (unsigned long)after);
}

/*
 * XCR0 = @xcr0 must be refused. @group: the feature whose rule it breaks;
 * where KVM does not offer it, the value is also refused for that reason,
 * which the test name then says.
 */
static void xcr0_bad(struct kvm_vcpu *vcpu, const char *what, uint64_t xcr0,
		     uint64_t group)
{
	struct kvm_xcrs xcrs = {
		.nr_xcrs = 1,
		.xcrs[0] = { .xcr = 0, .value = xcr0 },
	};
	bool lacks = group && (kvm_xcr0 & group) != group;
	char name[128];

	snprintf(name, sizeof(name), "XCR0 0x%lx (%s%s)", (unsigned long)xcr0,
		 what, lacks ? "; KVM lacks it too" : "");
	xcrs_bad(vcpu, name, &xcrs, false);
}

static void xcr0_good(struct kvm_vcpu *vcpu, const char *what,
		      uint64_t xcr0, bool offered)
{
	uint64_t got = 0, seen = 0;
	struct ucall uc;
	int r;

	if (!offered) {
		ksft_test_result_skip("KVM_SET_XCRS XCR0 0x%lx (%s): not in the vCPU's CPUID\n",
				      (unsigned long)xcr0, what);
		return;
	}
	gfpu_xcr0_set(vcpu, XFEATURE_MASK_FP);
	r = gfpu_xcr0_try_set(vcpu, xcr0);
	if (!r) {
		got = gfpu_xcr0_get(vcpu);
		gfpu_run_to_ucall(vcpu, &uc);
		seen = uc.args[0];
	}
	ksft_test_result(!r && got == xcr0 && seen == xcr0,
			 "KVM_SET_XCRS XCR0 0x%lx (%s): %s, KVM_GET_XCRS 0x%lx, guest XGETBV 0x%lx\n",
			 (unsigned long)xcr0, what,
			 r ? strerror(errno) : "accepted",
			 (unsigned long)got, (unsigned long)seen);
}

static void test_xcrs(void)
{
	uint64_t vcpu_xcr0, unoffered = unoffered_feature();
	uint64_t sse = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	const struct kvm_cpuid_entry2 *e;
	struct kvm_vcpu *vcpu;
	struct kvm_xcrs xcrs;
	struct kvm_vm *vm;

	vcpu = new_vcpu(&vm, guest_xgetbv, test_xcr0);
	e = get_cpuid_entry(vcpu->cpuid, 0xd, 0);
	vcpu_xcr0 = e->eax | (uint64_t)e->edx << 32;

	xcr0_bad(vcpu, "FP clear", test_xcr0 & ~XFEATURE_MASK_FP, 0);
	xcr0_bad(vcpu, "YMM without SSE", XFEATURE_MASK_FP | XFEATURE_MASK_YMM,
		 XFEATURE_MASK_YMM);
	xcr0_bad(vcpu, "reserved bit 63", test_xcr0 | BIT_ULL(63), 0);
	if (unoffered)
		xcr0_bad(vcpu, "a feature KVM does not offer",
			 test_xcr0 | unoffered, 0);
	else
		ksft_test_result_skip("KVM_SET_XCRS XCR0, unoffered feature: KVM has all (0x%lx)\n",
				      (unsigned long)kvm_xcr0);
	xcr0_bad(vcpu, "AVX-512 opmask alone", test_xcr0 | XFEATURE_MASK_OPMASK,
		 XFEATURE_MASK_AVX512);
	xcr0_bad(vcpu, "AVX-512 without YMM", sse | XFEATURE_MASK_AVX512,
		 XFEATURE_MASK_AVX512);
	xcr0_bad(vcpu, "XTILE_CFG without XTILE_DATA",
		 test_xcr0 | XFEATURE_MASK_XTILE_CFG, XFEATURE_MASK_XTILE);
	xcr0_bad(vcpu, "XTILE_DATA without XTILE_CFG",
		 test_xcr0 | XFEATURE_MASK_XTILE_DATA, XFEATURE_MASK_XTILE);
	xcr0_bad(vcpu, "BNDREGS without BNDCSR",
		 test_xcr0 | XFEATURE_MASK_BNDREGS,
		 XFEATURE_MASK_BNDREGS | XFEATURE_MASK_BNDCSR);
	xcr0_bad(vcpu, "supervisor bit 8, PT", test_xcr0 | XFEATURE_MASK_PT, 0);

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = KVM_MAX_XCRS + 1;
	xcrs.xcrs[0].value = sse;
	xcrs_bad(vcpu, "nr_xcrs KVM_MAX_XCRS + 1", &xcrs, false);

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.flags = 1;
	xcrs.xcrs[0].value = sse;
	xcrs_bad(vcpu, "flags 1", &xcrs, false);

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 1;
	xcrs.xcrs[0].value = sse;
	xcrs_bad(vcpu, "with only an XCR1 entry", &xcrs, true);

	xcr0_good(vcpu, "FP", XFEATURE_MASK_FP, true);
	xcr0_good(vcpu, "FP|SSE", sse, true);
	xcr0_good(vcpu, "FP|SSE|YMM", sse | XFEATURE_MASK_YMM,
		  vcpu_xcr0 & XFEATURE_MASK_YMM);
	xcr0_good(vcpu, "FP|SSE|PKRU", sse | XFEATURE_MASK_PKRU,
		  vcpu_xcr0 & XFEATURE_MASK_PKRU);
	xcr0_good(vcpu, "all this vCPU's CPUID offers", vcpu_xcr0, true);

	kvm_vm_free(vm);
}

/* --- KVM_SET_XSAVE --------------------------------------------------- */

struct xs {
	struct kvm_vcpu *vcpu;
	int size;		/* of each buffer */
	bool xsave2;
	uint32_t ymmh_off, pkru_off;
	void *before, *buf, *after;
};

static void xs_get(struct xs *x, void *dst)
{
	if (x->xsave2)
		vcpu_xsave2_get(x->vcpu, dst);
	else
		vcpu_xsave_get(x->vcpu, dst);
}

static void xs_init(struct xs *x, struct kvm_vm *vm, struct kvm_vcpu *vcpu,
		    unsigned int what)
{
	int size = gfpu_xsave2_size(vm);

	x->vcpu = vcpu;
	x->xsave2 = size > 0;
	x->size = size > 0 ? size : (int)sizeof(struct kvm_xsave);
	x->before = calloc(1, x->size);
	x->buf = calloc(1, x->size);
	x->after = calloc(1, x->size);
	TEST_ASSERT(x->before && x->buf && x->after, "calloc");
	x->ymmh_off = what & FPX_YMM ? gfpu_xstate_offset(2) : 0;
	x->pkru_off = what & FPX_PKRU_ON ? gfpu_xstate_offset(9) : 0;
}

static void xs_free(struct xs *x)
{
	free(x->before);
	free(x->buf);
	free(x->after);
}

enum xs_defect {
	XS_NONE,
	XS_BV_UNOFFERED,	/* XSTATE_BV bit KVM does not offer */
	XS_BV_SUPERVISOR,	/* XSTATE_BV bit 8, PT */
	XS_XCOMP,		/* XCOMP_BV compacted */
	XS_RSVD_FIRST,		/* reserved header byte 0 */
	XS_RSVD_LAST,		/* reserved header byte 47 */
	XS_MXCSR_LOW,		/* lowest MXCSR bit outside MXCSR_MASK */
	XS_MXCSR_31,		/* MXCSR bit 31 */
	XS_BV_RESERVED,		/* XSTATE_BV bit 63 */
};

static const char *const xs_names[] = {
	[XS_NONE]		= "a valid buffer",
	[XS_BV_UNOFFERED]	= "XSTATE_BV with a feature KVM does not offer",
	[XS_BV_SUPERVISOR]	= "XSTATE_BV with supervisor bit 8 (PT)",
	[XS_XCOMP]		= "XCOMP_BV compacted (bit 63)",
	[XS_RSVD_FIRST]		= "header reserved byte 0 non-zero",
	[XS_RSVD_LAST]		= "header reserved byte 47 non-zero",
	[XS_MXCSR_LOW]		= "MXCSR bit outside MXCSR_MASK",
	[XS_MXCSR_31]		= "MXCSR bit 31",
	[XS_BV_RESERVED]	= "XSTATE_BV bit 63",
};
_Static_assert(ARRAY_SIZE(xs_names) == NR_XSAVE, "one name a case");

/* Put one defect into x->buf; false if it cannot be made here. */
static bool xs_mangle(struct xs *x, enum xs_defect d, uint64_t unoffered)
{
	uint64_t bv = gfpu_buf_u64(x->buf, XS_XSTATE_BV);
	uint8_t *b = x->buf;
	uint32_t mxcsr, mask;

	switch (d) {
	case XS_NONE:
		break;
	case XS_BV_UNOFFERED:
		if (!unoffered)
			return false;
		gfpu_buf_put_u64(b, XS_XSTATE_BV, bv | unoffered);
		break;
	case XS_BV_SUPERVISOR:
		gfpu_buf_put_u64(b, XS_XSTATE_BV, bv | XFEATURE_MASK_PT);
		break;
	case XS_XCOMP:
		gfpu_buf_put_u64(b, XS_XCOMP_BV, BIT_ULL(63) | bv);
		break;
	case XS_RSVD_FIRST:
		b[XS_HDR_RSVD] = 1;
		break;
	case XS_RSVD_LAST:
		b[XS_HDR_RSVD + XS_HDR_RSVD_LEN - 1] = 0x80;
		break;
	case XS_MXCSR_LOW:
	case XS_MXCSR_31:
		memcpy(&mxcsr, b + XS_MXCSR, 4);
		memcpy(&mask, b + XS_MXCSR_MASK, 4);
		if (!mask)
			mask = 0xffbf;	/* the architectural default */
		if (d == XS_MXCSR_LOW)
			mxcsr |= ~mask & -~mask;	/* its lowest clear bit */
		else
			mxcsr |= BIT(31);
		memcpy(b + XS_MXCSR, &mxcsr, 4);
		break;
	case XS_BV_RESERVED:
		gfpu_buf_put_u64(b, XS_XSTATE_BV, bv | BIT_ULL(63));
		break;
	}
	return true;
}

/*
 * At the guest's exit for case @d: offer the guest a new pattern with
 * defect @d. Returns a description of what went wrong, NULL if nothing.
 */
static const char *xs_case(struct xs *x, enum xs_defect d, uint64_t seed,
			   uint64_t unoffered, int *ret, int *err)
{
	struct gfpu_fpx set, got;

	xs_get(x, x->before);
	memcpy(x->buf, x->before, x->size);
	gfpu_fpx_fill(&set, GFPU_DOM_HOST_SET, seed);
	gfpu_fpx_to_xsave(x->buf, &set, x->ymmh_off, x->pkru_off);
	if (!xs_mangle(x, d, unoffered))
		return "skip";
	*ret = __vcpu_ioctl(x->vcpu, KVM_SET_XSAVE,
			    (struct kvm_xsave *)x->buf);
	*err = errno;
	xs_get(x, x->after);

	if (d == XS_NONE) {
		if (*ret)
			return "refused";
		gfpu_fpx_from_xsave(&got, x->after, x->ymmh_off, x->pkru_off);
		return gfpu_fpx_diff(&got, &set, fpx_what) ?
		       "KVM_GET_XSAVE2 does not show it" : NULL;
	}
	if (*ret != -1 || *err != EINVAL)
		return "not refused with EINVAL";
	if (memcmp(x->before, x->after, x->size))
		return "KVM_GET_XSAVE2 changed";
	return NULL;
}

/* The KVM_SET_XSAVE cases, one at each exit, and the guest's verdicts. */
struct xs_run {
	struct xs x;
	uint64_t unoffered;
	unsigned int i;
	const char *why[NR_XSAVE];
	int ret[NR_XSAVE], err[NR_XSAVE];
	uint64_t guest_bad[NR_XSAVE];
};

static bool xs_loop_exit(struct gfpu_loop *l)
{
	struct xs_run *r = l->data;
	unsigned int i = r->i;

	if (!gfpu_exit_io(l->vcpu, XSAVE_PORT))
		return false;
	TEST_ASSERT(i < NR_XSAVE, "exit %u", i);
	r->why[i] = xs_case(&r->x, i, i, r->unoffered, &r->ret[i], &r->err[i]);
	return true;
}

static void xs_loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct xs_run *r = l->data;

	TEST_ASSERT(uc->args[0] == r->i, "guest case %lu, host %u",
		    (unsigned long)uc->args[0], r->i);
	r->guest_bad[r->i++] = uc->args[1];
}

/* One TAP result a case, in order. */
static void xs_report(const struct xs_run *r)
{
	unsigned int i;

	for (i = 0; i < NR_XSAVE; i++) {
		const char *why = r->why[i];
		uint64_t bad = r->guest_bad[i];

		if (why && !strcmp(why, "skip")) {
			ksft_test_result_skip("KVM_SET_XSAVE %s: KVM has all (0x%lx)\n",
					      xs_names[i],
					      (unsigned long)kvm_xcr0);
			continue;
		}
		if (why || bad)
			ksft_print_msg("KVM_SET_XSAVE %s: %s, ret %d (%s), guest mask 0x%lx\n",
				       xs_names[i], why ? why : "ok", r->ret[i],
				       r->ret[i] ? strerror(r->err[i]) : "-",
				       (unsigned long)bad);
		if (i == XS_NONE)
			ksft_test_result(!why && !bad,
					 "KVM_SET_XSAVE %s: taken, KVM_GET_XSAVE2 and the guest see it\n",
					 xs_names[i]);
		else
			ksft_test_result(!why && !bad,
					 "KVM_SET_XSAVE %s: EINVAL, KVM_GET_XSAVE2 and guest registers unchanged\n",
					 xs_names[i]);
	}
}

static void test_xsave(void)
{
	struct xs_run r = { .unoffered = unoffered_feature() };
	struct gfpu_loop loop = {
		.exit = xs_loop_exit,
		.sync = xs_loop_sync,
		.data = &r,
	};
	struct kvm_vm *vm;

	loop.vcpu = new_vcpu(&vm, guest_xsave, test_xcr0);
	fpx_what = gfpu_fpx_what(test_xcr0);
	nr_cases = NR_XSAVE;
	control_case = XS_NONE;
	sync_global_to_guest(vm, fpx_what);
	sync_global_to_guest(vm, nr_cases);
	sync_global_to_guest(vm, control_case);
	xs_init(&r.x, vm, loop.vcpu, fpx_what);

	gfpu_run_loop(&loop);
	TEST_ASSERT(r.i == NR_XSAVE, "%u cases of %d", r.i, NR_XSAVE);
	xs_report(&r);
	xs_free(&r.x);
	kvm_vm_free(vm);
}

/*
 * A vCPU whose CPUID lacks a feature KVM offers (YMM, else PKRU): a
 * KVM_SET_XSAVE buffer with that feature's XSTATE_BV bit and state must
 * either be refused or change nothing the vCPU can see. 6.12 checks
 * XSTATE_BV against KVM's supported XCR0 only, and takes it.
 */
static void test_xsave_cpuid(void)
{
	struct kvm_cpuid_entry2 *e;
	struct gfpu_fpx set;
	struct kvm_vcpu *vcpu;
	const char *name, *why = NULL;
	uint64_t feat, xcr0, bv, guest_bad = ~0ull;
	int ret = 0, err = 0;
	struct kvm_vm *vm;
	struct ucall uc;
	struct xs x;

	if ((kvm_xcr0 & XFEATURE_MASK_YMM) && kvm_cpu_has(X86_FEATURE_AVX)) {
		feat = XFEATURE_MASK_YMM;
		name = "YMM";
	} else if ((kvm_xcr0 & XFEATURE_MASK_PKRU) &&
		   kvm_cpu_has(X86_FEATURE_PKU)) {
		feat = XFEATURE_MASK_PKRU;
		name = "PKRU";
	} else {
		ksft_test_result_skip("KVM_SET_XSAVE, feature not in CPUID: no YMM, PKRU (0x%lx)\n",
				      (unsigned long)kvm_xcr0);
		return;
	}

	vm = vm_create_with_one_vcpu(&vcpu, guest_xsave);
	vcpu_clear_cpuid_feature(vcpu, feat == XFEATURE_MASK_YMM ?
				 X86_FEATURE_AVX : X86_FEATURE_PKU);
	e = __vcpu_get_cpuid_entry(vcpu, 0xd, 0);
	e->eax &= ~(uint32_t)feat;
	vcpu_set_cpuid(vcpu);
	xcr0 = test_xcr0 & ~feat;
	gfpu_xstate_setup(vcpu, xcr0);

	fpx_what = gfpu_fpx_what(xcr0);
	nr_cases = 1;
	control_case = ~0u;
	sync_global_to_guest(vm, fpx_what);
	sync_global_to_guest(vm, nr_cases);
	sync_global_to_guest(vm, control_case);
	xs_init(&x, vm, vcpu, fpx_what);

	vcpu_run(vcpu);
	TEST_ASSERT(gfpu_exit_io(vcpu, XSAVE_PORT), "no exit at port 0x%x",
		    XSAVE_PORT);
	xs_get(&x, x.before);
	memcpy(x.buf, x.before, x.size);
	gfpu_fpx_fill(&set, GFPU_DOM_HOST_SET, 0);
	if (feat == XFEATURE_MASK_YMM)
		gfpu_fpx_to_xsave(x.after, &set, gfpu_xstate_offset(2), 0);
	else
		gfpu_fpx_to_xsave(x.after, &set, 0, gfpu_xstate_offset(9));
	/* Only that feature's state, taken from the scratch copy. */
	if (feat == XFEATURE_MASK_YMM)
		memcpy((uint8_t *)x.buf + gfpu_xstate_offset(2),
		       (uint8_t *)x.after + gfpu_xstate_offset(2), 256);
	else
		memcpy((uint8_t *)x.buf + gfpu_xstate_offset(9),
		       (uint8_t *)x.after + gfpu_xstate_offset(9), 4);
	bv = gfpu_buf_u64(x.buf, XS_XSTATE_BV) | feat;
	gfpu_buf_put_u64(x.buf, XS_XSTATE_BV, bv);
	ret = __vcpu_ioctl(vcpu, KVM_SET_XSAVE, (struct kvm_xsave *)x.buf);
	err = errno;
	xs_get(&x, x.after);
	if (ret && (ret != -1 || err != EINVAL))
		why = "failed, but not with EINVAL";
	else if (memcmp(x.before, x.after, x.size))
		why = "KVM_GET_XSAVE2 changed";

	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC, "no result");
	guest_bad = uc.args[1];
	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_DONE, "guest not done");
	if (!ret)
		ksft_print_msg("KVM_SET_XSAVE took XSTATE_BV 0x%lx, %s not in CPUID\n",
			       (unsigned long)bv, name);
	if (why || guest_bad)
		ksft_print_msg("KVM_SET_XSAVE with %s: %s, guest registers mask 0x%lx\n",
			       name, why ? why : "ok",
			       (unsigned long)guest_bad);
	ksft_test_result(!why && !guest_bad,
			 "KVM_SET_XSAVE with %s, which the vCPU's CPUID lacks: %s, KVM_GET_XSAVE2 and guest registers unchanged\n",
			 name, ret ? "EINVAL" : "taken (6.12 checks KVM's XCR0 only)");
	xs_free(&x);
	kvm_vm_free(vm);
}

/* --- XSETBV through KVM's emulator ------------------------------------ */

static void test_fep(void)
{
	uint64_t sse = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	uint64_t unoffered = unoffered_feature();
	struct {
		const char *name;
		struct fep_case c;
		bool valid;
		bool unoffered;	/* needs a feature KVM does not offer */
	} cases[NR_FEP] = {
		{ "FP|SSE", { 0, sse }, true },
		{ "FP", { 0, XFEATURE_MASK_FP }, true },
		{ "the test's full XCR0", { 0, test_xcr0 }, true },
		{ "FP clear", { 0, test_xcr0 & ~XFEATURE_MASK_FP } },
		{ "YMM without SSE", { 0, XFEATURE_MASK_FP | XFEATURE_MASK_YMM } },
		{ "reserved bit 63", { 0, test_xcr0 | BIT_ULL(63) } },
		{ "a feature KVM does not offer", { 0, test_xcr0 | unoffered },
		  false, true },
		{ "AVX-512 opmask alone", { 0, test_xcr0 | XFEATURE_MASK_OPMASK } },
		{ "XTILE_CFG without XTILE_DATA",
		  { 0, test_xcr0 | XFEATURE_MASK_XTILE_CFG } },
		{ "BNDREGS without BNDCSR", { 0, test_xcr0 | XFEATURE_MASK_BNDREGS } },
		{ "XCR index 1", { 1, test_xcr0 } },
	};
	uint64_t cur, vector, ec, before, after, xcr;
	unsigned int i, n = 0, map[NR_FEP];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	if (!is_forced_emulation_enabled) {
		for (i = 0; i < NR_FEP; i++)
			ksft_test_result_skip("emulated XSETBV %s: kvm.force_emulation_prefix=0\n",
					      cases[i].name);
		return;
	}

	for (i = 0; i < NR_FEP; i++) {
		if (cases[i].unoffered && !unoffered)
			continue;
		fep_cases[n] = cases[i].c;
		map[n++] = i;
	}
	vcpu = new_vcpu(&vm, guest_fep, test_xcr0);
	nr_cases = n;
	sync_global_to_guest(vm, nr_cases);
	sync_global_to_guest(vm, fep_cases);
	cur = test_xcr0;

	for (i = 0; i < NR_FEP; i++) {
		const char *name = cases[i].name;
		uint64_t value = cases[i].c.value;
		unsigned int k;

		for (k = 0; k < n && map[k] != i; k++)
			;
		if (k == n) {
			ksft_test_result_skip("emulated XSETBV %s: KVM has all (0x%lx)\n",
					      name, (unsigned long)kvm_xcr0);
			continue;
		}
		TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC &&
			    uc.args[0] == k, "guest not at case %u", k);
		vector = uc.args[1];
		ec = uc.args[2];
		before = uc.args[3];
		after = uc.args[4];
		xcr = gfpu_xcr0_get(vcpu);
		if (cases[i].valid) {
			ksft_test_result(!vector && before == cur &&
					 after == value && xcr == value,
					 "emulated XSETBV XCR0 0x%lx (%s): no fault (vector %lu), XGETBV 0x%lx (was 0x%lx, expected 0x%lx), KVM_GET_XCRS 0x%lx\n",
					 (unsigned long)value, name,
					 (unsigned long)vector,
					 (unsigned long)after,
					 (unsigned long)before,
					 (unsigned long)cur,
					 (unsigned long)xcr);
			cur = value;
		} else {
			ksft_test_result(vector == GP_VECTOR && !ec &&
					 before == cur && after == cur &&
					 xcr == cur,
					 "emulated XSETBV XCR%u 0x%lx (%s): #GP(0) (vector %lu, error code %lu), XCR0 0x%lx unchanged (XGETBV 0x%lx, 0x%lx; KVM_GET_XCRS 0x%lx)\n",
					 cases[i].c.index, (unsigned long)value,
					 name, (unsigned long)vector,
					 (unsigned long)ec, (unsigned long)cur,
					 (unsigned long)before,
					 (unsigned long)after,
					 (unsigned long)xcr);
		}
	}
	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_DONE, "guest not done");
	kvm_vm_free(vm);
}

/* --- Plain XSETBV ----------------------------------------------------- */

static void test_plain(void)
{
	long e0 = -1, e1 = -1;
	uint64_t cur = 0, seen_low = 0, seen_after = 0, xcr_low = 0;
	struct kvm_vcpu *vcpu;
	char why[256];
	struct kvm_vm *vm;
	struct ucall uc;

	plain_low = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	if (test_xcr0 == plain_low)
		plain_low = XFEATURE_MASK_FP;
	vcpu = new_vcpu(&vm, guest_plain, test_xcr0);
	sync_global_to_guest(vm, plain_low);

	while (gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC) {
		switch (uc.args[0]) {
		case PL_START:
			cur = uc.args[1];
			/* The only live vCPU: the first row. */
			e0 = gfpu_stat(vcpu, "guest_enter");
			break;
		case PL_LOOP_DONE:
			e1 = gfpu_stat(vcpu, "guest_enter");
			break;
		case PL_LOW:
			seen_low = uc.args[1];
			xcr_low = gfpu_xcr0_get(vcpu);
			break;
		case PL_AFTER_EXIT:
			seen_after = uc.args[1];
			break;
		}
	}
	kvm_vm_free(vm);

	ksft_print_msg("plain XSETBV 0x%lx, XCR0 was 0x%lx: XGETBV 0x%lx right after it\n",
		       (unsigned long)plain_low, (unsigned long)cur,
		       (unsigned long)seen_low);
	ksft_print_msg("plain XSETBV: XGETBV 0x%lx after the next exit, KVM_GET_XCRS 0x%lx\n",
		       (unsigned long)seen_after, (unsigned long)xcr_low);
	if (e0 < 0 || e1 < 0) {
		snprintf(why, sizeof(why),
			 "%s (baseline kernel?): whether it exits to KVM is not known",
			 GFPU_NO_STATS);
		ksft_test_result_skip("plain guest XSETBV: %s\n", why);
	} else if (e1 - e0 < PLAIN_N) {
		snprintf(why, sizeof(why),
			 "did not exit to KVM (guest_enter +%ld for %d XSETBVs), as under QEMU TCG, whose nested SVM runs it itself",
			 e1 - e0, PLAIN_N);
		ksft_test_result_skip("plain guest XSETBV: %s\n", why);
	} else {
		ksft_test_result(xcr_low == plain_low && seen_low == plain_low &&
				 seen_after == plain_low,
				 "plain guest XSETBV 0x%lx exits to KVM (guest_enter +%ld for %d): KVM_GET_XCRS 0x%lx, XGETBV 0x%lx, after the next exit 0x%lx\n",
				 (unsigned long)plain_low, e1 - e0, PLAIN_N,
				 (unsigned long)xcr_low, (unsigned long)seen_low,
				 (unsigned long)seen_after);
	}
}

int main(int argc, char *argv[])
{
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_XCRS));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_XSAVE));

	ksft_print_header();
	ksft_set_plan(NR_CHECKS);

	test_xcr0 = gfpu_test_xcr0();
	kvm_xcr0 = kvm_cpu_supported_xcr0();
	ksft_print_msg("KVM's XCR0 0x%lx, the test's 0x%lx, KVM_GET_XSAVE2 %d bytes\n",
		       (unsigned long)kvm_xcr0, (unsigned long)test_xcr0,
		       kvm_check_cap(KVM_CAP_XSAVE2));
	ksft_print_msg("forced emulation (kvm.force_emulation_prefix) %s\n",
		       is_forced_emulation_enabled ? "on" : "off");

	test_xcrs();
	test_xsave();
	test_xsave_cpuid();
	test_fep();
	test_plain();
	ksft_finished();
}
