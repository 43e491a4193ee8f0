/* sign.h - one interface over the four schemes.
 *
 * Every call returns false with a message in *e on failure and never
 * exits. Secret keys are only ever read, never copied to the stack beyond
 * what the underlying library needs; callers keep them in sodium_malloc'd
 * memory and zero them after use. */
#ifndef TZS_CRYPTO_SIGN_H
#define TZS_CRYPTO_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "scheme.h"

/* Once per process, before any other call here (libsodium, the secp256k1
 * context, blst needs nothing). Thread-safe to call more than once. */
bool crypto_init(struct err *e);

/* Fresh key from the system CSPRNG. */
bool secret_key_generate(enum key_scheme scheme, struct secret_key *sk, struct err *e);

/* Builds sk from its Tezos encoding's payload (what follows the base58
 * prefix): ed25519 accepts a 32-byte seed or a 64-byte seed ‖ pk; the
 * others take exactly 32 bytes. Refuses zero or out-of-range scalars. */
bool secret_key_from_bytes(enum key_scheme scheme, const uint8_t *in, size_t len,
			   struct secret_key *sk, struct err *e);

/* The payload octez writes after the secret key prefix: the 32-byte seed
 * for ed25519 (edsk…, 54 chars), the 32-byte scalar otherwise. */
size_t secret_key_to_bytes(const struct secret_key *sk, uint8_t out[static 32]);

bool public_key_derive(const struct secret_key *sk, struct public_key *pk, struct err *e);

/* Checks that bytes are a valid point of the scheme (on the curve, in the
 * subgroup for BLS) and fills pk. */
bool public_key_from_bytes(enum key_scheme scheme, const uint8_t *in, size_t len,
			   struct public_key *pk, struct err *e);

/* Signs msg exactly as octez does: ed25519 / ECDSA over blake2b-256(msg)
 * (ECDSA with RFC 6979 nonces and low-S), BLS over the raw msg with
 * the given mode. pk is needed for BLS_MODE_AUG and may be NULL otherwise. */
bool sign_message(const struct secret_key *sk, const struct public_key *pk, enum bls_mode mode,
		  const uint8_t *msg, size_t len, struct signature *sig, struct err *e);

/* BLS proof of possession: a signature with the POP DST over the 48-byte
 * public key pop_msg (normally the key's own). */
bool bls_prove_possession(const struct secret_key *sk, const uint8_t pop_msg[static 48],
			  struct signature *sig, struct err *e);

/* Verifies a signature made as sign_message does (BLS with the POP
 * scheme). False, without a message, when it does not verify. */
bool verify_message(const struct public_key *pk, const uint8_t *msg, size_t len,
		    const uint8_t *sig, size_t sig_len);

#endif
