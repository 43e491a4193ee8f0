/* nonce.c - deterministic nonces as octez derives them (nonce.h). */
#include "nonce.h"

#include <sodium.h>

#include "hash.h"
#include "sign.h"

void deterministic_nonce(const struct secret_key *sk, const uint8_t *data, size_t len,
			 uint8_t out[static NONCE_BYTES])
{
	uint8_t key[32];
	crypto_auth_hmacsha256_state st;
	size_t n = secret_key_to_bytes(sk, key);
	crypto_auth_hmacsha256_init(&st, key, n);
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(&st, sizeof(st));
}

void deterministic_nonce_hash(const struct secret_key *sk, const uint8_t *data, size_t len,
			      uint8_t out[static HASH_BYTES])
{
	uint8_t nonce[NONCE_BYTES];
	deterministic_nonce(sk, data, len, nonce);
	blake2b_256(out, nonce, sizeof(nonce));
	sodium_memzero(nonce, sizeof(nonce));
}
