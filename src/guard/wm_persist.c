/* wm_persist.c - the store's writer: one thread, group commit, and the
 * durable snapshot published for readers. */
#include "wm_store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/log.h"

/* One write's worth: every record (the snapshot, and what readers see)
 * and which of them changed (what the journal gets). */
struct batch {
	struct wm_records all;
	struct wm_records changed;
	bool compact;
};

/* Copies what the next write records; notes what it reserves. Under lock. */
static bool collect_locked(struct wm_store *s, struct batch *b, struct err *e)
{
	for (size_t i = 0; i < s->count; i++) {
		struct wm_group *g = s->groups[i];
		for (int k = 0; k < WM_KINDS; k++) {
			if (!g->target[k].known && !g->reserve_target)
				continue;
			struct wm_record r = { .kind = (enum op_kind)k, .w = g->target[k],
					       .reserved = g->reserve_target };
			memcpy(r.chain, g->chain, 4);
			r.pkh = g->pkh;
			if (!wm_records_push(&b->all, &r, e) || (g->dirty && !wm_records_push(&b->changed, &r, e)))
				return false;
		}
		g->dirty = false;
		g->reserve_inflight = g->reserve_target;
	}
	size_t limit = 2 * b->all.n > WM_JOURNAL_MIN_RECORDS ? 2 * b->all.n : WM_JOURNAL_MIN_RECORDS;
	b->compact = s->compact || s->stop || s->journal_fd < 0 ||
		     s->journal_records + b->changed.n > limit;
	s->compact = false;
	return true;
}

/* A snapshot of everything, then an empty journal; or only what changed,
 * appended to the journal. */
static bool write_batch(struct wm_store *s, struct batch *b, struct err *e)
{
	char *text;
	size_t len;
	char journal[4200];
	if (!path_join(journal, sizeof(journal), s->dir, WM_JOURNAL_FILE, e))
		return false;
	if (!b->compact) {
		if (!wm_journal_append(s->journal_fd, journal, b->changed.v, b->changed.n, e))
			return false;
		/* Appended to the file at the path, not to one deleted or replaced
		 * meanwhile (that would be lost at the next start): else the whole
		 * state is written again, now. */
		struct file_id now;
		file_id_of(journal, &now);
		if (file_id_equal(&now, &s->journal_id)) {
			s->journal_records += b->changed.n;
			return true;
		}
		log_error("event=watermark_file_%s path=%s action=rewrite msg=\"the journal changed under "
			  "a write: writing everything again\"", now.known ? "replaced" : "deleted", journal);
	}
	if (!wm_format_serialise(b->all.v, b->all.n, &text, &len, e))
		return false;
	struct file_id id = { 0 };
	bool ok = file_write_durable_id(s->path, text, len, 0600, &id, e) &&
		  wm_journal_reset(&s->journal_fd, journal, &s->journal_id, e);
	free(text);
	if (ok) {
		s->journal_records = 0;
		s->file_id = id;
	}
	if (ok && !s->marker_written) {
		/* Evidence that this directory holds watermarks, should the file
		 * itself ever go missing (checked at open). */
		char marker[4200];
		static const char note[] = "tzsigner keeps high watermarks in this directory\n";
		ok = path_join(marker, sizeof(marker), s->dir, WM_MARKER_FILE, e) &&
		     file_write_durable(marker, note, sizeof(note) - 1, 0600, e);
		s->marker_written = ok;
	}
	return ok;
}

/* Marks what a finished write made durable. Under lock. */
static void settle_locked(struct wm_store *s, bool ok)
{
	if (!ok) {
		s->compact = true; /* what failed is rewritten whole */
		return;
	}
	s->seen_file_id = s->file_id;
	s->seen_journal_id = s->journal_id;
	for (size_t i = 0; i < s->count; i++) {
		struct wm_group *g = s->groups[i];
		if (g->reserve_inflight > atomic_load(&g->reserve_durable) || s->stop)
			atomic_store(&g->reserve_durable, g->reserve_inflight);
	}
}

void wm_publish(struct wm_store *s, struct wm_records *written, bool ok)
{
	struct batch fresh = { 0 };
	bool wrote = written != NULL;
	if (!written) { /* at load: what was read */
		pthread_mutex_lock(&s->lock);
		bool collected = collect_locked(s, &fresh, NULL);
		pthread_mutex_unlock(&s->lock);
		wm_records_free(&fresh.changed);
		if (!collected)
			wm_records_free(&fresh.all);
		written = &fresh.all;
	}
	pthread_mutex_lock(&s->pub_lock);
	if (ok) {
		struct wm_records old = s->published;
		s->published = *written;
		*written = old;
	} else {
		s->stats.write_failures++;
	}
	s->stats.writes += wrote;
	s->stats.window = atomic_load(&s->window);
	pthread_mutex_unlock(&s->pub_lock);
	wm_records_free(written);
}

bool wm_persist_now(struct wm_store *s, struct err *e)
{
	struct batch b = { 0 };
	pthread_mutex_lock(&s->lock);
	s->compact = true;
	bool ok = collect_locked(s, &b, e);
	pthread_mutex_unlock(&s->lock);
	ok = ok && write_batch(s, &b, e);
	pthread_mutex_lock(&s->lock);
	settle_locked(s, ok);
	pthread_mutex_unlock(&s->lock);
	wm_records_free(&b.changed);
	wm_publish(s, &b.all, ok);
	return ok;
}

uint64_t wm_persist_request(struct wm_store *s)
{
	uint64_t gen = ++s->gen_requested;
	pthread_cond_signal(&s->wake);
	return gen;
}

bool wm_persist_wait(struct wm_store *s, uint64_t gen, struct err *e)
{
	while (s->gen_durable < gen && s->gen_failed < gen)
		pthread_cond_wait(&s->done, &s->lock);
	if (s->gen_durable >= gen)
		return true;
	return err_set(e, ERR_UNAVAILABLE, "high watermark could not be made durable, not signing: %s",
		       s->last_error.msg);
}

void *wm_persist_thread(void *arg)
{
	struct wm_store *s = arg;
	bool final_try = false; /* a stop gets one more write, even after failures */
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->gen_requested == s->gen_durable && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->gen_requested == s->gen_durable && s->stop)
			break;
		if (s->stop && final_try)
			break;
		final_try = s->stop;
		uint64_t gen = s->gen_requested;
		struct err e = { 0 };
		struct batch b = { 0 };
		bool ok = collect_locked(s, &b, &e);
		s->writing = true;
		s->gen_writing = gen;
		pthread_mutex_unlock(&s->lock);
		ok = ok && write_batch(s, &b, &e);
		pthread_mutex_lock(&s->lock);
		s->writing = false;
		settle_locked(s, ok);
		if (ok) {
			s->gen_durable = gen;
		} else {
			s->gen_failed = gen;
			s->last_error = e;
			char q[ERR_MSG_MAX + 8];
			log_error("event=watermark_write_failed path=%s reason=%s", s->path,
				  log_str(q, sizeof(q), e.msg));
		}
		pthread_cond_broadcast(&s->done);
		pthread_mutex_unlock(&s->lock);
		wm_records_free(&b.changed);
		wm_publish(s, &b.all, ok);
		pthread_mutex_lock(&s->lock);
		if (!ok && !s->stop) {
			/* Retry in a second, or sooner if asked again. */
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}
