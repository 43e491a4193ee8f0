/* ed25519.h - tz1 keys and signatures (libsodium).
 *
 * The secret key is libsodium's 64-byte form, seed ‖ public key. Tezos
 * signs blake2b-256 of the message; ed25519_sign_raw signs the bytes as
 * given (RFC 8032 Ed25519), which is what the test vectors exercise. */
#ifndef TZS_CRYPTO_ED25519_H
#define TZS_CRYPTO_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define ED25519_SEED_BYTES 32
#define ED25519_SECRET_BYTES 64
#define ED25519_PUBLIC_BYTES 32
#define ED25519_SIGNATURE_BYTES 64

/* A fresh key from the system CSPRNG. */
void ed25519_generate(uint8_t sk[static ED25519_SECRET_BYTES]);
/* seed → seed ‖ public key. */
void ed25519_from_seed(uint8_t sk[static ED25519_SECRET_BYTES],
		       const uint8_t seed[static ED25519_SEED_BYTES]);
/* Refuses a 64-byte secret key whose second half is not the seed's key. */
bool ed25519_secret_check(const uint8_t sk[static ED25519_SECRET_BYTES], struct err *e);
void ed25519_public_key(const uint8_t sk[static ED25519_SECRET_BYTES],
			uint8_t pk[static ED25519_PUBLIC_BYTES]);
/* A canonical encoding of a point of the prime-order subgroup, not of
 * small order. */
bool ed25519_public_key_check(const uint8_t *in, size_t len, struct err *e);

/* Signs blake2b-256(msg), as octez does. */
void ed25519_sign(const uint8_t sk[static ED25519_SECRET_BYTES], const uint8_t *msg, size_t len,
		  uint8_t sig[static ED25519_SIGNATURE_BYTES]);
/* Signs msg itself (plain RFC 8032 Ed25519). */
void ed25519_sign_raw(const uint8_t sk[static ED25519_SECRET_BYTES], const uint8_t *msg,
		      size_t len, uint8_t sig[static ED25519_SIGNATURE_BYTES]);
/* Verifies a signature of blake2b-256(msg). */
bool ed25519_verify(const uint8_t pk[static ED25519_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		    const uint8_t sig[static ED25519_SIGNATURE_BYTES]);
bool ed25519_verify_raw(const uint8_t pk[static ED25519_PUBLIC_BYTES], const uint8_t *msg,
			size_t len, const uint8_t sig[static ED25519_SIGNATURE_BYTES]);

#endif
