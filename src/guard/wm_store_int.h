/* wm_store_int.h - the inside of the high watermark store, shared by its
 * own files (wm_store.c, wm_persist.c, wm_decide.c, wm_admin.c) only.
 *
 * Locks, always taken in this order:
 *   mem_lock  decision state (group->mem), the group table's growth;
 *             held for microseconds, never across I/O;
 *   lock      what is on disk and what the next write records (target,
 *             reservations, generations); held for copies, never across I/O;
 *   pub_lock  the snapshot of the last durable write, for readers
 *             (/metrics) who must not slow signing down. */
#ifndef TZS_GUARD_WM_STORE_INT_H
#define TZS_GUARD_WM_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "../base/file.h"
#include "wm_journal.h"
#include "wm_store.h"

/* One (chain, key): its three kinds share one reservation. */
struct wm_group {
	uint8_t chain[4];
	struct pkh pkh;
	struct watermark mem[WM_KINDS];   /* decisions: under mem_lock */
	struct watermark octez[WM_KINDS]; /* octez's files at load (read-only after) */
	/* Under lock: */
	struct watermark target[WM_KINDS]; /* what the next write records */
	uint32_t reserve_target;           /* whole levels to reserve (0: none) */
	uint32_t reserve_inflight;         /* what the write under way reserves */
	_Atomic uint32_t reserve_durable;  /* what the file on disk reserves */
	bool dirty;                        /* changed since the last write */
};

struct wm_store {
	char dir[4096];
	char path[FILE_PATH_MAX];
	enum wm_durability mode;
	pthread_mutex_t mem_lock;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* persister: work to do */
	pthread_cond_t done; /* waiters: a write finished */
	struct wm_group **groups;
	size_t count, cap;
	uint8_t (*chains)[4];
	size_t chain_count, chain_cap;
	uint64_t gen_requested, gen_durable, gen_failed, gen_writing;
	bool writing;
	uint32_t window_base;        /* --reserve-ahead */
	_Atomic uint32_t window;     /* W now */
	uint64_t window_changed_ms;  /* when W last grew or shrank (monotonic), under lock */
	struct err last_error;
	/* The writer's own (the persister, or the caller with none running): */
	int journal_fd;              /* the journal, open for appending (-1: none yet) */
	struct file_id file_id;      /* our file (the snapshot) as last written */
	struct file_id journal_id;   /* the journal as last opened */
	/* Under lock: the same, as of the last write that succeeded. */
	struct file_id seen_file_id, seen_journal_id;
	size_t journal_records;      /* appended since the last snapshot */
	bool compact;                /* the next write is a snapshot */
	bool marker_written;
	bool stop, thread_started;
	int lock_fd;
	pthread_t thread;
	pthread_mutex_t pub_lock;
	struct wm_records published;
	struct wm_stats stats;       /* under pub_lock */
};

/* The group of (chain, pkh); with create, made if new (ERR_FORBIDDEN past
 * the caps). Caller holds mem_lock; creating takes lock too. */
struct wm_group *wm_group_get(struct wm_store *s, const uint8_t chain[static 4],
			      const struct pkh *pkh, bool create, struct err *e);

/* Writes the whole state now as a snapshot and empties the journal (no
 * persister running). */
bool wm_persist_now(struct wm_store *s, struct err *e);
/* Asks the persister for a write of everything changed so far; returns its
 * generation. Caller holds lock. */
uint64_t wm_persist_request(struct wm_store *s);
/* Waits (holding lock) until generation gen is durable, or fails. */
bool wm_persist_wait(struct wm_store *s, uint64_t gen, struct err *e);
void *wm_persist_thread(void *arg);
/* Publishes the groups' targets as the durable snapshot (after a write). */
void wm_publish(struct wm_store *s, struct wm_records *written, bool ok);

static inline uint32_t wm_level_add(uint32_t level, uint32_t n)
{
	return level > UINT32_MAX - 1 - n ? UINT32_MAX - 1 : level + n;
}

#endif
