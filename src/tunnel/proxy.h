/* proxy.h - the ProxyCommand side: tzsigner owns the TCP connection.
 *
 * `tzsigner tunnel proxy HOST PORT` runs as ssh's ProxyCommand with
 * ProxyUseFdpass yes: it resolves and connects to the endpoint itself,
 * sets TCP_NODELAY, TCP keepalive and TCP_USER_TIMEOUT (so a dead uplink
 * is noticed within seconds), logs the connection's own addresses (the
 * supervisor reads them from ssh's stderr to name the uplink), and hands
 * the connected socket to ssh over its stdout, a UNIX socket, as one byte
 * with an SCM_RIGHTS message (OpenSSH's mm_receive_fd reads exactly that),
 * then exits. With bind_uplink the socket is pinned (SO_BINDTODEVICE) to the
 * interface that carries the route to the endpoint when it connects, so
 * the connection never wanders onto another uplink with a source address
 * that uplink would drop: when the routes change, the supervisor moves the
 * tunnel itself, and the old session can still be closed over its own
 * line. */
#ifndef TZS_TUNNEL_PROXY_H
#define TZS_TUNNEL_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../base/err.h"

struct dial_opts {
	const char *host;
	uint16_t port;
	unsigned connect_timeout_ms;
	unsigned user_timeout_ms;  /* TCP_USER_TIMEOUT; 0 leaves the kernel's */
	unsigned keepalive_idle_s; /* 0: no TCP keepalive */
	unsigned keepalive_intvl_s;
	unsigned keepalive_cnt;
	bool bind_uplink;          /* pin the socket to the route's interface (SO_BINDTODEVICE) */
};

struct dial_result {
	char local[64]; /* "10.1.0.2:40312" or "[fe80::1]:40312" */
	char peer[64];
	unsigned ms;    /* time to connect */
	char uplink[16]; /* interface the socket was pinned to ("" if not) */
	const char *kind; /* on failure: "dns", "refused", "timeout", "unreachable", "error" */
};

/* Connects to host:port, trying each resolved address within the timeout.
 * On failure, res->kind says which class of failure it was. */
bool tunnel_dial(const struct dial_opts *o, int *fd_out, struct dial_result *res,
		 struct err *e);

/* Sends fd over the UNIX socket sock (one '\0' byte + SCM_RIGHTS). */
bool tunnel_fd_send(int sock, int fd, struct err *e);

/* Receives one fd sent by tunnel_fd_send (ssh's side; for tests). */
bool tunnel_fd_recv(int sock, int *fd, struct err *e);

/* "1.2.3.4:22" / "[::1]:22"; "?" when the family is unknown. */
const char *tunnel_sockaddr_str(const struct sockaddr *sa, char *out, size_t cap);

#endif
