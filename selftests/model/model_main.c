// SPDX-License-Identifier: GPL-2.0
/*
 * The model's driver: exhaustive exploration of every event sequence up to
 * a depth, seeded random walks and the design/oracle accounting table.
 * Prints kselftest-style TAP.  Mutation testing builds mutated copies of
 * the tree and runs this driver on them (selftests/mutants/).
 *
 * The whole simulated machine (struct model_common, the arch simulator's
 * state and the core's per-CPU data) lives at fixed addresses; a snapshot
 * is a byte copy of those regions, so depth-first search restores a node
 * with memcpy() and pointers inside the machine stay valid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "model.h"

struct model_common mc;

static bool failed;
static char fail_msg[512];
static int trace[MODEL_MAX_DEPTH * 4];
static int trace_len;
static bool verbose;

/* === The shim's hooks into the machine ================================= */

int model_this_cpu(void)
{
	return mc.cur_cpu;
}

bool model_irqs_disabled(void)
{
	return mc.irq_off[mc.cur_cpu] > 0;
}

bool model_preemptible(void)
{
	return !mc.irq_off[mc.cur_cpu] && !mc.preempt[mc.cur_cpu];
}

void model_preempt_disable(void)
{
	mc.preempt[mc.cur_cpu]++;
}

void model_preempt_enable(void)
{
	if (--mc.preempt[mc.cur_cpu] < 0)
		model_fail("preempt count underflow");
}

void *model_zalloc(size_t size)
{
	int i;

	if (size > MODEL_SLOT_SIZE) {
		model_fail("allocation of %zu bytes exceeds the arena slot", size);
		return NULL;
	}
	if (mc.fail_alloc) {
		mc.fail_alloc = false;
		return NULL;
	}
	for (i = 0; i < MODEL_ARENA_SLOTS; i++) {
		if (!mc.slot_used[i]) {
			mc.slot_used[i] = true;
			memset(mc.arena[i], 0, MODEL_SLOT_SIZE);
			return mc.arena[i];
		}
	}
	model_fail("arena exhausted (leak?)");
	return NULL;
}

void model_free(void *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < MODEL_ARENA_SLOTS; i++) {
		if (p == mc.arena[i]) {
			if (!mc.slot_used[i])
				model_fail("double free");
			mc.slot_used[i] = false;
			/* Poison, so a use after free shows as garbage. */
			memset(mc.arena[i], 0x6b, MODEL_SLOT_SIZE);
			return;
		}
	}
	model_fail("free of a pointer the arena never gave out");
}

bool model_warn(bool cond, const char *what, const char *file, int line)
{
	if (cond)
		model_fail("WARN_ON(%s) at %s:%d", what, file, line);
	return cond;
}

/* The kernel lists vCPUs for debugfs; the model has exactly one. */
int gfpu_track_vcpu(struct gfpu_vcpu *v)
{
	return 0;
}

void gfpu_untrack_vcpu(struct gfpu_vcpu *v)
{
}

/* === Failures, patterns, counters ====================================== */

void model_fail(const char *fmt, ...)
{
	va_list ap;

	if (failed)
		return;
	failed = true;
	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
}

bool model_failed(void)
{
	return failed;
}

void model_note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	printf("#   ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

u64 model_pattern(enum model_ctx ctx)
{
	return PAT(ctx, ++mc.seq);
}

void model_count(bool save, u64 bytes)
{
	if (save)
		mc.saves++;
	else
		mc.restores++;
	mc.bytes += bytes;
}

void model_prim_check(const struct gfpu_stats *s, const struct model_prim *p)
{
	if (s->saves != p->saves || s->restores != p->restores ||
	    s->bytes != p->bytes)
		model_fail("gfpu counted %llu saves, %llu restores, %llu bytes; the primitives made %llu, %llu, %llu",
			   (unsigned long long)s->saves,
			   (unsigned long long)s->restores,
			   (unsigned long long)s->bytes,
			   (unsigned long long)p->saves,
			   (unsigned long long)p->restores,
			   (unsigned long long)p->bytes);
}

/* === Offline oracle ==================================================== */

/*
 * While the accounting table is being made, the simulators log every FP
 * use and every point where a context's state must be in memory.  The
 * oracle replays the log knowing the future: one register file per CPU,
 * a context is restored when it is used and not resident, and an evicted
 * dirty context is saved only if it is needed again.
 */
#define ORACLE_MAX 4096
struct oracle_op {
	int cpu;		/* -1: sync point */
	enum model_ctx ctx;
	u64 bytes;
};
static struct oracle_op oracle_log[ORACLE_MAX];
static int oracle_len;
static bool oracle_on;

void model_use(int cpu, enum model_ctx ctx, u64 bytes)
{
	if (oracle_on && oracle_len < ORACLE_MAX)
		oracle_log[oracle_len++] = (struct oracle_op){ cpu, ctx, bytes };
}

void model_sync(enum model_ctx ctx)
{
	if (oracle_on && oracle_len < ORACLE_MAX)
		oracle_log[oracle_len++] = (struct oracle_op){ -1, ctx, 0 };
}

static bool oracle_needed_later(int from, enum model_ctx ctx)
{
	int i;

	for (i = from; i < oracle_len; i++)
		if (oracle_log[i].ctx == ctx)
			return true;
	return false;
}

struct oracle_cost {
	u64 saves, restores, bytes;
};

static struct oracle_cost oracle_run(void)
{
	struct oracle_cost cost = { 0 };
	/* At the start each CPU holds its current task's unsaved state. */
	enum model_ctx slot[MODEL_NR_CPUS] = { CTX_VMM, CTX_OTHER1 };
	bool dirty[MODEL_NR_CPUS] = { true, true };
	u64 size[MODEL_NR_CTX] = { 0 };
	int i, c;

	for (i = 0; i < oracle_len; i++) {
		struct oracle_op *op = &oracle_log[i];

		if (op->cpu < 0) {
			for (c = 0; c < MODEL_NR_CPUS; c++) {
				if (slot[c] == op->ctx && dirty[c]) {
					cost.saves++;
					cost.bytes += size[op->ctx];
					dirty[c] = false;
				}
			}
			continue;
		}
		size[op->ctx] = op->bytes;
		if (slot[op->cpu] == op->ctx) {
			dirty[op->cpu] = true;
			continue;
		}
		/* Resident elsewhere: move it (save there, restore here). */
		for (c = 0; c < MODEL_NR_CPUS; c++) {
			if (slot[c] == op->ctx) {
				if (dirty[c]) {
					cost.saves++;
					cost.bytes += size[op->ctx];
				}
				slot[c] = CTX_INIT;
				dirty[c] = false;
			}
		}
		c = op->cpu;
		if (slot[c] != CTX_INIT && dirty[c] &&
		    slot[c] != CTX_KERN && oracle_needed_later(i, slot[c])) {
			cost.saves++;
			cost.bytes += size[slot[c]];
		}
		/* Kernel-mode FP starts from scratch: nothing to restore. */
		if (op->ctx != CTX_KERN) {
			cost.restores++;
			cost.bytes += op->bytes;
		}
		slot[c] = op->ctx;
		dirty[c] = true;
	}
	return cost;
}

/* === Snapshots and stepping ============================================ */

static size_t snap_size;

static void snap_save(u8 *buf)
{
	int i;

	memcpy(buf, &mc, sizeof(mc));
	buf += sizeof(mc);
	for (i = 0; i < sim_nr_regions; i++) {
		memcpy(buf, sim_regions[i].ptr, sim_regions[i].size);
		buf += sim_regions[i].size;
	}
}

static void snap_load(const u8 *buf)
{
	int i;

	memcpy(&mc, buf, sizeof(mc));
	buf += sizeof(mc);
	for (i = 0; i < sim_nr_regions; i++) {
		memcpy(sim_regions[i].ptr, buf, sim_regions[i].size);
		buf += sim_regions[i].size;
	}
}

static bool event_enabled(int e, bool core)
{
	const struct model_event *ev = &sim_events[e];

	if (core && !(ev->flags & EV_CORE))
		return false;
	if (!(ev->phases & PH(mc.phase)))
		return false;
	return !ev->enabled || ev->enabled();
}

static void step(int e)
{
	if (trace_len < (int)ARRAY_SIZE(trace))
		trace[trace_len++] = e;
	sim_events[e].apply();
	if (!failed)
		sim_check();
}

static int event_by_name(const char *name)
{
	int e;

	for (e = 0; e < sim_nr_events; e++)
		if (!strcmp(sim_events[e].name, name))
			return e;
	fprintf(stderr, "model: no event '%s'\n", name);
	exit(2);
}

/* The failing sequence, last @max events of it, for a person to replay. */
static void print_trace_last(const char *what, int max)
{
	int i, from = trace_len > max ? trace_len - max : 0;

	printf("#   %s: %s\n", what, fail_msg);
	printf("#   trace (%d events%s):", trace_len,
	       from ? ", the last ones" : "");
	for (i = from; i < trace_len; i++)
		printf("%s%s", (i - from) % 8 ? " " : "\n#     ",
		       sim_events[trace[i]].name);
	printf("\n");
}

static void print_trace(const char *what)
{
	print_trace_last(what, ARRAY_SIZE(trace));
}

/* Check that everything every context owns can still be read back. */
static void drain_check(u8 *scratch)
{
	snap_save(scratch);
	sim_drain();
	snap_load(scratch);
}

/* === Exhaustive exploration ============================================ */

struct dfs {
	int depth;
	u64 sequences;		/* all sequences of length <= depth */
	u64 full;		/* of length exactly depth */
	u8 *snaps;
	bool core;		/* only the core alphabet */
};

static bool dfs(struct dfs *d, int level)
{
	u8 *here = d->snaps + (size_t)level * snap_size;
	u8 *scratch = d->snaps + (size_t)(d->depth + 1) * snap_size;
	int e;

	d->sequences++;
	drain_check(scratch);
	if (failed) {
		printf("#   failed after draining the sequence below\n");
		return false;
	}
	if (level == d->depth) {
		d->full++;
		return true;
	}
	snap_save(here);
	for (e = 0; e < sim_nr_events; e++) {
		if (!event_enabled(e, d->core))
			continue;
		step(e);
		if (failed)
			return false;
		if (!dfs(d, level + 1))
			return false;
		snap_load(here);
		trace_len = level;
	}
	return true;
}

static bool explore(unsigned int policy, int depth, bool core, u64 *seqs,
		    u64 *full)
{
	struct dfs d = { .depth = depth, .core = core };
	bool ok;

	d.snaps = calloc(depth + 2, snap_size);
	failed = false;
	trace_len = 0;
	sim_reset(policy);
	ok = !failed && dfs(&d, 0);
	*seqs = d.sequences;
	*full = d.full;
	free(d.snaps);
	return ok;
}

/* === Random walks ====================================================== */

static u64 rng_state;

static u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define WALK_RESET	2000	/* steps between fresh machines */
#define WALK_DRAIN	16	/* steps between drain checks */

static bool walk(unsigned int policy, u64 seed, u64 steps)
{
	u8 *scratch = malloc(snap_size);
	int enabled[64];
	u64 i;

	rng_state = seed ? seed : 1;
	failed = false;
	for (i = 0; i < steps && !failed; i++) {
		int n = 0, e;

		if (i % WALK_RESET == 0) {
			sim_reset(policy);
			trace_len = 0;
		}
		for (e = 0; e < sim_nr_events; e++)
			if (event_enabled(e, false))
				enabled[n++] = e;
		if (!n) {
			model_fail("no event enabled (deadlock)");
			break;
		}
		if (trace_len == (int)ARRAY_SIZE(trace)) {
			memmove(trace, trace + 1, sizeof(trace) - sizeof(trace[0]));
			trace_len--;
		}
		step(enabled[rng() % n]);
		if (!failed && i % WALK_DRAIN == 0)
			drain_check(scratch);
	}
	free(scratch);
	return !failed;
}

/* === Accounting ======================================================== */

static void run_scenario(const struct model_scenario *s, unsigned int policy)
{
	const char *const *p;
	int r;

	failed = false;
	trace_len = 0;
	sim_reset(policy);
	mc.saves = mc.restores = mc.bytes = 0;
	oracle_len = 0;
	oracle_on = true;
	for (p = s->steps; *p && !failed; p++) {
		const char *const *body;

		if (strcmp(*p, "["))  {
			step(event_by_name(*p));
			continue;
		}
		body = ++p;
		for (r = 0; r < s->repeat && !failed; r++)
			for (p = body; strcmp(*p, "]") && !failed; p++)
				step(event_by_name(*p));
		while (strcmp(*p, "]"))
			p++;
	}
	oracle_on = false;
}

/* === TAP =============================================================== */

static int n_pass, n_fail, n_test;
static bool stop_first;		/* -x: the first failure ends the run */

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_test++;
	if (ok)
		n_pass++;
	else
		n_fail++;
	printf("%s %d - %s: ", ok ? "ok" : "not ok", n_test, sim_arch);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok && stop_first) {
		printf("# %s: stopped at the first failure (-x)\n", sim_arch);
		exit(1);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run_explore(int depth, bool core)
{
	int p, e, n = 0;

	for (e = 0; e < sim_nr_events; e++)
		n += !core || (sim_events[e].flags & EV_CORE);
	for (p = 0; p < sim_nr_policies; p++) {
		double t = now();
		u64 seqs, full;
		bool ok = explore(sim_policies[p].bits, depth, core, &seqs, &full);

		if (!ok)
			print_trace("violation");
		tap(ok, "exhaustive %s, %s alphabet (%d events), depth %d: %llu sequences (%llu of length %d), %.1fs",
		    sim_policies[p].name, core ? "core" : "full", n, depth,
		    (unsigned long long)seqs, (unsigned long long)full, depth,
		    now() - t);
	}
}

static void run_walks(u64 seed, u64 steps)
{
	int p;

	for (p = 0; p < sim_nr_policies; p++) {
		u64 s = seed + p;
		double t = now();
		bool ok = walk(sim_policies[p].bits, s, steps);

		if (!ok)
			print_trace("violation");
		if (!ok)
			printf("#   replay: %s -s %llu -n %llu\n", sim_arch,
			       (unsigned long long)s, (unsigned long long)steps);
		tap(ok, "random walk %s: %llu steps, seed %llu, %.1fs",
		    sim_policies[p].name, (unsigned long long)steps,
		    (unsigned long long)s, now() - t);
	}
}

static void run_accounting(void)
{
	bool ok = true;
	int s, p;

	printf("# design/oracle table (%s): transfers and KiB moved\n", sim_arch);
	printf("#   %-34s %-16s %6s %6s %8s | %6s %6s %8s\n", "scenario",
	       "design", "saves", "rests", "KiB", "o.sav", "o.rst", "o.KiB");
	for (s = 0; s < sim_nr_scenarios; s++) {
		for (p = 0; p < sim_nr_policies; p++) {
			struct oracle_cost o;

			run_scenario(&sim_scenarios[s], sim_policies[p].bits);
			if (failed) {
				print_trace("scenario failed");
				ok = false;
				continue;
			}
			o = oracle_run();
			printf("#   %-34s %-16s %6llu %6llu %8.1f | %6llu %6llu %8.1f\n",
			       sim_scenarios[s].name, sim_policies[p].name,
			       (unsigned long long)mc.saves,
			       (unsigned long long)mc.restores, mc.bytes / 1024.0,
			       (unsigned long long)o.saves,
			       (unsigned long long)o.restores, o.bytes / 1024.0);
			/* No design can beat the offline optimum. */
			if (mc.saves + mc.restores < o.saves + o.restores) {
				printf("#   design beat the oracle: counting is wrong\n");
				ok = false;
			}
		}
	}
	tap(ok, "accounting: %d scenarios x %d designs, none below the oracle",
	    sim_nr_scenarios, sim_nr_policies);
}

int main(int argc, char **argv)
{
	int depth = 7, full_depth = 5, i;
	u64 steps = 1000000, seed = 0x5eed;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			depth = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-f") && i + 1 < argc)
			full_depth = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			steps = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-x"))
			stop_first = true;
		else {
			fprintf(stderr, "usage: %s [-d core-depth] [-f full-depth] [-n walk-steps] [-s seed] [-v] [-x]\n",
				argv[0]);
			return 2;
		}
	}
	if (depth < 1 || depth >= MODEL_MAX_DEPTH || full_depth < 1 ||
	    full_depth >= MODEL_MAX_DEPTH) {
		fprintf(stderr, "depth must be 1..%d\n", MODEL_MAX_DEPTH - 1);
		return 2;
	}
	snap_size = sizeof(mc);
	for (i = 0; i < sim_nr_regions; i++)
		snap_size += sim_regions[i].size;

	printf("TAP version 13\n");
	printf("# gfpu model, arch %s: depth %d (core alphabet), %d (full), %llu walk steps per policy, seed %llu\n",
	       sim_arch, depth, full_depth, (unsigned long long)steps,
	       (unsigned long long)seed);
	run_explore(depth, true);
	run_explore(full_depth, false);
	run_walks(seed, steps);
	run_accounting();
	printf("1..%d\n", n_test);
	printf("# %s: %d passed, %d failed\n", sim_arch, n_pass, n_fail);
	return n_fail ? 1 : 0;
}
