/* probe.c - non-blocking HTTP health check. */
#include "probe.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include "proxy.h"

static const char request[] = "GET /authorized_keys HTTP/1.1\r\n"
			      "Host: tzsigner\r\n"
			      "User-Agent: tzsigner-tunnel-probe\r\n"
			      "Connection: close\r\n\r\n";

void http_check_init(struct http_check *h)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
}

void http_check_close(struct http_check *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->phase = 0;
}

bool http_check_active(const struct http_check *h) { return h->fd >= 0; }

short http_check_events(const struct http_check *h)
{
	return h->phase == 3 ? POLLIN : POLLOUT;
}

static bool start(struct http_check *h, int family, const struct sockaddr *sa, socklen_t len,
		  uint64_t now_ms, unsigned timeout_ms, struct err *e)
{
	http_check_close(h);
	h->sent = h->got = 0;
	h->deadline_ms = now_ms + timeout_ms;
	h->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		return err_errno(e, ERR_IO, "probe %s: socket", h->target);
	if (connect(h->fd, sa, len) == 0) {
		h->phase = 2;
		return true;
	}
	if (errno == EINPROGRESS || errno == EAGAIN) {
		h->phase = 1;
		return true;
	}
	err_errno(e, ERR_UNAVAILABLE, "probe %s: connect", h->target);
	http_check_close(h);
	return false;
}

bool http_check_start_unix(struct http_check *h, const char *path, uint64_t now_ms,
			   unsigned timeout_ms, struct err *e)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(h->target, sizeof(h->target), "%s", path);
	if (strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, ERR_MALFORMED, "probe socket path too long: %s", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	return start(h, AF_UNIX, (struct sockaddr *)&sun, sizeof(sun), now_ms, timeout_ms, e);
}

bool http_check_start_tcp(struct http_check *h, const char *host, uint16_t port,
			  uint64_t now_ms, unsigned timeout_ms, struct err *e)
{
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	snprintf(h->target, sizeof(h->target), "%s%s%s:%u", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", (unsigned)port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0) {
		hints.ai_flags = 0;
		rc = getaddrinfo(host, ps, &hints, &ai);
	}
	if (rc != 0)
		return err_set(e, ERR_UNAVAILABLE, "probe %s: resolve: %s", h->target, gai_strerror(rc));
	bool ok = start(h, ai->ai_family, ai->ai_addr, ai->ai_addrlen, now_ms, timeout_ms, e);
	freeaddrinfo(ai);
	return ok;
}

int http_status_of(const char *resp, size_t len)
{
	/* "HTTP/1.1 200 OK" */
	if (len < 12 || strncmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ')
		return -1;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (resp[i] < '0' || resp[i] > '9')
			return -1;
		code = code * 10 + (resp[i] - '0');
	}
	return code;
}

static int fail(struct http_check *h, struct err *e, const char *what)
{
	err_errno(e, ERR_UNAVAILABLE, "probe %s: %s", h->target, what);
	http_check_close(h);
	return -1;
}

int http_check_step(struct http_check *h, short revents, struct err *e)
{
	if (h->fd < 0)
		return 0;
	if (h->phase == 1) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			errno = soerr;
			return fail(h, e, "connect");
		}
		h->phase = 2;
	}
	if (h->phase == 2) {
		size_t total = sizeof(request) - 1;
		while (h->sent < total) {
			ssize_t n = send(h->fd, request + h->sent, total - h->sent, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return 0;
			if (n < 0)
				return fail(h, e, "send");
			h->sent += (size_t)n;
		}
		h->phase = 3;
		return 0;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return 0;
	for (;;) {
		if (h->got >= 12 || h->got >= sizeof(h->resp) - 1)
			break;
		ssize_t n = recv(h->fd, h->resp + h->got, sizeof(h->resp) - 1 - h->got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0)
			return fail(h, e, "receive");
		if (n == 0)
			break;
		h->got += (size_t)n;
	}
	h->resp[h->got] = '\0';
	int status = http_status_of(h->resp, h->got);
	http_check_close(h);
	if (status == 200)
		return 1;
	if (status < 0) {
		err_set(e, ERR_UNAVAILABLE, "probe %s: %s", h->target,
			h->got ? "the answer is not HTTP" : "connection closed without an answer");
		return -1;
	}
	err_set(e, ERR_UNAVAILABLE, "probe %s: HTTP status %d from GET /authorized_keys", h->target,
		status);
	return -1;
}

int http_check_expire(struct http_check *h, uint64_t now_ms, struct err *e)
{
	if (h->fd < 0 || now_ms < h->deadline_ms)
		return 0;
	err_set(e, ERR_UNAVAILABLE, "probe %s: no answer within the timeout", h->target);
	http_check_close(h);
	return -1;
}
