/* scheme.h - the four Tezos signature schemes and their sizes.
 * The numeric values are Tezos's own key tags (tz1 = 0 … tz4 = 3), used in
 * binary public key hashes (design §2.1) and Ledger curve numbers. */
#ifndef TZS_CRYPTO_SCHEME_H
#define TZS_CRYPTO_SCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum key_scheme {
	SCHEME_ED25519 = 0,   /* tz1 */
	SCHEME_SECP256K1 = 1, /* tz2 */
	SCHEME_P256 = 2,      /* tz3 */
	SCHEME_BLS = 3,       /* tz4, BLS12-381 min-pk */
};
#define SCHEME_COUNT 4

#define SECRET_KEY_MAX 64 /* ed25519 keeps seed ‖ public key (libsodium form) */
#define PUBLIC_KEY_MAX 48
#define SIGNATURE_MAX 96
#define PKH_BYTES 20
#define HASH_BYTES 32

struct secret_key {
	enum key_scheme scheme;
	/* ed25519: 32-byte seed ‖ 32-byte public key; secp256k1 / P-256: the
	 * 32-byte big-endian scalar; BLS: the 32-byte little-endian scalar
	 * (octez's BLsk byte order). Lives in sodium_malloc'd memory. */
	uint8_t bytes[SECRET_KEY_MAX];
};

struct public_key {
	enum key_scheme scheme;
	size_t len; /* 32, 33 (compressed), 33 (compressed) or 48 */
	uint8_t bytes[PUBLIC_KEY_MAX];
};

struct signature {
	enum key_scheme scheme;
	size_t len; /* 64, or 96 for BLS */
	uint8_t bytes[SIGNATURE_MAX];
};

/* Which BLS scheme to sign with (ignored by other schemes). */
enum bls_mode {
	BLS_MODE_POP = 0, /* BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_ over raw bytes */
	BLS_MODE_AUG = 1, /* BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_ over pk ‖ bytes */
};

size_t scheme_public_key_len(enum key_scheme s);
size_t scheme_signature_len(enum key_scheme s);
/* "ed25519", "secp256k1", "p256", "bls" */
const char *scheme_name(enum key_scheme s);
/* "tz1".."tz4" */
const char *scheme_address_prefix(enum key_scheme s);
/* Accepts tz1..tz4, ed25519, secp256k1, p256 / P-256, bls. */
bool scheme_parse(const char *name, enum key_scheme *out);

#endif
