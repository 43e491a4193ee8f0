/* test_crypto.c - hashes, the scheme table, ed25519, and sign.h across
 * all four schemes (round trips, determinism, must-fail inputs).
 *
 * Vectors: RFC 7693 appendix A (blake2b-512 "abc"); blake2b-256 of "" and
 * "abc" (the BLAKE2 reference implementation, also Python's hashlib);
 * RFC 8032 section 7.1 tests 1 and 2 (Ed25519). The "Taquito" vectors were
 * produced by an independent implementation, @taquito/signer 24.2.0
 * (noble-curves), InMemorySigner.sign over TAQUITO_MSG with the keys
 * noted; they pin octez's convention of signing blake2b-256(bytes). */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/crypto/ed25519.h"
#include "../../src/crypto/hash.h"
#include "../../src/crypto/sign.h"
#include "harness.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	if (!hex_decode(out, cap, &n, hex, strlen(hex), NULL))
		return (size_t)-1;
	return n;
}

/* An 80-byte attestation-shaped message (0x13, chain, branch, tag 21 …). */
static const char TAQUITO_MSG[] =
	"130000000100000000000000000000000000000000000000000000000000000000000000001500000000006400"
	"000000abababababababababababababababababababababababababababababababab";

TEST(crypto_blake2b_vectors)
{
	uint8_t out[64], want[64];
	/* RFC 7693 appendix A: BLAKE2b-512("abc"). */
	CHECK(crypto_generichash(out, 64, (const uint8_t *)"abc", 3, NULL, 0) == 0);
	CHECK(unhex(want, sizeof(want),
		    "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
		    "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923") == 64);
	CHECK_MEM(out, want, 64);

	blake2b_256(out, NULL, 0);
	CHECK(unhex(want, sizeof(want),
		    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8") == 32);
	CHECK_MEM(out, want, 32);

	blake2b_256(out, (const uint8_t *)"abc", 3);
	CHECK(unhex(want, sizeof(want),
		    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319") == 32);
	CHECK_MEM(out, want, 32);
}

TEST(crypto_public_key_hash_taquito)
{
	/* Public keys (and their tz1..tz4 hashes) as Taquito derives them from
	 * the keys used throughout these tests. */
	static const struct {
		enum key_scheme scheme;
		const char *pk, *pkh;
	} v[] = {
		{ SCHEME_ED25519, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		  "1b3517cf5af0ac86b8efe88452908c45f5c7e079" },
		{ SCHEME_SECP256K1,
		  "032c8c31fc9f990c6b55e3865a184a4ce50e09481f2eaeb3e60ec1cea13a6ae645",
		  "b28cd6d319151c9663b617267ea31fd9774dec84" },
		{ SCHEME_P256, "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
		  "c7b25b3131c695b6919881881de91ff291867cf8" },
		{ SCHEME_BLS,
		  "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c"
		  "0618f6e5a7f79a",
		  "15dd8fc90da2ce9101eb2a4c32063162f1b8edc6" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t raw[PUBLIC_KEY_MAX], want[PKH_BYTES], got[PKH_BYTES];
		struct public_key pk;
		struct err e;
		size_t n = unhex(raw, sizeof(raw), v[i].pk);
		CHECK(n == scheme_public_key_len(v[i].scheme));
		CHECK(public_key_from_bytes(v[i].scheme, raw, n, &pk, &e));
		CHECK(unhex(want, sizeof(want), v[i].pkh) == PKH_BYTES);
		public_key_hash(got, &pk);
		CHECK_MEM(got, want, PKH_BYTES);
	}
}

TEST(crypto_scheme_table)
{
	enum key_scheme s;
	CHECK(scheme_public_key_len(SCHEME_ED25519) == 32);
	CHECK(scheme_public_key_len(SCHEME_SECP256K1) == 33);
	CHECK(scheme_public_key_len(SCHEME_P256) == 33);
	CHECK(scheme_public_key_len(SCHEME_BLS) == 48);
	CHECK(scheme_signature_len(SCHEME_ED25519) == 64);
	CHECK(scheme_signature_len(SCHEME_BLS) == 96);
	CHECK(scheme_public_key_len((enum key_scheme)7) == 0);
	CHECK_STR(scheme_name(SCHEME_SECP256K1), "secp256k1");
	CHECK_STR(scheme_address_prefix(SCHEME_BLS), "tz4");
	CHECK(scheme_parse("tz3", &s) && s == SCHEME_P256);
	CHECK(scheme_parse("P-256", &s) && s == SCHEME_P256);
	CHECK(scheme_parse("p256", &s) && s == SCHEME_P256);
	CHECK(scheme_parse("ed25519", &s) && s == SCHEME_ED25519);
	CHECK(scheme_parse("bls", &s) && s == SCHEME_BLS);
	CHECK(scheme_parse("tz2", &s) && s == SCHEME_SECP256K1);
	CHECK(!scheme_parse("tz5", &s));
	CHECK(!scheme_parse("", &s));
	CHECK(!scheme_parse(NULL, &s));
}

TEST(crypto_init_is_idempotent)
{
	struct err e;
	CHECK(crypto_init(&e));
	CHECK(crypto_init(&e));
	CHECK(crypto_init(NULL));
}

TEST(crypto_ed25519_rfc8032)
{
	/* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (0x72). */
	static const struct {
		const char *seed, *pk, *msg, *sig;
	} v[] = {
		{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
		  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
		  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33ba"
		  "cc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
		{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
		  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
		  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996"
		  "e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	};
	struct err e;
	CHECK(crypto_init(&e));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t seed[32], want_pk[32], msg[1], want_sig[64], sig[64];
		struct secret_key sk;
		struct public_key pk;
		CHECK(unhex(seed, 32, v[i].seed) == 32);
		CHECK(unhex(want_pk, 32, v[i].pk) == 32);
		size_t mlen = unhex(msg, sizeof(msg), v[i].msg);
		CHECK(mlen <= 1);
		CHECK(unhex(want_sig, 64, v[i].sig) == 64);

		CHECK(secret_key_from_bytes(SCHEME_ED25519, seed, 32, &sk, &e));
		CHECK(public_key_derive(&sk, &pk, &e));
		CHECK(pk.len == 32);
		CHECK_MEM(pk.bytes, want_pk, 32);
		ed25519_sign_raw(sk.bytes, msg, mlen, sig);
		CHECK_MEM(sig, want_sig, 64);
		CHECK(ed25519_verify_raw(want_pk, msg, mlen, want_sig));
		sig[0] ^= 1;
		CHECK(!ed25519_verify_raw(want_pk, msg, mlen, sig));

		/* The 64-byte form is accepted and gives back the seed. */
		uint8_t back[32];
		struct secret_key sk64;
		CHECK(secret_key_from_bytes(SCHEME_ED25519, sk.bytes, 64, &sk64, &e));
		CHECK(secret_key_to_bytes(&sk64, back) == 32);
		CHECK_MEM(back, seed, 32);
		sodium_memzero(&sk, sizeof(sk));
		sodium_memzero(&sk64, sizeof(sk64));
	}
}

TEST(crypto_ed25519_taquito)
{
	uint8_t seed[32], msg[80], want[64];
	struct secret_key sk;
	struct public_key pk;
	struct signature sig;
	struct err e;
	CHECK(unhex(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60") ==
	      32);
	CHECK(unhex(msg, sizeof(msg), TAQUITO_MSG) == 80);
	CHECK(unhex(want, 64,
		    "50938460fa301709038a7579e3972675a2631498eeea6ccc35199684577cf74cfa5387db7e9d691b8"
		    "795e619710bb5bc341b9536573118f8fe3425dc8993f50a") == 64);
	CHECK(secret_key_from_bytes(SCHEME_ED25519, seed, 32, &sk, &e));
	CHECK(public_key_derive(&sk, &pk, &e));
	CHECK(sign_message(&sk, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
	CHECK(sig.scheme == SCHEME_ED25519 && sig.len == 64);
	CHECK_MEM(sig.bytes, want, 64);
	CHECK(verify_message(&pk, msg, sizeof(msg), want, 64));
	sodium_memzero(&sk, sizeof(sk));
}

/* Generate, derive, sign, verify, tamper: every scheme. */
TEST(crypto_roundtrip_all_schemes)
{
	uint8_t msg[150];
	struct err e;
	CHECK(crypto_init(&e));
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 0x13);
	for (unsigned s = 0; s < SCHEME_COUNT; s++) {
		struct secret_key sk, sk2;
		struct public_key pk, pk2;
		struct signature sig, again;
		uint8_t raw[32];
		CHECK(secret_key_generate((enum key_scheme)s, &sk, &e));
		CHECK(sk.scheme == (enum key_scheme)s);
		CHECK(public_key_derive(&sk, &pk, &e));
		CHECK(pk.len == scheme_public_key_len(pk.scheme));
		CHECK(public_key_from_bytes(pk.scheme, pk.bytes, pk.len, &pk2, &e));
		CHECK(pk2.len == pk.len && memcmp(pk2.bytes, pk.bytes, pk.len) == 0);

		/* The Tezos payload round-trips to the same key. */
		CHECK(secret_key_to_bytes(&sk, raw) == 32);
		CHECK(secret_key_from_bytes(sk.scheme, raw, 32, &sk2, &e));
		CHECK(public_key_derive(&sk2, &pk2, &e));
		CHECK_MEM(pk2.bytes, pk.bytes, pk.len);

		CHECK(sign_message(&sk, &pk, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
		CHECK(sig.len == scheme_signature_len(sk.scheme));
		CHECK(verify_message(&pk, msg, sizeof(msg), sig.bytes, sig.len));
		/* Deterministic: same key and message, same signature. */
		CHECK(sign_message(&sk, &pk, BLS_MODE_POP, msg, sizeof(msg), &again, &e));
		CHECK_MEM(again.bytes, sig.bytes, sig.len);
		/* The empty message signs and verifies too. */
		CHECK(sign_message(&sk, &pk, BLS_MODE_POP, NULL, 0, &again, &e));
		CHECK(verify_message(&pk, NULL, 0, again.bytes, again.len));
		CHECK(!verify_message(&pk, msg, 1, again.bytes, again.len));

		/* Tampering: message, signature, length, key. */
		msg[10] ^= 0x01;
		CHECK(!verify_message(&pk, msg, sizeof(msg), sig.bytes, sig.len));
		msg[10] ^= 0x01;
		sig.bytes[sig.len - 1] ^= 0x01;
		CHECK(!verify_message(&pk, msg, sizeof(msg), sig.bytes, sig.len));
		sig.bytes[sig.len - 1] ^= 0x01;
		CHECK(!verify_message(&pk, msg, sizeof(msg) - 1, sig.bytes, sig.len));
		CHECK(!verify_message(&pk, msg, sizeof(msg), sig.bytes, sig.len - 1));
		CHECK(secret_key_generate((enum key_scheme)s, &sk2, &e));
		CHECK(public_key_derive(&sk2, &pk2, &e));
		CHECK(!verify_message(&pk2, msg, sizeof(msg), sig.bytes, sig.len));
		/* A different key gives a different signature. */
		CHECK(sign_message(&sk2, &pk2, BLS_MODE_POP, msg, sizeof(msg), &again, &e));
		CHECK(memcmp(again.bytes, sig.bytes, sig.len) != 0);
		sodium_memzero(&sk, sizeof(sk));
		sodium_memzero(&sk2, sizeof(sk2));
		sodium_memzero(raw, sizeof(raw));
	}
}

TEST(crypto_secret_key_from_bytes_refuses)
{
	uint8_t in[64] = { 0 };
	struct secret_key sk;
	struct err e;
	CHECK(crypto_init(&e));
	/* Wrong lengths. */
	CHECK(!secret_key_from_bytes(SCHEME_ED25519, in, 31, &sk, &e));
	CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "31 bytes"));
	CHECK(!secret_key_from_bytes(SCHEME_ED25519, in, 33, &sk, &e));
	CHECK(!secret_key_from_bytes(SCHEME_ED25519, in, 0, &sk, &e));
	for (unsigned s = SCHEME_SECP256K1; s < SCHEME_COUNT; s++) {
		CHECK(!secret_key_from_bytes((enum key_scheme)s, in, 31, &sk, &e));
		CHECK(strstr(e.msg, scheme_name((enum key_scheme)s)) && strstr(e.msg, "31 bytes"));
		CHECK(!secret_key_from_bytes((enum key_scheme)s, in, 33, &sk, &e));
		CHECK(!secret_key_from_bytes((enum key_scheme)s, in, 64, &sk, &e));
		/* The zero scalar. */
		CHECK(!secret_key_from_bytes((enum key_scheme)s, in, 32, &sk, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "zero"));
	}
	CHECK(!secret_key_from_bytes((enum key_scheme)9, in, 32, &sk, &e));
	CHECK(strstr(e.msg, "unknown key scheme 9"));

	/* Scalars >= the group order: n itself, and all-ones. */
	uint8_t k1n[32], p256n[32], blsr[32], ones[32];
	CHECK(unhex(k1n, 32, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141") == 32);
	CHECK(unhex(p256n, 32, "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551") ==
	      32);
	/* BLS12-381 r, little-endian (r = 0x73eda753…00000001). */
	CHECK(unhex(blsr, 32, "01000000fffffffffe5bfeff02a4bd5305d8a10908d83933487d9d2953a7ed73") ==
	      32);
	memset(ones, 0xff, sizeof(ones));
	CHECK(!secret_key_from_bytes(SCHEME_SECP256K1, k1n, 32, &sk, &e));
	CHECK(!secret_key_from_bytes(SCHEME_P256, p256n, 32, &sk, &e));
	CHECK(!secret_key_from_bytes(SCHEME_BLS, blsr, 32, &sk, &e));
	for (unsigned s = SCHEME_SECP256K1; s < SCHEME_COUNT; s++)
		CHECK(!secret_key_from_bytes((enum key_scheme)s, ones, 32, &sk, &e));
	/* n - 1 (r - 1) is the largest valid scalar. */
	k1n[31]--;
	p256n[31]--;
	blsr[0]--;
	CHECK(secret_key_from_bytes(SCHEME_SECP256K1, k1n, 32, &sk, &e));
	CHECK(secret_key_from_bytes(SCHEME_P256, p256n, 32, &sk, &e));
	CHECK(secret_key_from_bytes(SCHEME_BLS, blsr, 32, &sk, &e));
	/* BLS scalars are little-endian: 1 is 01 00 … 00. */
	uint8_t one_le[32] = { 1 };
	CHECK(secret_key_from_bytes(SCHEME_BLS, one_le, 32, &sk, &e));

	/* ed25519 seed ‖ pk whose pk is not the seed's. */
	struct secret_key good;
	CHECK(secret_key_generate(SCHEME_ED25519, &good, &e));
	memcpy(in, good.bytes, 64);
	in[40] ^= 0x01;
	CHECK(!secret_key_from_bytes(SCHEME_ED25519, in, 64, &sk, &e));
	CHECK(strstr(e.msg, "public half"));
	CHECK(sodium_is_zero(sk.bytes, sizeof(sk.bytes)));
	sodium_memzero(&good, sizeof(good));
	sodium_memzero(in, sizeof(in));
	sodium_memzero(&sk, sizeof(sk));
}

TEST(crypto_public_key_from_bytes_refuses)
{
	static const struct {
		enum key_scheme scheme;
		const char *hex, *why;
	} bad[] = {
		/* ed25519: the identity (small order), y = p (non-canonical). */
		{ SCHEME_ED25519, "0100000000000000000000000000000000000000000000000000000000000000",
		  "subgroup" },
		{ SCHEME_ED25519, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		  "subgroup" },
		{ SCHEME_ED25519, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751",
		  "31 bytes" },
		/* secp256k1: x = 5 is not on the curve; x >= p; bad prefix; uncompressed. */
		{ SCHEME_SECP256K1, "020000000000000000000000000000000000000000000000000000000000000005",
		  "not on the curve" },
		{ SCHEME_SECP256K1, "02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		  "not on the curve" },
		{ SCHEME_SECP256K1, "042c8c31fc9f990c6b55e3865a184a4ce50e09481f2eaeb3e60ec1cea13a6ae645",
		  "prefix byte 0x04" },
		{ SCHEME_SECP256K1, "2c8c31fc9f990c6b55e3865a184a4ce50e09481f2eaeb3e60ec1cea13a6ae645",
		  "32 bytes" },
		/* P-256: x = 1 is not on the curve; x >= p; bad prefix; empty. */
		{ SCHEME_P256, "020000000000000000000000000000000000000000000000000000000000000001",
		  "not on the curve" },
		{ SCHEME_P256, "03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		  "not on the curve" },
		{ SCHEME_P256, "0060fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
		  "prefix byte 0x00" },
		{ SCHEME_P256, "", "0 bytes" },
		/* BLS: ethereum/bls12-381-tests deserialization_G1 failures, and
		 * the point at infinity (valid encoding, refused as a key). */
		{ SCHEME_BLS,
		  "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123"
		  "456789abcdef",
		  "not in the subgroup" },
		{ SCHEME_BLS,
		  "8123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123"
		  "456789abcde0",
		  "not on the curve" },
		{ SCHEME_BLS,
		  "c00000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000",
		  "infinity" },
		{ SCHEME_BLS,
		  "800000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000",
		  "bls public key" },
		{ SCHEME_BLS,
		  "c01000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		  "000000000000",
		  "bls public key" },
		{ SCHEME_BLS,
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123"
		  "456789abcdef",
		  "bls public key" },
		{ SCHEME_BLS,
		  "9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9fe"
		  "ffffffffaaab",
		  "bls public key" },
		{ SCHEME_BLS,
		  "9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9fe"
		  "ffffffffaa",
		  "47 bytes" },
	};
	struct err e;
	CHECK(crypto_init(&e));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t raw[64];
		struct public_key pk;
		size_t n = unhex(raw, sizeof(raw), bad[i].hex);
		CHECK(n != (size_t)-1);
		err_clear(&e);
		CHECK(!public_key_from_bytes(bad[i].scheme, raw, n, &pk, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(strstr(e.msg, bad[i].why) != NULL);
	}
	struct public_key pk;
	CHECK(!public_key_from_bytes((enum key_scheme)4, (const uint8_t *)"x", 1, &pk, &e));
}

TEST(crypto_verify_refuses_mismatches)
{
	uint8_t msg[3] = { 1, 2, 3 };
	struct secret_key sk;
	struct public_key pk;
	struct signature sig;
	struct err e;
	CHECK(secret_key_generate(SCHEME_ED25519, &sk, &e));
	CHECK(public_key_derive(&sk, &pk, &e));
	CHECK(sign_message(&sk, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
	CHECK(verify_message(&pk, msg, sizeof(msg), sig.bytes, 64));
	/* A 64-byte signature checked against the wrong scheme's key. */
	struct public_key other = pk;
	other.scheme = SCHEME_SECP256K1;
	CHECK(!verify_message(&other, msg, sizeof(msg), sig.bytes, 64));
	other.scheme = (enum key_scheme)5;
	CHECK(!verify_message(&other, msg, sizeof(msg), sig.bytes, 64));
	other = pk;
	other.len = 31;
	CHECK(!verify_message(&other, msg, sizeof(msg), sig.bytes, 64));
	CHECK(!verify_message(&pk, msg, sizeof(msg), sig.bytes, 96));
	/* An ed25519 key cannot make a proof of possession. */
	CHECK(!bls_prove_possession(&sk, pk.bytes, &sig, &e));
	CHECK(strstr(e.msg, "ed25519"));
	/* Nor can anything sign with an unknown scheme. */
	sk.scheme = (enum key_scheme)6;
	CHECK(!sign_message(&sk, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
	CHECK(e.kind == ERR_INTERNAL && strstr(e.msg, "unknown key scheme 6"));
	sodium_memzero(&sk, sizeof(sk));
}

/* Concurrent signing with shared keys (and the shared secp256k1 context
 * and P-256 group) gives each thread the single-threaded answer. */
struct concurrent_job {
	const struct secret_key *sk;
	const struct public_key *pk;
	const struct signature *want;
	uint8_t msg[64];
	bool ok;
};

static void *concurrent_sign(void *arg)
{
	struct concurrent_job *j = arg;
	j->ok = true;
	for (int i = 0; i < 20 && j->ok; i++) {
		struct signature sig;
		struct err e;
		j->ok = sign_message(j->sk, j->pk, BLS_MODE_POP, j->msg, sizeof(j->msg), &sig, &e) &&
			sig.len == j->want->len && memcmp(sig.bytes, j->want->bytes, sig.len) == 0 &&
			verify_message(j->pk, j->msg, sizeof(j->msg), sig.bytes, sig.len);
	}
	return NULL;
}

TEST(crypto_concurrent_signing)
{
	struct err e;
	CHECK(crypto_init(&e));
	for (unsigned s = 0; s < SCHEME_COUNT; s++) {
		struct secret_key sk;
		struct public_key pk;
		struct signature want;
		struct concurrent_job jobs[4];
		pthread_t tid[4];
		CHECK(secret_key_generate((enum key_scheme)s, &sk, &e));
		CHECK(public_key_derive(&sk, &pk, &e));
		for (int t = 0; t < 4; t++) {
			jobs[t] = (struct concurrent_job){ .sk = &sk, .pk = &pk, .want = &want };
			memset(jobs[t].msg, 0x42, sizeof(jobs[t].msg));
		}
		CHECK(sign_message(&sk, &pk, BLS_MODE_POP, jobs[0].msg, sizeof(jobs[0].msg), &want,
				   &e));
		for (int t = 0; t < 4; t++)
			CHECK(pthread_create(&tid[t], NULL, concurrent_sign, &jobs[t]) == 0);
		for (int t = 0; t < 4; t++)
			pthread_join(tid[t], NULL);
		for (int t = 0; t < 4; t++)
			CHECK(jobs[t].ok);
		sodium_memzero(&sk, sizeof(sk));
	}
}
