/* wm_decide.c - a signature's way through the store: decide and take,
 * make durable as the mode requires, record. */
#include "wm_store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "../base/clock.h"

static void count_wait(struct wm_store *s)
{
	pthread_mutex_lock(&s->pub_lock);
	s->stats.waits++;
	pthread_mutex_unlock(&s->pub_lock);
}

/* The watermark file must be the one we wrote: deleted or replaced (by an
 * operator's cleanup, another user, a restore gone wrong), it is written
 * again from memory before anything is signed. */
static bool check_identity(struct wm_store *s, struct err *e)
{
	struct file_id snap, journal;
	char path[FILE_PATH_MAX + 104];
	file_id_of(s->path, &snap);
	snprintf(path, sizeof(path), "%s/%s", s->dir, WM_JOURNAL_FILE);
	file_id_of(path, &journal);
	pthread_mutex_lock(&s->lock);
	bool ok = true;
	bool same = file_id_equal(&snap, &s->seen_file_id) && file_id_equal(&journal, &s->seen_journal_id);
	/* A write under way may replace the files itself. */
	if (!s->writing && !same) {
		pthread_mutex_lock(&s->pub_lock);
		s->stats.files_replaced++;
		pthread_mutex_unlock(&s->pub_lock);
		log_error("event=watermark_file_%s path=%s action=rewrite msg=\"the watermark file is "
			  "not the one this signer wrote: writing it again from memory before signing\"",
			  snap.known && journal.known ? "replaced" : "deleted",
			  file_id_equal(&snap, &s->seen_file_id) ? path : s->path);
		s->compact = true;
		count_wait(s);
		ok = wm_persist_wait(s, wm_persist_request(s), e);
		if (!ok)
			err_wrap(e, "rewriting %s", s->path);
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void grow_window_locked(struct wm_store *s, uint32_t level, const char *why)
{
	uint32_t w = atomic_load(&s->window);
	s->window_changed_ms = now_mono_ms();
	if (w >= WM_WINDOW_MAX)
		return;
	w = w * 2 > WM_WINDOW_MAX ? WM_WINDOW_MAX : w * 2;
	atomic_store(&s->window, w);
	log_info("event=watermark_window_grown window=%u level=%u reason=%s "
		 "crash_cost=\"up to %u levels of each kind\"", w, level, why, w);
}

/* The disk kept up for WM_WINDOW_CALM_MS: halve the window again (never
 * below --reserve-ahead), so a burst does not leave a crash costing more
 * than it needs to. */
static void calm_window_locked(struct wm_store *s, uint32_t level)
{
	uint32_t w = atomic_load(&s->window);
	uint64_t now = now_mono_ms();
	if (w <= s->window_base || now - s->window_changed_ms < WM_WINDOW_CALM_MS)
		return;
	s->window_changed_ms = now;
	w = w / 2 < s->window_base ? s->window_base : w / 2;
	atomic_store(&s->window, w);
	log_info("event=watermark_window_shrunk window=%u level=%u crash_cost=\"up to %u levels of each kind\"",
		 w, level, w);
}

/* WM_RESERVE: nothing is signed at level before it is durably reserved for
 * the (chain, key); less than half the window left ahead extends it to
 * level + W for all three kinds, in the background. */
static bool reserve(struct wm_store *s, struct wm_group *g, uint32_t level, struct err *e)
{
	uint32_t durable = atomic_load_explicit(&g->reserve_durable, memory_order_acquire);
	uint32_t w = atomic_load_explicit(&s->window, memory_order_relaxed);
	if (level <= durable && durable - level >= (w + 1) / 2)
		return true; /* the steady state: no lock, no disk */
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	durable = atomic_load(&g->reserve_durable);
	if (level > durable) {
		/* Levels came faster than the extension already asked for could
		 * be written: a wider window next time. (A new key, or a jump past
		 * the window after a pause, waits once without growing it.) */
		if (g->reserve_target > durable)
			grow_window_locked(s, level, "waited");
		uint32_t want = wm_level_add(level, atomic_load(&s->window));
		uint64_t gen;
		if (s->writing && g->reserve_inflight >= level) {
			gen = s->gen_writing; /* the write under way covers it */
		} else {
			if (g->reserve_target < want)
				g->reserve_target = want;
			g->dirty = true;
			gen = wm_persist_request(s);
		}
		count_wait(s);
		ok = wm_persist_wait(s, gen, e);
		if (ok && atomic_load(&g->reserve_durable) < level)
			ok = err_set(e, ERR_INTERNAL, "reservation of level %u not durable after write", level);
	} else {
		w = atomic_load(&s->window);
		bool extend = g->reserve_target < wm_level_add(level, (w + 1) / 2);
		/* Half the window used up again while the last extension is still
		 * being written: requests are catching up with the disk. */
		if (extend && g->reserve_target > durable) {
			grow_window_locked(s, level, "caught_up");
			w = atomic_load(&s->window);
		} else if (extend) {
			calm_window_locked(s, level);
			w = atomic_load(&s->window);
		}
		if (extend) {
			g->reserve_target = wm_level_add(level, w);
			g->dirty = true;
			wm_persist_request(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* Folds a record into what the next write records; only ever forward. */
static bool commit(struct wm_store *s, struct wm_group *g, enum op_kind kind,
		   const struct watermark *snap, bool wait, struct err *e)
{
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	watermark_absorb(&g->target[kind], snap);
	g->dirty = true;
	/* WM_RESERVE: the reservation makes signatures safe; the exact record
	 * only serves re-answers and rides along with the next write. */
	if (wait) {
		count_wait(s);
		ok = wm_persist_wait(s, wm_persist_request(s), e);
	} else if (s->mode == WM_SYNC)
		wm_persist_request(s);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

bool wm_store_begin(struct wm_store *s, const struct wm_ask *a, struct wm_ticket *t,
		    struct err *e)
{
	memset(t, 0, sizeof(*t));
	if (!check_identity(s, e))
		return false;
	pthread_mutex_lock(&s->mem_lock);
	struct wm_group *g = wm_group_get(s, a->chain, &a->pkh, true, e);
	if (!g) {
		pthread_mutex_unlock(&s->mem_lock);
		return false;
	}
	struct watermark *m = &g->mem[a->kind];
	enum wm_verdict v = watermark_decide(m, a->kind, a->level, a->round, a->hash, e);
	if (v == WM_REFUSE) {
		pthread_mutex_unlock(&s->mem_lock);
		return false;
	}
	if (v == WM_REANSWER && watermark_has_answer(m, a->level, a->round, a->hash, a->sig)) {
		t->reanswer = true;
		memcpy(t->signature, m->exact.signature, sizeof(t->signature));
	} else if (v == WM_SIGN) {
		/* Taken from here on, even if what follows fails. */
		watermark_record(m, a->level, a->round, a->hash, a->sig, NULL);
	}
	/* else: identical bytes without a signature in this scheme (a device
	 * failed mid-sign, or the other BLS scheme): signed again. */
	struct watermark snap = *m;
	pthread_mutex_unlock(&s->mem_lock);
	bool ok = s->mode == WM_RESERVE ? reserve(s, g, a->level, e)
		  /* sync: a stored answer may not be durable yet (its write
		   * failed, or is under way for a concurrent request) */
		  : !t->reanswer || commit(s, g, a->kind, &snap, true, e);
	if (!ok)
		memset(t, 0, sizeof(*t));
	return ok;
}

bool wm_store_finish(struct wm_store *s, const struct wm_ask *a, const char *signature,
		     struct err *e)
{
	struct watermark snap = { .known = true, .level = a->level, .round = a->round };
	snap.exact = (struct wm_exact){ .known = true, .level = a->level, .round = a->round,
					.sig = a->sig, .has_signature = true };
	memcpy(snap.exact.hash, a->hash, HASH_BYTES);
	snprintf(snap.exact.signature, sizeof(snap.exact.signature), "%s", signature);
	pthread_mutex_lock(&s->mem_lock);
	struct wm_group *g = wm_group_get(s, a->chain, &a->pkh, false, e);
	if (g) {
		struct wm_exact *x = &g->mem[a->kind].exact;
		if (x->known && x->level == a->level && x->round == a->round &&
		    memcmp(x->hash, a->hash, HASH_BYTES) == 0)
			*x = snap.exact;
	}
	pthread_mutex_unlock(&s->mem_lock);
	return g && commit(s, g, a->kind, &snap, s->mode == WM_SYNC, e);
}
