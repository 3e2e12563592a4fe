// SPDX-License-Identifier: GPL-2.0
/*
 * gfpu x86 backend: XSAVE state on top of the host's fpstate tracking, as
 * commit f775b13eedee ("x86,kvm: move qemu/guest FPU switching out to
 * vcpu_run") and the 2021 AMX enabling for KVM (fpstate growth on XCR0
 * and XFD writes) built it, with what upstream learnt since.
 *
 * Nothing foreign is ever left live behind a trap (LazyFP,
 * CVE-2018-3665): the guest fpstate is made the current task's fpstate
 * for the whole KVM_RUN (default), at every vcpu load/put
 * (GFPU_POLICY_SWAP_LOADPUT), or from the run's first guest entry, or
 * first use of the guest's registers in place, to its end
 * (GFPU_POLICY_SWAP_ENTRY: a KVM_RUN that never enters the guest moves
 * nothing), and loaded eagerly.  Because the guest
 * fpstate *is* the task's fpstate while swapped in, preemption and
 * kernel-mode FPU save guest registers into the guest buffer, never into
 * the VMM's (the bug that "KVM: X86: Fix fpu state crash in kvm guest"
 * fixed in 2019); TIF_NEED_FPU_LOAD then tells gfpu_guest_enter() to
 * reload it.
 *
 * Guest XCR0 is live only between gfpu_guest_enter() and gfpu_exit_sync().
 * The guest buffer grows for dynamic features (AMX tile data) either when
 * the guest enables them through XCR0/XFD writes (2021 AMX RFC) or up front
 * from the guest CPUID (GFPU_POLICY_REALLOC_CPUID, upstream).  Once the
 * buffer holds every permitted dynamic feature, guest XFD writes are no
 * longer intercepted and XFD is read back after each exit.  The buffer
 * never holds a component in XSTATE_BV that its XFD disables, so no XRSTOR
 * of it can raise #NM in the host.
 */
#include "gfpu_core.h"
#include "gfpu_x86_hw.h"

int gfpu_arch_vcpu_init(struct gfpu_vcpu *v)
{
	return gfpu_x86_hw_init(v);
}

void gfpu_arch_vcpu_destroy(struct gfpu_vcpu *v)
{
	gfpu_x86_hw_destroy(v);
}

/*
 * gfpu's record of the swap must be the x86 FPU core's: a swap in or out
 * that one of them missed makes the task's fpstate the guest's (freed with
 * the vCPU) or NULL.  Checked at every hook that relies on the record
 * (CONFIG_GFPU_DEBUG), and always at the end of a run.
 */
static void gfpu_x86_check_swap(struct gfpu_vcpu *v)
{
	GFPU_DEBUG_WARN_ON(v->arch.swapped != gfpu_x86_hw_swapped_in(v));
}

int gfpu_arch_run_enter(struct gfpu_vcpu *v, bool pid_changed)
{
	gfpu_x86_check_swap(v);
	return 0;
}

bool gfpu_arch_still_live(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	if (!gfpu_x86_hw_regs_live())
		return false;
	return (c->owner == GFPU_OWNER_GUEST) == v->arch.swapped;
}

/* Counted by gfpu_x86_look(), which also sees saves made while NONE. */
void gfpu_arch_stolen(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
}

/*
 * The host saves the current fpstate's registers behind gfpu's back: the
 * context switch at a sched_out (switch_fpu_prepare()) and kernel-mode FP
 * (kernel_fpu_begin(), from a softirq or from the task itself).  Each
 * saves only while TIF_NEED_FPU_LOAD is clear and leaves it set until the
 * next restore, so at most one such save falls between two points where
 * gfpu saw the registers live.  gfpu counts it with its own transfers, so
 * that the stats are every transfer made while the vCPU is loaded: at a
 * sched_out put (the switch that follows saves what is live), or at the
 * next hook that finds the registers gone.  Not seen: a save in the few
 * instructions between KVM's preempt notifier registration and the load
 * hook, or between the put hook and the unregistration.
 */
static void gfpu_x86_look(struct gfpu_vcpu *v)
{
	bool live = gfpu_x86_hw_regs_live();

	if (v->arch.host_live && !live)
		gfpu_count_xfer(v, gfpu_x86_hw_host_save());
	v->arch.host_live = live;
}

/*
 * Interrupts on (a vcpu load, a sched_in's, KVM's use of the registers in
 * place) or off (a guest entry).
 */
static void gfpu_x86_swap_in(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			     bool irqsoff)
{
	if (irqsoff)
		gfpu_count_xfer(v, gfpu_x86_hw_swap_in_irqsoff(v));
	else
		gfpu_count_xfer(v, gfpu_x86_hw_swap_in(v));
	v->arch.swapped = true;
	v->arch.host_live = true;
	gfpu_set_owner(c, GFPU_OWNER_GUEST, v);
}

/*
 * From a vcpu put: interrupts on, except in the scheduler's sched_out
 * preempt notifier (kvm_sched_out()), which runs with them off.
 */
static void gfpu_x86_swap_out(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			      bool sched_out)
{
	if (sched_out)
		gfpu_count_xfer(v, gfpu_x86_hw_swap_out_irqsoff(v));
	else
		gfpu_count_xfer(v, gfpu_x86_hw_swap_out(v));
	v->arch.swapped = false;
	v->arch.host_live = true;
	gfpu_set_owner(c, GFPU_OWNER_HOST, v);
}

void gfpu_arch_load(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_in)
{
	gfpu_x86_check_swap(v);
	/* Start looking: what the host saved before is not counted. */
	v->arch.host_live = gfpu_x86_hw_regs_live();
	if (!v->in_run || v->arch.swapped ||
	    gfpu_policy_has(v, GFPU_POLICY_SWAP_ENTRY))
		return;
	/* Once per run (commit f775b13eedee), or at every load (before it). */
	if (!sched_in || gfpu_policy_has(v, GFPU_POLICY_SWAP_LOADPUT))
		gfpu_x86_swap_in(v, c, false);
}

void gfpu_arch_put(struct gfpu_vcpu *v, struct gfpu_cpu *c, bool sched_out)
{
	gfpu_x86_check_swap(v);
	gfpu_x86_look(v);
	/*
	 * Swapped for the run: a sched_out leaves the guest fpstate current,
	 * and the context switch saves the registers into it.
	 */
	if (v->in_run && v->arch.swapped &&
	    (!sched_out || gfpu_policy_has(v, GFPU_POLICY_SWAP_LOADPUT)))
		gfpu_x86_swap_out(v, c, sched_out);
	/* The context switch that follows saves whatever is live. */
	if (sched_out && gfpu_x86_hw_regs_live()) {
		gfpu_count_xfer(v, gfpu_x86_hw_host_save());
		v->arch.host_live = false;
	}
}

/*
 * Make the guest fpstate current and its registers live: the entry
 * policy's swap in, which waits for the first guest entry or use of the
 * registers in place; or, once swapped, a reload where preemption or a
 * softirq took the registers (TIF_NEED_FPU_LOAD).
 */
static void gfpu_x86_make_live(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			       bool irqsoff)
{
	gfpu_x86_check_swap(v);
	gfpu_x86_look(v);
	if (!v->arch.swapped) {
		/* Only the entry policy gets here without its swap. */
		GFPU_WARN_ON(!gfpu_policy_has(v, GFPU_POLICY_SWAP_ENTRY));
		gfpu_x86_swap_in(v, c, irqsoff);
	} else if (c->owner != GFPU_OWNER_GUEST) {
		gfpu_count_xfer(v, gfpu_x86_hw_reload(v));
		v->arch.host_live = true;
		gfpu_set_owner(c, GFPU_OWNER_GUEST, v);
	}
}

void gfpu_arch_guest_enter(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	gfpu_x86_make_live(v, c, true);
	gfpu_x86_hw_load_guest_xcr(v);
	if (gfpu_x86_hw_xfd_err(v))
		gfpu_x86_hw_load_xfd_err(v);
}

/*
 * The emulator's kvm_fpu_get(), inside fpregs_lock(): the registers it
 * reads and writes must be the guest's, and its own reload (which gfpu
 * would not see) finds nothing left to do.
 */
void gfpu_arch_guest_regs(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	gfpu_x86_make_live(v, c, false);
}

void gfpu_arch_lazy_trap(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	/* x86 never arms an FP trap: see LazyFP above. */
	GFPU_WARN_ON(1);
}

void gfpu_arch_exit_sync(struct gfpu_vcpu *v, struct gfpu_cpu *c,
			 unsigned int exit_flags)
{
	gfpu_x86_hw_load_host_xcr(v);
	if (v->arch.xfd_passthrough)
		gfpu_x86_hw_sync_xfd(v);
	/*
	 * XFD_ERR only changes on an XFD-caused #NM, which needs XFD armed;
	 * otherwise it still holds what entry loaded.  Save it, then make
	 * sure the host never sees a guest value.
	 */
	if ((exit_flags & GFPU_EXIT_NM) && gfpu_x86_hw_fpstate_xfd(v))
		gfpu_x86_hw_save_xfd_err(v);
	if (gfpu_x86_hw_xfd_err(v))
		gfpu_x86_hw_clear_xfd_err();
}

void gfpu_arch_flush_guest(struct gfpu_vcpu *v, struct gfpu_cpu *c)
{
	gfpu_x86_look(v);
	gfpu_count_xfer(v, gfpu_x86_hw_save_current(v));
	v->arch.host_live = false;
	gfpu_set_owner(c, GFPU_OWNER_NONE, NULL);
}

void gfpu_arch_run_exit(struct gfpu_vcpu *v)
{
	GFPU_WARN_ON(v->arch.swapped || gfpu_x86_hw_swapped_in(v));
}

/* === Feature changes and reallocation ================================ */

/*
 * The xfeatures XCR0 may enable: the guest CPUID's, and always FP, as
 * __kvm_set_xcr() has it.
 */
static u64 gfpu_x86_supported(struct gfpu_vcpu *v)
{
	return gfpu_x86_hw_guest_supported_xcr0(v) | XFEATURE_MASK_FP;
}

/* The architectural rules for an XCR0 value, as XSETBV checks them. */
static bool gfpu_x86_xcr0_valid(struct gfpu_vcpu *v, u64 xcr0)
{
	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~gfpu_x86_supported(v)))
		return false;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return false;
	if (!(xcr0 & XFEATURE_MASK_BNDREGS) != !(xcr0 & XFEATURE_MASK_BNDCSR))
		return false;
	if ((xcr0 & XFEATURE_MASK_AVX512) &&
	    ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	     !(xcr0 & XFEATURE_MASK_YMM)))
		return false;
	if ((xcr0 & XFEATURE_MASK_XTILE) &&
	    (xcr0 & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		return false;
	return true;
}

/* Dynamic features the guest may have in its fpstate. */
static u64 gfpu_x86_dynamic_allowed(struct gfpu_vcpu *v)
{
	return gfpu_x86_supported(v) & gfpu_x86_hw_guest_perm(v) &
	       XFEATURE_MASK_USER_DYNAMIC;
}

/*
 * Make room for the dynamic features in @want.  The default policy grows
 * the fpstate here, on the first XCR0/XFD write or KVM_SET_XSAVE that
 * needs it (the 2021 AMX RFC); GFPU_POLICY_REALLOC_CPUID grows it at
 * KVM_SET_CPUID2 (upstream), after which nothing is missing here.  Either
 * way a missing feature is grown on demand, so a vCPU whose CPUID was set
 * under the other policy (the policy is a run-time setting) still gets
 * room, never a #GP or a silent loss of tile data.
 */
static int gfpu_x86_make_room(struct gfpu_vcpu *v, u64 want)
{
	u64 missing = want & XFEATURE_MASK_USER_DYNAMIC &
		      ~gfpu_x86_hw_fpstate_features(v);
	struct gfpu_xfer x = { };
	int ret;

	if (!missing)
		return 0;
	if (missing & ~gfpu_x86_hw_guest_perm(v))
		return -EPERM;
	gfpu_x86_look(v);
	ret = gfpu_x86_hw_fpstate_grow(v, gfpu_x86_hw_fpstate_features(v) |
				       missing, &x);
	gfpu_count_xfer(v, x);
	v->arch.host_live = gfpu_x86_hw_regs_live();
	if (ret == -ENOMEM)
		v->stats->realloc_fails++;
	else if (!ret)
		v->stats->reallocs++;
	return ret;
}

/*
 * @supported: the guest's xfeatures (they change before KVM has them).
 * KVM stops intercepting XFD writes for good once this says so (as 6.12
 * does after the first non-zero write), so it never goes back: a later
 * KVM_SET_CPUID2 without AMX must not stop the XFD read-back.
 */
static void gfpu_x86_update_passthrough(struct gfpu_vcpu *v, u64 supported)
{
	u64 dyn = supported & XFEATURE_MASK_USER_DYNAMIC;

	if (dyn && (gfpu_x86_hw_fpstate_features(v) & dyn) == dyn)
		v->arch.xfd_passthrough = true;
}

/*
 * One rule for the #NM intercept, used by KVM and by the exit handling
 * here: with XFD armed an #NM may be XFD's, and its XFD_ERR must be saved
 * and cleared at that exit (6.12 intercepted #NM only once XFD writes were
 * passed through, so an armed but intercepted XFD left the guest's
 * XFD_ERR live in the host).
 */
static bool gfpu_x86_nm_intercept(struct gfpu_vcpu *v)
{
	return v->arch.xfd_passthrough || gfpu_x86_hw_fpstate_xfd(v);
}

static int gfpu_x86_set_xcr0(struct gfpu_vcpu *v, u64 xcr0)
{
	int ret;

	if (!gfpu_x86_xcr0_valid(v, xcr0))
		return -EINVAL;
	ret = gfpu_x86_make_room(v, xcr0 & ~gfpu_x86_hw_fpstate_xfd(v));
	if (ret)
		return ret;
	/* KVM's vcpu->arch.xcr0 takes @xcr0 once this succeeded. */
	gfpu_x86_update_passthrough(v, gfpu_x86_supported(v));
	return 0;
}

static int gfpu_x86_set_xfd(struct gfpu_vcpu *v, u64 xfd)
{
	int ret;

	if (xfd & ~(gfpu_x86_supported(v) & XFEATURE_MASK_USER_DYNAMIC))
		return -EINVAL;
	ret = gfpu_x86_make_room(v, gfpu_x86_hw_guest_xcr0(v) & ~xfd);
	if (ret)
		return ret;
	/*
	 * A component XFD disables is in its init state as far as XSAVE
	 * is concerned; drop it from the buffer too so that no XRSTOR
	 * under this XFD sees it in XSTATE_BV.  XFD first: every save
	 * from then on (a softirq's kernel-mode FPU included) already
	 * leaves the component out, so it cannot come back.
	 */
	gfpu_x86_hw_fpstate_set_xfd(v, xfd);
	gfpu_x86_hw_fpstate_drop(v, xfd);
	gfpu_x86_update_passthrough(v, gfpu_x86_supported(v));
	return 0;
}

static int gfpu_x86_set_cpuid(struct gfpu_vcpu *v, u64 features)
{
	int ret;

	if (!(features & XFEATURE_MASK_FP) ||
	    (features & ~gfpu_x86_hw_host_xfeatures()))
		return -EINVAL;
	if (features & XFEATURE_MASK_USER_DYNAMIC & ~gfpu_x86_hw_guest_perm(v))
		return -EPERM;
	if (gfpu_policy_has(v, GFPU_POLICY_REALLOC_CPUID)) {
		ret = gfpu_x86_make_room(v, features);
		if (ret)
			return ret;
	}
	/* KVM_SET_CPUID2 sets vcpu->arch.guest_supported_xcr0 after this. */
	gfpu_x86_update_passthrough(v, features);
	return 0;
}

int gfpu_arch_feature_change(struct gfpu_vcpu *v,
			     const struct gfpu_feature *f)
{
	switch (f->kind) {
	case GFPU_FEAT_XCR0:
		return gfpu_x86_set_xcr0(v, f->value);
	case GFPU_FEAT_XFD:
		return gfpu_x86_set_xfd(v, f->value);
	case GFPU_FEAT_XFD_ERR:
		/* KVM stores it (vcpu->arch.guest_fpu.xfd_err) once valid. */
		if (f->value &
		    ~(gfpu_x86_supported(v) & XFEATURE_MASK_USER_DYNAMIC))
			return -EINVAL;
		return 0;
	case GFPU_FEAT_CPUID:
		if (f->from_guest)
			return -EINVAL;
		return gfpu_x86_set_cpuid(v, f->value);
	default:
		return -EINVAL;
	}
}

/* === uAPI state ====================================================== */

static u64 gfpu_x86_get_u64(const void *buf, u32 off)
{
	u64 val;

	memcpy(&val, (const u8 *)buf + off, sizeof(val));
	return val;
}

/*
 * What KVM_SET_XSAVE refuses before the fpstate may grow for the image.
 * As in 6.12, any static component the host supports is accepted,
 * whatever the guest's CPUID says (migration compatibility); a dynamic one
 * only when the guest's CPUID has it (in 6.12 the fpstate has room for it
 * exactly then), growing the fpstate if that has not happened yet.  The
 * header's XCOMP_BV and reserved bytes and MXCSR are left to the copy:
 * copy_uabi_to_xstate() checks them (validate_user_xstate_header()) before
 * it writes anything.
 */
static int gfpu_x86_check_xsave(struct gfpu_vcpu *v, const void *buf,
				u32 size)
{
	u64 xstate_bv, room;

	if (size < GFPU_XSAVE_LEGACY_SIZE)
		return -EINVAL;
	xstate_bv = gfpu_x86_get_u64(buf, XSAVE_HDR_OFFSET);
	room = gfpu_x86_hw_fpstate_features(v) | gfpu_x86_dynamic_allowed(v);
	if (xstate_bv & ~(gfpu_x86_hw_host_xfeatures() & room))
		return -EINVAL;
	if (size < gfpu_x86_hw_xstate_size(xstate_bv))
		return -EINVAL;
	return 0;
}

/*
 * The size of the image KVM_SET_XSAVE reads: room for every component the
 * vCPU may have, including a dynamic one it has no room for yet (the
 * fpstate grows when such an image arrives), and never less than struct
 * kvm_xsave.
 */
static u32 gfpu_x86_xsave_size(struct gfpu_vcpu *v)
{
	u64 all = gfpu_x86_hw_fpstate_features(v) | gfpu_x86_dynamic_allowed(v);

	return max_t(u32, GFPU_XSAVE_LEGACY_SIZE, gfpu_x86_hw_xstate_size(all));
}

/* XCR0, XFD_ERR and the XFD decision are kept in memory, never in regs. */
bool gfpu_arch_state_in_regs(u64 id)
{
	return id == GFPU_X86_XSAVE;
}

static int gfpu_x86_get_xsave(struct gfpu_vcpu *v, void *buf, u32 size)
{
	u32 need = gfpu_x86_hw_xstate_size(gfpu_x86_hw_fpstate_features(v));

	if (size < GFPU_XSAVE_LEGACY_SIZE || size < need)
		return -EINVAL;
	gfpu_x86_hw_copy_to_uabi(v, buf, size);
	return size;
}

/* The ids that read one u64; -ENOENT for an unknown one. */
static int gfpu_x86_get_u64_state(struct gfpu_vcpu *v, u64 id, u64 *val)
{
	switch (id) {
	case GFPU_X86_XCR0:
		*val = gfpu_x86_hw_guest_xcr0(v);
		return 0;
	case GFPU_X86_XFD_ERR:
		*val = gfpu_x86_hw_xfd_err(v);
		return 0;
	case GFPU_X86_XFD_PASSTHROUGH:
		*val = v->arch.xfd_passthrough;
		return 0;
	case GFPU_X86_NM_INTERCEPT:
		*val = gfpu_x86_nm_intercept(v);
		return 0;
	case GFPU_X86_XSAVE_SIZE:
		*val = gfpu_x86_xsave_size(v);
		return 0;
	default:
		return -ENOENT;
	}
}

int gfpu_arch_get_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	u64 val;
	int ret;

	if (id == GFPU_X86_XSAVE)
		return gfpu_x86_get_xsave(v, buf, size);
	ret = gfpu_x86_get_u64_state(v, id, &val);
	if (ret)
		return ret;
	/* Every other id is one u64. */
	if (size != sizeof(u64))
		return -EINVAL;
	memcpy(buf, &val, sizeof(u64));
	return size;
}

static int gfpu_x86_set_xsave(struct gfpu_vcpu *v, void *buf, u32 size)
{
	u64 xstate_bv;
	int ret;

	ret = gfpu_x86_check_xsave(v, buf, size);
	if (ret)
		return ret;
	/*
	 * Components the current XFD disables load as init, as an XSAVE
	 * under that XFD would have left them (see gfpu_x86_set_xfd());
	 * KVM_SET_XSAVE with tile data while XFD[18] is armed must not make
	 * a later XRSTOR fault.
	 */
	xstate_bv = gfpu_x86_get_u64(buf, XSAVE_HDR_OFFSET);
	xstate_bv &= ~gfpu_x86_hw_fpstate_xfd(v);
	memcpy((u8 *)buf + XSAVE_HDR_OFFSET, &xstate_bv, sizeof(u64));
	ret = gfpu_x86_make_room(v, xstate_bv);
	if (ret)
		return ret;
	/*
	 * A header or MXCSR the copy refuses leaves at most a grown fpstate
	 * (as the realloc-cpuid policy would have), nothing the guest sees,
	 * and no XFD pass-through.
	 */
	ret = gfpu_x86_hw_copy_from_uabi(v, buf);
	if (!ret)
		gfpu_x86_update_passthrough(v, gfpu_x86_supported(v));
	return ret;
}

int gfpu_arch_set_state(struct gfpu_vcpu *v, u64 id, void *buf, u32 size)
{
	/*
	 * Only the XSAVE image: XCR0 and XFD_ERR are KVM's to write, after
	 * gfpu_feature_change() accepted the value.
	 */
	if (id != GFPU_X86_XSAVE)
		return -ENOENT;
	return gfpu_x86_set_xsave(v, buf, size);
}
