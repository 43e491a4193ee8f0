/* http_probe.c - non-blocking HTTP GET health probe. */
#include "http_probe.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void http_probe_init(struct http_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

void http_probe_close(struct http_probe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->phase = 0;
}

bool http_probe_active(const struct http_probe *p) { return p->fd >= 0; }

short http_probe_events(const struct http_probe *p) { return p->phase == 3 ? POLLIN : POLLOUT; }

int http_probe_status_of(const char *resp, size_t len)
{
	/* "HTTP/1.x NNN" */
	if (len < 12 || memcmp(resp, "HTTP/1.", 7) != 0 || resp[8] != ' ')
		return -1;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (resp[i] < '0' || resp[i] > '9')
			return -1;
		code = code * 10 + (resp[i] - '0');
	}
	return code;
}

/* Records the failure, closes, returns r. */
static enum http_probe_result fail(struct http_probe *p, enum http_probe_result r,
				   enum http_probe_failure f, const char *what, int err)
{
	p->failure = f;
	p->sys_errno = err;
	snprintf(p->error, sizeof(p->error), "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
	http_probe_close(p);
	return r;
}

static enum http_probe_result start(struct http_probe *p, const struct sockaddr *sa, socklen_t len,
				    const struct http_probe_req *req, uint64_t now_ms,
				    unsigned timeout_ms)
{
	http_probe_close(p);
	p->connected = false;
	p->sent = p->got = 0;
	p->status = 0;
	p->failure = HTTP_PROBE_F_NONE;
	p->sys_errno = 0;
	p->error[0] = '\0';
	p->started_ms = now_ms;
	p->deadline_ms = now_ms + timeout_ms;
	int n = snprintf(p->req, sizeof(p->req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n",
			 req->path, req->host, req->user_agent);
	if (n < 0 || (size_t)n >= sizeof(p->req))
		return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_REQUEST, "request path too long", 0);
	p->req_len = (size_t)n;
	p->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return fail(p, HTTP_PROBE_CONNECT_FAILED, HTTP_PROBE_F_SOCKET, "socket", errno);
	if (req->nodelay && sa->sa_family != AF_UNIX) {
		int one = 1;
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (connect(p->fd, sa, len) == 0) {
		p->connected = true;
		p->phase = 2;
		return HTTP_PROBE_PENDING;
	}
	if (errno == EINPROGRESS || (req->eagain_pending && errno == EAGAIN)) {
		p->phase = 1;
		return HTTP_PROBE_PENDING;
	}
	return fail(p, HTTP_PROBE_CONNECT_FAILED, HTTP_PROBE_F_CONNECT, "connect", errno);
}

enum http_probe_result http_probe_start_unix(struct http_probe *p, const char *sock_path,
					     const struct http_probe_req *req, uint64_t now_ms,
					     unsigned timeout_ms)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(p->target, sizeof(p->target), "%s", sock_path);
	size_t len = strlen(sock_path);
	if (len >= sizeof(sun.sun_path)) {
		p->failure = HTTP_PROBE_F_PATH;
		p->sys_errno = 0;
		snprintf(p->error, sizeof(p->error), "socket path too long");
		return HTTP_PROBE_CONNECT_FAILED;
	}
	memcpy(sun.sun_path, sock_path, len + 1);
	return start(p, (struct sockaddr *)&sun, sizeof(sun), req, now_ms, timeout_ms);
}

enum http_probe_result http_probe_start_tcp(struct http_probe *p, const char *host, uint16_t port,
					    const struct http_probe_req *req, uint64_t now_ms,
					    unsigned timeout_ms)
{
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	bool v6 = strchr(host, ':') != NULL;
	snprintf(p->target, sizeof(p->target), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		 (unsigned)port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0) {
		hints.ai_flags = 0;
		rc = getaddrinfo(host, ps, &hints, &ai);
	}
	if (rc != 0) {
		p->failure = HTTP_PROBE_F_RESOLVE;
		p->sys_errno = 0;
		snprintf(p->error, sizeof(p->error), "resolve: %s", gai_strerror(rc));
		return HTTP_PROBE_CONNECT_FAILED;
	}
	enum http_probe_result r = start(p, ai->ai_addr, ai->ai_addrlen, req, now_ms, timeout_ms);
	freeaddrinfo(ai);
	return r;
}

enum http_probe_result http_probe_step(struct http_probe *p, short revents)
{
	if (p->fd < 0)
		return HTTP_PROBE_PENDING;
	if (p->phase == 1) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return HTTP_PROBE_PENDING;
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0)
			err = errno;
		if (err)
			return fail(p, HTTP_PROBE_CONNECT_FAILED, HTTP_PROBE_F_CONNECT, "connect", err);
		p->connected = true;
		p->phase = 2;
	}
	if (p->phase == 2) {
		while (p->sent < p->req_len) {
			ssize_t w = send(p->fd, p->req + p->sent, p->req_len - p->sent, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				return HTTP_PROBE_PENDING;
			if (w < 0)
				return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_SEND, "send", errno);
			p->sent += (size_t)w;
		}
		p->phase = 3;
		return HTTP_PROBE_PENDING;
	}
	if (!(revents & (POLLIN | POLLERR | POLLHUP)))
		return HTTP_PROBE_PENDING;
	while (p->got < 12 && p->got < sizeof(p->resp) - 1) {
		ssize_t r = recv(p->fd, p->resp + p->got, sizeof(p->resp) - 1 - p->got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return HTTP_PROBE_PENDING;
		if (r < 0)
			return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_RECV, "receive", errno);
		if (r == 0)
			break;
		p->got += (size_t)r;
	}
	p->resp[p->got] = '\0';
	if (p->got == 0)
		return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_CLOSED, "connection closed without an answer", 0);
	int code = http_probe_status_of(p->resp, p->got);
	p->status = code > 0 ? code : 0;
	if (code < 0)
		return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_NOT_HTTP, "the answer is not HTTP", 0);
	if (code == 200) {
		http_probe_close(p);
		return HTTP_PROBE_OK;
	}
	char what[32];
	snprintf(what, sizeof(what), "HTTP status %d", code);
	return fail(p, HTTP_PROBE_NO_200, HTTP_PROBE_F_STATUS, what, 0);
}

enum http_probe_result http_probe_expire(struct http_probe *p, uint64_t now_ms)
{
	if (p->fd < 0 || now_ms < p->deadline_ms)
		return HTTP_PROBE_PENDING;
	bool connected = p->connected;
	return fail(p, connected ? HTTP_PROBE_NO_200 : HTTP_PROBE_CONNECT_FAILED, HTTP_PROBE_F_TIMEOUT,
		    connected ? "no answer within the timeout" : "connect timed out", 0);
}
