/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu tracepoints: every hook, every change of a CPU's register owner and
 * every transfer the backend made, for recording a run (trace-cmd record
 * -e gfpu) and replaying it in the model.  The vCPU is named by the
 * address of its record (hashed in the output), which is stable for its
 * lifetime.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM gfpu

#if !defined(_GFPU_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GFPU_TRACE_H

#include <linux/tracepoint.h>
#include <gfpu/gfpu.h>

TRACE_DEFINE_ENUM(GFPU_HOOK_RUN_ENTER);
TRACE_DEFINE_ENUM(GFPU_HOOK_LOAD);
TRACE_DEFINE_ENUM(GFPU_HOOK_GUEST_ENTER);
TRACE_DEFINE_ENUM(GFPU_HOOK_LAZY_TRAP);
TRACE_DEFINE_ENUM(GFPU_HOOK_EXIT_SYNC);
TRACE_DEFINE_ENUM(GFPU_HOOK_PUT);
TRACE_DEFINE_ENUM(GFPU_HOOK_RUN_EXIT);
TRACE_DEFINE_ENUM(GFPU_HOOK_FEATURE);
TRACE_DEFINE_ENUM(GFPU_HOOK_GET);
TRACE_DEFINE_ENUM(GFPU_HOOK_SET);
TRACE_DEFINE_ENUM(GFPU_HOOK_GUEST_REGS);
TRACE_DEFINE_ENUM(GFPU_OWNER_NONE);
TRACE_DEFINE_ENUM(GFPU_OWNER_HOST);
TRACE_DEFINE_ENUM(GFPU_OWNER_GUEST);

#define gfpu_hook_symbols					\
	{ GFPU_HOOK_RUN_ENTER,		"run_enter" },		\
	{ GFPU_HOOK_LOAD,		"load" },		\
	{ GFPU_HOOK_GUEST_ENTER,	"guest_enter" },	\
	{ GFPU_HOOK_LAZY_TRAP,		"lazy_trap" },		\
	{ GFPU_HOOK_EXIT_SYNC,		"exit_sync" },		\
	{ GFPU_HOOK_PUT,		"put" },		\
	{ GFPU_HOOK_RUN_EXIT,		"run_exit" },		\
	{ GFPU_HOOK_FEATURE,		"feature" },		\
	{ GFPU_HOOK_GET,		"get" },		\
	{ GFPU_HOOK_SET,		"set" },		\
	{ GFPU_HOOK_GUEST_REGS,		"guest_regs" }

#define gfpu_owner_symbols					\
	{ GFPU_OWNER_NONE,		"none" },		\
	{ GFPU_OWNER_HOST,		"host" },		\
	{ GFPU_OWNER_GUEST,		"guest" }

/*
 * Tracepoint for a hook, at its entry: @arg is its flag (load: sched_in;
 * put: sched_out; run_enter: pid_changed; exit_sync: the exit flags),
 * 0 for the others.
 */
TRACE_EVENT(gfpu_hook,
	TP_PROTO(const struct gfpu_vcpu *v, enum gfpu_hook hook,
		 unsigned int arg),
	TP_ARGS(v, hook, arg),

	TP_STRUCT__entry(
		__field(const void *,	vcpu)
		__field(u8,		hook)
		__field(u8,		policy)
		__field(unsigned int,	arg)
	),

	TP_fast_assign(
		__entry->vcpu	= v;
		__entry->hook	= hook;
		__entry->policy	= v->policy;
		__entry->arg	= arg;
	),

	TP_printk("vcpu %p %s arg %u policy %u", __entry->vcpu,
		  __print_symbolic(__entry->hook, gfpu_hook_symbols),
		  __entry->arg, __entry->policy)
);

/*
 * Tracepoint for a change of what this CPU's registers hold: @from and
 * @to, and the vCPU concerned (the new owner, or the old one when the
 * registers become nobody's).
 */
TRACE_EVENT(gfpu_owner,
	TP_PROTO(enum gfpu_owner from, enum gfpu_owner to,
		 const struct gfpu_vcpu *v),
	TP_ARGS(from, to, v),

	TP_STRUCT__entry(
		__field(u8,		from)
		__field(u8,		to)
		__field(const void *,	vcpu)
	),

	TP_fast_assign(
		__entry->from	= from;
		__entry->to	= to;
		__entry->vcpu	= v;
	),

	TP_printk("%s -> %s vcpu %p",
		  __print_symbolic(__entry->from, gfpu_owner_symbols),
		  __print_symbolic(__entry->to, gfpu_owner_symbols),
		  __entry->vcpu)
);

/* Tracepoint for what one hardware-layer step moved for a vCPU. */
TRACE_EVENT(gfpu_xfer,
	TP_PROTO(const struct gfpu_vcpu *v, unsigned int saves,
		 unsigned int restores, u64 bytes),
	TP_ARGS(v, saves, restores, bytes),

	TP_STRUCT__entry(
		__field(const void *,	vcpu)
		__field(unsigned int,	saves)
		__field(unsigned int,	restores)
		__field(u64,		bytes)
	),

	TP_fast_assign(
		__entry->vcpu		= v;
		__entry->saves		= saves;
		__entry->restores	= restores;
		__entry->bytes		= bytes;
	),

	TP_printk("vcpu %p saves %u restores %u bytes %llu", __entry->vcpu,
		  __entry->saves, __entry->restores, __entry->bytes)
);

#endif /* _GFPU_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gfpu_trace
#include <trace/define_trace.h>
