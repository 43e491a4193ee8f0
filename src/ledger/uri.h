/* uri.h - `ledger://` key URIs as octez writes them in secret_keys:
 *
 *   ledger://<animal-name or tz1…>/<curve>/<path>
 *
 * curve: ed25519 (also "ed"), secp256k1, P-256 (also p256, secp256r1),
 * bip25519 (also bip32-ed25519); when the first component is not a curve
 * it is part of the path and the curve is ed25519, as octez reads it.
 * path: components under 44'/1729', each a number with ' or h when
 * hardened ("0h/0h" is 44'/1729'/0'/0'); ed25519 takes hardened ones only.
 * Without a curve and path the URI names a device only ("ledger://name/"). */
#ifndef TZS_LEDGER_URI_H
#define TZS_LEDGER_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "names.h"

/* The curve numbers are the baking app's P2 codes. */
enum ledger_curve {
	LEDGER_CURVE_ED25519 = 0,
	LEDGER_CURVE_SECP256K1 = 1,
	LEDGER_CURVE_P256 = 2,
	LEDGER_CURVE_BIP25519 = 3,
	LEDGER_CURVE_BLS12_381 = 4, /* app 2.5.1 and later (DERIVATION_TYPE_BLS12_381) */
};

#define LEDGER_PATH_MAX 10 /* the app's limit on path components */
#define LEDGER_HARDENED 0x80000000u

struct ledger_path {
	uint8_t len;
	uint32_t c[LEDGER_PATH_MAX]; /* the full path, starting 44'/1729' */
};

struct ledger_uri {
	char device[LEDGER_NAME_MAX]; /* animal name or tz1… of the device */
	bool device_is_pkh;
	bool has_key; /* curve and path given */
	enum ledger_curve curve;
	struct ledger_path path;
};

#define LEDGER_URI_TEXT_MAX 256

bool ledger_uri_parse(const char *s, struct ledger_uri *out, struct err *e);
/* The canonical text: ledger://device/curve/0h/0h (or ledger://device/). */
void ledger_uri_format(const struct ledger_uri *u, char out[static LEDGER_URI_TEXT_MAX]);

/* For messages: every curve a ledger:// URI may name, canonical spelling. */
#define LEDGER_CURVE_LIST "ed25519, secp256k1, P-256, bip25519 and bls12_381"

/* ed25519, secp256k1, P-256, bip25519, bls12_381 */
const char *ledger_curve_name(enum ledger_curve c);
bool ledger_curve_parse(const char *s, size_t len, enum ledger_curve *out);
/* The Tezos scheme of a curve's keys (bip25519 keys are tz1, bls12_381 tz4). */
enum key_scheme ledger_curve_scheme(enum ledger_curve c);

/* The root path 44'/1729' (whose ed25519 key names the device). */
void ledger_path_root(struct ledger_path *p);
/* "44h/1729h/0h/0h" */
void ledger_path_format(const struct ledger_path *p, char *out, size_t cap);
bool ledger_path_equal(const struct ledger_path *a, const struct ledger_path *b);

#endif
