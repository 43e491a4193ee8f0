/* boxprobe.c - non-blocking HTTP check of a box through its tunnel. */
#include "boxprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t boxprobe_elapsed_us(const struct boxprobe *p) { return mono_us() - p->started_us; }

void boxprobe_init(struct boxprobe *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

void boxprobe_close(struct boxprobe *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->phase = 0;
}

bool boxprobe_active(const struct boxprobe *p) { return p->fd >= 0; }

short boxprobe_events(const struct boxprobe *p) { return p->phase == 3 ? POLLIN : POLLOUT; }

int boxprobe_status_of(const char *resp, size_t len)
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

static enum probe_result fail(struct boxprobe *p, enum probe_result r, const char *what, int err)
{
	snprintf(p->error, sizeof(p->error), "%s%s%s", what, err ? ": " : "", err ? strerror(err) : "");
	boxprobe_close(p);
	return r;
}

enum probe_result boxprobe_start(struct boxprobe *p, uint16_t port, const char *path,
				 uint64_t now_ms, unsigned timeout_ms)
{
	boxprobe_close(p);
	p->connected = false;
	p->sent = p->got = 0;
	p->status = 0;
	p->error[0] = '\0';
	p->started_ms = now_ms;
	p->started_us = mono_us();
	p->deadline_ms = now_ms + timeout_ms;
	int n = snprintf(p->req, sizeof(p->req),
			 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nUser-Agent: tzsigner-forwarder\r\n"
			 "Connection: close\r\n\r\n",
			 path, (unsigned)port);
	if (n < 0 || (size_t)n >= sizeof(p->req))
		return fail(p, PROBE_NO_ANSWER, "request path too long", 0);
	p->req_len = (size_t)n;
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return fail(p, PROBE_NO_ANSWER, "socket", errno);
	int one = 1;
	setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(p->fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		p->connected = true;
		p->phase = 2;
		return PROBE_PENDING;
	}
	if (errno == EINPROGRESS) {
		p->phase = 1;
		return PROBE_PENDING;
	}
	return fail(p, PROBE_TUNNEL_DOWN, "connect", errno);
}

enum probe_result boxprobe_step(struct boxprobe *p, short revents)
{
	if (p->fd < 0)
		return PROBE_NO_ANSWER;
	if (p->phase == 1) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0)
			err = errno;
		if (err)
			return fail(p, PROBE_TUNNEL_DOWN, "connect", err);
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return PROBE_PENDING;
		p->connected = true;
		p->phase = 2;
	}
	if (p->phase == 2) {
		while (p->sent < p->req_len) {
			ssize_t w = send(p->fd, p->req + p->sent, p->req_len - p->sent, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EAGAIN || errno == EINTR)
					return PROBE_PENDING;
				return fail(p, PROBE_NO_ANSWER, "send", errno);
			}
			p->sent += (size_t)w;
		}
		p->phase = 3;
		return PROBE_PENDING;
	}
	for (;;) {
		if (p->got >= sizeof(p->resp))
			break;
		ssize_t r = recv(p->fd, p->resp + p->got, sizeof(p->resp) - p->got, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return PROBE_PENDING;
			return fail(p, PROBE_NO_ANSWER, "the tunnel accepted, then", errno);
		}
		if (r == 0) {
			if (p->got == 0)
				return fail(p, PROBE_NO_ANSWER,
					    "the tunnel accepted, then closed without an answer: the box's "
					    "signer is not reachable from its ssh",
					    0);
			break;
		}
		p->got += (size_t)r;
		if (p->got >= 12)
			break;
	}
	int code = boxprobe_status_of(p->resp, p->got);
	p->status = code > 0 ? code : 0;
	if (code == 200) {
		boxprobe_close(p);
		return PROBE_OK;
	}
	if (code < 0)
		return fail(p, PROBE_NO_ANSWER, "the answer is not HTTP", 0);
	snprintf(p->error, sizeof(p->error), "the signer answered HTTP %d", code);
	boxprobe_close(p);
	return PROBE_NO_ANSWER;
}

enum probe_result boxprobe_expire(struct boxprobe *p, uint64_t now_ms)
{
	if (p->fd < 0 || now_ms < p->deadline_ms)
		return PROBE_PENDING;
	snprintf(p->error, sizeof(p->error), "%s after %llu ms",
		 p->connected ? "no answer through the tunnel" : "connect timed out",
		 (unsigned long long)(now_ms - p->started_ms));
	bool connected = p->connected;
	boxprobe_close(p);
	return connected ? PROBE_NO_ANSWER : PROBE_TUNNEL_DOWN;
}
