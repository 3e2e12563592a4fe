// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side arm64 helpers shared by the gfpu KVM selftests: vCPUs with and
 * without SVE, and the guest's V and SVE registers through ONE_REG.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "kvm_util.h"
#include "processor.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define VREG_ID(n)	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE | \
			 KVM_REG_ARM_CORE_REG(fp_regs.vregs[n]))

/**
 * gfpu_vcpu_add() - vCPU 0 of @vm, with SVE (not yet finalized) if @sve.
 * @vm: the VM.
 * @guest_code: where it starts.
 * @sve: ask for KVM_ARM_VCPU_SVE.
 */
struct kvm_vcpu *gfpu_vcpu_add(struct kvm_vm *vm, void *guest_code, bool sve)
{
	struct kvm_vcpu_init init = { .target = -1 };

	if (sve)
		init.features[0] |= 1u << KVM_ARM_VCPU_SVE;
	return aarch64_vcpu_add(vm, 0, &init, guest_code);
}

/* KVM_ARM_VCPU_FINALIZE(SVE): 0, or the errno. */
int gfpu_sve_finalize(struct kvm_vcpu *vcpu)
{
	int feature = KVM_ARM_VCPU_SVE;

	return __vcpu_ioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &feature) ? errno : 0;
}

/* The largest length in a KVM_REG_ARM64_SVE_VLS set, in quadwords; 0: none. */
unsigned int gfpu_sve_vls_max(const uint64_t *vls)
{
	unsigned int vq, max = 0;

	for (vq = KVM_ARM64_SVE_VQ_MIN; vq <= KVM_ARM64_SVE_VQ_MAX; vq++)
		if (vls[(vq - KVM_ARM64_SVE_VQ_MIN) / 64] &
		    (1ull << ((vq - KVM_ARM64_SVE_VQ_MIN) % 64)))
			max = vq;
	return max;
}

/* The vCPU's maximum vector length, in bytes, from KVM_REG_ARM64_SVE_VLS. */
unsigned int gfpu_sve_max_vl(struct kvm_vcpu *vcpu)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];

	vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_VLS, vls);
	return gfpu_sve_vls_max(vls) * 16;
}

/**
 * gfpu_sve_vcpu_add() - vCPU 0 of @vm with SVE, finalized.
 * @vm: the VM.
 * @guest_code: where it starts.
 * @vl: its maximum vector length in bytes, from KVM_REG_ARM64_SVE_VLS.
 */
struct kvm_vcpu *gfpu_sve_vcpu_add(struct kvm_vm *vm, void *guest_code,
				   unsigned int *vl)
{
	struct kvm_vcpu *vcpu = gfpu_vcpu_add(vm, guest_code, true);
	int err = gfpu_sve_finalize(vcpu);

	TEST_ASSERT(!err, "KVM_ARM_VCPU_FINALIZE: %s", strerror(err));
	*vl = gfpu_sve_max_vl(vcpu);
	TEST_ASSERT(*vl >= 16 && *vl <= SVE_VL_MAX_BYTES,
		    "KVM_REG_ARM64_SVE_VLS gives a maximum VL of %u bytes", *vl);
	return vcpu;
}

/* V0-V31 through the core interface, into @words (V_WORDS). */
void gfpu_vregs_get(struct kvm_vcpu *vcpu, uint64_t *words)
{
	int n;

	for (n = 0; n < NR_VREGS; n++)
		vcpu_get_reg(vcpu, VREG_ID(n), &words[2 * n]);
}

/* V0-V31 through the core interface, from @words (V_WORDS). */
void gfpu_vregs_set(struct kvm_vcpu *vcpu, const uint64_t *words)
{
	struct kvm_one_reg reg;
	int n;

	for (n = 0; n < NR_VREGS; n++) {
		reg.id = VREG_ID(n);
		reg.addr = (uint64_t)&words[2 * n];
		vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
	}
}

/**
 * gfpu_sve_get() - the vCPU's Z0-Z31, P0-P15 and FFR (slice 0) through
 * ONE_REG, as a register set at @vl.
 * @vcpu: an SVE vCPU.
 * @r: filled in.
 * @vl: the vector length in bytes.
 *
 * Return: a difference mask (gfpu_sve_arm64.h) with a bit set for each
 * register whose bytes past the vector length, up to the slice's size,
 * are not zero, as the API requires.
 */
uint64_t gfpu_sve_get(struct kvm_vcpu *vcpu, struct gfpu_sve_regs *r,
		      unsigned int vl)
{
	uint8_t buf[SVE_VL_MAX_BYTES];
	uint64_t bad = 0, id;
	unsigned int n, k;

	for (n = 0; n < NR_ZREGS; n++) {
		vcpu_get_reg(vcpu, KVM_REG_ARM64_SVE_ZREG(n, 0), buf);
		memcpy(&r->z[n * vl], buf, vl);
		for (k = vl; k < sizeof(buf); k++)
			if (buf[k])
				bad |= BIT_ULL(n);
	}
	for (n = 0; n <= NR_PREGS; n++) {
		id = n < NR_PREGS ? KVM_REG_ARM64_SVE_PREG(n, 0) :
				    KVM_REG_ARM64_SVE_FFR(0);
		vcpu_get_reg(vcpu, id, buf);
		memcpy(n < NR_PREGS ? &r->p[n * vl / 8] : r->ffr, buf, vl / 8);
		for (k = vl / 8; k < KVM_REG_SIZE(id); k++)
			if (buf[k])
				bad |= n < NR_PREGS ? SVE_DIFF_P(n) : SVE_DIFF_FFR;
	}
	return bad;
}

/* Write @r, a register set at @vl bytes, to the vCPU through ONE_REG. */
void gfpu_sve_set(struct kvm_vcpu *vcpu, const struct gfpu_sve_regs *r,
		  unsigned int vl)
{
	uint8_t buf[SVE_VL_MAX_BYTES];
	struct kvm_one_reg reg = { .addr = (uint64_t)buf };
	unsigned int n;

	for (n = 0; n < NR_ZREGS; n++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &r->z[n * vl], vl);
		reg.id = KVM_REG_ARM64_SVE_ZREG(n, 0);
		vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
	}
	for (n = 0; n <= NR_PREGS; n++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, n < NR_PREGS ? &r->p[n * vl / 8] : r->ffr, vl / 8);
		reg.id = n < NR_PREGS ? KVM_REG_ARM64_SVE_PREG(n, 0) :
					KVM_REG_ARM64_SVE_FFR(0);
		vcpu_ioctl(vcpu, KVM_SET_ONE_REG, &reg);
	}
}

/* Skip the UDF that forced a signal round trip. */
static void gfpu_on_sigill(int sig, siginfo_t *info, void *ctx)
{
	((ucontext_t *)ctx)->uc_mcontext.pc += 4;
}

/* From now on a UDF in the host thread is a signal round trip, skipped. */
void gfpu_sigill_skips_udf(void)
{
	struct sigaction ill = {
		.sa_sigaction = gfpu_on_sigill,
		.sa_flags = SA_SIGINFO,
	};

	TEST_ASSERT(!sigaction(SIGILL, &ill, NULL), "sigaction");
}
