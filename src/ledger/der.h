/* der.h - the ECDSA signatures the baking app returns.
 *
 * The app answers DER (SEQUENCE { INTEGER r, INTEGER s }) with bit 0 of
 * the first byte set when R.y is odd. Tezos wants r ‖ s, 32 bytes each,
 * with s in the lower half of the group order (low-S). */
#ifndef TZS_LEDGER_DER_H
#define TZS_LEDGER_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"

/* The longest DER signature of a 256-bit curve: 2 + 2 × (2 + 33). */
#define LEDGER_DER_MAX 72

/* Parses der (parity bit allowed) into out = r ‖ s, normalised to low-S.
 * scheme is SCHEME_SECP256K1 or SCHEME_P256. Refuses anything but a
 * complete, bounded DER sequence of two positive integers below the
 * group order (ERR_MALFORMED, naming what is wrong). */
bool ledger_der_to_compact(const uint8_t *der, size_t len, enum key_scheme scheme,
			   uint8_t out[static 64], struct err *e);

#endif
