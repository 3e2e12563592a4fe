// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side riscv64 helpers shared by the gfpu KVM selftests: the guest's
 * F/D and vector registers and its ISA extensions through ONE_REG, and the
 * host's own vector registers for the preemption contenders.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/auxv.h>

#include "kvm_util.h"
#include "processor.h"
#include "gfpu_test.h"
#include "gfpu_regs_riscv.h"

#define VEC_CSR_VLENB	4	/* KVM_REG_RISCV_VECTOR_CSR_REG(vlenb) */
#define VEC_REG_NUM(n)	(6 + (n))	/* after vstart..vlenb and datap */
#define HWCAP_ISA_V	(1ul << ('v' - 'a'))

/* ONE_REG id of f@n as 64 bits (n 32: fcsr, which wants KVM_REG_SIZE_U32). */
uint64_t gfpu_fd_id(unsigned int n)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_FP_D | n;
}

/* f0-f31 through KVM_REG_RISCV_FP_D, into @words (F_WORDS). */
void gfpu_fregs_get(struct kvm_vcpu *vcpu, uint64_t *words)
{
	unsigned int n;

	for (n = 0; n < NR_FREGS; n++)
		vcpu_get_reg(vcpu, gfpu_fd_id(n), &words[n]);
}

/* f0-f31 through KVM_REG_RISCV_FP_D, from @words (F_WORDS). */
void gfpu_fregs_set(struct kvm_vcpu *vcpu, const uint64_t *words)
{
	unsigned int n;

	for (n = 0; n < NR_FREGS; n++)
		vcpu_set_reg(vcpu, gfpu_fd_id(n), words[n]);
}

/* f0-f31 through ONE_REG against the pattern (@dom, @seed), in pairs. */
uint64_t gfpu_fregs_diff(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[F_WORDS];

	gfpu_fregs_get(vcpu, words);
	return gfpu_pattern_diff(words, GFPU_HOLD_REGS, dom, seed);
}

/* The pattern (@dom, @seed) into f0-f31 through ONE_REG. */
void gfpu_fregs_fill(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed)
{
	uint64_t words[F_WORDS];

	gfpu_pattern_fill(words, F_WORDS, dom, seed);
	gfpu_fregs_set(vcpu, words);
}

/* The vCPU's vlenb through ONE_REG; 0 where it has no V. */
uint64_t gfpu_vcpu_vlenb(struct kvm_vcpu *vcpu)
{
	uint64_t vlenb = 0;

	if (__vcpu_get_reg(vcpu, KVM_REG_RISCV | KVM_REG_SIZE_U64 |
			   KVM_REG_RISCV_VECTOR | VEC_CSR_VLENB, &vlenb))
		return 0;
	return vlenb;
}

/* ONE_REG id of v@n at @vlenb bytes. */
uint64_t gfpu_vreg_id(uint64_t vlenb, unsigned int n)
{
	return KVM_REG_RISCV | KVM_REG_RISCV_VECTOR |
	       ((uint64_t)__builtin_ctzll(vlenb) << KVM_REG_SIZE_SHIFT) |
	       VEC_REG_NUM(n);
}

/* v0-v31 through ONE_REG, into @words (gfpu_v_words(@vlenb)). */
void gfpu_vregs_get(struct kvm_vcpu *vcpu, uint64_t vlenb, uint64_t *words)
{
	unsigned int n;

	for (n = 0; n < NR_VREGS; n++)
		vcpu_get_reg(vcpu, gfpu_vreg_id(vlenb, n),
			     (uint8_t *)words + n * vlenb);
}

/* v0-v31 through ONE_REG, from @words (gfpu_v_words(@vlenb)). */
void gfpu_vregs_set(struct kvm_vcpu *vcpu, uint64_t vlenb,
		    const uint64_t *words)
{
	struct kvm_one_reg reg;
	unsigned int n;

	for (n = 0; n < NR_VREGS; n++) {
		reg.id = gfpu_vreg_id(vlenb, n);
		reg.addr = (uint64_t)((const uint8_t *)words + n * vlenb);
		vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
	}
}

static uint64_t gfpu_isa_ext_id(unsigned long ext)
{
	return KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT |
	       KVM_REG_RISCV_ISA_SINGLE | ext;
}

/* KVM_SET_ONE_REG of ISA extension @ext (KVM_RISCV_ISA_EXT_*): 0 or errno. */
int gfpu_isa_ext_set(struct kvm_vcpu *vcpu, unsigned long ext,
		     unsigned long val)
{
	return __vcpu_set_reg(vcpu, gfpu_isa_ext_id(ext), val) ? errno : 0;
}

/* ISA extension @ext as the vCPU reports it: 0, 1, or -errno. */
long gfpu_isa_ext_get(struct kvm_vcpu *vcpu, unsigned long ext)
{
	uint64_t val;

	if (__vcpu_get_reg(vcpu, gfpu_isa_ext_id(ext), &val))
		return -errno;
	return val;
}

/* The host lets this task use V (HWCAP 'v'). */
bool gfpu_host_has_v(void)
{
	return getauxval(AT_HWCAP) & HWCAP_ISA_V;
}

/*
 * gfpu_host_v_hold() - load v0-v31 with the pattern (@dom, @seed), spin
 * @spin times with no system call, store them back.
 *
 * Return: the registers that differed (bit n: v@n).
 */
uint64_t gfpu_host_v_hold(uint64_t dom, uint64_t seed, unsigned long spin)
{
	uint64_t in[MAX_V_WORDS], out[MAX_V_WORDS], vlenb, vl, grp;
	const uint64_t *vin = in;
	uint64_t *vout = out;

	vlenb = gfpu_read_vlenb();
	TEST_ASSERT(vlenb && vlenb <= MAX_VLENB, "host vlenb %lu",
		    (unsigned long)vlenb);
	grp = 8 * vlenb;
	gfpu_pattern_fill(in, gfpu_v_words(vlenb), dom, seed);
	asm volatile(V_BEGIN
		     V_GROUPS(V_LOAD)
		     "1: addi %[spin], %[spin], -1\n\t"
		     "bnez %[spin], 1b\n\t"
		     V_GROUPS(V_STORE)
		     V_END
		     : [vin] "+r" (vin), [vout] "+r" (vout), [vl] "=&r" (vl),
		       [spin] "+r" (spin)
		     : [grp] "r" (grp)
		     : "memory");
	return gfpu_v_diff(out, vlenb, dom, seed, 0);
}

/*
 * gfpu_host_v_discarded() - right after a system call: which of v0-v31
 * are not what 6.12 leaves there (every bit set: riscv_v_vstate_discard()
 * at the ecall of a task whose VS is not Off).
 *
 * Return: bit n set: v@n is not all ones.
 */
uint64_t gfpu_host_v_discarded(void)
{
	uint64_t out[MAX_V_WORDS], vlenb, vl, grp, bad = 0;
	uint64_t *vout = out;
	unsigned int i;

	vlenb = gfpu_read_vlenb();
	grp = 8 * vlenb;
	asm volatile(V_BEGIN
		     V_GROUPS(V_STORE)
		     V_END
		     : [vout] "+r" (vout), [vl] "=&r" (vl)
		     : [grp] "r" (grp)
		     : "memory");
	for (i = 0; i < gfpu_v_words(vlenb); i++)
		if (out[i] != ~0ull)
			bad |= 1ull << (i / (vlenb / 8));
	return bad;
}

/* A contender round's spin with v0-v31 held: a few timer ticks' worth. */
#define GFPU_CONTEND_SPIN	20000

/* f0-f31 across sched_yield() (bits 0-15), then v0-v31 across a spin. */
static uint64_t gfpu_contend_fv(uint64_t dom, uint64_t seed)
{
	return gfpu_yield_holding(dom, seed) |
	       gfpu_host_v_hold(dom, seed, GFPU_CONTEND_SPIN) << 32;
}

/*
 * gfpu_contenders_use_v() - the hammer and the signal handler hold v0-v31
 * too, across a spin (their failure masks: bits 0-15 f0-f31 in pairs,
 * bits 32-63 v0-v31).
 */
void gfpu_contenders_use_v(void)
{
	gfpu_contend = gfpu_contend_fv;
}
