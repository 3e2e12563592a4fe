// SPDX-License-Identifier: GPL-2.0
/*
 * The core, the arch backend and its hardware layer in one compilation
 * unit, so that the compiler can inline the backend's and the hardware
 * layer's small functions (gfpu_arch_*(), gfpu_<arch>_hw_*()) into the
 * hooks KVM calls on every KVM_RUN and every VM entry and exit, as
 * kernel/sched/build_policy.c does for the scheduling classes.  Each file
 * still builds alone (the userspace model compiles them one by one).
 */
#include "core/gfpu_core.c"
#include GFPU_ARCH_C
#include GFPU_ARCH_HW_C
