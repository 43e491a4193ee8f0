/* reply.h - the data of the baking app's replies, parsed with every
 * length checked (the device is less trusted than we are). */
#ifndef TZS_LEDGER_REPLY_H
#define TZS_LEDGER_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "uri.h"

struct ledger_version {
	uint8_t app_class; /* 0 Tezos Wallet, 1 Tezos Baking */
	uint8_t major, minor, patch;
};

struct ledger_hwm {
	uint32_t main_level, main_round;
	uint32_t test_level, test_round;
	uint8_t chain_id[4]; /* 00000000: any chain */
};

/* INS 00: class, major, minor, patch. */
bool ledger_parse_version(const uint8_t *d, size_t n, struct ledger_version *v, struct err *e);
/* "Tezos Baking" / "Tezos Wallet" / "unknown app" */
const char *ledger_app_name(uint8_t app_class);
/* True when the app answers INS 0F (sign with hash): after 2.0.0, as octez decides. */
bool ledger_version_has_sign_with_hash(const struct ledger_version *v);

/* INS 01/02/03/0A: length ‖ key; ed25519 02 ‖ 32 bytes, ECDSA 04 ‖ X ‖ Y
 * (compressed here). The point is checked. */
bool ledger_parse_public_key(const uint8_t *d, size_t n, enum ledger_curve curve,
			     struct public_key *pk, struct err *e);

/* INS 0B: main level ‖ round ‖ test level ‖ round ‖ chain id. */
bool ledger_parse_all_hwm(const uint8_t *d, size_t n, struct ledger_hwm *h, struct err *e);

/* INS 0D: curve ‖ path length ‖ path. *authorized is false for an empty
 * path (no key authorized). */
bool ledger_parse_auth_key(const uint8_t *d, size_t n, bool *authorized, enum ledger_curve *curve,
			   struct ledger_path *path, struct err *e);

/* INS 04/0F, last APDU: (hash(32) ‖ when with_hash) signature; ed25519
 * 64 bytes, ECDSA DER with parity. hash_out (32 bytes) gets the hash when
 * with_hash; sig gets r ‖ s low-S or the ed25519 signature. */
bool ledger_parse_signature(const uint8_t *d, size_t n, bool with_hash, enum ledger_curve curve,
			    uint8_t hash_out[static 32], struct signature *sig, struct err *e);

#endif
