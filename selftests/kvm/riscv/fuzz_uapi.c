// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_uapi - seeded random KVM_GET/SET_ONE_REG of the F, D and V register
 * files and of the F, D and V ISA extensions, on a vCPU that has run and
 * on one that has not yet, the same sequence on every kernel (riscv64).
 *
 * The ids are drawn around the FP and vector state: f0-f31 and fcsr
 * through KVM_REG_RISCV_FP_D and KVM_REG_RISCV_FP_F (now and then past
 * fcsr or with another size), the vector CSRs (vstart, vl, vtype, vcsr,
 * vlenb, datap) and v0-v31 through KVM_REG_RISCV_VECTOR (now and then past
 * v31 or with another size), the ISA extension registers (F, D and V
 * above all, to 0, 1 or 2), and, for GET only, any id at all.  The second
 * vCPU gets extension changes before its first KVM_RUN, which it is given
 * at random.  Which calls the kernel takes and the errno of those it
 * refuses are the output, a letter a call, printed in lines of 100 with
 * the seed and a digest, for kernel/check-kernel.sh to compare with
 * unmodified 6.12's (the reference: make check-riscv boots both).  The
 * random choices never depend on what a call returned.
 *
 * Checked on each kernel: a GET, and a refused SET, change nothing (every
 * F/D/V register and CSR and the three extensions read back as before); a
 * taken SET reads back; after it the guest, run once, finds in its own
 * registers what KVM reports: f0-f31, the fcsr bits every F implementation
 * keeps, v0-v31 and vcsr as before the run, and vl and vtype as KVM
 * reports them after it (6.12 restores them with vsetvl, which fits vl to
 * vtype's VLMAX and turns a vtype it cannot take into vill).  vstart is
 * not compared: the guest zeroes it to store whole registers.
 *
 * Arguments: [SEED [CALLS]] (default 0x6766 and 1000).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_riscv.h"

#define SIZE_FIELD(n)	((uint64_t)(n) << KVM_REG_SIZE_SHIFT)	/* 1 << n bytes */
#define FP_ID(type, n, size) (KVM_REG_RISCV | (size) | (type) | (n))
#define FCSR_NUM	32
#define VEC_ID(n, size)	(KVM_REG_RISCV | (size) | KVM_REG_RISCV_VECTOR | (n))
#define NR_VCSRS	5	/* vstart, vl, vtype, vcsr, vlenb */
#define VCSR_VLENB	4
#define VREG_NUM(n)	(6 + (n))	/* after the CSRs and datap */
#define ISA_ID(ext)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_ISA_EXT | KVM_REG_RISCV_ISA_SINGLE | (ext))

#define FCSR_BITS	0xffull		/* frm and fflags */
#define VCSR_BITS	0x7ull		/* vxrm and vxsat */

/* The guest's extensions, its arguments' bits. */
#define HAS_F		1
#define HAS_D		2
#define HAS_V		4

static const unsigned long exts[] = {
	KVM_RISCV_ISA_EXT_F, KVM_RISCV_ISA_EXT_D, KVM_RISCV_ISA_EXT_V,
};

struct guest_fp {
	uint64_t f[NR_FREGS];		/* fsd; fsw into the low words without D */
	uint64_t fcsr;
	uint64_t vl, vtype, vcsr;
	uint8_t v[NR_VREGS * MAX_VLENB];
};

/* One per VM: the guest stores its registers here after every exit. */
static struct guest_fp guest_fp;

/*
 * Store every register of the vCPU's extensions, then exit (an MMIO
 * store): after the exit nothing runs before the next store but the
 * loop's branch, so each report is what the host left in the registers.
 * v0-v7 are loaded back from what was stored: a vector load marks VS
 * Dirty (a CSR write may not, under QEMU), so that the exit saves vl and
 * vtype as the hardware holds them; without it 6.12 saves nothing and
 * keeps reporting what the VMM set.
 */
static void guest_code(volatile uint64_t *mmio, uint64_t has, uint64_t vlenb)
{
	uint64_t grp = 8 * vlenb;

	if (has & (HAS_F | HAS_D))
		asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_FS_INITIAL));
	if (has & HAS_V)
		asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_VS_INITIAL));
	for (;;) {
		uint64_t *out = guest_fp.f;
		uint8_t *vout = guest_fp.v;

		if (has & HAS_D) {
			asm volatile(F_ALL(F_STORE) "frcsr %[fcsr]\n\t"
				     : [fcsr] "=r" (guest_fp.fcsr)
				     : [out] "r" (out) : "memory");
		} else if (has & HAS_F) {
#define FSW(n)	"fsw f" #n ", " #n "*8(%[out])\n\t"
			asm volatile(F_ALL(FSW) "frcsr %[fcsr]\n\t"
				     : [fcsr] "=r" (guest_fp.fcsr)
				     : [out] "r" (out) : "memory");
#undef FSW
		}
		if (has & HAS_V)
			asm volatile(".option push\n\t.option arch, +v\n\t"
				     "csrr %[vl], vl\n\t"
				     "csrr %[vtype], vtype\n\t"
				     "csrr %[vcsr], vcsr\n\t"
				     "csrw vstart, zero\n\t"
				     "vs8r.v v0, (%[vout])\n\t"
				     "add %[vout], %[vout], %[grp]\n\t"
				     "vs8r.v v8, (%[vout])\n\t"
				     "add %[vout], %[vout], %[grp]\n\t"
				     "vs8r.v v16, (%[vout])\n\t"
				     "add %[vout], %[vout], %[grp]\n\t"
				     "vs8r.v v24, (%[vout])\n\t"
				     "vl8re64.v v0, (%[v0])\n\t"
				     ".option pop\n\t"
				     : [vl] "=&r" (guest_fp.vl),
				       [vtype] "=&r" (guest_fp.vtype),
				       [vcsr] "=&r" (guest_fp.vcsr),
				       [vout] "+r" (vout)
				     : [grp] "r" (grp), [v0] "r" (guest_fp.v)
				     : "memory");
		*mmio = 1;
	}
}

struct fctx {
	const char *name;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	bool ran;
	uint64_t has;		/* HAS_*, once it ran */
	vm_paddr_t exit_gpa;
	vm_vaddr_t exit_gva;
	struct guest_fp *gfp;	/* the guest's guest_fp */
};

/* Every F/D/V register and CSR and the three extensions, as GET says. */
struct snap {
	int err[NR_FREGS + 1 + NR_VCSRS + NR_VREGS + ARRAY_SIZE(exts)];
	uint64_t f[NR_FREGS + 1];	/* FP_D, or FP_F without D; fcsr last */
	uint64_t vcsr[NR_VCSRS];
	uint8_t v[NR_VREGS * MAX_VLENB];
	uint64_t ext[ARRAY_SIZE(exts)];
};

/* The host's (and every vCPU's) vlenb; 0 without V. */
static uint64_t vlenb;

/* A ONE_REG ioctl: 0 on success, else errno. */
static int one_reg(struct kvm_vcpu *vcpu, unsigned long cmd, uint64_t id,
		   void *buf)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)buf };

	return ioctl(vcpu->fd, cmd, &reg) ? errno : 0;
}

static void take(struct fctx *c, struct snap *s)
{
	unsigned int n, e = 0;
	uint64_t type;
	bool d;

	memset(s, 0, sizeof(*s));
	d = !one_reg(c->vcpu, KVM_GET_ONE_REG, ISA_ID(KVM_RISCV_ISA_EXT_D),
		     &s->ext[1]) && s->ext[1];
	type = d ? KVM_REG_RISCV_FP_D : KVM_REG_RISCV_FP_F;
	for (n = 0; n <= FCSR_NUM; n++)
		s->err[e++] = one_reg(c->vcpu, KVM_GET_ONE_REG,
				      FP_ID(type, n, d && n < FCSR_NUM ?
					    KVM_REG_SIZE_U64 : KVM_REG_SIZE_U32),
				      &s->f[n]);
	for (n = 0; n < NR_VCSRS; n++)
		s->err[e++] = one_reg(c->vcpu, KVM_GET_ONE_REG,
				      VEC_ID(n, KVM_REG_SIZE_U64), &s->vcsr[n]);
	for (n = 0; n < NR_VREGS && vlenb; n++)
		s->err[e++] = one_reg(c->vcpu, KVM_GET_ONE_REG,
				      gfpu_vreg_id(vlenb, n), &s->v[n * vlenb]);
	for (n = 0; n < ARRAY_SIZE(exts); n++)
		s->err[e++] = one_reg(c->vcpu, KVM_GET_ONE_REG,
				      ISA_ID(exts[n]), &s->ext[n]);
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

/* A size field: the one @right names 80 times in 100, else U8 ... U2048. */
static uint64_t rand_size(uint64_t right)
{
	return gfpu_chance(80) ? right : SIZE_FIELD(gfpu_rnd() % 9);
}

/*
 * A random id around the FP and vector state (and any id, for GET); on a
 * vCPU that has not run (@fresh), F, D or V four times in ten.
 */
static uint64_t rand_id(bool get, bool fresh)
{
	unsigned int n = gfpu_rnd() % 35;
	uint64_t vsize = vlenb ? SIZE_FIELD(__builtin_ctzll(vlenb)) :
				 KVM_REG_SIZE_U128;

	if (fresh && gfpu_chance(40))
		return ISA_ID(exts[n % ARRAY_SIZE(exts)]);
	switch (gfpu_rnd() % (get ? 8 : 7)) {
	case 0:
	case 1:
		return FP_ID(KVM_REG_RISCV_FP_D, n,
			     rand_size(n == FCSR_NUM ? KVM_REG_SIZE_U32 :
				       KVM_REG_SIZE_U64));
	case 2:
		return FP_ID(KVM_REG_RISCV_FP_F, n, rand_size(KVM_REG_SIZE_U32));
	case 3:
		return VEC_ID(n % (NR_VCSRS + 2), rand_size(KVM_REG_SIZE_U64));
	case 4:
	case 5:
		return VEC_ID(VREG_NUM(n % (NR_VREGS + 2)), rand_size(vsize));
	case 6:
		return ISA_ID(gfpu_chance(80) ? exts[n % ARRAY_SIZE(exts)] :
			      gfpu_rnd() % 64);
	default:
		return KVM_REG_RISCV | (gfpu_rnd() & 0x00000000ff00ffffull) |
		       SIZE_FIELD(gfpu_rnd() % 9);
	}
}

static bool is_isa(uint64_t id)
{
	return (id & KVM_REG_RISCV_TYPE_MASK) == KVM_REG_RISCV_ISA_EXT;
}

static struct gfpu_check unchanged = {
	"a GET or a refused SET changes nothing (F/D/V registers, CSRs, extensions)" };
static struct gfpu_check reads_back = { "a taken SET reads back" };
static struct gfpu_check guest_sees = {
	"the guest finds what KVM reports in its registers" };

static unsigned long taken, refused, gets, isa_taken, first_runs;

/*
 * The guest, run once, must hold what @s says (fcsr and vcsr: the bits
 * kept), and vl and vtype as KVM reports them after the run.
 */
static void guest_check(struct fctx *c, const struct snap *s)
{
	const struct guest_fp *g = c->gfp;
	uint64_t bad = 0, val;
	struct snap after;
	unsigned int n;

	vcpu_run(c->vcpu);
	TEST_ASSERT(gfpu_exit_mmio(c->vcpu, c->exit_gpa, &val),
		    "%s vCPU: expected its report, got %s", c->name,
		    exit_reason_str(c->vcpu->run->exit_reason));
	take(c, &after);
	if (c->has & HAS_D) {
		bad |= memcmp(g->f, s->f, sizeof(g->f)) ? 1 : 0;
	} else if (c->has & HAS_F) {
		/* fsw wrote the low word of each slot, FP_F reads 32 bits. */
		for (n = 0; n < NR_FREGS; n++)
			bad |= (uint32_t)g->f[n] != (uint32_t)s->f[n] ? 1 : 0;
	}
	if ((c->has & (HAS_F | HAS_D)) && ((g->fcsr ^ s->f[FCSR_NUM]) & FCSR_BITS))
		bad |= 2;
	if (c->has & HAS_V) {
		bad |= memcmp(g->v, s->v, NR_VREGS * vlenb) ? 4 : 0;
		bad |= (g->vcsr ^ s->vcsr[3]) & VCSR_BITS ? 8 : 0;
		bad |= g->vl != after.vcsr[1] || g->vtype != after.vcsr[2] ? 16 : 0;
	}
	if (bad && !guest_sees.fails)
		ksft_print_msg("%s vCPU (extensions %#lx): the guest differs from KVM in %s%s%s%s%s (fcsr %#lx/%#lx, vcsr %#lx/%#lx, vl %#lx/%#lx, vtype %#lx/%#lx)\n",
			       c->name, (unsigned long)c->has,
			       bad & 1 ? "f0-f31 " : "", bad & 2 ? "fcsr " : "",
			       bad & 4 ? "v0-v31 " : "", bad & 8 ? "vcsr " : "",
			       bad & 16 ? "vl/vtype" : "",
			       (unsigned long)g->fcsr, (unsigned long)s->f[FCSR_NUM],
			       (unsigned long)g->vcsr, (unsigned long)s->vcsr[3],
			       (unsigned long)g->vl, (unsigned long)after.vcsr[1],
			       (unsigned long)g->vtype, (unsigned long)after.vcsr[2]);
	gfpu_check_record(&guest_sees, guest_sees.runs, bad);
}

/* The first KVM_RUN of @c, with the extensions it has then. */
static void fctx_go(struct fctx *c)
{
	struct snap s;

	c->has = (gfpu_isa_ext_get(c->vcpu, KVM_RISCV_ISA_EXT_F) == 1 ? HAS_F : 0) |
		 (gfpu_isa_ext_get(c->vcpu, KVM_RISCV_ISA_EXT_D) == 1 ? HAS_D : 0) |
		 (vlenb && gfpu_isa_ext_get(c->vcpu, KVM_RISCV_ISA_EXT_V) == 1 ?
		  HAS_V : 0);
	vcpu_args_set(c->vcpu, 3, c->exit_gva, c->has, vlenb);
	c->ran = true;
	first_runs++;
	take(c, &s);
	guest_check(c, &s);
}

/* One call on @c: its token. */
static char fuzz_one(struct fctx *c)
{
	uint8_t val[256], back[256];
	struct snap before, after;
	bool get = gfpu_chance(30);
	unsigned int k, len;
	uint64_t id;
	int err;
	char t;

	/* The vCPU that has not run yet: its first run, now and then. */
	if (!c->ran && gfpu_chance(2)) {
		fctx_go(c);
		return 'r';
	}
	take(c, &before);
	id = rand_id(get, !c->ran);
	for (k = 0; k < sizeof(val); k += 8) {
		uint64_t w = gfpu_rnd();

		memcpy(val + k, &w, 8);
	}
	if (!get && is_isa(id))
		*(uint64_t *)val = gfpu_rnd() % 3;
	else if (!get && id == VEC_ID(VCSR_VLENB, KVM_REG_SIZE_U64) &&
		 gfpu_chance(50))
		*(uint64_t *)val = vlenb;
	err = one_reg(c->vcpu, get ? KVM_GET_ONE_REG : KVM_SET_ONE_REG, id, val);
	t = token(err, get ? 'g' : is_isa(id) ? 'x' : 'a');
	take(c, &after);
	if (get || err) {
		gets += get;
		refused += !get;
		gfpu_check_record(&unchanged, unchanged.runs,
				  memcmp(&before, &after, sizeof(before)) != 0);
		return t;
	}
	taken++;
	isa_taken += is_isa(id);
	/* A taken SET reads back. */
	len = KVM_REG_SIZE(id);
	memset(back, 0xa5, sizeof(back));
	err = one_reg(c->vcpu, KVM_GET_ONE_REG, id, back);
	gfpu_check_record(&reads_back, reads_back.runs,
			  err || memcmp(back, val, len));
	if (c->ran)
		guest_check(c, &after);
	return t;
}

static void fctx_start(struct fctx *c, const char *name)
{
	c->name = name;
	c->vm = vm_create(1);
	c->vcpu = vm_vcpu_add(c->vm, 0, guest_code);
	c->exit_gva = gfpu_map_exit_page(c->vm, &c->exit_gpa);
	c->gfp = addr_gva2hva(c->vm, (vm_vaddr_t)&guest_fp);
}

int main(int argc, char *argv[])
{
	unsigned long seed = 0x6766, calls = 1000, i;
	struct gfpu_fuzz_log log;
	struct fctx ctx[2] = { };

	if (argc > 1)
		seed = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		calls = strtoul(argv[2], NULL, 0);

	ksft_print_header();
	ksft_set_plan(4);
	gfpu_rnd_seed(seed);
	fctx_start(&ctx[0], "running");
	fctx_start(&ctx[1], "new");
	vlenb = gfpu_vcpu_vlenb(ctx[0].vcpu);
	TEST_ASSERT(vlenb <= MAX_VLENB, "vlenb %lu", (unsigned long)vlenb);
	fctx_go(&ctx[0]);

	gfpu_fuzz_start(&log, "riscv64");
	for (i = 0; i < calls; i++) {
		struct fctx *c = &ctx[gfpu_rnd() % 2];

		gfpu_fuzz_record(&log, fuzz_one(c));
	}
	gfpu_fuzz_flush(&log);
	ksft_print_msg("fuzz: riscv64 seed %#lx calls %lu digest %016lx (vlenb %lu; new vCPU %s, extensions %#lx)\n",
		       seed, log.calls, (unsigned long)log.digest,
		       (unsigned long)vlenb, ctx[1].ran ? "ran" : "never ran",
		       (unsigned long)ctx[1].has);
	ksft_print_msg("fuzz: SET taken %lu (extensions %lu), refused %lu; GET %lu\n",
		       taken, isa_taken, refused, gets);
	for (i = 0; i < 2; i++)
		kvm_vm_free(ctx[i].vm);

	gfpu_check_report(&unchanged);
	gfpu_check_report(&reads_back);
	gfpu_check_report(&guest_sees);
	ksft_test_result(taken && refused && isa_taken && first_runs == 2,
			 "the calls were both taken and refused (%lu/%lu), extensions changed (%lu), both vCPUs ran (%lu)\n",
			 taken, refused, isa_taken, first_runs);
	ksft_finished();
}
