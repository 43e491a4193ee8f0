/* ed25519.c - tz1 over libsodium's crypto_sign. */
#include "ed25519.h"

#include <sodium.h>

#include "hash.h"

static const uint8_t empty[1];

void ed25519_generate(uint8_t sk[static ED25519_SECRET_BYTES])
{
	uint8_t pk[ED25519_PUBLIC_BYTES];
	crypto_sign_keypair(pk, sk);
}

void ed25519_from_seed(uint8_t sk[static ED25519_SECRET_BYTES],
		       const uint8_t seed[static ED25519_SEED_BYTES])
{
	uint8_t pk[ED25519_PUBLIC_BYTES];
	crypto_sign_seed_keypair(pk, sk, seed);
}

bool ed25519_secret_check(const uint8_t sk[static ED25519_SECRET_BYTES], struct err *e)
{
	uint8_t full[ED25519_SECRET_BYTES];
	ed25519_from_seed(full, sk);
	bool ok = sodium_memcmp(full + ED25519_SEED_BYTES, sk + ED25519_SEED_BYTES,
				ED25519_PUBLIC_BYTES) == 0;
	sodium_memzero(full, sizeof(full));
	if (!ok)
		return err_set(e, ERR_MALFORMED,
			       "ed25519 secret key (64 bytes): its public half is not the seed's public key");
	return true;
}

void ed25519_public_key(const uint8_t sk[static ED25519_SECRET_BYTES],
			uint8_t pk[static ED25519_PUBLIC_BYTES])
{
	crypto_sign_ed25519_sk_to_pk(pk, sk);
}

bool ed25519_public_key_check(const uint8_t *in, size_t len, struct err *e)
{
	if (len != ED25519_PUBLIC_BYTES)
		return err_set(e, ERR_MALFORMED, "ed25519 public key: %zu bytes, want %d", len,
			       ED25519_PUBLIC_BYTES);
	if (!crypto_core_ed25519_is_valid_point(in))
		return err_set(e, ERR_MALFORMED,
			       "ed25519 public key: not a canonical point of the prime-order subgroup");
	return true;
}

void ed25519_sign_raw(const uint8_t sk[static ED25519_SECRET_BYTES], const uint8_t *msg,
		      size_t len, uint8_t sig[static ED25519_SIGNATURE_BYTES])
{
	/* Cannot fail: libsodium returns -1 only for absurd lengths. */
	(void)crypto_sign_detached(sig, NULL, len ? msg : empty, len, sk);
}

void ed25519_sign(const uint8_t sk[static ED25519_SECRET_BYTES], const uint8_t *msg, size_t len,
		  uint8_t sig[static ED25519_SIGNATURE_BYTES])
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	ed25519_sign_raw(sk, h, sizeof(h), sig);
}

bool ed25519_verify_raw(const uint8_t pk[static ED25519_PUBLIC_BYTES], const uint8_t *msg,
			size_t len, const uint8_t sig[static ED25519_SIGNATURE_BYTES])
{
	return crypto_sign_verify_detached(sig, len ? msg : empty, len, pk) == 0;
}

bool ed25519_verify(const uint8_t pk[static ED25519_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		    const uint8_t sig[static ED25519_SIGNATURE_BYTES])
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	return ed25519_verify_raw(pk, h, sizeof(h), sig);
}
