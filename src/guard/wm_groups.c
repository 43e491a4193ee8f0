/* wm_groups.c - the store's table of (chain, key)s, and its cap on chains. */
#include "wm_store_int.h"

#include <stdlib.h>
#include <string.h>

static bool known_chain(const struct wm_store *s, const uint8_t chain[static 4])
{
	for (size_t i = 0; i < s->chain_count; i++)
		if (memcmp(s->chains[i], chain, 4) == 0)
			return true;
	return false;
}

static bool add_chain(struct wm_store *s, const uint8_t chain[static 4], struct err *e)
{
	if (known_chain(s, chain))
		return true;
	if (s->chain_count >= WM_MAX_CHAINS && s->thread_started) {
		char b58[B58_MAX] = "?";
		chain_id_encode(b58, chain, NULL);
		return err_set(e, ERR_FORBIDDEN,
			       "chain %s would be watermark chain number %zu, over the cap of %d: "
			       "restrict the signer to its chains with --chain",
			       b58, s->chain_count + 1, WM_MAX_CHAINS);
	}
	if (s->chain_count == s->chain_cap) {
		size_t cap = s->chain_cap ? s->chain_cap * 2 : WM_MAX_CHAINS;
		uint8_t(*grown)[4] = realloc(s->chains, cap * sizeof(*grown));
		if (!grown)
			return err_set(e, ERR_INTERNAL, "out of memory");
		s->chains = grown;
		s->chain_cap = cap;
	}
	memcpy(s->chains[s->chain_count++], chain, 4);
	return true;
}

struct wm_group *wm_group_get(struct wm_store *s, const uint8_t chain[static 4],
			      const struct pkh *pkh, bool create, struct err *e)
{
	for (size_t i = 0; i < s->count; i++) {
		struct wm_group *g = s->groups[i];
		if (g->pkh.scheme == pkh->scheme && memcmp(g->chain, chain, 4) == 0 &&
		    memcmp(g->pkh.hash, pkh->hash, PKH_BYTES) == 0)
			return g;
	}
	if (!create) {
		err_set(e, ERR_INTERNAL, "no watermark state for this key");
		return NULL;
	}
	if (s->count == WM_STORE_MAX_KEYS) {
		err_set(e, ERR_FORBIDDEN, "more than %d (chain, key) watermarks", WM_STORE_MAX_KEYS);
		return NULL;
	}
	struct wm_group *g = calloc(1, sizeof(*g));
	if (!g) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	memcpy(g->chain, chain, 4);
	g->pkh = *pkh;
	pthread_mutex_lock(&s->lock); /* the persister walks the table */
	bool ok = add_chain(s, chain, e);
	if (ok && s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct wm_group **grown = realloc(s->groups, cap * sizeof(*grown));
		if (!grown)
			ok = err_set(e, ERR_INTERNAL, "out of memory");
		if (grown) {
			s->groups = grown;
			s->cap = cap;
		}
	}
	if (ok)
		s->groups[s->count++] = g;
	pthread_mutex_unlock(&s->lock);
	if (!ok) {
		free(g);
		return NULL;
	}
	return g;
}
