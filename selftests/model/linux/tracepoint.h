/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/tracepoint.h> as it is with
 * CONFIG_TRACEPOINTS=n: each TRACE_EVENT() declares an empty
 * trace_<name>() that still type-checks its arguments, and a
 * trace_<name>_enabled() that is always false.
 */
#ifndef _GFPU_MODEL_LINUX_TRACEPOINT_H
#define _GFPU_MODEL_LINUX_TRACEPOINT_H

#define PARAMS(args...)		args
#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_DEFINE_ENUM(x)

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)	\
	static inline void trace_##name(proto) { }			\
	static inline bool trace_##name##_enabled(void) { return false; }

#endif
