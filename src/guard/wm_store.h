/* wm_store.h - every high watermark of a signer, kept durable on disk.
 *
 * The store decides (watermark.h's rule), records and makes durable, all
 * under its own locks; callers see it through this interface only.
 *
 * State per (chain, key): the decision state of its three kinds (block,
 * preattestation, attestation) and one reservation. A single persister
 * thread writes the whole state (write, fsync, rename, fsync the
 * directory) and wakes every request waiting for it (group commit).
 *
 * Two designs (design §2.2; BENCHMARKS.md has their cost):
 *   WM_SYNC     the exact record of each signature is durable before the
 *               signature is answered: one fsync on every signature.
 *   WM_RESERVE  levels are reserved durably ahead of what is signed. When
 *               any consensus operation of a (chain, key) reaches level L
 *               and less than half the window W is left, one write
 *               reserves up to L + W for all three kinds; the store is
 *               reserved ahead at open, before the port opens; W doubles
 *               (up to WM_WINDOW_MAX) whenever requests catch up with the
 *               reservation (levels come faster than writes complete), and
 *               halves back towards --reserve-ahead after WM_WINDOW_CALM_MS
 *               without growing. A crash costs at most W levels of each kind,
 *               never a double signature; a clean stop hands unused
 *               reservations back.
 *
 * The files cannot fool it: the base directory is locked through its own
 * descriptor; it and its parents, our file and octez's must belong to us or
 * root and not be writable by others; every file is opened without
 * blocking and must be regular; the watermark file's identity is checked
 * before each decision (deleted or replaced: rewritten from memory before
 * anything is signed, or 503); a missing file in a directory used before
 * is refused at open unless init. */
#ifndef TZS_GUARD_WM_STORE_H
#define TZS_GUARD_WM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"
#include "watermark.h"
#include "wm_format.h"

enum wm_durability { WM_SYNC, WM_RESERVE };

#define WM_STORE_FILE "tzsigner_high_watermarks.json"
/* Evidence that the directory was used: kept beside the file. */
#define WM_MARKER_FILE "tzsigner_watermarks.used"
#define WM_LEGACY_LOCK_FILE "tzsigner.lock" /* created by earlier versions */
#define WM_STORE_MAX_KEYS 16384   /* (chain, key) pairs */
#define WM_MAX_CHAINS 1024        /* distinct chains; a new one beyond is refused */
#define WM_WINDOW_DEFAULT 8       /* --reserve-ahead: levels reserved ahead */
#define WM_WINDOW_MAX 256         /* what the adaptive window may grow to */
#define WM_WINDOW_CALM_MS 60000   /* W halves after this long without growing */

struct wm_options {
	enum wm_durability mode;
	uint32_t reserve_ahead; /* 0: WM_WINDOW_DEFAULT */
	bool init;              /* start even if the file is missing in a used directory */
};

struct wm_store;

/* Locks and checks the base directory, reads our file and octez's,
 * reserves ahead every known (chain, key) durably and starts the
 * persister. */
bool wm_store_open(struct wm_store **out, const char *base_dir, const struct wm_options *o,
		   struct err *e);
/* Hands unused reservations back, flushes and stops. NULL is fine. */
void wm_store_close(struct wm_store *s);

/* Reads the store without a persister (`watermarks list/export`); with
 * lock, also takes the base directory's lock (`set`, `import`). */
bool wm_store_load(struct wm_store **out, const char *base_dir, bool lock, struct err *e);
void wm_store_free(struct wm_store *s);

/* A consensus operation asked to be signed. */
struct wm_ask {
	uint8_t chain[4];
	struct pkh pkh;
	enum op_kind kind;
	uint32_t level, round;
	uint8_t hash[HASH_BYTES]; /* blake2b-256 of the bytes */
	enum wm_sig sig;          /* the scheme the signature is asked in */
};

struct wm_ticket {
	bool reanswer;            /* signature holds the answer: send it */
	char signature[B58_MAX];
};

/* Decides and takes: on true, either t->reanswer (send t->signature) or the
 * caller signs and calls wm_store_finish. Before it returns true, the
 * (level, round) is durably protected as the mode requires. False:
 * ERR_CONFLICT (409), ERR_UNAVAILABLE (disk: 503), ERR_FORBIDDEN (too many
 * chains, or too many keys). */
bool wm_store_begin(struct wm_store *s, const struct wm_ask *a, struct wm_ticket *t,
		    struct err *e);
/* Records the signature made for a; in WM_SYNC returns once durable. */
bool wm_store_finish(struct wm_store *s, const struct wm_ask *a, const char *signature,
		     struct err *e);

/* Every record as last made durable (for /metrics, `list`, `export`):
 * never takes the lock that signing takes. */
struct wm_stats {
	uint64_t writes, write_failures, files_replaced;
	uint64_t waits;  /* requests that waited for a write (a new key, a jump past W, sync) */
	uint32_t window; /* W now: a crash costs at most W levels of each kind */
};
bool wm_store_snapshot(struct wm_store *s, struct wm_records *out, struct wm_stats *st,
		       struct err *e);

/* Replaces a watermark by hand (`watermarks set`) and writes the file.
 * Only on a store loaded with lock. */
bool wm_store_set(struct wm_store *s, const uint8_t chain[static 4], const struct pkh *pkh,
		  enum op_kind kind, uint32_t level, uint32_t round, bool force, struct err *e);
/* Raises every watermark to at least what r says (`watermarks import`),
 * never lowers one, and writes the file. Only on a store loaded with lock. */
bool wm_store_raise(struct wm_store *s, const struct wm_records *r, struct err *e);

/* Checks the store's invariants (reservations never behind what is
 * durable, thresholds at or above exact records, counts within caps...);
 * tests call it after every operation. */
bool wm_store_check(struct wm_store *s, struct err *e);

#endif
