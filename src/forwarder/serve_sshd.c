/* serve_sshd.c - sshd itself: `sshd -t` on the rendered files, the exec of
 * `sshd -i` in each connection's child, and sshd's log, line by line, which
 * tells which box a session is (its "Accepted publickey" fingerprint). */
#include "serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/run_capture.h"
#include "signers.h"
#include "../base/clock.h"

/* sshd run as root chroots its pre-authentication child into /run/sshd and
 * refuses to start (even `sshd -t`) without it. Debian's ssh.service makes it
 * with RuntimeDirectory=sshd, but the forwarder runs sshd itself and /run is
 * empty after every boot, so it is made here, before anything runs sshd. */
static bool privsep_dir(struct err *e)
{
	static const char dir[] = "/run/sshd";
	if (geteuid() != 0)
		return true;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return err_errno(e, ERR_IO, "mkdir %s (sshd's privilege separation directory)", dir);
	struct stat st;
	if (lstat(dir, &st) != 0)
		return err_errno(e, ERR_IO, "stat %s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return err_set(e, ERR_FORBIDDEN,
			       "%s (sshd's privilege separation directory) must be a directory owned by root and "
			       "writable by no one else: fix or remove it",
			       dir);
	return true;
}

bool fwd_sshd_test(const char *sshd_path, const char *config, struct err *e)
{
	if (!privsep_dir(e))
		return false;
	const char *argv[] = { sshd_path, "-t", "-f", config, NULL };
	char out[1024];
	int status = 0;
	if (!run_capture(argv, RUN_STDERR_TOO | RUN_CLEAN_ENV, out, sizeof(out), &status, e))
		return false;
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(e, ERR_NOT_FOUND, "cannot run %s (install openssh-server or give --sshd)",
			       sshd_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, ERR_MALFORMED, "%s -t -f %s refused the rendered files: %s", sshd_path, config,
			       out[0] ? out : "(no message)");
	return true;
}

void fwd_child_exec(const struct loop *L, int cfd, int errfd, pid_t parent)
{
	/* In the child: only async-signal-safe calls until execve. */
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	setpgid(0, 0); /* a group of its own: sshd's children stay in it */
	if (dup2(cfd, STDIN_FILENO) < 0 || dup2(cfd, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
		_exit(126);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const char *argv[] = { L->s.opts->sshd_path, "-i", "-e", "-f", L->s.r.config_path, NULL };
	run_exec_clean(argv);
}

const char *fwd_box_name(const struct fwd_state *s, int box)
{
	return box >= 0 && (size_t)box < s->r.signers.n ? s->r.signers.v[box].name : "-";
}

/* One line of sshd's log. */
static void sshd_line(struct fwd_state *s, struct fwd_child *c, char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!n)
		return;
	char msg[1100];
	log_str(msg, sizeof(msg), line);
	const char *fp = NULL;
	if (!c->authed && strncmp(line, "Accepted publickey for ", 23) == 0) {
		const char *p = strstr(line, " ssh2: ");
		if (p) {
			p = strchr(p + 7, ' ');
			if (p)
				fp = p + 1;
		}
	}
	if (fp) {
		char fpb[SSHKEY_FP_MAX];
		size_t fl = strcspn(fp, " ");
		if (fl >= sizeof(fpb))
			fl = sizeof(fpb) - 1;
		memcpy(fpb, fp, fl);
		fpb[fl] = '\0';
		c->authed = true;
		if (s->unauthenticated)
			s->unauthenticated--;
		c->box = signers_find_fingerprint(&s->r.signers, fpb);
		if (c->box >= 0) {
			struct fwd_box_state *b = &s->boxes[c->box];
			b->sessions++;
			b->logins_total++;
			/* Check the tunnel soon: its forwards follow the login. */
			uint64_t soon = now_mono_ms() + 1000;
			if (!boxprobe_active(&b->probe) && b->next_probe_ms > soon)
				b->next_probe_ms = soon;
			log_info("event=box_login box=%s port=%u pid=%d peer=%s fingerprint=%s", fwd_box_name(s, c->box),
				 (unsigned)s->r.signers.v[c->box].port, (int)c->pid, c->peer, fpb);
			fwd_takeover_begin(s, c);
		} else {
			s->unknown_logins_total++;
			log_warn("event=login_unknown_key pid=%d peer=%s fingerprint=%s", (int)c->pid, c->peer, fpb);
		}
		return;
	}
	/* A box knocking with the wrong account: sshd says so only here. */
	const char *who = strncmp(line, "Invalid user ", 13) == 0 ? line + 13
			  : strncmp(line, "User ", 5) == 0 && strstr(line, " not allowed because") ? line + 5
												: NULL;
	if (who) {
		char user[64], u[80];
		size_t ul = strcspn(who, " ");
		snprintf(user, sizeof(user), "%.*s", (int)(ul < sizeof(user) ? ul : sizeof(user) - 1), who);
		log_warn("event=login_refused reason=wrong_account user=%s pid=%d peer=%s "
			 "msg=\"boxes log in as %s here: set the box's user to it, or render with --user\" sshd=%s",
			 log_str(u, sizeof(u), user), (int)c->pid, c->peer, s->r.user, msg);
		return;
	}
	if (strstr(line, "but the request was denied") || strstr(line, "refused local port forward") ||
	    strstr(line, "refused streamlocal")) {
		if (c->box >= 0)
			s->boxes[c->box].forwards_refused_total++;
		log_warn("event=forward_refused box=%s pid=%d peer=%s sshd=%s", fwd_box_name(s, c->box), (int)c->pid,
			 c->peer, msg);
		return;
	}
	log_info("event=sshd box=%s pid=%d peer=%s msg=%s", fwd_box_name(s, c->box), (int)c->pid, c->peer, msg);
}

/* The line gathered in c->line is complete. */
static void line_end(struct fwd_state *s, struct fwd_child *c)
{
	c->line[c->line_len] = '\0';
	sshd_line(s, c, c->line);
	c->line_len = 0;
}

void fwd_read_child(struct fwd_state *s, struct fwd_child *c)
{
	for (;;) {
		char buf[1024];
		ssize_t r = read(c->err_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			if (c->line_len)
				line_end(s, c);
			close(c->err_fd);
			c->err_fd = -1;
			return;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == '\n')
				line_end(s, c);
			else if (c->line_len + 1 < sizeof(c->line))
				c->line[c->line_len++] = buf[i];
		}
	}
}
