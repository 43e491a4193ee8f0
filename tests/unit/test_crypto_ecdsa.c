/* test_crypto_ecdsa.c - tz2 (secp256k1) and tz3 (P-256) ECDSA.
 *
 * Vectors:
 *  - RFC 6979 appendix A.2.5 (P-256, SHA-256, messages "sample" and
 *    "test"): key x, public point U, nonce k, and signature (r, s). The
 *    RFC's "sample" s is high; we emit n - s (low-S).
 *  - secp256k1 RFC 6979 / SHA-256 vectors for "Satoshi Nakamoto" with keys 1
 *    and n-1 (bitcointalk topic 285142, reproduced by python-ecdsa, trezor
 *    and others), given there in low-S form.
 *  - Taquito (@taquito/signer 24.2.0, noble-curves) InMemorySigner.sign of
 *    TAQUITO_MSG with spsk / p2sk keys whose scalar is RFC 6979's x: the
 *    octez convention, ECDSA over blake2b-256(bytes), low-S. */
#include <sodium.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/crypto/p256.h"
#include "../../src/crypto/secp256k1.h"
#include "../../src/crypto/sign.h"
#include "harness.h"

static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;
	if (!hex_decode(out, cap, &n, hex, strlen(hex), NULL))
		return (size_t)-1;
	return n;
}

static const char TAQUITO_MSG[] =
	"130000000100000000000000000000000000000000000000000000000000000000000000001500000000006400"
	"000000abababababababababababababababababababababababababababababababab";

static const char RFC6979_X[] = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char P256_N[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
static const char K1_N[] = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

/* out = n - s, 32-byte big-endian. */
static void negate(uint8_t out[32], const uint8_t n[32], const uint8_t s[32])
{
	unsigned borrow = 0;
	for (int i = 31; i >= 0; i--) {
		unsigned d = (unsigned)n[i] - (unsigned)s[i] - borrow;
		out[i] = (uint8_t)d;
		borrow = (d >> 8) & 1u;
	}
}

/* s <= n / 2, i.e. 2 s <= n. */
static bool is_low_s(const uint8_t n[32], const uint8_t s[32])
{
	uint8_t ns[32];
	negate(ns, n, s);
	return memcmp(s, ns, 32) <= 0;
}

TEST(crypto_p256_rfc6979_a25)
{
	static const struct {
		const char *msg, *k, *r, *s;
	} v[] = {
		{ "sample", "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60",
		  "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
		  "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8" },
		{ "test", "d16b6ae827f17175e040871a1c7ec3500192c4c92677336ec2537acaee0008e0",
		  "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
		  "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083" },
	};
	uint8_t x[32], n[32], pk[33], want_pk[33];
	struct err e;
	CHECK(crypto_init(&e));
	CHECK(unhex(x, 32, RFC6979_X) == 32);
	CHECK(unhex(n, 32, P256_N) == 32);
	/* U = (60fed4…, 7903fe…99): y is odd, so the prefix is 03. */
	CHECK(unhex(want_pk, 33,
		    "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6") == 33);
	CHECK(p256_public_key(x, pk, &e));
	CHECK_MEM(pk, want_pk, 33);

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t h[32], k[32], want_k[32], r[32], s[32], sig[64], high[64];
		crypto_hash_sha256(h, (const uint8_t *)v[i].msg, strlen(v[i].msg));
		CHECK(unhex(want_k, 32, v[i].k) == 32);
		CHECK(unhex(r, 32, v[i].r) == 32);
		CHECK(unhex(s, 32, v[i].s) == 32);

		p256_rfc6979_nonce(x, h, k);
		CHECK_MEM(k, want_k, 32);

		CHECK(p256_sign_digest(x, h, sig, &e));
		CHECK_MEM(sig, r, 32);
		uint8_t neg[32];
		negate(neg, n, s);
		CHECK(memcmp(sig + 32, s, 32) == 0 || memcmp(sig + 32, neg, 32) == 0);
		CHECK(is_low_s(n, sig + 32));
		/* Both the published (r, s) and our (r, low s) verify. */
		memcpy(high, r, 32);
		memcpy(high + 32, s, 32);
		CHECK(p256_verify_digest(want_pk, h, sig));
		CHECK(p256_verify_digest(want_pk, h, high));
		h[0] ^= 1;
		CHECK(!p256_verify_digest(want_pk, h, sig));
	}
	/* "sample"'s published s is the high one: we must have flipped it. */
	uint8_t h[32], sig[64], s[32];
	crypto_hash_sha256(h, (const uint8_t *)"sample", 6);
	CHECK(p256_sign_digest(x, h, sig, &e));
	CHECK(unhex(s, 32, v[0].s) == 32);
	CHECK(!is_low_s(n, s));
	CHECK(memcmp(sig + 32, s, 32) != 0);
	sodium_memzero(x, sizeof(x));
}

TEST(crypto_secp256k1_rfc6979_vectors)
{
	static const struct {
		const char *x, *msg, *sig;
	} v[] = {
		{ "0000000000000000000000000000000000000000000000000000000000000001", "Satoshi Nakamoto",
		  "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
		  "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5" },
		{ "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", "Satoshi Nakamoto",
		  "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0"
		  "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5" },
	};
	struct err e;
	uint8_t n[32];
	CHECK(crypto_init(&e));
	CHECK(unhex(n, 32, K1_N) == 32);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t x[32], h[32], want[64], sig[64], pk[33], high[64];
		CHECK(unhex(x, 32, v[i].x) == 32);
		CHECK(unhex(want, 64, v[i].sig) == 64);
		crypto_hash_sha256(h, (const uint8_t *)v[i].msg, strlen(v[i].msg));
		CHECK(k1_sign_digest(x, h, sig, &e));
		CHECK_MEM(sig, want, 64);
		CHECK(k1_public_key(x, pk, &e));
		CHECK(k1_verify_digest(pk, h, sig));
		/* The high-S twin (the first vector's original form, dbbd…675c)
		 * verifies too: octez-compatible acceptance. */
		memcpy(high, sig, 32);
		negate(high + 32, n, sig + 32);
		CHECK(!is_low_s(n, high + 32));
		CHECK(k1_verify_digest(pk, h, high));
		h[31] ^= 0x80;
		CHECK(!k1_verify_digest(pk, h, sig));
	}
	/* The public key of 1 is the generator. */
	uint8_t one[32] = { [31] = 1 }, pk[33], g[33];
	CHECK(unhex(g, 33, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798") == 33);
	CHECK(k1_public_key(one, pk, &e));
	CHECK_MEM(pk, g, 33);
}

TEST(crypto_ecdsa_taquito)
{
	static const struct {
		enum key_scheme scheme;
		const char *pk, *sig;
	} v[] = {
		{ SCHEME_SECP256K1, "032c8c31fc9f990c6b55e3865a184a4ce50e09481f2eaeb3e60ec1cea13a6ae645",
		  "b6798e8ad9625afa119282efe15227ca27b07502e25c35a015f3d4b78a65dba6"
		  "4a7db76032bcc1e39d612d6895f53d974d6943345709567a257c692c2ad68323" },
		{ SCHEME_P256, "0360fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6",
		  "42b32d57e4dec5ccad64f443e01d7d95826ba5df9d7331b36c53ab68ce6cd52b"
		  "1727acca799a1086bc8fdb707d06b45ed9814a86db7f93534ae728b2fbe446b6" },
	};
	uint8_t x[32], msg[80];
	struct err e;
	CHECK(unhex(x, 32, RFC6979_X) == 32);
	CHECK(unhex(msg, sizeof(msg), TAQUITO_MSG) == 80);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t want_pk[33], want_sig[64];
		struct secret_key sk;
		struct public_key pk;
		struct signature sig;
		CHECK(unhex(want_pk, 33, v[i].pk) == 33);
		CHECK(unhex(want_sig, 64, v[i].sig) == 64);
		CHECK(secret_key_from_bytes(v[i].scheme, x, 32, &sk, &e));
		CHECK(public_key_derive(&sk, &pk, &e));
		CHECK(pk.len == 33);
		CHECK_MEM(pk.bytes, want_pk, 33);
		CHECK(sign_message(&sk, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
		CHECK(sig.len == 64);
		CHECK_MEM(sig.bytes, want_sig, 64);
		CHECK(verify_message(&pk, msg, sizeof(msg), want_sig, 64));
		sodium_memzero(&sk, sizeof(sk));
	}
}

/* Many random keys and messages: output is always low-S, the high-S twin
 * verifies, and r or s of 0 or n never does. */
TEST(crypto_ecdsa_low_s_and_range)
{
	struct err e;
	CHECK(crypto_init(&e));
	enum key_scheme schemes[2] = { SCHEME_SECP256K1, SCHEME_P256 };
	const char *orders[2] = { K1_N, P256_N };
	for (int c = 0; c < 2; c++) {
		uint8_t n[32];
		CHECK(unhex(n, 32, orders[c]) == 32);
		size_t highs_seen = 0;
		for (int i = 0; i < 32; i++) {
			struct secret_key sk;
			struct public_key pk;
			struct signature sig;
			uint8_t msg[40], bad[64];
			randombytes_buf(msg, sizeof(msg));
			CHECK(secret_key_generate(schemes[c], &sk, &e));
			CHECK(public_key_derive(&sk, &pk, &e));
			CHECK(sign_message(&sk, NULL, BLS_MODE_POP, msg, sizeof(msg), &sig, &e));
			CHECK(is_low_s(n, sig.bytes + 32));
			memcpy(bad, sig.bytes, 64);
			negate(bad + 32, n, sig.bytes + 32);
			highs_seen += !is_low_s(n, bad + 32);
			CHECK(verify_message(&pk, msg, sizeof(msg), bad, 64));
			/* s = 0, s = n, r = 0, r = n. */
			memset(bad + 32, 0, 32);
			CHECK(!verify_message(&pk, msg, sizeof(msg), bad, 64));
			memcpy(bad + 32, n, 32);
			CHECK(!verify_message(&pk, msg, sizeof(msg), bad, 64));
			memcpy(bad + 32, sig.bytes + 32, 32);
			memset(bad, 0, 32);
			CHECK(!verify_message(&pk, msg, sizeof(msg), bad, 64));
			memcpy(bad, n, 32);
			CHECK(!verify_message(&pk, msg, sizeof(msg), bad, 64));
			/* Swapped r and s. */
			memcpy(bad, sig.bytes + 32, 32);
			memcpy(bad + 32, sig.bytes, 32);
			CHECK(!verify_message(&pk, msg, sizeof(msg), bad, 64));
			sodium_memzero(&sk, sizeof(sk));
		}
		CHECK(highs_seen == 32);
	}
}

TEST(crypto_ecdsa_secret_range)
{
	uint8_t zero[32] = { 0 }, sig[64], h[32] = { 1 }, pk[33];
	struct err e;
	CHECK(crypto_init(&e));
	CHECK(!p256_sign_digest(zero, h, sig, &e));
	CHECK(strstr(e.msg, "p256 secret key"));
	CHECK(!p256_public_key(zero, pk, &e));
	CHECK(!k1_sign_digest(zero, h, sig, &e));
	CHECK(strstr(e.msg, "secp256k1 secret key"));
	CHECK(!k1_public_key(zero, pk, &e));
	uint8_t n[32];
	CHECK(unhex(n, 32, P256_N) == 32);
	CHECK(!p256_secret_check(n, &e));
	n[31]--;
	CHECK(p256_secret_check(n, &e));
	CHECK(unhex(n, 32, K1_N) == 32);
	CHECK(!k1_secret_check(n, &e));
	n[31]--;
	CHECK(k1_secret_check(n, &e));
}
