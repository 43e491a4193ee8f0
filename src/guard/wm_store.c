/* wm_store.c - durable high watermarks with group commit and reservations. */
#include "wm_store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/hex.h"
#include "../base/json_secure.h"
#include "../base/log.h"

#define WM_FILE_MAX (16 * 1024 * 1024)

static const char *const octez_files[WM_KINDS] = {
	"block_high_watermark", "preattestation_high_watermark", "attestation_high_watermark"
};

bool op_kind_parse(const char *name, enum op_kind *out)
{
	for (int k = 0; k < WM_KINDS; k++) {
		if (strcmp(name, op_kind_name((enum op_kind)k)) == 0) {
			*out = (enum op_kind)k;
			return true;
		}
	}
	return false;
}

/* ---- slots ---- */

static struct wm_slot *find_locked(struct wm_store *s, const uint8_t chain[static 4],
				   const struct pkh *pkh, enum op_kind kind)
{
	for (size_t i = 0; i < s->count; i++) {
		struct wm_slot *x = s->slots[i];
		if (x->kind == kind && x->pkh.scheme == pkh->scheme &&
		    memcmp(x->chain, chain, 4) == 0 && memcmp(x->pkh.hash, pkh->hash, PKH_BYTES) == 0)
			return x;
	}
	return NULL;
}

static struct wm_slot *add_locked(struct wm_store *s, const uint8_t chain[static 4],
				  const struct pkh *pkh, enum op_kind kind, struct err *e)
{
	struct wm_slot *x = find_locked(s, chain, pkh, kind);
	if (x)
		return x;
	if (s->count == WM_STORE_MAX_SLOTS) {
		err_set(e, ERR_INTERNAL, "more than %d watermark slots", WM_STORE_MAX_SLOTS);
		return NULL;
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct wm_slot **grown = realloc(s->slots, cap * sizeof(*grown));
		if (!grown) {
			err_set(e, ERR_INTERNAL, "out of memory");
			return NULL;
		}
		s->slots = grown;
		s->cap = cap;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	memcpy(x->chain, chain, 4);
	x->pkh = *pkh;
	x->kind = kind;
	s->slots[s->count++] = x;
	return x;
}

struct wm_slot *wm_store_slot(struct wm_store *s, const uint8_t chain[static 4],
			      const struct pkh *pkh, enum op_kind kind, struct err *e)
{
	pthread_mutex_lock(&s->lock);
	struct wm_slot *x = add_locked(s, chain, pkh, kind, e);
	pthread_mutex_unlock(&s->lock);
	return x;
}

/* ---- the file ---- */

static json_t *slot_to_json(const struct wm_slot *x, struct err *e)
{
	char chain[B58_MAX], pkh[B58_MAX], hash[2 * HASH_BYTES + 1];
	if (!chain_id_encode(chain, x->chain, e) || !pkh_encode(pkh, &x->pkh, e))
		return NULL;
	const struct watermark *w = &x->target;
	json_t *o = json_pack("{s:s, s:s, s:s}", "chain", chain, "pkh", pkh, "kind",
			      op_kind_name(x->kind));
	if (!o)
		return NULL;
	if (w->known) {
		json_object_set_new(o, "level", json_integer(w->level));
		if (w->round != WM_WHOLE_LEVEL)
			json_object_set_new(o, "round", json_integer(w->round));
		const struct wm_exact *ex = &w->exact;
		if (ex->known && ex->level == w->level && ex->round == w->round) {
			hex_encode(hash, ex->hash, HASH_BYTES);
			json_object_set_new(o, "hash", json_string(hash));
			if (ex->has_signature)
				json_object_set_new(o, "signature", json_string(ex->signature));
		}
	}
	if (x->reserve_target)
		json_object_set_new(o, "reserved_level", json_integer(x->reserve_target));
	return o;
}

/* Serialises every slot's target state; records what each write reserves. */
static char *serialise_locked(struct wm_store *s, struct err *e)
{
	json_t *list = json_array();
	for (size_t i = 0; i < s->count && list; i++) {
		struct wm_slot *x = s->slots[i];
		if (!x->target.known && !x->reserve_target)
			continue;
		json_t *o = slot_to_json(x, e);
		if (!o) {
			json_decref(list);
			return NULL;
		}
		json_array_append_new(list, o);
		x->reserve_inflight = x->reserve_target;
	}
	json_t *root = json_pack("{s:i, s:o}", "version", 1, "watermarks", list);
	char *text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (!text)
		err_set(e, ERR_INTERNAL, "out of memory serialising watermarks");
	return text;
}

static bool write_text(struct wm_store *s, char *text, struct err *e)
{
	bool ok = file_write_durable(s->path, text, strlen(text), 0600, e);
	json_free_text(text);
	return ok;
}

bool wm_store_write(struct wm_store *s, struct err *e)
{
	pthread_mutex_lock(&s->lock);
	char *text = serialise_locked(s, e);
	pthread_mutex_unlock(&s->lock);
	if (!text || !write_text(s, text, e))
		return false;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->count; i++)
		if (s->slots[i]->reserve_inflight > s->slots[i]->reserve_durable)
			s->slots[i]->reserve_durable = s->slots[i]->reserve_inflight;
	pthread_mutex_unlock(&s->lock);
	return true;
}

/* ---- loading ---- */

static bool json_u32(json_t *v, uint32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

/* One record, ours or octez's, into a watermark and a reserved level. */
static bool record_from_json(json_t *o, struct watermark *w, uint32_t *reserved, const char *where,
			     struct err *e)
{
	memset(w, 0, sizeof(*w));
	*reserved = 0;
	if (!json_is_object(o))
		return err_set(e, ERR_MALFORMED, "%s: a record is not an object", where);
	json_t *level = json_object_get(o, "level"), *round = json_object_get(o, "round");
	json_t *hash = json_object_get(o, "hash"), *sig = json_object_get(o, "signature");
	json_t *res = json_object_get(o, "reserved_level");
	if (res && !json_u32(res, reserved))
		return err_set(e, ERR_MALFORMED, "%s: reserved_level is not a 32-bit level", where);
	if (!level)
		return res != NULL || err_set(e, ERR_MALFORMED, "%s: record without a level", where);
	if (!json_u32(level, &w->level))
		return err_set(e, ERR_MALFORMED, "%s: level is not a 32-bit number", where);
	w->known = true;
	w->round = WM_WHOLE_LEVEL;
	if (round && !json_is_null(round) && !json_u32(round, &w->round))
		return err_set(e, ERR_MALFORMED, "%s: round is not a 32-bit number", where);
	if (w->round == WM_WHOLE_LEVEL || !hash || json_is_null(hash))
		return true;
	size_t n;
	if (!json_is_string(hash) ||
	    !hex_decode(w->exact.hash, HASH_BYTES, &n, json_string_value(hash),
			json_string_length(hash), e) || n != HASH_BYTES)
		return err_set(e, ERR_MALFORMED, "%s: hash is not 32 bytes of hex", where);
	w->exact.known = true;
	w->exact.level = w->level;
	w->exact.round = w->round;
	if (sig && json_is_string(sig) && json_string_length(sig) < B58_MAX) {
		w->exact.has_signature = true;
		memcpy(w->exact.signature, json_string_value(sig), json_string_length(sig) + 1);
	}
	return true;
}

/* Folds a loaded record into its slot: decision state, targets, durable. */
static bool merge_record(struct wm_store *s, const uint8_t chain[static 4], const struct pkh *pkh,
			 enum op_kind kind, const struct watermark *w, uint32_t reserved,
			 bool from_octez, struct err *e)
{
	struct wm_slot *x = add_locked(s, chain, pkh, kind, e);
	if (!x)
		return false;
	if (from_octez)
		watermark_merge(&x->octez, w);
	watermark_merge(&x->mem, w);
	if (reserved) {
		struct watermark r = { .known = true, .level = reserved, .round = WM_WHOLE_LEVEL };
		watermark_merge(&x->mem, &r);
		if (reserved > x->reserve_target)
			x->reserve_target = reserved;
	}
	/* The file we write next keeps the whole threshold: a whole level
	 * loaded from anywhere is carried as a reservation. */
	if (x->mem.round == WM_WHOLE_LEVEL && x->mem.level > x->reserve_target)
		x->reserve_target = x->mem.level;
	x->target = x->mem;
	x->reserve_durable = x->reserve_target;
	return true;
}

/* dir/name as JSON; *out = NULL when the file does not exist. */
static bool load_json_file(const char *dir, const char *name, json_t **out, struct err *e)
{
	char *buf;
	size_t len;
	*out = NULL;
	if (!file_read_optional(dir, name, WM_FILE_MAX, FILE_PUBLIC, &buf, &len, e))
		return false;
	if (!buf)
		return true;
	json_error_t jerr;
	*out = json_loadb(buf, len, 0, &jerr);
	file_free(buf, len);
	if (!*out)
		return err_set(e, ERR_MALFORMED, "%s/%s: not JSON at line %d: %s", dir, name,
			       jerr.line, jerr.text);
	return true;
}

static bool load_ours(struct wm_store *s, struct err *e)
{
	json_t *root;
	if (!load_json_file(s->dir, WM_STORE_FILE, &root, e))
		return false;
	if (!root)
		return true;
	bool ok = false;
	json_t *list = json_object_get(root, "watermarks");
	size_t i;
	json_t *o;
	if (!json_is_array(list)) {
		err_set(e, ERR_MALFORMED, "%s: no \"watermarks\" array", s->path);
		goto out;
	}
	json_array_foreach(list, i, o) {
		char where[4200];
		snprintf(where, sizeof(where), "%s record %zu", s->path, i + 1);
		const char *chain_s = json_string_value(json_object_get(o, "chain"));
		const char *pkh_s = json_string_value(json_object_get(o, "pkh"));
		const char *kind_s = json_string_value(json_object_get(o, "kind"));
		uint8_t chain[4];
		struct pkh pkh;
		enum op_kind kind;
		struct watermark w;
		uint32_t reserved;
		if (!chain_s || !pkh_s || !kind_s || !chain_id_decode(chain_s, chain, e) ||
		    !pkh_decode(pkh_s, &pkh, e) || !op_kind_parse(kind_s, &kind)) {
			err_set(e, ERR_MALFORMED, "%s: needs chain, pkh and kind", where);
			goto out;
		}
		if (!record_from_json(o, &w, &reserved, where, e) ||
		    !merge_record(s, chain, &pkh, kind, &w, reserved, false, e))
			goto out;
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

/* octez: {"<chain b58>":{"<pkh>":{"level":N,"round":R,"hash":"…","signature":"…"}}} */
static bool load_octez(struct wm_store *s, enum op_kind kind, size_t *loaded, struct err *e)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", s->dir, octez_files[kind]);
	json_t *root;
	if (!load_json_file(s->dir, octez_files[kind], &root, e))
		return false;
	if (!root)
		return true;
	bool ok = false;
	const char *chain_s, *pkh_s;
	json_t *per_chain, *rec;
	if (!json_is_object(root)) {
		err_set(e, ERR_MALFORMED, "%s: expected an object of chains", path);
		goto out;
	}
	json_object_foreach(root, chain_s, per_chain) {
		uint8_t chain[4];
		if (!chain_id_decode(chain_s, chain, e) || !json_is_object(per_chain)) {
			err_wrap(e, "%s", path);
			goto out;
		}
		json_object_foreach(per_chain, pkh_s, rec) {
			struct pkh pkh;
			struct watermark w;
			uint32_t reserved;
			char where[4400];
			snprintf(where, sizeof(where), "%s (%.20s, %.40s)", path, chain_s, pkh_s);
			if (!pkh_decode(pkh_s, &pkh, e)) {
				err_wrap(e, "%s", path);
				goto out;
			}
			if (!record_from_json(rec, &w, &reserved, where, e) ||
			    !merge_record(s, chain, &pkh, kind, &w, reserved, true, e))
				goto out;
			(*loaded)++;
		}
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

bool wm_store_load(struct wm_store *s, const char *base_dir, bool lock, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	char lock_path[4200];
	if (!path_join(s->path, sizeof(s->path), base_dir, WM_STORE_FILE, e) ||
	    !path_join(lock_path, sizeof(lock_path), base_dir, WM_LOCK_FILE, e))
		return false;
	if (lock && !file_lock_exclusive(lock_path, &s->lock_fd, e))
		return false;
	snprintf(s->dir, sizeof(s->dir), "%s", base_dir);
	size_t from_octez = 0;
	bool ok = load_ours(s, e);
	for (int k = 0; ok && k < WM_KINDS; k++)
		ok = load_octez(s, (enum op_kind)k, &from_octez, e);
	if (!ok)
		return false;
	if (from_octez)
		log_info("event=octez_watermarks_loaded records=%zu base_dir=%s", from_octez, base_dir);
	return true;
}

void wm_store_free(struct wm_store *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->slots[i]);
	free(s->slots);
	s->slots = NULL;
	s->count = s->cap = 0;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
}

/* ---- the persister ---- */

static void *persister(void *arg)
{
	struct wm_store *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->gen_requested == s->gen_durable && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->gen_requested == s->gen_durable && s->stop)
			break;
		uint64_t gen = s->gen_requested;
		struct err e = { 0 };
		char *text = serialise_locked(s, &e);
		s->writing = true;
		s->gen_writing = gen;
		pthread_mutex_unlock(&s->lock);
		bool ok = text && write_text(s, text, &e);
		pthread_mutex_lock(&s->lock);
		s->writing = false;
		s->writes++;
		if (ok) {
			s->gen_durable = gen;
			for (size_t i = 0; i < s->count; i++)
				if (s->slots[i]->reserve_inflight > s->slots[i]->reserve_durable)
					s->slots[i]->reserve_durable = s->slots[i]->reserve_inflight;
		} else {
			s->write_failures++;
			s->gen_failed = gen;
			s->last_error = e;
			char q[ERR_MSG_MAX + 8];
			log_error("event=watermark_write_failed path=%s reason=%s", s->path,
				  log_str(q, sizeof(q), e.msg));
		}
		pthread_cond_broadcast(&s->done);
		if (!ok && !s->stop) {
			/* Retry in a second, or sooner if asked again. */
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		}
		if (!ok && s->stop)
			break;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

bool wm_store_open(struct wm_store *s, const char *base_dir, enum wm_durability mode,
		   struct err *e)
{
	if (!wm_store_load(s, base_dir, true, e)) {
		wm_store_free(s);
		return false;
	}
	s->mode = mode;
	/* Whatever was loaded (from octez's files too) is made ours now. */
	if (!wm_store_write(s, e)) {
		wm_store_free(s);
		return err_wrap(e, "writing watermarks");
	}
	if (pthread_create(&s->thread, NULL, persister, s) != 0) {
		wm_store_free(s);
		return err_set(e, ERR_INTERNAL, "could not start the watermark writer thread");
	}
	s->thread_started = true;
	return true;
}

void wm_store_close(struct wm_store *s)
{
	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		/* A clean stop: nothing signs any more (the server is stopped), so
		 * each slot's decision state is exactly what was signed. Reserved
		 * levels that were never used are handed back, so a clean restart
		 * costs no level; a reserved whole level loaded after a crash stays. */
		for (size_t i = 0; i < s->count; i++) {
			struct wm_slot *x = s->slots[i];
			x->target = x->mem;
			x->reserve_target = x->mem.known && x->mem.round == WM_WHOLE_LEVEL ? x->mem.level : 0;
		}
		s->gen_requested++;
		s->stop = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	wm_store_free(s);
}

static bool wait_locked(struct wm_store *s, uint64_t gen, struct err *e)
{
	while (s->gen_durable < gen && s->gen_failed < gen)
		pthread_cond_wait(&s->done, &s->lock);
	if (s->gen_durable >= gen)
		return true;
	return err_set(e, ERR_UNAVAILABLE, "high watermark could not be made durable, not signing: %s",
		       s->last_error.msg);
}

bool wm_store_reserve(struct wm_store *s, struct wm_slot *slot, uint32_t level, uint32_t ahead,
		      struct err *e)
{
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	if (slot->reserve_durable < level) {
		uint64_t gen;
		if (s->writing && slot->reserve_inflight >= level) {
			gen = s->gen_writing; /* the write under way covers it */
		} else {
			uint32_t want = level > UINT32_MAX - ahead ? UINT32_MAX : level + ahead;
			if (slot->reserve_target < want)
				slot->reserve_target = want;
			gen = ++s->gen_requested;
			pthread_cond_signal(&s->wake);
		}
		ok = wait_locked(s, gen, e);
		if (ok && slot->reserve_durable < level)
			ok = err_set(e, ERR_INTERNAL, "reservation of level %u not durable after write", level);
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* Folds a snapshot of a slot's decision state into what the next write
 * records. Snapshots may arrive out of order (signing happens outside the
 * key's lock), so this only ever moves forward. */
static void absorb(struct watermark *target, const struct watermark *snap)
{
	const struct wm_exact *t = &target->exact, *x = &snap->exact;
	bool fills_signature = t->known && x->known && x->has_signature && !t->has_signature &&
			       t->level == x->level && t->round == x->round &&
			       memcmp(t->hash, x->hash, HASH_BYTES) == 0;
	watermark_merge(target, snap);
	if (fills_signature)
		target->exact = *x;
}

bool wm_store_commit(struct wm_store *s, struct wm_slot *slot, const struct watermark *snap,
		     bool wait, struct err *e)
{
	bool ok = true;
	pthread_mutex_lock(&s->lock);
	absorb(&slot->target, snap);
	uint32_t ahead = s->reserve_ahead ? s->reserve_ahead : 1;
	uint32_t next = snap->level > UINT32_MAX - ahead ? UINT32_MAX : snap->level + ahead;
	bool extends = s->mode == WM_RESERVE && slot->reserve_target < next;
	if (extends)
		slot->reserve_target = next;
	/* In WM_RESERVE the reservation is what makes a signature safe; the exact
	 * record only serves re-answers, so it rides along with the next write
	 * (a new level's reservation, or the clean stop) instead of costing a
	 * write of its own: in steady state (new rounds of a reserved level)
	 * nothing is written at all. */
	if (wait || extends || s->mode == WM_SYNC) {
		uint64_t gen = ++s->gen_requested;
		pthread_cond_signal(&s->wake);
		if (wait)
			ok = wait_locked(s, gen, e);
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

bool wm_store_set(struct wm_store *s, const uint8_t chain[static 4], const struct pkh *pkh,
		  enum op_kind kind, uint32_t level, uint32_t round, bool force, struct err *e)
{
	struct wm_slot *x = add_locked(s, chain, pkh, kind, e);
	if (!x)
		return false;
	struct watermark w = { .known = true, .level = level, .round = round };
	bool lower = x->mem.known &&
		     (level < x->mem.level ||
		      (level == x->mem.level && x->mem.round != WM_WHOLE_LEVEL && round < x->mem.round) ||
		      (level == x->mem.level && x->mem.round == WM_WHOLE_LEVEL && round != WM_WHOLE_LEVEL) ||
		      level < x->reserve_target);
	if (lower && !force)
		return err_set(e, ERR_FORBIDDEN,
			       "refusing to lower the %s watermark from level %u to %u without --force",
			       op_kind_name(kind), x->mem.level > x->reserve_target ? x->mem.level : x->reserve_target,
			       level);
	/* octez's file is read again at every start: a lower value set here
	 * would not stick while it holds a higher one. */
	const struct watermark *o = &x->octez;
	if (o->known && (o->level > level || (o->level == level && round != WM_WHOLE_LEVEL &&
					      (o->round == WM_WHOLE_LEVEL || o->round > round))))
		return err_set(e, ERR_FORBIDDEN,
			       "octez's %s/%s still holds level %u for this key: edit or remove that file first",
			       s->dir, octez_files[kind], o->level);
	x->mem = w;
	x->target = w;
	x->reserve_target = round == WM_WHOLE_LEVEL ? level : 0;
	x->reserve_durable = 0;
	return wm_store_write(s, e);
}
