/* serve_signals.c - what the signals do, read from a signalfd by the poll
 * loop: SIGCHLD reaps sshd children, SIGHUP renders the files again (and
 * ends the sessions of boxes no longer listed), SIGTERM and SIGINT stop. */
#include "serve_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/log.h"
#include "signers.h"
#include "../base/clock.h"

bool signals_setup(struct loop *L, struct err *e)
{
	sigemptyset(&L->blocked);
	sigaddset(&L->blocked, SIGCHLD);
	sigaddset(&L->blocked, SIGTERM);
	sigaddset(&L->blocked, SIGINT);
	sigaddset(&L->blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &L->blocked, &L->old_mask);
	signal(SIGPIPE, SIG_IGN);
	L->sfd = signalfd(-1, &L->blocked, SFD_NONBLOCK | SFD_CLOEXEC);
	if (L->sfd < 0)
		return err_errno(e, ERR_IO, "signalfd");
	return true;
}

static void reap(struct fwd_state *s)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (size_t i = 0; i < s->n_children; i++) {
			struct fwd_child *c = &s->children[i];
			if (c->pid != pid)
				continue;
			c->exited = true;
			uint64_t secs = (now_mono_ms() - c->start_ms) / 1000;
			if (WIFEXITED(status))
				log_info("event=session_end box=%s pid=%d peer=%s exit=%d seconds=%llu", fwd_box_name(s, c->box),
					 (int)pid, c->peer, WEXITSTATUS(status), (unsigned long long)secs);
			else
				log_info("event=session_end box=%s pid=%d peer=%s signal=%d seconds=%llu",
					 fwd_box_name(s, c->box), (int)pid, c->peer, WTERMSIG(status), (unsigned long long)secs);
			break;
		}
	}
}

bool fwd_render_and_test(struct fwd_state *s, struct fwd_rendered *r, struct err *e)
{
	if (!fwd_render(&s->opts->render, r, e)) {
		s->render_failures_total++;
		return false;
	}
	if (!fwd_sshd_test(s->opts->sshd_path, r->config_path, e)) {
		s->render_failures_total++;
		return false;
	}
	s->renders_total++;
	return true;
}

void fwd_reload(struct loop *L)
{
	struct fwd_state *s = &L->s;
	struct fwd_rendered nr;
	struct err e = { 0 };
	if (!fwd_render_and_test(s, &nr, &e)) {
		char m[400];
		log_error("event=reload_failed error=%s", log_str(m, sizeof(m), e.msg));
		fwd_rendered_free(&nr);
		/* Files may be half new: the old sshd_config was replaced only if
		 * the inputs parsed, which is what sshd -t then judged. */
		s->ready = false;
		return;
	}
	struct fwd_box_state *old = s->boxes;
	struct fwd_rendered old_r = s->r;
	s->r = nr;
	s->boxes = NULL;
	if (!fwd_boxes_alloc(s, now_mono_ms())) {
		log_error("event=reload_failed error=\"out of memory\"");
		fwd_rendered_free(&s->r);
		s->r = old_r;
		s->boxes = old;
		return;
	}
	for (size_t i = 0; i < s->r.signers.n; i++) {
		int k = signers_find_name(&old_r.signers, s->r.signers.v[i].name);
		if (k >= 0 && old_r.signers.v[k].port == s->r.signers.v[i].port) {
			struct fwd_box_state keep = old[k];
			boxprobe_close(&old[k].probe);
			keep.sessions = 0;
			boxprobe_init(&keep.probe);
			keep.next_probe_ms = now_mono_ms() + 200;
			s->boxes[i] = keep;
		}
	}
	for (size_t i = 0; i < old_r.signers.n; i++)
		boxprobe_close(&old[i].probe);
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (!c->authed || c->box < 0)
			continue;
		int nb = signers_find_fingerprint(&s->r.signers, old_r.signers.v[c->box].key.fingerprint);
		/* A session keeps the permissions it logged in with: a box whose
		 * ports changed must log in again to get its new ones. */
		if (nb < 0 || s->r.signers.v[nb].port != old_r.signers.v[c->box].port ||
		    s->r.signers.v[nb].socket_port != old_r.signers.v[c->box].socket_port) {
			log_info("event=session_ended_by_reload box=%s pid=%d", old_r.signers.v[c->box].name,
				 (int)c->pid);
			fwd_session_kill(c, SIGTERM);
			c->box = -1;
			continue;
		}
		c->box = nb;
		s->boxes[nb].sessions++;
	}
	free(old);
	fwd_rendered_free(&old_r);
	s->ready = true;
	log_info("event=reloaded boxes=%zu", s->r.signers.n);
}

void fwd_handle_signals(struct loop *L)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t r = read(L->sfd, &si, sizeof(si));
		if (r != (ssize_t)sizeof(si))
			return;
		switch (si.ssi_signo) {
		case SIGCHLD: reap(&L->s); break;
		case SIGHUP:
			log_info("event=sighup msg=\"rendering again\"");
			fwd_reload(L);
			break;
		default:
			if (!L->stopping)
				log_info("event=stopping signal=%s", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			L->stopping = true;
			break;
		}
	}
}
