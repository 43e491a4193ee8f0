/* wm_journal.h - the append-only journal beside the watermark file.
 *
 * <base_dir>/tzsigner_high_watermarks.journal holds fixed-size records of
 * WM_JOURNAL_RECORD bytes appended since the last snapshot
 * (tzsigner_high_watermarks.json): a write appends only the (chain, key)s
 * that changed, with one fdatasync, instead of rewriting every key. At
 * load, the snapshot is read and then each journal record is folded in (a
 * record only ever raises: merging is idempotent and order-free). When the
 * journal outgrows the snapshot, the whole state is written as a new
 * snapshot and the journal emptied (compaction), the way a WAL is
 * checkpointed; a clean stop and `watermarks set`/`import` compact too.
 *
 * A record (big-endian integers):
 *     0  4  "TZWJ"
 *     4  1  format version (1)
 *     5  1  kind: 0 block, 1 preattestation, 2 attestation
 *     6  1  key scheme: 0 ed25519 (tz1), 1 secp256k1 (tz2), 2 p256 (tz3), 3 bls (tz4)
 *     7  1  flags: 1 threshold known, 2 exact record, 4 signature kept
 *     8  1  scheme of the signature (enum wm_sig)
 *     9  3  zero
 *    12  4  chain id
 *    16 20  public key hash
 *    36  4  level        40  4  round (0xffffffff: the whole level)
 *    44  4  reserved level (0: none)
 *    48 32  blake2b-256 of the bytes signed (exact record at (level, round))
 *    80  1  signature length n < 160      81 159  signature (base58), zero-padded
 *   240  8  zero
 *   248  8  the first 8 bytes of blake2b-256 of bytes 0..247
 * A short or ill-checksummed last record is a write torn by a crash (never
 * acknowledged) and is dropped; anywhere else it is refused. */
#ifndef TZS_GUARD_WM_JOURNAL_H
#define TZS_GUARD_WM_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/file.h"
#include "wm_format.h"

#define WM_JOURNAL_FILE "tzsigner_high_watermarks.journal"
#define WM_JOURNAL_RECORD 256
/* Compaction once the journal holds more than this many records, or more
 * than twice the snapshot's. */
#define WM_JOURNAL_MIN_RECORDS 1024

void wm_journal_encode(uint8_t out[static WM_JOURNAL_RECORD], const struct wm_record *r);

/* Appends the records of buf to out; *torn: 1 when a torn last record was
 * dropped. ERR_MALFORMED for anything else that is not a record. */
bool wm_journal_parse(const uint8_t *buf, size_t len, const char *where, struct wm_records *out,
		      size_t *torn, struct err *e);

/* Appends the records (one write, then fdatasync). */
bool wm_journal_append(int fd, const char *path, const struct wm_record *v, size_t n,
		       struct err *e);

/* Empties the journal after a snapshot made it redundant. When *fd still is
 * the file at path (id), truncates it; else (deleted, replaced, never
 * opened) puts a new empty file there and opens it. */
bool wm_journal_reset(int *fd, const char *path, struct file_id *id, struct err *e);

#endif
