/* run_capture.c - fork, exec, capture, wait (run_capture.h). */
#include "run_capture.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

void run_exec_clean(const char *const argv[])
{
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	execve(argv[0], (char *const *)argv, envp);
	_exit(127);
}

static __attribute__((noreturn)) void child(const char *const argv[], unsigned flags, int out_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (flags & RUN_STDIN_NULL) {
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
	}
	dup2(out_fd, STDOUT_FILENO);
	if (flags & RUN_STDERR_TOO)
		dup2(out_fd, STDERR_FILENO);
	if (flags & RUN_CLEAN_ENV)
		run_exec_clean(argv);
	execvp(argv[0], (char *const *)argv);
	if (!(flags & RUN_STDERR_TOO))
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Reads fd to its end, keeping the first cap-1 bytes in out. */
static void drain(int fd, char *out, size_t cap)
{
	size_t got = 0;
	for (;;) {
		char sink[512];
		char *dst = got + 1 < cap ? out + got : sink;
		size_t room = got + 1 < cap ? cap - 1 - got : sizeof(sink);
		ssize_t n = read(fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			got += (size_t)n;
	}
	if (cap)
		out[got] = '\0';
}

bool run_capture(const char *const argv[], unsigned flags, char *out, size_t cap, int *status,
		 struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return err_errno(e, ERR_IO, "pipe for %s's output", argv[0]);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, ERR_IO, "fork for %s", argv[0]);
	}
	if (pid == 0)
		child(argv, flags, p[1]);
	close(p[1]);
	drain(p[0], out, cap);
	close(p[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return err_errno(e, ERR_IO, "waiting for %s", argv[0]);
	}
	return true;
}
