// SPDX-License-Identifier: GPL-2.0
/*
 * The test runner as a static C program, for initramfs images without
 * busybox (riscv64: Debian 12 has no riscv64 busybox). /init runs it when
 * there is no /bin/sh. It does what run-tests.sh does, in the same TAP on
 * file descriptor 3, so that boot.sh judges both alike:
 *
 *   - gfpu:policy: the policy the framework latched is the one gfpu.policy=
 *     asked for, and the kernel did not reject the parameter;
 *   - every test of /tests.list ("SUITE NAME TIMEOUT PROGRAM [ARGS...]",
 *     PROGRAM relative to /tests) under its own timeout (SIGKILL), its
 *     kselftest TAP nested four spaces deep, its other output as
 *     diagnostics; exit status 0 passes, 4 (KSFT_SKIP) skips; an upstream
 *     (kvm) test that fails gets one more try, reported as RETRIED;
 *   - kernel:log-clean: no warning, BUG, oops or lockdep report in the log;
 *   - the framework's counters as diagnostics.
 *
 * gfpu_test.only=NAME[,NAME...] on the command line runs only those tests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/wait.h>

#define TAP_FD		3
#define LIST		"/tests.list"
#define OUT		"/tmp/test.out"
#define MAX_TESTS	256
#define MAX_ARGS	16

struct test {
	char suite[32], name[64], prog[128];
	char *argv[MAX_ARGS + 2];
	int tmo;
};

static struct test tests[MAX_TESTS];
static int ntests, tapno, failed, retried;
static char cmdline[4096], only[1024];

static void tap(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(TAP_FD, fmt, ap);
	va_end(ap);
	dprintf(TAP_FD, "\n");
}

static void say(const char *fmt, ...)
{
	va_list ap;

	printf("[runner] ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The last VALUE of KEY=VALUE on the command line, or "". */
static void param(const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	val[0] = '\0';
	while (*p) {
		size_t len = strcspn(p, " ");

		if (len > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(val, size, "%.*s", (int)(len - klen - 1),
				 p + klen + 1);
		}
		p += len;
		p += strspn(p, " ");
	}
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The kernel log, as dmesg prints it (without the level prefixes). */
static char *kernel_log(void)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static int selected(const struct test *t)
{
	char full[128], list[1024], *tok, *save;

	if (!only[0])
		return 1;
	snprintf(full, sizeof(full), "%s:%s", t->suite, t->name);
	snprintf(list, sizeof(list), "%s", only);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, full) || !strcmp(tok, t->name))
			return 1;
	return 0;
}

static void read_list(void)
{
	static char line[512];
	FILE *f = fopen(LIST, "r");

	if (!f) {
		say("no %s: %s", LIST, strerror(errno));
		exit(1);
	}
	while (fgets(line, sizeof(line), f) && ntests < MAX_TESTS) {
		struct test *t = &tests[ntests];
		char *save, *tok, *args;
		int n = 0;

		line[strcspn(line, "\n")] = '\0';
		tok = strtok_r(line, " \t", &save);
		if (!tok || tok[0] == '#')
			continue;
		snprintf(t->suite, sizeof(t->suite), "%s", tok);
		tok = strtok_r(NULL, " \t", &save);
		snprintf(t->name, sizeof(t->name), "%s", tok ?: "?");
		tok = strtok_r(NULL, " \t", &save);
		t->tmo = tok ? atoi(tok) : 60;
		tok = strtok_r(NULL, " \t", &save);
		snprintf(t->prog, sizeof(t->prog), "/tests/%s", tok ?: "?");
		t->argv[n++] = t->prog;
		while ((args = strtok_r(NULL, " \t", &save)) && n < MAX_ARGS)
			t->argv[n++] = strdup(args);
		t->argv[n] = NULL;
		if (selected(t))
			ntests++;
	}
	fclose(f);
}

static void result(int ok, const char *name, const char *why)
{
	tapno++;
	tap("%sok %d %s # %s", ok ? "" : "not ", tapno, name, why);
	if (!ok) {
		say("FAIL: %s: %s", name, why);
		failed++;
	}
}

/* Policy names to bits, as core/gfpu_kernel.c parses them; -1: unknown. */
static long policy_bits(const char *s)
{
	char buf[128], *tok, *save;
	long bits = 0;

	if (*s && strspn(s, "0123456789") == strlen(s))
		return atol(s);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "eager") || !strcmp(tok, "run"))
			continue;
		else if (!strcmp(tok, "lazy-host") || !strcmp(tok, "lazy"))
			bits |= 1;
		else if (!strcmp(tok, "loadput"))
			bits |= 2;
		else if (!strcmp(tok, "realloc-cpuid") || !strcmp(tok, "cpuid"))
			bits |= 4;
		else if (!strcmp(tok, "riscv-lazy"))
			bits |= 8;
		else if (!strcmp(tok, "entry"))
			bits |= 16;
		else if (!strcmp(tok, "keep-bound"))
			bits |= 32;
		else
			return -1;
	}
	return bits;
}

static void check_policy(void)
{
	char want[128], why[256], *latched, *named, *log, *line, *save;
	int has_gfpu = !access("/sys/module/gfpu/parameters/policy", R_OK);
	int rejected = 0;
	long bits, have;

	param("gfpu.policy", want, sizeof(want));
	if (!has_gfpu && !want[0])
		return;
	latched = slurp("/sys/module/gfpu/parameters/policy");
	latched = strdup(latched ?: "");
	latched[strcspn(latched, "\n")] = '\0';
	named = slurp("/sys/kernel/debug/gfpu/policy");
	named = strdup(named ?: "");
	named[strcspn(named, "\n")] = '\0';
	tap("# gfpu policy: %s (requested: %s)",
	    named[0] ? named : latched[0] ? latched : "none",
	    want[0] ? want : "default");
	log = strdup(kernel_log());
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((strstr(line, "invalid for parameter") &&
		     strstr(line, "policy'")) ||
		    (strstr(line, "gfpu: policy") &&
		     strstr(line, "not implemented"))) {
			tap("# %s", line);
			rejected = 1;
		}
	}
	free(log);
	bits = policy_bits(want);
	have = atol(latched);
	if (!has_gfpu)
		snprintf(why, sizeof(why),
			 "gfpu.policy=%s but this kernel has no gfpu", want);
	else if (rejected)
		snprintf(why, sizeof(why),
			 "the kernel rejected gfpu.policy=%s, policy is %s",
			 want, latched);
	else if (bits < 0)
		snprintf(why, sizeof(why),
			 "gfpu.policy=%s: unknown policy name", want);
	else if (have != bits)
		snprintf(why, sizeof(why),
			 "policy %s, gfpu.policy=%s asks for %ld",
			 latched, want, bits);
	else
		snprintf(why, sizeof(why), "policy %s as requested", latched);
	result(has_gfpu && !rejected && bits >= 0 && have == bits,
	       "gfpu:policy", why);
	free(latched);
	free(named);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A test killed (timeout) cannot stop the kernel-mode FPU torture it
 * started: stop it, so that it does not slow the tests after it.
 */
static void stop_torture(void)
{
	int fd = open("/sys/kernel/debug/gfpu_kfpu_torture", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			say("could not stop the kernel-mode FPU torture");
		close(fd);
	}
}

/* Run @t with its output in OUT; the exit status, 137 when killed. */
static int run_one(const struct test *t)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	double deadline = now() + t->tmo;
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 126;
	if (!pid) {
		fd = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		close(TAP_FD);
		execv(t->prog, t->argv);
		dprintf(2, "exec %s: %s\n", t->prog, strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (now() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 137;
		}
		nanosleep(&tick, NULL);
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int tap_line(const char *l)
{
	return !strncmp(l, "ok ", 3) || !strncmp(l, "not ok ", 7) ||
	       !strncmp(l, "1..", 3);
}

/* The program's TAP as a nested subtest, the rest as diagnostics. */
static void nest(const char *prefix, int *ok, int *nok, int *sk)
{
	static char line[4096];
	FILE *f = fopen(OUT, "r");

	*ok = *nok = *sk = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "TAP version ", 12))
			continue;
		if (prefix) {
			tap("    # %s%s", prefix, line);
			continue;
		}
		if (!tap_line(line)) {
			tap("    # %s", line);
			continue;
		}
		tap("    %s", line);
		if (!strncmp(line, "not ok ", 7))
			(*nok)++;
		else if (!strncmp(line, "ok ", 3) && strstr(line, "# SKIP"))
			(*sk)++;
		else if (!strncmp(line, "ok ", 3))
			(*ok)++;
	}
	fclose(f);
}

static void run_test(const struct test *t)
{
	char again[64] = "", sub[96] = "", why[64];
	int rc, ok, nok, sk;
	double start = now();
	long secs;

	tapno++;
	say("%s:%s (timeout %ds)", t->suite, t->name, t->tmo);
	rc = run_one(t);
	tap("# Subtest: %s:%s", t->suite, t->name);
	if (!strcmp(t->suite, "kvm") && rc && rc != 4 && rc != 137) {
		nest("first try: ", &ok, &nok, &sk);
		tap("    # %s:%s failed (exit status %d), running it once more",
		    t->suite, t->name, rc);
		snprintf(again, sizeof(again), ", RETRIED after exit status %d",
			 rc);
		rc = run_one(t);
	}
	secs = (long)(now() - start);
	stop_torture();
	nest(NULL, &ok, &nok, &sk);
	if (ok + nok)
		snprintf(sub, sizeof(sub), ", %d passed, %d failed, %d skipped",
			 ok - 0, nok, sk);
	if (!rc) {
		tap("ok %d %s:%s # %lds%s%s", tapno, t->suite, t->name, secs,
		    sub, again);
	} else if (rc == 4) {
		tap("ok %d %s:%s # SKIP%s%s", tapno, t->suite, t->name, sub,
		    again);
	} else {
		snprintf(why, sizeof(why), "exit status %d", rc);
		if (rc == 137 && secs >= t->tmo)
			snprintf(why, sizeof(why), "timeout after %ds", t->tmo);
		tap("not ok %d %s:%s # %s%s%s", tapno, t->suite, t->name, why,
		    sub, again);
		failed++;
	}
	say("%s:%s: exit status %d after %lds%s", t->suite, t->name, rc, secs,
	    again);
	if (again[0]) {
		tap("# retried: %s:%s", t->suite, t->name);
		retried++;
	}
}

static int bad_log_line(const char *l)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Unable to handle", "Call trace:",
		"Call Trace:", "UBSAN:",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(l, bad[i]))
			return 1;
	return strstr(l, "INFO: ") &&
	       (strstr(l, "lockdep") || strstr(l, "locking"));
}

static void check_log(void)
{
	char *log = strdup(kernel_log()), *line, *save;
	int bad = 0;

	tapno++;
	for (line = strtok_r(log, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (bad_log_line(line)) {
			tap("# %s", line);
			bad = 1;
		}
	}
	free(log);
	if (bad) {
		tap("not ok %d kernel:log-clean # the kernel log has warnings",
		    tapno);
		failed++;
	} else {
		tap("ok %d kernel:log-clean", tapno);
	}
}

int main(void)
{
	char *s = slurp("/proc/cmdline"), *line, *save;
	int policy_check, n, i;
	char want[128];

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(cmdline, sizeof(cmdline), "%s", s ?: "");
	cmdline[strcspn(cmdline, "\n")] = '\0';
	param("gfpu_test.only", only, sizeof(only));
	param("gfpu.policy", want, sizeof(want));
	read_list();
	policy_check = !access("/sys/module/gfpu/parameters/policy", R_OK) ||
		       want[0];
	n = 1 + policy_check + ntests;

	tap("TAP version 13");
	tap("1..%d", n);
	tap("# cmdline: %s", cmdline);

	check_policy();
	for (i = 0; i < ntests; i++)
		run_test(&tests[i]);
	check_log();

	s = slurp("/sys/kernel/debug/gfpu/stats");
	if (s)
		for (line = strtok_r(s, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save))
			tap("# gfpu stats: %s", line);
	say("done: %d failed, %d retried", failed, retried);
	return failed ? 1 : 0;
}
