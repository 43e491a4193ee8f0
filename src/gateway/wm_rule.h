/* wm_rule.h - the shared high watermark as the gateway keeps it in etcd:
 * one record per (chain, pkh, kind), {"level":N,"round":R,"hash":"<hex>"},
 * and the rule (design §2.2): a request signs when its (level, round) is
 * strictly above the record, or equal with identical bytes (same
 * blake2b-256); anything else is refused.
 *
 * A pure (level, round) comparison of its own: the boxes' watermark code
 * (src/guard) has reservations and re-answers the gateway does not need. */
#ifndef TZS_GATEWAY_WM_RULE_H
#define TZS_GATEWAY_WM_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "../tezos/operation.h"

struct gw_wm {
	uint32_t level;
	uint32_t round;
	uint8_t hash[HASH_BYTES];
};

enum gw_wm_verdict {
	GW_WM_ADVANCE, /* strictly above: write the new record, then sign */
	GW_WM_SAME,    /* identical bytes at the recorded (level, round): sign, no write */
	GW_WM_REFUSE,  /* 409 */
};

/* stored NULL: nothing recorded yet. On GW_WM_REFUSE e gets octez's words:
 * "attestation level 120 and round 0 not above high watermark (120, 1)". */
enum gw_wm_verdict gw_wm_decide(const struct gw_wm *stored, enum op_kind kind,
				const struct gw_wm *req, struct err *e);

/* The record's text (NUL-terminated, fits GW_WM_TEXT_MAX). */
#define GW_WM_TEXT_MAX 128
void gw_wm_format(char out[static GW_WM_TEXT_MAX], const struct gw_wm *w);

/* Parses a record read back from etcd: an object with exactly level and
 * round (integers in 0 … 2^31-1) and hash (64 hex digits). Anything else is
 * ERR_UNAVAILABLE: the gateway signs nothing for that triple until the
 * record is fixed. */
bool gw_wm_parse(const char *text, size_t len, struct gw_wm *out, struct err *e);

/* The etcd key: "<prefix>/<chain b58>/<pkh>/<kind>". */
bool gw_wm_key(char *out, size_t cap, const char *prefix, const char *chain, const char *pkh,
	       enum op_kind kind, struct err *e);

#endif
