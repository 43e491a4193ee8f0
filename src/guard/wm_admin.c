/* wm_admin.c - the store seen from outside the request path: snapshots
 * for readers, hand edits, imports, and the invariant check. */
#include "wm_store_int.h"

#include <stdio.h>
#include <string.h>

bool wm_store_snapshot(struct wm_store *s, struct wm_records *out, struct wm_stats *st,
		       struct err *e)
{
	bool ok = true;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->pub_lock);
	for (size_t i = 0; ok && i < s->published.n; i++)
		ok = wm_records_push(out, &s->published.v[i], e);
	if (st)
		*st = s->stats;
	pthread_mutex_unlock(&s->pub_lock);
	if (!ok)
		wm_records_free(out);
	return ok;
}

static bool lower(const struct watermark *w, uint32_t level, uint32_t round)
{
	return w->known && wm_order_cmp(level, round, w->level, w->round) < 0;
}

bool wm_store_set(struct wm_store *s, const uint8_t chain[static 4], const struct pkh *pkh,
		  enum op_kind kind, uint32_t level, uint32_t round, bool force, struct err *e)
{
	struct wm_group *g = wm_group_get(s, chain, pkh, true, e);
	if (!g)
		return false;
	struct watermark *m = &g->mem[kind];
	uint32_t held = m->known ? m->level : 0;
	if (g->reserve_target > held)
		held = g->reserve_target;
	if ((lower(m, level, round) || level < g->reserve_target) && !force)
		return err_set(e, ERR_FORBIDDEN,
			       "refusing to lower the %s watermark from level %u to %u without --force",
			       op_kind_name(kind), held, level);
	/* octez's file is read again at every start: a lower value set here
	 * would not stick while it holds a higher one. */
	if (lower(&g->octez[kind], level, round) ||
	    (g->octez[kind].known && g->octez[kind].level == level && round != WM_WHOLE_LEVEL &&
	     g->octez[kind].round == WM_WHOLE_LEVEL))
		return err_set(e, ERR_FORBIDDEN,
			       "octez's %s_high_watermark in %s still holds level %u for this key: edit "
			       "or remove that file first",
			       op_kind_name(kind), s->dir, g->octez[kind].level);
	struct watermark w = { .known = true, .level = level, .round = round };
	*m = w;
	g->target[kind] = w;
	/* The reservation of the other kinds stays, carried as whole levels. */
	for (int k = 0; k < WM_KINDS; k++) {
		struct watermark whole = { .known = true, .level = g->reserve_target, .round = WM_WHOLE_LEVEL };
		if (k != (int)kind && g->reserve_target)
			watermark_merge(&g->mem[k], &whole);
		g->target[k] = g->mem[k];
	}
	g->reserve_target = 0;
	return wm_persist_now(s, e);
}

bool wm_store_raise(struct wm_store *s, const struct wm_records *r, struct err *e)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct wm_record *x = &r->v[i];
		struct wm_group *g = wm_group_get(s, x->chain, &x->pkh, true, e);
		if (!g)
			return false;
		struct watermark *m = &g->mem[x->kind];
		watermark_merge(m, &x->w);
		if (x->reserved) {
			struct watermark whole = { .known = true, .level = x->reserved, .round = WM_WHOLE_LEVEL };
			watermark_merge(m, &whole);
		}
		g->target[x->kind] = *m;
	}
	return wm_persist_now(s, e);
}

static bool check_group(struct wm_store *s, const struct wm_group *g, struct err *e)
{
	uint32_t durable = atomic_load(&g->reserve_durable);
	for (int k = 0; k < WM_KINDS; k++) {
		const struct watermark *m = &g->mem[k], *t = &g->target[k];
		const struct wm_exact *x = &m->exact;
		if (x->known && (!m->known || wm_order_cmp(x->level, x->round, m->level, m->round) > 0))
			return err_set(e, ERR_INTERNAL, "%s: exact record (%u, %u) above its threshold",
				       op_kind_name((enum op_kind)k), x->level, x->round);
		if ((unsigned)x->sig > WM_SIG_UNKNOWN || (x->has_signature && !x->known))
			return err_set(e, ERR_INTERNAL, "%s: malformed exact record", op_kind_name((enum op_kind)k));
		if (t->known && (!m->known || wm_order_cmp(t->level, t->round, m->level, m->round) > 0))
			return err_set(e, ERR_INTERNAL, "%s: what is written (%u) is ahead of what is decided (%u)",
				       op_kind_name((enum op_kind)k), t->level, m->level);
		/* Serving in reserve mode, a signature made was reserved first. */
		if (s->thread_started && s->mode == WM_RESERVE && x->has_signature && x->level > durable)
			return err_set(e, ERR_INTERNAL, "%s: signed level %u above the durable reservation %u",
				       op_kind_name((enum op_kind)k), x->level, durable);
	}
	if (s->thread_started && !s->stop && durable > g->reserve_target && durable > g->reserve_inflight)
		return err_set(e, ERR_INTERNAL, "durable reservation %u ahead of any requested", durable);
	return true;
}

bool wm_store_check(struct wm_store *s, struct err *e)
{
	pthread_mutex_lock(&s->mem_lock);
	pthread_mutex_lock(&s->lock);
	bool ok = s->count <= s->cap && s->count <= WM_STORE_MAX_KEYS && s->gen_durable <= s->gen_requested &&
		  s->gen_failed <= s->gen_requested;
	uint32_t w = atomic_load(&s->window);
	if (!ok)
		err_set(e, ERR_INTERNAL, "store counters inconsistent");
	else if (w < s->window_base || w > WM_WINDOW_MAX)
		ok = err_set(e, ERR_INTERNAL, "window %u outside [%u, %d]", w, s->window_base, WM_WINDOW_MAX);
	for (size_t i = 0; ok && i < s->count; i++) {
		const struct wm_group *g = s->groups[i];
		bool chain_listed = false;
		for (size_t c = 0; c < s->chain_count; c++)
			chain_listed |= memcmp(s->chains[c], g->chain, 4) == 0;
		if (!chain_listed)
			ok = err_set(e, ERR_INTERNAL, "a group's chain is not in the chain list");
		for (size_t j = 0; ok && j < i; j++)
			if (memcmp(s->groups[j]->chain, g->chain, 4) == 0 &&
			    memcmp(&s->groups[j]->pkh, &g->pkh, sizeof(g->pkh)) == 0)
				ok = err_set(e, ERR_INTERNAL, "two groups for one (chain, key)");
		ok = ok && check_group(s, g, e);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->mem_lock);
	return ok;
}
