/* test_tezos_keycodec.c - text forms of keys, hashes and signatures. The
 * key vectors also exercise the crypto layer (derivation, point checks,
 * hashing, signing). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/crypto/sign.h"
#include "../../src/tezos/keycodec.h"
#include "harness.h"

/* tezos/tezos-mirror src/lib_crypto/test/key_encoding_vectors.ml (the
 * first two of each *_key_encodings list): the seed given to
 * generate_key, the pkh, the public key and the secret key. For ed25519
 * and secp256k1 the secret key's payload is the seed itself. Taquito's
 * InMemorySigner (@taquito/signer 24.2.0) derives the same pk and pkh. */
static const struct {
	enum key_scheme scheme;
	const char *seed_hex;
	const char *pkh, *pk, *sk;
	bool sk_is_seed;
} octez_keys[] = {
	{ SCHEME_ED25519, "98b94d2fa3f98746d3c8b2d1cdde21e43d95b260d8665503a47f5d33da3586d4",
	  "tz1SodoUsWVe1Yey9eMFbqRUtNpBWfir5NRr",
	  "edpkufnz668CdgnVC4X5KRvJoXCMgicr29Tjmr5vxGzvMdipwkTZmM",
	  "edsk3qAQSJaDBSYN2PCMdv7BuJoBKeRyDFq5uPAwDfFRAhQdwHxPMN", true },
	{ SCHEME_ED25519, "cd8c3ff8fa653379b8e215aeafc215c79eb3916860c8d799c9238ebacff746c3",
	  "tz1hzyx6kUgxkM8DeWDQ8Zd1jqTdkHFjMRMT",
	  "edpktkyJU8x7cyDuFPFqR7W5fAGB2jgZF38YD57K7jXxRAPUutt2q5",
	  "edsk4ERiv9CNq5KqVnAisihtXskKQLopY9Ux2gNuQbH61zahXx9xjR", true },
	{ SCHEME_SECP256K1, "b4cfc339fea1412defe5e60a153feacfb0c171757751278e65c2654ea5cbce1f",
	  "tz2SSuN7FRcAurZPSAQS1swNWE8xxf71MTjt",
	  "sppk7aFpmJLm3ZxMd3F4osvGBq77R1NeSpiJVnof3Wiv4mt84EBE9aX",
	  "spsk2oCGdj7yZFmAWr1wqopU512kDtCfWfs7N4FoRH6bkHhgXk5Tu5", true },
	{ SCHEME_SECP256K1, "82ba55eba1181ef514812058c1cadcc028080ab57f12155eee6af31b7d6c44c3",
	  "tz2EoucBgYrBemSsLszAZP86cEfsz13idBaT",
	  "sppk7cNMvaoPostzGxnKFNkqx2QKUKs2YHjokroHEGq1S2hUvRJa89X",
	  "spsk2R8x2JbQq2jPn1SuJK7NBxAajNgoctcLgat99fMPBr8nrQxPqc", true },
	{ SCHEME_P256, "2bc87e75c79225a15e9ae381069c8de363ddecd9229ce177b51967d94b688d2e",
	  "tz3ZxowXGSjiVq227GQcwKdz87rKhq62rY4t",
	  "p2pk66Y3178eHvgWFA4CDsgGPhbkWtwrYCVUKJnsAi41eGP7MbHKv24",
	  "p2sk2g5Btw8MK7fnhQg9d7DaE8QYX8A89BLWaqWTQcHuATYY3ABjD9", false },
	{ SCHEME_P256, "587f8f62c6ba8833d7d5afd8daf12d161604917db54cedd6401e01758bb1f0c2",
	  "tz3e8QcfwZce1z5YmgZjgAdd7aNr8yBnYbv8",
	  "p2pk64ie1DPcsWgEazYYWkFWNVwqs7jCdKeVwF8NVZRu5yr757vWaTM",
	  "p2sk31mNkuAeEXhnTTzkwTXFgso6z7pfDsiKfepQNdTSzs9zWFDcV2", false },
	{ SCHEME_BLS, "72fb8a8eec04f982f2da16b99b6a04fe267c9354c3423939b4b8bf956d6ebb90",
	  "tz4TFJdv9Jd44FtBMAxi3KQT7AtazhVyaPa6",
	  "BLpk1ur5XXicWYMMzCVZZWyLZhybtyX8Zot2uCzDCZW8KcC5BdZiLVXRZvZzi4GuZYL9SarUvKpE",
	  "BLsk1eGhiPQXKtvvkBeXzmtVVJs6KPhEF45drF7MLjoCDcSnTGuyjL", false },
	{ SCHEME_BLS, "08fc8090db18b88071ba0bba933eed56243d2d179566a1bcc3479cc9c7df2050",
	  "tz4Dyjj4Z2gtQ9TSUTdTsHcd3Z3eBE2HzFb5",
	  "BLpk1x47e4TtzgBSUEeoahw3BgoDghPhCFTNwUxVtGrqF58Y9vrj2SdCDamNRpj66e6wQKXzfBRk",
	  "BLsk1fDMA5xVZA59YJojdZ3hZMYBtt8HUhn9uGWkwHRirH1L45GtWt", false },
};

/* Taquito's InMemorySigner (@taquito/signer 24.2.0) signing these bytes
 * with the first key of each scheme above. Ed25519, ECDSA (RFC 6979,
 * low-S) and BLS (POP) are deterministic, so sign_message must agree. */
static const char TAQUITO_MSG_HEX[] = "05010000000a74657a6f732d746573";
static const struct {
	enum key_scheme scheme;
	const char *sk, *pk, *sig;
} taquito_sigs[] = {
	{ SCHEME_ED25519, "edsk3qAQSJaDBSYN2PCMdv7BuJoBKeRyDFq5uPAwDfFRAhQdwHxPMN",
	  "edpkufnz668CdgnVC4X5KRvJoXCMgicr29Tjmr5vxGzvMdipwkTZmM",
	  "edsigu5P1H9EYobgWxzPHroKaJByVCM8rZmgRyhtBL1buD6UdCLq31GqE8hQUzneg2zTyeqpKPWM4xjFQA8kkHZxWWc235Hyk8j" },
	{ SCHEME_SECP256K1, "spsk2oCGdj7yZFmAWr1wqopU512kDtCfWfs7N4FoRH6bkHhgXk5Tu5",
	  "sppk7aFpmJLm3ZxMd3F4osvGBq77R1NeSpiJVnof3Wiv4mt84EBE9aX",
	  "spsig1E6cQvPP7Ms4VCrrLLEqwH4r9daH1a7ZY78PqGuBUHJGFoS5gzDN4eq8XUgRkkt2xtvsxo66shFH8Mr3333Rt24G7wnqGd" },
	{ SCHEME_P256, "p2sk2g5Btw8MK7fnhQg9d7DaE8QYX8A89BLWaqWTQcHuATYY3ABjD9",
	  "p2pk66Y3178eHvgWFA4CDsgGPhbkWtwrYCVUKJnsAi41eGP7MbHKv24",
	  "p2signsFzoywfmyiuF9a2knrH4NF8GUbHpdwD8JbkuiPa6N3mGUYjtELDk9pLDZ97Yofi63q3a1YgK6H3KVYVPF5jNYgEPMidL" },
	{ SCHEME_BLS, "BLsk1eGhiPQXKtvvkBeXzmtVVJs6KPhEF45drF7MLjoCDcSnTGuyjL",
	  "BLpk1ur5XXicWYMMzCVZZWyLZhybtyX8Zot2uCzDCZW8KcC5BdZiLVXRZvZzi4GuZYL9SarUvKpE",
	  "BLsigB74UZrDCtQV9HhQMYnSo1xccpnJzPMz9ha9TfhYh8h6S4r2aFuMjKgxADQAAbnG3XhxpuUMTck7GaNmGVcQh2aL5xspjFu4TVwJmfpsJ3nXUELiaDdPfcocN13yKrJ9LSFtUgFdRd" },
};

/* The same edsig's 64 bytes under the generic prefix (computed with
 * bs58check). */
static const char TAQUITO_GENERIC_SIG[] =
	"siguZYA61eXfVUuoPzimUPLtgyRX3vb8oqc28SbfbvCkTftWtSWNv93eAZxC2swXHdDJLhTzZi87HdRLiYdRcYKYww6HcEnT";

TEST(tezos_keycodec_pkh_vectors)
{
	/* key_encoding_vectors.ml, *_pkhs: hash ↔ text. */
	static const struct {
		enum key_scheme scheme;
		const char *hex, *text;
	} v[] = {
		{ SCHEME_ED25519, "811d97c377168a8bb2111c1651d23d9116b92f4c",
		  "tz1XQjK1b3P72kMcHsoPhnAg3dvX1n8Ainty" },
		{ SCHEME_ED25519, "fc7050887854931103e675d0dd35cc7fcd95dcb2",
		  "tz1ieoXDPfYKyo8HuUqSWWuqWAwrjNvpFcHq" },
		{ SCHEME_SECP256K1, "a8a3da850741d1cf7eb53a3514c0bf3df62b3378",
		  "tz2PgvUJzfmDXTZUvkyKbQb8kjoWR4Wa5Rpv" },
		{ SCHEME_SECP256K1, "18225f3d0d5338f640d3f0a32255effc329c619f",
		  "tz2AWr49gVGsX1BZri7H36ZaD8sJ1NopBGPm" },
		{ SCHEME_P256, "95c16ea218cb6a6c67e465f9b479d0884ce6f222",
		  "tz3Zyt29UpuAzqzuLHXqGaAMfBSseCRonLoD" },
		{ SCHEME_P256, "dfc046abfb65f82b6aa671d14e5e53f88934e9ab",
		  "tz3gj8e1qhMrnzuKrN884pG38RQ6Squrzv2w" },
		{ SCHEME_BLS, "111b373d9c2bae55fb474a1315e0757b50f1d3fc",
		  "tz4AZhg8GuahEs2Uo7dFZxVZwEgNKirtYMhY" },
		{ SCHEME_BLS, "c43fd906f9e09e0fe3e0664b25b288cba2a327c9",
		  "tz4StvWhTeDnVpGspXKbfuhuVXhZ1jkAp7Yq" },
	};
	struct err e = { 0 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct pkh h = { .scheme = v[i].scheme };
		size_t n = 0;
		CHECK(hex_decode(h.hash, sizeof(h.hash), &n, v[i].hex, 40, &e) && n == 20);
		char text[B58_MAX];
		CHECK(pkh_encode(text, &h, &e));
		CHECK_STR(text, v[i].text);
		struct pkh back;
		CHECK(pkh_decode(v[i].text, &back, &e));
		CHECK(back.scheme == v[i].scheme);
		CHECK_MEM(back.hash, h.hash, 20);
		uint8_t bin[21];
		pkh_to_binary(&back, bin);
		CHECK(bin[0] == (uint8_t)v[i].scheme);
		CHECK_MEM(bin + 1, h.hash, 20);
	}
}

TEST(tezos_keycodec_pkh_must_fail)
{
	struct err e = { 0 };
	struct pkh h;
	CHECK(!pkh_decode("", &h, &e));
	CHECK(!pkh_decode(NULL, &h, &e));
	CHECK(!pkh_decode("tz1XQjK1b3P72kMcHsoPhnAg3dvX1n8Aintz", &h, &e)); /* checksum */
	CHECK(strstr(e.msg, "checksum"));
	CHECK(!pkh_decode("tz1XQjK1b3P72kMcHsoPhnAg3dvX1n8Ain0y", &h, &e)); /* '0' */
	CHECK(strstr(e.msg, "invalid character"));
	CHECK(!pkh_decode("KT1PWx2mnDueood7fEmfbBDKx1D9BAnnXitn", &h, &e)); /* a contract */
	CHECK(!pkh_decode("edpkufnz668CdgnVC4X5KRvJoXCMgicr29Tjmr5vxGzvMdipwkTZmM", &h, &e));
	CHECK(strstr(e.msg, "public key hash"));
	CHECK(strstr(e.msg, "got an edpk public key"));
	CHECK(!pkh_decode("NetXdQprcVkpaWU", &h, &e));
	CHECK(strstr(e.msg, "got a chain id"));
	char text[B58_MAX];
	struct pkh bad = { .scheme = (enum key_scheme)9 };
	CHECK(!pkh_encode(text, &bad, &e));
	CHECK(e.kind == ERR_INTERNAL);
}

TEST(tezos_keycodec_chain_id)
{
	struct err e = { 0 };
	uint8_t id[4];
	CHECK(chain_id_decode("NetXdQprcVkpaWU", id, &e));
	static const uint8_t mainnet[4] = { 0x7a, 0x06, 0xa7, 0x70 };
	CHECK_MEM(id, mainnet, 4);
	char text[B58_MAX];
	CHECK(chain_id_encode(text, id, &e));
	CHECK_STR(text, "NetXdQprcVkpaWU");
	CHECK(!chain_id_decode("NetXdQprcVkpaWV", id, &e));
	CHECK(!chain_id_decode("tz1XQjK1b3P72kMcHsoPhnAg3dvX1n8Ainty", id, &e));
	CHECK(!chain_id_decode("", id, &e));
}

TEST(tezos_keycodec_secret_text_forms)
{
	struct err e = { 0 };
	uint8_t out[64];
	size_t len = 0;
	enum key_scheme scheme;
	enum secret_text_kind kind;
	for (size_t i = 0; i < sizeof(octez_keys) / sizeof(octez_keys[0]); i++) {
		CHECK(secret_text_decode(octez_keys[i].sk, &scheme, &kind, out, &len, &e));
		CHECK(scheme == octez_keys[i].scheme);
		CHECK(kind == SECRET_TEXT_PLAIN);
		CHECK(len == 32);
		if (octez_keys[i].sk_is_seed) {
			uint8_t seed[32];
			size_t n = 0;
			CHECK(hex_decode(seed, sizeof(seed), &n, octez_keys[i].seed_hex, 64, &e));
			CHECK_MEM(out, seed, 32);
		}
	}
	/* The 64-byte edsk (seed ‖ pk) form. */
	uint8_t full[64];
	for (int i = 0; i < 64; i++)
		full[i] = (uint8_t)i;
	char text[B58_MAX];
	CHECK(b58check_encode(text, sizeof(text), B58_EDSK_FULL, full, 64, &e));
	CHECK(strncmp(text, "edsk", 4) == 0 && strlen(text) == 98);
	CHECK(secret_text_decode(text, &scheme, &kind, out, &len, &e));
	CHECK(scheme == SCHEME_ED25519 && kind == SECRET_TEXT_PLAIN && len == 64);
	CHECK_MEM(out, full, 64);

	/* Encrypted forms, for each scheme. */
	static const char *const names[SCHEME_COUNT] = { "edesk", "spesk", "p2esk", "BLesk" };
	for (int s = 0; s < SCHEME_COUNT; s++) {
		uint8_t payload[56];
		randombytes_buf(payload, sizeof(payload));
		CHECK(encrypted_secret_encode(text, (enum key_scheme)s, payload, &e));
		CHECK(strncmp(text, names[s], 5) == 0 && strlen(text) == 88);
		CHECK(secret_text_decode(text, &scheme, &kind, out, &len, &e));
		CHECK(scheme == (enum key_scheme)s && kind == SECRET_TEXT_ENCRYPTED && len == 56);
		CHECK_MEM(out, payload, 56);
	}
	CHECK(!encrypted_secret_encode(text, (enum key_scheme)4, full, &e));
}

TEST(tezos_keycodec_secret_text_must_fail)
{
	struct err e = { 0 };
	uint8_t out[64];
	size_t len = 0;
	enum key_scheme scheme;
	enum secret_text_kind kind;
	const char *sk = octez_keys[0].sk;
	char text[B58_MAX];

	CHECK(!secret_text_decode("", &scheme, &kind, out, &len, &e));
	CHECK(!secret_text_decode(NULL, &scheme, &kind, out, &len, &e));
	/* Checksum: the text is not quoted. */
	snprintf(text, sizeof(text), "%s", sk);
	text[40] = text[40] == 'a' ? 'b' : 'a';
	CHECK(!secret_text_decode(text, &scheme, &kind, out, &len, &e));
	CHECK(strstr(e.msg, "secret key"));
	CHECK(strstr(e.msg, "checksum"));
	CHECK(!strstr(e.msg, sk + 4));
	CHECK(!strstr(e.msg, "Fq5uPAw"));
	/* Bad character: offset only. */
	snprintf(text, sizeof(text), "%s", sk);
	text[12] = 'l';
	CHECK(!secret_text_decode(text, &scheme, &kind, out, &len, &e));
	CHECK(strstr(e.msg, "offset 12"));
	CHECK(!strstr(e.msg, "0x6c"));
	/* Overlong, truncated, a public key, an "unencrypted:" URI. */
	char longtext[200];
	memset(longtext, 'k', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	CHECK(!secret_text_decode(longtext, &scheme, &kind, out, &len, &e));
	snprintf(text, sizeof(text), "%.*s", 40, sk);
	CHECK(!secret_text_decode(text, &scheme, &kind, out, &len, &e));
	CHECK(!secret_text_decode(octez_keys[0].pk, &scheme, &kind, out, &len, &e));
	CHECK(strstr(e.msg, "got an edpk public key"));
	CHECK(!strstr(e.msg, octez_keys[0].pk + 4));
	snprintf(text, sizeof(text), "unencrypted:%s", sk);
	CHECK(!secret_text_decode(text, &scheme, &kind, out, &len, &e));
	CHECK(!strstr(e.msg, sk + 4));
}

TEST(tezos_keycodec_octez_key_vectors)
{
	struct err e = { 0 };
	CHECK(crypto_init(&e));
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	CHECK(sk != NULL);
	for (size_t i = 0; i < sizeof(octez_keys) / sizeof(octez_keys[0]) && !test_failed(); i++) {
		uint8_t payload[64];
		size_t len = 0;
		enum key_scheme scheme;
		enum secret_text_kind kind;
		bool ok = secret_text_decode(octez_keys[i].sk, &scheme, &kind, payload, &len, &e) &&
			  secret_key_from_bytes(scheme, payload, len, sk, &e);
		sodium_memzero(payload, sizeof(payload));
		if (!ok)
			printf("  %s: %s\n", octez_keys[i].pkh, e.msg);
		if (!ok)
			break;

		struct public_key pk, pk2;
		struct pkh h, h2;
		char text[B58_MAX];
		ok = public_key_derive(sk, &pk, &e);
		if (!ok) {
			printf("  %s: %s\n", octez_keys[i].pkh, e.msg);
			break;
		}
		if (!public_key_encode(text, &pk, &e) || strcmp(text, octez_keys[i].pk) != 0) {
			printf("  %s: public key %s, expected %s\n", octez_keys[i].pkh, text,
			       octez_keys[i].pk);
			test_fail(__FILE__, __LINE__, "derived public key");
			break;
		}
		pkh_of_public_key(&pk, &h);
		if (!pkh_encode(text, &h, &e) || strcmp(text, octez_keys[i].pkh) != 0) {
			printf("  %s: pkh %s\n", octez_keys[i].pkh, text);
			test_fail(__FILE__, __LINE__, "public key hash");
			break;
		}
		if (!secret_key_encode(text, sk, &e) || strcmp(text, octez_keys[i].sk) != 0) {
			test_fail(__FILE__, __LINE__, "secret key re-encoding");
			break;
		}
		sodium_memzero(text, sizeof(text));
		if (!public_key_decode(octez_keys[i].pk, &pk2, &e)) {
			printf("  %s: %s\n", octez_keys[i].pk, e.msg);
			test_fail(__FILE__, __LINE__, "public_key_decode");
			break;
		}
		CHECK(pk2.scheme == pk.scheme && pk2.len == pk.len);
		CHECK_MEM(pk2.bytes, pk.bytes, pk.len);
		CHECK(pkh_decode(octez_keys[i].pkh, &h2, &e));
		CHECK(h2.scheme == h.scheme);
		CHECK_MEM(h2.hash, h.hash, PKH_BYTES);
	}
	sodium_free(sk);
}

TEST(tezos_keycodec_ledger_vectors)
{
	/* design §2.4: the baking app under speculos's default seed, 44'/1729'/0'/0'. */
	struct err e = { 0 };
	CHECK(crypto_init(&e));
	struct public_key pk;
	struct pkh h;
	char text[B58_MAX];
	CHECK(public_key_decode("edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp", &pk, &e));
	CHECK(pk.scheme == SCHEME_ED25519 && pk.len == 32);
	pkh_of_public_key(&pk, &h);
	CHECK(pkh_encode(text, &h, &e));
	CHECK_STR(text, "tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA");
	static const char *const pks[] = {
		"edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp",
		"sppk7ZntgM6x2Z3MyxARtAJXLF6d74nLApU5Awt9nsFjJZFqaRFddqG",
		"p2pk64rVUd4FgCJM25QdSSGAatNsrotuYKczscXukykvHPRwYr6WD4a",
	};
	for (size_t i = 0; i < sizeof(pks) / sizeof(pks[0]); i++) {
		bool ok = public_key_decode(pks[i], &pk, &e);
		if (!ok)
			printf("  %s: %s\n", pks[i], e.msg);
		CHECK(ok);
		CHECK(pk.scheme == (enum key_scheme)i);
		CHECK(pk.len == (i == 0 ? 32u : 33u));
		CHECK(public_key_encode(text, &pk, &e));
		CHECK_STR(text, pks[i]);
	}
}

TEST(tezos_keycodec_public_key_must_fail)
{
	struct err e = { 0 };
	CHECK(crypto_init(&e));
	struct public_key pk;
	char text[B58_MAX];
	CHECK(!public_key_decode("", &pk, &e));
	CHECK(!public_key_decode("tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA", &pk, &e));
	CHECK(strstr(e.msg, "got a tz1 address"));
	CHECK(!public_key_decode("edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQq", &pk, &e));
	CHECK(strstr(e.msg, "checksum"));
	/* Right prefix and checksum, bytes that are not a point. */
	uint8_t bad[48];
	memset(bad, 0, sizeof(bad));
	bad[0] = 0x05; /* not a compressed-point marker */
	CHECK(b58check_encode(text, sizeof(text), B58_SPPK, bad, 33, &e));
	CHECK(!public_key_decode(text, &pk, &e));
	CHECK(strstr(e.msg, "public key"));
	bad[0] = 0x04;
	CHECK(b58check_encode(text, sizeof(text), B58_P2PK, bad, 33, &e));
	CHECK(!public_key_decode(text, &pk, &e));
	memset(bad, 0xff, sizeof(bad));
	CHECK(b58check_encode(text, sizeof(text), B58_BLPK, bad, 48, &e));
	CHECK(!public_key_decode(text, &pk, &e));

	struct public_key wrong = { .scheme = SCHEME_ED25519, .len = 33 };
	CHECK(!public_key_encode(text, &wrong, &e));
	CHECK(e.kind == ERR_INTERNAL);
}

TEST(tezos_keycodec_signature_forms)
{
	struct err e = { 0 };
	uint8_t sig[SIGNATURE_MAX];
	size_t len = 0;
	char text[B58_MAX];
	static const size_t lens[SCHEME_COUNT] = { 64, 64, 64, 96 };
	for (size_t i = 0; i < sizeof(taquito_sigs) / sizeof(taquito_sigs[0]); i++) {
		CHECK(signature_decode(taquito_sigs[i].sig, sig, &len, &e));
		CHECK(len == lens[taquito_sigs[i].scheme]);
		struct signature s = { .scheme = taquito_sigs[i].scheme, .len = len };
		memcpy(s.bytes, sig, len);
		CHECK(signature_encode(text, &s, &e));
		CHECK_STR(text, taquito_sigs[i].sig);
		struct signature t = { .scheme = SCHEME_BLS };
		bool generic = true;
		CHECK(signature_decode_typed(taquito_sigs[i].sig, &t, &generic, &e));
		CHECK(!generic && t.scheme == taquito_sigs[i].scheme && t.len == len);
		CHECK_MEM(t.bytes, sig, len);
	}
	/* A generic sig: 64 bytes, scheme left as set. */
	CHECK(signature_decode(TAQUITO_GENERIC_SIG, sig, &len, &e));
	CHECK(len == 64);
	struct signature g = { .scheme = SCHEME_P256 };
	bool generic = false;
	CHECK(signature_decode_typed(TAQUITO_GENERIC_SIG, &g, &generic, &e));
	CHECK(generic && g.scheme == SCHEME_P256 && g.len == 64);
	uint8_t ed[SIGNATURE_MAX];
	CHECK(signature_decode(taquito_sigs[0].sig, ed, &len, &e));
	CHECK_MEM(g.bytes, ed, 64);
	/* A real edsig from ecadlabs/signatory's docs/debugging.md. */
	CHECK(signature_decode("edsigtcnGArmYo9cSLnV3cVfd3Kmgm3pbEDpTG2DMwNPBCFzgtV19KToyhVeu3vNX99HXqAsFnC6oDigzkvEbYJpA6e9gieQAav",
			       sig, &len, &e));
	CHECK(len == 64);

	/* Must fail. */
	CHECK(!signature_decode("", sig, &len, &e));
	CHECK(!signature_decode(NULL, sig, &len, &e));
	snprintf(text, sizeof(text), "%s", taquito_sigs[1].sig);
	text[50] = text[50] == 'a' ? 'b' : 'a';
	CHECK(!signature_decode(text, sig, &len, &e));
	CHECK(strstr(e.msg, "signature"));
	CHECK(!signature_decode(taquito_sigs[0].pk, sig, &len, &e));
	CHECK(strstr(e.msg, "got an edpk public key"));
	/* A 96-byte payload under the generic prefix is no signature octez knows. */
	uint8_t raw[3 + 96 + 4] = { 0x04, 0x82, 0x2b };
	uint8_t h1[32], h2[32];
	crypto_hash_sha256(h1, raw, 99);
	crypto_hash_sha256(h2, h1, 32);
	memcpy(raw + 99, h2, 4);
	CHECK(base58_encode(text, sizeof(text), raw, sizeof(raw), &e));
	CHECK(!signature_decode(text, sig, &len, &e));
	struct signature wrong = { .scheme = SCHEME_BLS, .len = 64 };
	CHECK(!signature_encode(text, &wrong, &e));
}

TEST(tezos_keycodec_taquito_signatures_verify)
{
	struct err e = { 0 };
	CHECK(crypto_init(&e));
	uint8_t msg[64];
	size_t msg_len = 0;
	CHECK(hex_decode(msg, sizeof(msg), &msg_len, TAQUITO_MSG_HEX, strlen(TAQUITO_MSG_HEX), &e));
	struct secret_key *sk = sodium_malloc(sizeof(*sk));
	CHECK(sk != NULL);
	for (size_t i = 0; i < sizeof(taquito_sigs) / sizeof(taquito_sigs[0]) && !test_failed(); i++) {
		struct public_key pk;
		uint8_t sig[SIGNATURE_MAX];
		size_t len = 0;
		bool ok = public_key_decode(taquito_sigs[i].pk, &pk, &e) &&
			  signature_decode(taquito_sigs[i].sig, sig, &len, &e);
		if (!ok) {
			printf("  %s: %s\n", taquito_sigs[i].pk, e.msg);
			test_fail(__FILE__, __LINE__, "decode");
			break;
		}
		if (!verify_message(&pk, msg, msg_len, sig, len)) {
			printf("  %s: Taquito's signature does not verify\n", taquito_sigs[i].pk);
			test_fail(__FILE__, __LINE__, "verify_message");
			break;
		}
		sig[len - 1] ^= 1;
		if (verify_message(&pk, msg, msg_len, sig, len)) {
			test_fail(__FILE__, __LINE__, "a changed signature verifies");
			break;
		}
		sig[len - 1] ^= 1;
		msg[msg_len - 1] ^= 1;
		bool changed_msg = verify_message(&pk, msg, msg_len, sig, len);
		msg[msg_len - 1] ^= 1;
		if (changed_msg) {
			test_fail(__FILE__, __LINE__, "a changed message verifies");
			break;
		}

		/* Our signer makes the same deterministic signature. */
		uint8_t payload[64];
		enum key_scheme scheme;
		enum secret_text_kind kind;
		struct signature mine;
		ok = secret_text_decode(taquito_sigs[i].sk, &scheme, &kind, payload, &len, &e) &&
		     secret_key_from_bytes(scheme, payload, len, sk, &e) &&
		     sign_message(sk, &pk, BLS_MODE_POP, msg, msg_len, &mine, &e);
		sodium_memzero(payload, sizeof(payload));
		if (!ok) {
			printf("  %s: %s\n", taquito_sigs[i].pk, e.msg);
			test_fail(__FILE__, __LINE__, "sign_message");
			break;
		}
		char text[B58_MAX];
		CHECK(signature_encode(text, &mine, &e));
		if (strcmp(text, taquito_sigs[i].sig) != 0) {
			printf("  %s: signed %s\n  expected %s\n", taquito_sigs[i].pk, text,
			       taquito_sigs[i].sig);
			test_fail(__FILE__, __LINE__, "same signature as Taquito");
			break;
		}
	}
	sodium_free(sk);
}
