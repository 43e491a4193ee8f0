/* wm_store.h - every high watermark of a signer, kept durable on disk.
 *
 * One slot per (chain, pkh, kind). A slot's decision state (`mem`) is
 * guarded by its key's lock in the guard; what is durable, and what is
 * waiting to become durable, is guarded by the store's lock. A single
 * persister thread writes the whole state (write, fsync, rename, fsync the
 * directory) and wakes every request waiting for it: concurrent requests
 * share one fsync (group commit).
 *
 * Two designs (DESIGN §2.2; see BENCHMARKS.md for their cost):
 *   WM_SYNC     the exact record of each signature is durable before the
 *               signature is answered: one fsync on every signature.
 *   WM_RESERVE  a level is reserved durably before anything at that level is
 *               signed; after signing level L the persister reserves L+1 in
 *               the background, so in steady state the next request finds
 *               its level covered and no fsync is on its path. A crash costs
 *               at most the reserved level, never a double signature.
 *
 * The file is <base_dir>/tzsigner_high_watermarks.json. At open, octez's
 * <base_dir>/{block,preattestation,attestation}_high_watermark files are
 * read too and merged, so moving from octez-signer keeps the protection. */
#ifndef TZS_GUARD_WM_STORE_H
#define TZS_GUARD_WM_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"
#include "watermark.h"

enum wm_durability { WM_SYNC, WM_RESERVE };

#define WM_STORE_FILE "tzsigner_high_watermarks.json"
#define WM_LOCK_FILE "tzsigner.lock"
#define WM_STORE_MAX_SLOTS 65536

struct wm_slot {
	uint8_t chain[4];
	struct pkh pkh;
	enum op_kind kind;
	struct watermark mem; /* decisions: under the key's lock */
	struct watermark octez; /* what octez's own files said at load */
	/* Under the store lock: */
	struct watermark target;  /* the watermark the next write records */
	uint32_t reserve_target;  /* level to reserve (0: none) */
	uint32_t reserve_inflight; /* what the write under way reserves */
	uint32_t reserve_durable; /* what the file on disk reserves */
};

struct wm_store {
	char path[4096];
	char dir[4096];
	enum wm_durability mode;
	pthread_mutex_t lock;
	pthread_cond_t wake;      /* persister: work to do */
	pthread_cond_t done;      /* waiters: a write finished */
	struct wm_slot **slots;
	size_t count, cap;
	uint64_t gen_requested;   /* bumped by every change */
	uint64_t gen_durable;     /* highest generation on disk */
	uint64_t gen_failed;      /* highest generation whose write failed */
	bool writing;             /* a write is under way */
	uint64_t gen_writing;     /* the generation it writes */
	uint32_t reserve_ahead;   /* WM_RESERVE: levels kept reserved past the last signed */
	struct err last_error;
	uint64_t writes, write_failures;
	bool stop;
	bool thread_started;
	int lock_fd; /* flock on <base_dir>/tzsigner.lock while open */
	pthread_t thread;
};

/* Locks the base directory against a second signer, reads our file and
 * octez's, and starts the persister. */
bool wm_store_open(struct wm_store *s, const char *base_dir, enum wm_durability mode,
		   struct err *e);
/* Flushes what is pending and stops the persister. */
void wm_store_close(struct wm_store *s);

/* Reads the store's view without starting a persister (for `watermarks
 * list`); with lock, also takes the base directory's lock (`watermarks set`). */
bool wm_store_load(struct wm_store *s, const char *base_dir, bool lock, struct err *e);
void wm_store_free(struct wm_store *s);

/* The slot of (chain, pkh, kind), created (below any level) if new. */
struct wm_slot *wm_store_slot(struct wm_store *s, const uint8_t chain[static 4],
			      const struct pkh *pkh, enum op_kind kind, struct err *e);

/* Makes sure nothing is signed at `level` before it is durably reserved:
 * returns at once when it already is, else reserves level+ahead and waits
 * for the write. ERR_UNAVAILABLE when the write fails. */
bool wm_store_reserve(struct wm_store *s, struct wm_slot *slot, uint32_t level, uint32_t ahead,
		      struct err *e);

/* Queues snap, a copy of the slot's decision state taken under its key's
 * lock (and, in WM_RESERVE, the reservation of the levels ahead) for the
 * persister; with wait, returns once durable. Never moves a slot back. */
bool wm_store_commit(struct wm_store *s, struct wm_slot *slot, const struct watermark *snap,
		     bool wait, struct err *e);

/* Replaces a slot's watermark by hand (`watermarks set`) and writes the
 * file synchronously. Only with no persister running. */
bool wm_store_set(struct wm_store *s, const uint8_t chain[static 4], const struct pkh *pkh,
		  enum op_kind kind, uint32_t level, uint32_t round, bool force, struct err *e);

/* Writes the file now from the current state (used by close and set). */
bool wm_store_write(struct wm_store *s, struct err *e);

bool op_kind_parse(const char *name, enum op_kind *out);

#endif
