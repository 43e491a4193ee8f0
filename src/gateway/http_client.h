/* http_client.h - the gateway's outgoing HTTP exchanges (to the boxes and to
 * etcd's JSON gateway), with libcurl. Easy handles are pooled so that their
 * connections stay open between requests (HTTP keep-alive, TLS sessions). */
#ifndef TZS_GATEWAY_HTTP_CLIENT_H
#define TZS_GATEWAY_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

/* Largest answer read from a box or from etcd; a longer one is a failure. */
#define GW_HTTP_MAX_ANSWER (256 * 1024)

/* Client certificates for an https:// peer (etcd with TLS). Any may be NULL. */
struct gw_tls {
	const char *cacert;
	const char *cert;
	const char *key;
};

struct gw_http_req {
	const char *method;   /* "GET" or "POST" */
	const char *url;
	const char *body;     /* POST only; JSON */
	size_t body_len;
	long timeout_ms;      /* the whole exchange */
	long connect_timeout_ms;
	const struct gw_tls *tls; /* may be NULL */
};

struct gw_http_answer {
	long status;
	char *body; /* malloc'd, NUL-terminated, len bytes */
	size_t len;
};

/* Once per process, before any thread starts. */
bool gw_http_global_init(struct err *e);
/* Frees the pooled handles; no exchange may run any more. */
void gw_http_global_cleanup(void);

/* One exchange. False (ERR_UNAVAILABLE) when no HTTP answer came back:
 * connection refused or lost, timeout, TLS failure, answer over the cap;
 * the message names the URL and libcurl's reason. *timed_out tells a
 * timeout apart (may be NULL). Any HTTP status is a success here. */
bool gw_http_exchange(const struct gw_http_req *req, struct gw_http_answer *ans, bool *timed_out,
		      struct err *e);
void gw_http_answer_free(struct gw_http_answer *ans);

#endif
