/* http_probe.h - a non-blocking HTTP GET whose caller's poll loop drives
 * it: connect (TCP host:port or a UNIX socket path) -> write the request
 * -> read the status line, with a deadline.
 *
 * http_probe_events() says what to wait for, http_probe_step() advances on
 * poll's revents (call it when revents is non-zero), http_probe_expire()
 * ends it at its deadline. A final result says which step failed
 * (failure, sys_errno) and, in error, a plain text of it. */
#ifndef TZS_BASE_HTTP_PROBE_H
#define TZS_BASE_HTTP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum http_probe_result {
	HTTP_PROBE_PENDING = 0,
	HTTP_PROBE_OK,             /* HTTP 200 */
	HTTP_PROBE_CONNECT_FAILED, /* never connected: resolve, socket, connect, timeout */
	HTTP_PROBE_NO_200,         /* connected, then an error, a close, a timeout or not 200 */
};

enum http_probe_failure {
	HTTP_PROBE_F_NONE = 0,
	HTTP_PROBE_F_RESOLVE,  /* host did not resolve (the probe was left as it was) */
	HTTP_PROBE_F_PATH,     /* UNIX socket path too long (the probe was left as it was) */
	HTTP_PROBE_F_REQUEST,  /* request does not fit */
	HTTP_PROBE_F_SOCKET,   /* socket() failed; sys_errno */
	HTTP_PROBE_F_CONNECT,  /* connect failed; sys_errno */
	HTTP_PROBE_F_SEND,     /* send failed; sys_errno */
	HTTP_PROBE_F_RECV,     /* recv failed; sys_errno */
	HTTP_PROBE_F_CLOSED,   /* the peer closed without a byte */
	HTTP_PROBE_F_NOT_HTTP, /* the answer is not an HTTP status line */
	HTTP_PROBE_F_STATUS,   /* a status other than 200 (in status) */
	HTTP_PROBE_F_TIMEOUT,  /* the deadline passed (connected says at which step) */
};

/* What to ask and how. */
struct http_probe_req {
	const char *path;       /* "/authorized_keys" */
	const char *host;       /* the Host: header */
	const char *user_agent;
	bool nodelay;           /* TCP_NODELAY on TCP sockets */
	bool eagain_pending;    /* connect's EAGAIN means in progress, not failed */
};

struct http_probe {
	int fd;    /* -1 when idle */
	int phase; /* 0 idle, 1 connecting, 2 writing, 3 reading */
	bool connected;
	uint64_t started_ms, deadline_ms;
	char target[160]; /* "host:port", "[v6]:port" or the socket path */
	char req[256];
	size_t req_len, sent;
	char resp[128];
	size_t got;
	int status; /* HTTP status when one was read, else 0 */
	enum http_probe_failure failure;
	int sys_errno;   /* errno of a failed call, else 0 */
	char error[128]; /* e.g. "connect: Connection refused" */
};

void http_probe_init(struct http_probe *p);

/* Start GET req->path. HTTP_PROBE_PENDING while it runs; otherwise final
 * (nothing left open). */
enum http_probe_result http_probe_start_tcp(struct http_probe *p, const char *host, uint16_t port,
					    const struct http_probe_req *req, uint64_t now_ms,
					    unsigned timeout_ms);
enum http_probe_result http_probe_start_unix(struct http_probe *p, const char *sock_path,
					     const struct http_probe_req *req, uint64_t now_ms,
					     unsigned timeout_ms);

bool http_probe_active(const struct http_probe *p);
short http_probe_events(const struct http_probe *p);
/* Idle: HTTP_PROBE_PENDING. */
enum http_probe_result http_probe_step(struct http_probe *p, short revents);
/* HTTP_PROBE_PENDING until now_ms reaches the deadline of an active probe. */
enum http_probe_result http_probe_expire(struct http_probe *p, uint64_t now_ms);
void http_probe_close(struct http_probe *p);

/* "HTTP/1.x NNN..." -> NNN; -1 when it is not a status line (yet). */
int http_probe_status_of(const char *resp, size_t len);

#endif
