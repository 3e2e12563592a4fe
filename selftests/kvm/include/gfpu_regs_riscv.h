/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The F/D register file f0-f31 (64 bits each) as the gfpu selftests load,
 * store and clobber it from inline asm: @in and @out name arrays of 64-bit
 * words. The lib's gfpu_run_holding() and preemption contenders hold it
 * across system calls.
 */
#ifndef SELFTEST_KVM_GFPU_REGS_RISCV_H
#define SELFTEST_KVM_GFPU_REGS_RISCV_H

#include <stdint.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

#define NR_FREGS	32
#define F_WORDS		NR_FREGS
#define F_LOAD(n)	"fld f" #n ", " #n "*8(%[in])\n\t"
#define F_STORE(n)	"fsd f" #n ", " #n "*8(%[out])\n\t"
#define F_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)	\
			op(8) op(9) op(10) op(11) op(12) op(13) op(14)	\
			op(15) op(16) op(17) op(18) op(19) op(20) op(21) \
			op(22) op(23) op(24) op(25) op(26) op(27) op(28) \
			op(29) op(30) op(31)
#define F_CLOBBERS	"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7",	\
			"f8", "f9", "f10", "f11", "f12", "f13", "f14", "f15", \
			"f16", "f17", "f18", "f19", "f20", "f21", "f22", "f23", \
			"f24", "f25", "f26", "f27", "f28", "f29", "f30", "f31"

/*
 * The register file gfpu_syscall_holding() holds: f0-f31, counted as the
 * pattern helpers count, in pairs of 64-bit words.
 */
#define GFPU_HOLD_REGS	(NR_FREGS / 2)
#define GFPU_HOLD_WORDS	F_WORDS

/*
 * gfpu_syscall_holding() - system call @nr (@a0, @a1, @a2) with f0-f31
 * loaded from @in before it and stored to @out after it, in one asm
 * block: what the kernel gives back is what the task gets.
 *
 * Return: the system call's result.
 */
static inline long gfpu_syscall_holding(long nr, long a0, long a1, long a2,
					const uint64_t *in, uint64_t *out)
{
	register long r0 asm("a0") = a0;
	register long r1 asm("a1") = a1;
	register long r2 asm("a2") = a2;
	register long r7 asm("a7") = nr;

	asm volatile(F_ALL(F_LOAD)
		     "ecall\n\t"
		     F_ALL(F_STORE)
		     : "+r" (r0)
		     : "r" (r1), "r" (r2), "r" (r7),
		       [in] "r" (in), [out] "r" (out)
		     : "memory", F_CLOBBERS);
	return r0;
}

#endif /* SELFTEST_KVM_GFPU_REGS_RISCV_H */
