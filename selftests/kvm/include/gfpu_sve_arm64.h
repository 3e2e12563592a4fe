/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVE register file (Z0-Z31, P0-P15, FFR) as the gfpu selftests load,
 * store and check it, in the guest and in the host, at any vector length.
 *
 * In memory a register set is a struct gfpu_sve_regs: Z register n at
 * z + n * VL, P register n at p + n * VL / 8, FFR at ffr, each in the
 * layout STR Z / STR P write (and KVM's ONE_REG interface uses), so that
 * "ldr zN, [base, #N, mul vl]" loads it whatever the vector length.
 *
 * The expected contents are a function of (domain, seed) as in
 * gfpu_test.h, defined per byte independently of the vector length, and
 * FFR is always a monotonic predicate (WRFFR needs one). In the "V only"
 * state the V registers were written after the Z registers, by FP/SIMD
 * instructions, which zero Z bits [VL-1:128]: Z holds the V pattern below
 * bit 128 and zeros above, P and FFR keep the SVE pattern.
 *
 * Everything here but the host-only declarations at the end is static
 * inline and libc-free: it runs in the guest.
 */
#ifndef SELFTEST_KVM_GFPU_SVE_ARM64_H
#define SELFTEST_KVM_GFPU_SVE_ARM64_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bits.h>
#include <linux/compiler.h>

#include "processor.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"

#define SVE_VL_MAX_BYTES	256	/* 2048 bits, the architectural maximum */
#define NR_ZREGS		32
#define NR_PREGS		16
/* Pattern word indices: Z, then P, then the FFR length. */
#define SVE_Z_WORDS		(SVE_VL_MAX_BYTES / 8)
#define SVE_P_WORD0		(NR_ZREGS * SVE_Z_WORDS)
#define SVE_P_WORDS		(SVE_VL_MAX_BYTES / 64)
#define SVE_FFR_WORD		(SVE_P_WORD0 + NR_PREGS * SVE_P_WORDS)

/* Bits of a difference mask: Z0-Z31, P0-P15, FFR. */
#define SVE_DIFF_P(n)		BIT_ULL(32 + (n))
#define SVE_DIFF_FFR		BIT_ULL(48)

struct gfpu_sve_regs {
	uint8_t z[NR_ZREGS * SVE_VL_MAX_BYTES];
	uint8_t p[NR_PREGS * SVE_VL_MAX_BYTES / 8];
	uint8_t ffr[SVE_VL_MAX_BYTES / 8];
} __aligned(16);

/* What a register set should hold. */
struct gfpu_sve_expect {
	uint64_t dom, seed;	/* the SVE pattern */
	bool vonly;		/* V registers overwritten with ... */
	uint64_t vdom, vseed;	/* ... this V pattern (V_WORDS layout) */
};

static inline uint8_t gfpu_pattern_byte(uint64_t dom, uint64_t seed,
					unsigned int word, unsigned int byte)
{
	return gfpu_pattern_word(dom, seed, word) >> (8 * byte);
}

static inline uint8_t gfpu_sve_pbyte(const struct gfpu_sve_expect *e,
				     unsigned int n, unsigned int k)
{
	return gfpu_pattern_byte(e->dom, e->seed,
				 SVE_P_WORD0 + n * SVE_P_WORDS + k / 8, k % 8);
}

/* FFR: its first (pattern mod (PL bits + 1)) bits set, no others. */
static inline uint8_t gfpu_sve_ffrbyte(const struct gfpu_sve_expect *e,
				       unsigned int vl, unsigned int k)
{
	unsigned int ones = gfpu_pattern_word(e->dom, e->seed, SVE_FFR_WORD) %
			    (vl + 1);

	if (ones >= 8 * (k + 1))
		return 0xff;
	if (ones <= 8 * k)
		return 0;
	return (1u << (ones - 8 * k)) - 1;
}

/* Write what @e describes at vector length @vl (bytes) into @r. */
static inline void gfpu_sve_fill(struct gfpu_sve_regs *r, unsigned int vl,
				 const struct gfpu_sve_expect *e)
{
	unsigned int n, k;
	uint64_t *z;

	for (n = 0; n < NR_ZREGS; n++) {
		z = (uint64_t *)&r->z[n * vl];
		for (k = 0; k < vl / 8; k++) {
			if (!e->vonly)
				z[k] = gfpu_pattern_word(e->dom, e->seed,
							 n * SVE_Z_WORDS + k);
			else if (k < 2)
				z[k] = gfpu_pattern_word(e->vdom, e->vseed,
							 2 * n + k);
			else
				z[k] = 0;
		}
	}
	for (n = 0; n < NR_PREGS; n++)
		for (k = 0; k < vl / 8; k++)
			r->p[n * vl / 8 + k] = gfpu_sve_pbyte(e, n, k);
	for (k = 0; k < vl / 8; k++)
		r->ffr[k] = gfpu_sve_ffrbyte(e, vl, k);
}

/* Compare two stored register sets: a mask of SVE_DIFF bits. */
static inline uint64_t gfpu_sve_cmp(const struct gfpu_sve_regs *a,
				    const struct gfpu_sve_regs *b,
				    unsigned int vl)
{
	uint64_t bad = 0;
	unsigned int n, k;

	for (n = 0; n < NR_ZREGS; n++)
		for (k = 0; k < vl; k++)
			if (a->z[n * vl + k] != b->z[n * vl + k]) {
				bad |= BIT_ULL(n);
				break;
			}
	for (n = 0; n < NR_PREGS; n++)
		for (k = 0; k < vl / 8; k++)
			if (a->p[n * vl / 8 + k] != b->p[n * vl / 8 + k]) {
				bad |= SVE_DIFF_P(n);
				break;
			}
	for (k = 0; k < vl / 8; k++)
		if (a->ffr[k] != b->ffr[k])
			bad |= SVE_DIFF_FFR;
	return bad;
}

/*
 * Load and store a whole register set: %[zin]/%[zout] point at the Z
 * area, %[pin]/%[pout] at the P area, %[fin]/%[fout] at FFR. FFR goes
 * through P0, so it is loaded first and stored last.
 */
#define SVE_Z_LOAD(n)	"ldr z" #n ", [%[zin], #" #n ", mul vl]\n\t"
#define SVE_Z_STORE(n)	"str z" #n ", [%[zout], #" #n ", mul vl]\n\t"
#define SVE_P_LOAD(n)	"ldr p" #n ", [%[pin], #" #n ", mul vl]\n\t"
#define SVE_P_STORE(n)	"str p" #n ", [%[pout], #" #n ", mul vl]\n\t"
#define SVE_Z_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)	\
			op(8) op(9) op(10) op(11) op(12) op(13) op(14)	\
			op(15) op(16) op(17) op(18) op(19) op(20) op(21) \
			op(22) op(23) op(24) op(25) op(26) op(27) op(28) \
			op(29) op(30) op(31)
#define SVE_P_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)	\
			op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define SVE_LOAD	".arch_extension sve\n\t"			\
			"ldr p0, [%[fin]]\n\t"				\
			"wrffr p0.b\n\t"				\
			SVE_Z_ALL(SVE_Z_LOAD) SVE_P_ALL(SVE_P_LOAD)
#define SVE_STORE	".arch_extension sve\n\t"			\
			SVE_Z_ALL(SVE_Z_STORE) SVE_P_ALL(SVE_P_STORE)	\
			"rdffr p0.b\n\t"				\
			"str p0, [%[fout]]\n\t"
#define SVE_CLOBBERS	V_CLOBBERS, "p0", "p1", "p2", "p3", "p4", "p5",	\
			"p6", "p7", "p8", "p9", "p10", "p11", "p12",	\
			"p13", "p14", "p15", "ffr"

/* The current vector length in bytes. */
static inline unsigned int gfpu_sve_rdvl(void)
{
	uint64_t vl;

	asm volatile(".arch_extension sve\n\t"
		     "rdvl %0, #1" : "=r" (vl));
	return vl;
}

/*
 * gfpu_guest_fp_enable() - in the guest: FP/SIMD at EL1 and EL0 (the
 * library enables it already; a guest must not rely on that) and, for
 * @vl non-zero, SVE at that vector length in bytes.
 */
static inline void gfpu_guest_fp_enable(uint64_t vl)
{
	write_sysreg(read_sysreg(cpacr_el1) | CPACR_FPEN |
		     (vl ? CPACR_EL1_ZEN_EL1EN | CPACR_EL1_ZEN_EL0EN : 0),
		     cpacr_el1);
	isb();
	if (vl) {
		write_sysreg_s(vl / 16 - 1, SYS_ZCR_EL1);
		isb();
	}
}

/* === Host only, lib/arm64/gfpu_regs.c ==================================== */

struct kvm_vm;
struct kvm_vcpu;

struct kvm_vcpu *gfpu_vcpu_add(struct kvm_vm *vm, void *guest_code, bool sve);
int gfpu_sve_finalize(struct kvm_vcpu *vcpu);
unsigned int gfpu_sve_vls_max(const uint64_t *vls);
unsigned int gfpu_sve_max_vl(struct kvm_vcpu *vcpu);
struct kvm_vcpu *gfpu_sve_vcpu_add(struct kvm_vm *vm, void *guest_code,
				   unsigned int *vl);
void gfpu_vregs_get(struct kvm_vcpu *vcpu, uint64_t *words);
void gfpu_vregs_set(struct kvm_vcpu *vcpu, const uint64_t *words);
uint64_t gfpu_sve_get(struct kvm_vcpu *vcpu, struct gfpu_sve_regs *r,
		      unsigned int vl);
void gfpu_sve_set(struct kvm_vcpu *vcpu, const struct gfpu_sve_regs *r,
		  unsigned int vl);
void gfpu_sigill_skips_udf(void);

#endif /* SELFTEST_KVM_GFPU_SVE_ARM64_H */
