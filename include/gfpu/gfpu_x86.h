/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gfpu x86: the backend's part of the per-vCPU record, and the state ids
 * for gfpu_get_state()/gfpu_set_state(), shared by the backend and KVM.
 */
#ifndef _GFPU_GFPU_X86_H
#define _GFPU_GFPU_X86_H

#include <linux/types.h>

/**
 * struct gfpu_arch_vcpu - x86 backend state of one vCPU
 * @swapped: the guest fpstate is the current task's fpstate.
 * @xfd_passthrough: guest XFD writes reach the MSR without an exit (the
 *	buffer already holds every permitted dynamic feature), so XFD must
 *	be read back after each exit.
 * @host_live: while loaded, the current fpstate's registers were live
 *	when gfpu last looked, and no save of them is counted since: for
 *	counting the saves the host makes behind gfpu's back.
 *
 * The guest's XCR0 (vcpu->arch.xcr0), its supported xfeatures
 * (vcpu->arch.guest_supported_xcr0) and XFD_ERR
 * (vcpu->arch.guest_fpu.xfd_err) are KVM's; the backend reads them there.
 */
struct gfpu_arch_vcpu {
	bool swapped;
	bool xfd_passthrough;
	bool host_live;
};

/**
 * enum gfpu_x86_state_id - x86 state ids
 * @GFPU_X86_XSAVE: the uAPI XSAVE image (struct kvm_xsave region, not
 *	compacted), at least 4096 bytes and at least the guest's uAPI size.
 * @GFPU_X86_XCR0: guest XCR0, u64 (KVM_GET/SET_XCRS).
 * @GFPU_X86_XFD_ERR: guest IA32_XFD_ERR, u64 (MSR accesses).
 * @GFPU_X86_XFD_PASSTHROUGH: read only, u64: 1 when guest XFD writes may
 *	go to the MSR without a VM exit (the guest fpstate already has room
 *	for every dynamic feature the guest may enable), else 0.
 * @GFPU_X86_NM_INTERCEPT: read only, u64: 1 when KVM must intercept the
 *	guest's #NM, else 0.  XFD is armed for the guest (its value in the
 *	fpstate is non-zero) or guest XFD writes are passed through, so an
 *	#NM may be XFD's and XFD_ERR must be saved and cleared at that exit.
 * @GFPU_X86_XSAVE_SIZE: read only, u64: how many bytes KVM_SET_XSAVE must
 *	read from userspace: at least 4096, and room for every component the
 *	vCPU may use, dynamic ones it has no fpstate room for yet included.
 */
enum gfpu_x86_state_id {
	GFPU_X86_XSAVE,
	GFPU_X86_XCR0,
	GFPU_X86_XFD_ERR,
	GFPU_X86_XFD_PASSTHROUGH,
	GFPU_X86_NM_INTERCEPT,
	GFPU_X86_XSAVE_SIZE,
};

#endif /* _GFPU_GFPU_X86_H */
