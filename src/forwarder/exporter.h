/* exporter.h - what the forwarder's HTTP port answers:
 *
 *   GET /metrics       Prometheus text: per box tzsigner_forwarder_box_tunnel_up,
 *                      _signer_up, _check_seconds, _sessions, …; connections
 *   GET /status        the same as JSON
 *   GET /ready/NAME    200 when box NAME's signer answers through its tunnel,
 *                      else 503 (404: no such box)
 *   GET /readyz        200 once the SSH listener is up with files sshd accepted
 *   GET /healthz       200 while the loop runs
 *
 * Pure functions of the state, so they can be tested without sockets. */
#ifndef TZS_FORWARDER_EXPORTER_H
#define TZS_FORWARDER_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>

struct fwd_state;

struct http_answer {
	int status;
	const char *content_type;
	char *body; /* malloc'd */
};

/* Routes one request; false only when out of memory. */
bool fwd_http_route(const struct fwd_state *s, const char *method, const char *path,
		    struct http_answer *a);

/* Parses "METHOD SP PATH SP HTTP/1.x" from the start of a request into the
 * buffers; false when it is not a request line. */
bool fwd_http_request_line(const char *req, size_t len, char *method, size_t mcap, char *path,
			   size_t pcap);

#endif
