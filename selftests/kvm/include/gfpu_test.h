/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gfpu KVM selftests. Everything here that guest code
 * calls is static inline and uses no libc, so that it runs in the guest too.
 */
#ifndef SELFTEST_KVM_GFPU_TEST_H
#define SELFTEST_KVM_GFPU_TEST_H

#include <stdint.h>

/* Why a counter check skips: the baseline kernel has no gfpu stats. */
#define GFPU_NO_STATS	"no gfpu_* stats in KVM_GET_STATS_FD"

/* The framework's policy parameter, and its bits (include/gfpu/gfpu.h). */
#define GFPU_POLICY_PATH		"/sys/module/gfpu/parameters/policy"
#define GFPU_POLICY_LAZY_HOST		(1u << 0)	/* arm64 */
#define GFPU_POLICY_SWAP_LOADPUT	(1u << 1)	/* x86 */
#define GFPU_POLICY_REALLOC_CPUID	(1u << 2)	/* x86 */
#define GFPU_POLICY_SWAP_ENTRY		(1u << 4)	/* x86, arm64 */
#define GFPU_POLICY_KEEP_BOUND		(1u << 5)	/* arm64 */

/* Number of 64-bit words in the FP register file a test compares. */
#define GFPU_MAX_WORDS	64

/*
 * gfpu_pattern_word() - word @word of the register pattern for @seed.
 *
 * A mixing function (splitmix64 finaliser), so that every register of every
 * iteration holds a different, non-zero-looking value: a register restored
 * from the wrong iteration, the wrong vCPU or the host never matches.
 * Domains keep the users apart: guest and host patterns never collide.
 */
static inline uint64_t gfpu_pattern_word(uint64_t domain, uint64_t seed,
					 unsigned int word)
{
	uint64_t z = (domain << 48) ^ (seed << 8) ^ word;

	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

enum gfpu_domain {
	GFPU_DOM_GUEST = 1,	/* loaded by the guest itself */
	GFPU_DOM_HOST_SET,	/* written into the guest by the host */
	GFPU_DOM_HOST,		/* the host thread's own registers */
	GFPU_DOM_LONG,		/* held by the guest across many exits */
};

/*
 * Undo gfpu_pattern_word(): false if @v is no pattern word (a value
 * nobody loaded), else its domain, seed and word.  For saying whose
 * registers a context found in place of its own.
 */
static inline bool gfpu_pattern_decode(uint64_t v, uint64_t *domain,
				       uint64_t *seed, unsigned int *word)
{
	uint64_t z = v;

	z ^= (z >> 31) ^ (z >> 62);
	z *= 0x319642b2d24d8ec3ull;	/* inverse of 0x94d049bb133111eb */
	z ^= (z >> 27) ^ (z >> 54);
	z *= 0x96de1b173f119089ull;	/* inverse of 0xbf58476d1ce4e5b9 */
	z ^= (z >> 30) ^ (z >> 60);
	z -= 0x9e3779b97f4a7c15ull;
	*domain = z >> 48;
	*seed = (z >> 8) & ((1ull << 40) - 1);
	*word = z & 0xff;
	/* Every test's domains are small numbers (the library's go to 6). */
	return *domain >= GFPU_DOM_GUEST && *domain < 16 && *word < 64;
}

static inline void gfpu_pattern_fill(uint64_t *buf, unsigned int nwords,
				     uint64_t domain, uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < nwords; i++)
		buf[i] = gfpu_pattern_word(domain, seed, i);
}

/* Bit n set in the result: 128-bit register n differs from the pattern. */
static inline uint64_t gfpu_pattern_diff(const uint64_t *buf,
					 unsigned int nregs,
					 uint64_t domain, uint64_t seed)
{
	uint64_t bad = 0;
	unsigned int i;

	for (i = 0; i < nregs * 2; i++)
		if (buf[i] != gfpu_pattern_word(domain, seed, i))
			bad |= 1ull << (i / 2);
	return bad;
}

/* What an fp_smoke guest stores to its exit page: the phase it is in. */
#define GFPU_EXIT_SHORT	1	/* one exit per iteration's pattern */
#define GFPU_EXIT_LONG	2	/* one pattern held across many exits */

/* === Host only, lib/gfpu_util.c ========================================= */
#include <stdbool.h>
#include "kselftest.h"
#include "kvm_util.h"
#include "ucall_common.h"
#include <stdlib.h>

/*
 * Under the soak (common/soak.c) the policy changes while a test runs:
 * checks of what one policy moves do not apply and skip.
 */
static inline bool gfpu_soaking(void)
{
	return getenv("GFPU_SOAK") != NULL;
}

/*
 * A seeded xorshift64 for the fuzzers: the same sequence from the same
 * seed on every kernel.  gfpu_rnd_seed() first.
 */
extern uint64_t gfpu_rng;

static inline void gfpu_rnd_seed(uint64_t seed)
{
	gfpu_rng = seed | 1;
}

static inline uint64_t gfpu_rnd(void)
{
	gfpu_rng ^= gfpu_rng << 13;
	gfpu_rng ^= gfpu_rng >> 7;
	gfpu_rng ^= gfpu_rng << 17;
	return gfpu_rng;
}

/**
 * struct gfpu_fuzz_log - a uAPI fuzzer's record of its calls' outcomes
 * @arch: the name its lines carry.
 * @digest: FNV-1a over every call's letter so far.
 * @calls: calls recorded.
 * @n: letters in @line not printed yet.
 * @line: those letters.
 *
 * One letter a call ('a' taken, an errno's letter refused...), printed in
 * lines of 100 ("fuzz: <arch> calls <first>-<last>: <letters>") and then
 * the digest, so that kernel/check-kernel.sh can compare a framework
 * kernel's answers with the unmodified 6.12's, call by call.
 */
struct gfpu_fuzz_log {
	const char *arch;
	uint64_t digest;
	unsigned long calls;
	unsigned int n;
	char line[101];
};

void gfpu_fuzz_start(struct gfpu_fuzz_log *f, const char *arch);
void gfpu_fuzz_record(struct gfpu_fuzz_log *f, char t);
void gfpu_fuzz_flush(struct gfpu_fuzz_log *f);

/* True @pct percent of the time. */
static inline bool gfpu_chance(unsigned int pct)
{
	return gfpu_rnd() % 100 < pct;
}

/**
 * struct gfpu_check - one TAP result built from many comparisons
 * @name: the TAP description.
 * @legend: what the bits of a failure mask stand for, or NULL.
 * @runs: comparisons made.
 * @fails: comparisons that found a difference.
 * @first_seed: the pattern seed of the first difference.
 * @first_mask: which registers differed then (bit n: register n).
 */
struct gfpu_check {
	const char *name;
	const char *legend;
	unsigned long runs, fails;
	unsigned long first_seed;
	uint64_t first_mask;
};

/* Count one comparison; @bad: the registers that differed, 0 for none. */
static inline void gfpu_check_record(struct gfpu_check *c,
				     unsigned long seed, uint64_t bad)
{
	c->runs++;
	if (!bad)
		return;
	if (!c->fails++) {
		c->first_seed = seed;
		c->first_mask = bad;
	}
}

/*
 * The reporting helpers are inline: kselftest.h keeps its TAP counters
 * per compilation unit, so results must be counted in the test's own.
 */

/* Print @c's TAP result: it fails if it never ran or ever differed. */
static inline void gfpu_check_report(const struct gfpu_check *c)
{
	if (c->fails)
		ksft_print_msg("%s: %lu of %lu wrong, first at %lu, mask 0x%lx%s%s%s\n",
			       c->name, c->fails, c->runs, c->first_seed,
			       (unsigned long)c->first_mask,
			       c->legend ? " (" : "", c->legend ?: "",
			       c->legend ? ")" : "");
	ksft_test_result(c->runs && !c->fails, "%s (%lu checks)\n",
			 c->name, c->runs);
}

/* gfpu_check_report(), or where @have is false, a skip saying @why. */
static inline void gfpu_check_report_or_skip(const struct gfpu_check *c,
					     bool have, const char *why)
{
	if (have)
		gfpu_check_report(c);
	else
		ksft_test_result_skip("%s: %s\n", c->name, why);
}

/**
 * struct gfpu_counters - one vCPU's gfpu_* binary stats (KVM_GET_STATS_FD)
 * @policy: the policy bits the vCPU latched at its last KVM_RUN.
 * @fpu_saves, @fpu_restores, @fpu_bytes: not gfpu's: the transfers the
 *	FP save/restore primitives made while the vCPU was loaded, as the
 *	instrumentation (kernel/patches/6.12-count) counts them on the
 *	framework and the baseline kernel alike; zero where an arch does
 *	not count yet (all but x86).
 * The others: the counters of the same names; the hook counters from
 * @run_enter to @guest_regs in &enum gfpu_hook order, every field a long.
 */
struct gfpu_counters {
	long policy;
	long run_enter, load, guest_enter, lazy_trap, exit_sync, put, run_exit;
	long feature, get, set, guest_regs;
	long saves, restores, bytes, traps, reallocs, realloc_fails;
	long steals, preempted, kept;
	long fpu_saves, fpu_restores, fpu_bytes;
};

/**
 * struct gfpu_hooks - the framework's own count of what it did for vcpu0
 * @have: the vCPU has gfpu_* stats (not a baseline kernel).
 * @run_enter, @guest_enter, @exit_sync: the hook counters.
 */
struct gfpu_hooks {
	bool have;
	long run_enter, guest_enter, exit_sync;
};

/* "gfpu hooks ran": every one of @runs KVM_RUNs and every entry did. */
static inline void gfpu_hooks_report(const struct gfpu_hooks *h,
				     unsigned long runs)
{
	if (h->have)
		ksft_test_result(h->run_enter >= (long)runs &&
				 h->guest_enter >= (long)runs &&
				 h->exit_sync == h->guest_enter,
				 "gfpu hooks ran: run_enter %ld, guest_enter %ld, exit_sync %ld for %lu KVM_RUNs\n",
				 h->run_enter, h->guest_enter, h->exit_sync,
				 runs);
	else
		ksft_test_result_skip("gfpu hooks: %s (baseline kernel?)\n",
				      GFPU_NO_STATS);
}

/**
 * struct gfpu_loop - one vCPU, run until its GUEST_DONE
 * @vcpu: the vCPU.
 * @run: one KVM_RUN; NULL: gfpu_run_holding() where @host is set, else
 *	vcpu_run().
 * @exit: called at every exit that is not a ucall; false if it does not
 *	know the exit (which then fails the test).
 * @sync: called at every GUEST_SYNC.
 * @data: the test's, for the callbacks.
 * @host: if set, each KVM_RUN holds a host pattern in the vector
 *	registers (gfpu_run_holding()), checked into it.
 * @eintr: KVM_RUNs gfpu_run_holding() saw interrupted by a signal.
 * @sigreturn_race: the kernel's signal return can hand back the signal
 *	handler's registers (riscv 6.12; gfpu_util.c): such runs count in
 *	@sigreturn_lost, not in @host.
 * @sigreturn_lost: runs that hit it.
 *
 * GUEST_ASSERT failures are reported, any other exit or ucall fails.
 */
struct gfpu_loop {
	struct kvm_vcpu *vcpu;
	void (*run)(struct gfpu_loop *l);
	bool (*exit)(struct gfpu_loop *l);
	void (*sync)(struct gfpu_loop *l, struct ucall *uc);
	void *data;
	struct gfpu_check *host;
	unsigned long eintr;
	bool sigreturn_race;
	unsigned long sigreturn_lost;
};

void gfpu_run_loop(struct gfpu_loop *l);
void gfpu_sync_record(const struct ucall *uc, unsigned long n,
		      struct gfpu_check *c);
void gfpu_run_holding(struct gfpu_loop *l);
long gfpu_print_stranger(const uint64_t *buf, unsigned int nwords,
			 uint64_t domain, uint64_t seed, uint64_t *found_seed);
uint64_t gfpu_get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
uint64_t gfpu_run_to_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
bool gfpu_exit_io(struct kvm_vcpu *vcpu, uint16_t port);
bool gfpu_exit_mmio(struct kvm_vcpu *vcpu, vm_paddr_t gpa, uint64_t *val);
/* A ONE_REG id that GET and SET must both reject with @err. */
struct gfpu_bad_reg {
	const char *what;
	uint64_t id;
	int err;
};

unsigned int gfpu_bad_regs(struct kvm_vcpu *vcpu,
			   const struct gfpu_bad_reg *cases, unsigned int n);
void gfpu_run_expect_mmio(struct kvm_vcpu *vcpu, vm_paddr_t gpa,
			  uint64_t what);
vm_vaddr_t gfpu_map_exit_page(struct kvm_vm *vm, vm_paddr_t *gpa);

bool gfpu_print_stats(struct kvm_vcpu *vcpu);
long gfpu_stat(struct kvm_vcpu *vcpu, const char *field);
void gfpu_hooks_read(struct kvm_vcpu *vcpu, struct gfpu_hooks *h);
bool gfpu_counters_read(struct kvm_vcpu *vcpu, struct gfpu_counters *c);
void gfpu_counters_sub(struct gfpu_counters *d, const struct gfpu_counters *a,
		       const struct gfpu_counters *b);
long gfpu_policy_param(void);
unsigned int gfpu_timeout_scale(void);
bool gfpu_cmdline_has(const char *what);

int gfpu_migrate_init(void);
int gfpu_migrate(unsigned long iteration);
bool gfpu_migrate_every(unsigned long n, unsigned int every);
int gfpu_pin_first_cpu(void);

/**
 * struct gfpu_smoke - fp_smoke, the same on every architecture
 * @guest: the guest's verdicts on its registers after each short-phase exit.
 * @get: the uAPI's reads of the guest's live registers at those exits.
 * @set: the uAPI's writes reaching the guest's registers.
 * @held: one pattern held across the long phase: the uAPI's reads at each
 *	of its exits, and the guest's verdict at its end.
 * @host: the VMM's registers across KVM_RUN.
 * @iterations: short-phase iterations, one GUEST_SYNC each.
 * @long_exits: exits in the long phase.
 * @migrate_every: the host thread changes CPU every so many syncs and
 *	long-phase exits.
 * @set_every: gfpu_smoke_exit() writes the guest's registers at every so
 *	many short-phase exits.
 * @exit_gpa: the guest's exit page (gfpu_map_exit_page()).
 * @regs_diff: for gfpu_smoke_exit(): the guest's registers, read through
 *	the uAPI, against the pattern (@dom, @seed): those that differ.
 * @regs_set: for gfpu_smoke_exit(): write the pattern (@dom, @seed) into
 *	the guest's registers through the uAPI.
 * @syncs, @held_exits, @migrations: counted by the gfpu_smoke_*() helpers.
 */
struct gfpu_smoke {
	struct gfpu_check guest, get, set, held, host;
	unsigned int iterations, long_exits, migrate_every, set_every;
	vm_paddr_t exit_gpa;
	uint64_t (*regs_diff)(struct kvm_vcpu *vcpu, uint64_t dom,
			      uint64_t seed);
	void (*regs_set)(struct kvm_vcpu *vcpu, uint64_t dom, uint64_t seed);
	unsigned long syncs, held_exits, migrations;
};

void gfpu_smoke_held(struct gfpu_smoke *s, uint64_t bad);
bool gfpu_smoke_exit(struct gfpu_loop *l);
void gfpu_smoke_run(struct gfpu_smoke *s, struct kvm_vcpu *vcpu,
		    bool (*exit)(struct gfpu_loop *l), struct gfpu_hooks *hooks);

/* fp_smoke's results, in their TAP order. */
static inline void gfpu_smoke_report(const struct gfpu_smoke *s,
				     const struct gfpu_hooks *hooks)
{
	gfpu_check_report(&s->guest);
	gfpu_check_report(&s->get);
	gfpu_check_report(&s->set);
	gfpu_check_report(&s->held);
	gfpu_check_report(&s->host);
	gfpu_hooks_report(hooks, s->host.runs);
}

/* Kernel-mode FPU torture (CONFIG_GFPU_KFPU_TORTURE), both arches. */
#define GFPU_TORTURE_PATH	"/sys/kernel/debug/gfpu_kfpu_torture"

struct gfpu_torture {
	long period_us, fires, used;
};

bool gfpu_torture_read(struct gfpu_torture *t);
int gfpu_torture_set(unsigned int period_us);

/* tracefs (gfpu_util.c): where it is, and a write into one of its files. */
extern const char *gfpu_tracefs;
bool gfpu_trace_find(void);
bool gfpu_trace_write(const char *file, const char *val);

/*
 * Preemption and signal contenders on the vCPU thread's CPU. Each round
 * of theirs is gfpu_contend(): gfpu_yield_holding() (the registers of
 * gfpu_regs.h across sched_yield()) unless an architecture's lib part
 * points it at a wider one; it returns the registers that differed.
 */
uint64_t gfpu_yield_holding(uint64_t dom, uint64_t seed);
extern uint64_t (*gfpu_contend)(uint64_t dom, uint64_t seed);
void gfpu_hammer_start(struct gfpu_check *c);
void gfpu_hammer_stop(void);
void gfpu_signals_start(unsigned int min_us, unsigned long rounds,
			struct gfpu_check *c);
void gfpu_signals_stop(void);
int gfpu_preempt_begin(struct gfpu_check *hammer);
long gfpu_preempt_end(struct kvm_vcpu *vcpu);

/*
 * The results of a run under preemption and signals: the guest's, the
 * VMM's (@l->host), the contenders' registers, KVM_RUN interrupted by
 * signals, and @preempted (the framework's count, -1 without it).
 */
static inline void gfpu_preempt_report(const struct gfpu_loop *l,
				       const struct gfpu_check *guest,
				       const struct gfpu_check *hammer,
				       const struct gfpu_check *signal,
				       long preempted)
{
	ksft_print_msg("%lu KVM_RUNs, %lu interrupted by a signal, %lu signals, %lu hammer rounds\n",
		       l->host->runs, l->eintr, signal->runs, hammer->runs);
	gfpu_check_report(guest);
	gfpu_check_report(l->host);
	gfpu_check_report(hammer);
	gfpu_check_report(signal);
	/* Otherwise the run proved nothing about signals in KVM_RUN. */
	ksft_test_result(l->eintr > 0, "signals interrupted KVM_RUN (%lu times)\n",
			 l->eintr);
	/* A kernel bug outside KVM: said, and not hidden as a pass. */
	if (l->sigreturn_race && l->sigreturn_lost)
		ksft_test_result_skip("VMM registers: %lu runs were handed back a signal handler's by the kernel's rt_sigreturn race, not by KVM\n",
				      l->sigreturn_lost);
	else if (l->sigreturn_race)
		ksft_test_result_pass("VMM registers: no run hit the kernel's rt_sigreturn race\n");
	/* Only the framework counts it; without it this is not known. */
	if (preempted < 0)
		ksft_test_result_skip("preempted inside KVM_RUN: no gfpu counters\n");
	else
		ksft_test_result(preempted > 0,
				 "preempted inside KVM_RUN (%ld times)\n",
				 preempted);
}

#endif /* SELFTEST_KVM_GFPU_TEST_H */
