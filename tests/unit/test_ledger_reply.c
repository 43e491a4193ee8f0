/* Unit tests of the baking app's replies: APDUs, status words, public
 * keys, watermarks, authorized key, DER signatures with parity, low-S. */
#include <stdio.h>
#include <string.h>

#include "../../src/base/hex.h"
#include "../../src/crypto/sign.h"
#include "../../src/tezos/keycodec.h"
#include "../../src/ledger/app.h"
#include "../../src/ledger/der.h"
#include "harness.h"

TEST(ledger_apdu_build_and_path)
{
	uint8_t apdu[LEDGER_APDU_MAX], p[1 + 4 * LEDGER_PATH_MAX];
	struct ledger_path path;
	ledger_path_root(&path);
	path.c[path.len++] = 0x80000000u;
	path.c[path.len++] = 0x80000000u;
	size_t n = ledger_path_encode(&path, p);
	/* the app's doc example: 8001000011048000002c800006c18000000080000000 */
	const uint8_t want[] = { 0x80, 0x01, 0x00, 0x00, 0x11, 0x04, 0x80, 0x00, 0x00, 0x2c, 0x80, 0x00,
				 0x06, 0xc1, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00 };
	CHECK(n == 17);
	CHECK(ledger_apdu_build(apdu, LEDGER_INS_AUTHORIZE_BAKING, 0, 0, p, n) == sizeof(want));
	CHECK_MEM(apdu, want, sizeof(want));
	uint8_t big[256] = { 0 };
	CHECK(ledger_apdu_build(apdu, 0x04, 0x81, 0, big, sizeof(big)) == 0);
	const uint8_t *d;
	size_t dl;
	uint16_t sw;
	struct err e = { 0 };
	const uint8_t reply[] = { 1, 2, 0x6a, 0x80 };
	CHECK(ledger_reply_split(reply, sizeof(reply), &d, &dl, &sw, &e) && sw == 0x6a80 && dl == 2);
	CHECK(!ledger_reply_split(reply, 1, &d, &dl, &sw, &e));
}

TEST(ledger_status_words_map_to_http_kinds)
{
	struct err e = { 0 };
	const char *l = "ledger://x/";
	CHECK(!ledger_sw_error(0x6A80, l, "sign", true, &e) && e.kind == ERR_CONFLICT);
	CHECK(!ledger_sw_error(0x6A80, l, "setup", false, &e) && e.kind == ERR_MALFORMED);
	CHECK(!ledger_sw_error(0x6985, l, "sign", true, &e) && e.kind == ERR_FORBIDDEN && strstr(e.msg, "rejected"));
	CHECK(!ledger_sw_error(0x6982, l, "sign", true, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(!ledger_sw_error(0x9405, l, "sign", true, &e) && e.kind == ERR_FORBIDDEN);
	CHECK(!ledger_sw_error(0x6D00, l, "sign", true, &e) && e.kind == ERR_UNAVAILABLE &&
	      strstr(e.msg, "Tezos Baking app is not open on ledger://x/"));
	CHECK(!ledger_sw_error(0x6E00, l, "sign", true, &e) && e.kind == ERR_UNAVAILABLE &&
	      strstr(e.msg, "Tezos Baking app is not open"));
	CHECK(!ledger_sw_error(0x5515, l, "sign", true, &e) && e.kind == ERR_UNAVAILABLE && strstr(e.msg, "locked"));
	CHECK(ledger_sw_means_app_gone(0x6D00) && ledger_sw_means_app_gone(0x5515) && !ledger_sw_means_app_gone(0x6A80));
}

static size_t unhex(uint8_t *out, const char *h)
{
	size_t n = strlen(h) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

TEST(ledger_public_keys_from_the_device)
{
	struct public_key pk;
	struct err e = { 0 };
	char text[B58_MAX];
	uint8_t d[80];
	CHECK(crypto_init(&e));
	/* what ledgersim (and the real app under speculos) return at 44'/1729'/0'/0' */
	size_t n = unhex(d, "21021dbfcc527042205a12508a62f37a72080e512c9338a9e7db3adeb6cae73e3ca5");
	CHECK(ledger_parse_public_key(d, n, LEDGER_CURVE_ED25519, &pk, &e));
	CHECK(public_key_encode(text, &pk, &e));
	CHECK_STR(text, "edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp");
	n = unhex(d, "41044028629d9abe775871b66edd9d051d5732d2271fed1e86bede1399fded0b728547a4bbdd23c4451ead7bd9f3af97a92ce68b85cea573f1c99e5ef07f0a545c0c");
	CHECK(ledger_parse_public_key(d, n, LEDGER_CURVE_SECP256K1, &pk, &e));
	CHECK(public_key_encode(text, &pk, &e));
	CHECK_STR(text, "sppk7ZntgM6x2Z3MyxARtAJXLF6d74nLApU5Awt9nsFjJZFqaRFddqG");
	n = unhex(d, "41042513cb8638b103b35931a7176f487d9f3d3e7aea27c7f449fab5c15b26fb89aaf294e38e552812f35191248bef7cad154b3d68d480b24402ab511f396c8b99e8");
	CHECK(ledger_parse_public_key(d, n, LEDGER_CURVE_P256, &pk, &e));
	CHECK(public_key_encode(text, &pk, &e));
	CHECK_STR(text, "p2pk64rVUd4FgCJM25QdSSGAatNsrotuYKczscXukykvHPRwYr6WD4a");
	/* must fail: wrong length byte, wrong prefix, off the curve */
	d[0] = 64;
	CHECK(!ledger_parse_public_key(d, n, LEDGER_CURVE_P256, &pk, &e));
	d[0] = 65;
	d[1] = 0x03;
	CHECK(!ledger_parse_public_key(d, n, LEDGER_CURVE_P256, &pk, &e));
	d[1] = 0x04;
	d[5] ^= 1;
	CHECK(!ledger_parse_public_key(d, n, LEDGER_CURVE_P256, &pk, &e));
	CHECK(!ledger_parse_public_key(d, 0, LEDGER_CURVE_ED25519, &pk, &e));
}

TEST(ledger_version_hwm_auth_key_replies)
{
	struct err e = { 0 };
	struct ledger_version v;
	const uint8_t ver[] = { 1, 2, 5, 0 };
	CHECK(ledger_parse_version(ver, 4, &v, &e) && v.app_class == 1 && v.major == 2 && v.minor == 5);
	CHECK(ledger_version_has_sign_with_hash(&v));
	struct ledger_version old = { 1, 2, 0, 0 };
	CHECK(!ledger_version_has_sign_with_hash(&old));
	CHECK(!ledger_parse_version(ver, 3, &v, &e));
	struct ledger_hwm h;
	uint8_t d[24] = { 0, 0, 0, 100, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 1, 0x7a, 0x06, 0xa7, 0x70 };
	CHECK(ledger_parse_all_hwm(d, 20, &h, &e) && h.main_level == 100 && h.main_round == 2 &&
	      h.test_level == 7 && h.test_round == 1 && h.chain_id[0] == 0x7a);
	CHECK(!ledger_parse_all_hwm(d, 19, &h, &e) && !ledger_parse_all_hwm(d, 21, &h, &e));
	bool authorized;
	enum ledger_curve c;
	struct ledger_path p;
	const uint8_t auth[] = { 2, 2, 0x80, 0, 0, 44, 0x80, 0, 0x06, 0xc1 };
	CHECK(ledger_parse_auth_key(auth, sizeof(auth), &authorized, &c, &p, &e) && authorized &&
	      c == LEDGER_CURVE_P256 && p.len == 2 && p.c[1] == 0x800006c1);
	CHECK(!ledger_parse_auth_key(auth, sizeof(auth) - 1, &authorized, &c, &p, &e));
	const uint8_t none[] = { 0, 0 };
	CHECK(ledger_parse_auth_key(none, 2, &authorized, &c, &p, &e) && !authorized);
	const uint8_t badcurve[] = { 9, 0 };
	CHECK(!ledger_parse_auth_key(badcurve, 2, &authorized, &c, &p, &e));
	const uint8_t toolong[] = { 0, 11 };
	CHECK(!ledger_parse_auth_key(toolong, 2, &authorized, &c, &p, &e));
}

TEST(ledger_der_parity_and_low_s)
{
	uint8_t der[80], out[64];
	struct err e = { 0 };
	/* r = 1, s = n - 1 (high): becomes s = 1; parity bit set */
	size_t n = unhex(der, "3126020101022100fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140");
	CHECK(ledger_der_to_compact(der, n, SCHEME_SECP256K1, out, &e));
	uint8_t want[64] = { 0 };
	want[31] = 1;
	want[63] = 1;
	CHECK_MEM(out, want, 64);
	/* P-256: the same high s is below its order but above half: n - s */
	n = unhex(der, "30260201010221008000000000000000000000000000000000000000000000000000000000000000");
	CHECK(ledger_der_to_compact(der, n, SCHEME_P256, out, &e));
	CHECK(out[32] == 0x7f && out[33] == 0xff && out[34] == 0xff);
	/* low s stays */
	n = unhex(der, "3006020101020102");
	CHECK(ledger_der_to_compact(der, n, SCHEME_P256, out, &e) && out[63] == 2 && out[31] == 1);
	const char *bad[] = {
		"3206020101020102",                 /* not a sequence */
		"3007020101020102",                 /* length mismatch */
		"300602010102010200",               /* trailing byte */
		"3006020100020102",                 /* r = 0 */
		"3006020181020102",                 /* negative r */
		"3006030101020102",                 /* not INTEGER */
		"30060201010201",                   /* truncated */
		"30260201010221fffffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", /* 33 bytes not starting 00 */
		"3025020101022000fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", /* s = n? no: 0x00ff.. is 32 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) - 1; i++) {
		n = unhex(der, bad[i]);
		CHECK(!ledger_der_to_compact(der, n, SCHEME_SECP256K1, out, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
	/* s equal to the order */
	n = unhex(der, "3026020101022100fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
	CHECK(!ledger_der_to_compact(der, n, SCHEME_SECP256K1, out, &e));
	CHECK(!ledger_der_to_compact(der, n, SCHEME_ED25519, out, &e));
}

TEST(ledger_signature_reply_with_hash)
{
	uint8_t d[32 + 72], hash[32];
	struct signature sig;
	struct err e = { 0 };
	memset(d, 0xab, 32);
	memset(d + 32, 0x11, 64);
	CHECK(ledger_parse_signature(d, 96, true, LEDGER_CURVE_ED25519, hash, &sig, &e));
	CHECK(hash[0] == 0xab && sig.len == 64 && sig.bytes[0] == 0x11 && sig.scheme == SCHEME_ED25519);
	CHECK(!ledger_parse_signature(d, 95, true, LEDGER_CURVE_ED25519, hash, &sig, &e));
	CHECK(!ledger_parse_signature(d, 31, true, LEDGER_CURVE_ED25519, hash, &sig, &e));
	CHECK(ledger_parse_signature(d + 32, 64, false, LEDGER_CURVE_BIP25519, hash, &sig, &e));
	size_t n = unhex(d + 32, "3106020101020102");
	CHECK(ledger_parse_signature(d, 32 + n, true, LEDGER_CURVE_SECP256K1, hash, &sig, &e));
	CHECK(sig.scheme == SCHEME_SECP256K1 && sig.bytes[31] == 1 && sig.bytes[63] == 2);
}

/* Tezos Baking 2.5.1's BLS replies (trilitech/ledger-app-tezos-baking,
 * src/apdu.c provide_pubkey, src/crypto.c): public key 0x61 ‖ 04 ‖ X ‖ Y,
 * X carrying the compression flags; signatures 96 bytes, after the 32-byte
 * hash with INS 0F. The point here comes from a key generated for the test
 * and blst's own serialization, not from the code under test. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <blst.h>
#pragma GCC diagnostic pop
#include "../../src/crypto/bls.h"

static void bls_device_reply(uint8_t reply[98], uint8_t compressed[48])
{
	uint8_t sk[32];
	bls12_generate(sk);
	struct err e = { 0 };
	bls12_public_key(sk, compressed, &e);
	blst_p1_affine p;
	blst_p1_uncompress(&p, compressed);
	reply[0] = 97;
	reply[1] = 0x04;
	blst_p1_affine_serialize(reply + 2, &p); /* X ‖ Y, no flags */
	reply[2] |= compressed[0] & 0xe0;        /* the device sets X's flags */
}

TEST(ledger_bls_public_key_and_signature_replies)
{
	struct err e = { 0 };
	struct public_key pk;
	uint8_t d[98], want[48];
	for (int i = 0; i < 8; i++) {
		bls_device_reply(d, want);
		CHECK(ledger_parse_public_key(d, 98, LEDGER_CURVE_BLS12_381, &pk, &e));
		CHECK(pk.scheme == SCHEME_BLS && pk.len == 48 && memcmp(pk.bytes, want, 48) == 0);
		uint8_t bad[98];
		memcpy(bad, d, 98);
		bad[2] ^= 0x20; /* the sign flag of the other Y */
		CHECK(!ledger_parse_public_key(bad, 98, LEDGER_CURVE_BLS12_381, &pk, &e));
		CHECK(strstr(e.msg, "compression flags"));
		memcpy(bad, d, 98);
		bad[97] ^= 1; /* Y off the curve */
		CHECK(!ledger_parse_public_key(bad, 98, LEDGER_CURVE_BLS12_381, &pk, &e));
		CHECK(strstr(e.msg, "not a point"));
	}
	d[1] = 0x02;
	CHECK(!ledger_parse_public_key(d, 98, LEDGER_CURVE_BLS12_381, &pk, &e));
	CHECK(strstr(e.msg, "expected 97 bytes starting 04"));
	CHECK(!ledger_parse_public_key(d, 97, LEDGER_CURVE_BLS12_381, &pk, &e));

	bool authorized;
	enum ledger_curve c;
	struct ledger_path p;
	const uint8_t auth[] = { 4, 1, 0x80, 0, 0, 44 };
	CHECK(ledger_parse_auth_key(auth, sizeof(auth), &authorized, &c, &p, &e) &&
	      c == LEDGER_CURVE_BLS12_381);
	const uint8_t auth5[] = { 5, 0 };
	CHECK(!ledger_parse_auth_key(auth5, 2, &authorized, &c, &p, &e));

	uint8_t sig_reply[32 + 96], hash[32];
	struct signature sig;
	memset(sig_reply, 0xab, sizeof(sig_reply));
	CHECK(ledger_parse_signature(sig_reply, sizeof(sig_reply), true, LEDGER_CURVE_BLS12_381, hash, &sig, &e));
	CHECK(sig.scheme == SCHEME_BLS && sig.len == 96 && hash[0] == 0xab);
	CHECK(ledger_parse_signature(sig_reply, 96, false, LEDGER_CURVE_BLS12_381, hash, &sig, &e));
	CHECK(!ledger_parse_signature(sig_reply, 95, false, LEDGER_CURVE_BLS12_381, hash, &sig, &e));
	CHECK(!ledger_parse_signature(sig_reply, 64 + 32, true, LEDGER_CURVE_BLS12_381, hash, &sig, &e));
}
