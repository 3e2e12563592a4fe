/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The userspace model: common machine state, the event interface each
 * simulated arch provides, and the checker.
 */
#ifndef _GFPU_MODEL_H
#define _GFPU_MODEL_H

#include "shim.h"
#include <gfpu/gfpu.h>

/* Contexts that own FP state; patterns carry their owner in the top byte. */
enum model_ctx {
	CTX_INIT,	/* architectural init value: 0 */
	CTX_GUEST,
	CTX_VMM,
	CTX_OTHER0,
	CTX_OTHER1,
	CTX_SIG,	/* the VMM's signal handler */
	CTX_KERN,	/* kernel-mode FP in a softirq */
	MODEL_NR_CTX,
};

#define PAT_SHIFT	56
#define PAT(ctx, seq)	(((u64)(ctx) << PAT_SHIFT) | ((seq) & ((1ULL << PAT_SHIFT) - 1)))
#define PAT_CTX(val)	((unsigned int)((val) >> PAT_SHIFT))

/* Where the vCPU thread is. */
enum model_phase {
	PH_USER,	/* VMM userspace */
	PH_KERNEL,	/* inside KVM_RUN, host side, interrupts on */
	PH_GUEST,	/* guest mode, host interrupts off */
};

#define MODEL_MAX_DEPTH	64
#define MODEL_ARENA_SLOTS 4
#define MODEL_SLOT_SIZE	512

/**
 * struct model_common - arch-independent machine state
 * @cur_cpu: CPU the code being simulated runs on.
 * @irq_off: interrupts disabled, per CPU.
 * @preempt: preemption disable depth, per CPU.
 * @phase: where the vCPU thread is.
 * @vcpu_cpu: CPU the vCPU thread runs on.
 * @seq: next pattern sequence number.
 * @fail_alloc: the next allocation fails (injected).
 * @fail_point: the &enum gfpu_fail_point steps whose next
 *	gfpu_should_fail() says yes (injected), each once.
 * @in_syscall: replay only: the vCPU thread is in a syscall, before its
 *	first hook (sim_replay_syscall()); not in userspace.
 * @saves: physical register-to-memory transfers, by anyone.
 * @restores: physical memory-to-register transfers, by anyone.
 * @bytes: bytes those moved.
 * @slot_used: arena slot in use.
 * @arena: allocations, inside the snapshot so pointers stay valid.
 */
struct model_common {
	int cur_cpu;
	int irq_off[MODEL_NR_CPUS];
	int preempt[MODEL_NR_CPUS];
	enum model_phase phase;
	int vcpu_cpu;
	u64 seq;
	bool fail_alloc;
	u32 fail_point;
	bool in_syscall;
	u64 saves, restores, bytes;
	bool slot_used[MODEL_ARENA_SLOTS];
	_Alignas(16) u8 arena[MODEL_ARENA_SLOTS][MODEL_SLOT_SIZE];
};

extern struct model_common mc;

/* One event the explorer may fire. */
struct model_event {
	const char *name;
	unsigned int phases;	/* bit per enum model_phase */
	unsigned int flags;	/* EV_* */
	bool (*enabled)(void);	/* extra precondition, NULL: always */
	void (*apply)(void);
};

/* In the core alphabet, explored exhaustively to the full depth. */
#define EV_CORE		1U

struct model_policy {
	const char *name;
	unsigned int bits;
};

/* A region of memory that is part of the simulated machine's state. */
struct model_region {
	void *ptr;
	size_t size;
};

/* Provided by each arch simulator. */
extern const char *const sim_arch;
extern const struct model_event sim_events[];
extern const int sim_nr_events;
extern const struct model_policy sim_policies[];
extern const int sim_nr_policies;
extern const struct model_region sim_regions[];
extern const int sim_nr_regions;
void sim_reset(unsigned int policy);
void sim_check(void);
void sim_drain(void);
/* Named scenarios for the accounting table. */
struct model_scenario {
	const char *name;
	const char *const *steps;	/* event names, NULL-terminated */
	int repeat;			/* the body between "[" and "]" */
};
extern const struct model_scenario sim_scenarios[];
extern const int sim_nr_scenarios;
/* The machine make compare boots, under the kernel's policy (model -r). */
void sim_replay_reset(unsigned long policy);
struct gfpu_vcpu *sim_vcpu(void);
/* The thread enters a syscall; a vCPU ioctl that moves nothing runs. */
void sim_replay_syscall(void);
void sim_replay_ioctl(bool begin);

/* Provided by the explorer. */
int model_vcpu_init(struct gfpu_vcpu *v, struct gfpu_stats *stats);
void model_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool model_failed(void);
u64 model_pattern(enum model_ctx ctx);
void model_count(bool save, u64 bytes);
void model_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Oracle trace: context @ctx uses FP on @cpu with a state of @bytes. */
void model_use(int cpu, enum model_ctx ctx, u64 bytes);
/* Context @ctx's state must be in memory now (uAPI read of it). */
void model_sync(enum model_ctx ctx);

/*
 * What the instrumented primitives moved for the vCPU
 * (kernel/patches/6.12-count's kvm_count_fpu_xfer()), which gfpu's own
 * stats must equal whenever the vCPU is not loaded.
 */
struct model_prim {
	u64 saves, restores, bytes;
};

static inline void model_prim_count(struct model_prim *p, bool save,
				    u64 bytes)
{
	if (save)
		p->saves++;
	else
		p->restores++;
	p->bytes += bytes;
}

/* Fails the run unless @s counted what @p did. */
void model_prim_check(const struct gfpu_stats *s, const struct model_prim *p);

/* Context helpers for the simulators. */
static inline void model_irq_off(void) { mc.irq_off[mc.cur_cpu]++; }
static inline void model_irq_on(void) { mc.irq_off[mc.cur_cpu]--; }

#define PH(p)		(1U << (p))
#define PH_HOST		(PH(PH_USER) | PH(PH_KERNEL))
#define PH_ANY		(PH_HOST | PH(PH_GUEST))

#endif /* _GFPU_MODEL_H */
