/* nonce.h - octez's deterministic nonces (design §2.8).
 *
 * octez derives them the same way for every scheme (src/lib_crypto/
 * {ed25519,secp256k1,p256,bls}.ml, deterministic_nonce and
 * deterministic_nonce_hash): HMAC-SHA256 keyed with Secret_key.to_bytes
 * (the payload of the unencrypted edsk/spsk/p2sk/BLsk text: the 32-byte
 * seed or scalar) over the request's data; the hash is blake2b-256 of
 * that nonce. A baker moving from octez-signer gets the same nonces. */
#ifndef TZS_CRYPTO_NONCE_H
#define TZS_CRYPTO_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "scheme.h"

#define NONCE_BYTES 32

void deterministic_nonce(const struct secret_key *sk, const uint8_t *data, size_t len,
			 uint8_t out[static NONCE_BYTES]);
void deterministic_nonce_hash(const struct secret_key *sk, const uint8_t *data, size_t len,
			      uint8_t out[static HASH_BYTES]);

#endif
