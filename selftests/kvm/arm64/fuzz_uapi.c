// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_uapi - seeded random KVM_GET/SET_ONE_REG, KVM_REG_ARM64_SVE_VLS and
 * KVM_ARM_VCPU_FINALIZE on a vCPU without SVE and on one with SVE, the
 * same sequence on every kernel (arm64).
 *
 * The ids are drawn around the FP state: V0-V31 and FPSR/FPCR through the
 * core interface (now and then past V31, misaligned or with another size),
 * SVE Z, P and FFR (now and then with a slice above 0, a register number
 * out of range or another size), the vector-length set, and, for GET
 * only, any id at all.  Before its first KVM_RUN the SVE vCPU also gets
 * random length sets and FINALIZE calls with random features.  Which calls
 * the kernel takes and the errno of those it refuses are the output, a
 * letter a call, printed in lines of 100 with the seed and a digest, for
 * kernel/check-kernel.sh to compare with unmodified 6.12's (the
 * reference).  The random choices never depend on what a call returned.
 *
 * Checked on each kernel: a GET, and a refused SET, change nothing (the FP
 * registers, FPSR, FPCR and, before FINALIZE, the length set read back as
 * before); a taken SET reads back (SVE registers cut to the vCPU's length
 * and zero beyond); after it the guest, run once, finds the registers
 * KVM reports in its own.
 *
 * Arguments: [SEED [CALLS]] (default 0x6766 and 4000).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

/* FPSR/FPCR bits every FP implementation keeps (one_reg_bad.c). */
#define FPSR_BITS	0x0800009full
#define FPCR_BITS	0x07c80000ull

#define CORE_OFF(f)	KVM_REG_ARM_CORE_REG(f)
#define V_OFF(n)	(CORE_OFF(fp_regs.vregs[0]) + (n) * 4)
#define FPSR_OFF	CORE_OFF(fp_regs.fpsr)
#define FPCR_OFF	CORE_OFF(fp_regs.fpcr)
#define CORE_ID(off, sz) (KVM_REG_ARM64 | (sz) | KVM_REG_ARM_CORE | (off))
#define FPSR_ID		CORE_ID(FPSR_OFF, KVM_REG_SIZE_U32)
#define FPCR_ID		CORE_ID(FPCR_OFF, KVM_REG_SIZE_U32)
#define SIZE_FIELD(n)	((uint64_t)(n) << KVM_REG_SIZE_SHIFT)	/* 1 << n bytes */

struct guest_fp {
	struct gfpu_sve_regs sve;
	uint64_t v[V_WORDS];
	uint64_t fpsr, fpcr;
};

/* One per VM: the guest stores its registers here after every exit. */
static struct guest_fp guest_fp;

/*
 * Store every FP register, then exit (an MMIO store): after the exit
 * nothing runs before the next store but the loop's branch, so each
 * report is what the host left in the registers.
 */
static void guest_code(volatile uint64_t *mmio, uint64_t vl)
{
	uint64_t fpsr, fpcr;

	gfpu_guest_fp_enable(vl);
	for (;;) {
		asm volatile("cbz %[vl], 3f\n\t"
			     SVE_STORE
			     "3:\n\t"
			     V_ALL(V_STORE)
			     "mrs %[fpsr], fpsr\n\t"
			     "mrs %[fpcr], fpcr\n\t"
			     : [fpsr] "=&r" (fpsr), [fpcr] "=&r" (fpcr)
			     : [vl] "r" (vl), [zout] "r" (guest_fp.sve.z),
			       [pout] "r" (guest_fp.sve.p),
			       [fout] "r" (guest_fp.sve.ffr),
			       [out] "r" (guest_fp.v)
			     : "memory", "p0");
		guest_fp.fpsr = fpsr;
		guest_fp.fpcr = fpcr;
		*mmio = 1;
	}
}

struct fctx {
	const char *name;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	bool sve, finalized;
	unsigned int vl;	/* bytes, once finalized; 0 without SVE */
	vm_paddr_t exit_gpa;
	vm_vaddr_t exit_gva;
	struct guest_fp *gfp;	/* the guest's guest_fp */
};

/* What the host can read of a vCPU's FP state. */
struct snap {
	int err;			/* of the reads, 0 if all worked */
	uint64_t v[V_WORDS];		/* without SVE */
	struct gfpu_sve_regs sve;	/* with SVE, finalized */
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];	/* with SVE */
	uint64_t fpsr, fpcr;
};

/* A ONE_REG ioctl: 0 on success, else errno. */
static int one_reg(struct kvm_vcpu *vcpu, unsigned long cmd, uint64_t id,
		   void *buf)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)buf };

	return ioctl(vcpu->fd, cmd, &reg) ? errno : 0;
}

static void take(struct fctx *c, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	if (!c->sve)
		gfpu_vregs_get(c->vcpu, s->v);
	else if (c->finalized)
		s->err |= gfpu_sve_get(c->vcpu, &s->sve, c->vl) ? EIO : 0;
	if (c->sve)
		s->err |= one_reg(c->vcpu, KVM_GET_ONE_REG,
				  KVM_REG_ARM64_SVE_VLS, s->vls);
	s->err |= one_reg(c->vcpu, KVM_GET_ONE_REG, FPSR_ID, &s->fpsr);
	s->err |= one_reg(c->vcpu, KVM_GET_ONE_REG, FPCR_ID, &s->fpcr);
}

static char token(int err, char ok)
{
	switch (err) {
	case 0: return ok;
	case EINVAL: return 'E';
	case ENOENT: return 'N';
	case EPERM: return 'P';
	case EFAULT: return 'F';
	case E2BIG: return 'B';
	case EBUSY: return 'U';
	default: return '?';
	}
}

/* A random id around the FP state, of the size it names or another. */
static uint64_t rand_id(bool get)
{
	uint64_t other = SIZE_FIELD(gfpu_rnd() % 9);	/* U8 ... U2048 */
	unsigned int n = gfpu_rnd() % 34, slice = gfpu_chance(85) ? 0 : gfpu_rnd() % 32;

	switch (gfpu_rnd() % (get ? 8 : 7)) {
	case 0:
	case 1:
		return CORE_ID(V_OFF(n) + (gfpu_chance(85) ? 0 : gfpu_rnd() % 4),
			       gfpu_chance(80) ? KVM_REG_SIZE_U128 : other);
	case 2:
		return CORE_ID((gfpu_chance(50) ? FPSR_OFF : FPCR_OFF) +
			       (gfpu_chance(85) ? 0 : gfpu_rnd() % 4),
			       gfpu_chance(80) ? KVM_REG_SIZE_U32 : other);
	case 3:
	case 4:
		return (KVM_REG_ARM64_SVE_ZREG(n % 32, slice) &
			~KVM_REG_SIZE_MASK) | (n >= 32 ? 32 << 5 : 0) |
		       (gfpu_chance(80) ? KVM_REG_SIZE_U2048 : other);
	case 5:
		n %= 18;
		return ((n < 16 ? KVM_REG_ARM64_SVE_PREG(n, slice) :
			 KVM_REG_ARM64_SVE_FFR(slice) + (n - 16) * 0x20) &
			~KVM_REG_SIZE_MASK) |
		       (gfpu_chance(80) ? KVM_REG_SIZE_U256 : other);
	case 6:
		return (KVM_REG_ARM64_SVE_VLS & ~KVM_REG_SIZE_MASK) |
		       (gfpu_chance(80) ? KVM_REG_SIZE_U512 : other);
	default:
		return KVM_REG_ARM64 | (gfpu_rnd() & 0x0000ffffffffffffull) |
		       (gfpu_rnd() & KVM_REG_ARM_COPROC_MASK) |
		       SIZE_FIELD(gfpu_rnd() % 9);
	}
}

static struct gfpu_check unchanged = {
	"a GET or a refused call changes nothing (FP registers, FPSR/FPCR, length set)" };
static struct gfpu_check reads_back = {
	"a taken SET reads back (SVE cut to the vCPU's length)" };
static struct gfpu_check guest_sees = {
	"the guest finds what KVM reports in its registers" };

static unsigned long taken, refused, gets, finalizes;

/* The guest, run once, must hold what @s says (FPSR/FPCR: kept bits). */
static void guest_check(struct fctx *c, const struct snap *s)
{
	const struct guest_fp *g = c->gfp;
	uint64_t bad = 0, val;
	unsigned int n;

	vcpu_run(c->vcpu);
	TEST_ASSERT(gfpu_exit_mmio(c->vcpu, c->exit_gpa, &val),
		    "%s vCPU: expected its report, got %s", c->name,
		    exit_reason_str(c->vcpu->run->exit_reason));
	if (!c->sve) {
		bad |= memcmp(g->v, s->v, sizeof(s->v)) != 0;
	} else {
		bad |= gfpu_sve_cmp(&g->sve, &s->sve, c->vl);
		for (n = 0; n < NR_VREGS; n++)
			bad |= memcmp(&g->v[2 * n], &s->sve.z[n * c->vl], 16) != 0;
	}
	bad |= (g->fpsr ^ s->fpsr) & FPSR_BITS;
	bad |= (g->fpcr ^ s->fpcr) & FPCR_BITS;
	gfpu_check_record(&guest_sees, guest_sees.runs, bad);
}

static void fctx_go(struct fctx *c);

/* Before FINALIZE: a random length set, or FINALIZE with any feature. */
static char fuzz_setup(struct fctx *c)
{
	uint64_t vls[KVM_ARM64_SVE_VLS_WORDS];
	int err, feature;
	unsigned int k;

	if (gfpu_chance(70)) {
		one_reg(c->vcpu, KVM_GET_ONE_REG, KVM_REG_ARM64_SVE_VLS, vls);
		for (k = 0; k < KVM_ARM64_SVE_VLS_WORDS; k++)
			vls[k] = gfpu_chance(50) ? vls[k] & gfpu_rnd() :
				 gfpu_chance(50) ? gfpu_rnd() : 0;
		err = one_reg(c->vcpu, KVM_SET_ONE_REG, KVM_REG_ARM64_SVE_VLS,
			      vls);
		return token(err, 'v');
	}
	feature = gfpu_chance(70) ? KVM_ARM_VCPU_SVE : (int)(gfpu_rnd() % 12);
	err = __vcpu_ioctl(c->vcpu, KVM_ARM_VCPU_FINALIZE, &feature) ? errno : 0;
	if (!err && feature == KVM_ARM_VCPU_SVE) {
		c->finalized = true;
		c->vl = gfpu_sve_max_vl(c->vcpu);
		TEST_ASSERT(c->vl >= 16 && c->vl <= SVE_VL_MAX_BYTES,
			    "VL %u", c->vl);
		finalizes++;
		/* It may run now: its first report. */
		fctx_go(c);
	}
	return token(err, 'f');
}

/* One call on @c: its token. */
static char fuzz_one(struct fctx *c)
{
	uint8_t val[SVE_VL_MAX_BYTES], back[SVE_VL_MAX_BYTES];
	struct snap before, after;
	bool get = gfpu_chance(30);
	uint64_t id;
	unsigned int k, len;
	int err;
	char t;

	take(c, &before);
	if (c->sve && !c->finalized) {
		t = fuzz_setup(c);
		err = t == 'v' || t == 'f' ? 0 : 1;
		get = false;
	} else {
		id = rand_id(get);
		for (k = 0; k < sizeof(val); k += 8) {
			uint64_t w = gfpu_rnd();

			memcpy(val + k, &w, 8);
		}
		err = one_reg(c->vcpu, get ? KVM_GET_ONE_REG : KVM_SET_ONE_REG,
			      id, val);
		t = token(err, get ? 'g' : 'a');
	}
	take(c, &after);
	if (get || err) {
		gets += get;
		refused += !get;
		gfpu_check_record(&unchanged, unchanged.runs,
				  memcmp(&before, &after, sizeof(before)) != 0);
		return t;
	}
	taken++;
	if (t != 'a')
		return t;
	/* A taken SET: it reads back, as much as the vCPU holds of it. */
	len = KVM_REG_SIZE(id);
	if ((id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM64_SVE &&
	    id != KVM_REG_ARM64_SVE_VLS)
		len = len == 256 ? c->vl : c->vl / 8;
	memset(back, 0xa5, sizeof(back));
	err = one_reg(c->vcpu, KVM_GET_ONE_REG, id, back);
	for (k = len; k < KVM_REG_SIZE(id) && !err; k++)
		err = back[k] ? -1 : 0;
	gfpu_check_record(&reads_back, reads_back.runs,
			  err || memcmp(back, val, len));
	guest_check(c, &after);
	return t;
}

static void fctx_start(struct fctx *c, const char *name, bool sve)
{
	c->name = name;
	c->sve = sve;
	c->vm = vm_create(1);
	c->vcpu = gfpu_vcpu_add(c->vm, guest_code, sve);
	c->exit_gva = gfpu_map_exit_page(c->vm, &c->exit_gpa);
	c->gfp = addr_gva2hva(c->vm, (vm_vaddr_t)&guest_fp);
}

/* The guest's first report, once its FP state can be run. */
static void fctx_go(struct fctx *c)
{
	struct snap s;

	vcpu_args_set(c->vcpu, 2, c->exit_gva, (uint64_t)c->vl);
	take(c, &s);
	guest_check(c, &s);
}

int main(int argc, char *argv[])
{
	unsigned long seed = 0x6766, calls = 4000, i;
	struct gfpu_fuzz_log log;
	struct fctx ctx[2] = { };
	unsigned int nctx = 1;

	if (argc > 1)
		seed = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		calls = strtoul(argv[2], NULL, 0);

	ksft_print_header();
	ksft_set_plan(4);
	gfpu_rnd_seed(seed);
	fctx_start(&ctx[0], "FP/SIMD", false);
	fctx_go(&ctx[0]);
	if (kvm_check_cap(KVM_CAP_ARM_SVE)) {
		fctx_start(&ctx[1], "SVE", true);
		nctx = 2;
	}

	gfpu_fuzz_start(&log, "arm64");
	for (i = 0; i < calls; i++) {
		struct fctx *c = &ctx[gfpu_rnd() % nctx];

		gfpu_fuzz_record(&log, fuzz_one(c));
	}
	gfpu_fuzz_flush(&log);
	ksft_print_msg("fuzz: arm64 seed %#lx calls %lu digest %016lx (SVE vCPU: %s, VL %u)\n",
		       seed, log.calls, (unsigned long)log.digest,
		       nctx > 1 ? "yes" : "no", ctx[1].vl);
	ksft_print_msg("fuzz: SET taken %lu, refused %lu; GET %lu; FINALIZE taken %lu\n",
		       taken, refused, gets, finalizes);
	for (i = 0; i < nctx; i++)
		kvm_vm_free(ctx[i].vm);

	gfpu_check_report(&unchanged);
	gfpu_check_report(&reads_back);
	gfpu_check_report(&guest_sees);
	ksft_test_result(taken && refused && (nctx < 2 || finalizes),
			 "the calls were both taken and refused (%lu/%lu)%s\n",
			 taken, refused,
			 nctx < 2 ? "; no SVE in KVM" : "");
	ksft_finished();
}
