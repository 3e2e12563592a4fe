/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XSAVE state for the gfpu x86 selftests: the standard (non-compacted)
 * XSAVE layout as KVM_GET_XSAVE{,2} and KVM_SET_XSAVE use it, the ymm0-15
 * and x87 register files as inline asm loads, stores and clobbers them,
 * and host helpers that give a vCPU CR4.OSXSAVE and an XCR0 from the host
 * (a guest's own XSETBV is run by TCG's nested SVM without exiting to KVM,
 * see kernel/README.md, so the tests never rely on it to set XCR0).
 *
 * Include after kvm_util.h and processor.h.
 */
#ifndef SELFTEST_KVM_GFPU_XSTATE_X86_H
#define SELFTEST_KVM_GFPU_XSTATE_X86_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gfpu_test.h"
#include "gfpu_regs_x86.h"

/* Not in 6.12's selftest processor.h. */
#ifndef X86_FEATURE_AVX
#define X86_FEATURE_AVX		KVM_X86_CPU_FEATURE(0x1, 0, ECX, 28)
#endif

/* The legacy (FXSAVE) region and the XSAVE header, standard format. */
#define XS_FCW			0
#define XS_FSW			2
#define XS_FTW			4	/* abridged: one bit a register */
#define XS_MXCSR		24
#define XS_MXCSR_MASK		28
#define XS_ST(i)		(32 + 16 * (i))	/* ST(i), 10 of 16 bytes */
#define XS_XMM(i)		(160 + 16 * (i))
#define XS_XSTATE_BV		512
#define XS_XCOMP_BV		520
#define XS_HDR_RSVD		528	/* 48 bytes that must be zero */
#define XS_HDR_RSVD_LEN		48
#define XS_ST_BYTES		10

#define NR_YMM			16
#define YMM_WORDS		(NR_YMM * 4)

/*
 * @in and @out point at arrays of 64-bit words; ymm n is words 4n..4n+3,
 * xmm n (its low half) words 4n and 4n+1. FPX_VEC is the byte offset of
 * that array in struct gfpu_fpx below.
 */
#define YMM_LOAD(n)	"vmovdqu %c[vec]+" #n "*32(%[in]), %%ymm" #n "\n\t"
#define YMM_STORE(n)	"vmovdqu %%ymm" #n ", %c[vec]+" #n "*32(%[out])\n\t"
#define XMM_LOAD32(n)	"movdqu %c[vec]+" #n "*32(%[in]), %%xmm" #n "\n\t"
#define XMM_STORE32(n)	"movdqu %%xmm" #n ", %c[vec]+" #n "*32(%[out])\n\t"
#define YMM_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
			op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)

/*
 * x87: st[i] of struct gfpu_fpx ends up in ST(i), as 64-bit integers, which
 * FILD converts to the 80-bit format and FISTP back without rounding.
 */
#define X87_LOAD_ALL	"fninit\n\t"					\
			"fildq 56(%[in])\n\t"				\
			"fildq 48(%[in])\n\t"				\
			"fildq 40(%[in])\n\t"				\
			"fildq 32(%[in])\n\t"				\
			"fildq 24(%[in])\n\t"				\
			"fildq 16(%[in])\n\t"				\
			"fildq 8(%[in])\n\t"				\
			"fildq 0(%[in])\n\t"
#define X87_STORE_ALL	"fistpq 0(%[out])\n\t"				\
			"fistpq 8(%[out])\n\t"				\
			"fistpq 16(%[out])\n\t"				\
			"fistpq 24(%[out])\n\t"				\
			"fistpq 32(%[out])\n\t"				\
			"fistpq 40(%[out])\n\t"				\
			"fistpq 48(%[out])\n\t"				\
			"fistpq 56(%[out])\n\t"
#define X87_CLOBBERS	"st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", \
			"st(6)", "st(7)"

/* WRPKRU/RDPKRU (ECX = EDX = 0), for assemblers that lack them. */
#define ASM_WRPKRU	".byte 0x0f, 0x01, 0xef\n\t"
#define ASM_RDPKRU	".byte 0x0f, 0x01, 0xee\n\t"

/*
 * Everything a test holds in the registers: the x87 stack as integers
 * (must stay first: the asm above uses offsets 0-56), ymm0-15, PKRU.
 */
struct gfpu_fpx {
	int64_t st[8];
	uint64_t vec[YMM_WORDS];
	uint64_t pkru;
};

#define FPX_VEC		64
#define FPX_PKRU	(FPX_VEC + 8 * YMM_WORDS)
_Static_assert(offsetof(struct gfpu_fpx, vec) == FPX_VEC, "FPX_VEC");
_Static_assert(offsetof(struct gfpu_fpx, pkru) == FPX_PKRU, "FPX_PKRU");

/* Which parts of a struct gfpu_fpx differ: a bit each. */
#define FPX_BAD_ST(i)	BIT_ULL(i)		/* ST(i) */
#define FPX_BAD_XMM(n)	BIT_ULL(8 + (n))	/* low 128 bits of ymm n */
#define FPX_BAD_YMMH(n)	BIT_ULL(24 + (n))	/* high 128 bits of ymm n */
#define FPX_BAD_PKRU	BIT_ULL(40)
#define FPX_ST_MASK	0xffull
#define FPX_XMM_MASK	(0xffffull << 8)
#define FPX_YMMH_MASK	(0xffffull << 24)

/* What a struct gfpu_fpx pattern covers. */
#define FPX_X87		BIT(0)
#define FPX_YMM		BIT(1)	/* else xmm only */
#define FPX_PKRU_ON	BIT(2)

static inline void gfpu_fpx_fill(struct gfpu_fpx *s, uint64_t dom,
				 uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		s->st[i] = (int64_t)gfpu_pattern_word(dom, seed, i);
	for (i = 0; i < YMM_WORDS; i++)
		s->vec[i] = gfpu_pattern_word(dom, seed, 8 + i);
	/* Any value: the guest's pages are supervisor pages, keys ignored. */
	s->pkru = (uint32_t)gfpu_pattern_word(dom, seed, 8 + YMM_WORDS);
}

/* Bits FPX_BAD_* where @s differs from @want in the parts @what covers. */
static inline uint64_t gfpu_fpx_diff(const struct gfpu_fpx *s,
				     const struct gfpu_fpx *want,
				     unsigned int what)
{
	uint64_t bad = 0;
	unsigned int i;

	if (what & FPX_X87)
		for (i = 0; i < 8; i++)
			if (s->st[i] != want->st[i])
				bad |= FPX_BAD_ST(i);
	for (i = 0; i < NR_YMM; i++) {
		if (s->vec[4 * i] != want->vec[4 * i] ||
		    s->vec[4 * i + 1] != want->vec[4 * i + 1])
			bad |= FPX_BAD_XMM(i);
		if ((what & FPX_YMM) &&
		    (s->vec[4 * i + 2] != want->vec[4 * i + 2] ||
		     s->vec[4 * i + 3] != want->vec[4 * i + 3]))
			bad |= FPX_BAD_YMMH(i);
	}
	if ((what & FPX_PKRU_ON) && (uint32_t)s->pkru != (uint32_t)want->pkru)
		bad |= FPX_BAD_PKRU;
	return bad;
}

/* === Guest =============================================================== */

/* WRPKRU, then @count times: spin @spin, OUT to @port; then RDPKRU. */
#define GFPU_HOLD_EXITS							\
	"test %[pk], %[pk]\n\t"					\
	"jz 1f\n\t"							\
	"mov %c[pkru](%[in]), %%eax\n\t"				\
	"xor %%ecx, %%ecx\n\t"					\
	"xor %%edx, %%edx\n\t"					\
	ASM_WRPKRU							\
	"1: mov %k[count], %%ecx\n\t"					\
	"2: mov %[spin], %%r11\n\t"					\
	"test %%r11, %%r11\n\t"					\
	"jz 4f\n\t"							\
	"3: dec %%r11\n\t"						\
	"jnz 3b\n\t"							\
	"4: mov %k[port], %%edx\n\t"					\
	"xor %%eax, %%eax\n\t"					\
	"outb %%al, %%dx\n\t"						\
	"dec %%ecx\n\t"						\
	"jnz 2b\n\t"							\
	"test %[pk], %[pk]\n\t"					\
	"jz 5f\n\t"							\
	"xor %%ecx, %%ecx\n\t"					\
	"xor %%edx, %%edx\n\t"					\
	ASM_RDPKRU							\
	"mov %%eax, %c[pkru](%[out])\n\t"				\
	"5:\n\t"

#define GFPU_HOLD_OPERANDS						\
	: [in] "r" (in), [out] "r" (out), [pk] "r" (pk),		\
	  [count] "r" (count), [port] "r" (port), [spin] "r" (spin),	\
	  [vec] "i" (FPX_VEC), [pkru] "i" (FPX_PKRU)			\
	: "rax", "rcx", "rdx", "r11", "memory", XMM_CLOBBERS, X87_CLOBBERS

/*
 * gfpu_guest_hold() - load @in into the registers @what covers (x87 and
 * xmm always, ymm and PKRU on request), exit @count times through an OUT
 * to @port, spinning @spin iterations before each, and store the
 * registers to @out, all in one asm block: nothing but the hypervisor can
 * touch the registers in between.
 */
static inline void gfpu_guest_hold(const struct gfpu_fpx *in,
				   struct gfpu_fpx *out, uint32_t count,
				   uint16_t port, uint64_t spin,
				   unsigned int what)
{
	uint64_t pk = what & FPX_PKRU_ON;

	if (what & FPX_YMM)
		asm volatile(X87_LOAD_ALL
			     YMM_ALL(YMM_LOAD)
			     GFPU_HOLD_EXITS
			     YMM_ALL(YMM_STORE)
			     X87_STORE_ALL
			     : GFPU_HOLD_OPERANDS);
	else
		asm volatile(X87_LOAD_ALL
			     YMM_ALL(XMM_LOAD32)
			     GFPU_HOLD_EXITS
			     YMM_ALL(XMM_STORE32)
			     X87_STORE_ALL
			     : GFPU_HOLD_OPERANDS);
}

/* === Host only ========================================================= */

/* The FPX_* registers a guest with @xcr0 holds: x87, and ymm and PKRU. */
static inline unsigned int gfpu_fpx_what(uint64_t xcr0)
{
	unsigned int what = FPX_X87;

	if (xcr0 & XFEATURE_MASK_YMM)
		what |= FPX_YMM;
	if (xcr0 & XFEATURE_MASK_PKRU)
		what |= FPX_PKRU_ON;
	return what;
}

/* The offset of XSAVE component @nr in the standard format (CPUID 0xD). */
static inline uint32_t gfpu_xstate_offset(int nr)
{
	return get_cpuid_entry(kvm_get_supported_cpuid(), 0xd, nr)->ebx;
}

/*
 * Bytes KVM_GET_XSAVE2 writes (at least sizeof(struct kvm_xsave)), or 0
 * when there is no KVM_GET_XSAVE2.
 */
static inline int gfpu_xsave2_size(struct kvm_vm *vm)
{
	int size = vm_check_cap(vm, KVM_CAP_XSAVE2);

	return size > 0 && size < (int)sizeof(struct kvm_xsave) ?
	       (int)sizeof(struct kvm_xsave) : size;
}

static inline uint64_t gfpu_xcr0_get(struct kvm_vcpu *vcpu)
{
	struct kvm_xcrs xcrs = {};

	vcpu_xcrs_get(vcpu, &xcrs);
	TEST_ASSERT(xcrs.nr_xcrs >= 1 && xcrs.xcrs[0].xcr == 0,
		    "KVM_GET_XCRS: %u XCRs, first XCR%u", xcrs.nr_xcrs,
		    xcrs.xcrs[0].xcr);
	return xcrs.xcrs[0].value;
}

static inline int gfpu_xcr0_try_set(struct kvm_vcpu *vcpu, uint64_t xcr0)
{
	struct kvm_xcrs xcrs = {
		.nr_xcrs = 1,
		.xcrs[0] = { .xcr = 0, .value = xcr0 },
	};

	return __vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
}

static inline void gfpu_xcr0_set(struct kvm_vcpu *vcpu, uint64_t xcr0)
{
	int r = gfpu_xcr0_try_set(vcpu, xcr0);

	TEST_ASSERT(!r, "KVM_SET_XCRS(XCR0 = 0x%lx): %s", (unsigned long)xcr0,
		    strerror(errno));
}

/*
 * The XCR0 the tests give their guests: FP, SSE, and YMM and PKRU where
 * KVM offers them (AVX and PKU in its CPUID, the bits in its XCR0).
 */
static inline uint64_t gfpu_test_xcr0(void)
{
	uint64_t supported = kvm_cpu_supported_xcr0();
	uint64_t xcr0 = XFEATURE_MASK_FP | XFEATURE_MASK_SSE;

	if (kvm_cpu_has(X86_FEATURE_AVX) && (supported & XFEATURE_MASK_YMM))
		xcr0 |= XFEATURE_MASK_YMM;
	if (kvm_cpu_has(X86_FEATURE_PKU) && (supported & XFEATURE_MASK_PKRU))
		xcr0 |= XFEATURE_MASK_PKRU;
	return xcr0;
}

/*
 * gfpu_xstate_setup() - CR4.OSXSAVE (and CR4.PKE when @xcr0 has PKRU) by
 * KVM_SET_SREGS, then XCR0 = @xcr0 by KVM_SET_XCRS, before the first run.
 */
static inline void gfpu_xstate_setup(struct kvm_vcpu *vcpu, uint64_t xcr0)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	if (xcr0 & XFEATURE_MASK_PKRU)
		sregs.cr4 |= X86_CR4_PKE;
	vcpu_sregs_set(vcpu, &sregs);
	gfpu_xcr0_set(vcpu, xcr0);
}

static inline uint64_t gfpu_buf_u64(const void *buf, unsigned int off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)buf + off, sizeof(v));
	return v;
}

static inline void gfpu_buf_put_u64(void *buf, unsigned int off, uint64_t v)
{
	memcpy((uint8_t *)buf + off, &v, sizeof(v));
}

/*
 * gfpu_fpx_from_xsave() - what an XSAVE buffer holds, as a struct
 * gfpu_fpx: ST(i) back to an integer (0x8000000000000000 where it is not
 * one exactly), xmm and ymm from their two places, PKRU at @pkru_off (0:
 * none).
 */
static inline void gfpu_fpx_from_xsave(struct gfpu_fpx *s, const void *buf,
				       uint32_t ymmh_off, uint32_t pkru_off)
{
	long double ld;
	const uint8_t *b = buf;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 8; i++) {
		memset(&ld, 0, sizeof(ld));
		memcpy(&ld, b + XS_ST(i), XS_ST_BYTES);
		s->st[i] = (ld >= -0x1p63L && ld < 0x1p63L &&
			    ld == (long double)(int64_t)ld) ?
			   (int64_t)ld : INT64_MIN;
	}
	for (i = 0; i < NR_YMM; i++) {
		memcpy(&s->vec[4 * i], b + XS_XMM(i), 16);
		if (ymmh_off)
			memcpy(&s->vec[4 * i + 2], b + ymmh_off + 16 * i, 16);
	}
	if (pkru_off)
		memcpy(&s->pkru, b + pkru_off, 4);
}

/* The reverse: write @s into an XSAVE buffer, XSTATE_BV bits to match. */
static inline void gfpu_fpx_to_xsave(void *buf, const struct gfpu_fpx *s,
				     uint32_t ymmh_off, uint32_t pkru_off)
{
	long double ld;
	uint64_t bv = gfpu_buf_u64(buf, XS_XSTATE_BV);
	uint8_t *b = buf;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		ld = (long double)s->st[i];
		memset(b + XS_ST(i), 0, 16);
		memcpy(b + XS_ST(i), &ld, XS_ST_BYTES);
	}
	for (i = 0; i < NR_YMM; i++) {
		memcpy(b + XS_XMM(i), &s->vec[4 * i], 16);
		if (ymmh_off)
			memcpy(b + ymmh_off + 16 * i, &s->vec[4 * i + 2], 16);
	}
	bv |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	if (ymmh_off)
		bv |= XFEATURE_MASK_YMM;
	if (pkru_off) {
		memcpy(b + pkru_off, &s->pkru, 4);
		bv |= XFEATURE_MASK_PKRU;
	}
	gfpu_buf_put_u64(buf, XS_XSTATE_BV, bv);
}

#endif /* SELFTEST_KVM_GFPU_XSTATE_X86_H */
