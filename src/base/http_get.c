/* http_get.c - a bounded, blocking HTTP GET over TCP. */
#include "http_get.h"
#include "clock.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

bool http_response_split(const char *buf, size_t len, int *status, size_t *body_off,
			 struct err *e)
{
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return err_set(e, ERR_MALFORMED, "the answer is not HTTP (%zu bytes)", len);
	int code = 0;
	for (size_t i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return err_set(e, ERR_MALFORMED, "the HTTP status line has no 3-digit code");
		code = code * 10 + (buf[i] - '0');
	}
	for (size_t i = 12; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			*status = code;
			*body_off = i + 4;
			return true;
		}
	return err_set(e, ERR_MALFORMED, "the HTTP answer's headers do not end (%zu bytes)", len);
}

/* Waits for events on fd until deadline; false on timeout or error. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int64_t left = deadline - (int64_t)now_mono_ms();
		if (left <= 0)
			return false;
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

static int connect_to(const char *host, uint16_t port, int64_t deadline, struct err *e)
{
	char ps[8];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *a;
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	int rc = getaddrinfo(host, ps, &hints, &res);
	if (rc != 0)
		return err_set(e, ERR_UNAVAILABLE, "cannot resolve %s: %s", host, gai_strerror(rc)), -1;
	int fd = -1, last = 0;
	for (a = res; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (!wait_fd(fd, POLLOUT, deadline) ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
			last = soerr ? soerr : ETIMEDOUT;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		err_set(e, ERR_UNAVAILABLE, "cannot connect to %s:%u: %s", host, (unsigned)port,
			strerror(last ? last : ECONNREFUSED));
	return fd;
}

bool http_get(const char *host, uint16_t port, const char *path, int timeout_ms, int *status,
	      char **body, size_t *body_len, struct err *e)
{
	int64_t deadline = (int64_t)now_mono_ms() + timeout_ms;
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s:%u\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n", path, host, (unsigned)port);
	if (n < 0 || (size_t)n >= sizeof(req))
		return err_set(e, ERR_MALFORMED, "request path too long");
	int fd = connect_to(host, port, deadline, e);
	if (fd < 0)
		return false;
	bool ok = false;
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	if (!buf) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t sent = 0; sent < (size_t)n;) {
		ssize_t w = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EINTR) && wait_fd(fd, POLLOUT, deadline))
			continue;
		if (w <= 0) {
			err_set(e, ERR_UNAVAILABLE, "sending to %s:%u failed", host, (unsigned)port);
			goto out;
		}
		sent += (size_t)w;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *g = cap < HTTP_GET_MAX ? realloc(buf, cap * 2) : NULL;
			if (!g) {
				err_set(e, ERR_TOO_LARGE, "the answer of %s:%u is over %d bytes", host,
					(unsigned)port, HTTP_GET_MAX);
				goto out;
			}
			buf = g;
			cap *= 2;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		if ((errno == EAGAIN || errno == EINTR) && wait_fd(fd, POLLIN, deadline))
			continue;
		err_set(e, ERR_UNAVAILABLE, "no complete answer from %s:%u within %d ms", host,
			(unsigned)port, timeout_ms);
		goto out;
	}
	size_t off;
	if (!http_response_split(buf, len, status, &off, e))
		goto out;
	memmove(buf, buf + off, len - off);
	buf[len - off] = '\0';
	*body = buf;
	*body_len = len - off;
	buf = NULL;
	ok = true;
out:
	free(buf);
	close(fd);
	return ok;
}
