/* sim_keys.c - the simulated device's keys: BIP39 seed, SLIP-10 ed25519,
 * BIP32 secp256k1 / P-256 (the derivations Taquito's fromMnemonic also
 * implements, the test's oracle). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "sim.h"

bool sim_seed_from_mnemonic(const char *mnemonic, const char *passphrase, uint8_t seed[static 64])
{
	char salt[256];
	size_t plen = strlen(passphrase);
	if (plen > sizeof(salt) - 9)
		return false;
	memcpy(salt, "mnemonic", 8);
	memcpy(salt + 8, passphrase, plen);
	int ok = PKCS5_PBKDF2_HMAC(mnemonic, (int)strlen(mnemonic), (const unsigned char *)salt,
				   (int)(8 + plen), 2048, EVP_sha512(), 64, seed);
	sodium_memzero(salt, sizeof(salt));
	return ok == 1;
}

static void hmac512(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
		    uint8_t out[static 64])
{
	unsigned int n = 64;
	HMAC(EVP_sha512(), key, (int)klen, data, dlen, out, &n);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static bool derive_ed25519(const uint8_t seed[static 64], const struct sim_path *path,
			   uint8_t sk[static 32])
{
	uint8_t I[64], data[37];
	const char *key = "ed25519 seed";
	hmac512((const uint8_t *)key, strlen(key), seed, 64, I);
	for (size_t i = 0; i < path->len; i++) {
		if (!(path->c[i] & 0x80000000u)) {
			sodium_memzero(I, sizeof(I));
			return false;
		}
		data[0] = 0;
		memcpy(data + 1, I, 32);
		put32(data + 33, path->c[i]);
		hmac512(I + 32, 32, data, sizeof(data), I);
	}
	memcpy(sk, I, 32);
	sodium_memzero(I, sizeof(I));
	sodium_memzero(data, sizeof(data));
	return true;
}

static bool derive_ecdsa(const uint8_t seed[static 64], enum sim_curve curve,
			 const struct sim_path *path, uint8_t sk[static 32])
{
	const char *key = curve == SIM_SECP256K1 ? "Bitcoin seed" : "Nist256p1 seed";
	uint8_t I[64], data[37], in[64];
	bool ok = false;
	memcpy(in, seed, 64);
	for (;;) { /* master: retry while the key is 0 or not below the order */
		hmac512((const uint8_t *)key, strlen(key), in, 64, I);
		uint8_t zero[32] = { 0 };
		if (memcmp(I, zero, 32) != 0 && sim_ecdsa_below_order(curve, I))
			break;
		memcpy(in, I, 64);
	}
	for (size_t i = 0; i < path->len; i++) {
		uint32_t idx = path->c[i];
		if (idx & 0x80000000u) {
			data[0] = 0;
			memcpy(data + 1, I, 32);
		} else {
			uint8_t pub[65];
			if (!sim_ecdsa_public_key(curve, I, pub))
				goto out;
			data[0] = (uint8_t)(0x02 | (pub[64] & 1));
			memcpy(data + 1, pub + 1, 32);
		}
		put32(data + 33, idx);
		for (;;) {
			uint8_t J[64], child[32];
			bool good = false;
			hmac512(I + 32, 32, data, sizeof(data), J);
			if (sim_ecdsa_below_order(curve, J) &&
			    !sim_ecdsa_tweak_add(curve, I, J, child, &good)) {
				sodium_memzero(J, sizeof(J));
				goto out;
			}
			if (good) {
				memcpy(I, child, 32);
				memcpy(I + 32, J + 32, 32);
				sodium_memzero(J, sizeof(J));
				sodium_memzero(child, sizeof(child));
				break;
			}
			data[0] = 1; /* SLIP-10: try again from the chain code */
			memcpy(data + 1, J + 32, 32);
			sodium_memzero(J, sizeof(J));
		}
	}
	memcpy(sk, I, 32);
	ok = true;
out:
	sodium_memzero(I, sizeof(I));
	sodium_memzero(data, sizeof(data));
	sodium_memzero(in, sizeof(in));
	return ok;
}

bool sim_derive(const uint8_t seed[static 64], enum sim_curve curve, const struct sim_path *path,
		uint8_t sk[static 32])
{
	if (curve == SIM_ED25519)
		return derive_ed25519(seed, path, sk);
	return derive_ecdsa(seed, curve, path, sk);
}

bool sim_public_key(enum sim_curve curve, const uint8_t sk[static 32], uint8_t out[static 65],
		    size_t *len)
{
	if (curve == SIM_ED25519) {
		uint8_t pk[32], full[64];
		crypto_sign_seed_keypair(pk, full, sk);
		sodium_memzero(full, sizeof(full));
		out[0] = 0x02;
		memcpy(out + 1, pk, 32);
		*len = 33;
		return true;
	}
	*len = 65;
	return sim_ecdsa_public_key(curve, sk, out);
}

bool sim_sign(enum sim_curve curve, const uint8_t sk[static 32], const uint8_t hash[static 32],
	      uint8_t out[static 80], size_t *len)
{
	if (curve == SIM_ED25519) {
		uint8_t pk[32], full[64];
		crypto_sign_seed_keypair(pk, full, sk);
		crypto_sign_detached(out, NULL, hash, 32, full);
		sodium_memzero(full, sizeof(full));
		*len = 64;
		return true;
	}
	return sim_ecdsa_sign(curve, sk, hash, out, len);
}
