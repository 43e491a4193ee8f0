/* serve_sessions.c - one session per box key. When a box logs in again
 * (its old path died silently and the old session has not noticed yet),
 * the older session is killed and the new one held (SIGSTOP on its sshd
 * monitor, before sshd starts the post-authentication process that binds
 * the forwards) until the old one has let go of the box's ports: its log
 * pipe reaches end of file only once every process of its group that held
 * it has exited. Then the new session's `-R P` binds at the first try. */
#include "serve_int.h"

#include <errno.h>
#include <signal.h>

#include "../base/log.h"
#include "../base/clock.h"

#define HOLD_MAX_MS 2000

void fwd_session_kill(const struct fwd_child *c, int sig)
{
	/* The group first: sshd's privilege-separated children are in it. */
	if (kill(-c->pid, sig) != 0 && errno == ESRCH)
		kill(c->pid, sig);
}

void fwd_takeover_begin(struct fwd_state *s, struct fwd_child *c)
{
	unsigned older = 0;
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *o = &s->children[i];
		if (o == c || !o->authed || o->box != c->box || o->superseded ||
		    (o->exited && o->err_fd < 0))
			continue;
		log_info("event=session_superseded box=%s pid=%d peer=%s new_pid=%d new_peer=%s",
			 fwd_box_name(s, c->box), (int)o->pid, o->peer, (int)c->pid, c->peer);
		fwd_session_kill(o, SIGKILL);
		o->superseded = true;
		older++;
	}
	if (!older)
		return;
	s->takeovers_total++;
	if (kill(c->pid, SIGSTOP) == 0) {
		c->held = true;
		c->held_until_ms = now_mono_ms() + HOLD_MAX_MS;
	}
}

/* True while a superseded session of box still holds its log pipe. */
static bool old_session_left(const struct fwd_state *s, int box)
{
	for (size_t i = 0; i < s->n_children; i++) {
		const struct fwd_child *o = &s->children[i];
		if (o->superseded && o->authed && o->box == box && o->err_fd >= 0)
			return true;
	}
	return false;
}

void fwd_takeover_due(struct fwd_state *s, uint64_t now)
{
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (!c->held)
			continue;
		bool waiting = c->box >= 0 && old_session_left(s, c->box);
		if (waiting && now < c->held_until_ms)
			continue;
		kill(c->pid, SIGCONT);
		c->held = false;
		log_info("event=takeover box=%s pid=%d peer=%s held_ms=%llu%s", fwd_box_name(s, c->box), (int)c->pid,
			 c->peer, (unsigned long long)(now + HOLD_MAX_MS - c->held_until_ms),
			 waiting ? " warning=\"the old session still holds its log pipe\"" : "");
	}
}
