/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 6.12 x86 kernel interface that arch/x86/gfpu_x86_hw.c uses, for the
 * model: the structures with the fields the hardware layer touches, and
 * the functions, implemented in sim_x86.c on the simulated CPU with the
 * semantics of the 6.12 function each names (errors included).  The kernel
 * headers the hardware layer includes (<linux/kvm_host.h>, <asm/fpu/api.h>,
 * "x86.h", ...) are stubs in include-x86/ that include this file, the way
 * tools/testing/vma supplies vma_internal.h.
 *
 * Register contents are abstracted: each XSAVE component holds one u64
 * pattern that names its owner (model.h).  PKRU is modelled as an
 * ordinary component; KVM's separate vcpu->arch.pkru switch is not.
 */
#ifndef _GFPU_MODEL_X86_KERNEL_H
#define _GFPU_MODEL_X86_KERNEL_H

#include "shim.h"
#include <gfpu/gfpu.h>

/* arch/x86/include/asm/fpu/types.h */
enum xfeature {
	XFEATURE_FP,
	XFEATURE_SSE,
	XFEATURE_YMM,
	XFEATURE_BNDREGS,
	XFEATURE_BNDCSR,
	XFEATURE_OPMASK,
	XFEATURE_ZMM_Hi256,
	XFEATURE_Hi16_ZMM,
	XFEATURE_PT_UNIMPLEMENTED_SO_FAR,
	XFEATURE_PKRU,
	XFEATURE_XTILE_CFG = 17,
	XFEATURE_XTILE_DATA,
	XFEATURE_MAX,
};

#define XFEATURE_MASK_FP		BIT_ULL(XFEATURE_FP)
#define XFEATURE_MASK_SSE		BIT_ULL(XFEATURE_SSE)
#define XFEATURE_MASK_YMM		BIT_ULL(XFEATURE_YMM)
#define XFEATURE_MASK_BNDREGS		BIT_ULL(XFEATURE_BNDREGS)
#define XFEATURE_MASK_BNDCSR		BIT_ULL(XFEATURE_BNDCSR)
#define XFEATURE_MASK_OPMASK		BIT_ULL(XFEATURE_OPMASK)
#define XFEATURE_MASK_ZMM_Hi256		BIT_ULL(XFEATURE_ZMM_Hi256)
#define XFEATURE_MASK_Hi16_ZMM		BIT_ULL(XFEATURE_Hi16_ZMM)
#define XFEATURE_MASK_PKRU		BIT_ULL(XFEATURE_PKRU)
#define XFEATURE_MASK_XTILE_CFG		BIT_ULL(XFEATURE_XTILE_CFG)
#define XFEATURE_MASK_XTILE_DATA	BIT_ULL(XFEATURE_XTILE_DATA)
#define XFEATURE_MASK_FPSSE		(XFEATURE_MASK_FP | XFEATURE_MASK_SSE)
#define XFEATURE_MASK_AVX512		(XFEATURE_MASK_OPMASK | \
					 XFEATURE_MASK_ZMM_Hi256 | \
					 XFEATURE_MASK_Hi16_ZMM)
#define XFEATURE_MASK_XTILE		(XFEATURE_MASK_XTILE_DATA | \
					 XFEATURE_MASK_XTILE_CFG)

/* arch/x86/include/asm/fpu/xstate.h */
#define FXSAVE_SIZE			512
#define XSAVE_HDR_SIZE			64
#define XSAVE_HDR_OFFSET		FXSAVE_SIZE
#define XFEATURE_MASK_USER_DYNAMIC	XFEATURE_MASK_XTILE_DATA

/* arch/x86/include/uapi/asm/kvm.h */
struct kvm_xsave {
	u32 region[1024];
};

struct xstate_header {
	u64 xfeatures;
	u64 xcomp_bv;
};

/* The register image: one abstract value per component. */
struct xregs_state {
	struct xstate_header header;
	u64 comp[XFEATURE_MAX];
};

union fpregs_state {
	struct xregs_state xsave;
};

struct fpstate {
	unsigned int size;
	unsigned int user_size;
	u64 xfeatures;
	u64 user_xfeatures;
	u64 xfd;
	bool is_valloc;
	bool is_guest;
	bool is_confidential;
	bool in_use;
	u32 model_magic;	/* model: catches use after free */
	union fpregs_state regs;
};

struct fpu {
	unsigned int last_cpu;
	struct fpstate *fpstate;
	struct fpstate *__task_fpstate;
	struct fpstate __fpstate;
};

/* include/linux/sched.h, asm/processor.h: what gfpu reads of current. */
struct thread_struct {
	struct fpu fpu;
};

struct task_struct {
	struct thread_struct thread;
};

/* The task on the simulated CPU. */
struct task_struct *model_current(void);
#define current			model_current()

/* arch/x86/include/asm/fpu/api.h: whose registers this CPU holds. */
DECLARE_PER_CPU(struct fpu *, fpu_fpregs_owner_ctx);

struct fpu_guest {
	u64 xfeatures;
	u64 perm;
	u64 xfd_err;
	unsigned int uabi_size;
	struct fpstate *fpstate;
};

/* arch/x86/include/asm/kvm_host.h: the fields gfpu reads, and gfpu's. */
struct kvm_vcpu_arch {
	u64 xcr0;
	u64 guest_supported_xcr0;
	u32 pkru;
	bool guest_state_protected;
	struct fpu_guest guest_fpu;
	struct gfpu_vcpu gfpu;
};

/* KVM's per-vCPU stats: only the part gfpu owns. */
struct kvm_vcpu_stat {
	struct gfpu_stats gfpu;
};

struct kvm_vcpu {
	struct kvm_vcpu_arch arch;
	struct kvm_vcpu_stat stat;
};

/* arch/x86/kvm/x86.h */
struct kvm_caps {
	u64 supported_xcr0;
};

extern struct kvm_caps kvm_caps;

/* Thread flags of the task running on the simulated CPU. */
enum { TIF_NEED_FPU_LOAD };
bool test_thread_flag(int flag);
void clear_thread_flag(int flag);

#define X86_FEATURE_XFD		1
#define cpu_feature_enabled(f)	((f) == X86_FEATURE_XFD)

#define MSR_IA32_XFD		0x000001c4
#define MSR_IA32_XFD_ERR	0x000001c5
u64 model_rdmsr(u32 msr);
void model_wrmsr(u32 msr, u64 val);
#define rdmsrl(msr, val)	((val) = model_rdmsr(msr))
#define wrmsrl(msr, val)	model_wrmsr(msr, val)

/* cpuid_count(0xd, i): size, offset, supervisor bit of component i. */
void cpuid_count(unsigned int op, unsigned int count, unsigned int *eax,
		 unsigned int *ebx, unsigned int *ecx, unsigned int *edx);

#define max(a, b)	((a) > (b) ? (a) : (b))

/* arch/x86/kernel/fpu/init.c */
extern unsigned int mxcsr_feature_mask;

/* arch/x86/kernel/fpu/core.c and xstate.c, as 6.12 (plus our 0003). */
void fpregs_lock(void);
void fpregs_unlock(void);
void kernel_fpu_begin(void);
void kernel_fpu_end(void);
void switch_fpu_return(void);
int fpu_swap_kvm_fpstate(struct fpu_guest *gfpu, bool enter_guest);
void fpu_swap_kvm_fpstate_irqsoff(struct fpu_guest *gfpu, bool enter_guest);
int fpu_enable_guest_xfd_features(struct fpu_guest *gfpu, u64 xfeatures);
void fpu_update_guest_xfd(struct fpu_guest *gfpu, u64 xfd);
void fpu_sync_guest_vmexit_xfd_state(void);
void fpu_copy_guest_fpstate_to_uabi(struct fpu_guest *gfpu, void *buf,
				    unsigned int size, u64 xfeatures, u32 pkru);
int fpu_copy_uabi_to_guest_fpstate(struct fpu_guest *gfpu, const void *buf,
				   u64 xcr0, u32 *vpkru);

/* arch/x86/kvm/cpuid.c */
u32 xstate_required_size(u64 xstate_bv, bool compacted);

/* arch/x86/kvm/x86.c */
void kvm_load_guest_xsave_state(struct kvm_vcpu *vcpu);
void kvm_load_host_xsave_state(struct kvm_vcpu *vcpu);

#endif /* _GFPU_MODEL_X86_KERNEL_H */
