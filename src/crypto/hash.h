/* hash.h - the hashes Tezos uses: blake2b-256 of signed bytes, blake2b-160
 * of public keys. */
#ifndef TZS_CRYPTO_HASH_H
#define TZS_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "scheme.h"

void blake2b_256(uint8_t out[static HASH_BYTES], const uint8_t *in, size_t len);
/* pkh = blake2b-160 of the public key bytes (32 / 33 / 33 / 48). */
void public_key_hash(uint8_t out[static PKH_BYTES], const struct public_key *pk);

#endif
