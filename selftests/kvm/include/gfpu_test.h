/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gfpu KVM selftests. Everything here that guest code
 * calls is static inline and uses no libc, so that it runs in the guest too.
 */
#ifndef SELFTEST_KVM_GFPU_TEST_H
#define SELFTEST_KVM_GFPU_TEST_H

#include <stdint.h>

/* The framework's counters; absent on a baseline kernel. */
#define GFPU_STATS_PATH	"/sys/kernel/debug/gfpu/stats"

/* The framework's policy parameter, and its bits (include/gfpu/gfpu.h). */
#define GFPU_POLICY_PATH		"/sys/module/gfpu/parameters/policy"
#define GFPU_POLICY_LAZY_HOST		(1u << 0)	/* arm64 */
#define GFPU_POLICY_SWAP_LOADPUT	(1u << 1)	/* x86 */
#define GFPU_POLICY_REALLOC_CPUID	(1u << 2)	/* x86 */

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

enum gfpu_domain {
	GFPU_DOM_GUEST = 1,	/* loaded by the guest itself */
	GFPU_DOM_HOST_SET,	/* written into the guest by the host */
	GFPU_DOM_HOST,		/* the host thread's own registers */
	GFPU_DOM_LONG,		/* held by the guest across many exits */
};

/* Host only, lib/gfpu_util.c */
#include <stdbool.h>
#include "kselftest.h"

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

/*
 * Count one comparison; @bad: the registers that differed, 0 for none.
 * These two are inline: kselftest.h keeps its TAP counters per
 * compilation unit, so results must be counted in the test's own.
 */
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

/**
 * struct gfpu_counters - one vCPU's line of the framework's counters
 * @policy: the policy bits the vCPU latched at its last KVM_RUN.
 * The others: the hook and event counters of the same names.
 */
struct gfpu_counters {
	long policy;
	long run_enter, load, guest_enter, lazy_trap, exit_sync, put;
	long feature, get, set;
	long saves, restores, traps, preempted;
};

bool gfpu_print_stats(void);
long gfpu_stat(const char *row, const char *field);
bool gfpu_counters_read(const char *row, struct gfpu_counters *c);
void gfpu_counters_sub(struct gfpu_counters *d, const struct gfpu_counters *a,
		       const struct gfpu_counters *b);
long gfpu_policy_param(void);
int gfpu_migrate_init(void);
int gfpu_migrate(unsigned long iteration);
int gfpu_pin_first_cpu(void);

#endif /* SELFTEST_KVM_GFPU_TEST_H */
