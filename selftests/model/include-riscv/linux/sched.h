/* SPDX-License-Identifier: GPL-2.0 */
/* Model stub: the 6.12 interface gfpu_riscv_hw.c uses is in riscv_kernel.h. */
#include "riscv_kernel.h"
