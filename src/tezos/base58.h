/* base58.h - base58check with Tezos's prefixes (DESIGN §2.3).
 *
 * base58check = base58(prefix ‖ payload ‖ sha256d(prefix ‖ payload)[0..4]).
 * Each kind fixes its prefix bytes and payload length, so a decoded value
 * always has the expected size. */
#ifndef TZS_TEZOS_BASE58_H
#define TZS_TEZOS_BASE58_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

enum b58_kind {
	B58_TZ1, B58_TZ2, B58_TZ3, B58_TZ4,
	B58_CHAIN_ID,
	B58_EDPK, B58_SPPK, B58_P2PK, B58_BLPK,
	B58_EDSK_SEED, B58_EDSK_FULL, B58_SPSK, B58_P2SK, B58_BLSK,
	B58_EDESK, B58_SPESK, B58_P2ESK, B58_BLESK,
	B58_EDSIG, B58_SPSIG, B58_P2SIG, B58_BLSIG, B58_SIG, B58_GENERIC_BLS_SIG,
	B58_KIND_COUNT
};

struct b58_prefix {
	enum b58_kind kind;
	const char *name;      /* what the string starts with: "tz1", "edsk", … */
	uint8_t prefix[5];
	uint8_t prefix_len;
	uint8_t payload_len;
};

const struct b58_prefix *b58_prefix_of(enum b58_kind kind);

/* Longest base58check string of any kind, plus NUL. */
#define B58_MAX 160

/* Plain base58 (no checksum). out gets a NUL-terminated string. */
bool base58_encode(char *out, size_t cap, const uint8_t *in, size_t len, struct err *e);
/* Decodes up to cap bytes; refuses characters outside the alphabet. */
bool base58_decode(uint8_t *out, size_t cap, size_t *len, const char *in, size_t in_len,
		   struct err *e);

/* Encodes payload (exactly the kind's payload_len) with the kind's prefix. */
bool b58check_encode(char *out, size_t cap, enum b58_kind kind, const uint8_t *payload,
		     size_t len, struct err *e);

/* Decodes s as the given kind: checks the checksum, prefix and payload length.
 * out must hold the kind's payload_len bytes. */
bool b58check_decode(const char *s, enum b58_kind kind, uint8_t *out, size_t cap,
		     struct err *e);

/* Decodes s as whichever of kinds[0..n) it is; *which says which. */
bool b58check_decode_any(const char *s, const enum b58_kind *kinds, size_t n,
			 enum b58_kind *which, uint8_t *out, size_t cap, size_t *len,
			 struct err *e);

#endif
