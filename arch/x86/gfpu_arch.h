/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu x86 backend: the x86 FPU core's xfeature names, the uAPI image size.
 */
#ifndef _GFPU_ARCH_X86_H
#define _GFPU_ARCH_X86_H

#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include <gfpu/gfpu_x86.h>

/* The smallest uAPI XSAVE image: struct kvm_xsave (KVM_GET/SET_XSAVE). */
#define GFPU_XSAVE_LEGACY_SIZE	4096

#endif /* _GFPU_ARCH_X86_H */
