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

void accept_ssh(struct loop *L)
{
	struct fwd_state *s = &L->s;
	const struct fwd_run_opts *o = s->opts;
	for (int k = 0; k < ACCEPT_BURST; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(L->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("event=accept_failed error=\"%s\"", strerror(errno));
			return;
		}
		char peer[64];
		addr_text(&ss, peer, sizeof(peer));
		if (s->unauthenticated >= o->max_unauthenticated) {
			s->dropped_unauth_total++;
			log_warn("event=dropped peer=%s reason=unauthenticated_limit limit=%u", peer,
				 o->max_unauthenticated);
			close(cfd);
			continue;
		}
		if (s->n_children >= o->max_connections || !children_reserve(s)) {
			s->dropped_limit_total++;
			log_warn("event=dropped peer=%s reason=connection_limit limit=%u", peer, o->max_connections);
			close(cfd);
			continue;
		}
		tune(cfd, o);
		int ep[2];
		if (pipe2(ep, O_CLOEXEC) != 0) {
			log_error("event=pipe_failed error=\"%s\"", strerror(errno));
			close(cfd);
			continue;
		}
		pid_t parent = getpid();
		pid_t pid = fork();
		if (pid == 0)
			child_exec(L, cfd, ep[1], parent);
		close(cfd);
		close(ep[1]);
		if (pid < 0) {
			log_error("event=fork_failed error=\"%s\"", strerror(errno));
			close(ep[0]);
			continue;
		}
		fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
		struct fwd_child *c = &s->children[s->n_children++];
		memset(c, 0, sizeof(*c));
		c->pid = pid;
		c->err_fd = ep[0];
		c->box = -1;
		c->start_ms = fwd_mono_ms();
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		s->unauthenticated++;
		s->accepted_total++;
		log_info("event=accepted peer=%s pid=%d unauthenticated=%u", peer, (int)pid, s->unauthenticated);
	}
}

void sweep(struct fwd_state *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (c->exited && c->err_fd < 0) {
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

void stop_children(struct loop *L)
{
	struct fwd_state *s = &L->s;
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited)
			kill(s->children[i].pid, SIGTERM);
	uint64_t until = fwd_mono_ms() + STOP_GRACE_MS;
	while (s->n_children && fwd_mono_ms() < until)
		loop_once(L);
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited)
			kill(s->children[i].pid, SIGKILL);
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
		sweep(s);
	}
}
