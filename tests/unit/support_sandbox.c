/* support_sandbox.c - see support_sandbox.h. */
#include "support_sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/front/sandbox.h"

int sandbox_test_run(child_fn fn, const struct child_ctx *c, bool seccomp, bool quiet)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != c->lfd && fd != c->kh && fd != c->out)
				close(fd);
		struct sandbox_config cfg = { .user = "nobody", .seccomp = seccomp };
		struct err e = { 0 };
		if (!sandbox_enter(&cfg, &e)) {
			if (!quiet)
				dprintf(2, "sandbox_enter: %s\n", e.msg);
			_exit(90);
		}
		fn(c);
		_exit(0);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

bool sandbox_test_killed(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}
