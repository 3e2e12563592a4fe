/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vector register file of this architecture as the gfpu selftests
 * hold it across a system call: GFPU_HOLD_REGS 128-bit registers,
 * GFPU_HOLD_WORDS 64-bit words, gfpu_syscall_holding().
 */
#ifndef SELFTEST_KVM_GFPU_REGS_H
#define SELFTEST_KVM_GFPU_REGS_H

#if defined(__x86_64__)
#include "gfpu_regs_x86.h"
#elif defined(__aarch64__)
#include "gfpu_regs_arm64.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "gfpu_regs_riscv.h"
#else
#error "gfpu selftests: x86_64, arm64 and riscv64 only"
#endif

#endif /* SELFTEST_KVM_GFPU_REGS_H */
