/* sup_setup.c - what the supervisor makes sure of before its first attempt:
 * an identity ssh will accept, a run directory holding our known_hosts and
 * the probe socket, and the signals the loop waits on. */
#include "sup.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/file.h"

bool tunnel_check_identity(const struct tunnel_config *c, struct err *e)
{
	struct stat st;
	if (stat(c->identity, &st) != 0) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOT_FOUND,
				       "identity %s: no such file (create it with `tzsigner tunnel keygen "
				       "--identity %s`)", c->identity, c->identity);
		return err_errno(e, ERR_IO, "identity %s", c->identity);
	}
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_MALFORMED, "identity %s is not a regular file", c->identity);
	if (st.st_mode & 077)
		return err_set(e, ERR_FORBIDDEN,
			       "identity %s: mode %04o lets others read the private key; ssh refuses it "
			       "(fix with: chmod 600 %s)", c->identity, (unsigned)(st.st_mode & 07777),
			       c->identity);
	return true;
}

bool tunnel_prepare_run_dir(struct sup *s, struct err *e)
{
	const char *rd = s->cfg->run_dir;
	char fromenv[FILE_PATH_MAX];
	if (!rd[0]) {
		const char *env = getenv("RUNTIME_DIRECTORY");
		if (env && *env) {
			snprintf(fromenv, sizeof(fromenv), "%.*s", (int)strcspn(env, ":"), env);
			if (tunnel_path_is_safe(fromenv))
				rd = fromenv;
		}
	}
	if (rd[0]) {
		if (!dir_ensure(rd, 0700, e))
			return false;
		snprintf(s->run_dir, sizeof(s->run_dir), "%s", rd);
	} else {
		const char *tmp = getenv("TMPDIR");
		if (!tmp || !*tmp || !tunnel_path_is_safe(tmp))
			tmp = "/tmp";
		snprintf(s->run_dir, sizeof(s->run_dir), "%s/tzsigner-tunnel.XXXXXX", tmp);
		if (!mkdtemp(s->run_dir))
			return err_errno(e, ERR_IO, "creating a run directory under %s", tmp);
		s->own_run_dir = true;
	}
	snprintf(s->known_hosts, sizeof(s->known_hosts), "%s/known_hosts", s->run_dir);
	snprintf(s->probe_sock, sizeof(s->probe_sock), "%s/probe.sock", s->run_dir);
	if (strlen(s->probe_sock) >= 108)
		return err_set(e, ERR_MALFORMED, "run directory %s: the probe socket path is too long "
						 "for a UNIX socket", s->run_dir);
	char text[TUNNEL_MAX_HOST_KEYS * (TUNNEL_HOST_KEY_MAX + 80)];
	if (!tunnel_known_hosts_text(s->cfg, text, sizeof(text), e) ||
	    !file_write_durable(s->known_hosts, text, strlen(text), 0600, e))
		return false;
	return true;
}

void tunnel_cleanup_run_dir(struct sup *s)
{
	if (!s->run_dir[0])
		return;
	unlink(s->probe_sock);
	if (s->own_run_dir) {
		unlink(s->known_hosts);
		rmdir(s->run_dir);
	}
}

bool setup_signals(struct sup *s, struct err *e)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
		return err_errno(e, ERR_IO, "sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return err_errno(e, ERR_IO, "signalfd");
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	return true;
}
