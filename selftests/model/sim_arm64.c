// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated arm64 machine for the model.  The framework's core, the arm64
 * backend and the arm64 hardware layer (arch/arm64/gfpu_arm64_hw.c, the
 * kernel's own file) are compiled in unchanged, against the 6.12 kernel
 * interface of include-arm64/arm64_kernel.h: the host's fpsimd core
 * (fpsimd_last_state, TIF_FOREIGN_FPSTATE, TIF_SVE, the save, bind and
 * reload functions) is written there as 6.12 writes it.
 *
 * This file is the machine under it: per CPU the registers V0-V31 (with
 * FPSR/FPCR), the Z bits above V and P/FFR, abstracted to one value each
 * (a pattern naming its owner, model.h) and stored to memory in the real
 * layouts (struct user_fpsimd_state, the SVE signal-frame layout at a
 * vector length), with every word keyed by its register so that a wrong
 * offset, size or vector length shows; the effective VL (ZCR), the EL0
 * SVE trap (CPACR_EL1.ZEN), hyp's guest FP/SVE trap and restore
 * (kvm_hyp_handle_fpsimd() with gfpu's hand-back), and what VM exit does
 * to the EL0 SVE trap under VHE, hVHE and nVHE.  The events drive it the
 * way KVM's arm64 glue (kernel/patches/6.12/0002) calls the hooks.
 */
#include <stdio.h>
#include "model.h"
#include "sim_regfile.h"
#include "include-arm64/arm64_kernel.h"
#include "gfpu_core.c"
#include "gfpu_arm64.c"
#include "gfpu_arm64_hw.c"

const char *const sim_arch = "arm64";

#define FPSIMD_BYTES	sizeof(struct user_fpsimd_state)
#define SVE_BYTES(vl)	SVE_SIG_REGS_SIZE(sve_vq_from_vl(vl))

/* === Configurations ==================================================== */

enum sim_exit {
	EXIT_VHE,	/* CPACR_EL1 reset: EL0 SVE trapped */
	EXIT_HVHE,	/* EL0 SVE untrapped unless the SVE guest owns the regs */
	EXIT_NVHE,	/* the host's CPACR_EL1 comes back unchanged */
};

/**
 * struct sim_config - one machine the explorer runs (a "policy" for it)
 * @policy: gfpu_set_policy() at boot.
 * @guest_vl: the vCPU's SVE vector length, 0: an FPSIMD-only vCPU.
 * @host_vl: the VMM's (and other tasks') SVE vector length.
 * @exit: how VM exit leaves the EL0 SVE trap.
 * @vmm_sve: the VMM has used SVE before the first event (TIF_SVE set).
 * @switching: the "policy" event may change the global policy anywhere.
 * @sme_late: the policy was given on the command line, then the CPU
 *	capabilities were finalised with SME (system_supports_sme() true).
 */
struct sim_config {
	unsigned int policy;
	u32 guest_vl, host_vl;
	enum sim_exit exit;
	bool vmm_sve, switching, sme_late;
};

#define LAZY	GFPU_POLICY_LAZY_HOST
#define KEEP	GFPU_POLICY_KEEP_BOUND
#define ENTRY	GFPU_POLICY_SWAP_ENTRY
/* The policies an SME host refuses (gfpu_hw_supported_policies()). */
#define NO_SME	(LAZY | ENTRY)

#define F	false
#define T	true

static const struct sim_config configs[] = {
	/* policy guest_vl host_vl exit    vmm_sve switching sme_late */
	{ 0,    64, 128, EXIT_VHE,  F, F, F },
	{ LAZY, 16,  16, EXIT_NVHE, F, F, F },
	{ LAZY,  0,  64, EXIT_HVHE, T, F, F },
	{ 0,   256,  64, EXIT_VHE,  T, F, F },
	{ LAZY, 32, 256, EXIT_HVHE, T, T, F },
	{ LAZY, 64, 128, EXIT_VHE,  T, F, T },
	{ KEEP, 64, 128, EXIT_VHE,  F, F, F },
	{ KEEP | LAZY, 0, 64, EXIT_NVHE, T, T, F },
	{ ENTRY, 64, 128, EXIT_VHE,  F, F, F },
	{ ENTRY,  0,  64, EXIT_NVHE, T, F, F },
	{ ENTRY | KEEP, 32, 256, EXIT_HVHE, T, T, F },
	{ ENTRY, 16, 64, EXIT_VHE,  T, F, T },
};

#undef F
#undef T

const struct model_policy sim_policies[] = {
	{ "eager-host", 0 },
	{ "lazy-host/vl16/host16/nVHE", 1 },
	{ "lazy-host/fpsimd-vcpu/hVHE/host-sve", 2 },
	{ "eager-host/vl256/host64/host-sve", 3 },
	{ "lazy-host/vl32/host256/hVHE/host-sve/policy-switching", 4 },
	{ "lazy-host-cmdline/sme-late", 5 },
	{ "keep-bound", 6 },
	{ "keep-bound+lazy-host/fpsimd-vcpu/nVHE/host-sve/policy-switching", 7 },
	{ "entry", 8 },
	{ "entry/fpsimd-vcpu/nVHE/host-sve", 9 },
	{ "entry+keep-bound/vl32/host256/hVHE/host-sve/policy-switching", 10 },
	{ "entry-cmdline/vl16/host-sve/sme-late", 11 },
};
const int sim_nr_policies = ARRAY_SIZE(sim_policies);
static_assert(ARRAY_SIZE(sim_policies) == ARRAY_SIZE(configs));

/* === The machine ======================================================= */

struct sim_task {
	struct task_struct ts;
	enum model_ctx ctx;
	/* What its userspace last wrote. */
	u64 exp_v, exp_zhi, exp_p;
	bool exp_sve;
};

struct sim_cpu {
	u64 v, zhi, p;		/* V/FPSR/FPCR, Z above V, P/FFR */
	u32 vl;			/* effective ZCR */
	bool zen;		/* CPACR_EL1.ZEN: EL0 SVE not trapped */
	struct sim_task *cur, *prev;
	bool guest_mode;
};

/* The vCPU's buffer at VL 256 and the VMM's at VL 64, or the VMM's at
 * VL 256 and two vCPU buffers at VL 32 (a reallocation). */
#define ARENA_BYTES	11008
#define ARENA_BLOCKS	4

static struct sim_world {
	const struct sim_config *cfg;
	struct sim_cpu cpu[MODEL_NR_CPUS];
	struct sim_task vmm, other[MODEL_NR_CPUS];
	struct kvm_vcpu kvcpu;		/* KVM's vCPU; gfpu inside */
	struct gfpu_vcpu *v;		/* &kvcpu.arch.gfpu, or NULL */
	bool ran, sme, softirq;
	/*
	 * Between KVM's vcpu_load() and vcpu_put() (its preempt notifier is
	 * registered, through preemption too); what the primitives moved for
	 * the vCPU meanwhile (kvm_count_fpu_xfer()).
	 */
	bool loaded;
	struct model_prim prim;
	unsigned int run_policy;	/* what this KVM_RUN must have latched */
	unsigned int warnings;		/* pr_warn_once() calls */
	u64 g_exp_v, g_exp_zhi, g_exp_p;
	struct { u32 off, size; } blk[ARENA_BLOCKS];
	_Alignas(16) u8 arena[ARENA_BYTES];
} w;

/* The 6.12 kernel's per-CPU and global data. */
struct cpu_fp_state fpsimd_last_state[MODEL_NR_CPUS];
struct kvm_host_data kvm_host_data[MODEL_NR_CPUS];
unsigned int kvm_sve_max_vl;

const struct model_region sim_regions[] = {
	{ &w, sizeof(w) },
	{ &gfpu_cpus, sizeof(gfpu_cpus) },
	{ &gfpu_global_policy, sizeof(gfpu_global_policy) },
	{ &fpsimd_last_state, sizeof(fpsimd_last_state) },
	{ &kvm_host_data, sizeof(kvm_host_data) },
	{ &kvm_sve_max_vl, sizeof(kvm_sve_max_vl) },
};
const int sim_nr_regions = ARRAY_SIZE(sim_regions);

static struct sim_cpu *cpu(void)
{
	return &w.cpu[mc.cur_cpu];
}

static u32 guest_vl(void)
{
	return gfpu_arm64_hw_sve_vl(w.v);
}

static u32 host_max_vl(void)
{
	return w.cfg->guest_vl > w.cfg->host_vl ? w.cfg->guest_vl :
		w.cfg->host_vl;
}

struct task_struct *sim_current(void)
{
	return &cpu()->cur->ts;
}

bool sim_supports_sve(void)
{
	return true;
}

bool sim_supports_sme(void)
{
	return w.sme;
}

bool sim_in_softirq(void)
{
	return w.softirq;
}

void sim_pr_warn_once(const char *msg)
{
	w.warnings++;
	model_note("pr_warn_once: %s", msg);
}

/* --- kzalloc(): small objects from the model's arena, SVE buffers here --- */

/* Buffers sim_kzalloc() has handed out and kfree() not yet taken back. */
static int sim_blocks_used(void)
{
	int i, n = 0;

	for (i = 0; i < ARENA_BLOCKS; i++)
		n += !!w.blk[i].size;
	return n;
}

void *sim_kzalloc(size_t size)
{
	u32 off = 0;
	int i, j, free_blk = -1;

	if (size <= MODEL_SLOT_SIZE)
		return model_zalloc(size);
	if (mc.fail_alloc) {
		mc.fail_alloc = false;
		return NULL;
	}
	for (i = 0; i < ARENA_BLOCKS; i++)
		if (!w.blk[i].size && free_blk < 0)
			free_blk = i;
	/* First fit: try offset 0 and the end of every block. */
	for (i = -1; i < ARENA_BLOCKS && free_blk >= 0; i++) {
		bool clash = false;

		if (i >= 0) {
			if (!w.blk[i].size)
				continue;
			off = (w.blk[i].off + w.blk[i].size + 15) & ~15U;
		}
		if (off + size > ARENA_BYTES)
			continue;
		for (j = 0; j < ARENA_BLOCKS; j++)
			if (w.blk[j].size && off < w.blk[j].off + w.blk[j].size &&
			    w.blk[j].off < off + size)
				clash = true;
		if (clash)
			continue;
		w.blk[free_blk].off = off;
		w.blk[free_blk].size = size;
		memset(w.arena + off, 0, size);
		return w.arena + off;
	}
	model_fail("SVE arena exhausted allocating %zu bytes (leak?)", size);
	return NULL;
}

void sim_kfree(const void *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < ARENA_BLOCKS; i++) {
		if (w.blk[i].size && p == w.arena + w.blk[i].off) {
			memset(w.arena + w.blk[i].off, 0x6b, w.blk[i].size);
			w.blk[i].size = 0;
			return;
		}
	}
	model_free((void *)p);
}

/* An SVE register block at [@p, @p + @size) must lie in one allocation. */
static bool in_block(const void *p, size_t size)
{
	const u8 *b = p;
	int i;

	for (i = 0; i < ARENA_BLOCKS; i++)
		if (w.blk[i].size && b >= w.arena + w.blk[i].off &&
		    b + size <= w.arena + w.blk[i].off + w.blk[i].size)
			return true;
	model_fail("SVE state access of %zu bytes outside any SVE buffer", size);
	return false;
}

/* === Register images =================================================== */

static void img_fpsimd(struct user_fpsimd_state *st, u64 v)
{
	unsigned int n;

	for (n = 0; n < 32; n++) {
		u64 lo = enc(v, key(GFPU_ARM64_V, n, 0));
		u64 hi = enc(v, key(GFPU_ARM64_V, n, 1));

		st->vregs[n] = ((__uint128_t)hi << 64) | lo;
	}
	st->fpsr = (u32)enc(v, key(GFPU_ARM64_FPSR, 0, 0));
	st->fpcr = (u32)(enc(v, key(GFPU_ARM64_FPCR, 0, 0)) >> 32);
}

/* Z0-Z31, P0-P15, FFR at @vl, from offset SVE_SIG_REGS_OFFSET. */
static void img_sve(u8 *buf, u32 vl, u64 v, u64 zhi, u64 p)
{
	unsigned int vq = sve_vq_from_vl(vl), n, j;
	u8 *preg = buf + SVE_SIG_PREGS_OFFSET(vq) - SVE_SIG_REGS_OFFSET;
	size_t pbytes = SVE_SIG_PREGS_SIZE(vq) + SVE_SIG_FFR_SIZE(vq), b;

	for (n = 0; n < SVE_NUM_ZREGS; n++) {
		u64 *z = (u64 *)(buf + SVE_SIG_ZREG_OFFSET(vq, n) -
				 SVE_SIG_REGS_OFFSET);

		z[0] = enc(v, key(GFPU_ARM64_V, n, 0));
		z[1] = enc(v, key(GFPU_ARM64_V, n, 1));
		for (j = 2; j < vl / 8; j++)
			z[j] = enc(zhi, key(GFPU_ARM64_Z, n, j));
	}
	for (b = 0; b < pbytes; b++) {
		u64 word = enc(p, key(GFPU_ARM64_P, 0, b / 8));

		preg[b] = word >> (8 * (b % 8));
	}
}

static union {
	struct user_fpsimd_state st;
	u8 sve[8736];
} scratch;

/* Decode an FPSIMD image; false (a failure) when it is not one value's. */
static bool dec_fpsimd(const struct user_fpsimd_state *st, u64 *v)
{
	*v = dec((u64)st->vregs[0], key(GFPU_ARM64_V, 0, 0));
	img_fpsimd(&scratch.st, *v);
	if (memcmp(scratch.st.vregs, st->vregs, sizeof(st->vregs)) ||
	    scratch.st.fpsr != st->fpsr || scratch.st.fpcr != st->fpcr) {
		model_fail("corrupt FPSIMD image loaded (V0 says %#llx)",
			   (unsigned long long)*v);
		return false;
	}
	return true;
}

static bool dec_sve(const u8 *buf, u32 vl, u64 *v, u64 *zhi, u64 *p)
{
	unsigned int vq = sve_vq_from_vl(vl);
	const u8 *preg = buf + SVE_SIG_PREGS_OFFSET(vq) - SVE_SIG_REGS_OFFSET;
	u64 w0;

	if (!in_block(buf, SVE_BYTES(vl)))
		return false;
	memcpy(&w0, buf, 8);
	*v = dec(w0, key(GFPU_ARM64_V, 0, 0));
	*zhi = 0;
	if (vl > 16) {
		memcpy(&w0, buf + 16, 8);
		*zhi = dec(w0, key(GFPU_ARM64_Z, 0, 2));
	}
	memcpy(&w0, preg, 8);
	*p = dec(w0, key(GFPU_ARM64_P, 0, 0));
	img_sve(scratch.sve, vl, *v, *zhi, *p);
	if (memcmp(scratch.sve, buf, SVE_BYTES(vl))) {
		model_fail("corrupt SVE image loaded at VL %u (Z0 says %#llx)",
			   vl, (unsigned long long)*v);
		return false;
	}
	return true;
}

/* === The simulated CPU's instructions and system registers ============= */

static void set_vl(u32 vl)
{
	struct sim_cpu *c = cpu();

	if (vl > host_max_vl())
		vl = host_max_vl();
	if (c->vl != vl)
		c->zhi = c->p = 0;	/* what was above the old VL is gone */
	c->vl = vl;
}

void fpsimd_save_state(struct user_fpsimd_state *state)
{
	img_fpsimd(state, cpu()->v);
	model_count(true, FPSIMD_BYTES);
}

void fpsimd_load_state(struct user_fpsimd_state *state)
{
	struct sim_cpu *c = cpu();
	u64 v;

	if (!dec_fpsimd(state, &v))
		return;
	c->v = v;
	c->zhi = 0;	/* writing V zeroes the rest of Z */
	model_count(false, FPSIMD_BYTES);
}

/* @state points at FFR; FPSR/FPCR go to @pfpsr as in the kernel. */
void sve_save_state(void *state, u32 *pfpsr, int save_ffr)
{
	struct sim_cpu *c = cpu();
	u8 *buf = (u8 *)state - sve_ffr_offset(c->vl);
	struct user_fpsimd_state *st =
		(void *)((u8 *)pfpsr - offsetof(struct user_fpsimd_state, fpsr));

	if (!in_block(buf, SVE_BYTES(c->vl)))
		return;
	img_sve(buf, c->vl, c->v, c->zhi, c->p);
	img_fpsimd(&scratch.st, c->v);
	st->fpsr = scratch.st.fpsr;
	st->fpcr = scratch.st.fpcr;
	model_count(true, SVE_BYTES(c->vl));
}

void sve_load_state(void const *state, u32 const *pfpsr, int restore_ffr)
{
	struct sim_cpu *c = cpu();
	const u8 *buf = (const u8 *)state - sve_ffr_offset(c->vl);
	u64 v, zhi, p;

	if (!dec_sve(buf, c->vl, &v, &zhi, &p))
		return;
	img_fpsimd(&scratch.st, v);
	if (pfpsr[0] != scratch.st.fpsr || pfpsr[1] != scratch.st.fpcr)
		model_fail("FPSR/FPCR do not match the SVE state loaded");
	c->v = v;
	c->zhi = zhi;
	c->p = p;
	model_count(false, SVE_BYTES(c->vl));
}

void sve_flush_live(bool flush_ffr, unsigned long vq_minus_1)
{
	cpu()->zhi = 0;
	cpu()->p = 0;
}

unsigned int sve_get_vl(void)
{
	return cpu()->vl;
}

void sve_set_vq(unsigned long vq_minus_1)
{
	set_vl((vq_minus_1 + 1) * SVE_VQ_BYTES);
}

void sim_cpacr_zen_el0(bool on)
{
	cpu()->zen = on;
}

/* === Hyp: the guest's FP/SVE trap ====================================== */

/*
 * The counting patch: a transfer is the vCPU's when current, on the CPU
 * it runs on (in a softirq too), has it loaded.
 */
void kvm_count_fpu_xfer(bool save, u64 bytes)
{
	if (!w.loaded || cpu()->cur != &w.vmm)
		return;
	model_prim_count(&w.prim, save, bytes);
}

/*
 * kvm_hyp_handle_fpsimd() with gfpu: false when it handed the trap back
 * (the host's state is live, GFPU_FP_RETRY) and the vCPU exits.
 */
static bool hyp_handle_fpsimd(void)
{
	struct kvm_vcpu *vcpu = &w.kvcpu;

	if (host_owns_fp_regs()) {
		vcpu->arch.fp_retry = true;
		return false;
	}
	if (vcpu_has_sve(vcpu)) {
		/* __hyp_sve_restore_guest(): ZCR_EL2 at the vCPU's max VL. */
		set_vl(vcpu->arch.sve_max_vl);
		sve_load_state(vcpu_sve_pffr(vcpu),
			       &vcpu->arch.ctxt.fp_regs.fpsr, true);
		kvm_count_fpu_xfer(false, SVE_SIG_REGS_SIZE(vcpu_sve_max_vq(vcpu)));
	} else {
		fpsimd_load_state(&vcpu->arch.ctxt.fp_regs);
		kvm_count_fpu_xfer(false, sizeof(struct user_fpsimd_state));
	}
	*host_data_ptr(fp_owner) = FP_STATE_GUEST_OWNED;
	return true;
}

/* === Checks ============================================================ */

static void task_check(struct sim_task *t, const char *who)
{
	struct sim_cpu *c = cpu();
	bool tif_sve = test_tsk_thread_flag(&t->ts, TIF_SVE);

	if (c->zen != tif_sve)
		model_fail("%s runs with EL0 SVE %s but TIF_SVE %s", who,
			   c->zen ? "untrapped" : "trapped",
			   tif_sve ? "set" : "clear");
	if (c->v != t->exp_v)
		model_fail("%s reads V = %#llx (owner ctx %u), wrote %#llx", who,
			   (unsigned long long)c->v, PAT_CTX(c->v),
			   (unsigned long long)t->exp_v);
	if (!t->exp_sve)
		return;
	if (!c->zen) {
		/* Its next SVE access traps and starts from zero. */
		if (t->exp_zhi || t->exp_p)
			model_fail("%s's SVE state was discarded (TIF_SVE clear)", who);
		return;
	}
	if (c->vl != t->ts.thread.sve_vl)
		model_fail("%s runs at VL %u, its VL is %u", who, c->vl,
			   t->ts.thread.sve_vl);
	if (c->zhi != t->exp_zhi || c->p != t->exp_p)
		model_fail("%s reads Z/P = %#llx/%#llx (ctx %u/%u), wrote %#llx/%#llx",
			   who, (unsigned long long)c->zhi,
			   (unsigned long long)c->p, PAT_CTX(c->zhi),
			   PAT_CTX(c->p), (unsigned long long)t->exp_zhi,
			   (unsigned long long)t->exp_p);
}

static void guest_check(void)
{
	struct sim_cpu *c = cpu();

	if (c->v != w.g_exp_v)
		model_fail("guest reads V = %#llx (owner ctx %u), wrote %#llx",
			   (unsigned long long)c->v, PAT_CTX(c->v),
			   (unsigned long long)w.g_exp_v);
	if (!guest_vl())
		return;
	if (c->vl != guest_vl())
		model_fail("guest runs at VL %u, its VL is %u", c->vl, guest_vl());
	if (c->zhi != w.g_exp_zhi || c->p != w.g_exp_p)
		model_fail("guest reads Z/P = %#llx/%#llx (ctx %u/%u), wrote %#llx/%#llx",
			   (unsigned long long)c->zhi, (unsigned long long)c->p,
			   PAT_CTX(c->zhi), PAT_CTX(c->p),
			   (unsigned long long)w.g_exp_zhi,
			   (unsigned long long)w.g_exp_p);
}

/*
 * One KVM_RUN, one design: the policy latched at run enter, and only it.
 * Hyp's fp_owner of a CPU matters while the vCPU is loaded there (like
 * 6.12, a put leaves it stale and the next load or entry rewrites it).
 */
static void run_check(void)
{
	struct kvm_host_data *hd = NULL;
	int i;

	if (!w.v || !w.v->in_run)
		return;
	if (w.v->policy != w.run_policy)
		model_fail("vCPU runs with policy %#x, KVM_RUN entered under %#x",
			   w.v->policy, w.run_policy);
	for (i = 0; i < MODEL_NR_CPUS; i++)
		if (gfpu_cpus[i].loaded == w.v)
			hd = &kvm_host_data[i];
	if (!hd || hd->fp_owner != FP_STATE_HOST_OWNED)
		return;
	/*
	 * The entry design saves the host's state at the guest entry: until
	 * then hyp's fp_owner may be stale, but no guest runs with it.
	 */
	if ((w.run_policy & ENTRY) && mc.phase != PH_GUEST)
		return;
	if (!(w.run_policy & LAZY))
		model_fail("host state left live for the guest under the eager design");
	if (w.sme)
		model_fail("host state left live for the guest on an SME host: ZA and streaming mode would stay live");
}

/* Between runs gfpu has counted every transfer the primitives made. */
static void count_check(void)
{
	if (w.v && !w.loaded)
		model_prim_check(w.v->stats, &w.prim);
}

void sim_check(void)
{
	mc.cur_cpu = mc.vcpu_cpu;
	run_check();
	count_check();
	if (mc.phase == PH_USER && !mc.in_syscall)
		task_check(&w.vmm, "VMM");
	else if (mc.phase == PH_GUEST && guest_owns_fp_regs())
		guest_check();
}

/* === The host's side: tasks, syscalls, signals ========================= */

/* Return to userspace (exit_to_user_mode(), then fpsimd_syscall_exit()). */
static void ret_to_user_fp(void)
{
	fpsimd_restore_current_state();
}

static void ret_to_user(void)
{
	ret_to_user_fp();
	if (mc.phase == PH_KERNEL)
		fpsimd_syscall_exit();
	mc.phase = PH_USER;
}

static void switch_out(void)
{
	cpu()->prev = cpu()->cur;
	cpu()->cur = NULL;
}

/* __switch_to(): fpsimd_thread_switch() runs as the outgoing task. */
static void switch_in(struct sim_task *t)
{
	struct sim_cpu *c = cpu();

	if (c->cur)
		model_fail("switch_in on a busy CPU");
	c->cur = c->prev;
	model_irq_off();
	fpsimd_thread_switch(&t->ts);
	model_irq_on();
	c->cur = t;
}

/* kernel_neon_begin()/end() in a softirq on this CPU. */
static void kernel_fp(void)
{
	struct sim_cpu *c = cpu();

	w.softirq = true;
	kernel_neon_begin();
	w.softirq = false;
	model_use(mc.cur_cpu, CTX_KERN, 0);
	c->v = model_pattern(CTX_KERN);
	c->zhi = 0;
}

static void task_write(struct sim_task *t, bool sve)
{
	struct sim_cpu *c = cpu();

	if (sve && !c->zen && do_sve_acc()) {
		model_fail("do_sve_acc() killed the task");
		return;
	}
	t->exp_v = c->v = model_pattern(t->ctx);
	if (sve) {
		t->exp_zhi = c->zhi = c->vl > 16 ? model_pattern(t->ctx) : 0;
		t->exp_p = c->p = model_pattern(t->ctx);
		t->exp_sve = true;
	} else {
		t->exp_zhi = c->zhi = 0;
	}
	model_use(mc.cur_cpu, t->ctx, sve ? SVE_BYTES(c->vl) : FPSIMD_BYTES);
}

static void other_task_ret(struct sim_task *o)
{
	ret_to_user_fp();
	task_check(o, "other task");
}

static void other_task_fp(struct sim_task *o)
{
	other_task_ret(o);
	task_write(o, false);
}

#define sim_vcpu_unloaded()	(w.loaded = false)
#include "sim_thread.h"

static void ev_u_fp(void)
{
	task_write(&w.vmm, false);
}

static void ev_u_sve(void)
{
	task_write(&w.vmm, true);
}

/* el0_svc(): SVE state beyond V does not survive a syscall. */
static void syscall_enter(void)
{
	struct sim_task *t = &w.vmm;

	fpsimd_syscall_enter();
	if (test_tsk_thread_flag(&t->ts, TIF_SVE))
		t->exp_zhi = t->exp_p = 0;
}

/*
 * A signal whose handler uses SVE: setup_sigframe() (preserve_fpsimd_
 * context() and, with TIF_SVE, preserve_sve_context()), then sigreturn
 * (restore_sve_fpsimd_context(): fpsimd_flush_task_state(), the SVE
 * frame copied back, fpsimd_update_current_state()).
 */
static void ev_u_signal(void)
{
	struct task_struct *t = &w.vmm.ts;
	struct user_fpsimd_state frame_fp;
	static u8 frame_sve[8736];
	bool sve;

	fpsimd_signal_preserve_current_state();
	frame_fp = t->thread.uw.fpsimd_state;
	sve = test_tsk_thread_flag(t, TIF_SVE);
	if (sve)
		memcpy(frame_sve, t->thread.sve_state, sve_state_size(t));
	/* The handler uses SVE. */
	if (!cpu()->zen && do_sve_acc()) {
		model_fail("do_sve_acc() killed the task");
		return;
	}
	cpu()->v = model_pattern(CTX_SIG);
	cpu()->zhi = cpu()->vl > 16 ? model_pattern(CTX_SIG) : 0;
	cpu()->p = model_pattern(CTX_SIG);
	model_use(mc.cur_cpu, CTX_SIG, SVE_BYTES(cpu()->vl));
	/* sigreturn */
	if (sve) {
		fpsimd_flush_task_state(t);
		sve_alloc(t, true);
		memcpy(t->thread.sve_state, frame_sve, sve_state_size(t));
		set_tsk_thread_flag(t, TIF_SVE);
		t->thread.fp_type = FP_STATE_SVE;
	} else {
		clear_tsk_thread_flag(t, TIF_SVE);
		t->thread.fp_type = FP_STATE_FPSIMD;
	}
	fpsimd_update_current_state(&frame_fp);
	ret_to_user();
	model_use(mc.cur_cpu, CTX_VMM, sve ? SVE_BYTES(cpu()->vl) :
		  FPSIMD_BYTES);
}

static void ev_u_run(void)
{
	unsigned int want = gfpu_policy();
	int ret;

	syscall_enter();
	mc.in_syscall = false;
	ret = gfpu_run_enter(w.v, !w.ran);
	if (ret) {
		model_fail("run enter failed: %d", ret);
		return;
	}
	/* The policy was checked when set, but SME may have come since. */
	if (w.sme)
		want &= ~NO_SME;
	if (w.v->policy != want)
		model_fail("KVM_RUN latched policy %#x, global policy %#x%s",
			   w.v->policy, gfpu_policy(),
			   w.sme ? " on an SME host" : "");
	w.run_policy = w.v->policy;
	w.ran = true;
	preempt_disable();
	/* vcpu_load(): KVM's preempt notifier from here to vcpu_put(). */
	w.loaded = true;
	gfpu_vcpu_load(w.v, false);
	preempt_enable();
	mc.phase = PH_KERNEL;
}

/* /sys/module/gfpu/parameters/policy: gfpu_policy_param_set(). */
static void ev_policy(void)
{
	/* Entry and lazy host save exclude each other: switch what is set. */
	unsigned int bit = w.cfg->policy & ENTRY ? ENTRY : LAZY;
	unsigned int policy = gfpu_policy() ^ bit;
	int ret = 0;

	if (policy & ~gfpu_hw_supported_policies())
		ret = -EOPNOTSUPP;
	else
		ret = gfpu_set_policy(policy);
	if (ret && !(w.sme && (policy & NO_SME)))
		model_fail("policy %#x refused: %d", policy, ret);
}

static bool policy_can_switch(void)
{
	return w.cfg->switching;
}

/* === uAPI: KVM_GET/SET_ONE_REG ========================================= */

static struct user_fpsimd_state exp_st;
static u8 exp_sve[8736];

/* The guest's expected state as images, for expect_reg(). */
static void expect_img(void)
{
	img_fpsimd(&exp_st, w.g_exp_v);
	if (guest_vl())
		img_sve(exp_sve, guest_vl(), w.g_exp_v, w.g_exp_zhi, w.g_exp_p);
}

/* Register @cls/@n of the guest's expected state, as the uAPI has it. */
static u32 expect_reg(unsigned int cls, unsigned int n, u8 *out)
{
	u32 vl = guest_vl();
	unsigned int vq = sve_vq_from_vl(vl);

	switch (cls) {
	case GFPU_ARM64_V:
		memcpy(out, &exp_st.vregs[n], 16);
		return 16;
	case GFPU_ARM64_FPSR:
		memcpy(out, &exp_st.fpsr, 4);
		return 4;
	case GFPU_ARM64_FPCR:
		memcpy(out, &exp_st.fpcr, 4);
		return 4;
	}
	switch (cls) {
	case GFPU_ARM64_Z:
		memcpy(out, exp_sve + SVE_SIG_ZREG_OFFSET(vq, n) -
		       SVE_SIG_REGS_OFFSET, vl);
		return vl;
	case GFPU_ARM64_P:
		memcpy(out, exp_sve + SVE_SIG_PREG_OFFSET(vq, n) -
		       SVE_SIG_REGS_OFFSET, vl / 8);
		return vl / 8;
	default:
		memcpy(out, exp_sve + SVE_SIG_FFR_OFFSET(vq) -
		       SVE_SIG_REGS_OFFSET, vl / 8);
		return vl / 8;
	}
}

static const struct { unsigned int cls, n; } regs_fp[] = {
	{ GFPU_ARM64_V, 0 }, { GFPU_ARM64_V, 17 }, { GFPU_ARM64_V, 31 },
	{ GFPU_ARM64_FPSR, 0 }, { GFPU_ARM64_FPCR, 0 },
};
static const struct { unsigned int cls, n; } regs_sve[] = {
	{ GFPU_ARM64_Z, 0 }, { GFPU_ARM64_Z, 17 }, { GFPU_ARM64_Z, 31 },
	{ GFPU_ARM64_P, 0 }, { GFPU_ARM64_P, 15 }, { GFPU_ARM64_FFR, 0 },
	{ GFPU_ARM64_FPSR, 0 }, { GFPU_ARM64_FPCR, 0 },
};

static void get_check(unsigned int cls, unsigned int n)
{
	u8 want[GFPU_SVE_VL_MAX], got[GFPU_SVE_VL_MAX];
	u32 size = expect_reg(cls, n, want);
	int ret;

	memset(got, 0xa5, sizeof(got));
	ret = gfpu_get_state(w.v, GFPU_ARM64_REG(cls, n), got, size);
	if (ret != (int)size || memcmp(got, want, size))
		model_fail("KVM_GET_ONE_REG(class %u, %u): %d, not what the guest wrote",
			   cls, n, ret);
}

/* KVM_GET_ONE_REG of a sample of the registers, all checked bytewise. */
static void ev_u_get(void)
{
	unsigned int i;

	model_sync(CTX_GUEST);
	expect_img();
	if (!guest_vl()) {
		for (i = 0; i < ARRAY_SIZE(regs_fp); i++)
			get_check(regs_fp[i].cls, regs_fp[i].n);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(regs_sve); i++)
		get_check(regs_sve[i].cls, regs_sve[i].n);
}

static void set_reg(unsigned int cls, unsigned int n)
{
	u8 buf[GFPU_SVE_VL_MAX];
	u32 size = expect_reg(cls, n, buf);
	int ret = gfpu_set_state(w.v, GFPU_ARM64_REG(cls, n), buf, size);

	if (ret)
		model_fail("KVM_SET_ONE_REG(class %u, %u) failed: %d", cls, n, ret);
}

/* A VMM restoring the whole register file (migration) with new values. */
static void ev_u_set(void)
{
	u32 vl = guest_vl();
	unsigned int n;

	w.g_exp_v = model_pattern(CTX_GUEST);
	if (vl) {
		w.g_exp_zhi = vl > 16 ? model_pattern(CTX_GUEST) : 0;
		w.g_exp_p = model_pattern(CTX_GUEST);
		expect_img();
		for (n = 0; n < 32; n++)
			set_reg(GFPU_ARM64_Z, n);
		for (n = 0; n < 16; n++)
			set_reg(GFPU_ARM64_P, n);
		set_reg(GFPU_ARM64_FFR, 0);
	} else {
		expect_img();
		for (n = 0; n < 32; n++)
			set_reg(GFPU_ARM64_V, n);
	}
	set_reg(GFPU_ARM64_FPSR, 0);
	set_reg(GFPU_ARM64_FPCR, 0);
}

/* Bad KVM_SET_ONE_REG ids and sizes: refused, nothing changed. */
static void ev_u_set_bad(void)
{
	u32 vl = guest_vl(), p = vl ? vl / 8 : 2;
	const struct { unsigned int cls, n; u32 size; int err; } bad[] = {
		{ GFPU_ARM64_Z, 0, 16, vl ? (vl == 16 ? 0 : -EINVAL) : -ENOENT },
		{ GFPU_ARM64_V, 0, vl ? 16 : 8, -EINVAL },
		{ GFPU_ARM64_V, 32, 16, -ENOENT },
		{ GFPU_ARM64_Z, 32, vl ? vl : 16, -ENOENT },
		{ GFPU_ARM64_P, 16, p, -ENOENT },
		{ GFPU_ARM64_FFR, 1, p, -ENOENT },
		{ GFPU_ARM64_FPSR, 0, 8, -EINVAL },
		{ GFPU_ARM64_FPCR, 1, 4, -ENOENT },
		{ 9, 0, 8, -ENOENT },
	};
	u8 buf[GFPU_SVE_VL_MAX];
	unsigned int i;
	int ret;

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!bad[i].err)
			continue;	/* a valid size at VL 16 */
		ret = gfpu_set_state(w.v, GFPU_ARM64_REG(bad[i].cls, bad[i].n),
				     buf, bad[i].size);
		if (ret != bad[i].err)
			model_fail("KVM_SET_ONE_REG bad case %u returned %d, want %d",
				   i, ret, bad[i].err);
	}
}

static bool g_has_sve(void);

/* Reallocation needs two buffers: not at VL 256 (the arena's size). */
static bool can_setvl(void)
{
	return g_has_sve() && guest_vl() < 256;
}

/*
 * KVM_ARM_VCPU_FINALIZE(SVE) once more, past KVM's own -EPERM: the vector
 * length is final (vcpu->arch.sve_max_vl, VCPU_SVE_FINALIZED) and gfpu
 * must not reallocate storage a running vCPU may use.
 */
static void ev_u_setvl(void)
{
	struct gfpu_feature f = {
		.kind = GFPU_FEAT_SVE_VL, .value = w.kvcpu.arch.sve_max_vl,
	};
	bool fail = mc.fail_alloc;
	bool final = kvm_arm_vcpu_sve_finalized(&w.kvcpu);
	int ret = gfpu_feature_change(w.v, &f);

	if (final ? ret != -EBUSY : ret != (fail ? -ENOMEM : 0))
		model_fail("SVE VL change returned %d (finalized %d)", ret, final);
	if (!ret)
		w.kvcpu.arch.sve_finalized = true;
	if (!ret)
		w.g_exp_v = w.g_exp_zhi = w.g_exp_p = 0;
	if (!ret)
		memset(&w.kvcpu.arch.ctxt.fp_regs, 0, FPSIMD_BYTES);
}

/*
 * The injected failure is for KVM's allocations: a task's first SVE use
 * would take it and be killed (do_sve_acc()'s SIGKILL).
 */
static bool alloc_can_fail(void)
{
	return !mc.fail_alloc && w.vmm.ts.thread.sve_state;
}

static void ev_fail_alloc(void)
{
	mc.fail_alloc = true;
}

/* === The guest's side ================================================== */

/*
 * VM exit: hyp puts ZCR at the guest's VL if it owns the registers
 * (fpsimd_lazy_switch_to_host()), resets the host's trap controls
 * (kvm_reset_cptr_el2()), and KVM's kvm_arch_vcpu_ctxsync_fp() reports a
 * trap hyp took (or handed back) and binds the guest's state.
 */
static void vm_exit(void)
{
	struct sim_cpu *c = cpu();
	struct kvm_vcpu *vcpu = &w.kvcpu;

	c->guest_mode = false;
	if (guest_owns_fp_regs() && vcpu_has_sve(vcpu))
		set_vl(vcpu->arch.sve_max_vl);
	switch (w.cfg->exit) {
	case EXIT_VHE:
		c->zen = false;		/* CPACR_ELx_FPEN | ZEN_EL1EN */
		break;
	case EXIT_HVHE:
		c->zen = !vcpu_has_sve(vcpu) || !guest_owns_fp_regs();
		break;
	case EXIT_NVHE:
		break;
	}
	if (vcpu->arch.fp_retry ||
	    (guest_owns_fp_regs() && gfpu_cpu_owner() != GFPU_OWNER_GUEST))
		gfpu_lazy_trap(w.v);
	gfpu_exit_sync(w.v, 0);
	model_irq_on();
	/* handle_exit(): kvm_gfpu_fp_retry() lets the guest retry. */
	vcpu->arch.fp_retry = false;
	mc.phase = PH_KERNEL;
}

/* The guest touches FP/SVE; false when it exited instead (hand-back). */
static bool guest_access(void)
{
	if (!guest_owns_fp_regs() && !hyp_handle_fpsimd()) {
		vm_exit();
		return false;
	}
	guest_check();
	return true;
}

static void ev_g_fp(void)
{
	struct sim_cpu *c = cpu();

	if (!guest_access())
		return;
	w.g_exp_v = c->v = model_pattern(CTX_GUEST);
	w.g_exp_zhi = c->zhi = 0;
	model_use(mc.cur_cpu, CTX_GUEST, guest_vl() ? SVE_BYTES(guest_vl()) :
		  FPSIMD_BYTES);
}

static bool g_has_sve(void)
{
	return guest_vl();
}

static void ev_g_sve(void)
{
	struct sim_cpu *c = cpu();

	if (!guest_access())
		return;
	w.g_exp_v = c->v = model_pattern(CTX_GUEST);
	w.g_exp_zhi = c->zhi = guest_vl() > 16 ? model_pattern(CTX_GUEST) : 0;
	w.g_exp_p = c->p = model_pattern(CTX_GUEST);
	model_use(mc.cur_cpu, CTX_GUEST, SVE_BYTES(guest_vl()));
}

/* (A scenario may name it after a hand-back already exited.) */
static void ev_g_exit(void)
{
	if (mc.phase == PH_GUEST)
		vm_exit();
}

const struct model_event sim_events[] = {
	{ "u_fp",	PH(PH_USER), EV_CORE,	NULL,		ev_u_fp },
	{ "u_sve",	PH(PH_USER), EV_CORE,	NULL,		ev_u_sve },
	{ "u_signal",	PH(PH_USER), EV_CORE,	NULL,		ev_u_signal },
	{ "u_run",	PH(PH_USER), EV_CORE,	NULL,		ev_u_run },
	{ "u_get",	PH(PH_USER), 0,		NULL,		ev_u_get },
	{ "u_set",	PH(PH_USER), 0,		NULL,		ev_u_set },
	{ "u_set_bad",	PH(PH_USER), 0,		NULL,		ev_u_set_bad },
	{ "u_setvl",	PH(PH_USER), 0,		can_setvl,	ev_u_setvl },
	{ "fail_alloc",	PH_HOST, 0,		alloc_can_fail,	ev_fail_alloc },
	{ "policy",	PH_ANY, 0,		policy_can_switch, ev_policy },
	SIM_THREAD_EVENTS,
	{ "g_fp",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_fp },
	{ "g_sve",	PH(PH_GUEST), EV_CORE,	g_has_sve,	ev_g_sve },
	{ "g_exit",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_exit },
};
const int sim_nr_events = ARRAY_SIZE(sim_events);

static void task_init(struct sim_task *t, enum model_ctx ctx)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->ts.thread.sve_vl = w.cfg->host_vl;
	t->ts.thread.fp_type = FP_STATE_FPSIMD;
	t->ts.thread.fpsimd_cpu = NR_CPUS;
	set_tsk_thread_flag(&t->ts, TIF_FOREIGN_FPSTATE);
}

static void reset_cfg(const struct sim_config *cfg)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_SVE_VL };
	int i;

	memset(&mc, 0, sizeof(mc));
	memset(&w, 0, sizeof(w));
	memset(gfpu_cpus, 0, sizeof(gfpu_cpus));
	memset(fpsimd_last_state, 0, sizeof(fpsimd_last_state));
	memset(kvm_host_data, 0, sizeof(kvm_host_data));
	w.cfg = cfg;
	kvm_sve_max_vl = host_max_vl();
	/* gfpu.policy= is parsed before the CPU capabilities are final. */
	if (gfpu_set_policy(cfg->policy))
		model_fail("gfpu_set_policy(%#x) failed", cfg->policy);
	w.sme = cfg->sme_late;
	task_init(&w.vmm, CTX_VMM);
	for (i = 0; i < MODEL_NR_CPUS; i++) {
		task_init(&w.other[i], CTX_OTHER0 + i);
		w.cpu[i].cur = i ? &w.other[i] : &w.vmm;
		w.cpu[i].vl = cfg->host_vl;
	}
	w.kvcpu.arch.has_sve = cfg->guest_vl;
	w.kvcpu.arch.sve_max_vl = cfg->guest_vl;
	w.v = &w.kvcpu.arch.gfpu;
	i = model_vcpu_init(w.v, &w.kvcpu.stat.gfpu);
	if (i) {
		model_fail("gfpu_vcpu_init: %d", i);
		w.v = NULL;
		return;
	}
	/*
	 * KVM_ARM_VCPU_FINALIZE(SVE), first with an allocation failure
	 * (nothing may change), then for real; KVM marks the vector length
	 * final once gfpu succeeded (kvm_vcpu_finalize_sve()).
	 */
	f.value = cfg->guest_vl;
	if (cfg->guest_vl) {
		mc.fail_alloc = true;
		if (gfpu_feature_change(w.v, &f) != -ENOMEM ||
		    w.kvcpu.arch.sve_state || guest_vl())
			model_fail("SVE vector length setup without memory");
		mc.fail_alloc = false;
		/*
		 * The same from fail_gfpu, at each of its points there; the
		 * buffer allocated before the hyp mapping failed is freed.
		 */
		for (i = GFPU_FAIL_SVE; i <= GFPU_FAIL_SVE_SHARE; i++) {
			int used = sim_blocks_used();

			mc.fail_point = BIT(i);
			if (gfpu_feature_change(w.v, &f) != -ENOMEM ||
			    mc.fail_point || w.kvcpu.arch.sve_state ||
			    guest_vl() || sim_blocks_used() != used)
				model_fail("SVE vector length setup with point %d failed",
					   i);
		}
		if (gfpu_feature_change(w.v, &f))
			model_fail("SVE vector length setup failed");
		w.kvcpu.arch.sve_finalized = true;
	}
	mc.phase = PH_USER;
	for (i = MODEL_NR_CPUS - 1; i >= 0; i--) {
		mc.cur_cpu = i;
		ret_to_user_fp();
	}
	if (cfg->vmm_sve)
		ev_u_sve();
}

void sim_reset(unsigned int config)
{
	reset_cfg(&configs[config]);
}

/*
 * The machine of make compare's arm64 boots (VHE, an FPSIMD-only vCPU,
 * a VMM that never used SVE), under the kernel's policy @policy.
 */
void sim_replay_reset(unsigned long policy)
{
	static struct sim_config cfg = { .host_vl = 64, .exit = EXIT_VHE };

	cfg.policy = policy;
	reset_cfg(&cfg);
}

struct gfpu_vcpu *sim_vcpu(void)
{
	return w.v;
}

/* arm64's vCPU ioctls other than KVM_RUN do not load the vCPU. */
void sim_replay_ioctl(bool begin)
{
	model_fail("replay: a load outside KVM_RUN on arm64");
}

/* Enter the guest and touch FP, through a hand-back if there is one. */
static void drain_guest(void)
{
	int i;

	for (i = 0; i < 3 && !model_failed(); i++) {
		ev_k_enter();
		if (guest_access())
			return;
	}
	model_fail("the guest's FP access never completed");
}

void sim_drain(void)
{
	if (!w.v)
		return;
	if (mc.phase == PH_GUEST)
		ev_g_exit();
	if (mc.phase == PH_KERNEL)
		ev_k_exit_run();
	sim_check();
	ev_u_get();
	ev_u_run();
	drain_guest();
	if (mc.phase == PH_GUEST)
		ev_g_exit();
	ev_k_exit_run();
	sim_check();
	ev_preempt();
	sim_check();
	ev_migrate();
	sim_check();
	ev_preempt();
	sim_check();
	/* Out of KVM_RUN the vCPU can go: nothing may still point at it. */
	gfpu_vcpu_destroy(w.v);
}
