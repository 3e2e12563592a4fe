// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_uapi - seeded random KVM_SET_XSAVE, KVM_SET_XCRS and KVM_SET_MSRS
 * (XFD, XFD_ERR) on one vCPU, the same sequence on every kernel.
 *
 * Each call starts from what KVM reports (KVM_GET_XSAVE, KVM_GET_XCRS) and
 * changes part of it at random: the XMM registers, MXCSR (now and then
 * with reserved bits), XSTATE_BV (a subset of what KVM offers, or any bits),
 * XCOMP_BV and the header's reserved bytes (now and then non-zero), XCR0 (a
 * valid-looking subset, or any low bits), XFD and XFD_ERR (zero, AMX's
 * bit, or any bits).  Which calls the kernel takes and the errno of those
 * it refuses are the output: a letter a call (a: taken, E: EINVAL, ...;
 * for KVM_SET_MSRS the number of MSRs set), printed in lines of 100 with
 * the seed and a digest, so that a framework kernel's line can be compared
 * with unmodified 6.12's (kernel/check-kernel.sh does, 6.12 is the
 * reference).  The random choices never depend on what a call returned,
 * so both kernels get the same calls until their answers differ.
 *
 * Checked on each kernel: a refused call changes nothing (KVM_GET_XSAVE,
 * KVM_GET_XCRS and the MSRs read back as before); a taken XSAVE image
 * reads back with its XMM registers (zeros where XSTATE_BV leaves SSE
 * out) and, with SSE, its MXCSR, and the guest, run right after, finds
 * exactly those in its registers; a taken XCR0 reads back.
 *
 * Arguments: [SEED [CALLS]] (default 0x6766 and 10000).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"

#define FUZZ_PORT	0x1007
#define TIME_CAP_S	120	/* stop early under a very slow TCG */

#define XMM_OFF		160
#define XMM_BYTES	256
#define MXCSR_OFF	24
#define HDR_OFF		512
#define MSR_XFD		0x1c4
#define MSR_XFD_ERR	0x1c5

/* What the guest stores before each exit: xmm0-15, then MXCSR. */
static uint8_t gbuf[XMM_BYTES + 16] __aligned(16);

static void guest_code(void)
{
	for (;;)
		asm volatile("movdqu %%xmm0, 0x00(%0)\n\t"
			     "movdqu %%xmm1, 0x10(%0)\n\t"
			     "movdqu %%xmm2, 0x20(%0)\n\t"
			     "movdqu %%xmm3, 0x30(%0)\n\t"
			     "movdqu %%xmm4, 0x40(%0)\n\t"
			     "movdqu %%xmm5, 0x50(%0)\n\t"
			     "movdqu %%xmm6, 0x60(%0)\n\t"
			     "movdqu %%xmm7, 0x70(%0)\n\t"
			     "movdqu %%xmm8, 0x80(%0)\n\t"
			     "movdqu %%xmm9, 0x90(%0)\n\t"
			     "movdqu %%xmm10, 0xa0(%0)\n\t"
			     "movdqu %%xmm11, 0xb0(%0)\n\t"
			     "movdqu %%xmm12, 0xc0(%0)\n\t"
			     "movdqu %%xmm13, 0xd0(%0)\n\t"
			     "movdqu %%xmm14, 0xe0(%0)\n\t"
			     "movdqu %%xmm15, 0xf0(%0)\n\t"
			     "stmxcsr 0x100(%0)\n\t"
			     "mov %1, %%dx\n\t"
			     "in %%dx, %%al\n\t"
			     : : "r" (gbuf), "i" (FUZZ_PORT)
			     : "rax", "rdx", "memory");
}

struct snap {
	struct kvm_xsave xs;
	struct kvm_xcrs xcrs;
	uint64_t xfd, xfd_err;
	int nmsrs;		/* of XFD, XFD_ERR, those KVM_GET_MSRS read */
};

static struct kvm_vcpu *vcpu;
static uint64_t kvm_xcr0;

static uint64_t get_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put_u64(void *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void take(struct snap *s)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} m = { .hdr.nmsrs = 2, .e = { { .index = MSR_XFD },
				       { .index = MSR_XFD_ERR } } };

	memset(s, 0, sizeof(*s));
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &s->xs);
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &s->xcrs);
	s->nmsrs = __vcpu_ioctl(vcpu, KVM_GET_MSRS, &m.hdr);
	s->xfd = s->nmsrs > 0 ? m.e[0].data : 0;
	s->xfd_err = s->nmsrs > 1 ? m.e[1].data : 0;
}

static bool snap_equal(const struct snap *a, const struct snap *b)
{
	return !memcmp(&a->xs, &b->xs, sizeof(a->xs)) &&
	       !memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)) &&
	       a->nmsrs == b->nmsrs && a->xfd == b->xfd &&
	       a->xfd_err == b->xfd_err;
}

/* One letter for an ioctl's outcome. */
static char token(int r, int err)
{
	if (r >= 0)
		return 'a';
	switch (err) {
	case EINVAL: return 'E';
	case ENOMEM: return 'N';
	case EPERM: return 'P';
	case EFAULT: return 'F';
	case EOPNOTSUPP: return 'O';
	case ENXIO: return 'X';
	default: return '?';
	}
}

static struct gfpu_check unchanged = {
	"a refused call changes nothing (XSAVE, XCRs, XFD MSRs read back)" };
static struct gfpu_check xsave_back = {
	"a taken XSAVE image reads back (XMM, MXCSR)" };
static struct gfpu_check guest_sees = {
	"the guest finds a taken image's XMM and MXCSR in its registers" };
static struct gfpu_check xcr0_back = { "a taken XCR0 reads back" };

static unsigned long taken[3], refused[3];

/*
 * What a taken image must leave in the registers: its XMM registers, or
 * their init state (zeros) where XSTATE_BV leaves SSE out; MXCSR only
 * where it has SSE (otherwise the copy may keep the old one or load the
 * init value, depending on the other bits).
 */
static bool regs_match(const uint8_t *img, const uint8_t *xmm,
		       const uint8_t *mxcsr)
{
	bool sse = get_u64(img + HDR_OFF) & XFEATURE_MASK_SSE;
	uint8_t want[XMM_BYTES] = { 0 };

	if (sse)
		memcpy(want, img + XMM_OFF, XMM_BYTES);
	return !memcmp(xmm, want, XMM_BYTES) &&
	       (!sse || !memcmp(mxcsr, img + MXCSR_OFF, 4));
}

/* Run until the guest's next report, and compare it with @img. */
static void run_and_check(const uint8_t *img)
{
	const uint8_t *g = addr_gva2hva(vcpu->vm, (vm_vaddr_t)gbuf);

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == FUZZ_PORT,
		    "guest exit %u", vcpu->run->exit_reason);
	gfpu_check_record(&guest_sees, guest_sees.runs,
			  !regs_match(img, g, g + XMM_BYTES));
}

/* A random XSAVE image from the current one. */
static void mutate_xsave(struct kvm_xsave *xs)
{
	uint8_t *img = (uint8_t *)xs->region;
	uint64_t bv;
	unsigned int i;

	for (i = 0; i < XMM_BYTES; i += 8)
		put_u64(img + XMM_OFF + i, gfpu_rnd());
	/* MXCSR: valid bits mostly, reserved ones now and then. */
	if (gfpu_chance(15))
		put_u64(img + MXCSR_OFF,
			(get_u64(img + MXCSR_OFF) & ~0xffffffffull) |
			(uint32_t)gfpu_rnd());
	else
		put_u64(img + MXCSR_OFF,
			(get_u64(img + MXCSR_OFF) & ~0xffffffffull) |
			(0x1f80 ^ (gfpu_rnd() & 0x7f)));
	if (gfpu_chance(70))
		bv = XFEATURE_MASK_FP | (gfpu_rnd() & (kvm_xcr0 | XFEATURE_MASK_SSE));
	else
		bv = gfpu_rnd() & gfpu_rnd() & gfpu_rnd();
	put_u64(img + HDR_OFF, bv);
	put_u64(img + HDR_OFF + 8, gfpu_chance(10) ? 1ull << (gfpu_rnd() % 64) : 0);
	memset(img + HDR_OFF + 16, 0, 48);
	if (gfpu_chance(10))
		img[HDR_OFF + 16 + gfpu_rnd() % 48] = 1 + gfpu_rnd() % 255;
}

/* One call: returns its token. */
static char fuzz_one(void)
{
	struct snap before, after;
	int kind = gfpu_rnd() % 3, r, err;
	char t;

	take(&before);
	if (kind == 0) {
		struct kvm_xsave xs = before.xs;

		mutate_xsave(&xs);
		r = __vcpu_ioctl(vcpu, KVM_SET_XSAVE, &xs);
		err = errno;
		t = token(r, err);
		take(&after);
		if (!r) {
			const uint8_t *img = (uint8_t *)xs.region;
			const uint8_t *got = (uint8_t *)after.xs.region;

			gfpu_check_record(&xsave_back, xsave_back.runs,
					  !regs_match(img, got + XMM_OFF,
						      got + MXCSR_OFF));
			run_and_check(img);
		}
	} else if (kind == 1) {
		struct kvm_xcrs x = { .nr_xcrs = 1 };

		x.xcrs[0].xcr = 0;
		if (gfpu_chance(60))
			x.xcrs[0].value = XFEATURE_MASK_FP | (gfpu_rnd() & kvm_xcr0);
		else
			x.xcrs[0].value = gfpu_rnd() & 0xfffff;
		r = __vcpu_ioctl(vcpu, KVM_SET_XCRS, &x);
		err = errno;
		t = token(r, err);
		take(&after);
		if (!r)
			gfpu_check_record(&xcr0_back, xcr0_back.runs,
					  after.xcrs.xcrs[0].value !=
					  x.xcrs[0].value);
	} else {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e[1];
		} m = { .hdr.nmsrs = 1 };
		uint64_t v;

		m.e[0].index = gfpu_chance(50) ? MSR_XFD : MSR_XFD_ERR;
		v = gfpu_rnd();
		m.e[0].data = gfpu_chance(40) ? 0 : gfpu_chance(50) ? 1ull << 18 : v;
		r = __vcpu_ioctl(vcpu, KVM_SET_MSRS, &m.hdr);
		err = errno;
		t = r < 0 ? token(r, err) : '0' + r;
		take(&after);
		if (r == 1) {
			taken[kind]++;
			return t;
		}
		/* Not set: refused. */
		r = -1;
	}
	if (r) {
		refused[kind]++;
		gfpu_check_record(&unchanged, unchanged.runs,
				  !snap_equal(&before, &after));
	} else {
		taken[kind]++;
	}
	return t;
}

int main(int argc, char *argv[])
{
	unsigned long seed = 0x6766, calls = 10000, i;
	struct gfpu_fuzz_log log;
	time_t t0;
	struct kvm_vm *vm;

	if (argc > 1)
		seed = strtoul(argv[1], NULL, 0);
	if (argc > 2)
		calls = strtoul(argv[2], NULL, 0);
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_XSAVE));

	ksft_print_header();
	ksft_set_plan(5);
	gfpu_rnd_seed(seed);
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	kvm_xcr0 = kvm_cpu_supported_xcr0();
	/* The guest's first report: it is up. */
	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->io.port == FUZZ_PORT, "guest did not start");

	t0 = time(NULL);
	gfpu_fuzz_start(&log, "x86");
	for (i = 0; i < calls && time(NULL) - t0 <= TIME_CAP_S; i++)
		gfpu_fuzz_record(&log, fuzz_one());
	gfpu_fuzz_flush(&log);
	ksft_print_msg("fuzz: x86 seed %#lx calls %lu digest %016lx (KVM offers XCR0 %#lx)\n",
		       seed, log.calls, (unsigned long)log.digest,
		       (unsigned long)kvm_xcr0);
	ksft_print_msg("fuzz: taken/refused: XSAVE %lu/%lu, XCRS %lu/%lu, MSRS %lu/%lu in %lds\n",
		       taken[0], refused[0], taken[1], refused[1], taken[2],
		       refused[2], (long)(time(NULL) - t0));
	kvm_vm_free(vm);

	gfpu_check_report(&unchanged);
	gfpu_check_report(&xsave_back);
	gfpu_check_report(&guest_sees);
	gfpu_check_report(&xcr0_back);
	ksft_test_result(taken[0] && refused[0] && taken[1] && refused[1],
			 "the calls were both taken and refused (XSAVE %lu/%lu, XCRS %lu/%lu)\n",
			 taken[0], refused[0], taken[1], refused[1]);
	ksft_finished();
}
