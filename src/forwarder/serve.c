/* serve.c - `tzsigner forwarder run`: setup, one poll loop for everything
 * (the SSH listener, sshd's logs, the exporter, the boxes' checks, the
 * signals), and teardown. The files it shares the loop with are listed in
 * serve_int.h. */
#include "serve_int.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "signers.h"
#include "../base/clock.h"

void fwd_run_opts_defaults(struct fwd_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	fwd_render_opts_defaults(&o->render);
	o->render.metrics_port = 9732;
	o->sshd_path = "/usr/sbin/sshd";
	snprintf(o->metrics_host, sizeof(o->metrics_host), "127.0.0.1");
	o->max_connections = 512;
	o->probe_interval_s = 5;
	o->probe_timeout_ms = 3000;
}

enum fd_kind { FD_SIGNAL, FD_LISTEN, FD_METRICS, FD_WATCH, FD_CHILD, FD_HTTP, FD_PROBE };

void fwd_loop_once(struct loop *L)
{
	struct fwd_state *s = &L->s;
	size_t cap = 4 + s->n_children + L->n_http + s->r.signers.n;
	struct pollfd *pf = calloc(cap, sizeof(*pf));
	uint8_t *kind = calloc(cap, 1);
	size_t *idx = calloc(cap, sizeof(*idx));
	if (!pf || !kind || !idx) {
		free(pf);
		free(kind);
		free(idx);
		poll(NULL, 0, 100);
		return;
	}
	size_t n = 0;
	pf[n] = (struct pollfd){ L->sfd, POLLIN, 0 };
	kind[n++] = FD_SIGNAL;
	if (L->lfd >= 0 && !L->stopping) {
		pf[n] = (struct pollfd){ L->lfd, POLLIN, 0 };
		kind[n++] = FD_LISTEN;
	}
	if (L->mfd >= 0 && !L->stopping) {
		pf[n] = (struct pollfd){ L->mfd, POLLIN, 0 };
		kind[n++] = FD_METRICS;
	}
	if (L->watch.fd >= 0 && !L->stopping) {
		pf[n] = (struct pollfd){ L->watch.fd, POLLIN, 0 };
		kind[n++] = FD_WATCH;
	}
	for (size_t i = 0; i < s->n_children; i++) {
		if (s->children[i].err_fd < 0)
			continue;
		pf[n] = (struct pollfd){ s->children[i].err_fd, POLLIN, 0 };
		kind[n] = FD_CHILD;
		idx[n++] = i;
	}
	for (size_t i = 0; i < L->n_http; i++) {
		pf[n] = (struct pollfd){ L->http[i].fd, L->http[i].out ? POLLOUT : POLLIN, 0 };
		kind[n] = FD_HTTP;
		idx[n++] = i;
	}
	uint64_t now = now_mono_ms();
	uint64_t wake = now + 1000;
	if (L->watch.due_ms && L->watch.due_ms < wake)
		wake = L->watch.due_ms;
	for (size_t i = 0; i < s->n_children; i++)
		if (s->children[i].held && s->children[i].held_until_ms < wake)
			wake = s->children[i].held_until_ms;
	for (size_t i = 0; i < s->r.signers.n && !L->stopping; i++) {
		struct fwd_box_state *b = &s->boxes[i];
		if (boxprobe_active(&b->probe)) {
			pf[n] = (struct pollfd){ b->probe.hp.fd, boxprobe_events(&b->probe), 0 };
			kind[n] = FD_PROBE;
			idx[n++] = i;
			if (b->probe.hp.deadline_ms < wake)
				wake = b->probe.hp.deadline_ms;
		} else if (b->next_probe_ms < wake) {
			wake = b->next_probe_ms;
		}
	}
	int timeout = wake > now ? (int)(wake - now) : 0;
	int rc = poll(pf, n, timeout);
	now = now_mono_ms();
	/* HTTP connections are compacted when closed: walk them from the end. */
	for (size_t k = n; rc > 0 && k-- > 0;) {
		if (!pf[k].revents)
			continue;
		switch (kind[k]) {
		case FD_SIGNAL: break; /* below, after the children's logs */
		case FD_LISTEN: fwd_accept_ssh(L); break;
		case FD_METRICS: fwd_accept_http(L, now); break;
		case FD_WATCH: watch_read(L, now); break;
		case FD_CHILD: fwd_read_child(s, &s->children[idx[k]]); break;
		case FD_HTTP:
			if (!fwd_http_step(L, &L->http[idx[k]]))
				fwd_http_close(L, idx[k]);
			break;
		case FD_PROBE: {
			struct fwd_box_state *b = &s->boxes[idx[k]];
			if (!boxprobe_active(&b->probe) || b->probe.hp.fd != pf[k].fd)
				break;
			enum probe_result r = boxprobe_step(&b->probe, pf[k].revents);
			if (r != PROBE_PENDING)
				fwd_apply_probe(s, idx[k], r, now);
			break;
		}
		}
	}
	if (rc > 0 && (pf[0].revents & POLLIN))
		fwd_handle_signals(L);
	free(pf);
	free(kind);
	free(idx);
	for (size_t i = L->n_http; i-- > 0;)
		if (now >= L->http[i].deadline_ms)
			fwd_http_close(L, i);
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		/* sshd's own LoginGraceTime alarm comes first; this is the backstop. */
		uint64_t limit = ((uint64_t)s->opts->render.login_grace_s + 1) * 1000u;
		if (!c->authed && !c->exited && !c->superseded && now > c->start_ms &&
		    now - c->start_ms > limit) {
			log_warn("event=preauth_timeout pid=%d peer=%s", (int)c->pid, c->peer);
			fwd_session_kill(c, SIGKILL);
			c->superseded = true;
		}
	}
	fwd_takeover_due(s, now);
	if (!L->stopping) {
		watch_due(L, now);
		fwd_probe_due(s, now);
	}
	fwd_sweep(s);
	stale_write(s);
}

bool fwd_run(const struct fwd_run_opts *o, struct err *e)
{
	struct loop *L = calloc(1, sizeof(*L));
	if (!L)
		return err_set(e, ERR_INTERNAL, "out of memory");
	bool ok = false;
	L->sfd = L->lfd = L->mfd = L->watch.fd = -1;
	struct fwd_state *s = &L->s;
	s->opts = o;
	s->start_ms = now_wall_ms();
	if (!signals_setup(L, e))
		goto out;
	if (!fwd_render_and_test(s, &s->r, e))
		goto out;
	stale_cleanup(s);
	if (!fwd_boxes_alloc(s, now_mono_ms())) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!fwd_listen_on(o->render.listen_host, o->render.listen_port, &L->lfd, &L->listen_port, e))
		goto out;
	fwd_defer_accept(L->lfd, o->render.login_grace_s);
	fwd_host_port_text(s->listen_text, sizeof(s->listen_text), o->render.listen_host, L->listen_port);
	uint16_t mport = 0;
	if (o->render.metrics_port) {
		if (!fwd_listen_on(o->metrics_host, o->render.metrics_port, &L->mfd, &mport, e)) {
			err_wrap(e, "metrics");
			goto out;
		}
		fwd_host_port_text(s->metrics_text, sizeof(s->metrics_text), o->metrics_host, mport);
	}
	watch_start(L);
	s->ready = true;
	log_info("event=listening address=%s port=%u metrics=%s boxes=%zu user=%s out=%s host_key=%s "
		 "nodelay=1 user_timeout_ms=%u max_startups=%u:%u:%u per_source=%u netblock=%u:%u "
		 "login_grace_s=%u",
		 s->listen_text, (unsigned)L->listen_port, s->metrics_text[0] ? s->metrics_text : "off",
		 s->r.signers.n, s->r.user, s->r.out_dir, s->r.host_key.fingerprint, fwd_user_timeout_ms(o),
		 o->render.admit.start, o->render.admit.rate, o->render.admit.full, o->render.admit.per_source,
		 o->render.admit.v4_bits, o->render.admit.v6_bits, o->render.login_grace_s);
	for (size_t i = 0; i < s->r.signers.n; i++)
		log_info("event=box box=%s port=%u ssh_port=%u socket_port=%u key=%s fingerprint=%s line=%u",
			 s->r.signers.v[i].name, (unsigned)s->r.signers.v[i].port,
			 (unsigned)s->r.signers.v[i].port + SIGNER_PORT_OFFSET,
			 (unsigned)s->r.signers.v[i].socket_port,
			 sshkey_type_name(s->r.signers.v[i].key.type), s->r.signers.v[i].key.fingerprint,
			 s->r.signers.v[i].line);
	while (!L->stopping)
		fwd_loop_once(L);
	close(L->lfd);
	L->lfd = -1;
	fwd_stop_children(L);
	stale_write(s);
	log_info("event=stopped accepted=%llu", (unsigned long long)s->accepted_total);
	ok = true;
out:
	for (size_t i = 0; i < s->n_children; i++)
		if (s->children[i].err_fd >= 0)
			close(s->children[i].err_fd);
	while (L->n_http)
		fwd_http_close(L, L->n_http - 1);
	fwd_boxes_free(s);
	free(s->children);
	fwd_rendered_free(&s->r);
	if (L->lfd >= 0)
		close(L->lfd);
	if (L->mfd >= 0)
		close(L->mfd);
	if (L->sfd >= 0)
		close(L->sfd);
	watch_stop(L);
	sigprocmask(SIG_SETMASK, &L->old_mask, NULL);
	free(L);
	return ok;
}
