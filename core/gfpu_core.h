/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu core: records shared between the core and the arch backends.
 *
 * Nothing here touches hardware.  Backends see the records and the helpers
 * below; they implement the gfpu_arch_*() functions that the core calls.
 */
#ifndef _GFPU_CORE_H
#define _GFPU_CORE_H

#include "gfpu_internal.h"
#include <gfpu/gfpu.h>
#include "gfpu_arch.h"
#include "gfpu_trace.h"

/**
 * struct gfpu_cpu - what one physical CPU's FP/SIMD registers hold
 * @owner: whose state is live, as far as the framework knows.  The host's
 *	own FPU code may take the registers behind the framework's back
 *	(preemption, kernel-mode FP); the core revalidates with
 *	gfpu_arch_still_live() wherever that could have happened.
 * @vcpu: the vCPU whose state is live when @owner is GFPU_OWNER_GUEST, or
 *	whose host task's state is live when GFPU_OWNER_HOST; NULL for NONE.
 *	Only ever the vCPU loaded here: every put resets the record.
 * @loaded: the vCPU loaded on this CPU, or NULL.
 *
 * Written only by the CPU itself with preemption disabled.
 */
struct gfpu_cpu {
	enum gfpu_owner owner;
	struct gfpu_vcpu *vcpu;
	struct gfpu_vcpu *loaded;
};

/*
 * Warn policy: a broken invariant is a framework bug.  It warns once (and
 * the kernel tier runs with panic_on_warn) and the hook carries on with
 * the safest choice, which is always to treat the registers as nobody's.
 */
#define GFPU_WARN_ON(cond)	WARN_ON_ONCE(cond)

/*
 * The per-hook checks: the calling context each hook's contract states
 * and the framework's own records, at every hook of every KVM_RUN.  With
 * CONFIG_GFPU_DEBUG (the test kernels; the userspace model always) they
 * warn as GFPU_WARN_ON() does; without it they compile to nothing, as the
 * x86 FPU core's WARN_ON_FPU() does without CONFIG_X86_DEBUG_FPU.  Only
 * for conditions a hook does not act on: a check whose failure changes
 * what the hook does stays a GFPU_WARN_ON().
 */
#ifdef CONFIG_GFPU_DEBUG
#define GFPU_DEBUG_WARN_ON(cond)	GFPU_WARN_ON(cond)
#else
#define GFPU_DEBUG_WARN_ON(cond)	BUILD_BUG_ON_INVALID(cond)
#endif

static inline bool gfpu_policy_has(const struct gfpu_vcpu *v,
				   unsigned int bit)
{
	return v->policy & bit;
}

DECLARE_PER_CPU(struct gfpu_cpu, gfpu_cpus);

/*
 * This CPU's record.  Context: preemption disabled, which every hook
 * checks itself (GFPU_DEBUG_WARN_ON()) just before: this_cpu_ptr()'s
 * CONFIG_DEBUG_PREEMPT check would only repeat it, on every hook of every
 * KVM_RUN.
 */
static inline struct gfpu_cpu *gfpu_this_cpu(void)
{
	return raw_cpu_ptr(&gfpu_cpus);
}

/**
 * struct gfpu_xfer - what one hardware-layer primitive moved
 * @saves: register-to-memory transfers it made.
 * @restores: memory-to-register transfers it made.
 * @bytes: bytes those moved.
 *
 * Transfers are counted in one place: the hardware layer only reports
 * what it moved (it alone knows, from TIF_NEED_FPU_LOAD,
 * TIF_FOREIGN_FPSTATE or sstatus), and the backend that asked for the
 * move adds it to the vCPU's &struct gfpu_stats with gfpu_count_xfer().
 */
struct gfpu_xfer {
	unsigned int saves;
	unsigned int restores;
	u64 bytes;
};

/* For the hardware layer: note one save or restore of @bytes in @x. */
static inline void gfpu_xfer_save(struct gfpu_xfer *x, u64 bytes)
{
	x->saves++;
	x->bytes += bytes;
}

static inline void gfpu_xfer_restore(struct gfpu_xfer *x, u64 bytes)
{
	x->restores++;
	x->bytes += bytes;
}

/**
 * gfpu_set_owner() - record a change of what this CPU's registers hold
 * @c: this CPU's record.
 * @owner: the new owner.
 * @v: the vCPU concerned (ignored for GFPU_OWNER_NONE).
 *
 * Context: preemption disabled, @c is this CPU's.  Always inline: it is on
 * every hook's path, and out of line it cost arm64 a call per hook.
 */
static __always_inline void gfpu_set_owner(struct gfpu_cpu *c,
					   enum gfpu_owner owner,
					   struct gfpu_vcpu *v)
{
	/*
	 * Re-marking what is already live is a wasted transfer or a
	 * bookkeeping bug; only NONE may be set again (flushes are
	 * idempotent).
	 */
	GFPU_DEBUG_WARN_ON(owner == c->owner && owner != GFPU_OWNER_NONE);
	GFPU_DEBUG_WARN_ON(owner != GFPU_OWNER_NONE && c->loaded != v);
	if (trace_gfpu_owner_enabled() && (c->owner != owner || c->vcpu != v))
		trace_gfpu_owner(c->owner, owner, v ?: c->vcpu);
	c->owner = owner;
	c->vcpu = owner == GFPU_OWNER_NONE ? NULL : v;
}

/**
 * gfpu_count_xfer() - count what a hardware-layer primitive moved
 * @v: the vCPU the backend moved state for.
 * @x: the primitive's report.
 *
 * Context: the task that runs the vCPU, preemption disabled.
 */
static inline void gfpu_count_xfer(struct gfpu_vcpu *v, struct gfpu_xfer x)
{
	struct gfpu_stats *st = v->stats;

	trace_gfpu_xfer(v, x.saves, x.restores, x.bytes);
	st->saves += x.saves;
	st->restores += x.restores;
	st->bytes += x.bytes;
}

/**
 * gfpu_reg_check() - check a uAPI access to one register of a register file
 * @reg_size: the register's size for this vCPU in bytes, or a negative
 *	errno when the vCPU has no such register (-ENOENT) or it cannot be
 *	reached this way (-EINVAL).
 * @size: the size of the caller's buffer.
 *
 * For backends whose uAPI state is a file of registers (arm64, riscv).
 *
 * Return: @reg_size, its errno, or -EINVAL when @size differs from it.
 */
static inline int gfpu_reg_check(int reg_size, u32 size)
{
	if (reg_size < 0)
		return reg_size;
	return size == (u32)reg_size ? reg_size : -EINVAL;
}

/*
 * Kernel only: the policy bits this kernel's hardware layer implements;
 * gfpu_set_policy() refuses others there with -EOPNOTSUPP.
 */
unsigned int gfpu_hw_supported_policies(void);

/**
 * enum gfpu_fail_point - the steps of the framework that can fail, each
 *	one a point fail_gfpu can fail (CONFIG_FAIL_GFPU)
 * @GFPU_FAIL_VCPU: listing a new vCPU's record (KVM_CREATE_VCPU).
 * @GFPU_FAIL_SVE: arm64: allocating the SVE register storage
 *	(KVM_ARM_VCPU_FINALIZE).
 * @GFPU_FAIL_SVE_SHARE: arm64: mapping that storage into hyp
 *	(kvm_share_hyp(), which can only fail in nVHE; injected in both).
 * @GFPU_FAIL_GROW: x86: growing the guest fpstate for a dynamic feature.
 * @GFPU_NR_FAIL_POINTS: how many there are.
 *
 * The values are the bits of /sys/kernel/debug/fail_gfpu/points, so they
 * are ABI for the tests: only add at the end.
 */
enum gfpu_fail_point {
	GFPU_FAIL_VCPU,
	GFPU_FAIL_SVE,
	GFPU_FAIL_SVE_SHARE,
	GFPU_FAIL_GROW,
	GFPU_NR_FAIL_POINTS
};

#ifdef CONFIG_FAIL_GFPU
/**
 * gfpu_should_fail() - should the step at @point fail this time?
 * @point: the step.
 * @size: the bytes it allocates (for fail_gfpu's "space"), 0 for none.
 *
 * Context: process context.
 * Return: true when fail_gfpu says so and @point is enabled in its mask;
 * the caller then fails as the step itself would (-ENOMEM).
 */
bool gfpu_should_fail(enum gfpu_fail_point point, size_t size);
#else
static inline bool gfpu_should_fail(enum gfpu_fail_point point, size_t size)
{
	return false;
}
#endif

/* List or unlist a vCPU for the counters' readers (debugfs). */
int gfpu_track_vcpu(struct gfpu_vcpu *v);
void gfpu_untrack_vcpu(struct gfpu_vcpu *v);

/*
 * The backend interface.  Each is called by the core with the context of
 * the hook it serves already asserted; @c is this CPU's record.
 */
int gfpu_arch_vcpu_init(struct gfpu_vcpu *v);
void gfpu_arch_vcpu_destroy(struct gfpu_vcpu *v);
int gfpu_arch_run_enter(struct gfpu_vcpu *v, bool pid_changed);
/* Is what @c records as live still in the registers? */
bool gfpu_arch_still_live(struct gfpu_vcpu *v, struct gfpu_cpu *c);
/*
 * It is not: the host took the registers (a context switch, kernel-mode
 * FP) and saved what @c records as live.  Count that save, so that the
 * vCPU's stats are every transfer made while it was loaded.  @c still
 * holds the old owner.
 */
void gfpu_arch_stolen(struct gfpu_vcpu *v, struct gfpu_cpu *c);
void gfpu_arch_load(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_in);
void gfpu_arch_guest_enter(struct gfpu_vcpu *v, struct gfpu_cpu *c);
void gfpu_arch_guest_regs(struct gfpu_vcpu *v, struct gfpu_cpu *c);
void gfpu_arch_lazy_trap(struct gfpu_vcpu *v, struct gfpu_cpu *c);
void gfpu_arch_exit_sync(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			 unsigned int exit_flags);
void gfpu_arch_put(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_out);
void gfpu_arch_run_exit(struct gfpu_vcpu *v);
/* Save the guest's live registers to memory and release them. */
void gfpu_arch_flush_guest(struct gfpu_vcpu *v, struct gfpu_cpu *c);
int gfpu_arch_feature_change(struct gfpu_vcpu *v,
			     const struct gfpu_feature *f);
/* State @id lives in the FP registers while the guest's state is live. */
bool gfpu_arch_state_in_regs(u64 id);
int gfpu_arch_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size);
int gfpu_arch_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size);

#endif /* _GFPU_CORE_H */
