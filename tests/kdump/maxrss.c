// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * maxrss: run a command and report its peak resident set size, for the
 * capture kernel's busybox world (no /usr/bin/time there). Built static
 * by tests/kdump/test-capture-kernel.sh and put in the capture initramfs.
 *
 *   maxrss TAG CMD [ARG...]
 *
 * Standard input and output pass through untouched (the dump may be the
 * command's standard output). When the command ends, one line goes to
 * standard error:
 *
 *   MAXRSS TAG rc=N ru_maxrss_kb=N vmhwm_kb=N seconds=S
 *
 * ru_maxrss_kb is wait4()'s ru_maxrss: the kernel's high-water mark of the
 * process's RSS (the VmHWM of /proc/PID/status) at exit, so it misses no
 * peak. vmhwm_kb is the largest VmHWM read from /proc/PID/status while the
 * command ran (every 50 ms), as a cross-check; it can only be lower.
 * The exit status is the command's (128 + signal if it was killed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmHWM of PID in KiB, or -1 when it cannot be read (exited). */
static long vmhwm(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct rusage ru;
	long hwm = 0, kb;
	double t0;
	pid_t pid, r;
	int st, rc;

	if (argc < 3) {
		fputs("usage: maxrss TAG CMD [ARG...]\n", stderr);
		return 2;
	}
	t0 = now();
	pid = fork();
	if (pid < 0) {
		perror("maxrss: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "maxrss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	for (;;) {
		r = wait4(pid, &st, WNOHANG, &ru);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			perror("maxrss: wait4");
			return 2;
		}
		kb = vmhwm(pid);
		if (kb > hwm)
			hwm = kb;
		nanosleep(&tick, NULL);
	}
	rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	fprintf(stderr,
		"MAXRSS %s rc=%d ru_maxrss_kb=%ld vmhwm_kb=%ld "
		"seconds=%.3f\n",
		argv[1], rc, ru.ru_maxrss, hwm, now() - t0);
	return rc;
}
