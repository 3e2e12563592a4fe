/* SPDX-License-Identifier: GPL-2.0 */
/* Model stub: the 6.12 interface gfpu_x86_hw.c uses is in x86_kernel.h. */
#include "x86_kernel.h"
