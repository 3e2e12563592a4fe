// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated x86 machine for the model: XSAVE components, XCR0, XFD,
 * XFD_ERR, XINUSE (a component whose value is 0 is in its init state).
 * The framework's core, its x86 backend and its hardware layer
 * (arch/x86/gfpu_x86_hw.c, the code the kernel runs) are compiled in
 * unchanged.  Below them, the 6.12 x86 FPU core and KVM functions that
 * hardware layer calls (x86_kernel.h) run on the simulated CPU with 6.12's
 * semantics: per-task fpstate pointer, TIF_NEED_FPU_LOAD, per-CPU register
 * owner, fpstate_realloc() handing out a zeroed buffer, -EFAULT from a
 * failed growth, XFD and XSTATE_BV rules of the uAPI copies.  The events
 * stand for KVM and the VMM and call gfpu as the KVM patch does.
 */
#include <stdio.h>
#include "model.h"
#include "x86_kernel.h"
#include "gfpu_core.c"
#include "gfpu_x86.c"
#include "gfpu_x86_hw.c"

const char *const sim_arch = "x86";

#define NXF		XFEATURE_MAX
#define XF(i)		(1ULL << (i))
#define XF_BASE		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM | \
			 XFEATURE_MASK_AVX512 | XFEATURE_MASK_PKRU)
#define XF_HOST		(XF_BASE | XFEATURE_MASK_XTILE)
/* fpu_kernel_cfg.default_features: everything but the dynamic features. */
#define XF_DEFAULT	(XF_HOST & ~XFEATURE_MASK_USER_DYNAMIC)
#define FPS_MAGIC	0x46505354U
/* offsetof(struct fxregs_state, mxcsr) */
#define FXSAVE_MXCSR	24

/* Non-compacted XSAVE layout: offset and size of each component. */
static const u32 xf_off[NXF] = {
	[0] = 0, [1] = 160, [2] = 576, [5] = 1088, [6] = 1152, [7] = 1664,
	[9] = 2688, [17] = 2752, [18] = 2816,
};
static const u32 xf_len[NXF] = {
	[0] = 160, [1] = 256, [2] = 256, [5] = 64, [6] = 512, [7] = 1024,
	[9] = 8, [17] = 64, [18] = 8192,
};

/*
 * VMs the VMM may create: the guest CPUID's xfeatures and the process's
 * guest permission (ARCH_REQ_XCOMP_GUEST_PERM).  A vCPU is made with the
 * first; "u_newvm" replaces it with one of the next.
 */
static const struct {
	const char *name;
	u64 cpuid;
	u64 perm;
} vm_cfgs[] = {
	{ "all",		XF_HOST,			XF_HOST },
	{ "no AMX",		XF_BASE,			XF_HOST },
	{ "no AVX-512, no AMX perm", XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_YMM |
				XFEATURE_MASK_PKRU,			XF_DEFAULT },
	{ "no AVX",		XFEATURE_MASK_FP | XFEATURE_MASK_SSE | XFEATURE_MASK_PKRU |
				XFEATURE_MASK_XTILE,			XF_HOST },
	{ "no PKRU",		XF_HOST & ~XFEATURE_MASK_PKRU,	XF_HOST },
};

/* vm_cfgs[]' CPUID of make compare's x86 guests. */
#define VM_CFG_COMPARE	2

struct sim_task {
	enum model_ctx ctx;
	struct task_struct task;	/* current, with ->thread.fpu */
	bool need_load;			/* TIF_NEED_FPU_LOAD */
	u64 exp[NXF];			/* what its userspace last wrote */
};

struct sim_cpu {
	u64 d[NXF];
	u64 xcr0, xfd, xfd_err;
	struct sim_task *cur;
	bool guest_mode;
};

static struct sim_world {
	struct sim_cpu cpu[MODEL_NR_CPUS];
	struct sim_task vmm, other[MODEL_NR_CPUS];
	struct gfpu_vcpu *v;		/* &kvm.arch.gfpu */
	struct kvm_vcpu kvm;		/* KVM's vCPU; guest_fpu, gfpu inside */
	u64 perm;			/* the process's guest permission */
	unsigned int cfg;		/* vm_cfgs[] of this vCPU */
	bool ran;
	bool xfd_no_write_intercept;	/* KVM's (vmx) */
	bool nm_intercept;		/* #NM in KVM's exception bitmap */
	/* The guest's architectural view, as the model expects it. */
	u64 g_exp[NXF];
	u64 g_dc;			/* components whose value is unknown */
	u64 g_xcr0, g_xfd, g_xfd_err;
	unsigned int xsetbv_next;
	/*
	 * The vCPU thread has the vCPU loaded (KVM's preempt notifier is
	 * registered), and the transfers the save/restore primitives made
	 * meanwhile on its behalf, as the counting patch charges them
	 * (kernel/patches/6.12-count): gfpu's stats must come to the same.
	 */
	bool loaded;
	struct model_prim prim;
} w;

/* Whose fpu's state each CPU's registers hold, or NULL. */
DEFINE_PER_CPU(struct fpu *, fpu_fpregs_owner_ctx);

struct kvm_caps kvm_caps = { .supported_xcr0 = XF_HOST };
unsigned int mxcsr_feature_mask = 0xffff;

const struct model_region sim_regions[] = {
	{ &w, sizeof(w) },
	{ &fpu_fpregs_owner_ctx, sizeof(fpu_fpregs_owner_ctx) },
	{ &gfpu_cpus, sizeof(gfpu_cpus) },
	{ &gfpu_global_policy, sizeof(gfpu_global_policy) },
};
const int sim_nr_regions = ARRAY_SIZE(sim_regions);

#define GFPS		(w.kvm.arch.guest_fpu.fpstate)
#define BV(f)		((f)->regs.xsave.header.xfeatures)
#define COMP(f, i)	((f)->regs.xsave.comp[i])

static u32 xsave_size(u64 mask)
{
	u32 size = XSAVE_HDR_OFFSET + XSAVE_HDR_SIZE;
	int i;

	for (i = 2; i < NXF; i++)
		if ((mask & XF(i)) && xf_off[i] + xf_len[i] > size)
			size = xf_off[i] + xf_len[i];
	return size;
}

/* xstate_required_size() (arch/x86/kvm/cpuid.c) on the simulated CPUID. */
u32 xstate_required_size(u64 xstate_bv, bool compacted)
{
	if (compacted)
		model_fail("compacted XSAVE size asked for: the model has none");
	return xsave_size(xstate_bv);
}

static struct sim_cpu *cpu(void)
{
	return &w.cpu[mc.cur_cpu];
}

static void fps_check(const struct fpstate *f)
{
	if (!f || f->model_magic != FPS_MAGIC)
		model_fail("fpstate %p is not live (use after free?)", f);
}

/* === The CPU: XSAVE, XRSTOR, MSRs, CPUID =============================== */

/*
 * kvm_count_fpu_xfer(): a transfer is the vCPU's when the task on this
 * CPU (current, also in the context switch and in a softirq) has it
 * loaded.
 */
static bool charged(void)
{
	return w.loaded && cpu()->cur == &w.vmm;
}

static void xsave(struct fpstate *f)
{
	struct sim_cpu *c = cpu();
	u64 mask = c->xcr0 & f->xfeatures;
	int i;

	fps_check(f);
	if (charged())
		model_prim_count(&w.prim, true, f->size);
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
			BV(f) &= ~bit;
		} else {
			COMP(f, i) = c->d[i];
			BV(f) |= bit;
		}
	}
	model_count(true, xsave_size(mask));
}

/*
 * restore_fpregs_from_fpstate(): XFD from the fpstate, then XRSTOR of
 * every feature (fpu_kernel_cfg.max_features), so that what the fpstate
 * does not hold goes to its init state.
 */
static void xrstor(struct fpstate *f)
{
	struct sim_cpu *c = cpu();
	u64 mask;
	int i;

	fps_check(f);
	if (charged())
		model_prim_count(&w.prim, false, f->size);
	c->xfd = f->xfd;
	mask = c->xcr0;
	if (BV(f) & c->xfd & mask)
		model_fail("XRSTOR #NM in the host: XSTATE_BV %#llx & XFD %#llx",
			   (unsigned long long)BV(f), (unsigned long long)c->xfd);
	for (i = 0; i < NXF; i++)
		if (mask & XF(i))
			c->d[i] = (BV(f) & XF(i)) ? COMP(f, i) : 0;
	model_count(false, xsave_size(mask & f->xfeatures));
}

u64 model_rdmsr(u32 msr)
{
	if (msr == MSR_IA32_XFD_ERR)
		return cpu()->xfd_err;
	if (msr == MSR_IA32_XFD)
		return cpu()->xfd;
	model_fail("RDMSR %#x: not modelled", msr);
	return 0;
}

void model_wrmsr(u32 msr, u64 val)
{
	if (msr == MSR_IA32_XFD_ERR)
		cpu()->xfd_err = val;
	else if (msr == MSR_IA32_XFD)
		cpu()->xfd = val;
	else
		model_fail("WRMSR %#x: not modelled", msr);
}

/* CPUID.(EAX=0xd, ECX=i): size, offset, supervisor bit (none here). */
void cpuid_count(unsigned int op, unsigned int count, unsigned int *eax,
		 unsigned int *ebx, unsigned int *ecx, unsigned int *edx)
{
	*eax = *ebx = *ecx = *edx = 0;
	if (op == 0xd && count < NXF) {
		*eax = xf_len[count];
		*ebx = xf_off[count];
	}
}

/* === 6.12's x86 FPU core (arch/x86/kernel/fpu), on the simulated CPU ==== */

static struct sim_task *current_task(void)
{
	return cpu()->cur;
}

struct task_struct *model_current(void)
{
	return &current_task()->task;
}

/* test_thread_flag()/clear_thread_flag() of the task on this CPU. */
bool test_thread_flag(int flag)
{
	return current_task()->need_load;
}

void clear_thread_flag(int flag)
{
	current_task()->need_load = false;
}

/* fpregs_lock(): no softirq runs inside one of the model's steps. */
void fpregs_lock(void)
{
	preempt_disable();
}

/* Its local_bh_enable() warns with interrupts off (__local_bh_enable_ip()). */
void fpregs_unlock(void)
{
	if (irqs_disabled())
		model_fail("fpregs_unlock() with interrupts off");
	preempt_enable();
}

/* fpregs_state_valid() */
static bool regs_valid(struct sim_task *t)
{
	return this_cpu_read(fpu_fpregs_owner_ctx) == &t->task.thread.fpu &&
	       t->task.thread.fpu.last_cpu == (unsigned int)mc.cur_cpu;
}

/* fpregs_activate() plus fpu->last_cpu, as fpregs_mark_activate(). */
static void activate(struct sim_task *t)
{
	fpu_fpregs_owner_ctx[mc.cur_cpu] = &t->task.thread.fpu;
	t->task.thread.fpu.last_cpu = mc.cur_cpu;
}

/* xfd_update_state() */
static void xfd_update_state(struct fpstate *f)
{
	cpu()->xfd = f->xfd;
}

/* switch_fpu() for the task leaving this CPU (save_fpregs_to_fpstate()). */
static void switch_out(void)
{
	struct sim_task *t = cpu()->cur;

	if (!t->need_load) {
		xsave(t->task.thread.fpu.fpstate);
		t->task.thread.fpu.last_cpu = mc.cur_cpu;
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

/* fpregs_restore_userregs() */
static void fpregs_restore_userregs(void)
{
	struct sim_task *t = current_task();

	if (!regs_valid(t)) {
		xrstor(t->task.thread.fpu.fpstate);
		activate(t);
	}
	t->need_load = false;
}

/* switch_fpu_return() */
void switch_fpu_return(void)
{
	fpregs_restore_userregs();
}

/* The exit to user mode: switch_fpu_return() under TIF_NEED_FPU_LOAD. */
static void load_current(void)
{
	if (current_task()->need_load)
		switch_fpu_return();
}

/* kernel_fpu_begin_mask() for a user task. */
void kernel_fpu_begin(void)
{
	struct sim_task *t = current_task();

	if (!t->need_load) {
		t->need_load = true;
		xsave(t->task.thread.fpu.fpstate);
	}
	/* __cpu_invalidate_fpregs_state() */
	fpu_fpregs_owner_ctx[mc.cur_cpu] = NULL;
}

void kernel_fpu_end(void)
{
}

/* kernel_fpu_begin() + FP use + end in a softirq on this CPU. */
static void kernel_fp(void)
{
	struct sim_cpu *c = cpu();

	kernel_fpu_begin();
	model_use(mc.cur_cpu, CTX_KERN, 0);
	c->d[0] = c->d[1] = model_pattern(CTX_KERN);
	if (!(c->xfd & XFEATURE_MASK_YMM))
		c->d[2] = c->d[1];
	kernel_fpu_end();
}

/* __fpu_swap_kvm_fpstate() */
static void swap_kvm_fpstate(struct fpu_guest *gfpu, bool enter_guest)
{
	struct sim_task *t = current_task();
	struct fpu *fpu = &t->task.thread.fpu;
	struct fpstate *cur = fpu->fpstate;

	if (!cur->is_confidential && !t->need_load)
		xsave(cur);
	if (enter_guest) {
		fpu->__task_fpstate = cur;
		fpu->fpstate = gfpu->fpstate;
		gfpu->fpstate->in_use = true;
	} else {
		gfpu->fpstate->in_use = false;
		fpu->fpstate = fpu->__task_fpstate;
		fpu->__task_fpstate = NULL;
	}
	xrstor(fpu->fpstate);
	activate(t);
	t->need_load = false;
}

/* fpu_swap_kvm_fpstate() */
int fpu_swap_kvm_fpstate(struct fpu_guest *gfpu, bool enter_guest)
{
	fpregs_lock();
	swap_kvm_fpstate(gfpu, enter_guest);
	fpregs_unlock();
	return 0;
}

/* fpu_swap_kvm_fpstate_irqsoff() (kernel/patches/6.12/0003) */
void fpu_swap_kvm_fpstate_irqsoff(struct fpu_guest *gfpu, bool enter_guest)
{
	if (!irqs_disabled())
		model_fail("lockdep: fpu_swap_kvm_fpstate_irqsoff() with interrupts on");
	swap_kvm_fpstate(gfpu, enter_guest);
}

/* fpstate_realloc(): a zeroed fpstate; contents survive only if live. */
static int fpstate_realloc(u64 xfeatures, unsigned int ksize,
			   unsigned int usize, struct fpu_guest *gfpu)
{
	struct sim_task *t = current_task();
	struct fpstate *cur = gfpu->fpstate, *new;
	bool in_use;

	new = kzalloc(sizeof(*new), GFP_KERNEL);	/* vzalloc() */
	if (!new)
		return -ENOMEM;
	new->model_magic = FPS_MAGIC;
	new->size = ksize;
	new->user_size = usize;
	new->is_valloc = true;
	in_use = t->task.thread.fpu.fpstate == cur;
	new->is_guest = true;
	new->is_confidential = cur->is_confidential;
	new->in_use = cur->in_use;
	gfpu->xfeatures |= xfeatures;
	gfpu->uabi_size = usize;

	fpregs_lock();
	if (in_use && t->need_load)
		fpregs_restore_userregs();
	new->xfeatures = cur->xfeatures | xfeatures;
	new->user_xfeatures = cur->user_xfeatures | xfeatures;
	new->xfd = cur->xfd & ~xfeatures;
	gfpu->fpstate = new;
	if (in_use) {
		t->task.thread.fpu.fpstate = new;
		xfd_update_state(new);
	}
	fpregs_unlock();

	if (cur->is_valloc) {
		cur->model_magic = 0;
		kfree(cur);				/* vfree() */
	}
	return 0;
}

/* __xfd_enable_feature() for a guest fpstate. */
static int xfd_enable_guest_feature(u64 xfd_err, struct fpu_guest *gfpu)
{
	u64 event = xfd_err & XFEATURE_MASK_USER_DYNAMIC;
	unsigned int size = xsave_size(w.perm);

	if (!event)
		return 0;
	if ((w.perm & event) != event)
		return -EPERM;
	if (fpstate_realloc(event, size, size, gfpu))
		return -EFAULT;
	return 0;
}

/* fpu_enable_guest_xfd_features() */
int fpu_enable_guest_xfd_features(struct fpu_guest *gfpu, u64 xfeatures)
{
	if (!preemptible())
		model_fail("lockdep: fpu_enable_guest_xfd_features() not preemptible");
	xfeatures &= ~gfpu->xfeatures;
	if (!xfeatures)
		return 0;
	return xfd_enable_guest_feature(xfeatures, gfpu);
}

/* fpu_update_guest_xfd() */
void fpu_update_guest_xfd(struct fpu_guest *gfpu, u64 xfd)
{
	struct fpstate *f = gfpu->fpstate;

	fpregs_lock();
	if (xfd && current_task()->need_load)
		BV(f) &= ~xfd;
	f->xfd = xfd;
	if (f->in_use)
		xfd_update_state(f);
	fpregs_unlock();
}

/* fpu_sync_guest_vmexit_xfd_state() */
void fpu_sync_guest_vmexit_xfd_state(void)
{
	if (!irqs_disabled())
		model_fail("lockdep: XFD sync with interrupts on");
	current_task()->task.thread.fpu.fpstate->xfd = cpu()->xfd;
}

/* The uAPI image carries each component's value in its first 8 bytes. */
static u32 uabi_off(int i)
{
	return xf_off[i] + (i == 0 ? 32 : 0);
}

/*
 * fpu_copy_guest_fpstate_to_uabi() (__copy_xstate_to_uabi_buf(), XSAVE
 * mode): XSTATE_BV is the fpstate's, limited to @xfeatures and the
 * fpstate's user features; absent components read as init.
 */
void fpu_copy_guest_fpstate_to_uabi(struct fpu_guest *gfpu, void *buf,
				    unsigned int size, u64 xfeatures, u32 pkru)
{
	struct fpstate *f = gfpu->fpstate;
	u64 bv = BV(f) & f->user_xfeatures & xfeatures;
	u8 *p = buf;
	int i;

	fps_check(f);
	memset(buf, 0, size);
	memcpy(p + XSAVE_HDR_OFFSET, &bv, 8);
	for (i = 0; i < NXF; i++) {
		if (!(bv & XF(i)))
			continue;
		if (uabi_off(i) + 8 > size)
			model_fail("uAPI copy of component %d past %u bytes", i, size);
		else
			memcpy(p + uabi_off(i), &COMP(f, i), 8);
	}
}

/*
 * fpu_copy_uabi_to_guest_fpstate() with copy_uabi_to_xstate() and
 * validate_user_xstate_header(): components not in XSTATE_BV become init.
 */
int fpu_copy_uabi_to_guest_fpstate(struct fpu_guest *gfpu, const void *buf,
				   u64 xcr0, u32 *vpkru)
{
	struct fpstate *f = gfpu->fpstate;
	const u8 *p = buf;
	u64 hdr[8];
	u32 mxcsr;
	int i;

	fps_check(f);
	memcpy(hdr, p + XSAVE_HDR_OFFSET, sizeof(hdr));
	if (hdr[0] & ~xcr0)
		return -EINVAL;
	if (WARN_ON_ONCE(hdr[0] & f->xfd))
		return -EINVAL;
	if (hdr[0] & ~f->user_xfeatures)
		return -EINVAL;
	for (i = 1; i < 8; i++)
		if (hdr[i])
			return -EINVAL;
	/* copy_uabi_to_xstate(): MXCSR when any of its users is in use. */
	memcpy(&mxcsr, p + FXSAVE_MXCSR, sizeof(mxcsr));
	if ((hdr[0] & (XFEATURE_MASK_FP | XFEATURE_MASK_SSE |
		       XFEATURE_MASK_YMM)) && (mxcsr & ~mxcsr_feature_mask))
		return -EINVAL;
	BV(f) = hdr[0];
	for (i = 0; i < NXF; i++)
		if (hdr[0] & XF(i))
			memcpy(&COMP(f, i), p + uabi_off(i), 8);
	return 0;
}

/* fpu_alloc_guest_fpstate() and fpu_init_guest_permissions() */
static bool fpu_alloc_guest_fpstate(struct fpu_guest *gfpu)
{
	struct fpstate *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return false;
	f->model_magic = FPS_MAGIC;
	f->size = f->user_size = xsave_size(XF_DEFAULT);
	f->xfeatures = f->user_xfeatures = XF_DEFAULT;
	f->is_valloc = f->is_guest = true;
	gfpu->fpstate = f;
	gfpu->xfeatures = XF_DEFAULT;
	gfpu->uabi_size = GFPU_XSAVE_LEGACY_SIZE;
	gfpu->perm = w.perm;
	return true;
}

/* fpu_free_guest_fpstate() */
static void fpu_free_guest_fpstate(struct fpu_guest *gfpu)
{
	struct fpstate *f = gfpu->fpstate;

	if (!f)
		return;
	if (WARN_ON_ONCE(f->in_use))
		return;
	gfpu->fpstate = NULL;
	f->model_magic = 0;
	kfree(f);
}

/* === KVM's side (arch/x86/kvm/x86.c) ==================================== */

/* kvm_load_guest_xsave_state(): XCR0 from vcpu->arch.xcr0. */
void kvm_load_guest_xsave_state(struct kvm_vcpu *vcpu)
{
	if (!irqs_disabled())
		model_fail("guest XCR0 loaded with interrupts on");
	if (!vcpu->arch.guest_state_protected)
		cpu()->xcr0 = vcpu->arch.xcr0;
}

/* kvm_load_host_xsave_state() */
void kvm_load_host_xsave_state(struct kvm_vcpu *vcpu)
{
	cpu()->xcr0 = XF_HOST;
}

/* __kvm_set_xcr(): KVM's copy of XCR0 changes once gfpu accepted it. */
static int kvm_set_xcr0(u64 xcr0, bool from_guest)
{
	struct gfpu_feature f = {
		.kind = GFPU_FEAT_XCR0, .value = xcr0, .from_guest = from_guest,
	};
	int ret = gfpu_feature_change(w.v, &f);

	if (!ret)
		w.kvm.arch.xcr0 = xcr0;
	return ret;
}

/*
 * kvm_set_msr_common(MSR_IA32_XFD_ERR): KVM's guest_fpu.xfd_err takes the
 * value once gfpu accepted it.
 */
static int kvm_set_xfd_err(u64 val, bool from_guest)
{
	struct gfpu_feature f = {
		.kind = GFPU_FEAT_XFD_ERR, .value = val, .from_guest = from_guest,
	};
	int ret = gfpu_feature_change(w.v, &f);

	if (!ret)
		w.kvm.arch.guest_fpu.xfd_err = val;
	return ret;
}

/* kvm_vcpu_after_set_cpuid(): guest_supported_xcr0 once gfpu agreed. */
static int kvm_set_cpuid(u64 xfeatures)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_CPUID, .value = xfeatures };
	int ret = gfpu_feature_change(w.v, &f);

	if (!ret)
		w.kvm.arch.guest_supported_xcr0 = xfeatures;
	return ret;
}

/* The size KVM_SET_XSAVE copies from userspace (0001's KVM hunk). */
static u32 kvm_set_xsave_size(void)
{
	u64 size = 0;

	if (gfpu_get_state(w.v, GFPU_X86_XSAVE_SIZE, &size, 8) != 8)
		model_fail("GFPU_X86_XSAVE_SIZE unreadable");
	return size;
}

/*
 * vmx_update_exception_bitmap(): is the guest's #NM intercepted?  KVM
 * recomputes it wherever gfpu's answer can change (XFD writes,
 * KVM_SET_XSAVE, KVM_SET_CPUID2, KVM_SET_XCRS); the model does it before
 * each entry, which sees the same answers.
 */
static void kvm_update_exception_bitmap(void)
{
	u64 val = 0;

	if (gfpu_get_state(w.v, GFPU_X86_NM_INTERCEPT, &val, 8) != 8)
		model_fail("GFPU_X86_NM_INTERCEPT unreadable");
	w.nm_intercept = val;
}

/*
 * vmx_set_msr(MSR_IA32_XFD), guest or host write: once gfpu has room,
 * a non-zero write drops the write intercept for good.
 */
static void kvm_xfd_written(u64 val)
{
	u64 pass = 0;

	if (gfpu_get_state(w.v, GFPU_X86_XFD_PASSTHROUGH, &pass, 8) != 8)
		model_fail("GFPU_X86_XFD_PASSTHROUGH unreadable");
	if (val && pass)
		w.xfd_no_write_intercept = true;
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
	if (c->xfd != t->task.thread.fpu.__fpstate.xfd)
		model_fail("%s runs with XFD %#llx, its own is %#llx", who,
			   (unsigned long long)c->xfd,
			   (unsigned long long)t->task.thread.fpu.__fpstate.xfd);
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

	return t->task.thread.fpu.fpstate == GFPS && !t->need_load &&
	       fpu_fpregs_owner_ctx[mc.vcpu_cpu] == &t->task.thread.fpu &&
	       t->task.thread.fpu.last_cpu == (unsigned int)mc.vcpu_cpu;
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
	if (!gfps_live() && (BV(GFPS) & GFPS->xfd))
		model_fail("guest fpstate: XSTATE_BV %#llx & XFD %#llx",
			   (unsigned long long)BV(GFPS),
			   (unsigned long long)GFPS->xfd);
	/* Between runs gfpu has looked at everything the run did. */
	if (!w.loaded)
		model_prim_check(w.v->stats, &w.prim);
	mc.cur_cpu = mc.vcpu_cpu;
	/* In userspace; not in a syscall or ioctl the replay is inside. */
	if (mc.phase == PH_USER && !mc.in_syscall && !w.loaded)
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

static void other_task_ret(struct sim_task *o)
{
	load_current();
	task_check(o, "other task");
}

static void other_task_fp(struct sim_task *o)
{
	other_task_ret(o);
	task_write(o, XF_BASE);
}

/*
 * kvm_arch_vcpu_ioctl(): every x86 vCPU ioctl runs between vcpu_load()
 * and vcpu_put(), so that what it moves is the vCPU's (charged()).
 */
static void ioctl_begin(void)
{
	preempt_disable();
	w.loaded = true;
	gfpu_vcpu_load(w.v, false);
	preempt_enable();
}

static void ioctl_end(void)
{
	preempt_disable();
	gfpu_vcpu_put(w.v, false);
	w.loaded = false;
	preempt_enable();
}

#define sim_before_entry()	kvm_update_exception_bitmap()
#define sim_vcpu_unloaded()	(w.loaded = false)
#define sim_in_ioctl()		(w.loaded && mc.phase == PH_USER)
#include "sim_thread.h"

static u64 g_cpuid(void)
{
	return vm_cfgs[w.cfg].cpuid;
}

static bool g_has_xfd(void)
{
	return g_cpuid() & XFEATURE_MASK_XTILE_DATA;
}

static void ev_u_fp(void)
{
	task_write(&w.vmm, XF_BASE);
}

static void ev_u_signal(void)
{
	struct sim_task *t = &w.vmm;
	struct fpstate *f = t->task.thread.fpu.fpstate;
	struct sim_cpu *c = cpu();
	u64 frame[NXF];
	int i;

	/* copy_fpstate_to_sigframe(): the live registers, or the fpstate. */
	if (!t->need_load) {
		memcpy(frame, c->d, sizeof(frame));
		model_count(true, xsave_size(XF_BASE));
	} else {
		for (i = 0; i < NXF; i++)
			frame[i] = (BV(f) & XF(i)) ? COMP(f, i) : 0;
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
	int ret;

	mc.in_syscall = false;
	ret = gfpu_run_enter(w.v, !w.ran);
	if (ret) {
		model_fail("run enter failed: %d", ret);
		return;
	}
	w.ran = true;
	preempt_disable();
	w.loaded = true;
	gfpu_vcpu_load(w.v, false);
	preempt_enable();
	mc.phase = PH_KERNEL;
}

/* Compare a KVM_GET_XSAVE2 image with what the guest should hold. */
static void check_image(const u8 *buf, const char *what)
{
	u64 bv;
	int i;

	memcpy(&bv, buf + XSAVE_HDR_OFFSET, 8);
	for (i = 0; i < NXF; i++) {
		u64 val = 0;

		if (!(w.g_xcr0 & ~w.g_xfd & XF(i)) || (w.g_dc & XF(i)))
			continue;
		if (bv & XF(i))
			memcpy(&val, buf + uabi_off(i), 8);
		if (val != w.g_exp[i])
			model_fail("%s: component %d = %#llx, guest wrote %#llx",
				   what, i, (unsigned long long)val,
				   (unsigned long long)w.g_exp[i]);
	}
}

static void ev_u_get(void)
{
	static u8 buf[16384];
	u64 xcr0;
	int ret;

	ret = gfpu_get_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
	if (ret < 0) {
		model_fail("KVM_GET_XSAVE2 failed: %d", ret);
		return;
	}
	model_sync(CTX_GUEST);
	check_image(buf, "KVM_GET_XSAVE2");
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
	memcpy(buf + XSAVE_HDR_OFFSET, &mask, 8);
	for (i = 0; i < NXF; i++) {
		if (!(mask & XF(i)))
			continue;
		vals[i] = model_pattern(CTX_GUEST);
		memcpy(buf + uabi_off(i), &vals[i], 8);
	}
}

/* The guest now holds @vals for the components of @mask (XFD: init). */
static void set_image_result(u64 mask, const u64 *vals)
{
	int i;

	for (i = 0; i < NXF; i++) {
		if (!(mask & XF(i)) && !(w.g_xcr0 & XF(i)))
			continue;
		w.g_exp[i] = (w.g_xfd & XF(i)) || !(mask & XF(i)) ? 0 : vals[i];
		w.g_dc &= ~XF(i);
	}
}

/* Components an image may carry: the host's, dynamic ones per CPUID. */
static u64 image_mask(void)
{
	return (XF_DEFAULT | (g_cpuid() & w.perm)) & XF_HOST;
}

/* KVM_SET_XSAVE with new values for the guest's XCR0, tile data too. */
static void ev_u_set(void)
{
	static u8 buf[16384];
	u64 vals[NXF] = { 0 };
	u64 mask = w.g_xcr0 & image_mask();
	int ret;

	make_image(buf, sizeof(buf), mask, vals);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, kvm_set_xsave_size());
	if (ret == -ENOMEM)
		return;
	if (ret) {
		model_fail("KVM_SET_XSAVE of a valid image failed: %d", ret);
		return;
	}
	set_image_result(mask, vals);
}

static void set_xfd_result(int ret, u64 val)
{
	if (ret)
		return;
	if (val & ~w.g_xfd)
		w.g_dc |= val & ~w.g_xfd;
	w.g_xfd = val;
}

static void check_enomem(int ret, u64 fails_before, const char *what)
{
	if (ret == -ENOMEM) {
		if (w.v->stats->realloc_fails != fails_before + 1)
			model_fail("%s: -ENOMEM not counted in realloc_fails", what);
	} else if (ret == -EFAULT) {
		model_fail("%s: -EFAULT, a failed growth must be -ENOMEM", what);
	}
}

/*
 * QEMU's migration restore: KVM_SET_XSAVE (every component the source
 * had, tile data included), then KVM_SET_XCRS, then KVM_SET_MSRS with
 * XFD and XFD_ERR.  Nothing the image carried may be lost on the way.
 */
static void ev_u_restore(void)
{
	static u8 buf[16384];
	u64 vals[NXF] = { 0 }, fails = w.v->stats->realloc_fails;
	u64 mask = image_mask() & g_cpuid() & ~(w.g_xfd & XFEATURE_MASK_XTILE_DATA);
	u64 xcr0 = g_cpuid() & image_mask();
	struct gfpu_feature xfd = { .kind = GFPU_FEAT_XFD };
	int ret;

	mask |= XFEATURE_MASK_FP | XFEATURE_MASK_SSE;
	make_image(buf, sizeof(buf), mask, vals);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, kvm_set_xsave_size());
	check_enomem(ret, fails, "restore: KVM_SET_XSAVE");
	if (ret == -ENOMEM)
		return;
	if (ret) {
		model_fail("restore: KVM_SET_XSAVE of the source's image: %d", ret);
		return;
	}
	set_image_result(mask, vals);
	fails = w.v->stats->realloc_fails;
	ret = kvm_set_xcr0(xcr0, false);
	check_enomem(ret, fails, "restore: KVM_SET_XCRS");
	if (ret == -ENOMEM)
		return;
	if (ret) {
		model_fail("restore: KVM_SET_XCRS(%#llx): %d",
			   (unsigned long long)xcr0, ret);
		return;
	}
	w.g_xcr0 = xcr0;
	if (!g_has_xfd())
		return;
	xfd.value = w.g_xfd;
	fails = w.v->stats->realloc_fails;
	ret = gfpu_feature_change(w.v, &xfd);
	check_enomem(ret, fails, "restore: KVM_SET_MSRS(XFD)");
	if (ret && ret != -ENOMEM)
		model_fail("restore: KVM_SET_MSRS(XFD=%#llx): %d",
			   (unsigned long long)xfd.value, ret);
	if (!ret)
		kvm_xfd_written(xfd.value);
	if (kvm_set_xfd_err(w.g_xfd_err, false))
		model_fail("restore: KVM_SET_MSRS(XFD_ERR)");
}

/* Malformed KVM_SET_XSAVE and KVM_SET_XCRS: refused, nothing changed. */
static void ev_u_set_bad(void)
{
	static u8 buf[16384];
	u64 vals[NXF], bad = 1, xcr0 = XFEATURE_MASK_FP | XFEATURE_MASK_YMM;
	int ret;

	make_image(buf, sizeof(buf), w.g_xcr0 & image_mask(), vals);
	memcpy(buf + XSAVE_HDR_OFFSET + 8, &bad, 8);	/* XCOMP_BV */
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
	if (!(g_cpuid() & XFEATURE_MASK_XTILE_DATA)) {
		/* Tile data the guest's CPUID lacks: 6.12 refuses it. */
		make_image(buf, sizeof(buf), XFEATURE_MASK_FP | XFEATURE_MASK_XTILE, vals);
		ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizeof(buf));
		if (ret != -EINVAL)
			model_fail("KVM_SET_XSAVE with tile data, no AMX in CPUID: %d",
				   ret);
	}
	ret = kvm_set_xcr0(xcr0, false);
	if (ret != -EINVAL)
		model_fail("KVM_SET_XCRS with AVX but no SSE returned %d", ret);
	xcr0 = XFEATURE_MASK_FP | (XF_HOST & ~g_cpuid());
	if (xcr0 != XFEATURE_MASK_FP && kvm_set_xcr0(xcr0, false) != -EINVAL)
		model_fail("KVM_SET_XCRS beyond the guest's CPUID accepted");
	ret = gfpu_set_state(w.v, 99, &xcr0, 8);
	if (ret != -ENOENT)
		model_fail("unknown state id returned %d", ret);
	model_note("bad uAPI input refused");
}

/*
 * The uAPI buffer sizes at and around each boundary: struct kvm_xsave's
 * 4096 bytes and the size of the image.  Below it: -EINVAL and nothing
 * changed; at it: accepted.
 */
static void ev_u_sizes(void)
{
	static u8 buf[16384], before[16384], after[16384];
	u64 vals[NXF], mask = w.g_xcr0 & image_mask() & ~w.g_xfd;
	u32 need = max_t(u32, GFPU_XSAVE_LEGACY_SIZE, xsave_size(mask));
	u32 have = max_t(u32, GFPU_XSAVE_LEGACY_SIZE, xsave_size(GFPS->xfeatures));
	u32 sizes[] = { need - 1, need, need + 1 };
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		ret = gfpu_get_state(w.v, GFPU_X86_XSAVE, buf, have - 1 + i);
		if ((ret < 0) != (i == 0))
			model_fail("KVM_GET_XSAVE2 of %u bytes (image %u): %d",
				   have - 1 + i, have, ret);
	}
	if (gfpu_get_state(w.v, GFPU_X86_XSAVE, before, sizeof(before)) < 0)
		return;
	make_image(buf, sizeof(buf), mask, vals);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizes[0]);
	if (ret != -EINVAL)
		model_fail("KVM_SET_XSAVE of %u bytes, image needs %u: %d",
			   sizes[0], need, ret);
	if (gfpu_get_state(w.v, GFPU_X86_XSAVE, after, sizeof(after)) < 0 ||
	    memcmp(before, after, sizeof(after)))
		model_fail("a refused KVM_SET_XSAVE changed the state");
	make_image(buf, sizeof(buf), mask, vals);
	ret = gfpu_set_state(w.v, GFPU_X86_XSAVE, buf, sizes[1]);
	if (ret == -ENOMEM)
		return;
	if (ret) {
		model_fail("KVM_SET_XSAVE of %u bytes (image %u) failed: %d",
			   sizes[1], need, ret);
		return;
	}
	set_image_result(mask, vals);
}

/* KVM_SET_MSRS(IA32_XFD) from the VMM: always emulated. */
static void ev_u_setxfd(void)
{
	struct gfpu_feature f = {
		.kind = GFPU_FEAT_XFD,
		.value = w.g_xfd ^ XFEATURE_MASK_XTILE_DATA,
	};
	u64 fails = w.v->stats->realloc_fails;
	int ret = gfpu_feature_change(w.v, &f);

	check_enomem(ret, fails, "KVM_SET_MSRS(XFD)");
	if (!g_has_xfd()) {
		if (ret != -EINVAL)
			model_fail("KVM_SET_MSRS(XFD) without XFD in CPUID: %d", ret);
		return;
	}
	if (ret && ret != -ENOMEM)
		model_fail("KVM_SET_MSRS(XFD=%#llx) failed: %d",
			   (unsigned long long)f.value, ret);
	set_xfd_result(ret, f.value);
	if (!ret)
		kvm_xfd_written(f.value);
}

/*
 * KVM_SET_CPUID2 again with the same CPUID (6.12 accepts an identical one
 * at any time): under realloc-cpuid the fpstate grows here, XFD armed or
 * not.
 */
static void ev_u_setcpuid(void)
{
	u64 fails = w.v->stats->realloc_fails;
	int ret = kvm_set_cpuid(g_cpuid());

	check_enomem(ret, fails, "KVM_SET_CPUID2");
	if (ret && ret != -ENOMEM)
		model_fail("KVM_SET_CPUID2 with the same CPUID: %d", ret);
}

static bool alloc_can_fail(void)
{
	return !mc.fail_alloc && !mc.fail_point;
}

static void ev_fail_alloc(void)
{
	mc.fail_alloc = true;
}

/* fail_gfpu at the fpstate's growth: the same -ENOMEM, from gfpu's point. */
static void ev_fail_grow(void)
{
	mc.fail_point = BIT(GFPU_FAIL_GROW);
}

/* The policy is a run-time setting: change it anywhere, to the next one. */
static void ev_policy(void)
{
	int i;

	for (i = 0; i < sim_nr_policies; i++)
		if (sim_policies[i].bits == gfpu_policy())
			break;
	if (gfpu_set_policy(sim_policies[(i + 1) % sim_nr_policies].bits))
		model_fail("policy change refused");
	/* Two swap points at once are refused, and change nothing. */
	i = gfpu_policy();
	if (gfpu_set_policy(GFPU_POLICY_SWAP_LOADPUT | GFPU_POLICY_SWAP_ENTRY) != -EINVAL ||
	    gfpu_policy() != (unsigned int)i)
		model_fail("loadput and entry accepted together");
}

static void vcpu_create(unsigned int cfg);

/* The VMM replaces the VM with one of the next configuration. */
static void ev_u_newvm(void)
{
	gfpu_vcpu_destroy(w.v);
	fpu_free_guest_fpstate(&w.kvm.arch.guest_fpu);
	vcpu_create((w.cfg + 1) % ARRAY_SIZE(vm_cfgs));
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
	u64 mask = w.g_xcr0 & ~cpu()->xfd & ~XFEATURE_MASK_XTILE;
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
	return w.g_xcr0 & XFEATURE_MASK_XTILE_DATA;
}

static void ev_g_tile(void)
{
	struct sim_cpu *c = cpu();

	if (c->xfd & XFEATURE_MASK_XTILE_DATA) {
		/* #NM from XFD: XFD_ERR set; an exit if KVM intercepts #NM. */
		c->xfd_err = w.g_xfd_err = XFEATURE_MASK_XTILE_DATA;
		if (w.nm_intercept)
			vm_exit(GFPU_EXIT_NM);
		return;
	}
	w.g_exp[17] = c->d[17] = model_pattern(CTX_GUEST);
	w.g_exp[18] = c->d[18] = model_pattern(CTX_GUEST);
	w.g_dc &= ~XFEATURE_MASK_XTILE;
	model_use(mc.cur_cpu, CTX_GUEST, xsave_size(w.g_xcr0));
}

static void ev_g_exit(void)
{
	vm_exit(0);
}

static bool g_has_sse(void)
{
	return w.g_xcr0 & XFEATURE_MASK_SSE;
}

/*
 * KVM's emulator on an SSE operand in place, inside KVM_RUN: an MMIO load
 * into %xmm0 completed by the next KVM_RUN before any guest entry, say.
 * kvm_fpu_get() (arch/x86/kvm/fpu.h, with the gfpu hook of
 * kernel/patches/6.12/0001), the register read and write, kvm_fpu_put().
 */
static void ev_k_emul(void)
{
	struct sim_cpu *c = cpu();
	const int i = XFEATURE_SSE;

	fpregs_lock();
	gfpu_guest_regs(w.v);
	if (current_task()->need_load)
		switch_fpu_return();
	if (!gfps_live())
		model_fail("emulator: the guest fpstate is not the live one");
	else if (!(w.g_dc & XF(i)) && c->d[i] != w.g_exp[i])
		model_fail("emulator reads %%xmm = %#llx (owner ctx %u), guest wrote %#llx",
			   (unsigned long long)c->d[i], PAT_CTX(c->d[i]),
			   (unsigned long long)w.g_exp[i]);
	w.g_exp[i] = c->d[i] = model_pattern(CTX_GUEST);
	w.g_dc &= ~XF(i);
	model_use(mc.cur_cpu, CTX_GUEST, xsave_size(w.g_xcr0));
	fpregs_unlock();
}

/* #NM from CR0.TS, not XFD: XFD_ERR is untouched. */
static void ev_g_nm_ts(void)
{
	vm_exit(GFPU_EXIT_NM);
}

static void ev_g_xsetbv(void)
{
	const u64 vals[] = {
		g_cpuid(), g_cpuid() & ~XFEATURE_MASK_XTILE, XFEATURE_MASK_FP | XFEATURE_MASK_YMM,
	};
	u64 val = vals[w.xsetbv_next++ % ARRAY_SIZE(vals)];
	u64 fails;
	int ret;

	vm_exit(0);
	fails = w.v->stats->realloc_fails;
	ret = kvm_set_xcr0(val, true);
	check_enomem(ret, fails, "XSETBV");
	if (!ret) {
		w.g_dc |= val & ~w.g_xcr0;
		w.g_xcr0 = val;
	} else if (ret == -ENOMEM) {
		/* KVM_RUN fails; the guest retries the XSETBV later. */
		run_exit();
	} else if (val != (XFEATURE_MASK_FP | XFEATURE_MASK_YMM)) {
		model_fail("XSETBV(%#llx) refused: %d",
			   (unsigned long long)val, ret);
	}
}

static void ev_g_wrxfd(void)
{
	struct gfpu_feature f = { .kind = GFPU_FEAT_XFD, .from_guest = true };
	u64 fails;
	int ret;

	f.value = w.g_xfd ^ XFEATURE_MASK_XTILE_DATA;
	if (w.xfd_no_write_intercept) {
		cpu()->xfd = f.value;
		set_xfd_result(0, f.value);
		return;
	}
	vm_exit(0);
	fails = w.v->stats->realloc_fails;
	ret = gfpu_feature_change(w.v, &f);
	check_enomem(ret, fails, "WRMSR(XFD)");
	set_xfd_result(ret, f.value);
	if (ret == -ENOMEM) {
		run_exit();
		return;
	}
	if (ret) {
		model_fail("WRMSR(XFD=%#llx) refused: %d",
			   (unsigned long long)f.value, ret);
		return;
	}
	kvm_xfd_written(f.value);
}

static bool g_xfd_err_set(void)
{
	return w.g_xfd_err;
}

/* The guest's #NM handler clears XFD_ERR: WRMSR is always intercepted. */
static void ev_g_xfderr_clear(void)
{
	int ret;

	vm_exit(0);
	ret = kvm_set_xfd_err(0, true);
	if (ret)
		model_fail("WRMSR(XFD_ERR=0) refused: %d", ret);
	w.g_xfd_err = 0;
}

/* The uAPI events, each one ioctl (or a few) with the vCPU loaded. */
#define SIM_IOCTL(name)							\
static void ev_##name##_ioctl(void)					\
{									\
	ioctl_begin();							\
	ev_##name();							\
	ioctl_end();							\
}
/* A vCPU ioctl that moves no FP state (KVM_GET_REGS, say). */
static void ev_u_regs(void)
{
}

SIM_IOCTL(u_regs)

SIM_IOCTL(u_get)
SIM_IOCTL(u_set)
SIM_IOCTL(u_restore)
SIM_IOCTL(u_set_bad)
SIM_IOCTL(u_sizes)
SIM_IOCTL(u_setxfd)
SIM_IOCTL(u_setcpuid)

const struct model_event sim_events[] = {
	{ "u_fp",	PH(PH_USER), EV_CORE,	NULL,		ev_u_fp },
	{ "u_signal",	PH(PH_USER), 0,	NULL,		ev_u_signal },
	{ "u_run",	PH(PH_USER), EV_CORE,	NULL,		ev_u_run },
	{ "u_get",	PH(PH_USER), 0,	NULL,		ev_u_get_ioctl },
	{ "u_regs",	PH(PH_USER), 0,	NULL,		ev_u_regs_ioctl },
	{ "u_set",	PH(PH_USER), EV_CORE,	NULL,		ev_u_set_ioctl },
	{ "u_restore",	PH(PH_USER), EV_CORE,	NULL,		ev_u_restore_ioctl },
	{ "u_set_bad",	PH(PH_USER), 0,	NULL,		ev_u_set_bad_ioctl },
	{ "u_sizes",	PH(PH_USER), 0,	NULL,		ev_u_sizes_ioctl },
	{ "u_setxfd",	PH(PH_USER), 0,	NULL,		ev_u_setxfd_ioctl },
	{ "u_setcpuid",	PH(PH_USER), 0,	NULL,		ev_u_setcpuid_ioctl },
	{ "u_newvm",	PH(PH_USER), 0,	alloc_can_fail,	ev_u_newvm },
	{ "policy",	PH_ANY, 0,	NULL,		ev_policy },
	{ "fail_alloc",	PH_HOST, 0,	alloc_can_fail,	ev_fail_alloc },
	{ "fail_grow",	PH_HOST, 0,	alloc_can_fail,	ev_fail_grow },
	SIM_THREAD_EVENTS,
	{ "k_emul",	PH(PH_KERNEL), 0,	g_has_sse,	ev_k_emul },
	{ "g_fp",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_fp },
	{ "g_tile",	PH(PH_GUEST), EV_CORE,	g_has_amx,	ev_g_tile },
	{ "g_exit",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_exit },
	{ "g_nm_ts",	PH(PH_GUEST), 0,	NULL,		ev_g_nm_ts },
	{ "g_xsetbv",	PH(PH_GUEST), EV_CORE,	NULL,		ev_g_xsetbv },
	{ "g_wrxfd",	PH(PH_GUEST), EV_CORE,	g_has_xfd,	ev_g_wrxfd },
	{ "g_xfderr_clear", PH(PH_GUEST), 0, g_xfd_err_set, ev_g_xfderr_clear },
};
const int sim_nr_events = ARRAY_SIZE(sim_events);

const struct model_policy sim_policies[] = {
	{ "run+write",		0 },
	{ "loadput+write",	GFPU_POLICY_SWAP_LOADPUT },
	{ "run+cpuid",		GFPU_POLICY_REALLOC_CPUID },
	{ "loadput+cpuid",	GFPU_POLICY_SWAP_LOADPUT |
				GFPU_POLICY_REALLOC_CPUID },
	{ "entry+write",	GFPU_POLICY_SWAP_ENTRY },
	{ "entry+cpuid",	GFPU_POLICY_SWAP_ENTRY |
				GFPU_POLICY_REALLOC_CPUID },
};
const int sim_nr_policies = ARRAY_SIZE(sim_policies);

static void task_init(struct sim_task *t, enum model_ctx ctx)
{
	struct fpstate *f = &t->task.thread.fpu.__fpstate;

	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	f->model_magic = FPS_MAGIC;
	f->xfeatures = f->user_xfeatures = XF_DEFAULT;
	/* fpstate_reset(): fpu_kernel_cfg.default_size, as the guest's. */
	f->size = f->user_size = xsave_size(XF_DEFAULT);
	/* VMM and other tasks have no AMX permission for themselves. */
	f->xfd = XFEATURE_MASK_XTILE_DATA;
	t->task.thread.fpu.fpstate = f;
	t->need_load = true;
	t->task.thread.fpu.last_cpu = -1;
}

/*
 * KVM's vCPU creation (fpu_alloc_guest_fpstate(), then gfpu), then what
 * QEMU does before the first KVM_RUN: KVM_SET_CPUID2, KVM_SET_XCRS with
 * a booted guest's XCR0 (everything the CPUID has but AMX, which the
 * guest enables later with XSETBV).
 */
static void vcpu_create(unsigned int cfg)
{
	u64 xcr0 = vm_cfgs[cfg].cpuid & ~XFEATURE_MASK_XTILE;
	int ret;

	memset(&w.kvm, 0, sizeof(w.kvm));
	memset(w.g_exp, 0, sizeof(w.g_exp));
	/* A new vCPU, new stats. */
	memset(&w.prim, 0, sizeof(w.prim));
	w.cfg = cfg;
	w.perm = vm_cfgs[cfg].perm;
	w.ran = false;
	w.xfd_no_write_intercept = false;
	w.g_xfd = w.g_xfd_err = 0;
	w.kvm.arch.xcr0 = XFEATURE_MASK_FP;
	w.v = &w.kvm.arch.gfpu;
	if (!fpu_alloc_guest_fpstate(&w.kvm.arch.guest_fpu)) {
		model_fail("fpu_alloc_guest_fpstate failed");
		return;
	}
	ret = model_vcpu_init(w.v, &w.kvm.stat.gfpu);
	if (ret) {
		model_fail("gfpu_vcpu_init: %d", ret);
		return;
	}
	ioctl_begin();
	ret = kvm_set_cpuid(vm_cfgs[cfg].cpuid);
	ioctl_end();
	if (ret)
		model_fail("KVM_SET_CPUID2(%s) failed: %d", vm_cfgs[cfg].name, ret);
	ioctl_begin();
	ret = kvm_set_xcr0(xcr0, false);
	ioctl_end();
	if (ret)
		model_fail("KVM_SET_XCRS failed");
	w.g_xcr0 = xcr0;
	w.g_dc = xcr0;
}

void sim_reset(unsigned int policy)
{
	int i;

	memset(&mc, 0, sizeof(mc));
	memset(&w, 0, sizeof(w));
	memset(fpu_fpregs_owner_ctx, 0, sizeof(fpu_fpregs_owner_ctx));
	memset(gfpu_cpus, 0, sizeof(gfpu_cpus));
	gfpu_set_policy(policy);
	task_init(&w.vmm, CTX_VMM);
	for (i = 0; i < MODEL_NR_CPUS; i++) {
		task_init(&w.other[i], CTX_OTHER0 + i);
		w.cpu[i].xcr0 = XF_HOST;
		w.cpu[i].xfd = XFEATURE_MASK_XTILE_DATA;
		w.cpu[i].cur = i ? &w.other[i] : &w.vmm;
	}
	mc.phase = PH_USER;
	mc.cur_cpu = mc.vcpu_cpu = 0;
	vcpu_create(0);
	/* Every task starts in userspace with its state loaded. */
	for (i = MODEL_NR_CPUS - 1; i >= 0; i--) {
		mc.cur_cpu = i;
		load_current();
	}
}

/*
 * The machine of make compare's x86 boots, as near as the model comes:
 * the vCPU's CPUID has x87, SSE, AVX and PKRU (the guest's XSAVE image
 * is then the kernel's 2696 bytes), under the kernel's policy @policy.
 * The simulated host keeps AVX-512 and AMX, so the VMM's image is
 * larger than the kernel's.
 */
void sim_replay_reset(unsigned long policy)
{
	sim_reset(policy);
	gfpu_vcpu_destroy(w.v);
	fpu_free_guest_fpstate(&w.kvm.arch.guest_fpu);
	vcpu_create(VM_CFG_COMPARE);
}

struct gfpu_vcpu *sim_vcpu(void)
{
	return w.v;
}

/*
 * Replay only: a vCPU ioctl that moves no FP state begins (vcpu_load())
 * or ends (vcpu_put(), then the return to userspace), so that what the
 * trace shows inside it can happen there.
 */
void sim_replay_ioctl(bool begin)
{
	if (begin) {
		mc.in_syscall = false;
		ioctl_begin();
	} else {
		ioctl_end();
		ret_to_user();
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
	fpu_free_guest_fpstate(&w.kvm.arch.guest_fpu);
}
