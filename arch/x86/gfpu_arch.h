/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu x86 backend: xfeature bits and the uAPI XSAVE layout.
 */
#ifndef _GFPU_ARCH_X86_H
#define _GFPU_ARCH_X86_H

#include <gfpu/gfpu_x86.h>

/* XSAVE feature bits (SDM vol. 1, 13.1). */
#define GFPU_XF_FP		BIT_ULL(0)
#define GFPU_XF_SSE		BIT_ULL(1)
#define GFPU_XF_YMM		BIT_ULL(2)
#define GFPU_XF_BNDREGS		BIT_ULL(3)
#define GFPU_XF_BNDCSR		BIT_ULL(4)
#define GFPU_XF_OPMASK		BIT_ULL(5)
#define GFPU_XF_ZMM_HI256	BIT_ULL(6)
#define GFPU_XF_HI16_ZMM	BIT_ULL(7)
#define GFPU_XF_PKRU		BIT_ULL(9)
#define GFPU_XF_XTILECFG	BIT_ULL(17)
#define GFPU_XF_XTILEDATA	BIT_ULL(18)
#define GFPU_XF_AVX512		(GFPU_XF_OPMASK | GFPU_XF_ZMM_HI256 | \
				 GFPU_XF_HI16_ZMM)
#define GFPU_XF_AMX		(GFPU_XF_XTILECFG | GFPU_XF_XTILEDATA)
#define GFPU_XF_MPX		(GFPU_XF_BNDREGS | GFPU_XF_BNDCSR)
/* Components whose state MXCSR belongs to, for the uAPI check. */
#define GFPU_XF_MXCSR_USERS	(GFPU_XF_FP | GFPU_XF_SSE | GFPU_XF_YMM)
/* Features whose buffer space is allocated on demand, armed by XFD. */
#define GFPU_XF_DYNAMIC		GFPU_XF_XTILEDATA
#define GFPU_XF_NR		19

/* uAPI XSAVE layout (non-compacted), as in struct kvm_xsave. */
#define GFPU_XSAVE_MXCSR	24
#define GFPU_XSAVE_HDR		512
#define GFPU_XSAVE_HDR_SIZE	64
#define GFPU_XSAVE_LEGACY_SIZE	4096	/* KVM_GET/SET_XSAVE */

#endif /* _GFPU_ARCH_X86_H */
