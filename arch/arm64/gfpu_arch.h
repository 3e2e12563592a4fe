/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu arm64 backend: architectural limits.
 */
#ifndef _GFPU_ARCH_ARM64_H
#define _GFPU_ARCH_ARM64_H

#include <gfpu/gfpu_arm64.h>

/* Architectural limits of SVE, in bytes of one Z register. */
#define GFPU_SVE_VL_MIN		16
#define GFPU_SVE_VL_MAX		256

#endif /* _GFPU_ARCH_ARM64_H */
