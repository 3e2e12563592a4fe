/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The F/D register file f0-f31 (64 bits each) and the vector register file
 * v0-v31 as the gfpu selftests load, store and clobber them from inline
 * asm: @in and @out name arrays of 64-bit words. The lib's
 * gfpu_run_holding() and preemption contenders hold f0-f31 across system
 * calls; v0-v31 cannot be held there (6.12 discards them at every ecall,
 * as the psABI allows), only across a spin.
 */
#ifndef SELFTEST_KVM_GFPU_REGS_RISCV_H
#define SELFTEST_KVM_GFPU_REGS_RISCV_H

#include <stdint.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

#include "gfpu_test.h"

#define SSTATUS_FS_INITIAL	(1ul << 13)
#define SSTATUS_VS_INITIAL	(1ul << 9)

#define NR_FREGS	32
#define F_WORDS		NR_FREGS
#define F_LOAD(n)	"fld f" #n ", " #n "*8(%[in])\n\t"
#define F_STORE(n)	"fsd f" #n ", " #n "*8(%[out])\n\t"
#define F_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)	\
			op(8) op(9) op(10) op(11) op(12) op(13) op(14)	\
			op(15) op(16) op(17) op(18) op(19) op(20) op(21) \
			op(22) op(23) op(24) op(25) op(26) op(27) op(28) \
			op(29) op(30) op(31)
#define F_CLOBBERS	"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7",	\
			"f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", \
			"f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", \
			"f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31"

/*
 * The register file gfpu_syscall_holding() holds: f0-f31, counted as the
 * pattern helpers count, in pairs of 64-bit words.
 */
#define GFPU_HOLD_REGS	(NR_FREGS / 2)
#define GFPU_HOLD_WORDS	F_WORDS

/*
 * gfpu_syscall_holding() - system call @nr (@a0, @a1, @a2) with f0-f31
 * loaded from @in before it and stored to @out after it, in one asm
 * block: what the kernel gives back is what the task gets.
 *
 * Return: the system call's result.
 */
static inline long gfpu_syscall_holding(long nr, long a0, long a1, long a2,
					const uint64_t *in, uint64_t *out)
{
	register long r0 asm("a0") = a0;
	register long r1 asm("a1") = a1;
	register long r2 asm("a2") = a2;
	register long r7 asm("a7") = nr;

	asm volatile(F_ALL(F_LOAD)
		     "ecall\n\t"
		     F_ALL(F_STORE)
		     : "+r" (r0)
		     : "r" (r1), "r" (r2), "r" (r7),
		       [in] "r" (in), [out] "r" (out)
		     : "memory", F_CLOBBERS);
	return r0;
}

/*
 * v0-v31 at vl = VLMAX for SEW 64 and LMUL 8 (every byte of every
 * register), in four groups of eight registers, from %[vin] to %[vout]
 * (both advanced by %[grp], eight registers' bytes, per group). V_BEGIN
 * sets vtype, into %[vl]; V_END closes what V_BEGIN opened.
 */
#define MAX_VLENB	32	/* the largest VLEN the tests hold: 256 */
#define NR_VREGS	32
#define MAX_V_WORDS	(NR_VREGS * MAX_VLENB / 8)
#define V_BEGIN		".option push\n\t.option arch, +v\n\t"		\
			"vsetvli %[vl], zero, e64, m8, ta, ma\n\t"
#define V_END		".option pop\n\t"
#define V_GROUPS(op)	op(0) op(8) op(16) op(24)
#define V_LOAD(n)	"vle64.v v" #n ", (%[vin])\n\t"			\
			"add %[vin], %[vin], %[grp]\n\t"
#define V_STORE(n)	"vse64.v v" #n ", (%[vout])\n\t"			\
			"add %[vout], %[vout], %[grp]\n\t"

/* 64-bit words of v0-v31 at @vlenb bytes per register. */
static inline uint64_t gfpu_v_words(uint64_t vlenb)
{
	return NR_VREGS * vlenb / 8;
}

/* The guest's (or host's) vlenb CSR; V must be on. */
static inline uint64_t gfpu_read_vlenb(void)
{
	uint64_t vb;

	asm volatile(".option push\n\t.option arch, +v\n\t"
		     "csrr %0, vlenb\n\t.option pop" : "=r" (vb));
	return vb;
}

/*
 * gfpu_v_diff() - bit n set: v@n (@vlenb bytes) in @buf differs from the
 * pattern (@dom, @seed) (pattern words counted from @first on).
 */
static inline uint64_t gfpu_v_diff(const uint64_t *buf, uint64_t vlenb,
				   uint64_t dom, uint64_t seed,
				   unsigned int first)
{
	unsigned int i, per = vlenb / 8;
	uint64_t bad = 0;

	for (i = 0; i < gfpu_v_words(vlenb); i++)
		if (buf[i] != gfpu_pattern_word(dom, seed, first + i))
			bad |= 1ull << (i / per);
	return bad;
}

/*
 * An F/D and vector pattern as one buffer: f0-f31 in words 0-31, v0-v31
 * after them. gfpu_fv_diff(): bits 0-31 f0-f31, bits 32-63 v0-v31.
 */
#define FV_WORDS	(F_WORDS + MAX_V_WORDS)
#define FV_LEGEND	"bits 0-31: f0-f31, 32-63: v0-v31"

static inline uint64_t gfpu_fv_diff(const uint64_t *buf, uint64_t vlenb,
				    uint64_t dom, uint64_t seed)
{
	uint64_t bad = 0;
	unsigned int i;

	for (i = 0; i < F_WORDS; i++)
		if (buf[i] != gfpu_pattern_word(dom, seed, i))
			bad |= 1ull << i;
	if (vlenb)
		bad |= gfpu_v_diff(buf + F_WORDS, vlenb, dom, seed,
				   F_WORDS) << 32;
	return bad;
}

/*
 * gfpu_guest_hold_fregs() - load f0-f31 from @in, exit @count times by
 * storing @what to @mmio, store f0-f31 to @out; all in one asm block.
 */
static inline void gfpu_guest_hold_fregs(const uint64_t *in, uint64_t *out,
					 volatile uint64_t *mmio,
					 uint64_t what, uint64_t count)
{
	asm volatile(F_ALL(F_LOAD)
		     "1: sd %[what], 0(%[mmio])\n\t"
		     "addi %[count], %[count], -1\n\t"
		     "bnez %[count], 1b\n\t"
		     F_ALL(F_STORE)
		     : [count] "+r" (count)
		     : [in] "r" (in), [out] "r" (out), [mmio] "r" (mmio),
		       [what] "r" (what)
		     : "memory", F_CLOBBERS);
}

/*
 * gfpu_guest_fregs_smoke() - fp_smoke's guest side for f0-f31 (FS must be
 * on): @iterations short-phase iterations (gfpu_smoke_exit(); the host
 * writes every @set_every-th), then one pattern held across @long_exits.
 * Never inlined: its prologue saves the callee-saved f registers, which
 * traps in a caller that has not turned FS on yet.
 */
static noinline __maybe_unused void
gfpu_guest_fregs_smoke(volatile uint64_t *mmio, uint64_t iterations,
		       uint64_t long_exits, uint64_t set_every)
{
	uint64_t in[F_WORDS], out[F_WORDS];
	uint64_t i, dom;

	for (i = 0; i < iterations; i++) {
		gfpu_pattern_fill(in, F_WORDS, GFPU_DOM_GUEST, i);
		gfpu_guest_hold_fregs(in, out, mmio, GFPU_EXIT_SHORT, 1);
		dom = i % set_every ? GFPU_DOM_GUEST : GFPU_DOM_HOST_SET;
		GUEST_SYNC2(i, gfpu_pattern_diff(out, GFPU_HOLD_REGS, dom, i));
	}
	gfpu_pattern_fill(in, F_WORDS, GFPU_DOM_LONG, 0);
	gfpu_guest_hold_fregs(in, out, mmio, GFPU_EXIT_LONG, long_exits);
	GUEST_SYNC2(iterations,
		    gfpu_pattern_diff(out, GFPU_HOLD_REGS, GFPU_DOM_LONG, 0));
}

/* === Host only, lib/riscv/gfpu_regs.c ================================== */
struct kvm_vcpu;

uint64_t gfpu_fd_id(unsigned int n);
void gfpu_fregs_get(struct kvm_vcpu *vcpu, uint64_t *words);
void gfpu_fregs_set(struct kvm_vcpu *vcpu, const uint64_t *words);
uint64_t gfpu_fregs_diff(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed);
void gfpu_fregs_fill(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed);
uint64_t gfpu_vcpu_vlenb(struct kvm_vcpu *vcpu);
uint64_t gfpu_vreg_id(uint64_t vlenb, unsigned int n);
void gfpu_vregs_get(struct kvm_vcpu *vcpu, uint64_t vlenb, uint64_t *words);
void gfpu_vregs_set(struct kvm_vcpu *vcpu, uint64_t vlenb,
		    const uint64_t *words);
int gfpu_isa_ext_set(struct kvm_vcpu *vcpu, unsigned long ext,
		     unsigned long val);
long gfpu_isa_ext_get(struct kvm_vcpu *vcpu, unsigned long ext);
bool gfpu_host_has_v(void);
uint64_t gfpu_host_v_hold(uint64_t dom, uint64_t seed, unsigned long spin);
uint64_t gfpu_host_v_discarded(void);
void gfpu_contenders_use_v(void);

/* In the guest: use the FP unit (one register write), turning it on. */
static inline void gfpu_guest_fp_touch(uint64_t v)
{
	asm volatile("csrs sstatus, %0\n\t"
		     "fmv.d.x f0, %1"
		     : : "r" (SSTATUS_FS_INITIAL), "r" (v) : "f0");
}

#endif /* SELFTEST_KVM_GFPU_REGS_RISCV_H */
