/* serve_children.c - the sshd -i children: each SSH connection accepted
 * (past the unauthenticated and connection limits) gets its TCP options and
 * an sshd of its own, with sshd's log on a pipe; their records are dropped
 * once they have exited, and at the end they are stopped. */
#include "serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/clock.h"

static bool children_reserve(struct fwd_state *s)
{
	if (s->n_children < s->cap_children)
		return true;
	size_t cap = s->cap_children ? s->cap_children * 2 : 16;
	struct fwd_child *c = realloc(s->children, cap * sizeof(*c));
	if (!c)
		return false;
	s->children = c;
	s->cap_children = cap;
	return true;
}

/* Unauthenticated and not on its way out. */
static bool pending(const struct fwd_child *c) { return !c->authed && !c->exited && !c->superseded; }

/* The newcomer's share (admit.h): counts the unauthenticated connections
 * of its source and, at full, picks the victim it may replace: the oldest
 * connection, past min_age_ms, of the source holding the most (more than
 * the newcomer's). */
static enum admit_verdict admission(struct fwd_state *s, const struct admit_source *src, size_t *victim)
{
	const struct admit_limits *l = &s->opts->render.admit;
	uint64_t now = now_mono_ms();
	unsigned total = 0, mine = 0, best_count = 0;
	uint64_t best_start = 0;
	bool found = false;
	for (size_t i = 0; i < s->n_children; i++) {
		const struct fwd_child *c = &s->children[i];
		if (!pending(c))
			continue;
		total++;
		if (admit_same_source(&c->src, src))
			mine++;
	}
	if (total >= l->full) {
		for (size_t i = 0; i < s->n_children; i++) {
			const struct fwd_child *c = &s->children[i];
			if (!pending(c) || now - c->start_ms < l->min_age_ms)
				continue;
			unsigned n = 0;
			for (size_t j = 0; j < s->n_children; j++)
				if (pending(&s->children[j]) &&
				    (j == i || admit_same_source(&s->children[j].src, &c->src)))
					n++;
			if (n <= mine || n < best_count || (n == best_count && c->start_ms >= best_start))
				continue;
			best_count = n;
			best_start = c->start_ms;
			*victim = i;
			found = true;
		}
	}
	return admit_decide(l, total, mine, found, arc4random());
}

/* Drops are counted, and logged at most once a second (a flood must not
 * become a flood of log lines). */
static void note_drop(struct fwd_state *s, enum admit_verdict v, const char *peer)
{
	s->dropped_total[v]++;
	uint64_t now = now_mono_ms();
	if (s->drops_logged_ms && now - s->drops_logged_ms < 1000) {
		s->drops_unlogged++;
		return;
	}
	const struct admit_limits *l = &s->opts->render.admit;
	log_warn("event=dropped peer=%s reason=%s unauthenticated=%u start=%u full=%u per_source=%u "
		 "dropped_since_last_line=%llu",
		 peer, admit_verdict_name(v), s->unauthenticated, l->start, l->full, l->per_source,
		 (unsigned long long)s->drops_unlogged);
	s->drops_unlogged = 0;
	s->drops_logged_ms = now;
}

/* Forks `sshd -i` on cfd; false when it could not. */
static bool spawn(struct loop *L, int cfd, const char *peer, const struct admit_source *src)
{
	struct fwd_state *s = &L->s;
	fwd_tune(cfd, s->opts);
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) != 0) {
		log_error("event=pipe_failed error=\"%s\"", strerror(errno));
		return false;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		fwd_child_exec(L, cfd, ep[1], parent);
	close(ep[1]);
	if (pid < 0) {
		log_error("event=fork_failed error=\"%s\"", strerror(errno));
		close(ep[0]);
		return false;
	}
	setpgid(pid, pid); /* as the child does: no window where a signal to the group misses it */
	fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
	struct fwd_child *c = &s->children[s->n_children++];
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->err_fd = ep[0];
	c->box = -1;
	c->start_ms = now_mono_ms();
	c->src = *src;
	c->starttime = stale_starttime(pid);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	s->unauthenticated++;
	s->accepted_total++;
	s->sessions_dirty = true;
	log_info("event=accepted peer=%s pid=%d unauthenticated=%u", peer, (int)pid, s->unauthenticated);
	return true;
}

void fwd_accept_ssh(struct loop *L)
{
	struct fwd_state *s = &L->s;
	const struct fwd_run_opts *o = s->opts;
	for (int spawned = 0, k = 0; spawned < ACCEPT_BURST && k < DROP_BURST; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(L->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("event=accept_failed error=\"%s\"", strerror(errno));
			return;
		}
		char peer[64];
		fwd_addr_text(&ss, peer, sizeof(peer));
		struct admit_source src;
		admit_source_of(&o->render.admit, &ss, &src);
		size_t victim = 0;
		enum admit_verdict v = admission(s, &src, &victim);
		if (v != ADMIT_ACCEPT && v != ADMIT_EVICT) {
			note_drop(s, v, peer);
			close(cfd);
			continue;
		}
		if (s->n_children >= o->max_connections || !children_reserve(s)) {
			s->dropped_limit_total++;
			log_warn("event=dropped peer=%s reason=connection_limit limit=%u", peer, o->max_connections);
			close(cfd);
			continue;
		}
		if (v == ADMIT_EVICT) {
			struct fwd_child *c = &s->children[victim];
			note_drop(s, v, c->peer);
			fwd_session_kill(c, SIGKILL);
			/* Counted as gone now: its slot is the newcomer's. */
			c->superseded = true;
		}
		spawn(L, cfd, peer, &src);
		spawned++;
		close(cfd);
	}
}

void fwd_sweep(struct fwd_state *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (c->exited && c->err_fd < 0) {
			s->sessions_dirty = true;
			if (!c->authed) {
				if (s->unauthenticated)
					s->unauthenticated--;
			} else if (c->box >= 0 && s->boxes[c->box].sessions) {
				s->boxes[c->box].sessions--;
			}
			continue;
		}
		if (j != i)
			s->children[j] = *c;
		j++;
	}
	s->n_children = j;
}

void fwd_stop_children(struct loop *L)
{
	struct fwd_state *s = &L->s;
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited) {
			fwd_session_kill(&s->children[i], SIGTERM);
			fwd_session_kill(&s->children[i], SIGCONT); /* a held one */
		}
	uint64_t until = now_mono_ms() + STOP_GRACE_MS;
	while (s->n_children && now_mono_ms() < until)
		fwd_loop_once(L);
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited)
			fwd_session_kill(&s->children[i], SIGKILL);
	while (s->n_children) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0)
			break;
		for (size_t i = 0; i < s->n_children; i++)
			if (s->children[i].pid == pid)
				s->children[i].exited = true;
		for (size_t i = 0; i < s->n_children; i++)
			if (s->children[i].exited && s->children[i].err_fd >= 0) {
				close(s->children[i].err_fd);
				s->children[i].err_fd = -1;
			}
		fwd_sweep(s);
	}
}
