/* wm_format.h - the high watermark files as text: ours (also the format of
 * `watermarks export`/`import`) and octez's, parsed and serialised.
 *
 * Ours, tzsigner_high_watermarks.json:
 *   {"version": 1, "watermarks": [
 *     {"chain": "NetXdQprcVkpaWU", "pkh": "tz4…", "kind": "attestation",
 *      "level": 120, "round": 0,            threshold; no round: whole level
 *      "hash": "<64 hex>",                  exact record: blake2b-256 of the bytes
 *      "signature": "BLsig…",               the signature answered
 *      "scheme": "bls_pop" | "bls_aug",      tz4 only: the scheme of that signature
 *      "reserved_level": 128}, …]}          levels up to this one are taken whole
 * Octez's <kind>_high_watermark (src/lib_signer_backends/.. high watermark
 * files of octez-signer): {"<chain>": {"<pkh>": {"level", "round", "hash",
 * "signature"}}}.
 *
 * Duplicate object keys, unknown versions and unknown fields' wrong types
 * are refused: a file that says two things protects neither. */
#ifndef TZS_GUARD_WM_FORMAT_H
#define TZS_GUARD_WM_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"
#include "watermark.h"

#define WM_FORMAT_VERSION 1

/* One (chain, key, kind) as kept on disk. */
struct wm_record {
	uint8_t chain[4];
	struct pkh pkh;
	enum op_kind kind;
	struct watermark w;  /* threshold and exact record (known false: none) */
	uint32_t reserved;   /* every level up to this one is taken (0: none) */
};

struct wm_records {
	struct wm_record *v;
	size_t n, cap;
};

bool wm_records_push(struct wm_records *r, const struct wm_record *x, struct err *e);
void wm_records_free(struct wm_records *r);

/* Appends the records of our format in text (where names it in messages). */
bool wm_format_parse(const char *text, size_t len, const char *where, struct wm_records *out,
		     struct err *e);

/* Appends the records of one of octez's files, all of kind. */
bool wm_format_parse_octez(const char *text, size_t len, const char *where, enum op_kind kind,
			   struct wm_records *out, struct err *e);

/* Our format for n records, one line per record; *out is malloc'd (free
 * with free(3)). */
bool wm_format_serialise(const struct wm_record *v, size_t n, char **out, size_t *len,
			 struct err *e);

/* "block", "preattestation", "attestation" */
bool op_kind_parse(const char *name, enum op_kind *out);

#endif
