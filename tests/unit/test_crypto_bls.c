/* test_crypto_bls.c - tz4: BLS12-381 min-pk over blst.
 *
 * Vectors:
 *  - ethereum/bls12-381-tests (the consensus-spec BLS tests), which use
 *    the same ciphersuite as Tezos's tz4 (BLS_SIG_BLS12381G2_XMD:SHA-256_
 *    SSWU_RO_POP_): sign_case_* (privkey, message → signature),
 *    verify_* (valid, tampered, wrong pubkey, infinity), and
 *    deserialization_G1/G2 failures. Their private keys are big-endian;
 *    ours are little-endian (octez's BLsk order), so we reverse them.
 *  - Taquito (@taquito/signer 24.2.0, noble-curves 1.9.7): BLSKey.sign of
 *    TAQUITO_MSG and provePossession with BLsk = reverse(263dbd…), and
 *    noble's longSignatures.sign(hash(pk ‖ msg, AUG DST)) for the
 *    augmented scheme. */
#include <sodium.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/crypto/bls.h"
#include "../../src/crypto/sign.h"
#include "harness.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	if (!hex_decode(out, cap, &n, hex, strlen(hex), NULL))
		return (size_t)-1;
	return n;
}

/* A big-endian hex scalar as our little-endian bytes. */
static bool scalar_le(uint8_t out[32], const char *be_hex)
{
	uint8_t be[32];
	if (unhex(be, 32, be_hex) != 32)
		return false;
	for (int i = 0; i < 32; i++)
		out[i] = be[31 - i];
	return true;
}

static const char TAQUITO_MSG[] =
	"130000000100000000000000000000000000000000000000000000000000000000000000001500000000006400"
	"000000abababababababababababababababababababababababababababababababab";

static const char SK_A[] = "263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3";
static const char PK_A[] = "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e1"
			   "0c1b77654d067c0618f6e5a7f79a";

#define Z32 "0000000000000000000000000000000000000000000000000000000000000000"
#define X56 "5656565656565656565656565656565656565656565656565656565656565656"
#define XAB "abababababababababababababababababababababababababababababababab"

TEST(crypto_bls_eth_sign_vectors)
{
	static const struct {
		const char *name, *sk, *pk, *msg, *sig;
	} v[] = {
		{ "sign_case_c82df61aa3ee60fb", SK_A, PK_A, Z32,
		  "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e"
		  "9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850c"
		  "e1f98458c0cfc9ab380b55285a55" },
		{ "sign_case_d0e28d7e76eb6e9c", SK_A, PK_A, X56,
		  "882730e5d03f6b42c3abc26d3372625034e1d871b65a8a6b900a56dae22da98abbe1b68f85e49fe765"
		  "2a55ec3d0591c20767677e33e5cbb1207315c41a9ac03be39c2e7668edc043d6cb1d9fd93033caa8a1"
		  "c5b0e84bedaeb6c64972503a43eb" },
		{ "sign_case_f2ae1097e7d0e18b", SK_A, PK_A, XAB,
		  "91347bccf740d859038fcdcaf233eeceb2a436bcaaee9b2aa3bfb70efe29dfb2677562ccbea1c8e061"
		  "fb9971b0753c240622fab78489ce96768259fc01360346da5b9f579e5da0d941e4c6ba18a0e6490608"
		  "2375394f337fa1af2b7127b0d121" },
		{ "sign_case_7055381f640f2c1d",
		  "328388aff0d4a5b7dc9205abd374e7e98f3cd9f3418edb4eafda5fb16473d216",
		  "b53d21a4cfd562c469cc81514d4ce5a6b577d8403d32a394dc265dd190b47fa9f829fdd7963afdf972"
		  "e5e77854051f6f",
		  Z32,
		  "948a7cb99f76d616c2c564ce9bf4a519f1bea6b0a624a02276443c245854219fabb8d4ce061d255af5"
		  "330b078d5380681751aa7053da2c98bae898edc218c75f07e24d8802a17cd1f6833b71e58f5eb5b942"
		  "08b4d0bb3848cecb075ea21be115" },
		{ "sign_case (47b8…, zero message)",
		  "47b8192d77bf871b62e87859d653922725724a5c031afeabc60bcef5ff665138",
		  "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c"
		  "6a6a580217bf81",
		  Z32,
		  "b23c46be3a001c63ca711f87a005c200cc550b9429d5f4eb38d74322144f1b63926da3388979e53210"
		  "12fb1a0526bcd100b5ef5fe72628ce4cd5e904aeaa3279527843fae5ca9ca675f4f51ed8f83bbf7155"
		  "da9ecc9663100a885d5dc6df96d9" },
	};
	struct err e;
	CHECK(crypto_init(&e));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t raw[32], msg[32], want_pk[48], want_sig[96];
		struct secret_key sk;
		struct public_key pk;
		struct signature sig;
		CHECK(scalar_le(raw, v[i].sk));
		CHECK(unhex(msg, 32, v[i].msg) == 32);
		CHECK(unhex(want_pk, 48, v[i].pk) == 48);
		CHECK(unhex(want_sig, 96, v[i].sig) == 96);
		CHECK(secret_key_from_bytes(SCHEME_BLS, raw, 32, &sk, &e));
		CHECK(public_key_derive(&sk, &pk, &e));
		CHECK(pk.len == 48);
		CHECK_MEM(pk.bytes, want_pk, 48);
		CHECK(sign_message(&sk, &pk, BLS_MODE_POP, msg, 32, &sig, &e));
		CHECK(sig.scheme == SCHEME_BLS && sig.len == 96);
		CHECK_MEM(sig.bytes, want_sig, 96);
		CHECK(verify_message(&pk, msg, 32, want_sig, 96));
		sodium_memzero(&sk, sizeof(sk));
		sodium_memzero(raw, sizeof(raw));
	}
	/* sign_case_zero_privkey: no signature. */
	uint8_t zero[48] = { 0 };
	struct secret_key sk;
	CHECK(!secret_key_from_bytes(SCHEME_BLS, zero, 32, &sk, &e));
	CHECK(strstr(e.msg, "bls secret key"));
	uint8_t sig[96];
	CHECK(!bls12_sign(zero, BLS_MODE_POP, zero, zero, 32, sig, &e));
}

TEST(crypto_bls_eth_verify_vectors)
{
	static const struct {
		const char *pk, *msg, *sig;
		bool ok;
	} v[] = {
		/* verify_valid_case_e8a50c445c855360 */
		{ PK_A, Z32,
		  "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e"
		  "9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850c"
		  "e1f98458c0cfc9ab380b55285a55",
		  true },
		/* verify_tampered_signature_case_e8a50c445c855360 */
		{ PK_A, Z32,
		  "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e"
		  "9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850c"
		  "e1f98458c0cfc9ab380bffffffff",
		  false },
		/* verify_tampered_signature_case_2ea479adf8c40300 */
		{ PK_A, X56,
		  "882730e5d03f6b42c3abc26d3372625034e1d871b65a8a6b900a56dae22da98abbe1b68f85e49fe765"
		  "2a55ec3d0591c20767677e33e5cbb1207315c41a9ac03be39c2e7668edc043d6cb1d9fd93033caa8a1"
		  "c5b0e84bedaeb6c64972ffffffff",
		  false },
		/* verify_wrong_pubkey_case_2f09d443ab8a3ac2 */
		{ "b301803f8b5ac4a1133581fc676dfedc60d891dd5fa99028805e5ea5b08d3491af75d0707adab3b70c"
		  "6a6a580217bf81",
		  Z32,
		  "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c96e"
		  "9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e850c"
		  "e1f98458c0cfc9ab380b55285a55",
		  false },
		/* verify_infinity_pubkey_and_infinity_signature (message 12…12) */
		{ "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000",
		  "1212121212121212121212121212121212121212121212121212121212121212",
		  "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000000000000000",
		  false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t pk[48], msg[32], sig[96];
		CHECK(unhex(pk, 48, v[i].pk) == 48);
		CHECK(unhex(msg, 32, v[i].msg) == 32);
		CHECK(unhex(sig, 96, v[i].sig) == 96);
		CHECK(bls12_verify(pk, BLS_MODE_POP, msg, 32, sig) == v[i].ok);
		/* Through sign.h, with the key as public_key_from_bytes admits it. */
		struct public_key p = { .scheme = SCHEME_BLS, .len = 48 };
		memcpy(p.bytes, pk, 48);
		CHECK(verify_message(&p, msg, 32, sig, 96) == v[i].ok);
	}
}

TEST(crypto_bls_signature_not_in_g2)
{
	/* deserialization_G2 failures used as signatures under a valid key. */
	static const char *bad[] = {
		/* deserialization_fails_not_in_G2 */
		"8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234"
		"56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcdef",
		/* deserialization_fails_not_in_curve */
		"8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234"
		"56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcde0",
		/* deserialization_fails_with_wrong_c_flag */
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234"
		"56789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
		"abcdef0123456789abcdef",
	};
	uint8_t pk[48], msg[32] = { 0 };
	CHECK(unhex(pk, 48, PK_A) == 48);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t sig[96];
		CHECK(unhex(sig, 96, bad[i]) == 96);
		CHECK(!bls12_verify(pk, BLS_MODE_POP, msg, 32, sig));
	}
	/* A public key outside G1 (deserialization_fails_not_in_G1) never
	 * verifies, even with a signature that is valid for PK_A. */
	uint8_t off[48], sig[96];
	CHECK(unhex(off, 48,
		    "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		    "0123456789abcdef") == 48);
	CHECK(unhex(sig, 96,
		    "b6ed936746e01f8ecf281f020953fbf1f01debd5657c4a383940b020b26507f6076334f91e2366c9"
		    "6e9ab279fb5158090352ea1c5b0c9274504f4f0e7053af24802e51e4568d164fe986834f41e55c8e"
		    "850ce1f98458c0cfc9ab380b55285a55") == 96);
	CHECK(bls12_verify(pk, BLS_MODE_POP, msg, 32, sig));
	CHECK(!bls12_verify(off, BLS_MODE_POP, msg, 32, sig));
	struct err e;
	CHECK(!bls12_public_key_check(off, 48, &e));
	CHECK(strstr(e.msg, "not in the subgroup"));
}

TEST(crypto_bls_taquito_pop_aug_possession)
{
	uint8_t raw[32], msg[80], want[96];
	struct secret_key sk;
	struct public_key pk;
	struct signature sig, again;
	struct err e;
	CHECK(crypto_init(&e));
	CHECK(scalar_le(raw, SK_A));
	CHECK(unhex(msg, sizeof(msg), TAQUITO_MSG) == 80);
	CHECK(secret_key_from_bytes(SCHEME_BLS, raw, 32, &sk, &e));
	CHECK(public_key_derive(&sk, &pk, &e));

	/* POP scheme, raw message (no blake2b). */
	CHECK(unhex(want, 96,
		    "aaa531858ce0000fbbc0731f320130dffc1b5d89791575fc79857f9e8e71a9da9c449de3e359817e"
		    "baf0678f3e2c7fa0117b722ab3caab62b35c0adf069679e25353ca5dff5458156cb853c37b066c3c"
		    "7dc8d0435a1a4d1dce018b9127b78370") == 96);
	CHECK(sign_message(&sk, &pk, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
	CHECK_MEM(sig.bytes, want, 96);
	CHECK(verify_message(&pk, msg, sizeof(msg), sig.bytes, 96));

	/* AUG scheme: over pk ‖ msg; the same whether pk is passed or derived. */
	CHECK(unhex(want, 96,
		    "824f94992606ac49fa276764243468f46c16be19232f0e6210ff87dc54a9cdf75daf72bc10247f03"
		    "5b44fe8815f774ab0650b38a90d717b54b3e1a8451305de481896cdbcc301957e7928d297bcda3d9"
		    "3d79bf04d3cfdcc4134c42caeb5ca929") == 96);
	CHECK(sign_message(&sk, &pk, BLS_MODE_AUG, msg, sizeof(msg), &sig, &e));
	CHECK_MEM(sig.bytes, want, 96);
	CHECK(sign_message(&sk, NULL, BLS_MODE_AUG, msg, sizeof(msg), &again, &e));
	CHECK_MEM(again.bytes, want, 96);
	CHECK(bls12_verify(pk.bytes, BLS_MODE_AUG, msg, sizeof(msg), sig.bytes));
	/* An AUG signature is not a POP signature, and vice versa. */
	CHECK(!verify_message(&pk, msg, sizeof(msg), sig.bytes, 96));
	CHECK(sign_message(&sk, &pk, BLS_MODE_POP, msg, sizeof(msg), &again, &e));
	CHECK(!bls12_verify(pk.bytes, BLS_MODE_AUG, msg, sizeof(msg), again.bytes));

	/* Proof of possession over the own public key. */
	CHECK(unhex(want, 96,
		    "b803eb0ed93ea10224a73b6b9c725796be9f5fefd215ef7a5b97234cc956cf6870db6127b7e4d824"
		    "ec62276078e787db05584ce1adbf076bc0808ca0f15b73d59060254b25393d95dfc7abe3cda56684"
		    "2aaedf50bbb062aae1bbb6ef3b1f77e1") == 96);
	CHECK(bls_prove_possession(&sk, pk.bytes, &sig, &e));
	CHECK(sig.scheme == SCHEME_BLS && sig.len == 96);
	CHECK_MEM(sig.bytes, want, 96);
	CHECK(bls12_verify_possession(pk.bytes, pk.bytes, sig.bytes));
	/* The PoP DST differs from the signing DST. */
	CHECK(!verify_message(&pk, pk.bytes, 48, sig.bytes, 96));

	/* A wrong-scheme public key for AUG is refused. */
	struct public_key wrong = pk;
	wrong.scheme = SCHEME_P256;
	CHECK(!sign_message(&sk, &wrong, BLS_MODE_AUG, msg, sizeof(msg), &sig, &e));
	CHECK(strstr(e.msg, "augmented"));
	CHECK(!sign_message(&sk, &pk, (enum bls_mode)3, msg, sizeof(msg), &sig, &e));
	sodium_memzero(&sk, sizeof(sk));
	sodium_memzero(raw, sizeof(raw));
}

TEST(crypto_bls_keygen_in_range)
{
	struct err e;
	for (int i = 0; i < 16; i++) {
		uint8_t sk[32], pk[48];
		bls12_generate(sk);
		CHECK(bls12_secret_check(sk, &e));
		CHECK(bls12_public_key(sk, pk, &e));
		CHECK(bls12_public_key_check(pk, 48, &e));
		sodium_memzero(sk, sizeof(sk));
	}
}
