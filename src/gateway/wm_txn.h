/* wm_txn.h - record a consensus request in etcd before it is forwarded
 * (design §2.7). etcd compares bytes and revisions, not numbers, so the
 * write is optimistic: decide with the rule (wm_rule.h) on the record last
 * seen (wm_cache.h), then one swap (etcd_json.h) "mod_revision still the
 * one seen (or the key still absent) → put, else the key as it is now";
 * when the record was not the one seen, decide again on the one etcd sent
 * back. Every verdict is confirmed by etcd with a quorum: an advance by its
 * put, a re-sign of the same bytes or a refusal by a swap without a put
 * (a linearizable check), or decided on the record a failed compare just
 * returned. The common case, this gateway wrote the key last, is one
 * round trip. */
#ifndef TZS_GATEWAY_WM_TXN_H
#define TZS_GATEWAY_WM_TXN_H

#include <stdbool.h>

#include "../base/err.h"
#include "etcd.h"
#include "wm_cache.h"
#include "wm_rule.h"

/* Round trips before a request is given up as contended (503). */
#define GW_WM_MAX_ATTEMPTS 16

struct gw_wm_result {
	enum gw_wm_verdict verdict;
	unsigned round_trips; /* swaps sent to etcd */
};

/* True when the request may be signed (the record now covers it). False
 * with ERR_CONFLICT (refused by the rule) or ERR_UNAVAILABLE (etcd gave no
 * answer, or its record does not parse): never sign then. */
bool gw_wm_reserve(struct etcd *c, struct gw_wm_cache *cache, const char *key, enum op_kind kind,
		   const struct gw_wm *req, struct gw_wm_result *res, struct err *e);

#endif
