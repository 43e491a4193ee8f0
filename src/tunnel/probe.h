/* probe.h - a non-blocking `GET /authorized_keys` that the supervisor's
 * poll loop drives: through the tunnel (the probe socket ssh forwards to
 * the endpoint's port P, which comes back through the same connection to
 * the signer) and, when that fails, straight to the signer, to tell a
 * broken tunnel from a stopped signer. octez-client asks /authorized_keys
 * before every sign, so a 200 there is what a baker needs. */
#ifndef TZS_TUNNEL_PROBE_H
#define TZS_TUNNEL_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/http_probe.h"

/* hp.fd is the socket to poll (-1 when idle), hp.deadline_ms its deadline. */
struct http_check {
	struct http_probe hp;
};

void http_check_init(struct http_check *h);

/* Starts a check against a UNIX socket path or a TCP host:port. */
bool http_check_start_unix(struct http_check *h, const char *path, uint64_t now_ms,
			   unsigned timeout_ms, struct err *e);
bool http_check_start_tcp(struct http_check *h, const char *host, uint16_t port,
			  uint64_t now_ms, unsigned timeout_ms, struct err *e);

bool http_check_active(const struct http_check *h);
short http_check_events(const struct http_check *h);

/* Advances on poll's revents: 1 done with a 200, -1 failed (e says why),
 * 0 still going. */
int http_check_step(struct http_check *h, short revents, struct err *e);

/* -1 (and closes) once now_ms passes the deadline, else 0. */
int http_check_expire(struct http_check *h, uint64_t now_ms, struct err *e);

void http_check_close(struct http_check *h);

/* Parses an HTTP status line: the status code, or -1. */
int http_status_of(const char *resp, size_t len);

#endif
