/* p256.h - tz3 keys and signatures (NIST P-256, OpenSSL 3 libcrypto).
 *
 * Secret keys are 32-byte big-endian scalars in [1, n-1]; public keys are
 * 33-byte compressed points; signatures are r ‖ s, 64 bytes, low-S.
 * OpenSSL 3.0 has no deterministic ECDSA, so nonces come from our own
 * RFC 6979 (section 3.2, HMAC-SHA256) and r, s are computed with BIGNUM
 * and EC_POINT_mul on constant-time-flagged secrets. p256_init must have
 * succeeded (crypto_init does it) before any other call. */
#ifndef TZS_CRYPTO_P256_H
#define TZS_CRYPTO_P256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define P256_SECRET_BYTES 32
#define P256_PUBLIC_BYTES 33
#define P256_SIGNATURE_BYTES 64

/* Builds the shared, read-only curve parameters. Call once. */
bool p256_init(struct err *e);

bool p256_generate(uint8_t sk[static P256_SECRET_BYTES], struct err *e);
/* Refuses zero and scalars >= the group order. Constant time. */
bool p256_secret_check(const uint8_t sk[static P256_SECRET_BYTES], struct err *e);
bool p256_public_key(const uint8_t sk[static P256_SECRET_BYTES],
		     uint8_t pk[static P256_PUBLIC_BYTES], struct err *e);
/* Exactly 33 bytes, 02/03 prefix, x on the curve. */
bool p256_public_key_check(const uint8_t *in, size_t len, struct err *e);

/* The first RFC 6979 nonce for secret x and the 32-byte digest h (the
 * candidate the signer uses unless r or s comes out zero). Exposed for
 * the RFC 6979 A.2.5 test vectors. */
void p256_rfc6979_nonce(const uint8_t x[static 32], const uint8_t h[static 32], uint8_t k[static 32]);

/* ECDSA over the given 32-byte digest, RFC 6979 nonce, low-S. */
bool p256_sign_digest(const uint8_t sk[static P256_SECRET_BYTES], const uint8_t digest[static 32],
		      uint8_t sig[static P256_SIGNATURE_BYTES], struct err *e);
/* ECDSA over blake2b-256(msg), as octez does. */
bool p256_sign(const uint8_t sk[static P256_SECRET_BYTES], const uint8_t *msg, size_t len,
	       uint8_t sig[static P256_SIGNATURE_BYTES], struct err *e);

/* OpenSSL's ECDSA verification (EVP); accepts high-S too, refuses r or s
 * of zero or >= n. */
bool p256_verify_digest(const uint8_t pk[static P256_PUBLIC_BYTES], const uint8_t digest[static 32],
			const uint8_t sig[static P256_SIGNATURE_BYTES]);
bool p256_verify(const uint8_t pk[static P256_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		 const uint8_t sig[static P256_SIGNATURE_BYTES]);

#endif
