// SPDX-License-Identifier: GPL-2.0
/*
 * sve_smoke - guest and host SVE registers survive VM exits (arm64).
 *
 * An SVE vCPU at its maximum vector length (the highest length in
 * KVM_REG_ARM64_SVE_VLS) sets ZCR_EL1 for that length, loads Z0-Z31,
 * P0-P15 and FFR with a pattern that changes every iteration and exits to
 * userspace with the pattern live (MMIO stores inside one asm block), then
 * stores the registers and reports what it found. At some exits the host
 * reads the registers with KVM_GET_ONE_REG (ZREG, PREG, FFR, slice 0) and
 * compares them with the pattern, at others it writes a new one with
 * KVM_SET_ONE_REG, which the guest must then see. A second phase loads V0-
 * V31 with FP/SIMD loads after the SVE pattern: that zeroes Z bits
 * [VL-1:128], and the zeros must survive exits too. A last phase holds one
 * pattern across LONG_EXITS exits while the host thread hops between CPUs.
 * Every time, the guest also checks its V view of the registers against
 * bits [127:0] of its Z view.
 *
 * The host thread makes every KVM_RUN from inside an asm block that holds
 * its own Z/P/FFR pattern across the syscall, cycling through every vector
 * length the host supports (PR_SVE_SET_VL). The syscall ABI keeps Z bits
 * [127:0] and zeroes the rest, so exactly that must come back (a host
 * state saved lazily as FPSIMD while TIF_SVE still says SVE comes back with
 * stale bits there). Right after KVM_RUN it loads a fresh pattern and takes
 * a signal (UDF, SIGILL): the whole pattern must survive. That is the
 * regression test for host SVE state discarded after KVM_RUN (TIF_SVE and
 * the EL0 SVE trap left inconsistent, upstream fbc7e61195e2, 2025).
 *
 * What it catches: guest SVE state saved or restored at the wrong vector
 * length, as FPSIMD only, or from another iteration; P or FFR dropped; the
 * ONE_REG interface reading or writing a stale copy; the guest running at
 * the wrong vector length; host SVE state clobbered by or leaking from the
 * guest, or discarded after KVM_RUN.
 */
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define ITERATIONS	300	/* short phase: patterns, one GUEST_SYNC each */
#define EXITS		8	/* FP exits per iteration (short and V phases) */
#define GET_EVERY	4	/* host reads the registers at exits 2, 6 */
#define SET_EXIT	4	/* host writes them at this exit ... */
#define SET_EVERY	3	/* ... of every SET_EVERY-th iteration */
#define V_ITERATIONS	50	/* V-only phase */
#define LONG_EXITS	1000	/* exits with one pattern held throughout */
#define LONG_GET_EVERY	25	/* host reads the registers this often */
#define MIGRATE_EVERY	16	/* host thread changes CPU this often */
#define HOST_VL_EVERY	64	/* KVM_RUNs between host vector length changes */

enum {
	DOM_VONLY = GFPU_DOM_LONG + 1,	/* V pattern over an SVE pattern */
	DOM_SIGNAL,			/* host pattern across a signal */
};

/* What the guest stores to the exit page, and its GUEST_SYNC tag. */
enum { PH_VL = 1, PH_SHORT, PH_VONLY, PH_LONG };
#define WHAT(ph, i)	((uint64_t)(ph) | (uint64_t)(i) << 8)
#define WHAT_PH(w)	((w) & 0xff)
#define WHAT_I(w)	((w) >> 8)
#define LONG_SEED	BIT_ULL(20)

/* The pattern the guest's registers hold at iteration @i of phase @ph. */
static struct gfpu_sve_expect phase_expect(uint64_t ph, uint64_t i)
{
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_GUEST, .seed = i };

	if (ph == PH_VONLY) {
		e.seed = ITERATIONS + i;
		e.vonly = true;
		e.vdom = DOM_VONLY;
		e.vseed = i;
	} else if (ph == PH_LONG) {
		e.dom = GFPU_DOM_LONG;
		e.seed = LONG_SEED;
	}
	return e;
}

/* Guest memory: too big for the guest's stack. */
static struct gfpu_sve_regs g_in, g_out, g_exp;
static uint64_t g_vin[V_WORDS], g_vout[V_WORDS];

/*
 * Load g_in (and, for @vonly, then V0-V31 from g_vin), exit @count times
 * by storing @what to @mmio, store everything to g_out and g_vout.
 */
static void guest_hold(volatile uint64_t *mmio, uint64_t what,
		       uint32_t count, uint64_t vonly)
{
	asm volatile(SVE_LOAD
		     "cbz %[vonly], 2f\n\t"
		     V_ALL(V_LOAD)
		     "2: str %[what], [%[mmio]]\n\t"
		     "subs %w[count], %w[count], #1\n\t"
		     "b.ne 2b\n\t"
		     SVE_STORE
		     V_ALL(V_STORE)
		     : [count] "+r" (count)
		     : [zin] "r" (g_in.z), [pin] "r" (g_in.p), [fin] "r" (g_in.ffr),
		       [zout] "r" (g_out.z), [pout] "r" (g_out.p),
		       [fout] "r" (g_out.ffr), [in] "r" (g_vin), [out] "r" (g_vout),
		       [mmio] "r" (mmio), [what] "r" (what), [vonly] "r" (vonly)
		     : "memory", "cc", SVE_CLOBBERS);
}

/* Report g_out against @e, and the V view against Z bits [127:0]. */
static void guest_report(uint64_t what, unsigned int vl,
			 const struct gfpu_sve_expect *e)
{
	uint64_t vbad = 0;
	const uint64_t *z;
	int n;

	gfpu_sve_fill(&g_exp, vl, e);
	for (n = 0; n < NR_VREGS; n++) {
		z = (const uint64_t *)&g_out.z[n * vl];
		if (g_vout[2 * n] != z[0] || g_vout[2 * n + 1] != z[1])
			vbad |= BIT_ULL(n);
	}
	GUEST_SYNC3(what, gfpu_sve_cmp(&g_out, &g_exp, vl), vbad);
}

static void guest_code(volatile uint64_t *mmio, uint64_t max_vl)
{
	struct gfpu_sve_expect e;
	unsigned int vl;
	uint64_t i;

	gfpu_guest_fp_enable(max_vl);
	vl = gfpu_sve_rdvl();
	GUEST_SYNC3(WHAT(PH_VL, 0), vl, 0);

	for (i = 0; i < ITERATIONS; i++) {
		e = phase_expect(PH_SHORT, i);
		gfpu_sve_fill(&g_in, vl, &e);
		guest_hold(mmio, WHAT(PH_SHORT, i), EXITS, 0);
		if (i % SET_EVERY == 0)
			e.dom = GFPU_DOM_HOST_SET;
		guest_report(WHAT(PH_SHORT, i), vl, &e);
	}

	for (i = 0; i < V_ITERATIONS; i++) {
		e = phase_expect(PH_VONLY, i);
		e.vonly = false;
		gfpu_sve_fill(&g_in, vl, &e);
		gfpu_pattern_fill(g_vin, V_WORDS, DOM_VONLY, i);
		guest_hold(mmio, WHAT(PH_VONLY, i), EXITS, 1);
		e.vonly = true;
		guest_report(WHAT(PH_VONLY, i), vl, &e);
	}

	e = phase_expect(PH_LONG, 0);
	gfpu_sve_fill(&g_in, vl, &e);
	guest_hold(mmio, WHAT(PH_LONG, 0), LONG_EXITS, 0);
	guest_report(WHAT(PH_LONG, 0), vl, &e);

	GUEST_DONE();
}

/* What the bits of a failure mask stand for. */
#define SVE_LEGEND	"bits 0-31 Z, 32-47 P, 48 FFR"

static struct gfpu_check guest_regs = { "guest Z/P/FFR survive exits",
					SVE_LEGEND };
static struct gfpu_check get_reg = { "KVM_GET_ONE_REG returns the guest's live Z/P/FFR",
					SVE_LEGEND };
static struct gfpu_check set_reg = { "KVM_SET_ONE_REG reaches the guest's Z/P/FFR",
					SVE_LEGEND };
static struct gfpu_check v_view = { "guest V0-V31 read as Z0-Z31 bits [127:0]",
					SVE_LEGEND };
static struct gfpu_check vonly = { "FP/SIMD writes zero Z bits [VL-1:128], across exits too",
					SVE_LEGEND };
static struct gfpu_check long_regs = { "guest Z/P/FFR held across many exits and migrations",
					SVE_LEGEND };
static struct gfpu_check host_v = { "host Z bits [127:0] survive KVM_RUN",
					SVE_LEGEND };
static struct gfpu_check host_zero = { "host Z bits [VL-1:128], P, FFR read zero after KVM_RUN (syscall ABI)",
					SVE_LEGEND };
static struct gfpu_check host_sig = { "host Z/P/FFR survive a signal right after KVM_RUN",
					SVE_LEGEND };

static unsigned int vcpu_vl;		/* the guest's: the vCPU's maximum */
static unsigned int host_vls[SVE_VL_MAX_BYTES / 16], nr_host_vls;
static unsigned int host_vl;		/* the host thread's, now */
static unsigned long host_runs;

/* Host memory for the host thread's own registers. */
static struct gfpu_sve_regs h_in, h_out;

static void set_host_vl(unsigned int vl)
{
	int ret = prctl(PR_SVE_SET_VL, vl);

	TEST_ASSERT(ret >= 0, "PR_SVE_SET_VL %u: %s", vl, strerror(errno));
	host_vl = ret & PR_SVE_VL_LEN_MASK;
	TEST_ASSERT(host_vl == vl && gfpu_sve_rdvl() == vl,
		    "host VL %u, rdvl %u, asked for %u", host_vl,
		    gfpu_sve_rdvl(), vl);
}

/* Every vector length the host thread can have, smallest first. */
static void find_host_vls(void)
{
	unsigned int vq;
	int ret;

	for (vq = 1; vq <= SVE_VL_MAX_BYTES / 16; vq++) {
		ret = prctl(PR_SVE_SET_VL, vq * 16);
		TEST_ASSERT(ret >= 0, "PR_SVE_SET_VL: %s", strerror(errno));
		ret &= PR_SVE_VL_LEN_MASK;
		if (!nr_host_vls || host_vls[nr_host_vls - 1] != (unsigned int)ret)
			host_vls[nr_host_vls++] = ret;
	}
}

/* Bits [127:0] of each Z register vs @in; bit n set: Zn differs. */
static uint64_t host_low_diff(void)
{
	uint64_t bad = 0;
	int n;

	for (n = 0; n < NR_ZREGS; n++)
		if (memcmp(&h_out.z[n * host_vl], &h_in.z[n * host_vl], 16))
			bad |= BIT_ULL(n);
	return bad;
}

/* Everything else must be zero: Z bits [VL-1:128], P, FFR. */
static uint64_t host_rest_diff(void)
{
	uint64_t bad = 0;
	unsigned int n, k;

	for (n = 0; n < NR_ZREGS; n++)
		for (k = 16; k < host_vl; k++)
			if (h_out.z[n * host_vl + k])
				bad |= BIT_ULL(n);
	for (n = 0; n < NR_PREGS; n++)
		for (k = 0; k < host_vl / 8; k++)
			if (h_out.p[n * host_vl / 8 + k])
				bad |= SVE_DIFF_P(n);
	for (k = 0; k < host_vl / 8; k++)
		if (h_out.ffr[k])
			bad |= SVE_DIFF_FFR;
	return bad;
}

/*
 * KVM_RUN from inside an asm block that holds a host Z/P/FFR pattern
 * across the syscall, then a fresh pattern across a signal. Retries on
 * EINTR like vcpu_run().
 */
static void run_holding_sve(struct gfpu_loop *l)
{
	struct kvm_vcpu *vcpu = l->vcpu;
	struct gfpu_sve_expect e = { .dom = GFPU_DOM_HOST };
	static unsigned long calls;
	long ret;

	if (calls++ % HOST_VL_EVERY == 0)
		set_host_vl(host_vls[calls / HOST_VL_EVERY % nr_host_vls]);
	do {
		e.seed = ++host_runs;
		gfpu_sve_fill(&h_in, host_vl, &e);
		/* No function call between these and the asm. */
		register long x0 asm("x0") = vcpu->fd;
		register long x1 asm("x1") = KVM_RUN;
		register long x2 asm("x2") = 0;
		register long x8 asm("x8") = __NR_ioctl;

		asm volatile(SVE_LOAD
			     "svc #0\n\t"
			     SVE_STORE
			     : "+r" (x0)
			     : "r" (x1), "r" (x2), "r" (x8),
			       [zin] "r" (h_in.z), [pin] "r" (h_in.p),
			       [fin] "r" (h_in.ffr), [zout] "r" (h_out.z),
			       [pout] "r" (h_out.p), [fout] "r" (h_out.ffr)
			     : "memory", SVE_CLOBBERS);
		ret = x0;
		gfpu_check_record(&host_v, host_runs, host_low_diff());
		gfpu_check_record(&host_zero, host_runs, host_rest_diff());
	} while (ret == -EINTR);
	TEST_ASSERT(!ret, "KVM_RUN %lu failed: %ld (%s)", host_runs, ret,
		    strerror(-ret));

	e.dom = DOM_SIGNAL;
	gfpu_sve_fill(&h_in, host_vl, &e);
	asm volatile(SVE_LOAD
		     "udf #0\n\t"
		     SVE_STORE
		     :
		     : [zin] "r" (h_in.z), [pin] "r" (h_in.p), [fin] "r" (h_in.ffr),
		       [zout] "r" (h_out.z), [pout] "r" (h_out.p),
		       [fout] "r" (h_out.ffr)
		     : "memory", SVE_CLOBBERS);
	gfpu_check_record(&host_sig, host_runs, gfpu_sve_cmp(&h_out, &h_in, host_vl));
	assert_on_unhandled_exception(vcpu);
}

static struct gfpu_sve_regs v_got, v_exp;

/* Compare the vCPU's registers with @e through ONE_REG. */
static uint64_t vcpu_sve_diff(struct kvm_vcpu *vcpu,
			      const struct gfpu_sve_expect *e)
{
	uint64_t bad = gfpu_sve_get(vcpu, &v_got, vcpu_vl);

	gfpu_sve_fill(&v_exp, vcpu_vl, e);
	return bad | gfpu_sve_cmp(&v_got, &v_exp, vcpu_vl);
}

struct fp_exit_state {
	uint64_t what;			/* of the current hold */
	unsigned int nr;		/* exits in it so far */
	struct gfpu_sve_expect cur;	/* what the registers hold now */
};

static unsigned long long_exits, migrations;

static void handle_fp_exit(struct kvm_vcpu *vcpu, struct fp_exit_state *s,
			   uint64_t what)
{
	uint64_t ph = WHAT_PH(what), i = WHAT_I(what);

	if (what != s->what) {
		s->what = what;
		s->nr = 0;
		s->cur = phase_expect(ph, i);
	}
	s->nr++;

	switch (ph) {
	case PH_SHORT:
		if (s->nr % GET_EVERY == 2)
			gfpu_check_record(&get_reg, i, vcpu_sve_diff(vcpu, &s->cur));
		if (s->nr == SET_EXIT && i % SET_EVERY == 0) {
			s->cur.dom = GFPU_DOM_HOST_SET;
			gfpu_sve_fill(&v_exp, vcpu_vl, &s->cur);
			gfpu_sve_set(vcpu, &v_exp, vcpu_vl);
			gfpu_check_record(&set_reg, i, vcpu_sve_diff(vcpu, &s->cur));
		}
		break;
	case PH_VONLY:
		if (s->nr % GET_EVERY == 2)
			gfpu_check_record(&vonly, i, vcpu_sve_diff(vcpu, &s->cur));
		break;
	case PH_LONG:
		if (++long_exits % LONG_GET_EVERY == 0)
			gfpu_check_record(&long_regs, long_exits,
					  vcpu_sve_diff(vcpu, &s->cur));
		migrations += gfpu_migrate_every(long_exits, MIGRATE_EVERY);
		break;
	default:
		TEST_FAIL("FP exit 0x%lx", (unsigned long)what);
	}
}

/* The guest's verdict on hold number @n: args[1] Z/P/FFR, args[2] V view. */
static void handle_report(const struct ucall *uc, unsigned long n)
{
	uint64_t want = n < ITERATIONS ? WHAT(PH_SHORT, n) :
			n < ITERATIONS + V_ITERATIONS ?
			WHAT(PH_VONLY, n - ITERATIONS) : WHAT(PH_LONG, 0);
	uint64_t i = WHAT_I(want);

	TEST_ASSERT(uc->args[0] == want, "guest report 0x%lx, expected 0x%lx",
		    (unsigned long)uc->args[0], (unsigned long)want);
	gfpu_check_record(&v_view, n, uc->args[2]);
	switch (WHAT_PH(want)) {
	case PH_SHORT:
		gfpu_check_record(i % SET_EVERY ? &guest_regs : &set_reg, i,
				  uc->args[1]);
		break;
	case PH_VONLY:
		gfpu_check_record(&vonly, i, uc->args[1]);
		break;
	default:
		gfpu_check_record(&long_regs, LONG_EXITS, uc->args[1]);
	}
}

static struct fp_exit_state fps;
static vm_paddr_t exit_gpa;
static unsigned long reports;

static bool loop_exit(struct gfpu_loop *l)
{
	uint64_t what;

	if (!gfpu_exit_mmio(l->vcpu, exit_gpa, &what))
		return false;
	handle_fp_exit(l->vcpu, &fps, what);
	return true;
}

/* The guest's VL first, then its verdict on each hold. */
static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	if (uc->args[0] != WHAT(PH_VL, 0)) {
		handle_report(uc, reports++);
		return;
	}
	TEST_ASSERT(!reports, "VL reported late");
	ksft_test_result(uc->args[1] == vcpu_vl,
			 "guest runs at the vCPU's maximum VL from KVM_REG_ARM64_SVE_VLS (%lu bytes, expected %u)\n",
			 (unsigned long)uc->args[1], vcpu_vl);
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.run = run_holding_sve,
		.exit = loop_exit,
		.sync = loop_sync,
	};
	struct gfpu_hooks hooks;
	struct kvm_vm *vm;
	int ncpus;

	ksft_print_header();
	if (!(getauxval(AT_HWCAP) & HWCAP_SVE))
		ksft_exit_skip("the host has no SVE (HWCAP_SVE)\n");
	if (!kvm_has_cap(KVM_CAP_ARM_SVE))
		ksft_exit_skip("KVM has no SVE for guests (KVM_CAP_ARM_SVE)\n");
	ksft_set_plan(11);

	gfpu_sigill_skips_udf();
	find_host_vls();
	vm = vm_create(1);
	loop.vcpu = gfpu_sve_vcpu_add(vm, guest_code, &vcpu_vl);
	vcpu_args_set(loop.vcpu, 2, gfpu_map_exit_page(vm, &exit_gpa), vcpu_vl);
	ncpus = gfpu_migrate_init();
	ksft_print_msg("vCPU VL %u bytes; host VLs %u..%u bytes (%u of them); host thread on %d CPUs\n",
		       vcpu_vl, host_vls[0], host_vls[nr_host_vls - 1],
		       nr_host_vls, ncpus);

	gfpu_run_loop(&loop);
	TEST_ASSERT(reports == ITERATIONS + V_ITERATIONS + 1,
		    "%lu guest reports", reports);
	ksft_print_msg("%lu KVM_RUNs, %lu long-phase exits, %lu migrations\n",
		       host_runs, long_exits, migrations);
	gfpu_hooks_read(loop.vcpu, &hooks);
	kvm_vm_free(vm);

	gfpu_check_report(&guest_regs);
	gfpu_check_report(&get_reg);
	gfpu_check_report(&set_reg);
	gfpu_check_report(&v_view);
	gfpu_check_report(&vonly);
	gfpu_check_report(&long_regs);
	gfpu_check_report(&host_v);
	gfpu_check_report(&host_zero);
	gfpu_check_report(&host_sig);
	gfpu_hooks_report(&hooks, host_runs);
	ksft_finished();
}
