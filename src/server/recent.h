/* recent.h - what a person looking at the box wants to know about its
 * signing: per key, the last (level, round) signed of each consensus kind and
 * when, and the signing latency minute by minute over the last hour. Kept in
 * memory (a restart starts it afresh; the watermarks themselves are on disk).
 * Thread-safe. */
#ifndef TZS_SERVER_RECENT_H
#define TZS_SERVER_RECENT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../tezos/operation.h"

#define RECENT_MINUTES 60
#define RECENT_KINDS 3 /* block, preattestation, attestation */

struct recent_signed {
	bool known;
	uint32_t level, round;
	int64_t at_ms; /* wall clock */
};

struct recent_minute {
	int64_t minute; /* wall-clock minutes since the epoch; 0: empty */
	uint32_t count;
	uint64_t sum_us, max_us;
};

struct recent_key {
	struct recent_signed last[RECENT_KINDS];
	struct recent_minute minutes[RECENT_MINUTES];
};

struct recent {
	pthread_mutex_t lock;
	struct recent_key *keys;
	size_t n;
};

bool recent_init(struct recent *r, size_t nkeys);
void recent_free(struct recent *r);

/* A signature of key (its index in the vault) that took ns to answer. */
void recent_note(struct recent *r, size_t key, const struct op_info *op, uint64_t ns, int64_t now_ms);

/* {"last_signed":{"block":{"level","round","at","age_s"}|null,…},
 *  "latency":[{"minute":"…Z","minutes_ago","count","avg_ms","max_ms"},…]} (oldest first,
 * only minutes with signatures within the last hour). NULL on no memory. */
json_t *recent_key_json(struct recent *r, size_t key, int64_t now_ms);

/* "2026-12-04T16:09:34Z" for a wall-clock time in ms; null for 0. */
json_t *recent_iso_json(int64_t ms);

#endif
