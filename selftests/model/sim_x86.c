// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated x86 machine for the model: XSAVE components, XCR0, XFD,
 * XFD_ERR, XINUSE (a component whose value is 0 is in its init state),
 * and the host's FPU tracking as 6.12 does it (per-task fpstate pointer,
 * TIF_NEED_FPU_LOAD, per-CPU register owner).  The framework's core and
 * x86 backend are compiled in unchanged; the hardware layer below is what
 * the kernel implements on arch/x86/kernel/fpu.
 */
#include <stdio.h>
#include "model.h"
#include "../../core/gfpu_core.c"
#include "../../arch/x86/gfpu_x86.c"

const char *const sim_arch = "x86";

#define NXF		GFPU_XF_NR
#define XF(i)		(1ULL << (i))
#define XF_BASE		(GFPU_XF_FP | GFPU_XF_SSE | GFPU_XF_YMM | \
			 GFPU_XF_AVX512 | GFPU_XF_PKRU)
#define XF_HOST		(XF_BASE | GFPU_XF_AMX)
#define FPS_MAGIC	0x46505354U

/* Non-compacted XSAVE layout: offset and size of each component. */
static const u32 xf_off[NXF] = {
	[0] = 0, [1] = 160, [2] = 576, [5] = 1088, [6] = 1152, [7] = 1664,
	[9] = 2688, [17] = 2752, [18] = 2816,
};
static const u32 xf_len[NXF] = {
	[0] = 160, [1] = 256, [2] = 256, [5] = 64, [6] = 512, [7] = 1024,
	[9] = 8, [17] = 64, [18] = 8192,
};

/* An fpstate: what the kernel's struct fpstate holds, values abstracted. */
struct sim_fps {
	u32 magic;
	u64 features;	/* components it has room for */
	u64 xfd;
	u64 bv;		/* XSTATE_BV */
	bool in_use;
	u64 d[NXF];
};

struct sim_task {
	enum model_ctx ctx;
	struct sim_fps own;
	struct sim_fps *fps;		/* fpu->fpstate */
	struct sim_fps *task_fps;	/* fpu->__task_fpstate while swapped */
	bool need_load;			/* TIF_NEED_FPU_LOAD */
	int last_cpu;
	u64 exp[NXF];			/* what its userspace last wrote */
};

struct sim_cpu {
	u64 d[NXF];
	u64 xcr0, xfd, xfd_err;
	struct sim_task *cur;
	struct sim_task *owner;		/* fpu_fpregs_owner_ctx */
	bool guest_mode;
};

static struct sim_world {
	struct sim_cpu cpu[MODEL_NR_CPUS];
	struct sim_task vmm, other[MODEL_NR_CPUS];
	struct gfpu_vcpu *v;
	struct sim_fps *gfps;		/* the guest fpstate (arena) */
	u64 perm;			/* ARCH_REQ_XCOMP_GUEST_PERM */
	bool ran;
	/* The guest's architectural view, as the model expects it. */
	u64 g_exp[NXF];
	u64 g_dc;			/* components whose value is unknown */
	u64 g_xcr0, g_xfd, g_xfd_err;
	unsigned int xsetbv_next;
} w;

const struct model_region sim_regions[] = {
	{ &w, sizeof(w) },
	{ &gfpu_cpus, sizeof(gfpu_cpus) },
	{ &gfpu_global_policy, sizeof(gfpu_global_policy) },
};
const int sim_nr_regions = ARRAY_SIZE(sim_regions);

static u32 xsave_size(u64 mask)
{
	u32 size = GFPU_XSAVE_HDR + GFPU_XSAVE_HDR_SIZE;
	int i;

	for (i = 2; i < NXF; i++)
		if ((mask & XF(i)) && xf_off[i] + xf_len[i] > size)
			size = xf_off[i] + xf_len[i];
	return size;
}

static struct sim_cpu *cpu(void)
{
	return &w.cpu[mc.cur_cpu];
}

static void fps_check(const struct sim_fps *f)
{
	if (!f || f->magic != FPS_MAGIC)
		model_fail("fpstate %p is not live (use after free?)", f);
}

/* === The CPU: XSAVE and XRSTOR ======================================== */

static void xsave(struct sim_fps *f)
{
	struct sim_cpu *c = cpu();
	u64 mask = c->xcr0 & f->features;
	int i;

	fps_check(f);
	for (i = 0; i < NXF; i++) {
		u64 bit = XF(i);

		if (!(c->xcr0 & bit) || (c->xfd & bit) || !c->d[i])
			continue;
		if (!(mask & bit))
			model_fail("XSAVE: component %d in use but the fpstate has no room", i);
	}
	for (i = 0; i < NXF; i++) {
		u64 bit = XF(i);

		if (!(mask & bit))
			continue;
		/* XFD-armed components save as init (SDM 13.14). */
		if ((c->xfd & bit) || !c->d[i]) {
			f->bv &= ~bit;
		} else {
			f->d[i] = c->d[i];
			f->bv |= bit;
		}
	}
	model_count(true, xsave_size(mask));
}

/* restore_fpregs_from_fpstate(): XFD from the fpstate, then XRSTOR. */
static void xrstor(struct sim_fps *f)
{
	struct sim_cpu *c = cpu();
	u64 mask;
	int i;

	fps_check(f);
	c->xfd = f->xfd;
	mask = c->xcr0 & f->features;
	if (f->bv & c->xfd & mask)
		model_fail("XRSTOR #NM in the host: XSTATE_BV %#llx & XFD %#llx",
			   (unsigned long long)f->bv, (unsigned long long)c->xfd);
	for (i = 0; i < NXF; i++)
		if (mask & XF(i))
			c->d[i] = (f->bv & XF(i)) ? f->d[i] : 0;
	model_count(false, xsave_size(mask));
}

/* === The host kernel's FPU tracking (6.12 semantics) =================== */

static bool regs_valid(struct sim_task *t)
{
	return cpu()->owner == t && t->last_cpu == mc.cur_cpu;
}

static void activate(struct sim_task *t)
{
	cpu()->owner = t;
	t->last_cpu = mc.cur_cpu;
}

/* switch_fpu() for the task leaving this CPU. */
static void switch_out(void)
{
	struct sim_task *t = cpu()->cur;

	if (!t->need_load) {
		xsave(t->fps);
		t->last_cpu = mc.cur_cpu;
		t->need_load = true;
	}
	cpu()->cur = NULL;
}

static void switch_in(struct sim_task *t)
{
	if (cpu()->cur)
		model_fail("switch_in on a busy CPU");
	cpu()->cur = t;
}

/* fpregs_restore_userregs() / switch_fpu_return(). */
static void load_current(void)
{
	struct sim_task *t = cpu()->cur;

	if (!t->need_load)
		return;
	if (!regs_valid(t))
		xrstor(t->fps);
	activate(t);
	t->need_load = false;
}

/* kernel_fpu_begin() + end in a softirq on this CPU. */
static void kernel_fp(void)
{
	struct sim_task *t = cpu()->cur;
	struct sim_cpu *c = cpu();

	if (!t->need_load) {
		t->need_load = true;
		xsave(t->fps);
	}
	c->owner = NULL;
	model_use(mc.cur_cpu, CTX_KERN, 0);
	c->d[0] = c->d[1] = model_pattern(CTX_KERN);
	if (!(c->xfd & GFPU_XF_YMM))
		c->d[2] = c->d[1];
}

/* === The hardware layer the backend calls ============================== */

int gfpu_x86_hw_init(struct gfpu_vcpu *v)
{
	struct sim_fps *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->magic = FPS_MAGIC;
	f->features = XF_BASE | GFPU_XF_XTILECFG;
	w.gfps = f;
	return 0;
}

void gfpu_x86_hw_destroy(struct gfpu_vcpu *v)
{
	kfree(w.gfps);
	w.gfps = NULL;
}

u64 gfpu_x86_hw_host_xfeatures(void)
{
	return XF_HOST;
}

u64 gfpu_x86_hw_guest_perm(struct gfpu_vcpu *v)
{
	return w.perm;
}

bool gfpu_x86_hw_regs_live(void)
{
	struct sim_task *t = cpu()->cur;

	return !t->need_load && regs_valid(t);
}

void gfpu_x86_hw_swap(struct gfpu_vcpu *v, bool to_guest)
{
	struct sim_task *t = cpu()->cur;

	preempt_disable();
	if (GFPU_MUTANT(seed001_vmm_buffer)) {
		/* 2017: explicit buffers, the task's fpstate never changes. */
		if (!t->need_load)
			xsave(to_guest ? t->fps : w.gfps);
		xrstor(to_guest ? w.gfps : t->fps);
		activate(t);
		t->need_load = false;
		preempt_enable();
		return;
	}
	if (!t->need_load || GFPU_MUTANT(swap_ignores_need_load))
		xsave(t->fps);
	if (to_guest) {
		t->task_fps = t->fps;
		t->fps = w.gfps;
		w.gfps->in_use = true;
	} else {
		w.gfps->in_use = false;
		t->fps = t->task_fps;
		t->task_fps = NULL;
	}
	xrstor(t->fps);
	activate(t);
	t->need_load = false;
	preempt_enable();
}

void gfpu_x86_hw_reload(struct gfpu_vcpu *v)
{
	if (!irqs_disabled())
		model_fail("switch_fpu_return() with interrupts on");
	load_current();
}

void gfpu_x86_hw_save_current(struct gfpu_vcpu *v)
{
	struct sim_task *t = cpu()->cur;

	if (!t->need_load) {
		xsave(t->fps);
		t->need_load = true;
	}
	cpu()->owner = NULL;
}

void gfpu_x86_hw_load_guest_xcr(struct gfpu_vcpu *v, u64 xcr0)
{
	if (!irqs_disabled())
		model_fail("guest XCR0 loaded with interrupts on");
	cpu()->xcr0 = xcr0;
}

void gfpu_x86_hw_load_host_xcr(struct gfpu_vcpu *v)
{
	cpu()->xcr0 = XF_HOST;
}

void gfpu_x86_hw_sync_xfd(struct gfpu_vcpu *v)
{
	struct sim_task *t = cpu()->cur;

	if (t->fps == w.gfps)
		w.gfps->xfd = cpu()->xfd;
}

u64 gfpu_x86_hw_read_xfd_err(void)
{
	return cpu()->xfd_err;
}

void gfpu_x86_hw_write_xfd_err(u64 val)
{
	cpu()->xfd_err = val;
}

u64 gfpu_x86_hw_fpstate_features(struct gfpu_vcpu *v)
{
	return w.gfps->features;
}

u64 gfpu_x86_hw_fpstate_xfd(struct gfpu_vcpu *v)
{
	return w.gfps->xfd;
}

int gfpu_x86_hw_fpstate_grow(struct gfpu_vcpu *v, u64 features)
{
	struct sim_fps *old = w.gfps, *f = kzalloc(sizeof(*f), GFP_KERNEL);
	struct sim_task *t = &w.vmm;

	if (!f)
		return -ENOMEM;
	preempt_disable();
	*f = *old;
	f->features = features;
	if (t->fps == old)
		t->fps = f;
	w.gfps = f;
	preempt_enable();
	kfree(old);
	return 0;
}

void gfpu_x86_hw_fpstate_set_xfd(struct gfpu_vcpu *v, u64 xfd)
{
	preempt_disable();
	w.gfps->xfd = xfd;
	if (w.gfps->in_use && cpu()->cur == &w.vmm && w.vmm.fps == w.gfps)
		cpu()->xfd = xfd;
	preempt_enable();
}

void gfpu_x86_hw_fpstate_drop(struct gfpu_vcpu *v, u64 mask)
{
	w.gfps->bv &= ~mask;
}

u32 gfpu_x86_hw_xstate_size(u64 features)
{
	return xsave_size(features);
}

u32 gfpu_x86_hw_mxcsr_mask(void)
{
	return 0xffff;
}

/* The uAPI image carries each component's value in its first 8 bytes. */
void gfpu_x86_hw_copy_to_uabi(struct gfpu_vcpu *v, void *buf, u32 size)
{
	u8 *p = buf;
	int i;

	memset(buf, 0, size);
	memcpy(p + GFPU_XSAVE_HDR, &w.gfps->bv, 8);
	for (i = 0; i < NXF; i++)
		if (w.gfps->bv & XF(i))
			memcpy(p + xf_off[i] + (i == 0 ? 32 : 0), &w.gfps->d[i], 8);
}

int gfpu_x86_hw_copy_from_uabi(struct gfpu_vcpu *v, const void *buf)
{
	const u8 *p = buf;
	u64 bv;
	int i;

	memcpy(&bv, p + GFPU_XSAVE_HDR, 8);
	w.gfps->bv = bv;
	for (i = 0; i < NXF; i++)
		if (bv & XF(i))
			memcpy(&w.gfps->d[i], p + xf_off[i] + (i == 0 ? 32 : 0), 8);
	return 0;
}

/* === Expectations ====================================================== */

static void task_write(struct sim_task *t, u64 mask)
{
	struct sim_cpu *c = cpu();
	int i;

	for (i = 0; i < NXF; i++) {
		if (!(mask & XF(i)))
			continue;
		t->exp[i] = model_pattern(t->ctx);
		c->d[i] = t->exp[i];
	}
	model_use(mc.cur_cpu, t->ctx, xsave_size(mask));
}

/* Userspace of task @t runs on this CPU: it sees exactly its own values. */
static void task_check(struct sim_task *t, const char *who)
{
	struct sim_cpu *c = cpu();
	int i;

	if (c->xcr0 != XF_HOST)
		model_fail("%s runs with XCR0 %#llx, not the host's", who,
			   (unsigned long long)c->xcr0);
	if (c->xfd != t->own.xfd)
		model_fail("%s runs with XFD %#llx, its own is %#llx", who,
			   (unsigned long long)c->xfd,
			   (unsigned long long)t->own.xfd);
	for (i = 0; i < NXF; i++) {
		if (!(XF_BASE & XF(i)) || c->d[i] == t->exp[i])
			continue;
		model_fail("%s reads component %d = %#llx (owner ctx %u), wrote %#llx",
			   who, i, (unsigned long long)c->d[i], PAT_CTX(c->d[i]),
			   (unsigned long long)t->exp[i]);
	}
}

static void guest_check(void)
{
	struct sim_cpu *c = cpu();
	u64 live = w.g_xcr0 & ~c->xfd;
	int i;

	if (c->xcr0 != w.g_xcr0)
		model_fail("guest runs with XCR0 %#llx, set %#llx",
			   (unsigned long long)c->xcr0,
			   (unsigned long long)w.g_xcr0);
	if (c->xfd != w.g_xfd)
		model_fail("guest runs with XFD %#llx, set %#llx",
			   (unsigned long long)c->xfd, (unsigned long long)w.g_xfd);
	if (c->xfd_err != w.g_xfd_err)
		model_fail("guest reads XFD_ERR %#llx, expected %#llx",
			   (unsigned long long)c->xfd_err,
			   (unsigned long long)w.g_xfd_err);
	for (i = 0; i < NXF; i++) {
		u64 val = c->d[i];

		if (!(live & XF(i)))
			continue;
		if (w.g_dc & XF(i)) {
			if (val && PAT_CTX(val) != CTX_GUEST)
				model_fail("guest component %d holds %#llx of ctx %u",
					   i, (unsigned long long)val, PAT_CTX(val));
			continue;
		}
		if (val != w.g_exp[i])
			model_fail("guest reads component %d = %#llx (owner ctx %u), wrote %#llx",
				   i, (unsigned long long)val, PAT_CTX(val),
				   (unsigned long long)w.g_exp[i]);
	}
}

/* The guest fpstate's registers are live on the vCPU thread's CPU. */
static bool gfps_live(void)
{
	struct sim_task *t = &w.vmm;

	return t->fps == w.gfps && !t->need_load &&
	       w.cpu[mc.vcpu_cpu].owner == t && t->last_cpu == mc.vcpu_cpu;
}

void sim_check(void)
{
	int i;

	for (i = 0; i < MODEL_NR_CPUS; i++) {
		struct sim_cpu *c = &w.cpu[i];

		if (c->guest_mode)
			continue;
		if (c->xcr0 != XF_HOST)
			model_fail("CPU%d: guest XCR0 %#llx live with host interrupts on",
				   i, (unsigned long long)c->xcr0);
		if (c->xfd_err)
			model_fail("CPU%d: XFD_ERR %#llx visible to the host", i,
				   (unsigned long long)c->xfd_err);
	}
	/*
	 * Whenever the buffer is the latest copy of the guest's state, an
	 * XRSTOR of it under its own XFD must not fault.
	 */
	if (!gfps_live() && (w.gfps->bv & w.gfps->xfd))
		model_fail("guest fpstate: XSTATE_BV %#llx & XFD %#llx",
			   (unsigned long long)w.gfps->bv,
			   (unsigned long long)w.gfps->xfd);
	mc.cur_cpu = mc.vcpu_cpu;
	if (mc.phase == PH_USER)
		task_check(&w.vmm, "VMM");
	else if (mc.phase == PH_GUEST)
		guest_check();
}

/* === Events ============================================================ */

static void ret_to_user(void)
{
	load_current();
	mc.phase = PH_USER;
}

static void other_task_fp(struct sim_task *o)
{
	load_current();
	task_check(o, "other task");
	task_write(o, XF_BASE);
}

#include "sim_thread.h"


static void ev_u_fp(void)
{
	task_write(&w.vmm, XF_BASE);
}

static void ev_u_signal(void)
{
	struct sim_task *t = &w.vmm;
	struct sim_cpu *c = cpu();
	u64 frame[NXF];
	int i;

	/* copy_fpstate_to_sigframe(): the live registers, or the fpstate. */
	if (!t->need_load) {
		memcpy(frame, c->d, sizeof(frame));
		model_count(true, xsave_size(XF_BASE));
	} else {
		for (i = 0; i < NXF; i++)
			frame[i] = (t->fps->bv & XF(i)) ? t->fps->d[i] : 0;
	}
	/* The handler starts from init state and uses FP. */
	for (i = 0; i < NXF; i++)
		if (XF_BASE & XF(i))
			c->d[i] = model_pattern(CTX_SIG);
	activate(t);
	t->need_load = false;
	model_use(mc.cur_cpu, CTX_SIG, xsave_size(XF_BASE));
	/* sigreturn: the frame goes back into the registers. */
	for (i = 0; i < NXF; i++)
		if (XF_BASE & XF(i))
			c->d[i] = frame[i];
	model_count(false, xsave_size(XF_BASE));
	model_use(mc.cur_cpu, CTX_VMM, xsave_size(XF_BASE));
}

static void ev_u_run(void)
{
	int ret = gfpu_run_enter(w.v, !w.ran);

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

/* The vCPU thread is preempted on its CPU by that CPU's other task. */





static void ev_u_get(void)
{
	static u8 buf[16384];
	u64 xcr0, bv;
	int i, ret;

	ret = gfpu_get_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
	if (ret < 0) {
		model_fail("KVM_GET_XSAVE2 failed: %d", ret);
		return;
	}
	model_sync(CTX_GUEST);
	memcpy(&bv, buf + GFPU_XSAVE_HDR, 8);
	for (i = 0; i < NXF; i++) {
		u64 val = 0;

		if (!(w.g_xcr0 & ~w.g_xfd & XF(i)) || (w.g_dc & XF(i)))
			continue;
		if (bv & XF(i))
			memcpy(&val, buf + xf_off[i] + (i == 0 ? 32 : 0), 8);
		if (val != w.g_exp[i])
			model_fail("KVM_GET_XSAVE: component %d = %#llx, guest wrote %#llx",
				   i, (unsigned long long)val,
				   (unsigned long long)w.g_exp[i]);
	}
	if (gfpu_get_state(w.v, GFPU_X86_XCR0, &xcr0, 8) != 8 ||
	    xcr0 != w.g_xcr0)
		model_fail("KVM_GET_XCRS: XCR0 %#llx, guest set %#llx",
			   (unsigned long long)xcr0, (unsigned long long)w.g_xcr0);
}

/* Build an XSAVE image of new guest values for the components in @mask. */
static void make_image(u8 *buf, u32 size, u64 mask, u64 *vals)
{
	int i;

	memset(buf, 0, size);
	memcpy(buf + GFPU_XSAVE_HDR, &mask, 8);
	for (i = 0; i < NXF; i++) {
		if (!(mask & XF(i)))
			continue;
		vals[i] = model_pattern(CTX_GUEST);
		memcpy(buf + xf_off[i] + (i == 0 ? 32 : 0), &vals[i], 8);
	}
}

/* KVM_SET_XSAVE with new values, tile data included when there is room. */
static void ev_u_set(void)
{
	static u8 buf[16384];
	u64 vals[NXF] = { 0 };
	u64 mask = w.g_xcr0 & w.gfps->features;
	int i, ret;

	make_image(buf, sizeof(buf), mask, vals);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
	if (ret) {
		model_fail("KVM_SET_XSAVE of a valid image failed: %d", ret);
		return;
	}
	for (i = 0; i < NXF; i++) {
		if (!(w.g_xcr0 & XF(i)))
			continue;
		/* Components XFD disables load as init. */
		w.g_exp[i] = (w.g_xfd & XF(i)) ? 0 : vals[i];
		w.g_dc &= ~XF(i);
	}
}

/* Malformed KVM_SET_XSAVE and KVM_SET_XCRS: refused, nothing changed. */
static void ev_u_set_bad(void)
{
	static u8 buf[16384];
	u64 vals[NXF], bad = 1, xcr0 = GFPU_XF_FP | GFPU_XF_YMM;
	int ret;

	make_image(buf, sizeof(buf), w.g_xcr0 & w.gfps->features, vals);
	memcpy(buf + GFPU_XSAVE_HDR + 8, &bad, 8);	/* XCOMP_BV */
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
	if (ret != -EINVAL)
		model_fail("KVM_SET_XSAVE with XCOMP_BV set returned %d", ret);
	make_image(buf, sizeof(buf), XF(3), vals);	/* unsupported BNDREGS */
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
	if (ret != -EINVAL)
		model_fail("KVM_SET_XSAVE with unsupported XSTATE_BV returned %d", ret);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, 512);
	if (ret != -EINVAL)
		model_fail("KVM_SET_XSAVE of 512 bytes returned %d", ret);
	ret = gfpu_set_state(w.v, GFPU_X86_XCR0, &xcr0, 8);
	if (ret != -EINVAL)
		model_fail("KVM_SET_XCRS with AVX but no SSE returned %d", ret);
	ret = gfpu_set_state(w.v, 99, &xcr0, 8);
	if (ret != -ENOENT)
		model_fail("unknown state id returned %d", ret);
	model_note("bad uAPI input refused");
}

static void set_xfd_result(int ret, u64 val)
{
	if (ret)
		return;
	if (val & ~w.g_xfd)
		w.g_dc |= val & ~w.g_xfd;
	w.g_xfd = val;
}

/* KVM_SET_MSRS(IA32_XFD) from the VMM: always emulated. */
static void ev_u_setxfd(void)
{
	struct gfpu_feature f = {
		.kind = GFPU_FEAT_XFD,
		.value = w.g_xfd ^ GFPU_XF_XTILEDATA,
	};
	int ret = gfpu_feature_change(w.v, &f);

	if (ret && ret != -ENOMEM)
		model_fail("KVM_SET_MSRS(XFD=%#llx) failed: %d",
			   (unsigned long long)f.value, ret);
	set_xfd_result(ret, f.value);
}

static bool alloc_can_fail(void)
{
	return !mc.fail_alloc;
}

static void ev_fail_alloc(void)
{
	mc.fail_alloc = true;
}



static void vm_exit(unsigned int flags)
{
	cpu()->guest_mode = false;
	gfpu_exit_sync(w.v, flags);
	model_irq_on();
	mc.phase = PH_KERNEL;
}

static void ev_g_fp(void)
{
	u64 mask = w.g_xcr0 & ~cpu()->xfd & ~GFPU_XF_AMX;
	int i;

	for (i = 0; i < NXF; i++) {
		if (!(mask & XF(i)))
			continue;
		w.g_exp[i] = cpu()->d[i] = model_pattern(CTX_GUEST);
		w.g_dc &= ~XF(i);
	}
	model_use(mc.cur_cpu, CTX_GUEST, xsave_size(w.g_xcr0));
}

static bool g_has_amx(void)
{
	return w.g_xcr0 & GFPU_XF_XTILEDATA;
}

static void ev_g_tile(void)
{
	struct sim_cpu *c = cpu();

	if (c->xfd & GFPU_XF_XTILEDATA) {
		/* #NM from XFD: XFD_ERR set, the exit is intercepted. */
		c->xfd_err = w.g_xfd_err = GFPU_XF_XTILEDATA;
		vm_exit(GFPU_EXIT_NM);
		return;
	}
	w.g_exp[17] = c->d[17] = model_pattern(CTX_GUEST);
	w.g_exp[18] = c->d[18] = model_pattern(CTX_GUEST);
	w.g_dc &= ~GFPU_XF_AMX;
	model_use(mc.cur_cpu, CTX_GUEST, xsave_size(w.g_xcr0));
}

static void ev_g_exit(void)
{
	vm_exit(0);
}

/* #NM from CR0.TS, not XFD: XFD_ERR is untouched. */
static void ev_g_nm_ts(void)
{
	vm_exit(GFPU_EXIT_NM);
}

static void ev_g_xsetbv(void)
{
	static const u64 vals[] = {
		XF_BASE | GFPU_XF_AMX, XF_BASE, GFPU_XF_FP | GFPU_XF_YMM,
	};
	struct gfpu_feature f = { .kind = GFPU_FEAT_XCR0, .from_guest = true };
	int ret;

	f.value = vals[w.xsetbv_next++ % ARRAY_SIZE(vals)];
	vm_exit(0);
	ret = gfpu_feature_change(w.v, &f);
	if (!ret) {
		w.g_dc |= f.value & ~w.g_xcr0;
		w.g_xcr0 = f.value;
	} else if (ret == -ENOMEM) {
		/* KVM_RUN fails; the guest retries the XSETBV later. */
		run_exit();
	} else if (f.value != (GFPU_XF_FP | GFPU_XF_YMM) && ret != -EPERM) {
		model_fail("XSETBV(%#llx) refused: %d",
			   (unsigned long long)f.value, ret);
	}
}

static void ev_g_wrxfd(void)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_XFD, .from_guest = true };
	int ret;

	f.value = w.g_xfd ^ GFPU_XF_XTILEDATA;
	if (w.v->arch.xfd_passthrough) {
		cpu()->xfd = f.value;
		set_xfd_result(0, f.value);
		return;
	}
	vm_exit(0);
	ret = gfpu_feature_change(w.v, &f);
	set_xfd_result(ret, f.value);
	if (ret == -ENOMEM)
		run_exit();
	else if (ret)
		model_fail("WRMSR(XFD=%#llx) refused: %d",
			   (unsigned long long)f.value, ret);
}

static bool g_xfd_err_set(void)
{
	return w.g_xfd_err;
}

/* The guest's #NM handler clears XFD_ERR: WRMSR is always intercepted. */
static void ev_g_xfderr_clear(void)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_XFD_ERR, .from_guest = true };
	int ret;

	vm_exit(0);
	ret = gfpu_feature_change(w.v, &f);
	if (ret)
		model_fail("WRMSR(XFD_ERR=0) refused: %d", ret);
	w.g_xfd_err = 0;
}

const struct model_event sim_events[] = {
	{ "u_fp",	PH(PH_USER), EV_CORE,	NULL,		ev_u_fp },
	{ "u_signal",	PH(PH_USER), 0,	NULL,		ev_u_signal },
	{ "u_run",	PH(PH_USER), EV_CORE,	NULL,		ev_u_run },
	{ "u_get",	PH(PH_USER), 0,	NULL,		ev_u_get },
	{ "u_set",	PH(PH_USER), EV_CORE,	NULL,		ev_u_set },
	{ "u_set_bad",	PH(PH_USER), 0,	NULL,		ev_u_set_bad },
	{ "u_setxfd",	PH(PH_USER), 0,	NULL,		ev_u_setxfd },
	{ "fail_alloc",	PH_HOST, 0,	alloc_can_fail,	ev_fail_alloc },
	{ "preempt",	PH_HOST, EV_CORE,	NULL,		ev_preempt },
	{ "preempt_nofp", PH_HOST, 0,	NULL,		ev_preempt_nofp },
	{ "migrate",	PH_HOST, EV_CORE,	NULL,		ev_migrate },
	{ "softirq",	PH_HOST, EV_CORE,	NULL,		ev_softirq },
	{ "k_enter",	PH(PH_KERNEL), EV_CORE,	NULL,		ev_k_enter },
	{ "k_exit_run",	PH(PH_KERNEL), EV_CORE,	NULL,		ev_k_exit_run },
	{ "g_fp",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_fp },
	{ "g_tile",	PH(PH_GUEST), EV_CORE,	g_has_amx,	ev_g_tile },
	{ "g_exit",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_exit },
	{ "g_nm_ts",	PH(PH_GUEST), 0,	NULL,		ev_g_nm_ts },
	{ "g_xsetbv",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_xsetbv },
	{ "g_wrxfd",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_wrxfd },
	{ "g_xfderr_clear", PH(PH_GUEST), 0, g_xfd_err_set, ev_g_xfderr_clear },
};
const int sim_nr_events = ARRAY_SIZE(sim_events);

const struct model_policy sim_policies[] = {
	{ "run+write",		0 },
	{ "loadput+write",	GFPU_POLICY_SWAP_LOADPUT },
	{ "run+cpuid",		GFPU_POLICY_REALLOC_CPUID },
	{ "loadput+cpuid",	GFPU_POLICY_SWAP_LOADPUT |
				GFPU_POLICY_REALLOC_CPUID },
};
const int sim_nr_policies = ARRAY_SIZE(sim_policies);

static void task_init(struct sim_task *t, enum model_ctx ctx, int cpu_nr)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->own.magic = FPS_MAGIC;
	t->own.features = XF_BASE | GFPU_XF_XTILECFG;
	/* VMM and other tasks have no AMX permission for themselves. */
	t->own.xfd = GFPU_XF_XTILEDATA;
	t->fps = &t->own;
	t->need_load = true;
	t->last_cpu = -1;
}

void sim_reset(unsigned int policy)
{
	struct gfpu_feature cpuid = { .kind = GFPU_FEAT_CPUID, .value = XF_HOST };
	int i;

	memset(&mc, 0, sizeof(mc));
	memset(&w, 0, sizeof(w));
	memset(gfpu_cpus, 0, sizeof(gfpu_cpus));
	gfpu_set_policy(policy);
	task_init(&w.vmm, CTX_VMM, 0);
	for (i = 0; i < MODEL_NR_CPUS; i++) {
		task_init(&w.other[i], CTX_OTHER0 + i, i);
		w.cpu[i].xcr0 = XF_HOST;
		w.cpu[i].xfd = GFPU_XF_XTILEDATA;
		w.cpu[i].cur = i ? &w.other[i] : &w.vmm;
	}
	w.perm = XF_HOST;
	w.v = gfpu_vcpu_create(&w);
	if (IS_ERR(w.v)) {
		model_fail("gfpu_vcpu_create: %ld", PTR_ERR(w.v));
		return;
	}
	if (gfpu_feature_change(w.v, &cpuid))
		model_fail("KVM_SET_CPUID2 failed");
	/* A booted guest: AVX and AVX-512 on, AMX left to XSETBV. */
	w.g_xcr0 = XF_BASE;
	if (gfpu_set_state(w.v, GFPU_X86_XCR0, &w.g_xcr0, 8))
		model_fail("KVM_SET_XCRS failed");
	w.g_dc = XF_BASE;
	mc.phase = PH_USER;
	mc.cur_cpu = mc.vcpu_cpu = 0;
	/* Every task starts in userspace with its state loaded. */
	for (i = MODEL_NR_CPUS - 1; i >= 0; i--) {
		mc.cur_cpu = i;
		load_current();
	}
}

/* Read every context back through legal events. */
void sim_drain(void)
{
	if (mc.phase == PH_GUEST)
		ev_g_exit();
	if (mc.phase == PH_KERNEL)
		ev_k_exit_run();
	sim_check();
	ev_u_get();
	ev_u_run();
	sim_check();
	ev_k_enter();
	sim_check();
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
