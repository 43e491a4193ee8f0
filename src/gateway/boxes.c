/* boxes.c - the box registry: state per (box, key) and the choice of box. */
#include "boxes.h"
#include "../base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

bool gw_boxes_init(struct gw_boxes *b, const char *const *urls, size_t n, unsigned interval_ms,
		   long check_timeout_ms, struct err *e)
{
	memset(b, 0, sizeof(*b));
	if (n == 0)
		return err_set(e, ERR_MALFORMED, "no --box given: the gateway needs at least one box URL");
	if (n > GW_MAX_BOXES)
		return err_set(e, ERR_MALFORMED, "%zu boxes given, at most %d", n, GW_MAX_BOXES);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(urls[i]);
		while (len > 0 && urls[i][len - 1] == '/')
			len--;
		if (len == 0 || len >= GW_BOX_URL_MAX ||
		    (strncmp(urls[i], "http://", 7) != 0 && strncmp(urls[i], "https://", 8) != 0))
			return err_set(e, ERR_MALFORMED,
				       "--box '%.200s': expected http://HOST:PORT (at most %d characters)",
				       urls[i], GW_BOX_URL_MAX - 1);
		memcpy(b->box[i].url, urls[i], len);
		b->box[i].url[len] = '\0';
		for (size_t j = 0; j < i; j++)
			if (strcmp(b->box[j].url, b->box[i].url) == 0)
				return err_set(e, ERR_MALFORMED, "--box %s given twice", b->box[i].url);
		b->box[i].reachable = true; /* until a check says otherwise */
		snprintf(b->box[i].last_error, sizeof(b->box[i].last_error), "not checked yet");
	}
	b->nbox = n;
	for (size_t k = 0; k < GW_MAX_KEYS; k++)
		b->signer[k] = -1;
	b->interval_ms = interval_ms;
	b->check_timeout_ms = check_timeout_ms;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->wake, NULL);
	return true;
}

void gw_boxes_free(struct gw_boxes *b)
{
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->wake);
}

/* Index of pkh among the tracked keys; adds it when add is set and there
 * is room. -1 otherwise. Called with mu held. */
static int key_index(struct gw_boxes *b, const char *pkh, bool add)
{
	for (size_t k = 0; k < b->nkey; k++)
		if (strcmp(b->key[k], pkh) == 0)
			return (int)k;
	if (!add || b->nkey == GW_MAX_KEYS || strlen(pkh) >= GW_PKH_MAX)
		return -1;
	snprintf(b->key[b->nkey], GW_PKH_MAX, "%s", pkh);
	b->signer[b->nkey] = -1;
	return (int)b->nkey++;
}

size_t gw_boxes_order(struct gw_boxes *b, const char *pkh, int order[static GW_MAX_BOXES])
{
	size_t n = 0;
	pthread_mutex_lock(&b->mu);
	int k = key_index(b, pkh, false);
	int preferred = k >= 0 ? b->signer[k] : -1;
	/* Ranks: 0 the last signer, 1 ready, 2 not asked, 3 last resort. */
	for (int rank = 0; rank < 4; rank++) {
		for (size_t i = 0; i < b->nbox; i++) {
			const struct gw_box *x = &b->box[i];
			enum gw_key_state st = k >= 0 ? x->key[k] : GW_KEY_UNKNOWN;
			if (st == GW_KEY_ABSENT)
				continue;
			bool ready = x->reachable && st == GW_KEY_READY;
			int r = (int)i == preferred && ready ? 0
				: ready                     ? 1
				: x->reachable && st == GW_KEY_UNKNOWN ? 2
								       : 3;
			if (r == rank && !(rank == 1 && (int)i == preferred))
				order[n++] = (int)i;
		}
	}
	pthread_mutex_unlock(&b->mu);
	return n;
}

bool gw_boxes_holds(struct gw_boxes *b, const char *pkh)
{
	bool held = false;
	pthread_mutex_lock(&b->mu);
	int k = key_index(b, pkh, false);
	for (size_t i = 0; k >= 0 && i < b->nbox && !held; i++)
		held = b->box[i].key[k] == GW_KEY_READY || b->box[i].key[k] == GW_KEY_NOT_READY;
	pthread_mutex_unlock(&b->mu);
	return held;
}

void gw_boxes_report(struct gw_boxes *b, int box, const char *pkh, enum gw_box_outcome o,
		     const char *why)
{
	if (box < 0 || (size_t)box >= b->nbox)
		return;
	pthread_mutex_lock(&b->mu);
	struct gw_box *x = &b->box[box];
	int k = key_index(b, pkh, o == GW_BOX_SIGNED || o == GW_BOX_HOLDS);
	switch (o) {
	case GW_BOX_SIGNED:
		x->reachable = true;
		if (k >= 0) {
			x->key[k] = GW_KEY_READY;
			b->signer[k] = box;
		}
		break;
	case GW_BOX_HOLDS:
		x->reachable = true;
		if (k >= 0 && x->key[k] != GW_KEY_READY && x->key[k] != GW_KEY_NOT_READY)
			x->key[k] = GW_KEY_READY;
		break;
	case GW_BOX_ABSENT:
		x->reachable = true;
		if (k >= 0) {
			x->key[k] = GW_KEY_ABSENT;
			if (b->signer[k] == box)
				b->signer[k] = -1;
		}
		break;
	case GW_BOX_NOT_READY:
		x->reachable = true;
		if (k >= 0)
			x->key[k] = GW_KEY_NOT_READY;
		break;
	case GW_BOX_FAILED:
		x->failures++;
		x->reachable = false;
		x->checked_ms = (uint64_t)now_wall_ms();
		snprintf(x->last_error, sizeof(x->last_error), "%s", why ? why : "failed");
		break;
	}
	pthread_mutex_unlock(&b->mu);
}

void gw_boxes_view(struct gw_boxes *b, struct gw_boxes_view *out)
{
	pthread_mutex_lock(&b->mu);
	memcpy(out->box, b->box, sizeof(out->box));
	out->nbox = b->nbox;
	memcpy(out->key, b->key, sizeof(out->key));
	out->nkey = b->nkey;
	memcpy(out->signer, b->signer, sizeof(out->signer));
	pthread_mutex_unlock(&b->mu);
}

void gw_boxes_set_checked(struct gw_boxes *b, size_t box, bool reachable, const char *why,
			  const enum gw_key_state *states, size_t nstates,
			  const char (*learned)[GW_PKH_MAX], size_t nlearned)
{
	pthread_mutex_lock(&b->mu);
	struct gw_box *x = &b->box[box];
	x->reachable = reachable;
	x->checked_ms = (uint64_t)now_wall_ms();
	snprintf(x->last_error, sizeof(x->last_error), "%s", why ? why : "");
	for (size_t i = 0; i < nlearned; i++) {
		int k = key_index(b, learned[i], true);
		if (k >= 0 && x->key[k] == GW_KEY_UNKNOWN)
			x->key[k] = GW_KEY_READY;
	}
	for (size_t k = 0; k < nstates && k < b->nkey; k++) {
		if (states[k] != GW_KEY_UNKNOWN)
			x->key[k] = states[k];
	}
	pthread_mutex_unlock(&b->mu);
}
