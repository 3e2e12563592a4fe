// SPDX-License-Identifier: GPL-2.0
/*
 * soak - the gfpu tests as one long stress: PARALLEL of them at once (more
 * vCPU, hog and VMM threads than CPUs), started over and over for SECONDS,
 * while the kernel-mode FPU torture runs on every CPU and the policy
 * changes every SWITCH_MS under the running vCPUs.
 *
 * Usage: soak SECONDS PARALLEL PROGRAM...
 *   PROGRAM: a test program, relative to /tests unless it starts with /.
 *   The tests bring the other stressors: an FP-using hog on the vCPU's
 *   CPU, FP-using signal handlers and migration (fp_preempt), VMM FP
 *   between runs and across KVM_RUN, uAPI gets and sets (fuzz_uapi,
 *   xcr_xsave_uapi, one_reg_bad), and upstream's host-side FP selftests
 *   (peer/<arch>/: arm64 fp-stress, sve-ptrace, fp-ptrace, vec-syscfg;
 *   x86 corrupt_xstate_header, amx) check the host's FP state beside the
 *   VMs.  Each runs in its own directory, and each at least once however
 *   short SECONDS is.  Each checks its own registers and
 *   counts its checks; the soak adds up the checks ("... (N checks)") and
 *   the corruptions ("N of M wrong") of every run, and fails on a run that
 *   failed.  The tests are told (GFPU_SOAK=1 in their environment) that
 *   the policy changes under them, so they skip their checks of what one
 *   policy moves.  A warning in the kernel panics it (panic_on_warn), which
 *   ends the boot: that fails too.
 *
 * Runs only where the kernel command line has gfpu_test.soak=1 (make soak,
 * and the first arm64 and riscv64 framework variant in check-kernel.sh); it
 * skips elsewhere.  Ends with "soak: N checks, N corruptions".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "gfpu_test.h"

#define SWITCH_MS	250	/* policy change period */
#define TORTURE_US	500	/* the torture timer's period */
#define GRACE_S		300	/* past SECONDS, for the last runs to end */
#define MAX_PAR		8

/* The designs each arch switches between (gfpu.policy= names). */
static const char *const policies[] = {
#if defined(__x86_64__)
	"run", "loadput", "entry", "realloc-cpuid", "loadput,realloc-cpuid",
	"entry,realloc-cpuid",
#elif defined(__aarch64__)
	"eager", "lazy-host", "keep-bound", "lazy-host,keep-bound", "entry",
	"entry,keep-bound",
#else
	"eager", "riscv-lazy",
#endif
};

struct child {
	pid_t pid;
	const char *prog;
	unsigned int idx;
	char out[64];
};

#define MAX_PROGS	32

static unsigned long runs, failed_runs, checks, corruptions, switches;
static unsigned long prog_runs[MAX_PROGS];

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static bool write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static void start(struct child *c, const char *prog, unsigned int idx,
		  unsigned int slot)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", prog[0] == '/' ? "" : "/tests/",
		 prog);
	snprintf(c->out, sizeof(c->out), "/tmp/soak.%u.out", slot);
	c->prog = prog;
	c->idx = idx;
	c->pid = fork();
	TEST_ASSERT(c->pid >= 0, "fork: %s", strerror(errno));
	if (!c->pid) {
		int fd = open(c->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		setenv("GFPU_SOAK", "1", 1);
		/* In its own directory: upstream's peers exec helpers there. */
		if (chdir(dirname(strdupa(path))))
			_exit(127);
		execl(path, path, (char *)NULL);
		dprintf(2, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
}

/*
 * The decimal number that ends just before @end in @line (0 if none);
 * where it starts in @start, if not NULL.
 */
static unsigned long number_before(const char *line, const char *end,
				   const char **start)
{
	const char *p = end;

	while (p > line && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (start)
		*start = p;
	return p < end ? strtoul(p, NULL, 10) : 0;
}

/* Add up what a finished run checked and found; show it if it failed. */
static void finish(struct child *c, int status)
{
	bool failed = !WIFEXITED(status) ||
		      (WEXITSTATUS(status) && WEXITSTATUS(status) != KSFT_SKIP);
	char line[512];
	const char *p;
	FILE *f = fopen(c->out, "r");

	runs++;
	prog_runs[c->idx]++;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "not ok", 6))
			failed = true;
		/* "ok N what (M checks)" and "not ok ...": M checks. */
		p = strstr(line, " checks)");
		if (p && (!strncmp(line, "ok", 2) || !strncmp(line, "not ok", 6)))
			checks += number_before(line, p, NULL);
		/* gfpu_check_report()'s "...: N of M wrong, ...": N. */
		p = strstr(line, " wrong");
		if (p) {
			number_before(line, p, &p);
			if (p - line >= 4 && !strncmp(p - 4, " of ", 4))
				corruptions += number_before(line, p - 4, NULL);
		}
	}
	if (failed) {
		failed_runs++;
		ksft_print_msg("soak: %s failed (status %#x), its output:\n",
			       c->prog, status);
		if (f) {
			rewind(f);
			while (fgets(line, sizeof(line), f))
				ksft_print_msg("  %s", line);
		}
	}
	if (f)
		fclose(f);
	unlink(c->out);
	c->pid = 0;
}

int main(int argc, char *argv[])
{
	struct child kids[MAX_PAR] = { };
	struct gfpu_torture t0 = { }, t1 = { };
	unsigned int par, nprogs, next = 0, running = 0, k, pol = 0;
	double t_start, deadline, last_switch;
	bool torture, gfpu, killed = false;
	char policy0[64] = "";
	FILE *f;

	ksft_print_header();
	if (!gfpu_cmdline_has("gfpu_test.soak=1"))
		ksft_exit_skip("soak: only with gfpu_test.soak=1 on the command line (make soak; check-kernel's first arm64 and riscv64 framework variant)\n");
	TEST_ASSERT(argc > 3, "usage: soak SECONDS PARALLEL PROGRAM...");
	ksft_set_plan(3);

	par = strtoul(argv[2], NULL, 0);
	TEST_ASSERT(par >= 1 && par <= MAX_PAR, "PARALLEL %u", par);
	nprogs = argc - 3;
	TEST_ASSERT(nprogs <= MAX_PROGS, "%u programs, at most %d", nprogs,
		    MAX_PROGS);
	gfpu = gfpu_policy_param() >= 0;
	f = fopen(GFPU_POLICY_PATH, "r");
	if (f) {
		if (!fgets(policy0, sizeof(policy0), f))
			policy0[0] = 0;
		fclose(f);
	}
	torture = !access(GFPU_TORTURE_PATH, F_OK) && gfpu_torture_read(&t0) &&
		  !gfpu_torture_set(TORTURE_US);

	t_start = now();
	deadline = t_start + strtod(argv[1], NULL);
	last_switch = t_start;
	ksft_print_msg("soak: %s s, %u at once of %u programs, policy switched every %d ms%s, torture every %d us%s\n",
		       argv[1], par, nprogs, SWITCH_MS, gfpu ? "" : " (no gfpu)",
		       TORTURE_US, torture ? "" : " (not available)");

	for (;;) {
		double t = now();
		int status;
		pid_t pid;

		/* Until the deadline, and every program at least once. */
		while ((t < deadline || next < nprogs) && running < par) {
			for (k = 0; kids[k].pid; k++)
				;
			start(&kids[k], argv[3 + next % nprogs], next % nprogs,
			      k);
			next++;
			running++;
		}
		if (!running)
			break;
		if (gfpu && t - last_switch >= SWITCH_MS / 1000.0) {
			pol = (pol + 1) % ARRAY_SIZE(policies);
			if (write_file(GFPU_POLICY_PATH, policies[pol]))
				switches++;
			last_switch = t;
		}
		if (t > deadline + GRACE_S && !killed) {
			killed = true;
			for (k = 0; k < MAX_PAR; k++)
				if (kids[k].pid) {
					ksft_print_msg("soak: %s still running after %d s past the end: killed\n",
						       kids[k].prog, GRACE_S);
					kill(kids[k].pid, SIGKILL);
				}
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			usleep(20000);
			continue;
		}
		for (k = 0; k < MAX_PAR && kids[k].pid != pid; k++)
			;
		if (k < MAX_PAR) {
			finish(&kids[k], status);
			running--;
		}
	}

	if (torture) {
		gfpu_torture_read(&t1);
		gfpu_torture_set(0);
	}
	if (gfpu && policy0[0])
		write_file(GFPU_POLICY_PATH, policy0);

	ksft_print_msg("soak: %lu runs in %.0f s, %.0f checks per minute, %lu policy switches, torture fires +%ld used +%ld\n",
		       runs, now() - t_start,
		       checks * 60.0 / (now() - t_start), switches,
		       t1.fires - t0.fires, t1.used - t0.used);
	for (k = 0; k < nprogs; k++)
		ksft_print_msg("soak: %s: %lu runs\n", argv[3 + k], prog_runs[k]);
	ksft_print_msg("soak: %lu checks, %lu corruptions\n", checks, corruptions);
	ksft_test_result(runs && !failed_runs,
			 "every run passed (%lu runs, %lu failed)\n", runs,
			 failed_runs);
	ksft_test_result(checks && !corruptions,
			 "no register corruption (%lu checks)\n", checks);
	ksft_test_result((!gfpu || switches) && (!torture || t1.used > t0.used),
			 "the stressors ran: %lu policy switches, kernel-mode FP used %ld times\n",
			 switches, t1.used - t0.used);
	ksft_finished();
}
