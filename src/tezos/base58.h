/* base58.h - base58check with Tezos's prefixes (design §2.3).
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
	B58_EDSIG, B58_SPSIG, B58_P2SIG, B58_BLSIG,
	/* The generic "sig" prefix is for 64-byte signatures only: octez has no
	 * generic prefix of BLS length (lib_crypto/base58.ml registers sig with
	 * 64 bytes; signature_v2.ml decodes 96-byte signatures only as BLsig). */
	B58_SIG,
	/* Known so it can be named when refused: tzsigner holds no tz5 keys. */
	B58_TZ5,
	B58_KIND_COUNT
};

struct b58_prefix {
	enum b58_kind kind;
	const char *name;      /* what the string starts with: "tz1", "edsk", … */
	uint8_t prefix[5];
	uint8_t prefix_len;
	uint8_t payload_len;
};

/* NULL for a value outside the enum. */
const struct b58_prefix *b58_prefix_of(enum b58_kind kind);
/* "tz1 address", "edpk public key", … for messages. */
const char *b58_kind_description(enum b58_kind kind);
/* Secret (or encrypted secret) key kinds: their text is never quoted in
 * error messages, nor any of its characters. */
bool b58_kind_is_secret(enum b58_kind kind);

/* Longest base58check string of any kind, plus NUL. */
#define B58_MAX 160

/* Plain base58 (no checksum). out gets a NUL-terminated string. Encodes at
 * most 116 bytes (at most 159 characters, so the text always decodes
 * again); more, or a too-small out, is ERR_INTERNAL. */
bool base58_encode(char *out, size_t cap, const uint8_t *in, size_t len, struct err *e);
/* Decodes up to cap bytes; refuses characters outside the alphabet and
 * inputs of B58_MAX characters or more (ERR_MALFORMED). */
bool base58_decode(uint8_t *out, size_t cap, size_t *len, const char *in, size_t in_len,
		   struct err *e);

/* Encodes payload (exactly the kind's payload_len) with the kind's prefix. */
bool b58check_encode(char *out, size_t cap, enum b58_kind kind, const uint8_t *payload,
		     size_t len, struct err *e);

/* Decodes s as the given kind: checks the checksum, prefix and payload length.
 * out must hold the kind's payload_len bytes. */
bool b58check_decode(const char *s, enum b58_kind kind, uint8_t *out, size_t cap,
		     struct err *e);

/* Decodes s as whichever of kinds[0..n) it is; *which says which and *len
 * the payload length (which and len may be NULL). The text must be a
 * NUL-terminated string under B58_MAX characters; errors say what was
 * expected and, for text that is valid base58check of another kind, what it
 * is. */
bool b58check_decode_any(const char *s, const enum b58_kind *kinds, size_t n,
			 enum b58_kind *which, uint8_t *out, size_t cap, size_t *len,
			 struct err *e);

#endif
