/* proxy.c - connect to the endpoint and pass the socket to ssh. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../base/clock.h"
#include "../base/uplink.h"

const char *tunnel_sockaddr_str(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(s6->sin6_port));
	} else {
		snprintf(out, cap, "?");
	}
	return out;
}

/* Sets the socket options tunnel_dial sets. */
static bool tunnel_tune_socket(int fd, const struct dial_opts *o, struct err *e)
{
	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		return err_errno(e, ERR_IO, "setsockopt TCP_NODELAY");
	if (o->keepalive_idle_s) {
		int idle = (int)o->keepalive_idle_s, intvl = (int)o->keepalive_intvl_s,
		    cnt = (int)o->keepalive_cnt;
		if (intvl <= 0)
			intvl = idle;
		if (cnt <= 0)
			cnt = 3;
		if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) != 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0)
			return err_errno(e, ERR_IO, "setsockopt TCP keepalive");
	}
	if (o->user_timeout_ms) {
		unsigned int ut = o->user_timeout_ms;
		if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)) != 0)
			return err_errno(e, ERR_IO, "setsockopt TCP_USER_TIMEOUT");
	}
	return true;
}

static const char *errno_kind(int err)
{
	switch (err) {
	case ECONNREFUSED: return "refused";
	case ETIMEDOUT: return "timeout";
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case EADDRNOTAVAIL: return "unreachable";
	default: return "error";
	}
}

/* Pins fd to the interface of the route to ai's address; best effort. */
static void pin_to_uplink(int fd, const struct addrinfo *ai, char *uplink, size_t cap)
{
	char ip[INET6_ADDRSTRLEN], text[64];
	struct route_info ri;
	if (!uplink_addr_of(tunnel_sockaddr_str(ai->ai_addr, text, sizeof(text)), ip, sizeof(ip)) ||
	    !uplink_route_get(ip, NULL, &ri, NULL))
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ri.ifname, (socklen_t)strlen(ri.ifname) + 1) == 0)
		snprintf(uplink, cap, "%s", ri.ifname);
}

/* One address: non-blocking connect bounded by deadline. */
static int connect_one(const struct addrinfo *ai, uint64_t deadline, bool bind_uplink,
		       char *uplink, size_t uplink_cap, int *err_out)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	if (fd < 0) {
		*err_out = errno;
		return -1;
	}
	uplink[0] = '\0';
	if (bind_uplink)
		pin_to_uplink(fd, ai, uplink, uplink_cap);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto connected;
	if (errno != EINPROGRESS) {
		*err_out = errno;
		close(fd);
		return -1;
	}
	for (;;) {
		uint64_t now = now_mono_ms();
		if (now >= deadline) {
			*err_out = ETIMEDOUT;
			close(fd);
			return -1;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*err_out = errno;
			close(fd);
			return -1;
		}
		if (r == 0)
			continue; /* the deadline check above ends it */
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr) {
			*err_out = soerr;
			close(fd);
			return -1;
		}
		break;
	}
connected: {
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}
	return fd;
}

bool tunnel_dial(const struct dial_opts *o, int *fd_out, struct dial_result *res,
		 struct err *e)
{
	char port[8], addr[64];
	memset(res, 0, sizeof(*res));
	res->kind = "error";
	snprintf(port, sizeof(port), "%u", (unsigned)o->port);
	uint64_t start = now_mono_ms();
	uint64_t deadline = start + (o->connect_timeout_ms ? o->connect_timeout_ms : 10000);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_protocol = IPPROTO_TCP, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(o->host, port, &hints, &list);
	if (gai == EAI_NONAME || gai == EAI_ADDRFAMILY) {
		/* AI_ADDRCONFIG hides loopback-only hosts on a box with no
		 * global address; ask again without it. */
		hints.ai_flags = 0;
		gai = getaddrinfo(o->host, port, &hints, &list);
	}
	if (gai != 0) {
		res->kind = gai == EAI_AGAIN || gai == EAI_NONAME || gai == EAI_NODATA ? "dns" : "error";
		return err_set(e, ERR_UNAVAILABLE, "resolve %s: %s", o->host,
			       gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
	}
	int last_err = 0;
	const struct addrinfo *last_ai = list;
	int fd = -1;
	for (const struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
		last_ai = ai;
		fd = connect_one(ai, deadline, o->bind_uplink, res->uplink, sizeof(res->uplink),
				 &last_err);
		if (fd < 0 && last_err == ETIMEDOUT)
			break;
	}
	if (fd < 0) {
		tunnel_sockaddr_str(last_ai->ai_addr, addr, sizeof(addr));
		freeaddrinfo(list);
		res->kind = errno_kind(last_err);
		errno = last_err;
		if (last_err == ETIMEDOUT)
			return err_set(e, ERR_UNAVAILABLE, "connect %s: no answer within %u ms", addr,
				       (unsigned)(deadline - start));
		return err_errno(e, ERR_UNAVAILABLE, "connect %s", addr);
	}
	freeaddrinfo(list);
	res->ms = (unsigned)(now_mono_ms() - start);
	if (!tunnel_tune_socket(fd, o, e)) {
		close(fd);
		return false;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		tunnel_sockaddr_str((struct sockaddr *)&ss, res->local, sizeof(res->local));
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0)
		tunnel_sockaddr_str((struct sockaddr *)&ss, res->peer, sizeof(res->peer));
	res->kind = NULL;
	*fd_out = fd;
	return true;
}

bool tunnel_fd_send(int sock, int fd, struct err *e)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	char ch = '\0';
	struct iovec iov = { .iov_base = &ch, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	memset(&cbuf, 0, sizeof(cbuf));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	for (int tries = 0; tries < 1000; tries++) {
		ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
		if (n == 1)
			return true;
		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd p = { .fd = sock, .events = POLLOUT };
			poll(&p, 1, 100);
			continue;
		}
		if (n < 0 && errno == ENOTSOCK)
			return err_set(e, ERR_IO, "standard output is not a socket: run this as ssh's "
						  "ProxyCommand with ProxyUseFdpass yes");
		return err_errno(e, ERR_IO, "passing the connection to ssh (sendmsg)");
	}
	return err_set(e, ERR_IO, "passing the connection to ssh: socket stayed busy");
}

bool tunnel_fd_recv(int sock, int *fd, struct err *e)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	char ch;
	struct iovec iov = { .iov_base = &ch, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	ssize_t n;
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_errno(e, ERR_IO, "recvmsg");
	if (n != 1)
		return err_set(e, ERR_IO, "recvmsg: expected 1 byte, got %zd", n);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return err_set(e, ERR_IO, "recvmsg: no file descriptor in the message");
	memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return true;
}
