// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated arm64 machine for the model: V0-V31 (with FPSR/FPCR), SVE
 * Z/P/FFR at a vector length (ZCR), the EL0 SVE trap (CPACR.ZEN), the
 * guest FP/SVE trap, and the host's fpsimd tracking as 6.12 does it (the
 * per-CPU last bound state, TIF_FOREIGN_FPSTATE, TIF_SVE).  Register
 * files are abstracted to three values: V (the low 128 bits of every Z,
 * FPSR and FPCR), the upper Z bits, and P/FFR.  The framework's core and
 * arm64 backend are compiled in unchanged.
 */
#include <stdio.h>
#include "model.h"
#include "../../core/gfpu_core.c"
#include "../../arch/arm64/gfpu_arm64.c"

const char *const sim_arch = "arm64";

#define HOST_VL		128
#define GUEST_VL	64
#define FPSIMD_BYTES	528
#define SVE_BYTES(vl)	(32 * (vl) + 17 * ((vl) / 8) + 8)

enum last_kind { LAST_NONE, LAST_TASK, LAST_VCPU };

struct sim_task {
	enum model_ctx ctx;
	u64 fp_v;			/* thread.uw.fpsimd_state */
	u64 sve_v, sve_zhi, sve_p;	/* thread.sve_state */
	bool tif_sve, tif_foreign;
	int fpsimd_cpu;
	u32 vl;
	/* What its userspace last wrote. */
	u64 exp_v, exp_zhi, exp_p;
	bool exp_sve;
};

struct sim_cpu {
	u64 v, zhi, p;
	u32 vl;			/* ZCR_ELx */
	bool zen;		/* EL0 SVE not trapped */
	bool gtrap;		/* guest FP/SVE trap armed */
	struct {
		enum last_kind kind;
		struct sim_task *task;
		u32 vl;
		bool sve;
	} last;			/* fpsimd_last_state */
	struct sim_task *cur;
	bool guest_mode;
};

/* The vCPU's in-memory register state (vcpu ctxt and sve_state). */
struct sim_gmem {
	u64 v, zhi, p;
	u32 fpsr, fpcr;
	void *sve_buf;		/* stands for vcpu->arch.sve_state */
};

static struct sim_world {
	struct sim_cpu cpu[MODEL_NR_CPUS];
	struct sim_task vmm, other[MODEL_NR_CPUS];
	struct gfpu_vcpu *v;
	struct sim_gmem gm;
	bool ran;
	u64 g_exp_v, g_exp_zhi, g_exp_p;
} w;

const struct model_region sim_regions[] = {
	{ &w, sizeof(w) },
	{ &gfpu_cpus, sizeof(gfpu_cpus) },
	{ &gfpu_global_policy, sizeof(gfpu_global_policy) },
};
const int sim_nr_regions = ARRAY_SIZE(sim_regions);

static struct sim_cpu *cpu(void)
{
	return &w.cpu[mc.cur_cpu];
}

static u32 guest_vl(void)
{
	return w.v->arch.sve_vl;
}

/* === The host kernel's fpsimd tracking (6.12 semantics) =============== */

/* Save this CPU's registers into task @t, as SVE state or as FPSIMD. */
static void task_save_regs(struct sim_task *t, bool sve)
{
	struct sim_cpu *c = cpu();

	if (sve) {
		if (c->vl != t->vl)
			model_fail("SVE save of a task at VL %u, its VL is %u",
				   c->vl, t->vl);
		t->sve_v = c->v;
		t->sve_zhi = c->zhi;
		t->sve_p = c->p;
		model_count(true, SVE_BYTES(t->vl));
	} else {
		t->fp_v = c->v;
		model_count(true, FPSIMD_BYTES);
	}
}

/* fpsimd_save(): write the bound state back, unless current is foreign. */
static void fpsimd_save(void)
{
	struct sim_cpu *c = cpu();
	struct sim_task *t;

	if (c->cur->tif_foreign)
		return;
	switch (c->last.kind) {
	case LAST_TASK:
		t = c->last.task;
		task_save_regs(t, t->tif_sve);
		break;
	case LAST_VCPU:
		if (c->last.sve) {
			if (c->vl != c->last.vl)
				model_fail("SVE save of a vCPU at VL %u, bound at %u",
					   c->vl, c->last.vl);
			w.gm.zhi = c->zhi;
			w.gm.p = c->p;
			model_count(true, SVE_BYTES(c->last.vl));
		} else {
			model_count(true, FPSIMD_BYTES);
		}
		w.gm.v = c->v;
		break;
	default:
		break;
	}
}

static void flush_cpu(void)
{
	cpu()->last.kind = LAST_NONE;
	cpu()->cur->tif_foreign = true;
}

/* fpsimd_bind_task_to_cpu(): current's state is live; EL0 traps per TIF_SVE. */
static void bind_task(void)
{
	struct sim_cpu *c = cpu();

	c->last.kind = LAST_TASK;
	c->last.task = c->cur;
	c->cur->fpsimd_cpu = mc.cur_cpu;
	c->zen = c->cur->tif_sve;
}

/* fpsimd_restore_current_state() on the way back to userspace. */
static void ret_to_user_fp(void)
{
	struct sim_cpu *c = cpu();
	struct sim_task *t = c->cur;

	if (!t->tif_foreign)
		return;
	if (t->tif_sve) {
		c->vl = t->vl;
		c->v = t->sve_v;
		c->zhi = t->sve_zhi;
		c->p = t->sve_p;
		model_count(false, SVE_BYTES(t->vl));
	} else {
		c->v = t->fp_v;
		c->zhi = 0;	/* writing V zeroes the rest of Z */
		model_count(false, FPSIMD_BYTES);
	}
	bind_task();
	t->tif_foreign = false;
}

static void switch_out(void)
{
	fpsimd_save();
	cpu()->cur = NULL;
}

static void switch_in(struct sim_task *t)
{
	struct sim_cpu *c = cpu();

	if (c->cur)
		model_fail("switch_in on a busy CPU");
	c->cur = t;
	t->tif_foreign = !(c->last.kind == LAST_TASK && c->last.task == t &&
			   t->fpsimd_cpu == mc.cur_cpu);
}

/* kernel_neon_begin()/end() in a softirq on this CPU. */
static void kernel_fp(void)
{
	struct sim_cpu *c = cpu();

	fpsimd_save();
	flush_cpu();
	model_use(mc.cur_cpu, CTX_KERN, 0);
	c->v = model_pattern(CTX_KERN);
	c->zhi = 0;
}

/* do_sve_acc(): first EL0 SVE use with TIF_SVE clear. */
static void sve_access_trap(void)
{
	struct sim_cpu *c = cpu();
	struct sim_task *t = c->cur;

	t->tif_sve = true;
	c->vl = t->vl;
	c->zhi = 0;
	c->p = 0;
	bind_task();
}

/* === The hardware layer the backend calls ============================== */

int gfpu_arm64_hw_map_host(struct gfpu_vcpu *v)
{
	return 0;
}

u32 gfpu_arm64_hw_max_vl(void)
{
	return GFPU_SVE_VL_MAX;
}

/*
 * The kernel's hyp does not save the host: with the host's state live it
 * hands the trap back, the host saves at exit, the guest retries
 * (policy bit SIM_HANDBACK).  Both only live inside one guest_access().
 */
#define SIM_HANDBACK	BIT(31)
static bool sim_handback, sim_handed_back;

bool gfpu_arm64_hw_lazy_host_ok(struct gfpu_vcpu *v)
{
	return true;
}

bool gfpu_arm64_hw_regs_live(void)
{
	return !cpu()->cur->tif_foreign;
}

bool gfpu_arm64_hw_host_sve(void)
{
	return cpu()->cur->tif_sve;
}

void gfpu_arm64_hw_save_flush(struct gfpu_vcpu *v)
{
	preempt_disable();
	fpsimd_save();
	flush_cpu();
	preempt_enable();
}

void gfpu_arm64_hw_flush_cpu(void)
{
	flush_cpu();
}

void gfpu_arm64_hw_host_save(struct gfpu_vcpu *v, bool sve)
{
	struct sim_cpu *c = cpu();
	struct sim_task *t = c->cur;

	if (!irqs_disabled())
		model_fail("lazy host save outside the trap");
	task_save_regs(t, sve);
	sim_handed_back = sim_handback;
}

void gfpu_arm64_hw_host_rebind(void)
{
	bind_task();
}

bool gfpu_arm64_hw_guest_restore(struct gfpu_vcpu *v, u32 vl)
{
	struct sim_cpu *c = cpu();

	if (sim_handed_back)
		return false;

	c->v = w.gm.v;
	if (vl) {
		c->vl = vl;
		c->zhi = w.gm.zhi;
		c->p = w.gm.p;
		model_count(false, SVE_BYTES(vl));
	} else {
		c->zhi = 0;
		model_count(false, FPSIMD_BYTES);
	}
	return true;
}

void gfpu_arm64_hw_guest_bind(struct gfpu_vcpu *v, u32 vl)
{
	struct sim_cpu *c = cpu();

	if (!irqs_disabled())
		model_fail("guest state bound with interrupts on");
	c->last.kind = LAST_VCPU;
	c->last.task = NULL;
	c->last.vl = vl;
	c->last.sve = vl != 0;
	c->cur->tif_foreign = false;
}

void gfpu_arm64_hw_set_trap(enum gfpu_owner owner)
{
	cpu()->gtrap = owner != GFPU_OWNER_GUEST;
}

int gfpu_arm64_hw_alloc_sve(struct gfpu_vcpu *v, u32 vl)
{
	void *buf = NULL;

	if (vl) {
		buf = kzalloc(64, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	kfree(w.gm.sve_buf);
	w.gm.sve_buf = buf;
	w.gm.zhi = 0;
	w.gm.p = 0;
	return 0;
}

static u64 reg_key(unsigned int cls, unsigned int n)
{
	return (u64)(cls * 64 + n) * 0x0101010101010101ULL;
}

/* Register images: V bytes 0-7, upper Z bytes 16-23, P bytes 0-7. */
void gfpu_arm64_hw_reg_copy(struct gfpu_vcpu *v, unsigned int cls,
			    unsigned int n, void *buf, u32 size, bool write)
{
	u64 key = reg_key(cls, n), val[3] = { 0 };
	u8 *p = buf;

	if (!write)
		memset(buf, 0, size);
	switch (cls) {
	case GFPU_ARM64_V:
	case GFPU_ARM64_Z:
		if (write) {
			memcpy(&val[0], p, 8);
			w.gm.v = val[0] ^ key;
			if (cls == GFPU_ARM64_Z && size >= 24) {
				memcpy(&val[1], p + 16, 8);
				w.gm.zhi = val[1] ^ key;
			}
		} else {
			val[0] = w.gm.v ^ key;
			memcpy(p, &val[0], 8);
			if (cls == GFPU_ARM64_Z && size >= 24) {
				val[1] = w.gm.zhi ^ key;
				memcpy(p + 16, &val[1], 8);
			}
		}
		break;
	case GFPU_ARM64_P:
	case GFPU_ARM64_FFR:
		if (write) {
			memcpy(&val[2], p, size < 8 ? size : 8);
			w.gm.p = val[2] ^ key;
		} else {
			val[2] = w.gm.p ^ key;
			memcpy(p, &val[2], size < 8 ? size : 8);
		}
		break;
	case GFPU_ARM64_FPSR:
		if (write)
			memcpy(&w.gm.fpsr, p, 4);
		else
			memcpy(p, &w.gm.fpsr, 4);
		break;
	case GFPU_ARM64_FPCR:
		if (write)
			memcpy(&w.gm.fpcr, p, 4);
		else
			memcpy(p, &w.gm.fpcr, 4);
		break;
	default:
		model_fail("reg_copy of class %u", cls);
	}
}

/* === Checks ============================================================ */

static void task_check(struct sim_task *t, const char *who)
{
	struct sim_cpu *c = cpu();

	if (c->zen != t->tif_sve)
		model_fail("%s runs with EL0 SVE %s but TIF_SVE %s", who,
			   c->zen ? "untrapped" : "trapped",
			   t->tif_sve ? "set" : "clear");
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
	if (c->vl != t->vl)
		model_fail("%s runs at VL %u, its VL is %u", who, c->vl, t->vl);
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

void sim_check(void)
{
	mc.cur_cpu = mc.vcpu_cpu;
	if (mc.phase == PH_USER)
		task_check(&w.vmm, "VMM");
	else if (mc.phase == PH_GUEST && !cpu()->gtrap)
		guest_check();
}

/* === Events ============================================================ */

static void ret_to_user(void)
{
	ret_to_user_fp();
	mc.phase = PH_USER;
}

static void task_write(struct sim_task *t, bool sve)
{
	struct sim_cpu *c = cpu();

	if (sve && !c->zen)
		sve_access_trap();
	t->exp_v = c->v = model_pattern(t->ctx);
	if (sve) {
		t->exp_zhi = c->zhi = model_pattern(t->ctx);
		t->exp_p = c->p = model_pattern(t->ctx);
		t->exp_sve = true;
	} else {
		t->exp_zhi = c->zhi = 0;
	}
	model_use(mc.cur_cpu, t->ctx, sve ? SVE_BYTES(t->vl) : FPSIMD_BYTES);
}

static void other_task_fp(struct sim_task *o)
{
	ret_to_user_fp();
	task_check(o, "other task");
	task_write(o, false);
}

#include "sim_thread.h"

static void ev_u_fp(void)
{
	task_write(&w.vmm, false);
}

static void ev_u_sve(void)
{
	task_write(&w.vmm, true);
}

static void syscall_enter(void)
{
	struct sim_task *t = &w.vmm;

	/* SVE state beyond V does not survive a syscall (sve_flush_live). */
	if (t->tif_sve && !t->tif_foreign) {
		cpu()->zhi = cpu()->p = 0;
		t->exp_zhi = t->exp_p = 0;
	}
}

static void ev_u_signal(void)
{
	struct sim_task *t = &w.vmm;
	u64 v, zhi, p;
	bool sve;

	/* fpsimd_signal_preserve_current_state() and the frame. */
	fpsimd_save();
	sve = t->tif_sve;
	v = sve ? t->sve_v : t->fp_v;
	zhi = sve ? t->sve_zhi : 0;
	p = sve ? t->sve_p : 0;
	model_count(true, sve ? SVE_BYTES(t->vl) : FPSIMD_BYTES);
	/* The handler uses SVE. */
	cpu()->v = model_pattern(CTX_SIG);
	if (!cpu()->zen)
		sve_access_trap();
	cpu()->zhi = cpu()->p = model_pattern(CTX_SIG);
	model_use(mc.cur_cpu, CTX_SIG, SVE_BYTES(t->vl));
	/* sigreturn: the frame becomes the task's state, reloaded on return. */
	t->tif_sve = sve;
	if (sve) {
		t->sve_v = v;
		t->sve_zhi = zhi;
		t->sve_p = p;
	} else {
		t->fp_v = v;
	}
	flush_cpu();
	ret_to_user();
	model_use(mc.cur_cpu, CTX_VMM, sve ? SVE_BYTES(t->vl) : FPSIMD_BYTES);
}

static void ev_u_run(void)
{
	int ret;

	syscall_enter();
	ret = gfpu_run_enter(w.v, !w.ran);
	if (ret) {
		model_fail("run enter failed: %d", ret);
		return;
	}
	w.ran = true;
	preempt_disable();
	gfpu_vcpu_load(w.v, false);
	preempt_enable();
	mc.phase = PH_KERNEL;
}







static u64 img_u64(const u8 *buf, int off)
{
	u64 val;

	memcpy(&val, buf + off, 8);
	return val;
}

/* KVM_GET_ONE_REG of Z0 and P0 (V0 without SVE). */
static void ev_u_get(void)
{
	u8 buf[GFPU_SVE_VL_MAX];
	u32 vl = guest_vl();
	u64 key;
	int ret;

	model_sync(CTX_GUEST);
	if (!vl) {
		ret = gfpu_get_state(w.v, GFPU_ARM64_REG(GFPU_ARM64_V, 0), buf, 16);
		key = reg_key(GFPU_ARM64_V, 0);
		if (ret != 16 || (img_u64(buf, 0) ^ key) != w.g_exp_v)
			model_fail("KVM_GET_ONE_REG(V0): %d, wrong value", ret);
		return;
	}
	ret = gfpu_get_state(w.v, GFPU_ARM64_REG(GFPU_ARM64_Z, 0), buf, vl);
	key = reg_key(GFPU_ARM64_Z, 0);
	if (ret != (int)vl || (img_u64(buf, 0) ^ key) != w.g_exp_v ||
	    (img_u64(buf, 16) ^ key) != w.g_exp_zhi)
		model_fail("KVM_GET_ONE_REG(Z0): %d, %#llx/%#llx, guest wrote %#llx/%#llx",
			   ret, (unsigned long long)(img_u64(buf, 0) ^ key),
			   (unsigned long long)(img_u64(buf, 16) ^ key),
			   (unsigned long long)w.g_exp_v,
			   (unsigned long long)w.g_exp_zhi);
	ret = gfpu_get_state(w.v, GFPU_ARM64_REG(GFPU_ARM64_P, 0), buf, vl / 8);
	key = reg_key(GFPU_ARM64_P, 0);
	if (ret != (int)vl / 8 || (img_u64(buf, 0) ^ key) != w.g_exp_p)
		model_fail("KVM_GET_ONE_REG(P0): %d, wrong value", ret);
}

/* KVM_SET_ONE_REG of Z0 (V0 without SVE) with a new value. */
static void ev_u_set(void)
{
	u8 buf[GFPU_SVE_VL_MAX] = { 0 };
	u32 vl = guest_vl();
	unsigned int cls = vl ? GFPU_ARM64_Z : GFPU_ARM64_V;
	u64 key = reg_key(cls, 0), v = model_pattern(CTX_GUEST);
	u64 zhi = vl ? model_pattern(CTX_GUEST) : 0;
	int ret;

	v ^= key;
	memcpy(buf, &v, 8);
	v ^= key;
	if (vl) {
		zhi ^= key;
		memcpy(buf + 16, &zhi, 8);
		zhi ^= key;
	}
	ret = gfpu_set_state(w.v, GFPU_ARM64_REG(cls, 0), buf, vl ? vl : 16);
	if (ret) {
		model_fail("KVM_SET_ONE_REG failed: %d", ret);
		return;
	}
	w.g_exp_v = v;
	w.g_exp_zhi = zhi;
}

/* Bad KVM_SET_ONE_REG ids and sizes: refused, nothing changed. */
static void ev_u_set_bad(void)
{
	static const struct { unsigned int cls, n; u32 size; int err; } bad[] = {
		{ GFPU_ARM64_Z, 0, 16, -EINVAL },	/* wrong size */
		{ GFPU_ARM64_V, 0, 16, -EINVAL },	/* V on an SVE vCPU */
		{ GFPU_ARM64_Z, 32, GUEST_VL, -ENOENT },
		{ GFPU_ARM64_P, 16, GUEST_VL / 8, -ENOENT },
		{ GFPU_ARM64_FFR, 1, GUEST_VL / 8, -ENOENT },
		{ GFPU_ARM64_FPSR, 0, 8, -EINVAL },
		{ 9, 0, 8, -ENOENT },
	};
	u8 buf[GFPU_SVE_VL_MAX];
	unsigned int i;
	int ret;

	memset(buf, 0xa5, sizeof(buf));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = gfpu_set_state(w.v, GFPU_ARM64_REG(bad[i].cls, bad[i].n),
				     buf, bad[i].size);
		if (ret != bad[i].err)
			model_fail("KVM_SET_ONE_REG bad case %u returned %d, want %d",
				   i, ret, bad[i].err);
	}
}

/* Changing the vector length: only before the first KVM_RUN. */
static void ev_u_setvl(void)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_SVE_VL, .value = GUEST_VL };
	bool fail = mc.fail_alloc;
	int ret = gfpu_feature_change(w.v, &f);

	if (w.ran ? ret != -EBUSY : ret != (fail ? -ENOMEM : 0))
		model_fail("SVE VL change returned %d (ran %d)", ret, w.ran);
	if (!ret)
		w.g_exp_zhi = w.g_exp_p = 0;
}

static bool alloc_can_fail(void)
{
	return !mc.fail_alloc;
}

static void ev_fail_alloc(void)
{
	mc.fail_alloc = true;
}



static void guest_access(void)
{
	if (cpu()->gtrap) {
		gfpu_lazy_trap(w.v);
		if (sim_handed_back) {
			/* Exit, the host's state saved; entry; the retry traps. */
			sim_handed_back = false;
			gfpu_exit_sync(w.v, 0);
			gfpu_guest_enter(w.v);
			if (cpu()->gtrap)
				gfpu_lazy_trap(w.v);
		}
		if (cpu()->gtrap)
			model_fail("lazy trap left the trap armed");
	}
	guest_check();
}

static void ev_g_fp(void)
{
	struct sim_cpu *c = cpu();

	guest_access();
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

	guest_access();
	w.g_exp_v = c->v = model_pattern(CTX_GUEST);
	w.g_exp_zhi = c->zhi = model_pattern(CTX_GUEST);
	w.g_exp_p = c->p = model_pattern(CTX_GUEST);
	model_use(mc.cur_cpu, CTX_GUEST, SVE_BYTES(guest_vl()));
}

static void ev_g_exit(void)
{
	struct sim_cpu *c = cpu();

	c->guest_mode = false;
	/* 6.12 VHE exit: host CPACR back with FP and SVE untrapped. */
	c->zen = true;
	gfpu_exit_sync(w.v, 0);
	model_irq_on();
	mc.phase = PH_KERNEL;
}

const struct model_event sim_events[] = {
	{ "u_fp",	PH(PH_USER), EV_CORE,	NULL,		ev_u_fp },
	{ "u_sve",	PH(PH_USER), EV_CORE,	NULL,		ev_u_sve },
	{ "u_signal",	PH(PH_USER), EV_CORE,	NULL,		ev_u_signal },
	{ "u_run",	PH(PH_USER), EV_CORE,	NULL,		ev_u_run },
	{ "u_get",	PH(PH_USER), 0,		NULL,		ev_u_get },
	{ "u_set",	PH(PH_USER), 0,		NULL,		ev_u_set },
	{ "u_set_bad",	PH(PH_USER), 0,		NULL,		ev_u_set_bad },
	{ "u_setvl",	PH(PH_USER), 0,		NULL,		ev_u_setvl },
	{ "fail_alloc",	PH_HOST, 0,		alloc_can_fail,	ev_fail_alloc },
	{ "preempt",	PH_HOST, EV_CORE,	NULL,		ev_preempt },
	{ "preempt_nofp", PH_HOST, 0,		NULL,		ev_preempt_nofp },
	{ "migrate",	PH_HOST, EV_CORE,	NULL,		ev_migrate },
	{ "softirq",	PH_HOST, EV_CORE,	NULL,		ev_softirq },
	{ "k_enter",	PH(PH_KERNEL), EV_CORE,	NULL,		ev_k_enter },
	{ "k_exit_run",	PH(PH_KERNEL), EV_CORE,	NULL,		ev_k_exit_run },
	{ "g_fp",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_fp },
	{ "g_sve",	PH(PH_GUEST), EV_CORE,	g_has_sve,	ev_g_sve },
	{ "g_exit",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_exit },
};
const int sim_nr_events = ARRAY_SIZE(sim_events);

const struct model_policy sim_policies[] = {
	{ "eager-host",	0 },
	{ "lazy-host",	GFPU_POLICY_LAZY_HOST },
	{ "lazy-host/handback", GFPU_POLICY_LAZY_HOST | SIM_HANDBACK },
};
const int sim_nr_policies = ARRAY_SIZE(sim_policies);

static void task_init(struct sim_task *t, enum model_ctx ctx)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->vl = HOST_VL;
	t->tif_foreign = true;
	t->fpsimd_cpu = -1;
}

void sim_reset(unsigned int policy)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_SVE_VL, .value = GUEST_VL };
	int i;

	memset(&mc, 0, sizeof(mc));
	memset(&w, 0, sizeof(w));
	memset(gfpu_cpus, 0, sizeof(gfpu_cpus));
	sim_handback = policy & SIM_HANDBACK;
	sim_handed_back = false;
	gfpu_set_policy(policy & ~SIM_HANDBACK);
	task_init(&w.vmm, CTX_VMM);
	for (i = 0; i < MODEL_NR_CPUS; i++) {
		task_init(&w.other[i], CTX_OTHER0 + i);
		w.cpu[i].cur = i ? &w.other[i] : &w.vmm;
		w.cpu[i].vl = HOST_VL;
	}
	w.v = gfpu_vcpu_create(&w);
	if (IS_ERR(w.v)) {
		model_fail("gfpu_vcpu_create: %ld", PTR_ERR(w.v));
		return;
	}
	if (gfpu_feature_change(w.v, &f))
		model_fail("SVE vector length setup failed");
	mc.phase = PH_USER;
	for (i = MODEL_NR_CPUS - 1; i >= 0; i--) {
		mc.cur_cpu = i;
		ret_to_user_fp();
	}
}

void sim_drain(void)
{
	if (mc.phase == PH_GUEST)
		ev_g_exit();
	if (mc.phase == PH_KERNEL)
		ev_k_exit_run();
	sim_check();
	ev_u_get();
	ev_u_run();
	ev_k_enter();
	guest_access();
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
