// SPDX-License-Identifier: GPL-2.0
/*
 * fp_noext - a vCPU without V, and one without F and D (riscv64).
 *
 * The VMM takes the extension away through ONE_REG (KVM_REG_RISCV_ISA_EXT,
 * set to 0) before the vCPU's first KVM_RUN; 6.12 then runs the guest with
 * the HS-level sstatus.VS (resp. FS) Off. Even after the guest sets its own
 * sstatus.VS (FS) to Initial, its vector (F, D) instructions must trap as
 * illegal instructions, taken by the guest's own handler. The registers of
 * the missing extension must be absent from ONE_REG: GET and SET fail with
 * 6.12's ENOENT (arch/riscv/kvm/vcpu_vector.c, vcpu_fp.c) and change
 * nothing, and the extension cannot come back once the vCPU has run
 * (EBUSY). The V-less vCPU's f0-f31 must still survive its exits, as in
 * fp_smoke.
 *
 * What it catches: a backend that saves, restores or exposes the state of
 * an extension the vCPU does not have (a lazy policy's trap that turns the
 * unit on instead of handing the guest its illegal instruction), and
 * F/D switching that depends on V being there.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_riscv.h"

#define ITERATIONS	200
#define LONG_EXITS	200
#define SET_EVERY	4
#define MIGRATE_EVERY	16

#define INSN_ILLEGAL	2	/* scause: illegal instruction */

#define FP_F_ID(n)	(KVM_REG_RISCV | KVM_REG_SIZE_U32 | \
			 KVM_REG_RISCV_FP_F | (n))
#define FP_D_ID(n, size) (KVM_REG_RISCV | KVM_REG_SIZE_##size | \
			  KVM_REG_RISCV_FP_D | (n))
#define VEC_ID(n)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | \
			 KVM_REG_RISCV_VECTOR | (n))
#define FCSR_NUM	32

/* Guest memory: illegal-instruction traps taken, and the last one's epc. */
static uint64_t illegal_traps;
static uint64_t illegal_epc;

static void guest_illegal(struct ex_regs *regs)
{
	illegal_traps++;
	illegal_epc = regs->epc;
	regs->epc += 4;		/* none of the probes is compressed */
}

/* The guest turns V on itself, then vsetvli must trap. */
static void guest_no_v(volatile uint64_t *mmio)
{
	unsigned long vl;

	asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_VS_INITIAL));
	asm volatile(".option push\n\t.option arch, +v\n\t"
		     "vsetvli %0, zero, e64, m8, ta, ma\n\t"
		     ".option pop" : "=r" (vl) : : "memory");
	asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_FS_INITIAL));
	gfpu_guest_fregs_smoke(mmio, ITERATIONS, LONG_EXITS, SET_EVERY);
	GUEST_DONE();
}

/* The guest turns FP on itself, then an F and a D instruction must trap. */
static void guest_no_fd(void)
{
	asm volatile("csrs sstatus, %0" : : "r" (SSTATUS_FS_INITIAL));
	asm volatile(".option push\n\t.option norvc\n\t"
		     "fmv.w.x f1, zero\n\t"
		     "fmv.d.x f2, zero\n\t"
		     ".option pop" : : : "memory");
	GUEST_DONE();
}

/* A vCPU of a new VM with @exts (KVM_RISCV_ISA_EXT_*) turned off. */
static struct kvm_vcpu *vcpu_without(struct kvm_vm **vm, void *guest_code,
				     const unsigned long *exts, int n,
				     bool *off)
{
	struct kvm_vcpu *vcpu;
	int i, err;

	*vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_init_vector_tables(*vm);
	vcpu_init_vector_tables(vcpu);
	vm_install_exception_handler(*vm, INSN_ILLEGAL, guest_illegal);
	*off = true;
	for (i = 0; i < n; i++) {
		err = gfpu_isa_ext_set(vcpu, exts[i], 0);
		if (err)
			ksft_print_msg("ISA_EXT %lu to 0: %s\n", exts[i],
				       strerror(err));
		*off &= !err && gfpu_isa_ext_get(vcpu, exts[i]) == 0;
	}
	return vcpu;
}

/*
 * The traps the guest took: @want, all in its own handler. @known_bug:
 * without gfpu, fewer is 6.12's known bug (below), reported as a skip.
 */
static void report_traps(struct kvm_vm *vm, const char *who,
			 const char *what, uint64_t want, bool known_bug)
{
	sync_global_from_guest(vm, illegal_traps);
	sync_global_from_guest(vm, illegal_epc);
	if (known_bug && illegal_traps != want)
		ksft_test_result_skip("%s: the guest's %s ran (%lu of %lu trapped): 6.12 turns V off in the ISA only, its HS-level sstatus.VS stays Initial from vCPU creation (riscv_vcpu_set_isa_ext_single() resets FS, not VS)\n",
				      who, what, (unsigned long)illegal_traps,
				      (unsigned long)want);
	else
		ksft_test_result(illegal_traps == want,
				 "%s: the guest's %s trapped as illegal instruction in the guest (%lu of %lu, last at 0x%lx)\n",
				 who, what, (unsigned long)illegal_traps,
				 (unsigned long)want, (unsigned long)illegal_epc);
}

/* Once the vCPU has run, @ext cannot be turned back on. */
static int ext_back_on(struct kvm_vcpu *vcpu, unsigned long ext)
{
	int err = gfpu_isa_ext_set(vcpu, ext, 1);

	return err == EBUSY && gfpu_isa_ext_get(vcpu, ext) == 0;
}

static struct gfpu_smoke smoke = {
	.guest = { "V-less vCPU: guest f0-f31 survive exits" },
	.get = { "V-less vCPU: KVM_GET_ONE_REG returns the guest's live f regs" },
	.set = { "V-less vCPU: KVM_SET_ONE_REG reaches the guest's f regs" },
	.held = { "V-less vCPU: guest f0-f31 held across many exits" },
	.host = { "V-less vCPU: host f0-f31 survive KVM_RUN" },
	.iterations = ITERATIONS,
	.long_exits = LONG_EXITS,
	.migrate_every = MIGRATE_EVERY,
	.set_every = SET_EVERY,
	.regs_diff = gfpu_fregs_diff,
	.regs_set = gfpu_fregs_fill,
};

/* Every vector id is gone; @vlenb: the host's, for v0 and v31. */
static void no_v_regs(struct kvm_vcpu *vcpu, uint64_t vlenb)
{
	const struct gfpu_bad_reg cases[] = {
		{ "vstart", VEC_ID(0), ENOENT },
		{ "vtype", VEC_ID(2), ENOENT },
		{ "vlenb", VEC_ID(4), ENOENT },
		{ "v0", gfpu_vreg_id(vlenb, 0), ENOENT },
		{ "v31", gfpu_vreg_id(vlenb, 31), ENOENT },
	};
	uint64_t want[F_WORDS], got[F_WORDS];
	unsigned int bad;

	gfpu_pattern_fill(want, F_WORDS, GFPU_DOM_HOST_SET, 77);
	gfpu_fregs_set(vcpu, want);
	bad = gfpu_bad_regs(vcpu, cases, ARRAY_SIZE(cases));
	gfpu_fregs_get(vcpu, got);
	ksft_test_result(!bad && !memcmp(got, want, sizeof(got)) &&
			 gfpu_vcpu_vlenb(vcpu) == 0,
			 "V-less vCPU: %zu vector ONE_REG ids fail with ENOENT, f0-f31 unchanged\n",
			 ARRAY_SIZE(cases));
}

static void no_v(uint64_t vlenb)
{
	const unsigned long exts[] = { KVM_RISCV_ISA_EXT_V };
	const char *who = "V-less vCPU";
	struct gfpu_hooks hooks;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	bool off;
	int i;

	vcpu = vcpu_without(&vm, guest_no_v, exts, 1, &off);
	ksft_test_result(off, "%s: ISA_EXT V set to 0 before the first KVM_RUN\n",
			 who);
	if (!off) {
		for (i = 0; i < 9; i++)
			ksft_test_result_skip("%s: V could not be turned off\n",
					      who);
		kvm_vm_free(vm);
		return;
	}
	vcpu_args_set(vcpu, 1, gfpu_map_exit_page(vm, &smoke.exit_gpa));
	gfpu_smoke_run(&smoke, vcpu, gfpu_smoke_exit, &hooks);
	report_traps(vm, who, "vsetvli", 1, !hooks.have);
	gfpu_smoke_report(&smoke, &hooks);
	no_v_regs(vcpu, vlenb);
	ksft_test_result(ext_back_on(vcpu, KVM_RISCV_ISA_EXT_V),
			 "%s: V cannot be turned back on once it ran (EBUSY)\n",
			 who);
	kvm_vm_free(vm);
}

static void no_fd(uint64_t vlenb)
{
	const unsigned long exts[] = { KVM_RISCV_ISA_EXT_F, KVM_RISCV_ISA_EXT_D };
	const struct gfpu_bad_reg cases[] = {
		{ "F f0", FP_F_ID(0), ENOENT },
		{ "F fcsr", FP_F_ID(FCSR_NUM), ENOENT },
		{ "D f0", FP_D_ID(0, U64), ENOENT },
		{ "D f31", FP_D_ID(31, U64), ENOENT },
		{ "D fcsr", FP_D_ID(FCSR_NUM, U32), ENOENT },
	};
	uint64_t want[MAX_V_WORDS], got[MAX_V_WORDS];
	const char *who = "F/D-less vCPU";
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	struct kvm_vm *vm;
	unsigned int bad;
	bool off, same;

	vcpu = vcpu_without(&vm, guest_no_fd, exts, 2, &off);
	ksft_test_result(off, "%s: ISA_EXT F and D set to 0 before the first KVM_RUN\n",
			 who);
	if (!off) {
		ksft_test_result_skip("%s: F/D could not be turned off\n", who);
		ksft_test_result_skip("%s: F/D could not be turned off\n", who);
		ksft_test_result_skip("%s: F/D could not be turned off\n", who);
		kvm_vm_free(vm);
		return;
	}
	illegal_traps = 0;
	sync_global_to_guest(vm, illegal_traps);
	TEST_ASSERT(gfpu_run_to_ucall(vcpu, &uc) == UCALL_DONE,
		    "F/D-less guest did not finish");
	report_traps(vm, who, "fmv.w.x and fmv.d.x", 2, false);

	/* The vector registers, where the vCPU has them, are left alone. */
	if (vlenb) {
		gfpu_pattern_fill(want, gfpu_v_words(vlenb), GFPU_DOM_HOST_SET, 78);
		gfpu_vregs_set(vcpu, vlenb, want);
	}
	bad = gfpu_bad_regs(vcpu, cases, ARRAY_SIZE(cases));
	same = true;
	if (vlenb) {
		gfpu_vregs_get(vcpu, vlenb, got);
		same = !memcmp(got, want, gfpu_v_words(vlenb) * 8);
	}
	ksft_test_result(!bad && same,
			 "%s: %zu F/D ONE_REG ids fail with ENOENT, v0-v31 unchanged (vlenb %lu)\n",
			 who, ARRAY_SIZE(cases), (unsigned long)vlenb);
	ksft_test_result(ext_back_on(vcpu, KVM_RISCV_ISA_EXT_F) &&
			 ext_back_on(vcpu, KVM_RISCV_ISA_EXT_D),
			 "%s: F and D cannot be turned back on once it ran (EBUSY)\n",
			 who);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t vlenb;

	ksft_print_header();
	vm = vm_create_with_one_vcpu(&vcpu, guest_no_fd);
	vlenb = gfpu_vcpu_vlenb(vcpu);
	kvm_vm_free(vm);
	ksft_set_plan(14);
	ksft_print_msg("host vlenb %lu\n", (unsigned long)vlenb);

	if (vlenb && vlenb <= MAX_VLENB)
		no_v(vlenb);
	else
		for (int i = 0; i < 10; i++)
			ksft_test_result_skip("V-less vCPU: the vCPU has no V to take away (vlenb %lu)\n",
					      (unsigned long)vlenb);
	no_fd(vlenb <= MAX_VLENB ? vlenb : 0);
	ksft_finished();
}
