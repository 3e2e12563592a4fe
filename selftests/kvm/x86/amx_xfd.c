// SPDX-License-Identifier: GPL-2.0
/*
 * amx_xfd - AMX tile data under XFD: the #NM, XFD_ERR, and KVM_GET_XSAVE2
 * and KVM_SET_XSAVE around an armed XFD.
 *
 * The host asks for permission to give the guest AMX tile data
 * (ARCH_REQ_XCOMP_GUEST_PERM, before KVM's CPUID is read). The guest sets
 * the tile bits in XCR0 with XSETBV, arms XFD for XTILEDATA and loads a
 * tile: that must raise #NM with XFD_ERR = XTILEDATA and CR0.TS clear. The
 * #NM handler clears XFD_ERR and disarms XFD, and the load is retried and
 * succeeds; at the next exit KVM_GET_XSAVE2 must hold the loaded rows in
 * TMM0. The guest then arms XFD again with the tile data live; at that
 * exit the host writes a buffer with XTILEDATA in XSTATE_BV and other tile
 * data with KVM_SET_XSAVE: it must succeed, and the next entry must not
 * fail (restoring XTILEDATA state while XFD[18] is armed would #NM in the
 * host). The guest disarms XFD and must read TMM0 in its init state
 * (zeros): state for a feature disabled by XFD is not kept.
 *
 * Without AMX in the CPU (QEMU TCG has none) or in what KVM offers, the
 * whole test is skipped with the reason.
 *
 * What it catches: XFD_ERR not saved or restored around exits, a guest
 * fpstate not grown for tile data, tile data missing from the uAPI, and a
 * buffer with XSTATE_BV & XFD set that is later restored.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"

#define NR_TILES	8
#define TILE_ROWS	16
#define ROW_BYTES	64
#define TILE_BYTES	(TILE_ROWS * ROW_BYTES)

enum {
	ST_XCR0 = 1,	/* XGETBV after XSETBV */
	ST_LOADED,	/* #NMs, XFD_ERR seen, CR0 in the handler */
	ST_REARMED,	/* XFD armed again, tile data live */
	ST_READBACK,	/* TMM0 stored after disarming */
};

struct tile_config {
	uint8_t palette_id;
	uint8_t start_row;
	uint8_t reserved[14];
	uint16_t colsb[16];
	uint8_t rows[16];
};

/* Written by the #NM handler. */
static uint64_t nm_count, nm_xfd_err, nm_cr0;

static void ldtilecfg(const struct tile_config *cfg)
{
	/* LDTILECFG (%rax) */
	asm volatile(".byte 0xc4, 0xe2, 0x78, 0x49, 0x00"
		     : : "a" (cfg) : "memory");
}

static void tileloadd_tmm0(const void *base)
{
	/* TILELOADD (%rax,%rdx,1), %tmm0 */
	asm volatile(".byte 0xc4, 0xe2, 0x7b, 0x4b, 0x04, 0x10"
		     : : "a" (base), "d" ((uint64_t)ROW_BYTES) : "memory");
}

static void tilestored_tmm0(void *base)
{
	/* TILESTORED %tmm0, (%rax,%rdx,1) */
	asm volatile(".byte 0xc4, 0xe2, 0x7a, 0x4b, 0x04, 0x10"
		     : : "a" (base), "d" ((uint64_t)ROW_BYTES) : "memory");
}

static void guest_nm_handler(struct ex_regs *regs)
{
	WRITE_ONCE(nm_count, nm_count + 1);
	WRITE_ONCE(nm_cr0, get_cr0());
	WRITE_ONCE(nm_xfd_err, rdmsr(MSR_IA32_XFD_ERR));
	wrmsr(MSR_IA32_XFD_ERR, 0);
	wrmsr(MSR_IA32_XFD, 0);
	/* Back to the tile load, which now runs. */
}

static void guest_code(struct tile_config *cfg, const uint8_t *tiles,
		       uint8_t *readback)
{
	int i;

	GUEST_ASSERT(get_cr4() & X86_CR4_OSXSAVE);
	xsetbv(0, xgetbv(0) | XFEATURE_MASK_XTILE);
	GUEST_SYNC2(ST_XCR0, xgetbv(0));

	memset(cfg, 0, sizeof(*cfg));
	cfg->palette_id = 1;
	for (i = 0; i < NR_TILES; i++) {
		cfg->colsb[i] = ROW_BYTES;
		cfg->rows[i] = TILE_ROWS;
	}

	wrmsr(MSR_IA32_XFD, XFEATURE_MASK_XTILE_DATA);
	ldtilecfg(cfg);
	tileloadd_tmm0(tiles);	/* #NM, the handler disarms, then again */
	GUEST_SYNC4(ST_LOADED, READ_ONCE(nm_count), READ_ONCE(nm_xfd_err),
		    READ_ONCE(nm_cr0));

	wrmsr(MSR_IA32_XFD, XFEATURE_MASK_XTILE_DATA);
	GUEST_SYNC1(ST_REARMED);

	wrmsr(MSR_IA32_XFD, 0);
	memset(readback, 0xa5, TILE_BYTES);
	tilestored_tmm0(readback);
	GUEST_SYNC4(ST_READBACK, READ_ONCE(nm_count), rdmsr(MSR_IA32_XFD),
		    rdmsr(MSR_IA32_XFD_ERR));
	GUEST_DONE();
}

/* KVM's KVM_X86_XCOMP_GUEST_SUPP, without touching its CPUID (0: none). */
static uint64_t xcomp_guest_supp(void)
{
	uint64_t mask = 0;
	struct kvm_device_attr attr = {
		.group = 0,
		.attr = KVM_X86_XCOMP_GUEST_SUPP,
		.addr = (unsigned long)&mask,
	};
	int fd = open_kvm_dev_path_or_exit();

	if (__kvm_ioctl(fd, KVM_GET_DEVICE_ATTR, &attr))
		mask = 0;
	close(fd);
	return mask;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int main(int argc, char *argv[])
{
	uint64_t supp, xcr0 = 0, nm = 0, xfd_err = 0, cr0 = 0, bv = 0;
	uint64_t rb_nm = 0, rb_xfd = 0, rb_xfd_err = 0, rb_start = 0;
	bool loaded_ok = false, set_ok = false, readback_ok = false;
	vm_vaddr_t cfg_gva, tiles_gva, readback_gva;
	uint32_t tile_off = 0;
	uint8_t *tiles, *readback, *buf;
	struct kvm_xsave *xsave;
	struct kvm_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_vm *vm;
	struct ucall uc;
	int size, r = 0;

	ksft_print_header();
	if (!this_cpu_has(X86_FEATURE_AMX_TILE) ||
	    !this_cpu_has(X86_FEATURE_XTILEDATA))
		ksft_exit_skip("no AMX in this CPU (QEMU TCG has none)\n");
	if (!this_cpu_has(X86_FEATURE_XFD))
		ksft_exit_skip("no XFD in this CPU\n");
	supp = xcomp_guest_supp();
	if (!(supp & XFEATURE_MASK_XTILE_DATA))
		ksft_exit_skip("KVM offers no AMX tile data (KVM_X86_XCOMP_GUEST_SUPP 0x%lx)\n",
			       (unsigned long)supp);

	/* Before anything reads KVM's supported CPUID. */
	vm_xsave_require_permission(XFEATURE_MASK_XTILE_DATA);
	if (!kvm_cpu_has(X86_FEATURE_XFD) || !kvm_cpu_has(X86_FEATURE_AMX_TILE) ||
	    !kvm_cpu_has(X86_FEATURE_XTILECFG) ||
	    !kvm_cpu_has(X86_FEATURE_XTILEDATA) ||
	    !kvm_cpu_has(X86_FEATURE_XTILEDATA_XFD))
		ksft_exit_skip("KVM's CPUID lacks AMX tiles or XFD for them\n");

	ksft_set_plan(5);

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vm_install_exception_handler(vm, NM_VECTOR, guest_nm_handler);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(vcpu, &sregs);

	cfg_gva = vm_vaddr_alloc_page(vm);
	tiles_gva = vm_vaddr_alloc_pages(vm, NR_TILES * TILE_BYTES / PAGE_SIZE);
	readback_gva = vm_vaddr_alloc_page(vm);
	tiles = addr_gva2hva(vm, tiles_gva);
	readback = addr_gva2hva(vm, readback_gva);
	gfpu_pattern_fill((uint64_t *)tiles, NR_TILES * TILE_BYTES / 8,
			  GFPU_DOM_GUEST, 0);
	vcpu_args_set(vcpu, 3, cfg_gva, tiles_gva, readback_gva);

	tile_off = kvm_cpu_property(X86_PROPERTY_XSTATE_TILE_OFFSET);
	size = vm_check_cap(vm, KVM_CAP_XSAVE2);
	TEST_ASSERT(size >= (int)(tile_off + NR_TILES * TILE_BYTES),
		    "KVM_CAP_XSAVE2 %d, tile data at %u", size, tile_off);
	buf = calloc(1, size);
	TEST_ASSERT(buf, "calloc(%d)", size);
	xsave = (struct kvm_xsave *)buf;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_DONE:
			goto done;
		case UCALL_SYNC:
			break;
		default:
			TEST_FAIL("unknown ucall %lu", (unsigned long)uc.cmd);
		}

		switch (uc.args[0]) {
		case ST_XCR0:
			xcr0 = uc.args[1];
			break;
		case ST_LOADED:
			nm = uc.args[1];
			xfd_err = uc.args[2];
			cr0 = uc.args[3];
			vcpu_xsave2_get(vcpu, xsave);
			bv = *(uint64_t *)(buf + 512);
			loaded_ok = (bv & XFEATURE_MASK_XTILE_DATA) &&
				    !memcmp(buf + tile_off, tiles, TILE_BYTES);
			break;
		case ST_REARMED:
			/* Other tile data, XTILEDATA in XSTATE_BV. */
			vcpu_xsave2_get(vcpu, xsave);
			*(uint64_t *)(buf + 512) |= XFEATURE_MASK_XTILE_DATA;
			gfpu_pattern_fill((uint64_t *)(buf + tile_off),
					  NR_TILES * TILE_BYTES / 8,
					  GFPU_DOM_HOST_SET, 0);
			r = __vcpu_ioctl(vcpu, KVM_SET_XSAVE, xsave);
			set_ok = !r;
			if (r)
				ksft_print_msg("KVM_SET_XSAVE: %s\n",
					       strerror(errno));
			break;
		case ST_READBACK:
			rb_nm = uc.args[1];
			rb_xfd = uc.args[2];
			rb_xfd_err = uc.args[3];
			readback_ok = nm == 1 && rb_nm == 1 && !rb_xfd &&
				      !rb_xfd_err &&
				      all_zero(readback, TILE_BYTES);
			memcpy(&rb_start, readback, sizeof(rb_start));
			break;
		default:
			TEST_FAIL("unknown stage %lu", (unsigned long)uc.args[0]);
		}
	}
done:
	kvm_vm_free(vm);
	free(buf);

	if (!readback_ok)
		ksft_print_msg("readback: %lu #NM, XFD 0x%lx, XFD_ERR 0x%lx, TMM0 starts 0x%lx\n",
			       (unsigned long)rb_nm, (unsigned long)rb_xfd,
			       (unsigned long)rb_xfd_err,
			       (unsigned long)rb_start);

	ksft_test_result((xcr0 & XFEATURE_MASK_XTILE) == XFEATURE_MASK_XTILE,
			 "guest XSETBV enables the tile bits: XGETBV 0x%lx\n",
			 (unsigned long)xcr0);
	ksft_test_result(nm == 1 && xfd_err == XFEATURE_MASK_XTILE_DATA &&
			 !(cr0 & X86_CR0_TS),
			 "#NM on a tile load with XFD[18] armed: %lu #NM, XFD_ERR 0x%lx, CR0 0x%lx\n",
			 (unsigned long)nm, (unsigned long)xfd_err,
			 (unsigned long)cr0);
	ksft_test_result(loaded_ok,
			 "KVM_GET_XSAVE2 holds the loaded TMM0 (XSTATE_BV 0x%lx, tile data at %u)\n",
			 (unsigned long)bv, tile_off);
	ksft_test_result(set_ok,
			 "KVM_SET_XSAVE with tile data while XFD[18] is armed is taken\n");
	ksft_test_result(readback_ok,
			 "after it the guest runs on and, XFD disarmed, reads TMM0 as init (zeros)\n");
	ksft_finished();
}
