/* loop.c - the front's epoll loop (front.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "front.h"
#include "../base/clock.h"

#define TAG_LISTENER 1ull
#define TAG_KH 2ull
#define TAG_SIGNAL 3ull
#define EVENTS_MAX 256

static bool watch(struct front *f, int fd, uint64_t tag, struct err *e)
{
	int flags = fcntl(fd, F_GETFL);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return err_errno(e, ERR_IO, "watching fd %d", fd);
	return true;
}

bool front_init(struct front *f, const struct front_config *cfg, struct err *e)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->sigfd = -1;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (f->epfd < 0)
		return err_errno(e, ERR_IO, "epoll_create1");
	size_t total = 0;
	for (size_t l = 0; l < cfg->listeners; l++) {
		f->cap[l] = cfg->kind[l] == LISTEN_STATUS ? cfg->status_connections : cfg->max_connections;
		f->slot_base[l] = total;
		total += f->cap[l];
	}
	if (total == 0 || total > FRONT_SLOTS_MAX)
		return err_set(e, ERR_MALFORMED, "%zu connection slots: give 1 to %u over all listeners", total,
			       FRONT_SLOTS_MAX);
	f->conns = calloc(total, sizeof(*f->conns));
	if (!f->conns)
		return err_set(e, ERR_INTERNAL, "out of memory for %zu connections", total);
	f->n_conns = total;
	for (size_t i = 0; i < total; i++) {
		f->conns[i].fd = -1;
		f->conns[i].gen = 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (f->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return err_errno(e, ERR_IO, "signalfd");
	for (size_t l = 0; l < cfg->listeners; l++)
		if (!watch(f, cfg->listen_fd[l], TAG_LISTENER << 32 | l, e))
			return false;
	f->next_scan_ns = now_mono_ns();
	return watch(f, cfg->kh_fd, TAG_KH << 32, e) && watch(f, f->sigfd, TAG_SIGNAL << 32, e);
}

static void on_conn_event(struct front *f, struct conn *c, uint32_t events)
{
	if (c->state == CONN_FREE)
		return;
	if (c->state == CONN_WRITE) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_on_writable(f, c);
		else
			conn_quiet(f, c);
		return;
	}
	if (c->state == CONN_LINGER) {
		uint8_t sink[4096];
		ssize_t got = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(f, c);
		return;
	}
	if (c->state == CONN_WAIT) {
		if (events & (EPOLLERR | EPOLLHUP))
			conn_close(f, c); /* its answer, when it comes, finds the slot moved on */
		else
			conn_quiet(f, c);
		return;
	}
	bool socket = conn_is_socket(f, c);
	if (!conn_read(c, socket ? sock_read_limit(c) : http_read_limit(c))) {
		conn_close(f, c);
		return;
	}
	if (socket)
		sock_on_input(f, c);
	else
		http_on_input(f, c);
}

static void on_signal(struct front *f)
{
	struct signalfd_siginfo si;
	if (read(f->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		log_info("event=front_stopping signal=%u", si.ssi_signo);
		f->stop = true;
	}
}

bool front_run(struct front *f, struct err *e)
{
	struct epoll_event evs[EVENTS_MAX];
	log_info("event=front_started listeners=%zu slots=%zu", f->cfg.listeners, f->n_conns);
	while (!f->stop) {
		uint64_t now = now_mono_ns();
		int timeout = f->next_scan_ns <= now ? 0 : (int)((f->next_scan_ns - now) / 1000000u) + 1;
		if (timeout > 1000)
			timeout = 1000;
		int n = epoll_wait(f->epfd, evs, EVENTS_MAX, timeout);
		if (n < 0 && errno != EINTR)
			return err_errno(e, ERR_IO, "epoll_wait");
		for (int i = 0; i < n && !f->stop; i++) {
			uint64_t tag = evs[i].data.u64 >> 32, low = evs[i].data.u64 & 0xffffffffu;
			if (tag == 0 && low < f->n_conns)
				on_conn_event(f, &f->conns[low], evs[i].events);
			else if (tag == TAG_LISTENER)
				conn_accept(f, (size_t)low);
			else if (tag == TAG_SIGNAL)
				on_signal(f);
			else if (tag == TAG_KH) {
				if ((evs[i].events & EPOLLOUT))
					kh_link_on_writable(f);
				if ((evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !kh_link_on_readable(f, e)) {
					log_info("event=front_stopping reason=key_holder_gone");
					return true;
				}
			}
		}
		conn_expire(f, now_mono_ns());
	}
	return true;
}

void front_free(struct front *f)
{
	for (size_t i = 0; f->conns && i < f->n_conns; i++)
		conn_close(f, &f->conns[i]);
	free(f->conns);
	f->conns = NULL;
	kh_link_free(f);
	if (f->sigfd >= 0)
		close(f->sigfd);
	if (f->epfd >= 0)
		close(f->epfd);
}
