/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 6.12 riscv kernel interface that arch/riscv/gfpu_riscv_hw.c uses,
 * for the model: the structures with the fields the hardware layer and
 * the host's FP/vector tracking touch, and the 6.12 functions, each named
 * after the function it stands for and doing what 6.12 does.  The kernel
 * headers gfpu_riscv_hw.c includes are stubs in this directory that
 * include this file.
 *
 * Below the line "simulated CPU" are the instructions (FP and vector
 * register stores and loads, the CSRs): sim_riscv.c implements them.
 * Everything above is the host kernel as 6.12 writes it, on top of them.
 */
#ifndef _GFPU_MODEL_RISCV_KERNEL_H
#define _GFPU_MODEL_RISCV_KERNEL_H

#include "model.h"

/* --- arch/riscv/include/asm/csr.h ----------------------------------------- */
#define SR_FS		0x00006000UL
#define SR_FS_OFF	0x00000000UL
#define SR_FS_INITIAL	0x00002000UL
#define SR_FS_CLEAN	0x00004000UL
#define SR_FS_DIRTY	0x00006000UL
#define SR_VS		0x00000600UL
#define SR_VS_OFF	0x00000000UL
#define SR_VS_INITIAL	0x00000200UL
#define SR_VS_CLEAN	0x00000400UL
#define SR_VS_DIRTY	0x00000600UL

/* --- arch/riscv/include/uapi/asm/ptrace.h --------------------------------- */
struct __riscv_f_ext_state {
	u32 f[32];
	u32 fcsr;
};

struct __riscv_d_ext_state {
	u64 f[32];
	u32 fcsr;
};

union __riscv_fp_state {
	struct __riscv_f_ext_state f;
	struct __riscv_d_ext_state d;
};

struct __riscv_v_ext_state {
	unsigned long vstart;
	unsigned long vl;
	unsigned long vtype;
	unsigned long vcsr;
	unsigned long vlenb;
	void *datap;
};

/* asm/ptrace.h: the user status saved at kernel entry (the rest is left out). */
struct pt_regs {
	unsigned long status;
};

/* --- asm/processor.h, asm/thread_info.h ----------------------------------- */
#define RISCV_V_CTX_DEPTH_MASK		0x00ff0000
#define RISCV_V_CTX_UNIT_DEPTH		0x00010000
#define RISCV_KERNEL_MODE_V		0x00000001
#define RISCV_PREEMPT_V			0x00000100
#define RISCV_PREEMPT_V_DIRTY		0x80000000
#define RISCV_PREEMPT_V_NEED_RESTORE	0x40000000

struct thread_struct {
	struct __riscv_d_ext_state fstate;
	u32 riscv_v_flags;
	struct __riscv_v_ext_state vstate;
	struct __riscv_v_ext_state kernel_vstate;
};

#define TIF_RISCV_V_DEFER_RESTORE	12

struct task_struct {
	unsigned long ti_flags;
	struct thread_struct thread;
	struct pt_regs regs;
};

struct task_struct *sim_current(void);
#define current			sim_current()
#define task_pt_regs(t)		(&(t)->regs)

static inline bool test_tsk_thread_flag(struct task_struct *t, int f)
{
	return t->ti_flags & (1UL << f);
}

static inline void set_tsk_thread_flag(struct task_struct *t, int f)
{
	t->ti_flags |= 1UL << f;
}

static inline void clear_tsk_thread_flag(struct task_struct *t, int f)
{
	t->ti_flags &= ~(1UL << f);
}

#define test_thread_flag(f)	test_tsk_thread_flag(current, f)
#define set_thread_flag(f)	set_tsk_thread_flag(current, f)
#define clear_thread_flag(f)	clear_tsk_thread_flag(current, f)

static inline bool test_and_clear_thread_flag(int f)
{
	bool was = test_thread_flag(f);

	clear_thread_flag(f);
	return was;
}

/* --- linux/irqflags.h, compiler, bug -------------------------------------- */
#define local_irq_save(flags)	do { (flags) = 0; model_irq_off(); } while (0)
#define local_irq_restore(flags) do { (void)(flags); model_irq_on(); } while (0)
#define barrier()		__asm__ __volatile__("" ::: "memory")
#define BUG_ON(c)		do { if (c) model_fail("BUG_ON(%s)", #c); } while (0)

/* --- asm/cpufeature.h, asm/hwcap.h ------------------------------------------ */
#define RISCV_ISA_EXT_d		('d' - 'a')
#define RISCV_ISA_EXT_f		('f' - 'a')
#define RISCV_ISA_EXT_v		('v' - 'a')

/* __riscv_isa_extension_available(): NULL is the host's ISA (F, D, V). */
static inline bool __riscv_isa_extension_available(const unsigned long *isa,
						   unsigned int bit)
{
	return isa ? (isa[0] >> bit) & 1 : true;
}

#define riscv_isa_extension_available(isa, ext) \
	__riscv_isa_extension_available(isa, RISCV_ISA_EXT_##ext)

static inline bool has_fpu(void) { return true; }
static inline bool has_vector(void) { return true; }

/* arch/riscv/kernel/vector.c: 32 vector registers of vlenb bytes. */
extern unsigned long riscv_v_vsize;

/* --- arch/riscv/include/asm/kvm_host.h ------------------------------------ */
struct kvm_cpu_context {
	unsigned long sstatus;
	union __riscv_fp_state fp;
	struct __riscv_v_ext_state vector;
};

struct kvm_vcpu_arch {
	struct kvm_cpu_context guest_context;
	unsigned long isa[1];
	struct gfpu_vcpu gfpu;
};

/* KVM's per-vCPU stats: only the part gfpu owns. */
struct kvm_vcpu_stat {
	struct gfpu_stats gfpu;
};

struct kvm_vcpu {
	struct kvm_vcpu_arch arch;
	struct kvm_vcpu_stat stat;
};

/* === simulated CPU (sim_riscv.c) ========================================= */

/* arch/riscv/kernel/fpu.S */
void __fstate_save(struct task_struct *save_to);
void __fstate_restore(struct task_struct *restore_from);
/* arch/riscv/kvm/vcpu_switch.S */
void __kvm_riscv_fp_f_save(struct kvm_cpu_context *context);
void __kvm_riscv_fp_f_restore(struct kvm_cpu_context *context);
void __kvm_riscv_fp_d_save(struct kvm_cpu_context *context);
void __kvm_riscv_fp_d_restore(struct kvm_cpu_context *context);
/* asm/vector.h's inline asm: vse8.v/vle8.v of v0-v31 and the CSRs. */
void __riscv_v_vstate_save(struct __riscv_v_ext_state *save_to, void *datap);
void __riscv_v_vstate_restore(struct __riscv_v_ext_state *restore_from,
			      void *datap);
/* Whether CONFIG_RISCV_ISA_V_PREEMPTIVE is set in this configuration. */
bool sim_preempt_v(void);

/* === The 6.12 host kernel on top of it ==================================== */

/* --- arch/riscv/include/asm/switch_to.h ------------------------------------ */
static inline void __fstate_clean(struct pt_regs *regs)
{
	regs->status = (regs->status & ~SR_FS) | SR_FS_CLEAN;
}

static inline void fstate_save(struct task_struct *task, struct pt_regs *regs)
{
	if ((regs->status & SR_FS) == SR_FS_DIRTY) {
		__fstate_save(task);
		__fstate_clean(regs);
	}
}

static inline void fstate_restore(struct task_struct *task,
				  struct pt_regs *regs)
{
	if ((regs->status & SR_FS) != SR_FS_OFF) {
		__fstate_restore(task);
		__fstate_clean(regs);
	}
}

static inline void __switch_to_fpu(struct task_struct *prev,
				   struct task_struct *next)
{
	fstate_save(prev, task_pt_regs(prev));
	fstate_restore(next, task_pt_regs(next));
}

/* --- arch/riscv/include/asm/vector.h --------------------------------------- */
static inline u32 riscv_v_flags(void)
{
	return READ_ONCE(current->thread.riscv_v_flags);
}

static inline void __riscv_v_vstate_clean(struct pt_regs *regs)
{
	regs->status = (regs->status & ~SR_VS) | SR_VS_CLEAN;
}

static inline void riscv_v_vstate_on(struct pt_regs *regs)
{
	regs->status = (regs->status & ~SR_VS) | SR_VS_INITIAL;
}

/* csr_set/csr_clear(CSR_SSTATUS, SR_VS): the kernel's own VS, not modelled. */
static inline void riscv_v_enable(void) { }
static inline void riscv_v_disable(void) { }

static inline void riscv_v_vstate_save(struct __riscv_v_ext_state *vstate,
				       struct pt_regs *regs)
{
	if ((regs->status & SR_VS) == SR_VS_DIRTY) {
		__riscv_v_vstate_save(vstate, vstate->datap);
		__riscv_v_vstate_clean(regs);
	}
}

static inline void riscv_v_vstate_restore(struct __riscv_v_ext_state *vstate,
					  struct pt_regs *regs)
{
	if ((regs->status & SR_VS) != SR_VS_OFF) {
		__riscv_v_vstate_restore(vstate, vstate->datap);
		__riscv_v_vstate_clean(regs);
	}
}

static inline void riscv_v_vstate_set_restore(struct task_struct *task,
					      struct pt_regs *regs)
{
	if ((regs->status & SR_VS) != SR_VS_OFF) {
		set_tsk_thread_flag(task, TIF_RISCV_V_DEFER_RESTORE);
		riscv_v_vstate_on(regs);
	}
}

/* CONFIG_RISCV_ISA_V_PREEMPTIVE's helpers; false without it. */
static inline bool riscv_preempt_v_dirty(struct task_struct *task)
{
	return sim_preempt_v() &&
		(task->thread.riscv_v_flags & RISCV_PREEMPT_V_DIRTY);
}

static inline bool riscv_preempt_v_restore(struct task_struct *task)
{
	return sim_preempt_v() &&
		(task->thread.riscv_v_flags & RISCV_PREEMPT_V_NEED_RESTORE);
}

static inline void riscv_preempt_v_clear_dirty(struct task_struct *task)
{
	barrier();
	task->thread.riscv_v_flags &= ~RISCV_PREEMPT_V_DIRTY;
}

static inline void riscv_preempt_v_set_restore(struct task_struct *task)
{
	barrier();
	task->thread.riscv_v_flags |= RISCV_PREEMPT_V_NEED_RESTORE;
}

static inline bool riscv_preempt_v_started(struct task_struct *task)
{
	return sim_preempt_v() &&
		(task->thread.riscv_v_flags & RISCV_PREEMPT_V);
}

static inline void __switch_to_vector(struct task_struct *prev,
				      struct task_struct *next)
{
	struct pt_regs *regs;

	if (riscv_preempt_v_started(prev)) {
		if (riscv_preempt_v_dirty(prev)) {
			__riscv_v_vstate_save(&prev->thread.kernel_vstate,
					      prev->thread.kernel_vstate.datap);
			riscv_preempt_v_clear_dirty(prev);
		}
	} else {
		regs = task_pt_regs(prev);
		riscv_v_vstate_save(&prev->thread.vstate, regs);
	}

	if (riscv_preempt_v_started(next))
		riscv_preempt_v_set_restore(next);
	else
		riscv_v_vstate_set_restore(next, task_pt_regs(next));
}

/* --- arch/riscv/include/asm/entry-common.h --------------------------------- */
static inline void arch_exit_to_user_mode_prepare(struct pt_regs *regs)
{
	if (test_thread_flag(TIF_RISCV_V_DEFER_RESTORE)) {
		clear_thread_flag(TIF_RISCV_V_DEFER_RESTORE);
		riscv_v_vstate_restore(&current->thread.vstate, regs);
	}
}

/* --- arch/riscv/kernel/kernel_mode_vector.c -------------------------------- */
static inline void riscv_v_flags_set(u32 flags)
{
	WRITE_ONCE(current->thread.riscv_v_flags, flags);
}

static inline void riscv_v_start(u32 flags)
{
	u32 orig = riscv_v_flags();

	BUG_ON((orig & flags) != 0);
	riscv_v_flags_set(orig | flags);
	barrier();
}

static inline void riscv_v_stop(u32 flags)
{
	u32 orig;

	barrier();
	orig = riscv_v_flags();
	BUG_ON((orig & flags) == 0);
	riscv_v_flags_set(orig & ~flags);
}

/* local_bh_disable()/enable() are not modelled: the softirq is atomic. */
static inline void get_cpu_vector_context(void)
{
	riscv_v_start(RISCV_KERNEL_MODE_V);
}

static inline void put_cpu_vector_context(void)
{
	riscv_v_stop(RISCV_KERNEL_MODE_V);
}

static inline u32 riscv_v_ctx_get_depth(void)
{
	return current->thread.riscv_v_flags & RISCV_V_CTX_DEPTH_MASK;
}

static inline int riscv_v_stop_kernel_context(void)
{
	if (!sim_preempt_v())
		return -ENOENT;
	if (riscv_v_ctx_get_depth() != 0 || !riscv_preempt_v_started(current))
		return 1;

	riscv_preempt_v_clear_dirty(current);
	riscv_v_stop(RISCV_PREEMPT_V);
	return 0;
}

static inline int riscv_v_start_kernel_context(bool *is_nested)
{
	struct __riscv_v_ext_state *kvstate, *uvstate;

	if (!sim_preempt_v())
		return -ENOENT;
	kvstate = &current->thread.kernel_vstate;
	if (!kvstate->datap)
		return -ENOENT;

	if (riscv_preempt_v_started(current)) {
		WARN_ON(riscv_v_ctx_get_depth() == 0);
		*is_nested = true;
		get_cpu_vector_context();
		if (riscv_preempt_v_dirty(current)) {
			__riscv_v_vstate_save(kvstate, kvstate->datap);
			riscv_preempt_v_clear_dirty(current);
		}
		riscv_preempt_v_set_restore(current);
		return 0;
	}

	/* Transfer the ownership of V from user to kernel, then save */
	riscv_v_start(RISCV_PREEMPT_V | RISCV_PREEMPT_V_DIRTY);
	if ((task_pt_regs(current)->status & SR_VS) == SR_VS_DIRTY) {
		uvstate = &current->thread.vstate;
		__riscv_v_vstate_save(uvstate, uvstate->datap);
	}
	riscv_preempt_v_clear_dirty(current);
	return 0;
}

/* may_use_simd() (asm/simd.h): a softirq with interrupts on may. */
static inline bool may_use_simd(void)
{
	if (sim_preempt_v() && current->thread.kernel_vstate.datap &&
	    !riscv_preempt_v_started(current))
		return true;
	return !model_irqs_disabled() &&
		!(riscv_v_flags() & RISCV_KERNEL_MODE_V);
}

static inline void kernel_vector_begin(void)
{
	bool nested = false;

	BUG_ON(!may_use_simd());

	if (riscv_v_start_kernel_context(&nested)) {
		get_cpu_vector_context();
		riscv_v_vstate_save(&current->thread.vstate,
				    task_pt_regs(current));
	}

	if (!nested)
		riscv_v_vstate_set_restore(current, task_pt_regs(current));

	riscv_v_enable();
}

static inline void kernel_vector_end(void)
{
	riscv_v_disable();

	if (riscv_v_stop_kernel_context())
		put_cpu_vector_context();
}

/* --- arch/riscv/include/asm/kvm_vcpu_vector.h ------------------------------ */
static inline void __kvm_riscv_vector_save(struct kvm_cpu_context *context)
{
	__riscv_v_vstate_save(&context->vector, context->vector.datap);
}

static inline void __kvm_riscv_vector_restore(struct kvm_cpu_context *context)
{
	__riscv_v_vstate_restore(&context->vector, context->vector.datap);
}

#endif /* _GFPU_MODEL_RISCV_KERNEL_H */
