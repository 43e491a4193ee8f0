/* hash.c - blake2b-256 and blake2b-160 (libsodium's crypto_generichash). */
#include "hash.h"

#include <sodium.h>

void blake2b_256(uint8_t out[static HASH_BYTES], const uint8_t *in, size_t len)
{
	/* crypto_generichash cannot fail for these output sizes and no key. */
	(void)crypto_generichash(out, HASH_BYTES, len ? in : NULL, len, NULL, 0);
}

void public_key_hash(uint8_t out[static PKH_BYTES], const struct public_key *pk)
{
	size_t len = pk->len <= PUBLIC_KEY_MAX ? pk->len : PUBLIC_KEY_MAX;
	(void)crypto_generichash(out, PKH_BYTES, pk->bytes, len, NULL, 0);
}
