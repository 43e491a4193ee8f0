/* wm_txn.h - record a consensus request in etcd before it is forwarded
 * (design §2.7). etcd compares bytes and revisions, not numbers, so the
 * write is optimistic: read the record and its mod_revision, decide with
 * the rule (wm_rule.h), then a txn "mod_revision still the one seen (or
 * the key still absent) → put"; when another gateway wrote in between,
 * read again and decide again. */
#ifndef TZS_GATEWAY_WM_TXN_H
#define TZS_GATEWAY_WM_TXN_H

#include <stdbool.h>

#include "../base/err.h"
#include "etcd.h"
#include "wm_rule.h"

/* Attempts before a request is given up as contended (503). */
#define GW_WM_MAX_ATTEMPTS 16

struct gw_wm_result {
	enum gw_wm_verdict verdict;
	unsigned attempts; /* reads made */
};

/* True when the request may be signed (the record now covers it). False
 * with ERR_CONFLICT (refused by the rule) or ERR_UNAVAILABLE (etcd gave no
 * answer, or its record does not parse): never sign then. */
bool gw_wm_reserve(struct etcd *c, const char *key, enum op_kind kind, const struct gw_wm *req,
		   struct gw_wm_result *res, struct err *e);

#endif
