/* etcd.h - the few etcd v3 calls the gateway needs, over etcd's JSON
 * gateway (etcd_json.h) with libcurl: a linearizable get, and a put guarded
 * by the key's revision. Debian 12 packages no C gRPC client for etcd;
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

bool etcd_get(struct etcd *c, const char *key, struct etcd_kv *kv, struct err *e);

/* Puts value at key if its mod_revision is still seen_mod_revision (0: if
 * the key does not exist). *succeeded false: someone wrote first. */
bool etcd_put_if(struct etcd *c, const char *key, int64_t seen_mod_revision, const char *value,
		 bool *succeeded, struct err *e);

#endif
