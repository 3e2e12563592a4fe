/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <trace/define_trace.h>: nothing to
 * define without tracepoints (see linux/tracepoint.h here).
 */
