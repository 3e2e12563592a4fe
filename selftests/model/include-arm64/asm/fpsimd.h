/* SPDX-License-Identifier: GPL-2.0 */
/* Model stub: the 6.12 interface gfpu_arm64_hw.c uses is in arm64_kernel.h. */
#include "arm64_kernel.h"
