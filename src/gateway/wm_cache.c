/* wm_cache.c - the last seen watermark records, in a fixed table. */
#include "wm_cache.h"

#include <stdio.h>
#include <string.h>

void gw_wm_cache_init(struct gw_wm_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
}

void gw_wm_cache_free(struct gw_wm_cache *c) { pthread_mutex_destroy(&c->mu); }

/* FNV-1a: keys are ours, not chosen to collide on purpose, and a collision
 * only costs a round trip. */
static size_t slot_of(const char *key)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return (size_t)(h % GW_WM_CACHE_SLOTS);
}

void gw_wm_cache_get(struct gw_wm_cache *c, const char *key, struct gw_wm_seen *out)
{
	memset(out, 0, sizeof(*out));
	size_t i = slot_of(key);
	pthread_mutex_lock(&c->mu);
	if (strcmp(c->slot[i].key, key) == 0)
		*out = c->slot[i].seen;
	pthread_mutex_unlock(&c->mu);
}

void gw_wm_cache_put(struct gw_wm_cache *c, const char *key, const struct gw_wm_seen *seen)
{
	if (key[0] == '\0' || strlen(key) >= ETCD_KEY_MAX)
		return;
	size_t i = slot_of(key);
	pthread_mutex_lock(&c->mu);
	/* Never back to an older revision: another thread may have seen a
	 * newer one of the same key meanwhile. */
	if (strcmp(c->slot[i].key, key) != 0 || !c->slot[i].seen.found || !seen->found ||
	    seen->mod_revision >= c->slot[i].seen.mod_revision) {
		snprintf(c->slot[i].key, sizeof(c->slot[i].key), "%s", key);
		c->slot[i].seen = *seen;
	}
	pthread_mutex_unlock(&c->mu);
}
