/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu riscv backend: sstatus field values.
 */
#ifndef _GFPU_ARCH_RISCV_H
#define _GFPU_ARCH_RISCV_H

#include <gfpu/gfpu_riscv.h>

/* Values of sstatus.FS and sstatus.VS, as the privileged spec has them. */
#define GFPU_RISCV_OFF		0
#define GFPU_RISCV_INITIAL	1
#define GFPU_RISCV_CLEAN	2
#define GFPU_RISCV_DIRTY	3

#endif /* _GFPU_ARCH_RISCV_H */
