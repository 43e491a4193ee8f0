/* serve_net.c - the forwarder's sockets: "ADDR:PORT" arguments, the
 * listening sockets (SSH and the exporter), and the TCP options set on each
 * SSH connection it accepts (TCP_NODELAY, keepalive, TCP_USER_TIMEOUT). */
#include "serve_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"

bool fwd_parse_addr(const char *text, char *host, size_t cap, uint16_t *port, struct err *e)
{
	const char *colon;
	const char *h = text;
	size_t hl;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (!rb || rb[1] != ':')
			return err_set(e, ERR_MALFORMED, "address '%.80s': expected [IPV6]:PORT", text);
		h = text + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return err_set(e, ERR_MALFORMED, "address '%.80s': expected ADDRESS:PORT", text);
		hl = (size_t)(colon - text);
	}
	if (hl == 0 || hl >= cap)
		return err_set(e, ERR_MALFORMED, "address '%.80s': the address part is empty or too long", text);
	memcpy(host, h, hl);
	host[hl] = '\0';
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		return err_set(e, ERR_MALFORMED, "address '%.80s': '%s' is not a numeric IPv4 or IPv6 address",
			       text, host);
	const char *p = colon + 1;
	unsigned long v = 0;
	if (!*p || strlen(p) > 5)
		return err_set(e, ERR_MALFORMED, "address '%.80s': the port is missing or too long", text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, ERR_MALFORMED, "address '%.80s': the port is not a number", text);
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return err_set(e, ERR_MALFORMED, "address '%.80s': port %lu is over 65535", text, v);
	*port = (uint16_t)v;
	return true;
}

bool fwd_listen_on(const char *host, uint16_t port, int *fd_out, uint16_t *actual, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0)
		return err_set(e, ERR_MALFORMED, "address %s:%u: %s", host, (unsigned)port, gai_strerror(rc));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return err_errno(e, ERR_IO, "socket for %s:%u", host, (unsigned)port);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
		err_errno(e, ERR_IO, "listen on %s:%u", host, (unsigned)port);
		freeaddrinfo(ai);
		close(fd);
		return false;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	*actual = port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*actual = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return true;
}

void fwd_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%u", h, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
		port = ntohs(a->sin6_port);
		snprintf(out, cap, "[%s]:%u", h, port);
	} else {
		snprintf(out, cap, "unknown");
	}
}

void fwd_host_port_text(char *out, size_t cap, const char *host, uint16_t port)
{
	snprintf(out, cap, "%s%s%s:%u", strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		 (unsigned)port);
}

unsigned fwd_user_timeout_ms(const struct fwd_run_opts *o)
{
	if (o->user_timeout_ms)
		return o->user_timeout_ms;
	return (o->render.alive_interval_s * (o->render.alive_count + 1)) * 1000u;
}

/* What this whole program exists for: TCP_NODELAY on the transport. */
void fwd_tune(int fd, const struct fwd_run_opts *o)
{
	int one = 1;
	int idle = (int)o->render.alive_interval_s, cnt = (int)o->render.alive_count;
	unsigned uto = fwd_user_timeout_ms(o);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		log_warn("event=sockopt option=TCP_NODELAY error=%d", errno);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (idle > 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	}
	if (cnt > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto)) != 0)
		log_warn("event=sockopt option=TCP_USER_TIMEOUT error=%d", errno);
}

/* A connection reaches the accept queue only once its first bytes arrive
 * (or after the grace period). An SSH client sends its identification
 * string as soon as it connects, so boxes are not delayed; connections that
 * never send anything wait in the kernel's SYN queue instead of standing in
 * the accept queue in front of a box. */
void fwd_defer_accept(int fd, unsigned secs)
{
	int s = (int)secs;
	if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &s, sizeof(s)) != 0)
		log_warn("event=sockopt option=TCP_DEFER_ACCEPT error=%d", errno);
}
