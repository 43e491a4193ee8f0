/* etcd.h - the few etcd v3 calls the gateway needs, over etcd's JSON
 * gateway (etcd_json.h) with libcurl: one txn on one key that puts only
 * when the key's revision is still the one seen, and otherwise answers
 * with the key as it is now. Debian 12 packages no C gRPC client for etcd;
 * etcd 3.4 serves the same API as JSON on its client port.
 *
 * Every endpoint of the cluster is tried, the one that answered last first;
 * a call fails with ERR_UNAVAILABLE only when none gave an answer (none
 * reachable, or no quorum: a member without one does not answer reads or
 * writes before its request timeout, nor ours). */
#ifndef TZS_GATEWAY_ETCD_H
#define TZS_GATEWAY_ETCD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "etcd_json.h"
#include "http_client.h"

#define ETCD_MAX_ENDPOINTS 9
#define ETCD_URL_MAX 256

struct etcd {
	char endpoints[ETCD_MAX_ENDPOINTS][ETCD_URL_MAX];
	size_t count;
	struct gw_tls tls;
	bool use_tls;
	long timeout_ms; /* per endpoint and call */
	atomic_size_t preferred;
};

/* urls: "http://h:2379,https://h2:2379". tls may be NULL; its strings must
 * outlive the client. */
bool etcd_init(struct etcd *c, const char *urls, const struct gw_tls *tls, long timeout_ms,
	       struct err *e);

/* One swap (etcd_json.h): put value at key when its mod_revision is still
 * seen_mod_revision (0: when the key does not exist); value NULL puts
 * nothing and only checks. out->succeeded false: the key is not as seen,
 * out->now says how it is. */
bool etcd_swap(struct etcd *c, const char *key, int64_t seen_mod_revision, const char *value,
	       struct etcd_swap *out, struct err *e);

#endif
