/* sim_bls.c - the simulated device's tz4 keys, as Tezos Baking 2.5.1
 * (trilitech/ledger-app-tezos-baking) makes them: the secret key of a path
 * by EIP-2333 from the BIP39 seed (the firmware's os_derive_eip2333, called
 * by src/crypto.c bip32_derive_init_privkey_bls), the public key answered as
 * 04 ‖ X ‖ Y with X carrying the compression flags
 * (bip32_derive_get_pubkey_bls), and signatures with the augmented scheme
 * over the compressed key ‖ the message (bip32_derive_with_seed_bls_sign_hash:
 * CIPHERSUITE BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <sodium.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <blst.h>
#pragma GCC diagnostic pop

#include "sim.h"

static const char aug_dst[] = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_";

#define LAMPORT_CHUNKS 255

static void hmac256(const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
		    uint8_t out[static 32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &n);
}

/* HKDF-Expand(HKDF-Extract(salt, ikm), "", 255 × 32) with SHA-256 (RFC 5869). */
static void lamport_sk(const uint8_t ikm[static 32], const uint8_t salt[static 4],
		       uint8_t okm[static LAMPORT_CHUNKS * 32])
{
	uint8_t prk[32], t[32 + 1];
	hmac256(salt, 4, ikm, 32, prk);
	for (unsigned i = 0; i < LAMPORT_CHUNKS; i++) {
		size_t tlen = 0;
		if (i > 0) {
			memcpy(t, okm + 32 * (i - 1), 32);
			tlen = 32;
		}
		t[tlen++] = (uint8_t)(i + 1);
		hmac256(prk, 32, t, tlen, okm + 32 * i);
	}
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
}

/* EIP-2333 derive_child_SK: HKDF_mod_r (the IETF KeyGen, blst_keygen) of the
 * compressed Lamport public key of the parent. */
static void derive_child(const blst_scalar *parent, uint32_t index, blst_scalar *child)
{
	static uint8_t okm[LAMPORT_CHUNKS * 32], hashes[2 * LAMPORT_CHUNKS * 32];
	uint8_t ikm[32], salt[4] = { (uint8_t)(index >> 24), (uint8_t)(index >> 16),
				     (uint8_t)(index >> 8), (uint8_t)index };
	uint8_t compressed[32];
	blst_bendian_from_scalar(ikm, parent);
	for (int half = 0; half < 2; half++) {
		if (half == 1)
			for (size_t i = 0; i < 32; i++)
				ikm[i] = (uint8_t)~ikm[i];
		lamport_sk(ikm, salt, okm);
		for (size_t i = 0; i < LAMPORT_CHUNKS; i++)
			SHA256(okm + 32 * i, 32, hashes + 32 * ((size_t)half * LAMPORT_CHUNKS + i));
	}
	SHA256(hashes, sizeof(hashes), compressed);
	blst_keygen(child, compressed, sizeof(compressed), NULL, 0);
	sodium_memzero(okm, sizeof(okm));
	sodium_memzero(ikm, sizeof(ikm));
}

static void derive_path(const uint8_t *seed, size_t seed_len, const struct sim_path *path,
			blst_scalar *sk)
{
	blst_keygen(sk, seed, seed_len, NULL, 0); /* derive_master_SK */
	for (size_t i = 0; i < path->len; i++)
		derive_child(sk, path->c[i], sk);
}

/* EIP-2333's test case 0: seed → master, master → child 0. */
bool sim_bls_self_test(void)
{
	static const char seed_hex[] =
		"c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04";
	static const char master_hex[] = "0d7359d57963ab8fbbde1852dcf553fedbc31f464d80ee7d40ae683122b45070";
	static const char child_hex[] = "2d18bd6c14e6d15bf8b5085c9b74f3daae3b03cc2014770a599d8c1539e50f8e";
	uint8_t seed[64], want[32], got[32];
	size_t n;
	blst_scalar s;
	if (sodium_hex2bin(seed, sizeof(seed), seed_hex, sizeof(seed_hex) - 1, NULL, &n, NULL) != 0)
		return false;
	blst_keygen(&s, seed, sizeof(seed), NULL, 0);
	blst_bendian_from_scalar(got, &s);
	sodium_hex2bin(want, 32, master_hex, 64, NULL, &n, NULL);
	if (memcmp(got, want, 32) != 0)
		return false;
	derive_child(&s, 0, &s);
	blst_bendian_from_scalar(got, &s);
	sodium_hex2bin(want, 32, child_hex, 64, NULL, &n, NULL);
	return memcmp(got, want, 32) == 0;
}

bool sim_bls_public_key(const uint8_t seed[static 64], const struct sim_path *path,
			uint8_t out[static 97])
{
	blst_scalar sk;
	blst_p1 p;
	blst_p1_affine a;
	uint8_t compressed[48];
	derive_path(seed, 64, path, &sk);
	blst_sk_to_pk_in_g1(&p, &sk);
	sodium_memzero(&sk, sizeof(sk));
	blst_p1_to_affine(&a, &p);
	blst_p1_affine_serialize(out + 1, &a);
	blst_p1_affine_compress(compressed, &a);
	out[0] = 0x04;
	out[1] = (uint8_t)((out[1] & 0x1f) | (compressed[0] & 0xe0));
	return true;
}

bool sim_bls_sign(const uint8_t seed[static 64], const struct sim_path *path, const uint8_t *msg,
		  size_t len, uint8_t out[static 96])
{
	uint8_t buf[48 + 256];
	if (len > sizeof(buf) - 48)
		return false;
	blst_scalar sk;
	blst_p1 pk;
	blst_p2 h, sig;
	derive_path(seed, 64, path, &sk);
	blst_sk_to_pk_in_g1(&pk, &sk);
	blst_p1_compress(buf, &pk);
	memcpy(buf + 48, msg, len);
	blst_hash_to_g2(&h, buf, 48 + len, (const uint8_t *)aug_dst, sizeof(aug_dst) - 1, NULL, 0);
	blst_sign_pk_in_g1(&sig, &h, &sk);
	sodium_memzero(&sk, sizeof(sk));
	blst_p2_compress(out, &sig);
	return true;
}
