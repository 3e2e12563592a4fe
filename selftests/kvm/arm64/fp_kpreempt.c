// SPDX-License-Identifier: GPL-2.0
/*
 * fp_kpreempt - the guest's registers survive preemption by a task that
 * stays in the kernel, and under gfpu.policy=keep-bound they are taken
 * back from the registers.
 *
 * The vCPU thread shares its CPU with a "reader" thread that reads
 * /dev/zero in large chunks: it spends nearly all its time in the kernel
 * (clear_user(), no FP), so most times it preempts the vCPU thread and
 * is preempted back, it has not returned to userspace and has loaded no
 * FP state of its own.  The guest holds a pattern in V0-V31 while it
 * spins inside KVM_RUN (preempted there with its state live) and exits
 * EXITS times per round, then reports what it reads back.  Every KVM_RUN
 * holds the VMM's pattern in V0-V31 across the syscall.
 *
 * Under keep-bound the sched_out put leaves the guest's state bound, the
 * context switch saves it, and the sched_in load finds it still in the
 * registers after such a preemption: the gfpu_kept stat counts those
 * take-backs, which then need no trap and no restore.  A stale take-back
 * (after the reader returned to userspace and loaded its own state, or
 * after another CPU) would show as a wrong guest register.
 *
 * Checked: the guest's and the VMM's registers (every policy); with gfpu,
 * the vCPU thread was preempted inside KVM_RUN, and gfpu_kept is positive
 * exactly under keep-bound.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs_arm64.h"
#include "gfpu_sve_arm64.h"

#define ROUNDS		50	/* guest patterns, one GUEST_SYNC each */
#define EXITS		4	/* exits with one pattern held, per round */
#define SPIN		1000000	/* guest loop per round without any exit */
#define CHUNK		(64 << 20)	/* bytes per read() of the reader */

static void guest_code(volatile uint64_t *mmio)
{
	uint64_t in[V_WORDS], out[V_WORDS];
	uint32_t count, spin;
	uint64_t r;

	gfpu_guest_fp_enable(0);
	for (r = 0; r < ROUNDS; r++) {
		gfpu_pattern_fill(in, V_WORDS, GFPU_DOM_GUEST, r);
		count = EXITS;
		asm volatile(V_ALL(V_LOAD)
			     "1: mov %w[spin], #" __stringify(SPIN) " & 0xffff\n\t"
			     "movk %w[spin], #" __stringify(SPIN) " >> 16, lsl #16\n\t"
			     "2: subs %w[spin], %w[spin], #1\n\t"
			     "b.ne 2b\n\t"
			     "str %[r], [%[mmio]]\n\t"
			     "subs %w[count], %w[count], #1\n\t"
			     "b.ne 1b\n\t"
			     V_ALL(V_STORE)
			     : [count] "+r" (count), [spin] "=&r" (spin)
			     : [in] "r" (in), [out] "r" (out), [mmio] "r" (mmio),
			       [r] "r" (r)
			     : "memory", "cc", V_CLOBBERS);
		GUEST_SYNC2(r, gfpu_pattern_diff(out, NR_VREGS, GFPU_DOM_GUEST, r));
	}
	GUEST_DONE();
}

static struct gfpu_check guest_regs = {
	"guest V0-V31 survive preemption by a task in the kernel"
};

static struct gfpu_check host_regs = { "VMM V0-V31 survive KVM_RUN" };

static vm_paddr_t exit_gpa;
static volatile bool reader_stop;
static unsigned long reader_reads;

/* Inherits the vCPU thread's CPU: it preempts it from inside read(). */
static void *reader(void *arg)
{
	int fd = open("/dev/zero", O_RDONLY);
	char *buf = malloc(CHUNK);

	TEST_ASSERT(fd >= 0 && buf, "/dev/zero or buffer");
	while (!reader_stop) {
		TEST_ASSERT(read(fd, buf, CHUNK) > 0, "read /dev/zero");
		reader_reads++;
	}
	free(buf);
	close(fd);
	return NULL;
}

static bool loop_exit(struct gfpu_loop *l)
{
	return gfpu_exit_mmio(l->vcpu, exit_gpa, NULL);
}

static void loop_sync(struct gfpu_loop *l, struct ucall *uc)
{
	gfpu_sync_record(uc, guest_regs.runs, &guest_regs);
}

int main(int argc, char *argv[])
{
	struct gfpu_loop loop = {
		.exit = loop_exit,
		.sync = loop_sync,
		.host = &host_regs,
	};
	struct gfpu_counters c;
	struct kvm_vm *vm;
	pthread_t thread;
	bool have, keep;
	int cpu;

	ksft_print_header();
	ksft_set_plan(4);

	vm = vm_create_with_one_vcpu(&loop.vcpu, guest_code);
	vcpu_args_set(loop.vcpu, 1, gfpu_map_exit_page(vm, &exit_gpa));
	cpu = gfpu_pin_first_cpu();
	TEST_ASSERT(cpu >= 0, "cannot pin to a CPU");
	TEST_ASSERT(!pthread_create(&thread, NULL, reader, NULL),
		    "pthread_create");
	ksft_print_msg("vCPU and reader threads on CPU %d, %d MiB per read\n",
		       cpu, CHUNK >> 20);

	gfpu_run_loop(&loop);
	reader_stop = true;
	pthread_join(thread, NULL);
	gfpu_print_stats(loop.vcpu);
	have = gfpu_counters_read(loop.vcpu, &c);
	kvm_vm_free(vm);

	gfpu_check_report(&guest_regs);
	gfpu_check_report(&host_regs);
	if (!have) {
		ksft_test_result_skip("preempted inside KVM_RUN: %s\n", GFPU_NO_STATS);
		ksft_test_result_skip("keep-bound signature: %s\n", GFPU_NO_STATS);
		ksft_finished();
	}
	ksft_test_result(c.preempted > 0,
			 "preempted inside KVM_RUN %ld times (reader: %lu reads)\n",
			 c.preempted, reader_reads);
	keep = c.policy & GFPU_POLICY_KEEP_BOUND;
	ksft_print_msg("policy %ld: preempted %ld kept %ld traps %ld restores %ld saves %ld run_enter %ld\n",
		       c.policy, c.preempted, c.kept, c.traps, c.restores,
		       c.saves, c.run_enter);
	if (keep)
		ksft_test_result(c.kept > 0 && c.kept <= c.preempted,
				 "keep-bound signature: %ld of %ld preemptions took the guest's state back from the registers\n",
				 c.kept, c.preempted);
	else
		ksft_test_result(!c.kept,
				 "policy %ld signature: nothing taken back (%ld)\n",
				 c.policy, c.kept);
	ksft_finished();
}
