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

/* What the host saw at each stage, and the buffers it used. */
struct host {
	uint8_t *tiles, *readback, *buf;
	uint32_t tile_off;
	uint64_t xcr0, nm, xfd_err, cr0, bv;
	uint64_t rb_nm, rb_xfd, rb_xfd_err, rb_start;
	bool loaded_ok, set_ok, readback_ok;
};

/* At ST_REARMED: other tile data, XTILEDATA in XSTATE_BV. */
static void set_tiles(struct kvm_vcpu *vcpu, struct host *h)
{
	struct kvm_xsave *xsave = (struct kvm_xsave *)h->buf;
	int r;

	vcpu_xsave2_get(vcpu, xsave);
	*(uint64_t *)(h->buf + 512) |= XFEATURE_MASK_XTILE_DATA;
	gfpu_pattern_fill((uint64_t *)(h->buf + h->tile_off),
			  NR_TILES * TILE_BYTES / 8, GFPU_DOM_HOST_SET, 0);
	r = __vcpu_ioctl(vcpu, KVM_SET_XSAVE, xsave);
	h->set_ok = !r;
	if (r)
		ksft_print_msg("KVM_SET_XSAVE: %s\n", strerror(errno));
}

static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct host *h = l->data;

	switch (uc->args[0]) {
	case ST_XCR0:
		h->xcr0 = uc->args[1];
		break;
	case ST_LOADED:
		h->nm = uc->args[1];
		h->xfd_err = uc->args[2];
		h->cr0 = uc->args[3];
		vcpu_xsave2_get(l->vcpu, (struct kvm_xsave *)h->buf);
		h->bv = *(uint64_t *)(h->buf + 512);
		h->loaded_ok = (h->bv & XFEATURE_MASK_XTILE_DATA) &&
			       !memcmp(h->buf + h->tile_off, h->tiles, TILE_BYTES);
		break;
	case ST_REARMED:
		set_tiles(l->vcpu, h);
		break;
	case ST_READBACK:
		h->rb_nm = uc->args[1];
		h->rb_xfd = uc->args[2];
		h->rb_xfd_err = uc->args[3];
		h->readback_ok = h->nm == 1 && h->rb_nm == 1 && !h->rb_xfd &&
				 !h->rb_xfd_err &&
				 all_zero(h->readback, TILE_BYTES);
		memcpy(&h->rb_start, h->readback, sizeof(h->rb_start));
		break;
	default:
		TEST_FAIL("unknown stage %lu", (unsigned long)uc->args[0]);
	}
}

/* Skips the test without AMX tile data and XFD in the CPU and in KVM. */
static void require_amx(void)
{
	uint64_t supp;

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
}

/* The guest's tile config page, tile data and readback page. */
static void vm_setup(struct kvm_vm *vm, struct kvm_vcpu *vcpu, struct host *h)
{
	vm_vaddr_t cfg_gva, tiles_gva, readback_gva;
	struct kvm_sregs sregs;
	int size;

	vm_install_exception_handler(vm, NM_VECTOR, guest_nm_handler);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(vcpu, &sregs);

	cfg_gva = vm_vaddr_alloc_page(vm);
	tiles_gva = vm_vaddr_alloc_pages(vm, NR_TILES * TILE_BYTES / PAGE_SIZE);
	readback_gva = vm_vaddr_alloc_page(vm);
	h->tiles = addr_gva2hva(vm, tiles_gva);
	h->readback = addr_gva2hva(vm, readback_gva);
	gfpu_pattern_fill((uint64_t *)h->tiles, NR_TILES * TILE_BYTES / 8,
			  GFPU_DOM_GUEST, 0);
	vcpu_args_set(vcpu, 3, cfg_gva, tiles_gva, readback_gva);

	h->tile_off = kvm_cpu_property(X86_PROPERTY_XSTATE_TILE_OFFSET);
	size = vm_check_cap(vm, KVM_CAP_XSAVE2);
	TEST_ASSERT(size >= (int)(h->tile_off + NR_TILES * TILE_BYTES),
		    "KVM_CAP_XSAVE2 %d, tile data at %u", size, h->tile_off);
	h->buf = calloc(1, size);
	TEST_ASSERT(h->buf, "calloc(%d)", size);
}

int main(int argc, char *argv[])
{
	struct host h = {};
	struct gfpu_loop loop = {
		.sync = loop_sync,
		.data = &h,
	};
	struct kvm_vm *vm;

	ksft_print_header();
	require_amx();
	ksft_set_plan(5);

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	vm_setup(vm, loop.vcpu, &h);
	gfpu_run_loop(&loop);
	kvm_vm_free(vm);
	free(h.buf);

	if (!h.readback_ok)
		ksft_print_msg("readback: %lu #NM, XFD 0x%lx, XFD_ERR 0x%lx, TMM0 starts 0x%lx\n",
			       (unsigned long)h.rb_nm, (unsigned long)h.rb_xfd,
			       (unsigned long)h.rb_xfd_err,
			       (unsigned long)h.rb_start);

	ksft_test_result((h.xcr0 & XFEATURE_MASK_XTILE) == XFEATURE_MASK_XTILE,
			 "guest XSETBV enables the tile bits: XGETBV 0x%lx\n",
			 (unsigned long)h.xcr0);
	ksft_test_result(h.nm == 1 && h.xfd_err == XFEATURE_MASK_XTILE_DATA &&
			 !(h.cr0 & X86_CR0_TS),
			 "#NM on a tile load with XFD[18] armed: %lu #NM, XFD_ERR 0x%lx, CR0 0x%lx\n",
			 (unsigned long)h.nm, (unsigned long)h.xfd_err,
			 (unsigned long)h.cr0);
	ksft_test_result(h.loaded_ok,
			 "KVM_GET_XSAVE2 holds the loaded TMM0 (XSTATE_BV 0x%lx, tile data at %u)\n",
			 (unsigned long)h.bv, h.tile_off);
	ksft_test_result(h.set_ok,
			 "KVM_SET_XSAVE with tile data while XFD[18] is armed is taken\n");
	ksft_test_result(h.readback_ok,
			 "after it the guest runs on and, XFD disarmed, reads TMM0 as init (zeros)\n");
	ksft_finished();
}
