/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel headers that core/ and arch/ need, gathered in one place so
 * the userspace model can replace them all with one shim (same guard).
 */
#ifndef _GFPU_INTERNAL_H
#define _GFPU_INTERNAL_H

#include <linux/bug.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/types.h>

#endif /* _GFPU_INTERNAL_H */
