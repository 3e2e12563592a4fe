// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated riscv machine for the model.  The framework's core, the riscv
 * backend and the riscv hardware layer (arch/riscv/gfpu_riscv_hw.c, the
 * kernel's own file) are compiled in unchanged, against the 6.12 kernel
 * interface of include-riscv/riscv_kernel.h: the host's FP and vector
 * tracking (fstate_save(), __switch_to_fpu(), riscv_v_vstate_save(),
 * __switch_to_vector(), kernel_vector_begin()/end() with and without
 * CONFIG_RISCV_ISA_V_PREEMPTIVE, TIF_RISCV_V_DEFER_RESTORE) is written
 * there as 6.12 writes it.
 *
 * This file is the machine under it: per CPU f0-f31 with fcsr, and v0-v31
 * at a VLEN with vstart/vl/vtype/vcsr, abstracted to one value each (a
 * pattern naming its owner, model.h) and stored to memory in the real
 * layouts (struct __riscv_d_ext_state, struct __riscv_v_ext_state and its
 * datap), every word keyed by its register so that a wrong offset or size
 * shows; the FS/VS fields of each user status and of the guest's sstatus,
 * set Dirty by every write, and the illegal instruction exit a guest FP
 * or vector instruction takes when its FS or VS is Off.  The events drive
 * it the way KVM's riscv run loop (arch/riscv/kvm/vcpu.c) calls the hooks.
 */
#include <stdio.h>
#include "model.h"
#include "sim_regfile.h"
#include "include-riscv/riscv_kernel.h"
#include "gfpu_core.c"
#include "gfpu_riscv.c"
#include "gfpu_riscv_hw.c"

const char *const sim_arch = "riscv";

#define LAZY		GFPU_POLICY_RISCV_LAZY
#define VBUF_MAX	(32 * 32)	/* 32 registers at VLEN 256 */

/* === Configurations ==================================================== */

/**
 * struct sim_config - one machine the explorer runs (a "policy" for it)
 * @policy: gfpu_set_policy() at boot.
 * @vlen: the CPU's VLEN in bits.
 * @preempt_v: CONFIG_RISCV_ISA_V_PREEMPTIVE (kernel-mode vector through
 *	the task's kernel_vstate).
 * @guest_v: the vCPU has the V extension (it always has F and D).
 * @switching: the "policy" event may change the global policy anywhere.
 */
struct sim_config {
	unsigned int policy;
	unsigned int vlen;
	bool preempt_v, guest_v, switching;
};

static const struct sim_config configs[] = {
	{ 0,    128, true,  true,  false },
	{ LAZY, 256, true,  true,  false },
	{ 0,    256, false, false, false },
	{ LAZY, 128, false, true,  true },
};

const struct model_policy sim_policies[] = {
	{ "eager/vlen128/preempt-v", 0 },
	{ "riscv-lazy/vlen256/preempt-v", 1 },
	{ "eager/vlen256/fp-only-vcpu", 2 },
	{ "riscv-lazy/vlen128/policy-switching", 3 },
};
const int sim_nr_policies = ARRAY_SIZE(sim_policies);
static_assert(ARRAY_SIZE(sim_policies) == ARRAY_SIZE(configs));

/* === The machine ======================================================= */

struct sim_task {
	struct task_struct ts;
	enum model_ctx ctx;
	/* What its userspace last wrote. */
	u64 exp_f, exp_v;
	_Alignas(16) u8 vbuf[VBUF_MAX];
	_Alignas(16) u8 kvbuf[VBUF_MAX];
};

struct sim_cpu {
	u64 f, v;		/* f0-f31/fcsr, v0-v31/vector CSRs */
	struct sim_task *cur, *prev;
	bool guest_mode;
};

static struct sim_world {
	const struct sim_config *cfg;
	struct sim_cpu cpu[MODEL_NR_CPUS];
	struct sim_task vmm, other[MODEL_NR_CPUS];
	struct kvm_vcpu kvcpu;
	struct gfpu_vcpu *v;
	bool ran;
	unsigned int run_policy;	/* what this KVM_RUN latched */
	u64 g_exp_f, g_exp_v;
	_Alignas(16) u8 gbuf[VBUF_MAX];	/* the guest's vector.datap */
} w;

/* The 6.12 kernel's global data. */
unsigned long riscv_v_vsize;

const struct model_region sim_regions[] = {
	{ &w, sizeof(w) },
	{ &gfpu_cpus, sizeof(gfpu_cpus) },
	{ &gfpu_global_policy, sizeof(gfpu_global_policy) },
	{ &gfpu_riscv_host_v, sizeof(gfpu_riscv_host_v) },
	{ &riscv_v_vsize, sizeof(riscv_v_vsize) },
};
const int sim_nr_regions = ARRAY_SIZE(sim_regions);

static struct sim_cpu *cpu(void)
{
	return &w.cpu[mc.cur_cpu];
}

struct task_struct *sim_current(void)
{
	return &cpu()->cur->ts;
}

bool sim_preempt_v(void)
{
	return w.cfg->preempt_v;
}

static u32 vlenb(void)
{
	return riscv_v_vsize / 32;
}

static struct kvm_cpu_context *gcntx(void)
{
	return &w.kvcpu.arch.guest_context;
}

static unsigned long field(unsigned long status, unsigned long mask)
{
	return status & mask;
}

static void set_field(unsigned long *status, unsigned long mask,
		      unsigned long val)
{
	*status = (*status & ~mask) | val;
}

/* === Register images =================================================== */

static void img_fp(struct __riscv_d_ext_state *st, u64 val)
{
	unsigned int n;

	for (n = 0; n < 32; n++)
		st->f[n] = enc(val, key(GFPU_RISCV_F, n, 0));
	st->fcsr = (u32)enc(val, key(GFPU_RISCV_FCSR, 0, 0));
}

static void img_v(struct __riscv_v_ext_state *st, u8 *datap, u64 val)
{
	unsigned int n, j, words = vlenb() / 8;
	u64 *d = (u64 *)datap;

	st->vstart = enc(val, key(GFPU_RISCV_VCSR, 0, 0));
	st->vl = enc(val, key(GFPU_RISCV_VCSR, 1, 0));
	st->vtype = enc(val, key(GFPU_RISCV_VCSR, 2, 0));
	st->vcsr = enc(val, key(GFPU_RISCV_VCSR, 3, 0));
	st->vlenb = vlenb();
	for (n = 0; n < 32; n++)
		for (j = 0; j < words; j++)
			d[n * words + j] = enc(val, key(GFPU_RISCV_VREG, n, j));
}

static bool known_vbuf(const void *p)
{
	int i;

	if (p == w.gbuf || p == w.vmm.vbuf || p == w.vmm.kvbuf)
		return true;
	for (i = 0; i < MODEL_NR_CPUS; i++)
		if (p == w.other[i].vbuf || p == w.other[i].kvbuf)
			return true;
	return false;
}

static union {
	struct __riscv_d_ext_state fp;
	struct {
		struct __riscv_v_ext_state st;
		_Alignas(16) u8 data[VBUF_MAX];
	} v;
} scratch;

/* Decode an image; false when it is not one value's (quiet: no failure). */
static bool dec_fp(const struct __riscv_d_ext_state *st, u64 *val)
{
	*val = dec(st->f[0], key(GFPU_RISCV_F, 0, 0));
	img_fp(&scratch.fp, *val);
	return !memcmp(scratch.fp.f, st->f, sizeof(st->f)) &&
		scratch.fp.fcsr == st->fcsr;
}

static bool dec_v(const struct __riscv_v_ext_state *st, const void *datap,
		  u64 *val)
{
	if (!known_vbuf(datap))
		return false;
	*val = dec(st->vstart, key(GFPU_RISCV_VCSR, 0, 0));
	img_v(&scratch.v.st, scratch.v.data, *val);
	return !memcmp(&scratch.v.st, st,
		       offsetof(struct __riscv_v_ext_state, datap)) &&
		!memcmp(scratch.v.data, datap, riscv_v_vsize);
}

/* === The simulated CPU's instructions ================================== */

static void fp_store(struct __riscv_d_ext_state *st)
{
	img_fp(st, cpu()->f);
	model_count(true, sizeof(*st));
}

static void fp_load(const struct __riscv_d_ext_state *st)
{
	u64 val;

	if (!dec_fp(st, &val)) {
		model_fail("corrupt FP image loaded (f0 says %#llx)",
			   (unsigned long long)val);
		return;
	}
	cpu()->f = val;
	model_count(false, sizeof(*st));
}

void __fstate_save(struct task_struct *save_to)
{
	fp_store(&save_to->thread.fstate);
}

void __fstate_restore(struct task_struct *restore_from)
{
	fp_load(&restore_from->thread.fstate);
}

void __kvm_riscv_fp_d_save(struct kvm_cpu_context *context)
{
	fp_store(&context->fp.d);
}

void __kvm_riscv_fp_d_restore(struct kvm_cpu_context *context)
{
	fp_load(&context->fp.d);
}

/* Every vCPU here has D: the F-only paths must not run. */
void __kvm_riscv_fp_f_save(struct kvm_cpu_context *context)
{
	model_fail("F-only save on a vCPU with D");
}

void __kvm_riscv_fp_f_restore(struct kvm_cpu_context *context)
{
	model_fail("F-only restore on a vCPU with D");
}

void __riscv_v_vstate_save(struct __riscv_v_ext_state *save_to, void *datap)
{
	if (!known_vbuf(datap)) {
		model_fail("vector store to a datap that is no vector buffer");
		return;
	}
	img_v(save_to, datap, cpu()->v);
	model_count(true, riscv_v_vsize + 40);
}

void __riscv_v_vstate_restore(struct __riscv_v_ext_state *restore_from,
			      void *datap)
{
	u64 val;

	if (!dec_v(restore_from, datap, &val)) {
		model_fail("corrupt vector image loaded (vstart says %#llx)",
			   (unsigned long long)val);
		return;
	}
	cpu()->v = val;
	model_count(false, riscv_v_vsize + 40);
}

/* === Checks ============================================================ */

static void task_check(struct sim_task *t, const char *who)
{
	struct sim_cpu *c = cpu();
	unsigned long st = t->ts.regs.status;

	if (test_tsk_thread_flag(&t->ts, TIF_RISCV_V_DEFER_RESTORE))
		model_fail("%s in userspace with TIF_RISCV_V_DEFER_RESTORE", who);
	if (field(st, SR_FS) == SR_FS_OFF)
		model_fail("%s in userspace with FS Off", who);
	if (c->f != t->exp_f)
		model_fail("%s reads f = %#llx (owner ctx %u), wrote %#llx", who,
			   (unsigned long long)c->f, PAT_CTX(c->f),
			   (unsigned long long)t->exp_f);
	if (field(st, SR_VS) != SR_VS_OFF && c->v != t->exp_v)
		model_fail("%s reads v = %#llx (owner ctx %u), wrote %#llx", who,
			   (unsigned long long)c->v, PAT_CTX(c->v),
			   (unsigned long long)t->exp_v);
}

static void guest_check(void)
{
	struct sim_cpu *c = cpu();
	unsigned long st = gcntx()->sstatus;

	if (field(st, SR_FS) != SR_FS_OFF && c->f != w.g_exp_f)
		model_fail("guest reads f = %#llx (owner ctx %u), wrote %#llx",
			   (unsigned long long)c->f, PAT_CTX(c->f),
			   (unsigned long long)w.g_exp_f);
	if (field(st, SR_VS) != SR_VS_OFF && c->v != w.g_exp_v)
		model_fail("guest reads v = %#llx (owner ctx %u), wrote %#llx",
			   (unsigned long long)c->v, PAT_CTX(c->v),
			   (unsigned long long)w.g_exp_v);
}

/*
 * Host interrupts are on and kernel-mode vector may run: the guest's
 * latest vector state may be in the registers only when it is bound to
 * the vCPU task, where kernel_vector_begin() saves it.
 */
static void host_check(void)
{
	struct sim_cpu *c = cpu();
	u64 mem;

	if (!w.g_exp_v || c->v != w.g_exp_v || c->guest_mode)
		return;
	if (current->thread.vstate.datap == w.gbuf)
		return;
	if (dec_v(&gcntx()->vector, w.gbuf, &mem) && mem == w.g_exp_v)
		return;
	model_fail("the guest's vector state is live and unsaved, not bound to the vCPU task, with host interrupts on");
}

static void run_check(void)
{
	if (!w.v || !w.v->in_run)
		return;
	if (w.v->policy != w.run_policy)
		model_fail("vCPU runs with policy %#x, KVM_RUN entered under %#x",
			   w.v->policy, w.run_policy);
}

void sim_check(void)
{
	mc.cur_cpu = mc.vcpu_cpu;
	run_check();
	if (mc.phase == PH_USER && !mc.in_syscall)
		task_check(&w.vmm, "VMM");
	else if (mc.phase == PH_GUEST)
		guest_check();
	else
		host_check();
}

/* === The host's side: tasks, signals =================================== */

static void ret_to_user_fp(void)
{
	arch_exit_to_user_mode_prepare(task_pt_regs(current));
}

static void ret_to_user(void)
{
	ret_to_user_fp();
	mc.phase = PH_USER;
}

static void switch_out(void)
{
	cpu()->prev = cpu()->cur;
	cpu()->cur = NULL;
}

/* switch_to(): __switch_to_fpu() and __switch_to_vector(), irqs off. */
static void switch_in(struct sim_task *t)
{
	struct sim_cpu *c = cpu();
	struct task_struct *prev = &c->prev->ts;

	if (c->cur)
		model_fail("switch_in on a busy CPU");
	c->cur = c->prev;
	model_irq_off();
	__switch_to_fpu(prev, &t->ts);
	__switch_to_vector(prev, &t->ts);
	model_irq_on();
	c->cur = t;
}

/* kernel_vector_begin()/end() in a softirq on this CPU (crypto). */
static void kernel_fp(void)
{
	if (!may_use_simd())
		return;
	kernel_vector_begin();
	/*
	 * Not logged for the oracle: it displaces only the vector unit, and
	 * the oracle's one register file per CPU would charge the FP unit's
	 * owner too.  Leaving out a use keeps the oracle a lower bound.
	 */
	cpu()->v = model_pattern(CTX_KERN);
	kernel_vector_end();
}

static void task_write(struct sim_task *t, bool vec)
{
	struct sim_cpu *c = cpu();
	unsigned long *st = &t->ts.regs.status;

	if (vec) {
		t->exp_v = c->v = model_pattern(t->ctx);
		set_field(st, SR_VS, SR_VS_DIRTY);
		model_use(mc.cur_cpu, t->ctx, riscv_v_vsize + 40);
	} else {
		t->exp_f = c->f = model_pattern(t->ctx);
		set_field(st, SR_FS, SR_FS_DIRTY);
		model_use(mc.cur_cpu, t->ctx,
			  sizeof(struct __riscv_d_ext_state));
	}
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
	task_write(o, true);
}

#include "sim_thread.h"

static void ev_u_fp(void)
{
	task_write(&w.vmm, false);
}

static void ev_u_vec(void)
{
	task_write(&w.vmm, true);
}

/*
 * A signal whose handler uses FP and vector: setup_sigframe()
 * (save_fp_state(), save_v_state()), then sigreturn (restore_fp_state(),
 * __riscv_v_restore()) and the return to userspace.
 */
static void ev_u_signal(void)
{
	struct task_struct *t = &w.vmm.ts;
	struct pt_regs *regs = task_pt_regs(t);
	struct __riscv_d_ext_state frame_fp;
	struct __riscv_v_ext_state frame_v;
	static u8 frame_data[VBUF_MAX];

	fstate_save(t, regs);
	frame_fp = t->thread.fstate;
	get_cpu_vector_context();
	riscv_v_vstate_save(&t->thread.vstate, regs);
	put_cpu_vector_context();
	frame_v = t->thread.vstate;
	memcpy(frame_data, t->thread.vstate.datap, riscv_v_vsize);
	/* The handler. */
	cpu()->f = model_pattern(CTX_SIG);
	cpu()->v = model_pattern(CTX_SIG);
	set_field(&regs->status, SR_FS, SR_FS_DIRTY);
	set_field(&regs->status, SR_VS, SR_VS_DIRTY);
	model_use(mc.cur_cpu, CTX_SIG, riscv_v_vsize + 40);
	/* sigreturn */
	t->thread.fstate = frame_fp;
	fstate_restore(t, regs);
	riscv_v_vstate_set_restore(t, regs);
	memcpy(&t->thread.vstate, &frame_v,
	       offsetof(struct __riscv_v_ext_state, datap));
	memcpy(t->thread.vstate.datap, frame_data, riscv_v_vsize);
	ret_to_user();
	model_use(mc.cur_cpu, CTX_VMM, riscv_v_vsize + 40);
}

static void ev_u_run(void)
{
	unsigned int want = gfpu_policy();
	int ret;

	mc.in_syscall = false;
	ret = gfpu_run_enter(w.v, !w.ran);
	if (ret) {
		model_fail("run enter failed: %d", ret);
		return;
	}
	if (w.v->policy != want)
		model_fail("KVM_RUN latched policy %#x, global policy %#x",
			   w.v->policy, want);
	w.run_policy = w.v->policy;
	w.ran = true;
	preempt_disable();
	gfpu_vcpu_load(w.v, false);
	preempt_enable();
	mc.phase = PH_KERNEL;
}

/* /sys/module/gfpu/parameters/policy. */
static void ev_policy(void)
{
	unsigned int policy = gfpu_policy() ^ LAZY;
	int ret = gfpu_set_policy(policy);

	if (ret)
		model_fail("policy %#x refused: %d", policy, ret);
}

static bool policy_can_switch(void)
{
	return w.cfg->switching;
}

/* === uAPI: KVM_GET/SET_ONE_REG ========================================= */

static struct __riscv_d_ext_state exp_fp;
static struct __riscv_v_ext_state exp_v;
static _Alignas(16) u8 exp_vdata[VBUF_MAX];

static void expect_img(void)
{
	img_fp(&exp_fp, w.g_exp_f);
	img_v(&exp_v, exp_vdata, w.g_exp_v);
}

/* Register @cls/@n of the guest's expected state, as the uAPI has it. */
static u32 expect_reg(unsigned int cls, unsigned int n, u8 *out)
{
	const unsigned long *csr[] = {
		&exp_v.vstart, &exp_v.vl, &exp_v.vtype, &exp_v.vcsr,
		&exp_v.vlenb,
	};

	switch (cls) {
	case GFPU_RISCV_F:
		memcpy(out, &exp_fp.f[n], 8);
		return 8;
	case GFPU_RISCV_FCSR:
		memcpy(out, &exp_fp.fcsr, 4);
		return 4;
	case GFPU_RISCV_VCSR:
		memcpy(out, csr[n], 8);
		return 8;
	default:
		memcpy(out, exp_vdata + n * vlenb(), vlenb());
		return vlenb();
	}
}

static const struct { unsigned int cls, n; } regs_fp[] = {
	{ GFPU_RISCV_F, 0 }, { GFPU_RISCV_F, 17 }, { GFPU_RISCV_F, 31 },
	{ GFPU_RISCV_FCSR, 0 },
};

static const struct { unsigned int cls, n; } regs_v[] = {
	{ GFPU_RISCV_VCSR, 0 }, { GFPU_RISCV_VCSR, 1 }, { GFPU_RISCV_VCSR, 2 },
	{ GFPU_RISCV_VCSR, 3 }, { GFPU_RISCV_VCSR, 4 },
	{ GFPU_RISCV_VREG, 0 }, { GFPU_RISCV_VREG, 13 },
	{ GFPU_RISCV_VREG, 31 },
};

static void get_check(unsigned int cls, unsigned int n)
{
	u8 want[64], got[64];
	u32 size = expect_reg(cls, n, want);
	int ret;

	memset(got, 0xa5, sizeof(got));
	ret = gfpu_get_state(w.v, GFPU_RISCV_REG(cls, n), got, size);
	if (ret != (int)size || memcmp(got, want, size))
		model_fail("KVM_GET_ONE_REG(class %u, %u): %d, not what the guest wrote",
			   cls, n, ret);
}

static void ev_u_get(void)
{
	unsigned int i;

	model_sync(CTX_GUEST);
	expect_img();
	for (i = 0; i < ARRAY_SIZE(regs_fp); i++)
		get_check(regs_fp[i].cls, regs_fp[i].n);
	if (!w.cfg->guest_v)
		return;
	for (i = 0; i < ARRAY_SIZE(regs_v); i++)
		get_check(regs_v[i].cls, regs_v[i].n);
}

static void set_reg(unsigned int cls, unsigned int n)
{
	u8 buf[64];
	u32 size = expect_reg(cls, n, buf);
	int ret = gfpu_set_state(w.v, GFPU_RISCV_REG(cls, n), buf, size);

	if (ret)
		model_fail("KVM_SET_ONE_REG(class %u, %u) failed: %d", cls, n,
			   ret);
}

/* A VMM restoring the whole register file (migration) with new values. */
static void ev_u_set(void)
{
	unsigned int n;

	w.g_exp_f = model_pattern(CTX_GUEST);
	if (w.cfg->guest_v)
		w.g_exp_v = model_pattern(CTX_GUEST);
	expect_img();
	for (n = 0; n < 32; n++)
		set_reg(GFPU_RISCV_F, n);
	set_reg(GFPU_RISCV_FCSR, 0);
	if (!w.cfg->guest_v)
		return;
	for (n = 0; n < GFPU_RISCV_NR_VCSRS; n++)
		set_reg(GFPU_RISCV_VCSR, n);
	for (n = 0; n < 32; n++)
		set_reg(GFPU_RISCV_VREG, n);
}

/* Bad KVM_SET_ONE_REG ids, sizes and values: refused, nothing changed. */
static void ev_u_set_bad(void)
{
	int nov = w.cfg->guest_v ? 0 : -ENOENT;
	const struct { unsigned int cls, n; u32 size; int err; } bad[] = {
		{ GFPU_RISCV_F, 32, 8, -ENOENT },
		{ GFPU_RISCV_F, 0, 4, -EINVAL },
		{ GFPU_RISCV_FCSR, 1, 4, -ENOENT },
		{ GFPU_RISCV_FCSR, 0, 8, -EINVAL },
		{ GFPU_RISCV_VCSR, GFPU_RISCV_NR_VCSRS, 8, nov ?: -ENOENT },
		/* datap and F past fcsr: the size first, as in 6.12 */
		{ GFPU_RISCV_VCSR, GFPU_RISCV_NR_VCSRS, 4, nov ?: -EINVAL },
		{ GFPU_RISCV_F32, 33, 8, -EINVAL },
		{ GFPU_RISCV_F32, 33, 4, -ENOENT },
		{ GFPU_RISCV_VCSR, 0, 4, nov ?: -EINVAL },
		{ GFPU_RISCV_VCSR, GFPU_RISCV_VCSR_VLENB, 8, nov ?: -EINVAL },
		{ GFPU_RISCV_VREG, 0, vlenb() / 2, nov ?: -EINVAL },
		{ GFPU_RISCV_VREG, 32, vlenb(), nov ?: -ENOENT },
		{ 9, 0, 8, -ENOENT },
	};
	u8 buf[64];
	unsigned int i;
	int ret;

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = gfpu_set_state(w.v, GFPU_RISCV_REG(bad[i].cls, bad[i].n),
				     buf, bad[i].size);
		if (ret != bad[i].err)
			model_fail("KVM_SET_ONE_REG bad case %u returned %d, want %d",
				   i, ret, bad[i].err);
	}
}

/* === The guest's side ================================================== */

/*
 * VM exit (kvm_riscv_vcpu_enter_exit() returning, interrupts still off):
 * the guest's sstatus with its FS/VS is KVM's again.  An illegal
 * instruction exit on a unit the vCPU has is gfpu's trap, reported before
 * gfpu_exit_sync(); the guest retries the instruction at the next entry.
 */
static void vm_exit(bool trap)
{
	cpu()->guest_mode = false;
	if (trap)
		gfpu_lazy_trap(w.v);
	gfpu_exit_sync(w.v, 0);
	model_irq_on();
	mc.phase = PH_KERNEL;
}

/* The guest's instruction on @mask: false when it trapped instead. */
static bool guest_access(unsigned long mask)
{
	if (field(gcntx()->sstatus, mask) == 0) {
		vm_exit(true);
		return false;
	}
	guest_check();
	return true;
}

static void ev_g_fp(void)
{
	if (!guest_access(SR_FS))
		return;
	w.g_exp_f = cpu()->f = model_pattern(CTX_GUEST);
	set_field(&gcntx()->sstatus, SR_FS, SR_FS_DIRTY);
	model_use(mc.cur_cpu, CTX_GUEST, sizeof(struct __riscv_d_ext_state));
}

static bool g_has_v(void)
{
	return w.cfg->guest_v;
}

static void ev_g_vec(void)
{
	if (!guest_access(SR_VS))
		return;
	w.g_exp_v = cpu()->v = model_pattern(CTX_GUEST);
	set_field(&gcntx()->sstatus, SR_VS, SR_VS_DIRTY);
	model_use(mc.cur_cpu, CTX_GUEST, riscv_v_vsize + 40);
}

/* (A scenario may name it after a trap already exited.) */
static void ev_g_exit(void)
{
	if (mc.phase == PH_GUEST)
		vm_exit(false);
}

const struct model_event sim_events[] = {
	{ "u_fp",	PH(PH_USER), EV_CORE,	NULL,		ev_u_fp },
	{ "u_vec",	PH(PH_USER), EV_CORE,	NULL,		ev_u_vec },
	{ "u_signal",	PH(PH_USER), 0,		NULL,		ev_u_signal },
	{ "u_run",	PH(PH_USER), EV_CORE,	NULL,		ev_u_run },
	{ "u_get",	PH(PH_USER), 0,		NULL,		ev_u_get },
	{ "u_set",	PH(PH_USER), 0,		NULL,		ev_u_set },
	{ "u_set_bad",	PH(PH_USER), 0,		NULL,		ev_u_set_bad },
	{ "policy",	PH_ANY, 0,		policy_can_switch, ev_policy },
	SIM_THREAD_EVENTS,
	{ "g_fp",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_fp },
	{ "g_vec",	PH(PH_GUEST), EV_CORE,	g_has_v,	ev_g_vec },
	{ "g_exit",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_exit },
};
const int sim_nr_events = ARRAY_SIZE(sim_events);

/* start_thread() with FP, after the first vector use (datap, VS on). */
static void task_init(struct sim_task *t, enum model_ctx ctx)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->ts.regs.status = SR_FS_INITIAL | SR_VS_INITIAL;
	t->ts.thread.vstate.datap = t->vbuf;
	t->ts.thread.vstate.vlenb = vlenb();
	if (w.cfg->preempt_v) {
		t->ts.thread.kernel_vstate.datap = t->kvbuf;
		t->ts.thread.kernel_vstate.vlenb = vlenb();
	}
	/* Its registers are not loaded yet. */
	set_tsk_thread_flag(&t->ts, TIF_RISCV_V_DEFER_RESTORE);
}

static void reset_cfg(const struct sim_config *cfg)
{
	struct kvm_cpu_context *g;
	int i, ret;

	memset(&mc, 0, sizeof(mc));
	memset(&w, 0, sizeof(w));
	memset(gfpu_cpus, 0, sizeof(gfpu_cpus));
	memset(gfpu_riscv_host_v, 0, sizeof(gfpu_riscv_host_v));
	w.cfg = cfg;
	riscv_v_vsize = 32 * (cfg->vlen / 8);
	if (gfpu_set_policy(cfg->policy))
		model_fail("gfpu_set_policy(%#x) failed", cfg->policy);
	task_init(&w.vmm, CTX_VMM);
	for (i = 0; i < MODEL_NR_CPUS; i++) {
		task_init(&w.other[i], CTX_OTHER0 + i);
		w.cpu[i].cur = i ? &w.other[i] : &w.vmm;
	}
	/* kvm_riscv_vcpu_fp_reset(), kvm_riscv_vcpu_vector_reset() */
	w.kvcpu.arch.isa[0] = 1UL << RISCV_ISA_EXT_f | 1UL << RISCV_ISA_EXT_d;
	g = gcntx();
	g->sstatus = SR_FS_INITIAL;
	g->vector.datap = w.gbuf;
	g->vector.vlenb = vlenb();
	if (cfg->guest_v) {
		w.kvcpu.arch.isa[0] |= 1UL << RISCV_ISA_EXT_v;
		g->sstatus |= SR_VS_INITIAL;
	}
	w.v = &w.kvcpu.arch.gfpu;
	ret = model_vcpu_init(w.v, &w.kvcpu.stat.gfpu);
	if (ret) {
		model_fail("gfpu_vcpu_init: %d", ret);
		w.v = NULL;
		return;
	}
	mc.phase = PH_USER;
	for (i = MODEL_NR_CPUS - 1; i >= 0; i--) {
		mc.cur_cpu = i;
		fstate_restore(current, task_pt_regs(current));
		ret_to_user_fp();
	}
}

void sim_reset(unsigned int config)
{
	reset_cfg(&configs[config]);
}

/*
 * The machine of make compare's riscv64 boots (QEMU's VLEN 128, a vCPU
 * with V, kernel-mode vector preemptible), under the kernel's policy.
 */
void sim_replay_reset(unsigned long policy)
{
	static struct sim_config cfg = {
		.vlen = 128, .preempt_v = true, .guest_v = true,
	};

	cfg.policy = policy;
	reset_cfg(&cfg);
}

struct gfpu_vcpu *sim_vcpu(void)
{
	return w.v;
}

/* riscv's vCPU ioctls other than KVM_RUN do not load the vCPU. */
void sim_replay_ioctl(bool begin)
{
	model_fail("replay: a load outside KVM_RUN on riscv");
}

/* Enter the guest and run @ev, through a trap if there is one. */
static void drain_guest(void (*ev)(void))
{
	int i;

	for (i = 0; i < 2 && !model_failed(); i++) {
		ev_k_enter();
		ev();
		if (mc.phase == PH_GUEST)
			return;
	}
	model_fail("the guest's access never completed");
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
	drain_guest(ev_g_fp);
	sim_check();
	if (w.cfg->guest_v) {
		ev_g_exit();
		drain_guest(ev_g_vec);
		sim_check();
	}
	ev_g_exit();
	ev_softirq();
	sim_check();
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
