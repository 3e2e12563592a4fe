// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side helpers shared by the gfpu KVM selftests.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "gfpu_test.h"

/**
 * gfpu_print_stats() - print the framework's counters as TAP diagnostics.
 *
 * Return: false when the stats file does not exist (a baseline kernel, or
 * no debugfs), true otherwise.
 */
bool gfpu_print_stats(void)
{
	char line[256];
	FILE *f;

	f = fopen(GFPU_STATS_PATH, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ksft_print_msg("gfpu stats: %s\n", line);
	}
	fclose(f);
	return true;
}

/**
 * gfpu_stat() - one counter from the framework's stats file.
 * @row: the row, e.g. "vcpu0" (the first live vCPU) or "retired".
 * @field: the counter, e.g. "run_enter".
 *
 * Return: its value, or -1 when the file, the row or the field is missing.
 */
long gfpu_stat(const char *row, const char *field)
{
	char line[1024], key[64];
	long val = -1;
	size_t rl = strlen(row);
	char *p;
	FILE *f;

	f = fopen(GFPU_STATS_PATH, "r");
	if (!f)
		return -1;
	snprintf(key, sizeof(key), " %s=", field);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, row, rl) || line[rl] != ' ')
			continue;
		p = strstr(line, key);
		if (p)
			val = strtol(p + strlen(key), NULL, 10);
		break;
	}
	fclose(f);
	return val;
}

/**
 * gfpu_counters_read() - every counter of one row of the stats file.
 * @row: e.g. "vcpu0", the first live vCPU.
 * @c: filled in; a field the kernel does not print reads -1.
 *
 * Return: false when the file or the row is missing (a baseline kernel),
 * or the row has no latched policy.
 */
bool gfpu_counters_read(const char *row, struct gfpu_counters *c)
{
	c->policy = gfpu_stat(row, "policy");
	c->run_enter = gfpu_stat(row, "run_enter");
	c->load = gfpu_stat(row, "load");
	c->guest_enter = gfpu_stat(row, "guest_enter");
	c->lazy_trap = gfpu_stat(row, "lazy_trap");
	c->exit_sync = gfpu_stat(row, "exit_sync");
	c->put = gfpu_stat(row, "put");
	c->feature = gfpu_stat(row, "feature");
	c->get = gfpu_stat(row, "get");
	c->set = gfpu_stat(row, "set");
	c->saves = gfpu_stat(row, "saves");
	c->restores = gfpu_stat(row, "restores");
	c->traps = gfpu_stat(row, "traps");
	c->preempted = gfpu_stat(row, "preempted");
	return c->policy >= 0 && c->run_enter >= 0;
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
