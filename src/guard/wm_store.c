/* wm_store.c - open, load and close the high watermark store. */
#include "wm_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"

#define WM_FILE_MAX (16 * 1024 * 1024)

static const char *const octez_files[WM_KINDS] = {
	"block_high_watermark", "preattestation_high_watermark", "attestation_high_watermark"
};

/* Folds a loaded record into its group. */
static bool merge_record(struct wm_store *s, const struct wm_record *r, bool from_octez,
			 struct err *e)
{
	struct wm_group *g = wm_group_get(s, r->chain, &r->pkh, true, e);
	if (!g)
		return false;
	if (from_octez)
		watermark_merge(&g->octez[r->kind], &r->w);
	watermark_absorb(&g->mem[r->kind], &r->w);
	if (r->reserved) {
		/* After a crash the reservation is what was signed, at most. */
		struct watermark whole = { .known = true, .level = r->reserved, .round = WM_WHOLE_LEVEL };
		watermark_merge(&g->mem[r->kind], &whole);
		if (r->reserved > g->reserve_target)
			g->reserve_target = r->reserved;
	}
	g->target[r->kind] = g->mem[r->kind];
	atomic_store(&g->reserve_durable, g->reserve_target);
	return true;
}

/* Reads dir/name (ours: kind -1; octez's: kind; the journal: kind -2) and
 * folds its records in; *count grows by what was read. */
static bool load_file(struct wm_store *s, const char *name, int kind, size_t *count,
		      struct err *e)
{
	char *buf, where[4200];
	size_t len, torn = 0;
	struct wm_records r = { 0 };
	if (!file_read_optional(s->dir, name, WM_FILE_MAX, FILE_TRUSTED, &buf, &len, e))
		return false;
	if (!buf)
		return true;
	snprintf(where, sizeof(where), "%s/%s", s->dir, name);
	bool ok = kind == -1   ? wm_format_parse(buf, len, where, &r, e)
		  : kind == -2 ? wm_journal_parse((const uint8_t *)buf, len, where, &r, &torn, e)
			       : wm_format_parse_octez(buf, len, where, (enum op_kind)kind, &r, e);
	file_free(buf, len);
	for (size_t i = 0; ok && i < r.n; i++)
		ok = merge_record(s, &r.v[i], kind >= 0, e);
	if (ok && torn)
		log_warn("event=watermark_journal_torn_tail path=%s records=%zu msg=\"a write cut by a crash, "
			 "never acknowledged: dropped\"", where, r.n);
	*count += r.n + (kind == -1); /* ours: present even when empty */
	wm_records_free(&r);
	return ok;
}

static bool exists(const char *dir, const char *name)
{
	char path[FILE_PATH_MAX + 104];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static bool load(struct wm_store *s, const char *base_dir, bool lock, bool *ours, struct err *e)
{
	s->lock_fd = -1;
	s->journal_fd = -1;
	pthread_mutex_init(&s->mem_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->pub_lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	s->window_base = WM_WINDOW_DEFAULT;
	atomic_store(&s->window, WM_WINDOW_DEFAULT);
	if (!path_join(s->path, sizeof(s->path), base_dir, WM_STORE_FILE, e))
		return false;
	snprintf(s->dir, sizeof(s->dir), "%s", base_dir);
	if (!dir_check_trusted(base_dir, e))
		return false;
	if (lock && !dir_lock_exclusive(base_dir, &s->lock_fd, e))
		return false;
	size_t n = 0, from_octez = 0, journaled = 0;
	/* Read while a signer runs (`list`, `export`), a compaction may replace
	 * the file and empty the journal between the two reads: read both again
	 * until the file stayed the same (records only raise: reading twice is
	 * harmless). */
	for (int tries = 0;; tries++) {
		struct file_id before, after;
		file_id_of(s->path, &before);
		if (!load_file(s, WM_STORE_FILE, -1, &n, e) ||
		    !load_file(s, WM_JOURNAL_FILE, -2, &journaled, e))
			return false;
		file_id_of(s->path, &after);
		if (file_id_equal(&before, &after))
			break;
		if (tries == 10)
			return err_set(e, ERR_UNAVAILABLE, "%s keeps changing while it is read", s->path);
	}
	*ours = n > 0;
	for (int k = 0; k < WM_KINDS; k++)
		if (!load_file(s, octez_files[k], k, &from_octez, e))
			return false;
	if (from_octez)
		log_info("event=octez_watermarks_loaded records=%zu base_dir=%s", from_octez, base_dir);
	file_id_of(s->path, &s->file_id);
	s->seen_file_id = s->file_id;
	return true;
}

bool wm_store_load(struct wm_store **out, const char *base_dir, bool lock, struct err *e)
{
	bool ours;
	struct wm_store *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (!load(s, base_dir, lock, &ours, e)) {
		wm_store_free(s);
		return false;
	}
	wm_publish(s, NULL, true);
	*out = s;
	return true;
}

/* A directory used before whose file is gone: someone deleted it, and
 * starting from nothing could sign again what was signed. */
static bool check_not_lost(struct wm_store *s, bool ours, bool init, struct err *e)
{
	const char *evidence = exists(s->dir, WM_MARKER_FILE)	   ? WM_MARKER_FILE
			       : exists(s->dir, WM_JOURNAL_FILE)     ? WM_JOURNAL_FILE
			       : exists(s->dir, WM_LEGACY_LOCK_FILE) ? WM_LEGACY_LOCK_FILE
								     : NULL;
	/* This version writes its marker and its journal together: a marker
	 * without a journal means the journal was deleted, and with it the
	 * reservations made since the last snapshot. */
	bool journal_lost = ours && exists(s->dir, WM_MARKER_FILE) && !exists(s->dir, WM_JOURNAL_FILE);
	if ((ours && !journal_lost) || !evidence)
		return true;
	if (journal_lost && !init)
		return err_set(e, ERR_FORBIDDEN,
			       "%s/%s is missing: the levels it reserved since the last snapshot are "
			       "unknown, and starting could sign them again. Restore it, or start once "
			       "with --init if nothing was signed since the signer last stopped cleanly",
			       s->dir, WM_JOURNAL_FILE);
	if (init) {
		log_warn("event=watermarks_reinitialised path=%s evidence=%s msg=\"--init: starting "
			 "without the watermark file of a directory used before\"", s->path, evidence);
		return true;
	}
	return err_set(e, ERR_FORBIDDEN,
		       "%s is missing but %s/%s shows this directory was used before: starting "
		       "from nothing could sign again what was signed. Restore it (tzsigner "
		       "watermarks import BACKUP), or start once with --init if you are sure",
		       s->path, s->dir, evidence);
}

bool wm_store_open(struct wm_store **out, const char *base_dir, const struct wm_options *o,
		   struct err *e)
{
	bool ours;
	struct wm_store *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (!load(s, base_dir, true, &ours, e) || !check_not_lost(s, ours, o->init, e))
		goto fail;
	s->mode = o->mode;
	s->window_base = o->reserve_ahead ? o->reserve_ahead : WM_WINDOW_DEFAULT;
	if (s->window_base > WM_WINDOW_MAX)
		s->window_base = WM_WINDOW_MAX;
	atomic_store(&s->window, s->window_base);
	/* Every known (chain, key) is reserved ahead before the port opens, so
	 * the first signature after a start does not wait for the disk. Ahead
	 * of what was signed (the exact records), not of a reservation loaded
	 * after a crash: crashes in a row must not add up their windows. */
	for (size_t i = 0; s->mode == WM_RESERVE && i < s->count; i++) {
		struct wm_group *g = s->groups[i];
		uint32_t top = 0, threshold = 0;
		for (int k = 0; k < WM_KINDS; k++) {
			if (g->mem[k].exact.known && g->mem[k].exact.level > top)
				top = g->mem[k].exact.level;
			if (g->mem[k].known && g->mem[k].level > threshold)
				threshold = g->mem[k].level;
		}
		if (!top && g->reserve_target)
			continue; /* reserved, no record of what: keep what is reserved */
		if (!top)
			top = threshold;
		if (top && wm_level_add(top, s->window_base) > g->reserve_target)
			g->reserve_target = wm_level_add(top, s->window_base);
	}
	if (!wm_persist_now(s, e)) {
		err_wrap(e, "writing watermarks");
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, wm_persist_thread, s) != 0) {
		err_set(e, ERR_INTERNAL, "could not start the watermark writer thread");
		goto fail;
	}
	s->thread_started = true;
	log_info("event=watermarks_open path=%s keys=%zu chains=%zu durability=%s window=%u "
		 "window_max=%d crash_cost=\"up to %u levels of each kind\"",
		 s->path, s->count, s->chain_count, s->mode == WM_SYNC ? "sync" : "reserve",
		 s->window_base, WM_WINDOW_MAX, s->mode == WM_SYNC ? 0 : s->window_base);
	*out = s;
	return true;
fail:
	wm_store_free(s);
	return false;
}

void wm_store_close(struct wm_store *s)
{
	if (!s)
		return;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mem_lock);
		pthread_mutex_lock(&s->lock);
		/* A clean stop: nothing signs any more (the server is stopped), so
		 * each decision state is exactly what was signed. Reservations never
		 * used are handed back, so a clean restart costs no level; a whole
		 * level loaded after a crash is part of mem and stays. */
		for (size_t i = 0; i < s->count; i++) {
			struct wm_group *g = s->groups[i];
			for (int k = 0; k < WM_KINDS; k++)
				g->target[k] = g->mem[k];
			g->reserve_target = 0;
		}
		wm_persist_request(s);
		s->stop = true;
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_unlock(&s->mem_lock);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
		log_info("event=watermarks_closed path=%s window=%u", s->path, atomic_load(&s->window));
	}
	wm_store_free(s);
}

void wm_store_free(struct wm_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++)
		free(s->groups[i]);
	free(s->groups);
	free(s->chains);
	wm_records_free(&s->published);
	pthread_mutex_destroy(&s->mem_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->pub_lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	if (s->journal_fd >= 0)
		close(s->journal_fd);
	free(s);
}
