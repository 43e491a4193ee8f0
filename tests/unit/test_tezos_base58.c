/* test_tezos_base58.c - base58, base58check and the Tezos prefix table. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/tezos/base58.h"
#include "harness.h"

/* Text length of each kind, as octez registers it (src/lib_crypto/base58.ml,
 * the numbers in its Prefix comments): a prefix is right when both the
 * all-zero and the all-0xff payload encode to text that starts with the
 * name and has this length. */
static const struct {
	enum b58_kind kind;
	const char *name;
	size_t text_len;
} expected_texts[] = {
	{ B58_TZ1, "tz1", 36 },        { B58_TZ2, "tz2", 36 },
	{ B58_TZ3, "tz3", 36 },        { B58_TZ4, "tz4", 36 },
	{ B58_CHAIN_ID, "Net", 15 },   { B58_EDPK, "edpk", 54 },
	{ B58_SPPK, "sppk", 55 },      { B58_P2PK, "p2pk", 55 },
	{ B58_BLPK, "BLpk", 76 },      { B58_EDSK_SEED, "edsk", 54 },
	{ B58_EDSK_FULL, "edsk", 98 }, { B58_SPSK, "spsk", 54 },
	{ B58_P2SK, "p2sk", 54 },      { B58_BLSK, "BLsk", 54 },
	{ B58_EDESK, "edesk", 88 },    { B58_SPESK, "spesk", 88 },
	{ B58_P2ESK, "p2esk", 88 },    { B58_BLESK, "BLesk", 88 },
	{ B58_EDSIG, "edsig", 99 },    { B58_SPSIG, "spsig1", 99 },
	{ B58_P2SIG, "p2sig", 98 },    { B58_BLSIG, "BLsig", 142 },
	{ B58_SIG, "sig", 96 },
	{ B58_TZ5, "tz5", 36 },
};

TEST(tezos_base58_prefix_table_is_complete)
{
	CHECK(sizeof(expected_texts) / sizeof(expected_texts[0]) == B58_KIND_COUNT);
	for (int k = 0; k < B58_KIND_COUNT; k++) {
		const struct b58_prefix *p = b58_prefix_of((enum b58_kind)k);
		CHECK(p != NULL);
		CHECK(p->kind == (enum b58_kind)k);
		CHECK(p->prefix_len >= 3 && p->prefix_len <= 5);
		CHECK(expected_texts[k].kind == (enum b58_kind)k);
		CHECK_STR(p->name, expected_texts[k].name);
	}
	CHECK(b58_prefix_of(B58_KIND_COUNT) == NULL);
	CHECK(b58_prefix_of((enum b58_kind)-1) == NULL);
}

TEST(tezos_base58_prefixes_give_their_text)
{
	uint8_t payload[96];
	char text[B58_MAX];
	struct err e = { 0 };
	for (size_t i = 0; i < sizeof(expected_texts) / sizeof(expected_texts[0]); i++) {
		const struct b58_prefix *p = b58_prefix_of(expected_texts[i].kind);
		for (int fill = 0; fill < 2; fill++) {
			memset(payload, fill ? 0xff : 0x00, sizeof(payload));
			CHECK(b58check_encode(text, sizeof(text), p->kind, payload, p->payload_len,
					      &e));
			if (strncmp(text, expected_texts[i].name, strlen(expected_texts[i].name)) != 0 ||
			    strlen(text) != expected_texts[i].text_len)
				printf("  %s: got %s (%zu characters)\n", expected_texts[i].name, text,
				       strlen(text));
			CHECK(strncmp(text, expected_texts[i].name, strlen(expected_texts[i].name)) ==
			      0);
			CHECK(strlen(text) == expected_texts[i].text_len);
			uint8_t back[96];
			CHECK(b58check_decode(text, p->kind, back, sizeof(back), &e));
			CHECK_MEM(back, payload, p->payload_len);
		}
	}
}

TEST(tezos_base58_plain_vectors)
{
	/* The examples of the base58 draft (draft-msporny-base58), checked
	 * against the bs58 npm package. */
	static const struct {
		const char *hex;
		const char *text;
	} v[] = {
		{ "", "" },
		{ "00", "1" },
		{ "000001", "112" },
		{ "0000287fb4cd", "11233QC4" },
		{ "48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U" },
		{ "54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672e",
		  "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z" },
		{ "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		  "JEKNVnkbo3jma5nREBBJCDoXFVeKkD56V3xKrvRmWxFG" },
	};
	struct err e = { 0 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t bin[64], back[64];
		size_t n = 0, m = 0;
		CHECK(hex_decode(bin, sizeof(bin), &n, v[i].hex, strlen(v[i].hex), &e));
		char text[B58_MAX];
		CHECK(base58_encode(text, sizeof(text), bin, n, &e));
		CHECK_STR(text, v[i].text);
		CHECK(base58_decode(back, sizeof(back), &m, v[i].text, strlen(v[i].text), &e));
		CHECK(m == n);
		CHECK_MEM(back, bin, n);
	}
}

TEST(tezos_base58_plain_limits)
{
	struct err e = { 0 };
	uint8_t in[117];
	memset(in, 0xff, sizeof(in));
	char text[B58_MAX * 2];
	/* Over 116 input bytes: refused. */
	CHECK(!base58_encode(text, sizeof(text), in, sizeof(in), &e));
	CHECK(e.kind == ERR_INTERNAL);
	/* 116 bytes of 0xff: the longest text, and it decodes again. */
	CHECK(base58_encode(text, sizeof(text), in, 116, &e));
	CHECK(strlen(text) == B58_MAX - 1);
	uint8_t again[128];
	size_t m = 0;
	CHECK(base58_decode(again, sizeof(again), &m, text, strlen(text), &e));
	CHECK(m == 116 && memcmp(again, in, 116) == 0);
	in[0] = 1;
	/* Output too small: refused, and the buffer still holds a string. */
	CHECK(!base58_encode(text, 3, in, 8, &e));
	CHECK(text[0] == '\0');
	/* Exactly enough room: "112" needs 4 bytes. */
	uint8_t zz1[3] = { 0, 0, 1 };
	CHECK(base58_encode(text, 4, zz1, 3, &e));
	CHECK_STR(text, "112");
	CHECK(!base58_encode(text, 3, zz1, 3, &e));

	/* Decoding into too small a buffer, bad characters, overlong input. */
	uint8_t out[4];
	size_t n = 0;
	CHECK(!base58_decode(out, sizeof(out), &n, "2NEpo7TZRRrLZSi2U", 17, &e));
	CHECK(e.kind == ERR_MALFORMED);
	CHECK(!base58_decode(out, sizeof(out), &n, "10", 2, &e));
	CHECK(strstr(e.msg, "0x30") && strstr(e.msg, "offset 1"));
	static const char bad[] = { 'O', 'I', 'l', '0', ' ', '+', '/', '\n', (char)0xff, '\0' };
	for (size_t i = 0; bad[i]; i++) {
		char s[3] = { '2', bad[i], '\0' };
		CHECK(!base58_decode(out, sizeof(out), &n, s, 2, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
	/* An embedded NUL is a bad character too when the length covers it. */
	CHECK(!base58_decode(out, sizeof(out), &n, "2\0" "2", 3, &e));
	char longtext[B58_MAX + 1];
	memset(longtext, '2', sizeof(longtext) - 1);
	longtext[B58_MAX] = '\0';
	uint8_t big[256];
	CHECK(!base58_decode(big, sizeof(big), &n, longtext, B58_MAX, &e));
	CHECK(e.kind == ERR_MALFORMED);
	CHECK(base58_decode(big, sizeof(big), &n, longtext, B58_MAX - 1, &e));
	/* Empty input decodes to nothing. */
	CHECK(base58_decode(out, sizeof(out), &n, "", 0, &e));
	CHECK(n == 0);
}

TEST(tezos_base58_chain_id_vector)
{
	struct err e = { 0 };
	static const uint8_t mainnet[4] = { 0x7a, 0x06, 0xa7, 0x70 };
	char text[B58_MAX];
	CHECK(b58check_encode(text, sizeof(text), B58_CHAIN_ID, mainnet, 4, &e));
	CHECK_STR(text, "NetXdQprcVkpaWU");
	uint8_t id[4];
	CHECK(b58check_decode("NetXdQprcVkpaWU", B58_CHAIN_ID, id, sizeof(id), &e));
	CHECK_MEM(id, mainnet, 4);
	/* Ghostnet, and the sandbox chain of signatory's integration tests. */
	CHECK(b58check_decode("NetXnHfVqm9iesp", B58_CHAIN_ID, id, sizeof(id), &e));
	static const uint8_t ghostnet[4] = { 0xaf, 0x18, 0x64, 0xd9 };
	CHECK_MEM(id, ghostnet, 4);
	CHECK(b58check_decode("NetXo5iVw1vBoxM", B58_CHAIN_ID, id, sizeof(id), &e));
	static const uint8_t sandbox[4] = { 0xb3, 0xd7, 0x9f, 0x99 };
	CHECK_MEM(id, sandbox, 4);
}

TEST(tezos_base58_roundtrip_random)
{
	struct err e = { 0 };
	for (int k = 0; k < B58_KIND_COUNT; k++) {
		const struct b58_prefix *p = b58_prefix_of((enum b58_kind)k);
		for (int round = 0; round < 50; round++) {
			uint8_t payload[96], back[96];
			randombytes_buf(payload, p->payload_len);
			if (round == 1)
				memset(payload, 0, 8); /* leading zero bytes */
			char text[B58_MAX];
			CHECK(b58check_encode(text, sizeof(text), p->kind, payload, p->payload_len,
					      &e));
			CHECK(strncmp(text, p->name, strlen(p->name)) == 0);
			enum b58_kind which = B58_KIND_COUNT;
			size_t n = 0;
			enum b58_kind all[B58_KIND_COUNT];
			for (int j = 0; j < B58_KIND_COUNT; j++)
				all[j] = (enum b58_kind)j;
			CHECK(b58check_decode_any(text, all, B58_KIND_COUNT, &which, back,
						  sizeof(back), &n, &e));
			CHECK(which == p->kind);
			CHECK(n == p->payload_len);
			CHECK_MEM(back, payload, n);
		}
	}
}

/* Builds base58check text from arbitrary raw bytes (a checksum that is right
 * for whatever prefix and length). */
static void raw_check_text(char out[B58_MAX], const uint8_t *raw, size_t n)
{
	uint8_t buf[160], h1[32], h2[32];
	memcpy(buf, raw, n);
	crypto_hash_sha256(h1, raw, n);
	crypto_hash_sha256(h2, h1, sizeof(h1));
	memcpy(buf + n, h2, 4);
	struct err e = { 0 };
	if (!base58_encode(out, B58_MAX, buf, n + 4, &e))
		out[0] = '\0';
}

TEST(tezos_base58check_must_fail)
{
	struct err e = { 0 };
	uint8_t out[96];
	const char *tz1 = "tz1RVYaHiobUKXMfJ47F7Rjxx5tu3LC35WSA";
	CHECK(b58check_decode(tz1, B58_TZ1, out, sizeof(out), &e));

	/* Bad checksum: the last character changed. */
	char text[B58_MAX];
	snprintf(text, sizeof(text), "%s", tz1);
	text[strlen(text) - 1] = 'B';
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
	CHECK(e.kind == ERR_MALFORMED);
	CHECK(strstr(e.msg, "checksum"));
	CHECK(strstr(e.msg, "tz1RVYaHiob")); /* public text is quoted */
	/* One character in the middle changed. */
	snprintf(text, sizeof(text), "%s", tz1);
	text[10] = text[10] == 'a' ? 'b' : 'a';
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "checksum"));

	/* Bad characters. */
	static const char bad[] = { '0', 'O', 'I', 'l', ' ', '-', '\t', (char)0xc3, '\0' };
	for (size_t i = 0; bad[i]; i++) {
		snprintf(text, sizeof(text), "%s", tz1);
		text[7] = bad[i];
		CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(strstr(e.msg, "invalid character"));
		CHECK(strstr(e.msg, "offset 7"));
	}

	/* Wrong prefix: valid text of another kind says what it is. */
	CHECK(!b58check_decode("edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp", B58_TZ1,
			       out, sizeof(out), &e));
	CHECK(strstr(e.msg, "expected a tz1 address"));
	CHECK(strstr(e.msg, "got an edpk public key"));
	CHECK(!b58check_decode(tz1, B58_TZ2, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "got a tz1 address"));

	/* Wrong length: right prefix and checksum, 21-byte payload. */
	uint8_t raw[64] = { 0x06, 0xa1, 0x9f };
	raw_check_text(text, raw, 3 + 21);
	CHECK(strncmp(text, "tz", 2) == 0 || text[0] != '\0');
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "holds 20 bytes, this one 21"));
	raw_check_text(text, raw, 3 + 19);
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "holds 20 bytes, this one 19"));
	/* Unknown prefix. */
	uint8_t junk[24] = { 0xde, 0xad, 0xbe, 0xef };
	raw_check_text(text, junk, sizeof(junk));
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "unknown prefix"));
	/* Too short to carry a checksum. */
	CHECK(!b58check_decode("tz1", B58_TZ1, out, sizeof(out), &e));
	CHECK(!b58check_decode("1", B58_TZ1, out, sizeof(out), &e));
	CHECK(!b58check_decode("11111", B58_TZ1, out, sizeof(out), &e));

	/* Empty, NULL, overlong. */
	CHECK(!b58check_decode("", B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "empty"));
	CHECK(!b58check_decode(NULL, B58_TZ1, out, sizeof(out), &e));
	char longtext[300];
	memset(longtext, 'z', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	CHECK(!b58check_decode(longtext, B58_TZ1, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "over 159 characters"));
	/* A valid address followed by garbage. */
	snprintf(text, sizeof(text), "%s2", tz1);
	CHECK(!b58check_decode(text, B58_TZ1, out, sizeof(out), &e));

	/* Output too small for the payload: a caller bug. */
	CHECK(!b58check_decode(tz1, B58_TZ1, out, 19, &e));
	CHECK(e.kind == ERR_INTERNAL);

	/* Encoding with the wrong payload length or kind. */
	CHECK(!b58check_encode(text, sizeof(text), B58_TZ1, out, 21, &e));
	CHECK(e.kind == ERR_INTERNAL);
	CHECK(!b58check_encode(text, sizeof(text), B58_KIND_COUNT, out, 20, &e));
	CHECK(!b58check_encode(text, 20, B58_TZ1, out, 20, &e));
}

TEST(tezos_base58check_secret_text_is_never_quoted)
{
	struct err e = { 0 };
	uint8_t out[64];
	const enum b58_kind sk[] = { B58_EDSK_SEED, B58_EDSK_FULL, B58_SPSK, B58_P2SK, B58_BLSK };
	const char *edsk = "edsk3qAQSJaDBSYN2PCMdv7BuJoBKeRyDFq5uPAwDfFRAhQdwHxPMN";
	size_t n = 0;
	enum b58_kind which;
	CHECK(b58check_decode_any(edsk, sk, 5, &which, out, sizeof(out), &n, &e));
	CHECK(which == B58_EDSK_SEED && n == 32);

	char text[B58_MAX];
	/* Checksum mismatch. */
	snprintf(text, sizeof(text), "%s", edsk);
	text[20] = text[20] == 'x' ? 'y' : 'x';
	CHECK(!b58check_decode_any(text, sk, 5, &which, out, sizeof(out), &n, &e));
	CHECK(strstr(e.msg, "checksum"));
	CHECK(!strstr(e.msg, "qAQSJaDB"));
	CHECK(!strstr(e.msg, "wHxPMN"));
	/* Bad character: its offset, not the character. */
	snprintf(text, sizeof(text), "%s", edsk);
	text[30] = '0';
	CHECK(!b58check_decode_any(text, sk, 5, &which, out, sizeof(out), &n, &e));
	CHECK(strstr(e.msg, "offset 30"));
	CHECK(!strstr(e.msg, "0x30"));
	CHECK(!strstr(e.msg, "qAQSJaDB"));
	/* A public key where a secret key is expected: named, quoted not. */
	const char *edpk = "edpkufnz668CdgnVC4X5KRvJoXCMgicr29Tjmr5vxGzvMdipwkTZmM";
	CHECK(!b58check_decode_any(edpk, sk, 5, &which, out, sizeof(out), &n, &e));
	CHECK(strstr(e.msg, "got an edpk public key"));
	CHECK(!strstr(e.msg, "ufnz668"));
	/* A secret key where a public key is expected: named, not quoted. */
	CHECK(!b58check_decode(edsk, B58_EDPK, out, sizeof(out), &e));
	CHECK(strstr(e.msg, "got an edsk secret key"));
	CHECK(!strstr(e.msg, "qAQSJaDB"));
	CHECK(b58_kind_is_secret(B58_BLESK) && !b58_kind_is_secret(B58_BLPK));
}
