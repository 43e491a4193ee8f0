/* secp256k1.h - tz2 keys and signatures (libsecp256k1).
 *
 * Functions are prefixed k1_ so that they never collide with the
 * library's own secp256k1_* symbols. Secret keys are 32-byte big-endian
 * scalars in [1, n-1]; public keys are 33-byte compressed points;
 * signatures are r ‖ s, 64 bytes, low-S, with RFC 6979 nonces (the
 * library's default nonce function, HMAC-SHA256). k1_context_init must
 * have succeeded (crypto_init does it) before any other call. */
#ifndef TZS_CRYPTO_SECP256K1_H
#define TZS_CRYPTO_SECP256K1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define K1_SECRET_BYTES 32
#define K1_PUBLIC_BYTES 33
#define K1_SIGNATURE_BYTES 64

/* Creates and randomizes the process-wide context. Call once (crypto_init
 * does, under pthread_once); libsodium must be initialized. */
bool k1_context_init(struct err *e);

bool k1_generate(uint8_t sk[static K1_SECRET_BYTES], struct err *e);
/* Refuses zero and scalars >= the group order. */
bool k1_secret_check(const uint8_t sk[static K1_SECRET_BYTES], struct err *e);
bool k1_public_key(const uint8_t sk[static K1_SECRET_BYTES], uint8_t pk[static K1_PUBLIC_BYTES],
		   struct err *e);
/* Exactly 33 bytes, 02/03 prefix, x on the curve. */
bool k1_public_key_check(const uint8_t *in, size_t len, struct err *e);

/* ECDSA over the given 32-byte digest (what the RFC 6979 vectors test). */
bool k1_sign_digest(const uint8_t sk[static K1_SECRET_BYTES], const uint8_t digest[static 32],
		    uint8_t sig[static K1_SIGNATURE_BYTES], struct err *e);
/* ECDSA over blake2b-256(msg), as octez does. */
bool k1_sign(const uint8_t sk[static K1_SECRET_BYTES], const uint8_t *msg, size_t len,
	     uint8_t sig[static K1_SIGNATURE_BYTES], struct err *e);

/* Accepts high-S signatures too (normalized before verifying); refuses
 * r or s of zero or >= n. */
bool k1_verify_digest(const uint8_t pk[static K1_PUBLIC_BYTES], const uint8_t digest[static 32],
		      const uint8_t sig[static K1_SIGNATURE_BYTES]);
bool k1_verify(const uint8_t pk[static K1_PUBLIC_BYTES], const uint8_t *msg, size_t len,
	       const uint8_t sig[static K1_SIGNATURE_BYTES]);

#endif
