// SPDX-License-Identifier: GPL-2.0
/*
 * trace_stats - the framework's tracepoints and its binary stats tell the
 * same story.
 *
 * With the gfpu trace events enabled (tracefs), one vCPU makes ROUNDS
 * exits to userspace (GUEST_SYNC), writing an FP register before each,
 * so that every design makes the guest's state live (arm64: a lazy trap
 * per run).  Then:
 *
 *  - every hook's gfpu_hook events equal the growth of its
 *    gfpu_hook_<name> stat, and each carries the latched policy;
 *  - the gfpu_xfer events sum to the growth of gfpu_saves,
 *    gfpu_restores and gfpu_bytes;
 *  - the gfpu_owner events form one chain per CPU: each change starts
 *    from the owner the previous one on that CPU left;
 *  - the ring buffer lost nothing (else the counts prove nothing).
 *
 * What it catches: a hook that counts without tracing or the reverse, a
 * transfer counted but not traced, a stats descriptor pointing at the
 * wrong counter, an ownership change that bypasses gfpu_set_owner().
 * Skips on a kernel without tracefs or without the gfpu events (the
 * baseline).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "gfpu_test.h"
#include "gfpu_regs.h"

#define ROUNDS		500
#define NR_CPUS_MAX	64
#define BUF_KB		"4096"

static const char *const hooks[] = {
	"run_enter", "load", "guest_enter", "lazy_trap", "exit_sync",
	"put", "run_exit", "feature", "get", "set", "guest_regs",
};

struct trace_counts {
	long hook[ARRAY_SIZE(hooks)];
	long saves, restores, bytes;
	long owner_changes, owner_breaks, policy_bad;
	long lines, lost;
};

static void guest_code(void)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		gfpu_guest_fp_touch(i);
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

static int hook_index(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		if (!strcmp(hooks[i], name))
			return i;
	return -1;
}

/* One event line: "task-pid [cpu] flags ts: gfpu_<event>: <fields>". */
static void trace_line(const char *line, long policy, struct trace_counts *t,
		       int owner[NR_CPUS_MAX])
{
	const char *ev = strstr(line, ": gfpu_"), *lb = strchr(line, '[');
	char name[32], from[16], to[16];
	unsigned long long a, b, c;
	unsigned int arg, pol;
	int cpu, h, f, n;

	if (!ev || !lb || sscanf(lb, "[%d]", &cpu) != 1 ||
	    cpu < 0 || cpu >= NR_CPUS_MAX)
		return;
	t->lines++;
	ev += 2;
	if (sscanf(ev, "gfpu_hook: vcpu %*s %31s arg %u policy %u",
		   name, &arg, &pol) == 3) {
		h = hook_index(name);
		TEST_ASSERT(h >= 0, "unknown hook in: %s", line);
		t->hook[h]++;
		t->policy_bad += pol != policy;
	} else if (sscanf(ev, "gfpu_xfer: vcpu %*s saves %llu restores %llu bytes %llu",
			  &a, &b, &c) == 3) {
		t->saves += a;
		t->restores += b;
		t->bytes += c;
	} else if (sscanf(ev, "gfpu_owner: %15s -> %15s", from, to) == 2) {
		n = !strcmp(to, "host") ? 1 : !strcmp(to, "guest") ? 2 : 0;
		f = !strcmp(from, "host") ? 1 : !strcmp(from, "guest") ? 2 : 0;
		if (owner[cpu] >= 0 && owner[cpu] != f)
			t->owner_breaks++;
		owner[cpu] = n;
		t->owner_changes++;
	}
}

static void trace_read(long policy, struct trace_counts *t)
{
	int owner[NR_CPUS_MAX];
	char path[256], line[512];
	unsigned long in_buf, written;
	FILE *f;

	memset(owner, -1, sizeof(owner));
	snprintf(path, sizeof(path), "%s/trace", gfpu_tracefs);
	f = fopen(path, "r");
	TEST_ASSERT(f, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "# entries-in-buffer/entries-written: %lu/%lu",
			   &in_buf, &written) == 2)
			t->lost = written - in_buf;
		else if (line[0] != '#')
			trace_line(line, policy, t, owner);
	}
	fclose(f);
}

static void run_traced(struct gfpu_counters *c0, struct gfpu_counters *c1,
		       struct trace_counts *t)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	TEST_ASSERT(gfpu_trace_write("buffer_size_kb", BUF_KB) &&
		    gfpu_trace_write("trace", "") &&
		    gfpu_trace_write("events/gfpu/enable", "1"),
		    "cannot set up tracing in %s", gfpu_tracefs);
	gfpu_counters_read(vcpu, c0);
	while (gfpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC)
		;
	TEST_ASSERT(uc.cmd == UCALL_DONE, "guest did not finish");
	gfpu_counters_read(vcpu, c1);
	gfpu_trace_write("events/gfpu/enable", "0");
	gfpu_print_stats(vcpu);
	kvm_vm_free(vm);
	trace_read(c1->policy, t);
}

static long *counter(struct gfpu_counters *c, size_t hook)
{
	return &c->run_enter + hook;
}

int main(void)
{
	struct gfpu_counters c0, c1, d;
	struct trace_counts t = { 0 };
	size_t i;

	ksft_print_header();
	if (!gfpu_trace_find())
		ksft_exit_skip("no tracefs with gfpu events (baseline kernel, or no tracing)\n");
	ksft_set_plan(ARRAY_SIZE(hooks) + 4);
	run_traced(&c0, &c1, &t);
	gfpu_counters_sub(&d, &c1, &c0);
	ksft_print_msg("%ld event lines, %ld lost; %ld ownership changes\n",
		       t.lines, t.lost, t.owner_changes);
	ksft_test_result(t.lost == 0 && t.lines > 0,
			 "trace complete: %ld events, %ld lost\n",
			 t.lines, t.lost);
	for (i = 0; i < ARRAY_SIZE(hooks); i++)
		ksft_test_result(t.hook[i] == *counter(&d, i),
				 "%s: %ld events, gfpu_hook_%s grew by %ld\n",
				 hooks[i], t.hook[i], hooks[i],
				 *counter(&d, i));
	ksft_test_result(t.saves == d.saves && t.restores == d.restores &&
			 t.bytes == d.bytes && d.saves + d.restores > 0,
			 "transfers: events %ld/%ld/%ld bytes, stats %ld/%ld/%ld\n",
			 t.saves, t.restores, t.bytes,
			 d.saves, d.restores, d.bytes);
	ksft_test_result(!t.owner_breaks && t.owner_changes > 0,
			 "owner changes chain per CPU: %ld changes, %ld breaks\n",
			 t.owner_changes, t.owner_breaks);
	ksft_test_result(!t.policy_bad,
			 "every hook event carries the latched policy %ld (%ld did not)\n",
			 c1.policy, t.policy_bad);
	ksft_finished();
}
