/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu: guest FPU switching framework for KVM, public interface.
 *
 * Two owners compete for the FP/SIMD registers of a CPU while a vCPU thread
 * is inside KVM_RUN: the host task (the VMM) and the guest vCPU.  KVM calls
 * the hooks below at fixed points of the run loop; the core tracks whose
 * state is live in each CPU's registers and the arch backend moves state.
 *
 * A KVM_RUN is, in hook order:
 *
 *   gfpu_run_enter()
 *   gfpu_vcpu_load(sched_in = false)
 *   { [gfpu_guest_regs()] gfpu_guest_enter() [gfpu_lazy_trap()]
 *     gfpu_exit_sync() }*
 *      interleaved with gfpu_vcpu_put(sched_out = true) /
 *      gfpu_vcpu_load(sched_in = true) when the thread is preempted
 *   gfpu_vcpu_put(sched_out = false)
 *   gfpu_run_exit()
 *
 * gfpu_feature_change(), gfpu_get_state() and gfpu_set_state() may be called
 * outside KVM_RUN (ioctls) and, for feature changes, from the run loop's
 * exit handlers (x86 XSETBV and XFD write emulation).
 */
#ifndef _GFPU_GFPU_H
#define _GFPU_GFPU_H

#include <linux/bits.h>
#include <linux/types.h>

#if defined(CONFIG_X86)
#include <gfpu/gfpu_x86.h>
#elif defined(CONFIG_ARM64)
#include <gfpu/gfpu_arm64.h>
#elif defined(CONFIG_RISCV)
#include <gfpu/gfpu_riscv.h>
#endif

/**
 * enum gfpu_owner - whose FP/SIMD state is live in a CPU's registers
 * @GFPU_OWNER_NONE: nobody's: the registers hold nothing that must be kept
 *	(every context's latest state is in memory).
 * @GFPU_OWNER_HOST: the host task that runs the vCPU; its state has not
 *	been saved yet.
 * @GFPU_OWNER_GUEST: the guest vCPU recorded in &struct gfpu_cpu.vcpu.
 * @GFPU_NR_OWNERS: number of owners, for tables.
 */
enum gfpu_owner {
	GFPU_OWNER_NONE,
	GFPU_OWNER_HOST,
	GFPU_OWNER_GUEST,
	GFPU_NR_OWNERS,
};

/*
 * Policies, selectable at run time and latched by each vCPU at run enter so
 * one KVM_RUN never mixes two designs.  Zero is the default of each arch.
 */
/* arm64: save host state on the guest's first FP trap (2018-2025 upstream). */
#define GFPU_POLICY_LAZY_HOST		BIT(0)
/* x86: swap the guest fpstate at every vcpu load/put, not once per run. */
#define GFPU_POLICY_SWAP_LOADPUT	BIT(1)
/* x86: grow the fpstate from guest CPUID, not on XCR0/XFD writes. */
#define GFPU_POLICY_REALLOC_CPUID	BIT(2)
/* riscv: keep the guest's FS/VS Off until its first FP/V use traps. */
#define GFPU_POLICY_RISCV_LAZY		BIT(3)
/*
 * Move the host's state out of the way at the run's first guest entry, not
 * at its first load, so that a KVM_RUN that never enters the guest moves
 * nothing.  x86: swap the guest fpstate in there (or at the first use of
 * the guest's registers in place); excludes GFPU_POLICY_SWAP_LOADPUT.
 * arm64: save the host's state there; excludes GFPU_POLICY_LAZY_HOST.
 */
#define GFPU_POLICY_SWAP_ENTRY		BIT(4)
/*
 * arm64: leave the guest's state bound to the CPU at a sched_out put (the
 * context switch saves it) and take it back at the sched_in load, with no
 * restore, when nothing was loaded there meanwhile.
 */
#define GFPU_POLICY_KEEP_BOUND		BIT(5)
#define GFPU_POLICY_MASK		(GFPU_POLICY_LAZY_HOST |	\
					 GFPU_POLICY_SWAP_LOADPUT |	\
					 GFPU_POLICY_REALLOC_CPUID |	\
					 GFPU_POLICY_RISCV_LAZY |	\
					 GFPU_POLICY_SWAP_ENTRY |	\
					 GFPU_POLICY_KEEP_BOUND)

/* Flags for gfpu_exit_sync(): what the exit handler already knows. */
/* The exit was an #NM that XFD caused (x86: CR0.TS was clear). */
#define GFPU_EXIT_NM			BIT(0)

/**
 * enum gfpu_feature_kind - what a feature change changes
 * @GFPU_FEAT_XCR0: x86 guest XCR0 (XSETBV emulation, KVM_SET_XCRS).
 * @GFPU_FEAT_XFD: x86 guest IA32_XFD (WRMSR emulation, KVM_SET_MSRS).
 * @GFPU_FEAT_XFD_ERR: x86 guest IA32_XFD_ERR (writes are always emulated).
 * @GFPU_FEAT_CPUID: x86 guest CPUID's supported xfeatures (KVM_SET_CPUID2).
 * @GFPU_FEAT_SVE_VL: arm64 vCPU maximum SVE vector length in bytes
 *	(KVM_REG_ARM64_SVE_VLS plus KVM_ARM_VCPU_FINALIZE).
 */
enum gfpu_feature_kind {
	GFPU_FEAT_XCR0,
	GFPU_FEAT_XFD,
	GFPU_FEAT_XFD_ERR,
	GFPU_FEAT_CPUID,
	GFPU_FEAT_SVE_VL,
};

/**
 * struct gfpu_feature - one feature change request
 * @kind: what changes.
 * @value: the new value.
 * @from_guest: true when the guest itself wrote it (emulation): a rejected
 *	value then becomes #GP in the guest rather than an ioctl error.
 */
struct gfpu_feature {
	enum gfpu_feature_kind kind;
	u64 value;
	bool from_guest;
};

/* Hook numbers, for &struct gfpu_stats.hooks and traces. */
enum gfpu_hook {
	GFPU_HOOK_RUN_ENTER,
	GFPU_HOOK_LOAD,
	GFPU_HOOK_GUEST_ENTER,
	GFPU_HOOK_LAZY_TRAP,
	GFPU_HOOK_EXIT_SYNC,
	GFPU_HOOK_PUT,
	GFPU_HOOK_RUN_EXIT,
	GFPU_HOOK_FEATURE,
	GFPU_HOOK_GET,
	GFPU_HOOK_SET,
	GFPU_HOOK_GUEST_REGS,
	GFPU_NR_HOOKS,
};

/**
 * struct gfpu_stats - per-vCPU counters of the work the framework did
 * @hooks: calls per hook, indexed by &enum gfpu_hook; the same counters
 *	by name below, for KVM's stats descriptors.
 * @hook_run_enter: gfpu_run_enter() calls.
 * @hook_load: gfpu_vcpu_load() calls.
 * @hook_guest_enter: gfpu_guest_enter() calls.
 * @hook_lazy_trap: gfpu_lazy_trap() calls.
 * @hook_exit_sync: gfpu_exit_sync() calls.
 * @hook_put: gfpu_vcpu_put() calls.
 * @hook_run_exit: gfpu_run_exit() calls.
 * @hook_feature: gfpu_feature_change() calls.
 * @hook_get: gfpu_get_state() calls.
 * @hook_set: gfpu_set_state() calls.
 * @hook_guest_regs: gfpu_guest_regs() calls.
 * @saves: register-to-memory transfers the backend asked for; on x86
 *	also those the host made of the vCPU thread's registers behind its
 *	back while the vCPU was loaded (the context switch, kernel-mode FP),
 *	so that the stats are every transfer the primitives made.
 * @restores: memory-to-register transfers the backend asked for (on
 *	x86 only those the FPU core really made: a reload of registers that
 *	still hold current's state is none).
 * @bytes: bytes moved by those transfers (x86: each its fpstate's size).
 * @traps: lazy FP traps taken (arm64, riscv).
 * @reallocs: state buffer reallocations that succeeded.
 * @realloc_fails: reallocations that failed (state left intact).
 * @steals: times the registers were found taken by the host (preemption,
 *	kernel-mode FP) when the core revalidated ownership.
 * @preempted: times the vCPU thread was scheduled out inside KVM_RUN.
 * @kept: sched_in loads that found the guest's state still in the
 *	registers, where the sched_out put had left it, and took it back
 *	with nothing to restore (arm64 keep-bound).
 * @policy: the GFPU_POLICY_* bits latched at the last run enter (a value,
 *	not a counter).
 *
 * KVM embeds it in its per-vCPU &struct kvm_vcpu_stat as
 * ``struct gfpu_stats gfpu;`` and lists GFPU_VCPU_STATS_DESC() in its
 * stats descriptors, so the binary stats (KVM_GET_STATS_FD) and KVM's
 * debugfs show every field as ``gfpu_<field>``.  Updated only by the task
 * that runs the vCPU; readers take a racy snapshot, as of KVM's own stats.
 */
struct gfpu_stats {
	union {
		u64 hooks[GFPU_NR_HOOKS];
		struct {
			u64 hook_run_enter;
			u64 hook_load;
			u64 hook_guest_enter;
			u64 hook_lazy_trap;
			u64 hook_exit_sync;
			u64 hook_put;
			u64 hook_run_exit;
			u64 hook_feature;
			u64 hook_get;
			u64 hook_set;
			u64 hook_guest_regs;
		};
	};
	u64 saves;
	u64 restores;
	u64 bytes;
	u64 traps;
	u64 reallocs;
	u64 realloc_fails;
	u64 steals;
	u64 preempted;
	u64 kept;
	u64 policy;
};

/* One KVM stats descriptor for a field of &struct gfpu_stats. */
#define GFPU_STATS_DESC(type, unit, field)				\
{									\
	STATS_DESC_COMMON(type, unit, KVM_STATS_BASE_POW10, 0, 1, 0),	\
	.offset = offsetof(struct kvm_vcpu_stat, gfpu.field),		\
	.name = "gfpu_" #field,						\
}

#define GFPU_STATS_DESC_COUNTER(field)					\
	GFPU_STATS_DESC(KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_NONE, field)

/*
 * The descriptors of every field of &struct gfpu_stats, for KVM's
 * kvm_vcpu_stats_desc[] (one per u64, in any order), as
 * KVM_GENERIC_VCPU_STATS() lists KVM's generic ones.
 */
#define GFPU_VCPU_STATS_DESC()						\
	GFPU_STATS_DESC_COUNTER(hook_run_enter),			\
	GFPU_STATS_DESC_COUNTER(hook_load),				\
	GFPU_STATS_DESC_COUNTER(hook_guest_enter),			\
	GFPU_STATS_DESC_COUNTER(hook_lazy_trap),			\
	GFPU_STATS_DESC_COUNTER(hook_exit_sync),			\
	GFPU_STATS_DESC_COUNTER(hook_put),				\
	GFPU_STATS_DESC_COUNTER(hook_run_exit),				\
	GFPU_STATS_DESC_COUNTER(hook_feature),				\
	GFPU_STATS_DESC_COUNTER(hook_get),				\
	GFPU_STATS_DESC_COUNTER(hook_set),				\
	GFPU_STATS_DESC_COUNTER(hook_guest_regs),			\
	GFPU_STATS_DESC_COUNTER(saves),					\
	GFPU_STATS_DESC_COUNTER(restores),				\
	GFPU_STATS_DESC(KVM_STATS_TYPE_CUMULATIVE, KVM_STATS_UNIT_BYTES, \
			bytes),						\
	GFPU_STATS_DESC_COUNTER(traps),					\
	GFPU_STATS_DESC_COUNTER(reallocs),				\
	GFPU_STATS_DESC_COUNTER(realloc_fails),				\
	GFPU_STATS_DESC_COUNTER(steals),				\
	GFPU_STATS_DESC_COUNTER(preempted),				\
	GFPU_STATS_DESC_COUNTER(kept),					\
	GFPU_STATS_DESC(KVM_STATS_TYPE_INSTANT, KVM_STATS_UNIT_NONE, policy)

/**
 * struct gfpu_vcpu - the framework's record of one vCPU
 * @policy: GFPU_POLICY_* bits latched at run enter.
 * @in_run: between gfpu_run_enter() and gfpu_run_exit().
 * @in_guest: between gfpu_guest_enter() and gfpu_exit_sync().
 * @loaded: between gfpu_vcpu_load() and gfpu_vcpu_put(), on any CPU (KVM's
 *	vcpu->cpu cannot tell: x86 leaves it set after a put).
 * @stats: its counters, which live in KVM's per-vCPU stats.
 * @arch: the backend's per-vCPU state (&struct gfpu_arch_vcpu in
 *	<gfpu/gfpu_ARCH.h>).
 *
 * KVM embeds it in its arch vCPU as ``struct gfpu_vcpu gfpu;`` inside
 * &struct kvm_vcpu_arch, as it embeds &struct fpu_guest, and the arch
 * hardware layer finds KVM's vCPU with container_of().  It holds only what
 * KVM does not: the guest's XCR0, its supported xfeatures, XFD_ERR, the
 * SVE vector length and whether the vCPU is scheduled out are read where
 * KVM keeps them.
 *
 * Owned by the task that runs the vCPU (KVM's vcpu->mutex serialises
 * ioctls); fields change with preemption disabled when a CPU is involved.
 */
struct gfpu_vcpu {
	unsigned int policy;
	bool in_run;
	bool in_guest;
	bool loaded;
	struct gfpu_stats *stats;
	struct gfpu_arch_vcpu arch;
};

#ifdef CONFIG_GFPU

/**
 * gfpu_vcpu_init() - set up the framework's record of a new vCPU
 * @v: the record, embedded in KVM's vCPU (zeroed with it); the arch
 *	state KVM's vCPU creation sets up (x86: the guest fpstate) exists.
 * @stats: where its counters go: ``&vcpu->stat.gfpu`` (zeroed with it).
 *
 * Context: process context, may sleep.
 * Return: 0, or a negative errno (-ENOMEM, or the backend's error) with
 * nothing to undo.
 */
int gfpu_vcpu_init(struct gfpu_vcpu *v, struct gfpu_stats *stats);

/**
 * gfpu_vcpu_destroy() - tear down a record set up by gfpu_vcpu_init()
 * @v: the record; the vCPU must not be loaded or in KVM_RUN.
 *
 * Context: process context, may sleep.
 */
void gfpu_vcpu_destroy(struct gfpu_vcpu *v);

/**
 * gfpu_run_enter() - the vCPU thread enters KVM_RUN
 * @v: the vCPU.
 * @pid_changed: this is the first KVM_RUN from a new host task; the
 *	backend maps whatever of the task it needs (arm64: shares its
 *	FPSIMD state with hyp, as 6.12's kvm_arch_vcpu_run_map_fp() did).
 *
 * Latches the global policy for this run and records the host task.
 *
 * Context: process context, preemptible, vCPU not loaded.
 * Return: 0, or a negative errno with nothing changed (the ioctl fails).
 */
int gfpu_run_enter(struct gfpu_vcpu *v, bool pid_changed);

/**
 * gfpu_vcpu_load() - the vCPU is loaded on this CPU
 * @v: the vCPU.
 * @sched_in: the load comes from the scheduler putting the preempted vCPU
 *	thread back on a CPU (KVM's vcpu->scheduled_out, which
 *	kvm_sched_in() clears only after the load);
 *	host state that cannot have changed meanwhile is not saved again.
 *
 * Context: preemption disabled; interrupts may be enabled.
 */
void gfpu_vcpu_load(struct gfpu_vcpu *v, bool sched_in);

/**
 * gfpu_guest_enter() - last call before VM entry
 * @v: the vCPU, loaded on this CPU, inside KVM_RUN.
 *
 * Revalidates ownership (preemption or kernel-mode FP may have taken the
 * registers since the last hook), loads what the guest needs live and arms
 * the lazy trap where the policy wants one.  Guarantees that, until
 * gfpu_exit_sync(), the guest's registers are either live or trapped.
 *
 * Context: interrupts disabled.
 */
void gfpu_guest_enter(struct gfpu_vcpu *v);

/**
 * gfpu_guest_regs() - KVM is about to use the guest's registers in place
 * @v: the vCPU, loaded on this CPU, inside KVM_RUN, not in guest context.
 *
 * Makes the guest's state the one the registers hold for the host's FPU
 * code, for KVM code that reads or writes guest FP registers directly
 * (x86: the emulator's SSE/MMX operands, kvm_fpu_get()), which may run
 * before the run's first guest entry.  Needed only where a policy defers
 * the guest's state until that entry (x86 GFPU_POLICY_SWAP_ENTRY);
 * otherwise it only counts.
 *
 * Context: preemption disabled (KVM holds fpregs_lock()); interrupts on.
 */
void gfpu_guest_regs(struct gfpu_vcpu *v);

/**
 * gfpu_lazy_trap() - the guest touched FP/SIMD while trapped
 * @v: the vCPU, in guest context on this CPU.
 *
 * Saves the host's state if it is still live, restores the guest's and
 * disarms the trap.  Where the trap handler cannot save the host (the
 * arm64 kernel: hyp hands the trap back instead), only the host's state
 * is saved, the trap stays armed and the guest's retried access traps
 * again: the second call restores the guest's.  Never called on x86
 * (LazyFP, CVE-2018-3665).
 *
 * Context: interrupts disabled (hypervisor trap path, or the first
 * interrupts-off point after the exit that reported it).
 */
void gfpu_lazy_trap(struct gfpu_vcpu *v);

/**
 * gfpu_exit_sync() - first call after VM exit
 * @v: the vCPU.
 * @exit_flags: GFPU_EXIT_* facts about this exit.
 *
 * Makes the state safe for interrupts: the guest's live registers are
 * bound to the CPU so kernel-mode FP in a softirq saves them into the vCPU
 * (arm64); guest-only control registers are switched back and XFD/XFD_ERR
 * synchronised so the host never sees guest values (x86).
 *
 * Context: interrupts disabled, before they are enabled again.
 */
void gfpu_exit_sync(struct gfpu_vcpu *v, unsigned int exit_flags);

/**
 * gfpu_vcpu_put() - the vCPU is put
 * @v: the vCPU, loaded on this CPU.
 * @sched_out: the put comes from the scheduler preempting the vCPU thread.
 *
 * Leaves the host's FPU tracking consistent: nothing the framework made
 * live may be lost by whatever runs next on this CPU.
 *
 * Context: preemption disabled; interrupts may be disabled.
 */
void gfpu_vcpu_put(struct gfpu_vcpu *v, bool sched_out);

/**
 * gfpu_run_exit() - the vCPU thread leaves KVM_RUN
 * @v: the vCPU, already put.
 *
 * After this the host task's own FP state is what returns to userspace.
 *
 * Context: process context, preemptible.
 */
void gfpu_run_exit(struct gfpu_vcpu *v);

/**
 * gfpu_feature_change() - the guest's FP feature set changes
 * @v: the vCPU.
 * @f: the change.
 *
 * May reallocate the guest state buffer.  On any error nothing changed:
 * the old value and the old buffer, with its contents, stay in force.
 *
 * Context: process context, preemptible, may sleep; inside or outside
 * KVM_RUN (the vCPU may be loaded).
 * Return: 0; -EINVAL for an invalid value (#GP when @f->from_guest);
 * -EPERM when the process lacks the guest permission for a feature;
 * -ENOMEM when the buffer cannot grow; -EBUSY when the change is no longer
 * allowed (arm64 vector length after the vCPU ran).
 */
int gfpu_feature_change(struct gfpu_vcpu *v, const struct gfpu_feature *f);

/**
 * gfpu_get_state() - copy guest FP state out for the uAPI
 * @v: the vCPU.
 * @id: which state: an arch register id or state block.
 * @buf: kernel buffer to fill.
 * @size: size of @buf in bytes.
 *
 * For register state (not x86's XCR0 or XFD_ERR, kept in memory): if the
 * guest's state is live in this CPU's registers it is saved first, so the
 * copy is the latest.
 *
 * Context: process context, preemptible.
 * Return: bytes copied, -ENOENT for an unknown @id, -EINVAL for a @size
 * that does not fit it.
 */
int gfpu_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size);

/**
 * gfpu_set_state() - replace guest FP state from the uAPI
 * @v: the vCPU.
 * @id: which state.
 * @buf: the new contents, in a kernel buffer that the backend may
 *	normalise in place (x86 clears the XSTATE_BV bits of components
 *	that the guest's XFD disables, as KVM_SET_XSAVE always did).
 * @size: size of @buf in bytes.
 *
 * Validates the whole input before changing anything.  For register state,
 * a live copy of the guest's registers is invalidated so the next entry
 * loads the new state.
 *
 * Context: process context, preemptible.
 * Return: 0, -ENOENT for an unknown @id, -EINVAL for malformed contents.
 */
int gfpu_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size);

/**
 * gfpu_vcpu_stats() - the vCPU's counters
 * @v: the vCPU.
 *
 * Return: a pointer to its &struct gfpu_stats (racy snapshot for readers).
 */
const struct gfpu_stats *gfpu_vcpu_stats(const struct gfpu_vcpu *v);

/**
 * gfpu_cpu_owner() - whose state this CPU's registers hold, as recorded
 *
 * For arch glue that learns of a transition the core could not see as it
 * happened (arm64: the FP trap is taken in hyp), and for tests.
 *
 * Context: preemption disabled.
 * Return: the recorded &enum gfpu_owner of this CPU.
 */
enum gfpu_owner gfpu_cpu_owner(void);

/**
 * gfpu_policy() - the global policy that the next KVM_RUN latches
 *
 * Return: GFPU_POLICY_* bits.
 */
unsigned int gfpu_policy(void);

/**
 * gfpu_set_policy() - select the policy for future runs
 * @policy: GFPU_POLICY_* bits.
 *
 * Return: 0, or -EINVAL for bits outside GFPU_POLICY_MASK or for two points
 * that move the host's state at once (GFPU_POLICY_SWAP_ENTRY with
 * GFPU_POLICY_SWAP_LOADPUT or GFPU_POLICY_LAZY_HOST).
 */
int gfpu_set_policy(unsigned int policy);

#endif /* CONFIG_GFPU */

#endif /* _GFPU_GFPU_H */
