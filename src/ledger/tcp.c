/* tcp.c - the speculos APDU socket (also what tests/ledgersim
 * serves): request u32be len ‖ APDU; reply u32be len(data) ‖ data ‖ SW. */
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/be.h"

struct tcp {
	int fd;
};

/* Waits until fd is ready for events or the deadline passes. */
static bool wait_fd(int fd, short events, int64_t deadline, const char *where, const char *what,
		    int timeout_ms, struct err *e)
{
	for (;;) {
		int64_t left = deadline - ledger_now_ms();
		if (left <= 0)
			return err_set(e, ERR_UNAVAILABLE, "%s: no answer within %d ms while %s", where,
				       timeout_ms, what);
		struct pollfd p = { .fd = fd, .events = events };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return err_errno(e, ERR_UNAVAILABLE, "%s: poll while %s", where, what);
	}
}

static bool send_all(int fd, const uint8_t *p, size_t n, int64_t deadline, const char *where,
		     int timeout_ms, struct err *e)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, deadline, where, "sending", timeout_ms, e))
				return false;
			continue;
		}
		return err_errno(e, ERR_UNAVAILABLE, "%s: sending the APDU (unplugged or closed?)", where);
	}
	return true;
}

static bool recv_all(int fd, uint8_t *p, size_t n, int64_t deadline, const char *where,
		     int timeout_ms, struct err *e)
{
	while (n > 0) {
		ssize_t r = recv(fd, p, n, 0);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return err_set(e, ERR_UNAVAILABLE, "%s: the device closed the connection (unplugged?)",
				       where);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!wait_fd(fd, POLLIN, deadline, where, "waiting for the reply", timeout_ms, e))
				return false;
			continue;
		}
		return err_errno(e, ERR_UNAVAILABLE, "%s: reading the reply", where);
	}
	return true;
}

static bool tcp_exchange(void *impl, const char *where, const uint8_t *apdu, size_t len,
			 uint8_t reply[static LEDGER_REPLY_MAX], size_t *reply_len, int timeout_ms,
			 struct err *e)
{
	struct tcp *c = impl;
	int64_t deadline = ledger_now_ms() + timeout_ms;
	uint8_t req[4 + LEDGER_APDU_MAX];
	if (len > LEDGER_APDU_MAX)
		return err_set(e, ERR_INTERNAL, "%s: APDU of %zu bytes is too long", where, len);
	be32_put(req, (uint32_t)len);
	memcpy(req + 4, apdu, len);
	if (!send_all(c->fd, req, 4 + len, deadline, where, timeout_ms, e))
		return false;
	uint8_t hdr[4];
	if (!recv_all(c->fd, hdr, 4, deadline, where, timeout_ms, e))
		return false;
	uint32_t n = be32_get(hdr);
	if (n > LEDGER_REPLY_MAX - 2)
		return err_set(e, ERR_UNAVAILABLE, "%s: reply announces %u bytes of data (at most %d)", where,
			       n, LEDGER_REPLY_MAX - 2);
	if (!recv_all(c->fd, reply, n + 2, deadline, where, timeout_ms, e))
		return false;
	*reply_len = n + 2;
	return true;
}

static void tcp_close(void *impl)
{
	struct tcp *c = impl;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static const struct ledger_transport_ops tcp_ops = { tcp_exchange, tcp_close };

bool ledger_tcp_open(struct ledger_transport *t, const char *host, uint16_t port, int timeout_ms,
		     struct err *e)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->where, sizeof(t->where), "speculos %s:%u", host, (unsigned)port);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1)
		return err_set(e, ERR_MALFORMED, "Ledger proxy address '%s' is not an IPv4 address", host);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno(e, ERR_UNAVAILABLE, "%s: socket", t->where);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno != EINPROGRESS) {
			err_errno(e, ERR_UNAVAILABLE, "%s: connect (is the device or simulator running?)", t->where);
			close(fd);
			return false;
		}
		int64_t deadline = ledger_now_ms() + timeout_ms;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (!wait_fd(fd, POLLOUT, deadline, t->where, "connecting", timeout_ms, e)) {
			close(fd);
			return false;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr != 0) {
			errno = soerr;
			err_errno(e, ERR_UNAVAILABLE, "%s: connect (is the device or simulator running?)", t->where);
			close(fd);
			return false;
		}
	}
	struct tcp *c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return err_set(e, ERR_INTERNAL, "out of memory");
	}
	c->fd = fd;
	t->impl = c;
	t->ops = &tcp_ops;
	return true;
}

static bool parse_port(const char *s, uint16_t *port)
{
	char *end;
	if (!*s || *s == '-' || *s == '+')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool host_ok(const char *host)
{
	struct in_addr a;
	return strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, &a) == 1;
}

bool ledger_proxy_parse(const char *s, char host[static LEDGER_HOST_MAX], uint16_t *port,
			struct err *e)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= LEDGER_HOST_MAX)
		return err_set(e, ERR_MALFORMED, "Ledger proxy '%.80s' is not HOST:PORT", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (!host_ok(host))
		return err_set(e, ERR_MALFORMED, "Ledger proxy host '%s' is not an IPv4 address or localhost", host);
	if (!parse_port(colon + 1, port))
		return err_set(e, ERR_MALFORMED, "Ledger proxy port '%.16s' is not 1 to 65535", colon + 1);
	return true;
}

bool ledger_proxy_from_env(char host[static LEDGER_HOST_MAX], uint16_t *port, bool *found,
			   struct err *e)
{
	const char *a = getenv("LEDGER_PROXY_ADDRESS");
	const char *p = getenv("LEDGER_PROXY_PORT");
	*found = false;
	if ((!a || !*a) && (!p || !*p))
		return true;
	if (!a || !*a || !p || !*p)
		return err_set(e, ERR_MALFORMED, "LEDGER_PROXY_ADDRESS and LEDGER_PROXY_PORT must be set together");
	if (strlen(a) >= LEDGER_HOST_MAX || !host_ok(a))
		return err_set(e, ERR_MALFORMED, "LEDGER_PROXY_ADDRESS '%.64s' is not an IPv4 address or localhost", a);
	if (!parse_port(p, port))
		return err_set(e, ERR_MALFORMED, "LEDGER_PROXY_PORT '%.16s' is not 1 to 65535", p);
	snprintf(host, LEDGER_HOST_MAX, "%s", a);
	*found = true;
	return true;
}
