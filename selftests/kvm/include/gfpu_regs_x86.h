/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The xmm0-15 register file as the gfpu selftests load, store and clobber it
 * from inline asm: @in and @out name arrays of 64-bit words. The lib's
 * gfpu_run_holding() and preemption contenders hold it across system calls.
 */
#ifndef SELFTEST_KVM_GFPU_REGS_X86_H
#define SELFTEST_KVM_GFPU_REGS_X86_H

#include <stdint.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

#define NR_XMM		16
#define XMM_WORDS	(NR_XMM * 2)
#define XMM_LOAD(n)	"movdqu " #n "*16(%[in]), %%xmm" #n "\n\t"
#define XMM_STORE(n)	"movdqu %%xmm" #n ", " #n "*16(%[out])\n\t"
#define XMM_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
			op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_CLOBBERS	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",	\
			"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
			"xmm12", "xmm13", "xmm14", "xmm15"

/* The register file gfpu_syscall_holding() holds: xmm0-15. */
#define GFPU_HOLD_REGS	NR_XMM
#define GFPU_HOLD_WORDS	XMM_WORDS

/*
 * gfpu_syscall_holding() - system call @nr (@a0, @a1, @a2) with xmm0-15
 * loaded from @in before it and stored to @out after it, in one asm
 * block: what the kernel gives back is what the task gets.
 *
 * Return: the system call's result.
 */
static inline long gfpu_syscall_holding(long nr, long a0, long a1, long a2,
					const uint64_t *in, uint64_t *out)
{
	long ret;

	asm volatile(XMM_ALL(XMM_LOAD)
		     "syscall\n\t"
		     XMM_ALL(XMM_STORE)
		     : "=a" (ret)
		     : "0" (nr), "D" (a0), "S" (a1), "d" (a2),
		       [in] "r" (in), [out] "r" (out)
		     : "rcx", "r11", "memory", XMM_CLOBBERS);
	return ret;
}

/* In the guest: use the FP unit (one register write), turning it on. */
static inline void gfpu_guest_fp_touch(uint64_t v)
{
	asm volatile("movq %0, %%xmm0" : : "r" (v) : "xmm0");
}

#endif /* SELFTEST_KVM_GFPU_REGS_X86_H */
