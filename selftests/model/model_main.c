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
#include "gfpu_core.h"

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

/*
 * gfpu_should_fail() (core/gfpu_kernel.c): fail_gfpu with every point
 * enabled and "times" set per point by the simulator (@mc.fail_point).
 */
bool gfpu_should_fail(enum gfpu_fail_point point, size_t size)
{
	if (!(mc.fail_point & BIT(point)))
		return false;
	mc.fail_point &= ~BIT(point);
	return true;
}

/*
 * gfpu_track_vcpu() (core/gfpu_kernel.c): the kernel lists vCPUs for
 * debugfs, the model has exactly one; a failed allocation of its list
 * node is -ENOMEM.
 */
int gfpu_track_vcpu(struct gfpu_vcpu *v)
{
	if (gfpu_should_fail(GFPU_FAIL_VCPU, 0))
		return -ENOMEM;
	return 0;
}

void gfpu_untrack_vcpu(struct gfpu_vcpu *v)
{
}

/*
 * gfpu_vcpu_init() as KVM_CREATE_VCPU calls it, first with fail_gfpu
 * failing the vCPU's listing: that must be -ENOMEM, fail nothing else,
 * and leave nothing a second, real attempt trips over (KVM frees the
 * vCPU and userspace may create it again).
 */
int model_vcpu_init(struct gfpu_vcpu *v, struct gfpu_stats *stats)
{
	int ret;

	mc.fail_point = BIT(GFPU_FAIL_VCPU);
	ret = gfpu_vcpu_init(v, stats);
	if (ret != -ENOMEM || mc.fail_point)
		model_fail("gfpu_vcpu_init() with its listing failed: %d", ret);
	return gfpu_vcpu_init(v, stats);
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
struct oracle_op {
	int cpu;		/* -1: sync point */
	enum model_ctx ctx;
	u64 bytes;
};
static struct oracle_op *oracle_log;
static int oracle_len, oracle_cap;
static bool oracle_on;

static void oracle_add(int cpu, enum model_ctx ctx, u64 bytes)
{
	if (!oracle_on)
		return;
	if (oracle_len == oracle_cap) {
		oracle_cap = oracle_cap ? 2 * oracle_cap : 4096;
		oracle_log = realloc(oracle_log,
				     oracle_cap * sizeof(*oracle_log));
		if (!oracle_log) {
			fprintf(stderr, "model: out of memory\n");
			exit(2);
		}
	}
	oracle_log[oracle_len++] = (struct oracle_op){ cpu, ctx, bytes };
}

void model_use(int cpu, enum model_ctx ctx, u64 bytes)
{
	oracle_add(cpu, ctx, bytes);
}

void model_sync(enum model_ctx ctx)
{
	oracle_add(-1, ctx, 0);
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
	int last[MODEL_NR_CTX];
	int i, c;

	/* Where each context is used for the last time: needed later? */
	for (c = 0; c < MODEL_NR_CTX; c++)
		last[c] = -1;
	for (i = 0; i < oracle_len; i++)
		last[oracle_log[i].ctx] = i;

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
		    slot[c] != CTX_KERN && last[slot[c]] >= i) {
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
	/* Long runs (walks, replays) keep the last events. */
	if (trace_len == (int)ARRAY_SIZE(trace)) {
		memmove(trace, trace + 1, sizeof(trace) - sizeof(trace[0]));
		trace_len--;
	}
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

/* === Replay of a kernel trace ========================================== */

/*
 * make compare's framework boots trace each one-vCPU scenario once
 * (selftests/kvm/bench/compare.c, replay_batch(), which documents the
 * tokens) and print it with the vCPU's gfpu stats over that batch.  The
 * replay runs the same events on the machine of those boots
 * (sim_replay_reset()) and must count what the kernel counted; the oracle
 * on the replay's FP uses is the lower bound for that run.
 */
struct replay {
	const char *first, *at;	/* the first token, the one being replayed */
	int cpu;		/* the kernel's CPU of the thread, -1 at first */
	bool run, ioctl, put;	/* R seen, L outside a run, P inside one */
	bool window, moved;	/* a sched_out put, and a CPU change since */
	char other;		/* U, u or 0: who ran in the window */
	unsigned long events;	/* model events replayed */
	bool lazy;		/* the guest's first FP use traps */
	u64 ks, kr;		/* w and z: what the kernel counted so far */
	const struct gfpu_stats *st;	/* the model's */
	struct gfpu_stats s0;	/* its stats before the replay */
	long diverged;		/* the token where the counts first differ */
};

static bool replay_ev(struct replay *r, const char *name)
{
	int e;

	for (e = 0; e < sim_nr_events; e++)
		if (!strcmp(sim_events[e].name, name))
			break;
	if (e == sim_nr_events) {
		model_fail("replay: %s has no event %s at '%.12s'", sim_arch,
			   name, r->at);
		return false;
	}
	if (!event_enabled(e, false)) {
		model_fail("replay: %s not possible here (phase %d) at '%.12s'",
			   name, mc.phase, r->at);
		return false;
	}
	step(e);
	r->events++;
	return !failed;
}

static const char *replay_preemption(const struct replay *r)
{
	if (r->moved)
		return "migrate";
	if (r->other == 'U')
		return "preempt";
	return r->other == 'u' ? "preempt_user" : "preempt_nofp";
}

static void replay_tokens(struct replay *r, const char *t, bool busy)
{
	char *end;
	int cpu;

	r->first = t;
	r->diverged = -1;
	/*
	 * Where the guest's FP use traps (T), that is where it used FP
	 * first; an entry without one did not (an interrupt's exit came
	 * first).  Elsewhere a busy guest uses FP at each entry.
	 */
	r->lazy = strchr(t, 'T');
	for (; *t && !failed; t++) {
		r->at = t;
		switch (*t) {
		case 'R':
			r->run = true;
			break;
		case 'L':
			if (r->run) {
				replay_ev(r, "u_run");
			} else if (mc.phase == PH_USER) {
				r->ioctl = true;
				sim_replay_ioctl(true);
				if (!failed)
					sim_check();
			} else {
				model_fail("replay: a load inside KVM_RUN");
			}
			r->run = false;
			break;
		case 'P':
			if (r->ioctl) {
				sim_replay_ioctl(false);
				if (!failed)
					sim_check();
			} else {
				r->put = true;
			}
			r->ioctl = false;
			break;
		case 'E':
			if (!r->put)
				model_fail("replay: run_exit without its put");
			else
				replay_ev(r, "k_exit_run");
			r->put = false;
			if (r->st && r->diverged < 0 &&
			    (r->st->saves - r->s0.saves != r->ks ||
			     r->st->restores - r->s0.restores != r->kr))
				r->diverged = t - r->first;
			break;
		case 'w':
			r->ks++;
			break;
		case 'z':
			r->kr++;
			break;
		case 'G':
			if (replay_ev(r, "k_enter") && busy && !r->lazy)
				replay_ev(r, "g_fp");
			break;
		case 'T':
			replay_ev(r, "g_fp");
			break;
		case 'X':
			/* Unless the trap's hand-back already exited. */
			if (mc.phase == PH_GUEST)
				replay_ev(r, "g_exit");
			break;
		case 'p':
		case 'y':
			if (*t == 'y')
				sim_replay_syscall();
			r->window = true;
			r->moved = false;
			r->other = 0;
			break;
		case 'l':
		case 'Y':
			if (!r->window)
				model_fail("replay: back on a CPU, never off it");
			else
				replay_ev(r, replay_preemption(r));
			r->window = false;
			break;
		case 'U':
		case 'u':
			r->other = *t;
			break;
		case '/':
			cpu = strtol(t + 1, &end, 10);
			t = end - 1;
			if (cpu >= MODEL_NR_CPUS) {
				model_fail("replay: CPU %d, the model has %d",
					   cpu, MODEL_NR_CPUS);
			} else if (r->cpu >= 0 && cpu != r->cpu) {
				if (r->window)
					r->moved = true;
				else
					replay_ev(r, "migrate");
			}
			r->cpu = cpu;
			break;
		case 'k':
			sim_replay_syscall();
			replay_ev(r, "softirq");
			break;
		case 'K':
			replay_ev(r, "softirq");
			break;
		case 'S':
			replay_ev(r, "u_signal");
			break;
		case 'V':
			replay_ev(r, "u_fp");
			break;
		default:
			model_fail("replay: unknown token '%c'", *t);
		}
	}
}

/* The value of "key=" in @line, or NULL. */
static const char *kv(const char *line, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = line; (p = strstr(p, key)); p++)
		if ((p == line || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
	return NULL;
}

static long long kv_num(const char *line, const char *key)
{
	const char *v = kv(line, key);

	return v ? strtoll(v, NULL, 0) : -1;
}

/*
 * One replay line.  Prints, for scripts/compare.sh:
 *   replay: scenario=S policy=P agree=0|1 kernel=s/r/b/t model=s/r/b/t oracle=s/r/b
 * and a TAP result.  Bytes count where the model's machine has the
 * kernel's sizes (arm64, riscv); on x86 the simulated host has AVX-512
 * and AMX, so the VMM's image is larger than the kernel's.
 */
static void replay_line(char *line)
{
	struct replay r = { .cpu = -1 };
	const char *sc = kv(line, "scenario"), *tok = kv(line, "events");
	char name[64] = "?";
	long long policy = kv_num(line, "policy"), busy = kv_num(line, "busy");
	long long ks = kv_num(line, "saves"), kr = kv_num(line, "restores");
	long long kb = kv_num(line, "bytes"), kt = kv_num(line, "traps");
	long long lost = kv_num(line, "lost"), async = kv_num(line, "async");
	struct gfpu_stats s0, s1;
	struct oracle_cost o;
	bool bytes, ok;
	char *nl = strchr(line, '\n');

	if (nl)
		*nl = 0;
	if (sc)
		sscanf(sc, "%63s", name);
	if (!tok || policy < 0 || busy < 0 || ks < 0 || lost < 0) {
		tap(false, "replay %s: not a replay line", name);
		return;
	}
	if (lost) {
		tap(false, "replay %s policy %lld: the trace lost %lld events",
		    name, policy, lost);
		return;
	}
	failed = false;
	trace_len = 0;
	sim_replay_reset(policy);
	/* The kernel's batch comes after others: one run warms up. */
	if (!failed)
		replay_tokens(&r, "RLGXPE", busy);
	s0 = *sim_vcpu()->stats;
	mc.saves = mc.restores = mc.bytes = 0;
	oracle_len = 0;
	oracle_on = true;
	r = (struct replay){ .cpu = -1, .st = sim_vcpu()->stats, .s0 = s0 };
	replay_tokens(&r, tok, busy);
	oracle_on = false;
	if (failed) {
		print_trace_last("replay failed", 16);
		tap(false, "replay %s policy %lld: %s", name, policy, fail_msg);
		printf("replay: scenario=%s policy=%lld async=%d agree=0\n",
		       name, policy, async > 0);
		return;
	}
	s1 = *sim_vcpu()->stats;
	o = oracle_run();
	bytes = strcmp(sim_arch, "x86");
	ok = (long long)(s1.saves - s0.saves) == ks &&
	     (long long)(s1.restores - s0.restores) == kr &&
	     (long long)(s1.traps - s0.traps) == kt &&
	     (!bytes || (long long)(s1.bytes - s0.bytes) == kb);
	/*
	 * kernel and model: what was charged to the vCPU (loaded); all:
	 * every transfer the replay made, by anyone (the host's reloads on
	 * the way to userspace too), which is what the oracle bounds.
	 */
	printf("replay: scenario=%s policy=%lld async=%d agree=%d kernel=%lld/%lld/%lld/%lld model=%llu/%llu/%llu/%llu all=%llu/%llu/%llu oracle=%llu/%llu/%llu\n",
	       name, policy, async > 0, ok, ks, kr, kb, kt,
	       (unsigned long long)(s1.saves - s0.saves),
	       (unsigned long long)(s1.restores - s0.restores),
	       (unsigned long long)(s1.bytes - s0.bytes),
	       (unsigned long long)(s1.traps - s0.traps),
	       (unsigned long long)mc.saves, (unsigned long long)mc.restores,
	       (unsigned long long)mc.bytes,
	       (unsigned long long)o.saves, (unsigned long long)o.restores,
	       (unsigned long long)o.bytes);
	if (r.diverged >= 0)
		printf("#   the counts first differ at the run ending at token %ld: ...%.60s\n",
		       r.diverged, tok + (r.diverged > 60 ? r.diverged - 60 : 0));
	/* No design beats the offline optimum on the same uses. */
	if (mc.saves + mc.restores < o.saves + o.restores) {
		tap(false, "replay %s policy %lld: the design beat the oracle: counting is wrong",
		    name, policy);
		return;
	}
	/* Asynchronous scenarios are reported, not held to agreement. */
	tap(ok || async > 0, "replay %s policy %lld: %s the kernel's saves, restores%s and traps (%lu events)%s",
	    name, policy, ok ? "reproduces" : "differs from",
	    bytes ? ", bytes" : "", r.events,
	    async > 0 ? ", asynchronous" : "");
}

static int replay_file(const char *path)
{
	size_t cap = 0;
	char *line = NULL;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return 2;
	}
	printf("TAP version 13\n");
	printf("# gfpu model, arch %s: replay of %s\n", sim_arch, path);
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, "compare: replay scenario=") &&
		    kv(line, "events"))
			replay_line(strstr(line, "compare: replay"));
	fclose(f);
	free(line);
	printf("1..%d\n", n_test);
	printf("# %s: %d passed, %d failed\n", sim_arch, n_pass, n_fail);
	return n_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	int depth = 7, full_depth = 5, i;
	u64 steps = 1000000, seed = 0x5eed;
	const char *replay = NULL;

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
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			replay = argv[++i];
		else {
			fprintf(stderr, "usage: %s [-d core-depth] [-f full-depth] [-n walk-steps] [-s seed] [-v] [-x] [-r compare-log]\n",
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
	if (replay)
		return replay_file(replay);

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
