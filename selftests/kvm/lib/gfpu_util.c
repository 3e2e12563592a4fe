// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side helpers shared by the gfpu KVM selftests: the framework's
 * counters, CPU migration, the run-and-check loop, the kernel-mode FPU
 * torture facility, the preemption contenders and tracefs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs.h"

/* The framework's binary stats (KVM_GET_STATS_FD), by counter. */
#define GFPU_FIELD(field, stat) { "gfpu_" stat, #field, \
	offsetof(struct gfpu_counters, field) }
/* The instrumentation's (kernel/patches/6.12-count), on either kernel. */
#define KVM_FIELD(field, stat) { stat, #field, \
	offsetof(struct gfpu_counters, field) }
static const struct {
	const char *stat;	/* the kernel's name */
	const char *field;	/* the field of struct gfpu_counters */
	size_t offset;
} gfpu_fields[] = {
	GFPU_FIELD(policy, "policy"),
	GFPU_FIELD(run_enter, "hook_run_enter"),
	GFPU_FIELD(load, "hook_load"),
	GFPU_FIELD(guest_enter, "hook_guest_enter"),
	GFPU_FIELD(lazy_trap, "hook_lazy_trap"),
	GFPU_FIELD(exit_sync, "hook_exit_sync"),
	GFPU_FIELD(put, "hook_put"),
	GFPU_FIELD(run_exit, "hook_run_exit"),
	GFPU_FIELD(feature, "hook_feature"),
	GFPU_FIELD(get, "hook_get"),
	GFPU_FIELD(set, "hook_set"),
	GFPU_FIELD(guest_regs, "hook_guest_regs"),
	GFPU_FIELD(saves, "saves"),
	GFPU_FIELD(restores, "restores"),
	GFPU_FIELD(bytes, "bytes"),
	GFPU_FIELD(traps, "traps"),
	GFPU_FIELD(reallocs, "reallocs"),
	GFPU_FIELD(realloc_fails, "realloc_fails"),
	GFPU_FIELD(steals, "steals"),
	GFPU_FIELD(preempted, "preempted"),
	GFPU_FIELD(kept, "kept"),
	KVM_FIELD(fpu_saves, "fpu_saves"),
	KVM_FIELD(fpu_restores, "fpu_restores"),
	KVM_FIELD(fpu_bytes, "fpu_bytes"),
};

static long *gfpu_field(struct gfpu_counters *c, size_t i)
{
	return (long *)((char *)c + gfpu_fields[i].offset);
}

/**
 * gfpu_counters_read() - the vCPU's gfpu_* counters, from its binary stats
 * @vcpu: the vCPU.
 * @c: filled in; a counter the kernel does not export reads -1.
 *
 * Return: false when the kernel exports no gfpu_* stats (a baseline
 * kernel) or not the latched policy and the run_enter hook count.
 */
bool gfpu_counters_read(struct kvm_vcpu *vcpu, struct gfpu_counters *c)
{
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs, *d;
	int fd = vcpu_get_stats_fd(vcpu);
	uint64_t val;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(gfpu_fields); i++)
		*gfpu_field(c, i) = -1;
	read_stats_header(fd, &header);
	descs = read_stats_descriptors(fd, &header);
	for (j = 0; j < header.num_desc; j++) {
		d = get_stats_descriptor(descs, j, &header);
		for (i = 0; i < ARRAY_SIZE(gfpu_fields); i++) {
			if (strcmp(d->name, gfpu_fields[i].stat))
				continue;
			read_stat_data(fd, &header, d, &val, 1);
			*gfpu_field(c, i) = val;
		}
	}
	free(descs);
	close(fd);
	return c->policy >= 0 && c->run_enter >= 0;
}

/**
 * gfpu_stat() - one of the vCPU's gfpu counters.
 * @vcpu: the vCPU.
 * @field: a field of &struct gfpu_counters, e.g. "guest_enter".
 *
 * Return: its value, or -1 when the kernel does not export it.
 */
long gfpu_stat(struct kvm_vcpu *vcpu, const char *field)
{
	struct gfpu_counters c;
	size_t i;

	gfpu_counters_read(vcpu, &c);
	for (i = 0; i < ARRAY_SIZE(gfpu_fields); i++)
		if (!strcmp(gfpu_fields[i].field, field))
			return *gfpu_field(&c, i);
	TEST_FAIL("no gfpu counter '%s'", field);
	return -1;
}

/**
 * gfpu_print_stats() - print the vCPU's gfpu counters as a TAP diagnostic.
 * @vcpu: the vCPU.
 *
 * Return: false on a kernel without them (a baseline kernel).
 */
bool gfpu_print_stats(struct kvm_vcpu *vcpu)
{
	struct gfpu_counters c;
	char line[512];
	size_t i, n = 0;
	bool have = gfpu_counters_read(vcpu, &c);

	if (!have)
		return false;
	for (i = 0; i < ARRAY_SIZE(gfpu_fields) && n < sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - n, " %s=%ld",
			      gfpu_fields[i].stat, *gfpu_field(&c, i));
	ksft_print_msg("vcpu %u stats:%s\n", vcpu->id, line);
	return true;
}

/* @d = @a - @b, counter by counter; the policy is @a's. */
void gfpu_counters_sub(struct gfpu_counters *d, const struct gfpu_counters *a,
		       const struct gfpu_counters *b)
{
	const long *pa = &a->run_enter, *pb = &b->run_enter;
	long *pd = &d->run_enter;
	size_t i, n = (sizeof(*d) - offsetof(struct gfpu_counters, run_enter)) /
		      sizeof(long);

	d->policy = a->policy;
	for (i = 0; i < n; i++)
		pd[i] = pa[i] - pb[i];
}

/* The kernel's command line into @line (empty if unreadable). */
static void gfpu_cmdline(char *line, int len)
{
	FILE *f = fopen("/proc/cmdline", "r");

	line[0] = 0;
	if (f) {
		if (!fgets(line, len, f))
			line[0] = 0;
		fclose(f);
	}
}

/**
 * gfpu_cmdline_has() - whether the kernel's command line has @what.
 * @what: a string, e.g. "gfpu_test.soak=1".
 */
bool gfpu_cmdline_has(const char *what)
{
	char line[1024];

	gfpu_cmdline(line, sizeof(line));
	return strstr(line, what);
}

/**
 * gfpu_timeout_scale() - how many times slower than a test kernel this
 * one runs the tests: gfpu_test.timeout_scale= on the command line
 * (DEBUG=y kernels: KASAN, lockdep), else 1.
 */
unsigned int gfpu_timeout_scale(void)
{
	char line[1024];
	const char *p;
	unsigned int n;

	gfpu_cmdline(line, sizeof(line));
	p = strstr(line, "gfpu_test.timeout_scale=");
	if (!p || sscanf(p, "gfpu_test.timeout_scale=%u", &n) != 1 || !n)
		return 1;
	return n;
}

/**
 * gfpu_policy_param() - the policy the next KVM_RUN latches.
 *
 * Return: its bits, or -1 without the framework.
 */
long gfpu_policy_param(void)
{
	long val = -1;
	FILE *f;

	f = fopen(GFPU_POLICY_PATH, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static cpu_set_t gfpu_cpus;
static int gfpu_ncpus;

/**
 * gfpu_migrate_init() - remember the CPUs this thread may run on.
 *
 * Return: how many there are; with fewer than two, gfpu_migrate() does
 * nothing.
 */
/* gfpu_fuzz_start() - an empty record for @arch's fuzzer. */
void gfpu_fuzz_start(struct gfpu_fuzz_log *f, const char *arch)
{
	memset(f, 0, sizeof(*f));
	f->arch = arch;
	f->digest = 0xcbf29ce484222325ull;
}

/* gfpu_fuzz_flush() - print the letters not printed yet, if any. */
void gfpu_fuzz_flush(struct gfpu_fuzz_log *f)
{
	if (!f->n)
		return;
	f->line[f->n] = 0;
	ksft_print_msg("fuzz: %s calls %lu-%lu: %s\n", f->arch,
		       f->calls - f->n, f->calls - 1, f->line);
	f->n = 0;
}

/* gfpu_fuzz_record() - record one call's letter @t; a full line prints. */
void gfpu_fuzz_record(struct gfpu_fuzz_log *f, char t)
{
	f->digest = (f->digest ^ (uint8_t)t) * 0x100000001b3ull;
	f->line[f->n++] = t;
	f->calls++;
	if (f->n == sizeof(f->line) - 1)
		gfpu_fuzz_flush(f);
}

int gfpu_migrate_init(void)
{
	if (sched_getaffinity(0, sizeof(gfpu_cpus), &gfpu_cpus))
		return 0;
	gfpu_ncpus = CPU_COUNT(&gfpu_cpus);
	return gfpu_ncpus;
}

/**
 * gfpu_migrate() - pin the calling thread to the next allowed CPU.
 * @iteration: picks the CPU, round robin over the allowed ones.
 *
 * Moving the thread that owns a vCPU between physical CPUs, between two
 * KVM_RUNs, is what makes per-CPU FP ownership tracking go wrong.
 *
 * Return: the CPU now pinned to, or -1 when there is nothing to migrate to.
 */
int gfpu_migrate(unsigned long iteration)
{
	unsigned int nth, cpu, seen = 0;
	cpu_set_t one;

	if (gfpu_ncpus < 2)
		return -1;
	nth = iteration % gfpu_ncpus;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &gfpu_cpus) || seen++ != nth)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return -1;
		return cpu;
	}
	return -1;
}

/**
 * gfpu_pin_first_cpu() - pin the calling thread to the first CPU it may
 * use; threads it creates afterwards inherit the pinning.
 *
 * Return: that CPU, or -1 on failure.
 */
int gfpu_pin_first_cpu(void)
{
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++)
		;
	if (cpu == CPU_SETSIZE)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : cpu;
}

/**
 * gfpu_migrate_every() - gfpu_migrate() at every @every-th @n.
 * @n: a count the caller has just advanced.
 * @every: how often to migrate.
 *
 * Return: true when the thread moved.
 */
bool gfpu_migrate_every(unsigned long n, unsigned int every)
{
	return n % every == 0 && gfpu_migrate(n / every) >= 0;
}

/**
 * gfpu_hooks_read() - print the vCPU's gfpu counters and read its hook
 * counters.
 * @vcpu: the vCPU.
 * @h: filled in; @h->have is false on a kernel without the framework.
 */
void gfpu_hooks_read(struct kvm_vcpu *vcpu, struct gfpu_hooks *h)
{
	struct gfpu_counters c;

	h->have = gfpu_print_stats(vcpu);
	gfpu_counters_read(vcpu, &c);
	h->run_enter = c.run_enter;
	h->guest_enter = c.guest_enter;
	h->exit_sync = c.exit_sync;
}

/* === Running a vCPU ==================================================== */

/**
 * gfpu_get_ucall() - the ucall the vCPU stopped at, which must be a
 * GUEST_SYNC or GUEST_DONE; a GUEST_ASSERT failure is reported.
 * @vcpu: the vCPU, after its KVM_RUN.
 * @uc: filled in.
 *
 * Return: UCALL_SYNC or UCALL_DONE.
 */
uint64_t gfpu_get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	uint64_t cmd = get_ucall(vcpu, uc);

	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(*uc);
	TEST_ASSERT(cmd == UCALL_SYNC || cmd == UCALL_DONE,
		    "unexpected exit: %s, ucall %lu",
		    exit_reason_str(vcpu->run->exit_reason),
		    (unsigned long)cmd);
	return cmd;
}

/* vcpu_run(), then gfpu_get_ucall(). */
uint64_t gfpu_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	vcpu_run(vcpu);
	return gfpu_get_ucall(vcpu, uc);
}

/**
 * gfpu_run_loop() - run @l->vcpu until GUEST_DONE.
 * @l: the vCPU and the test's callbacks (struct gfpu_loop).
 */
void gfpu_run_loop(struct gfpu_loop *l)
{
	struct ucall uc;

	for (;;) {
		if (l->run)
			l->run(l);
		else if (l->host)
			gfpu_run_holding(l);
		else
			vcpu_run(l->vcpu);
		if (l->exit && l->exit(l))
			continue;
		if (gfpu_get_ucall(l->vcpu, &uc) == UCALL_DONE)
			return;
		TEST_ASSERT(l->sync, "unexpected GUEST_SYNC");
		l->sync(l, &uc);
	}
}

/**
 * gfpu_sync_record() - a GUEST_SYNC2(@n, bad) from iteration @n: its
 * verdict @bad (the registers that differed) is recorded into @c.
 * @uc: the ucall.
 * @n: the iteration the host expects.
 * @c: the check.
 */
void gfpu_sync_record(const struct ucall *uc, unsigned long n,
		      struct gfpu_check *c)
{
	TEST_ASSERT(uc->args[0] == n, "guest at iteration %lu, host expected %lu",
		    (unsigned long)uc->args[0], n);
	gfpu_check_record(c, n, uc->args[1]);
}

/*
 * Say what a context found in place of its pattern (@domain, @seed): the
 * first wrong word of @buf, and whose pattern it is, if anyone's.
 *
 * Return: that pattern's domain (its seed in @found_seed, if not NULL),
 * -1 for nobody's or none wrong.
 */
long gfpu_print_stranger(const uint64_t *buf, unsigned int nwords,
			 uint64_t domain, uint64_t seed, uint64_t *found_seed)
{
	uint64_t d, s;
	unsigned int i, w;

	for (i = 0; i < nwords; i++) {
		if (buf[i] == gfpu_pattern_word(domain, seed, i))
			continue;
		if (gfpu_pattern_decode(buf[i], &d, &s, &w)) {
			ksft_print_msg("word %u: 0x%lx, word %u of domain %lu's pattern %lu (expected domain %lu's %lu)\n",
				       i, (unsigned long)buf[i], w,
				       (unsigned long)d, (unsigned long)s,
				       (unsigned long)domain,
				       (unsigned long)seed);
			if (found_seed)
				*found_seed = s;
			return d;
		}
		ksft_print_msg("word %u: 0x%lx, nobody's pattern (expected domain %lu's %lu)\n",
			       i, (unsigned long)buf[i], (unsigned long)domain,
			       (unsigned long)seed);
		return -1;
	}
	return -1;
}

/* Patterns of the contenders, apart from every other domain. */
enum {
	GFPU_DOM_HAMMER = GFPU_DOM_LONG + 1,
	GFPU_DOM_SIGNAL,
};

static struct gfpu_check *gfpu_hammer_check, *gfpu_signal_check;

/*
 * riscv 6.12's rt_sigreturn copies the signal frame's F/D state into
 * thread.fstate while the handler's own registers are live and Dirty,
 * preemptible (restore_fp_state()): a context switch in between saves
 * the handler's registers over the copy, and those are what the task
 * gets back, all or part of them (the copy may be preempted midway).
 * A signal may be delivered at the return of any KVM_RUN.  A run that
 * the loop allows this for (@l->sigreturn_race) and whose first wrong
 * register holds a pattern of this thread's signal handler counts in
 * @l->sigreturn_lost instead of as a failure.
 */
static bool gfpu_sigreturn_lost(struct gfpu_loop *l, const uint64_t *out,
				unsigned long seed)
{
	uint64_t found;

	return l->sigreturn_race && gfpu_signal_check &&
	       gfpu_print_stranger(out, GFPU_HOLD_WORDS, GFPU_DOM_HOST, seed,
				   &found) == GFPU_DOM_SIGNAL &&
	       found < gfpu_signal_check->runs;
}

/**
 * gfpu_run_holding() - KVM_RUN from inside an asm block that holds a host
 * pattern in the vector registers (gfpu_regs.h) across the syscall; the
 * registers are compared afterwards, into @l->host. Retries on EINTR like
 * vcpu_run(), counting those in @l->eintr.
 * @l: the loop; for its run callback.
 */
void gfpu_run_holding(struct gfpu_loop *l)
{
	uint64_t in[GFPU_HOLD_WORDS], out[GFPU_HOLD_WORDS];
	struct gfpu_check *c = l->host;
	unsigned long seed;
	uint64_t bad;
	long ret;

	do {
		seed = c->runs + 1;
		gfpu_pattern_fill(in, GFPU_HOLD_WORDS, GFPU_DOM_HOST, seed);
		ret = gfpu_syscall_holding(__NR_ioctl, l->vcpu->fd, KVM_RUN, 0,
					   in, out);
		bad = gfpu_pattern_diff(out, GFPU_HOLD_REGS, GFPU_DOM_HOST, seed);
		if (bad && gfpu_sigreturn_lost(l, out, seed)) {
			l->sigreturn_lost++;
		} else {
			gfpu_check_record(c, seed, bad);
			if (c->fails == 1 && c->first_seed == seed)
				gfpu_print_stranger(out, GFPU_HOLD_WORDS,
						    GFPU_DOM_HOST, seed, NULL);
		}
		l->eintr += ret == -EINTR;
	} while (ret == -EINTR);

	TEST_ASSERT(!ret, "KVM_RUN failed: %ld (%s)", ret, strerror(-ret));
	assert_on_unhandled_exception(l->vcpu);
}

/* The vCPU exited with an OUT to @port (x86). */
bool gfpu_exit_io(struct kvm_vcpu *vcpu, uint16_t port)
{
	return vcpu->run->exit_reason == KVM_EXIT_IO &&
	       vcpu->run->io.port == port;
}

/**
 * gfpu_exit_mmio() - the vCPU exited with a 64-bit store to @gpa (arm64).
 * @vcpu: the vCPU.
 * @gpa: the exit page of gfpu_map_exit_page().
 * @val: the value stored, if not NULL.
 */
bool gfpu_exit_mmio(struct kvm_vcpu *vcpu, vm_paddr_t gpa, uint64_t *val)
{
	struct kvm_run *run = vcpu->run;

	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != gpa)
		return false;
	TEST_ASSERT(run->mmio.is_write && run->mmio.len == 8,
		    "unexpected access to the FP exit page");
	if (val)
		memcpy(val, run->mmio.data, sizeof(*val));
	return true;
}

/**
 * gfpu_bad_regs() - GET and SET each of @cases, which must fail with its
 * errno without writing the GET's buffer; each that does not is printed.
 * @vcpu: the vCPU.
 * @cases: the ids.
 * @n: how many.
 *
 * Return: how many GETs and SETs did not fail as they should.
 */
unsigned int gfpu_bad_regs(struct kvm_vcpu *vcpu,
			   const struct gfpu_bad_reg *cases, unsigned int n)
{
	const uint64_t poison = 0x5a5a5a5a5a5a5a5aull;
	unsigned int i, bad = 0;
	uint64_t buf[8];
	int r, e;

	for (i = 0; i < n; i++) {
		const struct gfpu_bad_reg *c = &cases[i];

		memset(buf, 0x5a, sizeof(buf));
		r = __vcpu_get_reg(vcpu, c->id, buf);
		e = errno;
		if (r != -1 || e != c->err || buf[0] != poison) {
			ksft_print_msg("GET %s: %d errno %d, want errno %d%s\n",
				       c->what, r, e, c->err,
				       buf[0] != poison ? ", buffer written" : "");
			bad++;
		}
		r = __vcpu_set_reg(vcpu, c->id, poison);
		e = errno;
		if (r != -1 || e != c->err) {
			ksft_print_msg("SET %s: %d errno %d, want errno %d\n",
				       c->what, r, e, c->err);
			bad++;
		}
	}
	return bad;
}

/* One KVM_RUN that must end in a store of @what to @gpa. */
void gfpu_run_expect_mmio(struct kvm_vcpu *vcpu, vm_paddr_t gpa, uint64_t what)
{
	uint64_t got;

	vcpu_run(vcpu);
	TEST_ASSERT(gfpu_exit_mmio(vcpu, gpa, &got), "unexpected exit %s",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT(got == what, "exit page store %lu, expected %lu",
		    (unsigned long)got, (unsigned long)what);
}

/**
 * gfpu_map_exit_page() - a page outside every memslot, mapped in the
 * guest: stores to it exit to userspace as MMIO.
 * @vm: the VM.
 * @gpa: its guest physical address.
 *
 * Return: its guest virtual address.
 */
vm_vaddr_t gfpu_map_exit_page(struct kvm_vm *vm, vm_paddr_t *gpa)
{
	vm_vaddr_t gva = vm_vaddr_unused_gap(vm, vm->page_size, KVM_UTIL_MIN_VADDR);
	struct userspace_mem_region *slot0 = memslot2region(vm, 0);

	/*
	 * The page right after memslot 0 is arm64's ucall page (riscv's
	 * ucall is an SBI call, and its ucall_mmio_addr stays 0): take the
	 * next one.
	 */
	*gpa = slot0->region.guest_phys_addr + slot0->region.memory_size +
	       vm->page_size;
	virt_map(vm, gva, *gpa, 1);
	return gva;
}

/* === fp_smoke ========================================================== */

/* The guest's verdict on the iteration it reports. */
static void gfpu_smoke_sync(struct gfpu_loop *l, struct ucall *uc)
{
	struct gfpu_smoke *s = l->data;

	gfpu_sync_record(uc, s->syncs,
			 s->syncs < s->iterations ? &s->guest : &s->held);
	s->migrations += gfpu_migrate_every(++s->syncs, s->migrate_every);
}

/* At a long-phase exit: @bad, what the uAPI read that differed. */
void gfpu_smoke_held(struct gfpu_smoke *s, uint64_t bad)
{
	gfpu_check_record(&s->held, s->held_exits, bad);
	s->migrations += gfpu_migrate_every(++s->held_exits, s->migrate_every);
}

/**
 * gfpu_smoke_exit() - fp_smoke's exits to @s->exit_gpa (@l->data is @s).
 * @l: the loop.
 *
 * At a short-phase exit of iteration i the uAPI must read the guest's
 * pattern i; at every @s->set_every-th it writes the host's pattern i,
 * which it must then read back. At a long-phase exit it must read the
 * long phase's pattern.
 *
 * Return: false for any other exit.
 */
bool gfpu_smoke_exit(struct gfpu_loop *l)
{
	struct gfpu_smoke *s = l->data;
	struct kvm_vcpu *vcpu = l->vcpu;
	unsigned long i = s->syncs;
	uint64_t what;

	if (!gfpu_exit_mmio(vcpu, s->exit_gpa, &what))
		return false;
	if (what == GFPU_EXIT_LONG) {
		gfpu_smoke_held(s, s->regs_diff(vcpu, GFPU_DOM_LONG, 0));
		return true;
	}
	TEST_ASSERT(what == GFPU_EXIT_SHORT, "FP exit %lu", (unsigned long)what);
	gfpu_check_record(&s->get, i, s->regs_diff(vcpu, GFPU_DOM_GUEST, i));
	if (i % s->set_every)
		return true;
	s->regs_set(vcpu, GFPU_DOM_HOST_SET, i);
	gfpu_check_record(&s->set, i, s->regs_diff(vcpu, GFPU_DOM_HOST_SET, i));
	return true;
}

/**
 * gfpu_smoke_run() - run fp_smoke's vCPU to its end, its KVM_RUNs holding
 * a host pattern, migrating the host thread; then read the framework's
 * counters while the VM lives.
 * @s: the checks and counts.
 * @vcpu: the vCPU.
 * @exit: the test's callback for its FP exits (struct gfpu_loop).
 * @hooks: filled in.
 */
void gfpu_smoke_run(struct gfpu_smoke *s, struct kvm_vcpu *vcpu,
		    bool (*exit)(struct gfpu_loop *l), struct gfpu_hooks *hooks)
{
	struct gfpu_loop loop = {
		.vcpu = vcpu,
		.exit = exit,
		.sync = gfpu_smoke_sync,
		.data = s,
		.host = &s->host,
	};

	ksft_print_msg("%u iterations, %u long exits, host thread on %d CPUs\n",
		       s->iterations, s->long_exits, gfpu_migrate_init());
	gfpu_run_loop(&loop);
	ksft_print_msg("%lu syncs, %lu long-phase exits, %lu migrations, %lu KVM_RUNs\n",
		       s->syncs, s->held_exits, s->migrations, s->host.runs);
	gfpu_hooks_read(vcpu, hooks);
}

/* === Kernel-mode FPU torture =========================================== */

static bool gfpu_torture_running;

/**
 * gfpu_torture_read() - the torture facility's counters.
 * @t: filled in; a counter the file lacks reads -1.
 *
 * Return: false when the file cannot be read or lacks a counter.
 */
bool gfpu_torture_read(struct gfpu_torture *t)
{
	char line[128], key[32];
	FILE *f;
	long val;

	t->period_us = -1;
	t->fires = -1;
	t->used = -1;
	f = fopen(GFPU_TORTURE_PATH, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %ld", key, &val) != 2)
			continue;
		if (!strcmp(key, "period_us"))
			t->period_us = val;
		else if (!strcmp(key, "fires"))
			t->fires = val;
		else if (!strcmp(key, "used"))
			t->used = val;
	}
	fclose(f);
	return t->period_us >= 0 && t->fires >= 0 && t->used >= 0;
}

/* At exit, whatever the way out: never leave the timers firing. */
static void gfpu_torture_at_exit(void)
{
	if (gfpu_torture_running)
		gfpu_torture_set(0);
}

/**
 * gfpu_torture_set() - start the torture timers with @period_us, or stop
 * them with 0. Once started, they are stopped at exit (failures
 * included) unless a stop succeeded.
 *
 * Return: 0, or a negative errno.
 */
int gfpu_torture_set(unsigned int period_us)
{
	static bool at_exit;
	char buf[16];
	int fd, len, ret;

	if (period_us && !at_exit)
		at_exit = !atexit(gfpu_torture_at_exit);
	if (period_us)
		gfpu_torture_running = true;
	fd = open(GFPU_TORTURE_PATH, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%u\n", period_us);
	ret = write(fd, buf, len) == len ? 0 : -errno;
	close(fd);
	if (!period_us && !ret)
		gfpu_torture_running = false;
	return ret;
}

/* === Preemption and signal contenders ================================== */

/* Load a pattern, give the CPU away, read it back: 0 if it survived. */
uint64_t gfpu_yield_holding(uint64_t dom, uint64_t seed)
{
	uint64_t in[GFPU_HOLD_WORDS], out[GFPU_HOLD_WORDS];

	gfpu_pattern_fill(in, GFPU_HOLD_WORDS, dom, seed);
	gfpu_syscall_holding(__NR_sched_yield, 0, 0, 0, in, out);
	return gfpu_pattern_diff(out, GFPU_HOLD_REGS, dom, seed);
}

/* A contender's round: gfpu_yield_holding(), or an arch's wider one. */
uint64_t (*gfpu_contend)(uint64_t dom, uint64_t seed) = gfpu_yield_holding;

static volatile sig_atomic_t gfpu_hammer_stopping;
static pthread_t gfpu_hammer_thread;
static timer_t gfpu_signal_timer;

static void *gfpu_hammer(void *arg)
{
	struct gfpu_check *c = arg;

	while (!gfpu_hammer_stopping)
		gfpu_check_record(c, c->runs,
				  gfpu_contend(GFPU_DOM_HAMMER, c->runs));
	return NULL;
}

/**
 * gfpu_hammer_start() - a thread that loads its own pattern, yields the
 * CPU and checks the pattern, over and over, into @c. It inherits the
 * caller's CPU affinity (gfpu_pin_first_cpu(): the same CPU).
 * @c: its check, until gfpu_hammer_stop() returns.
 */
void gfpu_hammer_start(struct gfpu_check *c)
{
	gfpu_hammer_check = c;
	TEST_ASSERT(!pthread_create(&gfpu_hammer_thread, NULL, gfpu_hammer, c),
		    "pthread_create");
}

void gfpu_hammer_stop(void)
{
	if (!gfpu_hammer_check)
		return;
	gfpu_hammer_stopping = 1;
	pthread_join(gfpu_hammer_thread, NULL);
	gfpu_hammer_check = NULL;
}

/* The handlers' timer: one shot, armed again by each handler at its end. */
static struct itimerspec gfpu_signal_next;
/* When gfpu_preempt_begin() started the hammer: gfpu_signals_start()'s pace. */
static struct timespec gfpu_preempt_start;

static void gfpu_on_sigusr1(int sig)
{
	struct gfpu_check *c = gfpu_signal_check;
	int saved_errno = errno;

	gfpu_check_record(c, c->runs, gfpu_contend(GFPU_DOM_SIGNAL, c->runs));
	/*
	 * A period from the end of this handler, not from its start: a
	 * handler slower than the period (a DEBUG=y kernel, a loaded
	 * host) must not leave the next one pending when the thread
	 * returns, or every KVM_RUN would end at once with EINTR and the
	 * guest never run again. After gfpu_signals_stop() this fails
	 * (EINVAL), which is what it should do then.
	 */
	timer_settime(gfpu_signal_timer, 0, &gfpu_signal_next, NULL);
	errno = saved_errno;
}

/**
 * gfpu_signals_start() - SIGUSR1 to the calling thread, a gap after the
 * start and then the same gap after each handler ends; the handler loads
 * its own pattern, yields and checks it, into @c.
 * @min_us: the shortest gap, below one second; times gfpu_timeout_scale().
 * @rounds: rounds of the caller's loop since gfpu_preempt_begin(), or 0.
 * @c: the handler's check, until gfpu_signals_stop() returns.
 *
 * The gap is @min_us, or a tenth of the mean time of those rounds where
 * that is longer. A round of these tests includes many exits to
 * userspace, so a tenth of one is longer than taking a signal and getting
 * back into the guest: however slow the kernel (lockdep, KASAN under TCG)
 * or the host, the guest still runs between the signals. With a fixed
 * gap, lockdep alone left arm64's fp_preempt no guest time at all.
 */
void gfpu_signals_start(unsigned int min_us, unsigned long rounds,
			struct gfpu_check *c)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	struct sigaction sa = { .sa_handler = gfpu_on_sigusr1 };
	unsigned long gap = min_us * gfpu_timeout_scale(), round_us = 0;
	struct timespec now;

	if (rounds) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		round_us = ((now.tv_sec - gfpu_preempt_start.tv_sec) * 1000000 +
			    (now.tv_nsec - gfpu_preempt_start.tv_nsec) / 1000) /
			   rounds;
		if (round_us / 10 > gap)
			gap = round_us / 10;
	}
	TEST_ASSERT(gap < 1000000, "signal gap %lu us", gap);
	ksft_print_msg("SIGUSR1 %lu us after each handler (at least %u us; %lu us a round so far)\n",
		       gap, min_us * gfpu_timeout_scale(), round_us);
	gfpu_signal_next.it_value.tv_nsec = gap * 1000;
	gfpu_signal_check = c;
	sev._sigev_un._tid = gettid();
	TEST_ASSERT(!sigaction(SIGUSR1, &sa, NULL), "sigaction");
	TEST_ASSERT(!timer_create(CLOCK_MONOTONIC, &sev, &gfpu_signal_timer),
		    "timer_create");
	TEST_ASSERT(!timer_settime(gfpu_signal_timer, 0, &gfpu_signal_next,
				   NULL),
		    "timer_settime");
}

void gfpu_signals_stop(void)
{
	if (gfpu_signal_check)
		timer_delete(gfpu_signal_timer);
}

/**
 * gfpu_preempt_begin() - pin the calling (vCPU) thread to its first CPU
 * and start the hammer there.
 * @hammer: the hammer's check.
 *
 * Return: the CPU.
 */
int gfpu_preempt_begin(struct gfpu_check *hammer)
{
	int cpu = gfpu_pin_first_cpu();

	clock_gettime(CLOCK_MONOTONIC, &gfpu_preempt_start);
	TEST_ASSERT(cpu >= 0, "cannot pin to a CPU");
	/* The hammer inherits the pinning: both threads share one CPU. */
	gfpu_hammer_start(hammer);
	return cpu;
}

/**
 * gfpu_preempt_end() - stop the signals and the hammer, print the vCPU's
 * gfpu counters.
 * @vcpu: the vCPU.
 *
 * Return: how often it was preempted inside KVM_RUN, -1 without the
 * framework.
 */
long gfpu_preempt_end(struct kvm_vcpu *vcpu)
{
	gfpu_signals_stop();
	gfpu_hammer_stop();
	gfpu_print_stats(vcpu);
	return gfpu_stat(vcpu, "preempted");
}

/* === tracefs =========================================================== */

uint64_t gfpu_rng;	/* the fuzzers' (gfpu_test.h) */

const char *gfpu_tracefs;

/**
 * gfpu_trace_find() - find tracefs, mounting it if it is not, into
 * gfpu_tracefs.
 *
 * Return: whether it has the gfpu events (false on the baseline kernel).
 */
bool gfpu_trace_find(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) && i == 0)
			mount("tracefs", dirs[0], "tracefs", 0, NULL);
		if (access(path, F_OK))
			continue;
		gfpu_tracefs = dirs[i];
		snprintf(path, sizeof(path), "%s/events/gfpu/enable", dirs[i]);
		return !access(path, W_OK);
	}
	return false;
}

/**
 * gfpu_trace_write() - write @val into the tracefs file @file.
 * @file: relative to gfpu_tracefs (gfpu_trace_find() first).
 * @val: what to write, truncating the file.
 *
 * Return: whether all of it was written.
 */
bool gfpu_trace_write(const char *file, const char *val)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", gfpu_tracefs, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (int)strlen(val);
}
