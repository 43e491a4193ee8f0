/* sup_child.c - the ssh process: started in a process group of its own
 * (with the ProxyCommand it runs), stopped with SIGTERM and, when it does
 * not exit within a grace period, SIGKILL; reaped on SIGCHLD, with any
 * proxy it leaves behind (we are their subreaper). */
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/clock.h"

#define KILL_GRACE_MS 2000 /* SIGTERM, then SIGKILL */

/* sig to ssh's process group and to ssh itself. */
static void signal_ssh(struct sup *s, int sig)
{
	kill(-s->ssh_pid, sig);
	kill(s->ssh_pid, sig);
}

bool tunnel_ssh_child_start(struct sup *s, struct err *e)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return err_errno(e, ERR_IO, "pipe for ssh's stderr");
	pid_t pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return err_errno(e, ERR_IO, "fork for ssh");
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		dup2(pipefd[1], STDERR_FILENO);
		execvp(s->argv.v[0], s->argv.v);
		dprintf(STDERR_FILENO, "exec %s: %s\n", s->argv.v[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pipefd[1]);
	s->errfd = pipefd[0];
	fcntl(s->errfd, F_SETFL, fcntl(s->errfd, F_GETFL) | O_NONBLOCK);
	s->ssh_pid = pid;
	s->killing = false;
	return true;
}

void tunnel_kill_ssh(struct sup *s, enum tunnel_error reason, const char *msg)
{
	if (s->ssh_pid <= 0 || s->killing)
		return;
	s->killing = true;
	s->kill_reason = reason;
	snprintf(s->kill_msg, sizeof(s->kill_msg), "%s", msg);
	signal_ssh(s, SIGTERM);
	kill(-s->ssh_pid, SIGCONT); /* a stopped ssh handles the TERM now */
	s->kill_at = now_mono_ms() + KILL_GRACE_MS;
}

void tunnel_kill_timer(struct sup *s, uint64_t now)
{
	if (s->killing && s->ssh_pid > 0 && now >= s->kill_at) {
		loop_log(LOG_WARN, "event=ssh_kill pid=%ld msg=\"no exit after SIGTERM; sending SIGKILL\"",
			 (long)s->ssh_pid);
		signal_ssh(s, SIGKILL);
		s->kill_at = now + 60000;
	}
}

void tunnel_reap(struct sup *s)
{
	if (s->ssh_pid > 0) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)s->ssh_pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == s->ssh_pid) {
			/* Whatever is left of its process group (the proxy). */
			kill(-s->ssh_pid, SIGKILL);
			int status = 0;
			while (waitpid(s->ssh_pid, &status, 0) < 0 && errno == EINTR)
				;
			tunnel_drain_stderr(s);
			tunnel_ssh_exited(s, status);
		}
	}
	/* Orphans handed to us as the subreaper (a proxy outliving ssh). */
	for (int i = 0; i < 64 && waitpid(-1, NULL, WNOHANG) > 0; i++)
		;
}

void tunnel_ssh_child_end(struct sup *s)
{
	if (s->ssh_pid > 0) {
		signal_ssh(s, SIGKILL);
		waitpid(s->ssh_pid, NULL, 0);
		s->ssh_pid = 0;
	}
}
