/* gateway.h - `tzsigner gateway`: in front of several boxes holding the
 * same keys, one octez remote-signer endpoint for the baker, whose
 * consensus requests are recorded in a high watermark shared through etcd
 * before any box signs them (design §2.7).
 *
 * The gateway keeps no state that matters: several replicas share etcd,
 * and each box keeps its own watermark as the second line. */
#ifndef TZS_GATEWAY_GATEWAY_H
#define TZS_GATEWAY_GATEWAY_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../guard/auth.h"
#include "boxes.h"
#include "etcd.h"
#include "metrics.h"
#include "wm_cache.h"

#define GW_PREFIX_MAX 64
#define GW_MAX_BODY (64 * 1024)

struct gateway_config {
	const char *address;
	uint16_t port;          /* 0 picks a free one */
	unsigned max_connections;
	long box_timeout_ms;    /* one forwarded request */
	char etcd_prefix[GW_PREFIX_MAX];
	bool require_auth;      /* -A: check ?authentication= here too */
};

struct gateway {
	struct gateway_config config;
	struct etcd *etcd;
	struct gw_wm_cache *wm_cache; /* the records last seen in etcd */
	struct gw_boxes *boxes;
	struct gw_metrics *metrics;
	struct auth_keys auth;  /* -A: the keys allowed */
	struct MHD_Daemon *daemon;
	uint16_t port;          /* the port bound */
};

/* Starts the HTTP front (libmicrohttpd, a thread per connection). */
bool gateway_start(struct gateway *gw, struct err *e);
void gateway_stop(struct gateway *gw);

/* ---- inside the module */

struct gw_request {
	struct gateway *gw;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const char *body; /* NUL-terminated */
	size_t body_len;
	uint64_t start_ns;
};

enum MHD_Result gw_api_handle(const struct gw_request *r);
enum MHD_Result gw_sign(const struct gw_request *r, const char *pkh);
enum MHD_Result gw_statusz(const struct gw_request *r, const char *pkh);

/* A box's answer, passed on to the baker as it came. */
struct gw_answer {
	long status;
	char *body;
	size_t len;
	int box;          /* which box answered */
	unsigned retries; /* boxes that failed before it */
};

/* Sends method path_query (with body for POST) for pkh to the boxes in the
 * registry's order, the next one whenever a box gives no answer, 5xx, or
 * 404 (does not hold the key); the first other answer is the result. False
 * with ERR_NOT_FOUND when every box said 404, ERR_UNAVAILABLE when none
 * answered otherwise. */
bool gw_forward(struct gateway *gw, const char *method, const char *pkh, const char *path_query,
		const char *body, size_t body_len, struct gw_answer *out, struct err *e);
void gw_answer_free(struct gw_answer *a);

/* "?k=v&…" of the request's query arguments, escaped again; "" when none.
 * malloc'd. */
char *gw_query_string(struct MHD_Connection *conn);

#endif
