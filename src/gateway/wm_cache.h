/* wm_cache.h - what this gateway last saw of each watermark record in etcd:
 * the record and its mod_revision (or that the key was absent), per
 * (chain, pkh, kind) key. It only saves round trips: the swap's compare
 * (etcd_json.h) makes etcd check it, so a stale or missing entry costs one
 * more round trip, never a decision on a record etcd does not hold.
 *
 * A fixed table of slots chosen by a hash of the key; a key whose slot
 * another one took is simply not cached (then guessed absent). Shared by
 * the request threads: every call takes the lock. */
#ifndef TZS_GATEWAY_WM_CACHE_H
#define TZS_GATEWAY_WM_CACHE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "etcd_json.h"
#include "wm_rule.h"

#define GW_WM_CACHE_SLOTS 256

struct gw_wm_seen {
	bool found;           /* false: the key was absent */
	int64_t mod_revision; /* found: the record's */
	struct gw_wm record;  /* found: the record */
};

struct gw_wm_cache {
	pthread_mutex_t mu;
	struct {
		char key[ETCD_KEY_MAX]; /* "" empty slot */
		struct gw_wm_seen seen;
	} slot[GW_WM_CACHE_SLOTS];
};

void gw_wm_cache_init(struct gw_wm_cache *c);
void gw_wm_cache_free(struct gw_wm_cache *c);

/* What was last seen of key; nothing cached: absent (found false). */
void gw_wm_cache_get(struct gw_wm_cache *c, const char *key, struct gw_wm_seen *out);
void gw_wm_cache_put(struct gw_wm_cache *c, const char *key, const struct gw_wm_seen *seen);

#endif
