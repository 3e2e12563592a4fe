// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the gfpu test initramfs.
 *
 * Mounts the pseudo filesystems, prints what it runs on, opens the results
 * channel named on the kernel command line (gfpu_test.results=DEV, a second
 * serial port or a virtio-serial port), runs /run-tests.sh under busybox sh
 * with that channel as file descriptor 3 (or, in an image without busybox,
 * the static runner /runner, qemu/runner.c), and reboots. With -no-reboot on
 * the QEMU side a reboot ends QEMU.
 *
 * The host trusts only the results channel: if anything here goes wrong,
 * the channel never gets its closing line and the host reports the run as
 * failed. init therefore never needs to decide pass or fail itself.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define RESULTS_FD	3
#define RESULTS_PARAM	"gfpu_test.results="
#define RUNNER		"/run-tests.sh"
#define C_RUNNER	"/runner"

static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("[init] ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static __attribute__((noreturn)) void end(void)
{
	sync();
	say("rebooting");
	reboot(RB_AUTOBOOT);
	/* Only reached if reboot() failed: QEMU's timeout ends the run. */
	say("reboot failed: %s", strerror(errno));
	for (;;)
		pause();
}

static __attribute__((noreturn)) void fatal(const char *what)
{
	say("FATAL: %s: %s", what, strerror(errno));
	end();
}

static void setup_console(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0)
		return;	/* The kernel already gave us one, or there is none. */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void mount_one(const char *src, const char *dir, const char *type,
		      int required)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY) {
		if (required)
			fatal(dir);
		say("mount %s (%s) failed: %s", dir, type, strerror(errno));
	}
}

static void mount_filesystems(void)
{
	mount_one("devtmpfs", "/dev", "devtmpfs", 1);
	mount_one("proc", "/proc", "proc", 1);
	mount_one("sysfs", "/sys", "sysfs", 1);
	mount_one("tmpfs", "/tmp", "tmpfs", 1);
	mount_one("tmpfs", "/run", "tmpfs", 1);
	mount_one("debugfs", "/sys/kernel/debug", "debugfs", 0);
	mount_one("tracefs", "/sys/kernel/tracing", "tracefs", 0);
	mount_one("hugetlbfs", "/dev/hugepages", "hugetlbfs", 0);
}

static void read_cmdline(char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY);
	if (fd < 0)
		fatal("open /proc/cmdline");
	n = read(fd, buf, size - 1);
	if (n < 0)
		fatal("read /proc/cmdline");
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void print_banner(const char *cmdline)
{
	struct utsname u;

	if (uname(&u))
		fatal("uname");
	say("gfpu test initramfs on %s %s %s", u.sysname, u.release, u.machine);
	say("kernel version: %s", u.version);
	say("command line: %s", cmdline);
}

/* Open /dev/DEV from gfpu_test.results=DEV as RESULTS_FD, in raw mode. */
static void open_results(const char *cmdline)
{
	char path[64] = "/dev/";
	struct termios t;
	const char *p;
	size_t len;
	int fd;

	p = strstr(cmdline, RESULTS_PARAM);
	if (!p) {
		errno = EINVAL;
		fatal("no " RESULTS_PARAM " on the command line");
	}
	p += strlen(RESULTS_PARAM);
	len = strcspn(p, " ");
	if (!len || len > sizeof(path) - 6) {
		errno = EINVAL;
		fatal(RESULTS_PARAM);
	}
	memcpy(path + 5, p, len);
	path[5 + len] = '\0';

	fd = open(path, O_WRONLY | O_NOCTTY);
	if (fd < 0)
		fatal(path);
	/* A serial port: no CR/LF translation. A virtio port is not a tty. */
	if (!tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	if (dup2(fd, RESULTS_FD) < 0)
		fatal("dup2 results");
	if (fd != RESULTS_FD)
		close(fd);
	say("results go to %s", path);
}

static void close_results(int status)
{
	dprintf(RESULTS_FD, "# init: runner exit status %d\n", status);
	dprintf(RESULTS_FD, "# gfpu-test-end\n");
	tcdrain(RESULTS_FD);
	fsync(RESULTS_FD);
	close(RESULTS_FD);
}

static int run_tests(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		fatal("fork");
	if (!pid) {
		if (access("/bin/sh", X_OK)) {
			execl(C_RUNNER, C_RUNNER, NULL);
			fatal("exec " C_RUNNER);
		}
		execl("/bin/sh", "sh", RUNNER, NULL);
		fatal("exec " RUNNER);
	}
	if (waitpid(pid, &status, 0) < 0)
		fatal("waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	say("runner killed by signal %d", WTERMSIG(status));
	return 128 + WTERMSIG(status);
}

int main(void)
{
	static char cmdline[4096];
	int status;

	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_filesystems();
	read_cmdline(cmdline, sizeof(cmdline));
	print_banner(cmdline);
	open_results(cmdline);
	setenv("PATH", "/bin:/sbin", 1);
	setenv("HOME", "/tmp", 1);

	status = run_tests();
	say("runner exit status %d", status);
	close_results(status);
	end();
}
