/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deliberately broken builds the explorer must catch.  Each names the arch
 * it breaks and the known bug it stands for.
 */
#ifndef _GFPU_MODEL_MUTANTS_H
#define _GFPU_MODEL_MUTANTS_H

#define MODEL_MUTANTS(X)						\
	X(seed001_vmm_buffer, "x86",					\
	  "seed 001: guest regs live while the VMM's fpstate is current")	\
	X(swap_ignores_need_load, "x86",				\
	  "swap at put saves registers despite TIF_NEED_FPU_LOAD")	\
	X(enter_ignores_need_load, "x86",				\
	  "guest entry does not reload after TIF_NEED_FPU_LOAD")	\
	X(skip_xfd_sync, "x86",						\
	  "XFD not read back after exit with XFD passthrough")		\
	X(xfd_keeps_xstate_bv, "x86",					\
	  "XFD write leaves XSTATE_BV & XFD != 0 in the buffer")	\
	X(set_xsave_keeps_xfd_bv, "x86",				\
	  "KVM_SET_XSAVE keeps tile data while XFD[18] is armed")	\
	X(guest_xcr0_left_live, "x86",					\
	  "guest XCR0 still loaded after exit (2019 host #GP)")		\
	X(xfd_err_left_live, "x86",					\
	  "guest XFD_ERR not cleared before interrupts")		\
	X(skip_ctxsync_bind, "arm64",					\
	  "post-exit binding of guest state to the CPU skipped")	\
	X(lazy_save_ignores_sve, "arm64",				\
	  "lazy host save ignores host SVE (TIF_SVE)")			\
	X(lazy_put_skips_rebind, "arm64",				\
	  "lazy put leaves the EL0 SVE trap disagreeing with TIF_SVE")

#define MODEL_MUT_ENUM(name, arch, what) MUT_##name,
enum model_mutant {
	MUT_NONE,
	MODEL_MUTANTS(MODEL_MUT_ENUM)
	MUT_NR,
};
#undef MODEL_MUT_ENUM

#endif /* _GFPU_MODEL_MUTANTS_H */
