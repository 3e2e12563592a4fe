/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 6.12 arm64 kernel interface that arch/arm64/gfpu_arm64_hw.c uses,
 * for the model: the structures with the fields the hardware layer and
 * the host's fpsimd core touch, and the 6.12 functions, each with the
 * semantics (errors and warnings included) of the function it names.  The
 * kernel headers gfpu_arm64_hw.c includes (<linux/kvm_host.h>,
 * <asm/fpsimd.h>, ...) are stubs in this directory that include this
 * file, the way tools/testing/vma supplies vma_internal.h.
 *
 * Below the line "simulated CPU" are the instructions and system
 * registers (FPSIMD/SVE load and store, RDVL, ZCR, CPACR, SVCR): sim_arm64.c
 * implements them on its simulated CPUs.  Everything above is the host
 * kernel as 6.12 writes it, on top of them.
 */
#ifndef _GFPU_MODEL_ARM64_KERNEL_H
#define _GFPU_MODEL_ARM64_KERNEL_H

#include "model.h"

/* --- arch/arm64/include/uapi/asm/sve_context.h, sigcontext.h ------------- */
#define SVE_VQ_BYTES		16
#define SVE_VL_MIN		16
#define SVE_NUM_ZREGS		32
#define SVE_NUM_PREGS		16
#define sve_vl_valid(vl)	((vl) % SVE_VQ_BYTES == 0 &&		\
				 (vl) >= SVE_VL_MIN && (vl) <= 256)
#define SVE_SIG_REGS_OFFSET	16	/* sizeof(struct sve_context), rounded */
#define SVE_SIG_ZREG_SIZE(vq)	((u32)(vq) * SVE_VQ_BYTES)
#define SVE_SIG_PREG_SIZE(vq)	((u32)(vq) * (SVE_VQ_BYTES / 8))
#define SVE_SIG_FFR_SIZE(vq)	SVE_SIG_PREG_SIZE(vq)
#define SVE_SIG_ZREGS_OFFSET	SVE_SIG_REGS_OFFSET
#define SVE_SIG_ZREG_OFFSET(vq, n) \
	(SVE_SIG_ZREGS_OFFSET + SVE_SIG_ZREG_SIZE(vq) * (n))
#define SVE_SIG_ZREGS_SIZE(vq) \
	(SVE_SIG_ZREG_OFFSET(vq, SVE_NUM_ZREGS) - SVE_SIG_ZREGS_OFFSET)
#define SVE_SIG_PREGS_OFFSET(vq) \
	(SVE_SIG_ZREGS_OFFSET + SVE_SIG_ZREGS_SIZE(vq))
#define SVE_SIG_PREG_OFFSET(vq, n) \
	(SVE_SIG_PREGS_OFFSET(vq) + SVE_SIG_PREG_SIZE(vq) * (n))
#define SVE_SIG_PREGS_SIZE(vq) \
	(SVE_SIG_PREG_OFFSET(vq, SVE_NUM_PREGS) - SVE_SIG_PREGS_OFFSET(vq))
#define SVE_SIG_FFR_OFFSET(vq) \
	(SVE_SIG_PREGS_OFFSET(vq) + SVE_SIG_PREGS_SIZE(vq))
#define SVE_SIG_REGS_SIZE(vq) \
	(SVE_SIG_FFR_OFFSET(vq) + SVE_SIG_FFR_SIZE(vq) - SVE_SIG_REGS_OFFSET)

/* arch/arm64/include/uapi/asm/ptrace.h */
struct user_fpsimd_state {
	__uint128_t vregs[32];
	u32 fpsr;
	u32 fpcr;
	u32 __reserved[2];
};

/* --- arch/arm64/include/asm/fpsimd.h, processor.h ------------------------ */
enum fp_type {
	FP_STATE_CURRENT,	/* Save based on current task state. */
	FP_STATE_FPSIMD,
	FP_STATE_SVE,
};

struct cpu_fp_state {
	struct user_fpsimd_state *st;
	void *sve_state;
	void *sme_state;
	u64 *svcr;
	u64 *fpmr;
	unsigned int sve_vl;
	unsigned int sme_vl;
	enum fp_type *fp_type;
	enum fp_type to_save;
};

struct thread_struct {
	struct {
		struct user_fpsimd_state fpsimd_state;
		u64 fpmr;
	} uw;
	enum fp_type fp_type;
	unsigned int fpsimd_cpu;
	void *sve_state;
	void *sme_state;
	unsigned int sve_vl;
	u64 svcr;
};

/* The thread_info flags the fpsimd code uses. */
enum {
	TIF_FOREIGN_FPSTATE,
	TIF_SVE,
	TIF_SME,
	TIF_KERNEL_FPSTATE,
};

struct task_struct {
	unsigned long ti_flags;
	struct thread_struct thread;
};

#define NR_CPUS			MODEL_NR_CPUS

static inline unsigned int sve_vq_from_vl(unsigned int vl)
{
	return vl / SVE_VQ_BYTES;
}

/* sve_ffr_offset(): the FFR's offset in an SVE state buffer at @vl. */
static inline size_t sve_ffr_offset(int vl)
{
	return SVE_SIG_FFR_OFFSET(sve_vq_from_vl(vl)) - SVE_SIG_REGS_OFFSET;
}

/* === The simulated CPU (sim_arm64.c) ================================= */

struct task_struct *sim_current(void);
#define current			sim_current()

/* Host CPU features, final or not yet (system_supports_sme()). */
bool sim_supports_sve(void);
bool sim_supports_sme(void);
u32 sim_host_max_vl(void);
bool sim_in_softirq(void);

/* fpsimd_save_state()/fpsimd_load_state(): STP/LDP of V0-V31, FPSR, FPCR. */
void fpsimd_save_state(struct user_fpsimd_state *state);
void fpsimd_load_state(struct user_fpsimd_state *state);
/* sve_save_state()/sve_load_state(): Z, P (and FFR) at the current VL. */
void sve_save_state(void *state, u32 *pfpsr, int save_ffr);
void sve_load_state(void const *state, u32 const *pfpsr, int restore_ffr);
/* sve_flush_live(): zero the Z bits above V, P and (@flush_ffr) FFR. */
void sve_flush_live(bool flush_ffr, unsigned long vq_minus_1);
/* RDVL: the effective vector length (ZCR_EL1 and ZCR_EL2 together). */
unsigned int sve_get_vl(void);
/* sve_set_vq(): ZCR_EL1.LEN (the host kernel's own writes). */
void sve_set_vq(unsigned long vq_minus_1);
/* CPACR_EL1.ZEN_EL0EN: EL0 SVE accesses untrapped (@on) or trapped. */
void sim_cpacr_zen_el0(bool on);

/* Memory the model hands out for the kernel's kzalloc(), any size. */
void *sim_kzalloc(size_t size);
void sim_kfree(const void *p);
#undef kzalloc
#undef kfree
#define kzalloc(size, gfp)	sim_kzalloc(size)
#define kfree(p)		sim_kfree(p)

/* === The 6.12 kernel, on top of it ==================================== */

/* --- thread flags (include/linux/thread_info.h) -------------------------- */
#define test_tsk_thread_flag(t, f)	(!!((t)->ti_flags & (1UL << (f))))
#define set_tsk_thread_flag(t, f)	((t)->ti_flags |= 1UL << (f))
#define clear_tsk_thread_flag(t, f)	((t)->ti_flags &= ~(1UL << (f)))
#define test_thread_flag(f)		test_tsk_thread_flag(current, f)
#define set_thread_flag(f)		set_tsk_thread_flag(current, f)
#define clear_thread_flag(f)		clear_tsk_thread_flag(current, f)

/* update_tsk_thread_flag() */
static inline void update_tsk_thread_flag(struct task_struct *t, int f,
					  bool value)
{
	if (value)
		set_tsk_thread_flag(t, f);
	else
		clear_tsk_thread_flag(t, f);
}

/* test_and_clear_thread_flag() */
static inline bool test_and_clear_thread_flag(int f)
{
	bool old = test_thread_flag(f);

	clear_thread_flag(f);
	return old;
}

/* test_and_set_thread_flag() */
static inline bool test_and_set_thread_flag(int f)
{
	bool old = test_thread_flag(f);

	set_thread_flag(f);
	return old;
}

/* --- cpufeature.h -------------------------------------------------------- */
/* system_supports_fpsimd(): every host the model builds has FP/SIMD. */
static inline bool system_supports_fpsimd(void)
{
	return true;
}

/* system_supports_sve() */
static inline bool system_supports_sve(void)
{
	return sim_supports_sve();
}

/*
 * system_supports_sme(): false in 6.12.117 (SME is behind BROKEN); the
 * model makes it true after boot parameters are parsed on SME configs.
 */
static inline bool system_supports_sme(void)
{
	return sim_supports_sme();
}

/* system_supports_fpmr(): FPMR is not modelled (no FEAT_FPMR host). */
static inline bool system_supports_fpmr(void)
{
	return false;
}

/* in_softirq() */
#define in_softirq()		sim_in_softirq()
/* local_irq_save()/local_irq_restore() */
#define local_irq_save(flags)	((flags) = 0, model_irq_off())
#define local_irq_restore(flags) ((void)(flags), model_irq_on())
/* pr_warn_once(): the model counts it (sim_arm64.c). */
void sim_pr_warn_once(const char *msg);
#define pr_warn_once(fmt, ...)	sim_pr_warn_once(fmt)

/* --- arch/arm64/kernel/fpsimd.c ------------------------------------------ */
extern struct cpu_fp_state fpsimd_last_state[MODEL_NR_CPUS];

/* sve_user_enable(): sysreg_clear_set(cpacr_el1, 0, ZEN_EL0EN). */
static inline void sve_user_enable(void)
{
	sim_cpacr_zen_el0(true);
}

/* sve_user_disable(): sysreg_clear_set(cpacr_el1, ZEN_EL0EN, 0). */
static inline void sve_user_disable(void)
{
	sim_cpacr_zen_el0(false);
}

/* task_get_sve_vl() */
static inline unsigned int task_get_sve_vl(const struct task_struct *t)
{
	return t->thread.sve_vl;
}

/* sve_state_size(): the task's SVE buffer at its vector length. */
static inline size_t sve_state_size(const struct task_struct *t)
{
	return SVE_SIG_REGS_SIZE(sve_vq_from_vl(task_get_sve_vl(t)));
}

/* sve_pffr() */
static inline void *sve_pffr(struct thread_struct *thread)
{
	return (char *)thread->sve_state + sve_ffr_offset(thread->sve_vl);
}

/* fpsimd_flush_cpu_state(): forget what is bound, current is foreign. */
static inline void fpsimd_flush_cpu_state(void)
{
	WARN_ON(!system_supports_fpsimd());
	this_cpu_ptr(&fpsimd_last_state)->st = NULL;
	set_thread_flag(TIF_FOREIGN_FPSTATE);
}

/*
 * kernel/patches/6.12-count: charge one transfer to the vCPU current has
 * loaded, if any (virt/kvm/kvm_main.c's kvm_count_fpu_xfer()).
 */
void kvm_count_fpu_xfer(bool save, u64 bytes);

/* fpsimd_save_user_state(): write the bound state back (via last). */
static inline void fpsimd_save_user_state(void)
{
	struct cpu_fp_state const *last = this_cpu_ptr(&fpsimd_last_state);
	bool save_sve_regs = false;
	unsigned int vl = 0;

	WARN_ON(!system_supports_fpsimd());
	WARN_ON(preemptible());

	if (test_thread_flag(TIF_FOREIGN_FPSTATE))
		return;
	if ((last->to_save == FP_STATE_CURRENT && test_thread_flag(TIF_SVE)) ||
	    last->to_save == FP_STATE_SVE) {
		save_sve_regs = true;
		vl = last->sve_vl;
	}
	if (system_supports_sme())
		*last->svcr = 0;	/* no streaming mode or ZA modelled */
	if (save_sve_regs) {
		if (WARN_ON(sve_get_vl() != vl))
			return;		/* 6.12: SIGKILL, state lost */
		sve_save_state((char *)last->sve_state + sve_ffr_offset(vl),
			       &last->st->fpsr, true);
		*last->fp_type = FP_STATE_SVE;
		kvm_count_fpu_xfer(true, SVE_SIG_REGS_SIZE(sve_vq_from_vl(vl)));
	} else {
		fpsimd_save_state(last->st);
		*last->fp_type = FP_STATE_FPSIMD;
		kvm_count_fpu_xfer(true, sizeof(struct user_fpsimd_state));
	}
}

/* fpsimd_bind_task_to_cpu(): current's state is the live one here. */
static inline void fpsimd_bind_task_to_cpu(void)
{
	struct cpu_fp_state *last = this_cpu_ptr(&fpsimd_last_state);

	WARN_ON(!system_supports_fpsimd());
	last->st = &current->thread.uw.fpsimd_state;
	last->sve_state = current->thread.sve_state;
	last->sme_state = current->thread.sme_state;
	last->sve_vl = task_get_sve_vl(current);
	last->sme_vl = 0;
	last->svcr = &current->thread.svcr;
	last->fpmr = &current->thread.uw.fpmr;
	last->fp_type = &current->thread.fp_type;
	last->to_save = FP_STATE_CURRENT;
	current->thread.fpsimd_cpu = smp_processor_id();
	if (system_supports_sve()) {
		if (test_thread_flag(TIF_SVE))
			sve_user_enable();
		else
			sve_user_disable();
	}
}

/* fpsimd_bind_state_to_cpu(): bind a KVM vCPU's state; irqs off. */
static inline void fpsimd_bind_state_to_cpu(struct cpu_fp_state *state)
{
	struct cpu_fp_state *last = this_cpu_ptr(&fpsimd_last_state);

	WARN_ON(!system_supports_fpsimd());
	WARN_ON(!in_softirq() && !irqs_disabled());
	*last = *state;
}

/* task_fpsimd_load(): load current's state from memory, per fp_type. */
static inline void task_fpsimd_load(void)
{
	bool restore_sve_regs = false;

	WARN_ON(!system_supports_fpsimd());
	WARN_ON(preemptible());
	if (system_supports_sve() || system_supports_sme()) {
		switch (current->thread.fp_type) {
		case FP_STATE_FPSIMD:
			/* Stop tracking SVE for this task until next use. */
			if (test_and_clear_thread_flag(TIF_SVE))
				sve_user_disable();
			break;
		case FP_STATE_SVE:
			if (!WARN_ON_ONCE(!test_and_set_thread_flag(TIF_SVE)))
				sve_user_enable();
			if (test_thread_flag(TIF_SVE))
				sve_set_vq(sve_vq_from_vl(task_get_sve_vl(current)) - 1);
			restore_sve_regs = true;
			break;
		default:
			WARN_ON_ONCE(1);
			clear_thread_flag(TIF_SVE);
			break;
		}
	}
	if (restore_sve_regs) {
		WARN_ON_ONCE(current->thread.fp_type != FP_STATE_SVE);
		sve_load_state(sve_pffr(&current->thread),
			       &current->thread.uw.fpsimd_state.fpsr, true);
		kvm_count_fpu_xfer(false, SVE_SIG_REGS_SIZE(sve_vq_from_vl(
					task_get_sve_vl(current))));
	} else {
		WARN_ON_ONCE(current->thread.fp_type != FP_STATE_FPSIMD);
		fpsimd_load_state(&current->thread.uw.fpsimd_state);
		kvm_count_fpu_xfer(false, sizeof(struct user_fpsimd_state));
	}
}

/* fpsimd_restore_current_state(): ret_to_user's reload and bind. */
static inline void fpsimd_restore_current_state(void)
{
	preempt_disable();	/* get_cpu_fpsimd_context() */
	if (test_and_clear_thread_flag(TIF_FOREIGN_FPSTATE)) {
		task_fpsimd_load();
		fpsimd_bind_task_to_cpu();
	}
	preempt_enable();
}

/* fpsimd_thread_switch(): save the outgoing state, judge @next's. */
static inline void fpsimd_thread_switch(struct task_struct *next)
{
	bool wrong_task, wrong_cpu;

	WARN_ON_ONCE(!irqs_disabled());
	fpsimd_save_user_state();
	wrong_task = this_cpu_ptr(&fpsimd_last_state)->st !=
		&next->thread.uw.fpsimd_state;
	wrong_cpu = next->thread.fpsimd_cpu != (unsigned int)smp_processor_id();
	update_tsk_thread_flag(next, TIF_FOREIGN_FPSTATE,
			       wrong_task || wrong_cpu);
}

/* fpsimd_save_and_flush_cpu_state(): save what is bound, unbind. */
static inline void fpsimd_save_and_flush_cpu_state(void)
{
	unsigned long flags;

	if (!system_supports_fpsimd())
		return;
	WARN_ON(preemptible());
	local_irq_save(flags);
	fpsimd_save_user_state();
	fpsimd_flush_cpu_state();
	local_irq_restore(flags);
}

/* fpsimd_flush_task_state(): @t's registers are nowhere live now. */
static inline void fpsimd_flush_task_state(struct task_struct *t)
{
	t->thread.fpsimd_cpu = NR_CPUS;
	set_tsk_thread_flag(t, TIF_FOREIGN_FPSTATE);
}

/* __fpsimd_to_sve(): V0-V31 into the low 128 bits of Z0-Z31 at @vq. */
static inline void __fpsimd_to_sve(void *sst,
				   struct user_fpsimd_state const *fst,
				   unsigned int vq)
{
	unsigned int i;

	for (i = 0; i < SVE_NUM_ZREGS; ++i)
		memcpy((char *)sst + SVE_SIG_ZREG_OFFSET(vq, i) -
		       SVE_SIG_REGS_OFFSET, &fst->vregs[i], 16);
}

/* fpsimd_to_sve(): task's FPSIMD image into its SVE image. */
static inline void fpsimd_to_sve(struct task_struct *task)
{
	if (!system_supports_sve() && !system_supports_sme())
		return;
	__fpsimd_to_sve(task->thread.sve_state,
			&task->thread.uw.fpsimd_state,
			sve_vq_from_vl(task_get_sve_vl(task)));
}

/* sve_to_fpsimd(): the low 128 bits of the task's Z into its V. */
static inline void sve_to_fpsimd(struct task_struct *task)
{
	unsigned int vq = sve_vq_from_vl(task_get_sve_vl(task)), i;

	if (!system_supports_sve() && !system_supports_sme())
		return;
	for (i = 0; i < SVE_NUM_ZREGS; ++i)
		memcpy(&task->thread.uw.fpsimd_state.vregs[i],
		       (char *)task->thread.sve_state +
		       SVE_SIG_ZREG_OFFSET(vq, i) - SVE_SIG_REGS_OFFSET, 16);
}

/* sve_alloc(): the task's SVE buffer; zeroed when @flush. */
static inline void sve_alloc(struct task_struct *task, bool flush)
{
	if (task->thread.sve_state) {
		if (flush)
			memset(task->thread.sve_state, 0, sve_state_size(task));
		return;
	}
	task->thread.sve_state = kzalloc(sve_state_size(task), GFP_KERNEL);
}

/* sve_init_regs(): first SVE use: FPSIMD state becomes SVE, rest zero. */
static inline void sve_init_regs(void)
{
	if (!test_thread_flag(TIF_FOREIGN_FPSTATE)) {
		unsigned long vq_minus_one =
			sve_vq_from_vl(task_get_sve_vl(current)) - 1;

		sve_set_vq(vq_minus_one);
		sve_flush_live(true, vq_minus_one);
		fpsimd_bind_task_to_cpu();
	} else {
		fpsimd_to_sve(current);
		current->thread.fp_type = FP_STATE_SVE;
		fpsimd_flush_task_state(current);
	}
}

/* do_sve_acc(): EL0 SVE access trap; -1 when the task was killed. */
static inline int do_sve_acc(void)
{
	if (!system_supports_sve())
		return -1;	/* SIGILL */
	sve_alloc(current, true);
	if (!current->thread.sve_state)
		return -1;	/* SIGKILL */
	preempt_disable();
	if (test_and_set_thread_flag(TIF_SVE))
		WARN_ON(1);	/* SVE access shouldn't have trapped */
	sve_init_regs();
	preempt_enable();
	return 0;
}

/* fpsimd_preserve_current_state() */
static inline void fpsimd_preserve_current_state(void)
{
	preempt_disable();
	fpsimd_save_user_state();
	preempt_enable();
}

/* fpsimd_signal_preserve_current_state(): and V up to date for the frame. */
static inline void fpsimd_signal_preserve_current_state(void)
{
	fpsimd_preserve_current_state();
	if (current->thread.fp_type == FP_STATE_SVE)
		sve_to_fpsimd(current);
}

/* fpsimd_update_current_state(): sigreturn's reload of the frame's V. */
static inline void fpsimd_update_current_state(struct user_fpsimd_state const *state)
{
	preempt_disable();
	current->thread.uw.fpsimd_state = *state;
	if (current->thread.fp_type == FP_STATE_SVE)
		fpsimd_to_sve(current);
	task_fpsimd_load();
	fpsimd_bind_task_to_cpu();
	clear_thread_flag(TIF_FOREIGN_FPSTATE);
	preempt_enable();
}

/* kernel_neon_begin() from a softirq (no TIF_KERNEL_FPSTATE there). */
static inline void kernel_neon_begin(void)
{
	preempt_disable();
	fpsimd_save_user_state();
	fpsimd_flush_cpu_state();
	preempt_enable();
}

/* arch/arm64/kernel/entry-common.c fpsimd_syscall_enter() */
static inline void fpsimd_syscall_enter(void)
{
	if (!system_supports_sve())
		return;
	if (test_thread_flag(TIF_SVE))
		sve_flush_live(true,
			       sve_vq_from_vl(task_get_sve_vl(current)) - 1);
	this_cpu_ptr(&fpsimd_last_state)->to_save = FP_STATE_FPSIMD;
}

/* fpsimd_syscall_exit() */
static inline void fpsimd_syscall_exit(void)
{
	if (!system_supports_sve())
		return;
	this_cpu_ptr(&fpsimd_last_state)->to_save = FP_STATE_CURRENT;
}

/* --- KVM: asm/kvm_host.h, kvm_emulate.h, kvm_mmu.h, kvm/fpsimd.c --------- */
enum vcpu_sysreg {
	SVCR,
	FPMR,
	ZCR_EL1,
	NR_SYS_REGS,
};

/* struct kvm_host_data: only fp_owner. */
struct kvm_host_data {
	enum {
		FP_STATE_FREE,
		FP_STATE_HOST_OWNED,
		FP_STATE_GUEST_OWNED,
	} fp_owner;
};

extern struct kvm_host_data kvm_host_data[MODEL_NR_CPUS];
#define host_data_ptr(f)	(&this_cpu_ptr(&kvm_host_data)->f)
#define guest_owns_fp_regs()	(*host_data_ptr(fp_owner) == FP_STATE_GUEST_OWNED)
#define host_owns_fp_regs()	(*host_data_ptr(fp_owner) == FP_STATE_HOST_OWNED)

struct kvm_cpu_context {
	struct user_fpsimd_state fp_regs;
	u64 sys_regs[NR_SYS_REGS];
};

/* Only the fields the hardware layer and the simulated hyp touch. */
struct kvm_vcpu_arch {
	struct kvm_cpu_context ctxt;
	void *sve_state;
	enum fp_type fp_type;
	unsigned int sve_max_vl;
	bool has_sve;		/* vcpu_get_flag(vcpu, GUEST_HAS_SVE) */
	bool has_nv;		/* vcpu_has_feature(vcpu, KVM_ARM_VCPU_HAS_EL2) */
	bool fp_retry;		/* vcpu_get_flag(vcpu, GFPU_FP_RETRY) */
	bool sve_finalized;	/* vcpu_get_flag(vcpu, VCPU_SVE_FINALIZED) */
	struct gfpu_vcpu gfpu;
};

#define kvm_arm_vcpu_sve_finalized(vcpu)	((vcpu)->arch.sve_finalized)

/* KVM's per-vCPU stats: only the part gfpu owns. */
struct kvm_vcpu_stat {
	struct gfpu_stats gfpu;
};

struct kvm_vcpu {
	struct kvm_vcpu_arch arch;
	struct kvm_vcpu_stat stat;
};

#define __vcpu_sys_reg(v, r)	((v)->arch.ctxt.sys_regs[(r)])

/* The largest VL the host offers guests (kvm_arm_init_sve()). */
extern unsigned int kvm_sve_max_vl;

/* vcpu_has_sve() */
#define vcpu_has_sve(vcpu)	(system_supports_sve() && (vcpu)->arch.has_sve)
/* vcpu_has_nv() */
#define vcpu_has_nv(vcpu)	((vcpu)->arch.has_nv)
/* vcpu_sve_max_vq() */
#define vcpu_sve_max_vq(vcpu)	sve_vq_from_vl((vcpu)->arch.sve_max_vl)
/* vcpu_sve_pffr() */
#define vcpu_sve_pffr(vcpu)	((char *)(vcpu)->arch.sve_state +	\
				 sve_ffr_offset((vcpu)->arch.sve_max_vl))

/* vcpu_sve_state_size(): 0 (and a warning) for an invalid max VL. */
static inline size_t vcpu_sve_state_size(const struct kvm_vcpu *vcpu)
{
	if (WARN_ON(!sve_vl_valid(vcpu->arch.sve_max_vl)))
		return 0;
	return SVE_SIG_REGS_SIZE(vcpu_sve_max_vq(vcpu));
}

/*
 * kvm_share_hyp()/kvm_unshare_hyp(): VHE (is_kernel_in_hyp_mode()) needs
 * no hyp mapping and returns 0 (nVHE's -ENOMEM is not modelled).
 */
static inline int kvm_share_hyp(void *from, void *to)
{
	return 0;
}

static inline void kvm_unshare_hyp(void *from, void *to)
{
}

/*
 * is_protected_kvm_enabled() (asm/virt.h): the model runs no pKVM, whose
 * hyp tracks host FP state itself.
 */
static inline bool is_protected_kvm_enabled(void)
{
	return false;
}

/* system_capabilities_finalized(): the model's are, once it runs. */
static inline bool system_capabilities_finalized(void)
{
	return true;
}

#endif /* _GFPU_MODEL_ARM64_KERNEL_H */
