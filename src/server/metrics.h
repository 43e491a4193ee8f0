/* metrics.h - Prometheus text-format metrics of the signer.
 *
 * Counters are lock-free atomics updated on the request path; /metrics
 * renders them with the current high watermarks (read from the store's
 * committed state, never waiting on a key's lock or on a device) and the
 * box's health (a copy of src/health's snapshot: Ledger state per device
 * and key, power, uplink, tunnel). */
#ifndef TZS_SERVER_METRICS_H
#define TZS_SERVER_METRICS_H

#include "recent.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../guard/wm_store.h"
#include "../tezos/operation.h"
#include "../vault/vault.h"

enum sign_outcome {
	OUTCOME_SIGNED,
	OUTCOME_REANSWERED,
	OUTCOME_REFUSED_MALFORMED,     /* 400 */
	OUTCOME_REFUSED_AUTH,          /* 401 */
	OUTCOME_REFUSED_POLICY,        /* 403 */
	OUTCOME_REFUSED_WATERMARK,     /* 409 */
	OUTCOME_REFUSED_UNAVAILABLE,   /* 503 */
	OUTCOME_FAILED,                /* anything else */
	OUTCOME_COUNT
};

#define METRICS_KINDS 5 /* block, preattestation, attestation, other, unparsed */
#define METRICS_BUCKETS 16

struct key_metrics {
	_Atomic uint64_t outcomes[METRICS_KINDS][OUTCOME_COUNT];
	_Atomic uint64_t latency_buckets[METRICS_BUCKETS]; /* cumulative on render */
	_Atomic uint64_t latency_count;
	_Atomic uint64_t latency_sum_ns;
};

struct health;

struct metrics {
	const struct vault *vault;
	struct wm_store *watermarks; /* may be NULL */
	struct health *health;       /* may be NULL: no box health gauges */
	struct key_metrics *keys;    /* one per vault key */
	struct key_metrics unknown_key;
	uint64_t start_unix;
	struct recent recent; /* last signed per kind, latency per minute (/statusz) */
};

bool metrics_init(struct metrics *m, const struct vault *v, struct wm_store *watermarks);
void metrics_free(struct metrics *m);

/* key may be NULL (unknown key); kind_known false when the bytes did not parse. */
void metrics_observe_sign(struct metrics *m, const struct vault_key *key, bool kind_known,
			  enum op_kind kind, enum sign_outcome outcome, uint64_t ns);

enum sign_outcome metrics_outcome_of_status(unsigned int status, bool reanswered);

/* The exposition text, malloc'd; NULL on allocation failure. The HTTP
 * request counters are the front's (front_metrics_append). */
char *metrics_render(struct metrics *m, size_t *len);

#endif
