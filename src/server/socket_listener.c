/* socket_listener.c - accept loop and connections of the socket protocol
 * (socket_listener.h). One thread accepts; each connection has its own
 * thread, as HTTP connections do, so a slow Ledger holds up only its own. */
#include "socket_listener.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "request.h"
#include "listen.h"

struct socket_listener {
	struct socket_uri where;
	struct socket_listen_opts opts;
	const struct socket_service *svc;
	char name[160];
	int fd;
	int wake[2];
	pthread_t acceptor;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	bool stopping;
	unsigned int active;
	int *conn_fds; /* opts.max_connections slots, -1 when free */
};

struct conn {
	struct socket_listener *l;
	int fd;
	size_t slot;
};

/* Reads exactly n bytes before deadline_ns; false on EOF, error or time. */
static bool read_full(int fd, uint8_t *p, size_t n, uint64_t deadline_ns)
{
	while (n > 0) {
		uint64_t now = monotonic_ns();
		if (now >= deadline_ns)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int ms = (int)((deadline_ns - now) / 1000000u) + 1;
		if (poll(&pfd, 1, ms) <= 0)
			return false;
		ssize_t got = recv(fd, p, n, 0);
		if (got <= 0) {
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}

static bool write_full(int fd, const uint8_t *p, size_t n, uint64_t deadline_ns)
{
	while (n > 0) {
		uint64_t now = monotonic_ns();
		if (now >= deadline_ns)
			return false;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, (int)((deadline_ns - now) / 1000000u) + 1) <= 0)
			return false;
		ssize_t put = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (put < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (put <= 0)
			return false;
		p += put;
		n -= (size_t)put;
	}
	return true;
}

static void release(struct socket_listener *l, size_t slot)
{
	pthread_mutex_lock(&l->lock);
	l->conn_fds[slot] = -1;
	l->active--;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->lock);
}

static void *serve_connection(void *arg)
{
	struct conn *c = arg;
	struct socket_listener *l = c->l;
	uint8_t *in = malloc(SOCK_PAYLOAD_MAX);
	struct sock_reply *out = malloc(sizeof(*out));
	unsigned requests = 0;
	const char *why = "closed";
	while (in && out) {
		uint8_t header[SOCK_HEADER_BYTES];
		uint64_t idle_end = monotonic_ns() + (uint64_t)l->opts.idle_timeout_ms * 1000000u;
		if (!read_full(c->fd, header, 1, idle_end))
			break;
		uint64_t frame_end = monotonic_ns() + (uint64_t)l->opts.frame_timeout_ms * 1000000u;
		if (!read_full(c->fd, header + 1, 1, frame_end)) {
			why = "truncated_or_slow_request";
			break;
		}
		size_t len = sock_frame_length(header);
		if (!read_full(c->fd, in, len, frame_end)) {
			why = "truncated_or_slow_request";
			break;
		}
		bool decoded = socket_handle(l->svc, in, len, out);
		requests++;
		if (!write_full(c->fd, out->bytes, out->len,
				monotonic_ns() + (uint64_t)l->opts.frame_timeout_ms * 1000000u)) {
			why = "reply_not_taken";
			break;
		}
		if (!decoded) {
			why = "malformed_request";
			break;
		}
	}
	log_debug("event=socket_connection_closed listener=%s requests=%u why=%s", l->name, requests, why);
	free(in);
	free(out);
	int fd = c->fd;
	release(l, c->slot); /* the listener may be gone from here on */
	close(fd);
	free(c);
	return NULL;
}

/* Takes a free slot; false when every one is taken or the listener stops. */
static bool admit(struct socket_listener *l, int fd, size_t *slot)
{
	bool ok = false;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; !l->stopping && i < l->opts.max_connections; i++) {
		if (l->conn_fds[i] < 0) {
			l->conn_fds[i] = fd;
			l->active++;
			*slot = i;
			ok = true;
			break;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}

static void *accept_loop(void *arg)
{
	struct socket_listener *l = arg;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = l->fd, .events = POLLIN }, { .fd = l->wake[0], .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		size_t slot;
		if (!admit(l, fd, &slot)) {
			log_warn("event=socket_connection_refused listener=%s reason=\"all %u connections in use (--max-connections)\"",
				 l->name, l->opts.max_connections);
			close(fd);
			continue;
		}
		int one = 1;
		if (!l->where.is_unix)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = malloc(sizeof(*c));
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (c) {
			*c = (struct conn){ l, fd, slot };
			if (pthread_create(&t, &attr, serve_connection, c) == 0) {
				pthread_attr_destroy(&attr);
				continue;
			}
		}
		pthread_attr_destroy(&attr);
		log_error("event=socket_connection_refused listener=%s reason=\"no thread for it\"", l->name);
		free(c);
		close(fd);
		release(l, slot);
	}
	return NULL;
}

bool socket_listener_start(struct socket_listener **out, const struct socket_uri *where,
			   const struct socket_listen_opts *opts, const struct socket_service *svc,
			   struct err *e)
{
	struct socket_listener *l = calloc(1, sizeof(*l));
	if (!l || !(l->conn_fds = malloc(opts->max_connections * sizeof(int)))) {
		free(l);
		return err_set(e, ERR_INTERNAL, "out of memory for a socket listener");
	}
	l->where = *where;
	l->opts = *opts;
	l->svc = svc;
	l->fd = -1;
	for (size_t i = 0; i < opts->max_connections; i++)
		l->conn_fds[i] = -1;
	uint16_t port = 0;
	bool ok = server_listen_socket(where, opts->has_group ? &opts->group : NULL, &l->fd, &port, e);
	if (ok)
		server_socket_name(where, port, l->name, sizeof(l->name));
	if (ok && pipe2(l->wake, O_CLOEXEC) != 0)
		ok = err_errno(e, ERR_IO, "pipe for %s", l->name);
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->idle, NULL);
	if (ok && pthread_create(&l->acceptor, NULL, accept_loop, l) != 0) {
		close(l->wake[0]);
		close(l->wake[1]);
		ok = err_set(e, ERR_INTERNAL, "no thread for %s", l->name);
	}
	if (!ok) {
		if (l->fd >= 0) {
			close(l->fd);
			if (where->is_unix)
				unlink(where->path);
		}
		pthread_mutex_destroy(&l->lock);
		pthread_cond_destroy(&l->idle);
		free(l->conn_fds);
		free(l);
		return false;
	}
	*out = l;
	return true;
}

const char *socket_listener_name(const struct socket_listener *l) { return l->name; }

void socket_listener_stop(struct socket_listener *l)
{
	if (!l)
		return;
	if (write(l->wake[1], "x", 1) < 0)
		log_warn("event=socket_stop listener=%s msg=\"wake pipe: %s\"", l->name, strerror(errno));
	pthread_join(l->acceptor, NULL);
	pthread_mutex_lock(&l->lock);
	l->stopping = true;
	for (size_t i = 0; i < l->opts.max_connections; i++)
		if (l->conn_fds[i] >= 0)
			shutdown(l->conn_fds[i], SHUT_RDWR);
	while (l->active > 0)
		pthread_cond_wait(&l->idle, &l->lock);
	pthread_mutex_unlock(&l->lock);
	close(l->fd);
	close(l->wake[0]);
	close(l->wake[1]);
	if (l->where.is_unix)
		unlink(l->where.path);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->idle);
	free(l->conn_fds);
	free(l);
}
