/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The V0-V31 register file as the gfpu selftests load, store and clobber it
 * from inline asm: @in and @out name arrays of 64-bit words. The lib's
 * gfpu_run_holding() and preemption contenders hold it across system calls.
 */
#ifndef SELFTEST_KVM_GFPU_REGS_ARM64_H
#define SELFTEST_KVM_GFPU_REGS_ARM64_H

#include <stdint.h>
#include <sys/syscall.h>
#include <linux/kvm.h>

#define NR_VREGS	32
#define V_WORDS		(NR_VREGS * 2)
#define CPACR_FPEN	(3ul << 20)	/* FP/SIMD at EL1 and EL0 */
#define V_LOAD(a, b)	"ldp q" #a ", q" #b ", [%[in], #" #a "*16]\n\t"
#define V_STORE(a, b)	"stp q" #a ", q" #b ", [%[out], #" #a "*16]\n\t"
#define V_ALL(op)	op(0, 1) op(2, 3) op(4, 5) op(6, 7) op(8, 9)	\
			op(10, 11) op(12, 13) op(14, 15) op(16, 17)	\
			op(18, 19) op(20, 21) op(22, 23) op(24, 25)	\
			op(26, 27) op(28, 29) op(30, 31)
#define V_CLOBBERS	"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7",	\
			"v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", \
			"v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", \
			"v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31"

/* The register file gfpu_syscall_holding() holds: V0-V31. */
#define GFPU_HOLD_REGS	NR_VREGS
#define GFPU_HOLD_WORDS	V_WORDS

/*
 * gfpu_syscall_holding() - system call @nr (@a0, @a1, @a2) with V0-V31
 * loaded from @in before it and stored to @out after it, in one asm
 * block: what the kernel gives back is what the task gets. Nothing is
 * called between setting the register variables and the asm.
 *
 * Return: the system call's result.
 */
static inline long gfpu_syscall_holding(long nr, long a0, long a1, long a2,
					const uint64_t *in, uint64_t *out)
{
	register long x0 asm("x0") = a0;
	register long x1 asm("x1") = a1;
	register long x2 asm("x2") = a2;
	register long x8 asm("x8") = nr;

	asm volatile(V_ALL(V_LOAD)
		     "svc #0\n\t"
		     V_ALL(V_STORE)
		     : "+r" (x0)
		     : "r" (x1), "r" (x2), "r" (x8),
		       [in] "r" (in), [out] "r" (out)
		     : "memory", V_CLOBBERS);
	return x0;
}

/* In the guest: use the FP unit (one register write), turning it on. */
static inline void gfpu_guest_fp_touch(uint64_t v)
{
	asm volatile("fmov d0, %0" : : "r" (v) : "d0");
}

#endif /* SELFTEST_KVM_GFPU_REGS_ARM64_H */
