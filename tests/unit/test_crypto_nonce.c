/* Unit tests of octez's deterministic nonces (src/crypto/nonce.c) against
 * an independent HMAC-SHA256 (OpenSSL's) keyed with the secret key's
 * octez payload (octez src/lib_crypto/ed25519.ml, deterministic_nonce). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "../../src/crypto/hash.h"
#include "../../src/crypto/nonce.h"
#include "../../src/crypto/sign.h"
#include "harness.h"

TEST(nonce_is_hmac_sha256_of_the_secret_payload)
{
	struct err e = { 0 };
	CHECK(crypto_init(&e));
	for (int s = SCHEME_ED25519; s <= SCHEME_BLS; s++) {
		struct secret_key sk;
		CHECK(secret_key_generate((enum key_scheme)s, &sk, &e));
		uint8_t payload[32], want[32], got[32], hash[32];
		unsigned int n = 0;
		CHECK(secret_key_to_bytes(&sk, payload) == 32);
		const uint8_t data[] = { 0x13, 0x7a, 0x06, 0xa7, 0x70, 0x00, 0xff };
		CHECK(HMAC(EVP_sha256(), payload, 32, data, sizeof(data), want, &n) && n == 32);
		deterministic_nonce(&sk, data, sizeof(data), got);
		CHECK_MEM(got, want, 32);
		deterministic_nonce_hash(&sk, data, sizeof(data), got);
		blake2b_256(hash, want, 32);
		CHECK_MEM(got, hash, 32);
		CHECK(HMAC(EVP_sha256(), payload, 32, data, 0, want, &n));
		deterministic_nonce(&sk, NULL, 0, got);
		CHECK_MEM(got, want, 32);
	}
}
