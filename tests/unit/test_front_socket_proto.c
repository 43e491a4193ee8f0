/* Unit tests of the socket signer protocol codec (src/server/socket_proto.c).
 * Request bytes are built by hand from octez's encodings
 * (src/lib_signer_services/signer_messages.ml, Request.encoding). */
#include <stdlib.h>
#include <string.h>

#include "../../src/front/socket_proto.h"
#include "harness.h"

static struct sock_request rq;
static struct err e;

static bool decode(const uint8_t *p, size_t n)
{
	memset(&e, 0, sizeof(e));
	return sock_request_decode(p, n, &rq, &e);
}

/* Sign (tag 0) of a tz1: pkh 00‖hash, data 4-byte length ‖ bytes,
 * then optionally the authentication signature. */
static size_t sign_tz1(uint8_t *out, size_t data_len, size_t auth_len)
{
	size_t n = 0;
	out[n++] = 0x00;
	out[n++] = 0x00;
	for (int i = 0; i < 20; i++)
		out[n++] = (uint8_t)(0xa0 + i);
	out[n++] = 0;
	out[n++] = 0;
	out[n++] = (uint8_t)(data_len >> 8);
	out[n++] = (uint8_t)data_len;
	for (size_t i = 0; i < data_len; i++)
		out[n++] = (uint8_t)(0x11 + i);
	for (size_t i = 0; i < auth_len; i++)
		out[n++] = 0x5a;
	return n;
}

TEST(sock_decodes_sign_tz1)
{
	uint8_t b[256];
	size_t n = sign_tz1(b, 5, 0);
	CHECK(decode(b, n));
	CHECK(rq.kind == SOCK_SIGN && rq.has_pkh && rq.pkh.scheme == SCHEME_ED25519);
	CHECK(rq.pkh.hash[0] == 0xa0 && rq.pkh.hash[19] == 0xb3);
	CHECK(!rq.has_version && rq.data_len == 5 && rq.data[0] == 0x11 && rq.auth_len == 0);
	n = sign_tz1(b, 5, 64);
	CHECK(decode(b, n));
	CHECK(rq.auth_len == 64 && rq.auth[63] == 0x5a);
	n = sign_tz1(b, 0, 96);
	CHECK(decode(b, n));
	CHECK(rq.data_len == 0 && rq.auth_len == 96);
}

/* tz4: pkh_encoding's Bls case: 03, then the full pkh 03‖hash, then version. */
TEST(sock_decodes_sign_tz4_version)
{
	uint8_t b[64] = { 0x00, 0x03, 0x03 };
	size_t n = 3 + 20;
	b[n++] = 2; /* version */
	b[n++] = 0, b[n++] = 0, b[n++] = 0, b[n++] = 1, b[n++] = 0x13;
	CHECK(decode(b, n));
	CHECK(rq.pkh.scheme == SCHEME_BLS && rq.has_version && rq.version == 2 && rq.data_len == 1);
	b[23] = 4;
	CHECK(!decode(b, n) && e.kind == ERR_MALFORMED && strstr(e.msg, "version 4"));
	b[23] = 1;
	b[2] = 0x00; /* a version may come with any inner key hash */
	CHECK(decode(b, n) && rq.pkh.scheme == SCHEME_ED25519 && rq.version == 1);
}

TEST(sock_sign_must_fail_each_truncation)
{
	uint8_t b[256];
	size_t n = sign_tz1(b, 7, 0);
	for (size_t cut = 0; cut < n; cut++) {
		CHECK(!decode(b, cut));
		CHECK(e.kind == ERR_MALFORMED);
	}
	uint8_t v[32] = { 0x00, 0x03, 0x03 };
	v[23] = 0; /* version 0, no data length yet */
	for (size_t cut = 0; cut < 24; cut++)
		CHECK(!decode(v, cut));
}

TEST(sock_sign_must_fail_oversized_fields)
{
	uint8_t b[256];
	size_t n = sign_tz1(b, 4, 0);
	b[22] = 0x01; /* data length 2^24 + 4 */
	CHECK(!decode(b, n) && strstr(e.msg, "data length"));
	b[22] = 0x00;
	b[25] = 5; /* one more than there is */
	CHECK(!decode(b, n) && strstr(e.msg, "data length"));
	size_t bad_auth[] = { 1, 32, 63, 65, 95, 97, 128 };
	for (size_t i = 0; i < sizeof(bad_auth) / sizeof(bad_auth[0]); i++) {
		n = sign_tz1(b, 4, bad_auth[i]);
		CHECK(!decode(b, n) && strstr(e.msg, "authentication"));
	}
	static uint8_t big[SOCK_PAYLOAD_MAX + 1];
	CHECK(!decode(big, sizeof(big)) && strstr(e.msg, "payload"));
}

TEST(sock_must_fail_unknown_tags)
{
	uint8_t b[32] = { 8 };
	CHECK(!decode(b, 1) && strstr(e.msg, "unknown request tag 8"));
	b[0] = 0xff;
	CHECK(!decode(b, 1));
	b[0] = SOCK_PUBLIC_KEY;
	b[1] = 4; /* tz5 */
	CHECK(!decode(b, 22) && strstr(e.msg, "tz5"));
	b[1] = 9;
	CHECK(!decode(b, 22) && strstr(e.msg, "pkh tag 9"));
	b[0] = SOCK_SIGN;
	b[1] = 0x03;
	b[2] = 0x07; /* inner pkh of the Bls case */
	CHECK(!decode(b, 24));
}

TEST(sock_decodes_short_requests)
{
	uint8_t b[80] = { SOCK_PUBLIC_KEY, 0x02 };
	CHECK(decode(b, 22) && rq.kind == SOCK_PUBLIC_KEY && rq.pkh.scheme == SCHEME_P256);
	CHECK(!decode(b, 21) && !decode(b, 1));
	CHECK(!decode(b, 23) && strstr(e.msg, "extra bytes"));
	b[0] = SOCK_SUPPORTS_DETERMINISTIC_NONCES;
	CHECK(decode(b, 22) && rq.kind == SOCK_SUPPORTS_DETERMINISTIC_NONCES);
	CHECK(!decode(b, 23));
	b[0] = SOCK_AUTHORIZED_KEYS;
	CHECK(decode(b, 1) && rq.kind == SOCK_AUTHORIZED_KEYS && !rq.has_pkh);
	CHECK(!decode(b, 2) && strstr(e.msg, "extra bytes"));
	b[0] = SOCK_KNOWN_KEYS;
	CHECK(decode(b, 1) && rq.kind == SOCK_KNOWN_KEYS);
	CHECK(!decode(b, 0) && strstr(e.msg, "request tag"));
}

TEST(sock_decodes_nonce_requests)
{
	uint8_t b[128];
	size_t n = sign_tz1(b, 3, 64);
	b[0] = SOCK_DETERMINISTIC_NONCE; /* pkh is a plain 21-byte key hash here */
	CHECK(decode(b, n) && rq.kind == SOCK_DETERMINISTIC_NONCE && rq.data_len == 3 && rq.auth_len == 64);
	b[0] = SOCK_DETERMINISTIC_NONCE_HASH;
	CHECK(decode(b, n - 64) && rq.kind == SOCK_DETERMINISTIC_NONCE_HASH && rq.auth_len == 0);
	b[1] = 0x03; /* no version byte for a tz4 here: the length then starts one byte early */
	CHECK(decode(b, n - 64) && rq.pkh.scheme == SCHEME_BLS && !rq.has_version);
	for (size_t cut = 0; cut < n - 64; cut++)
		CHECK(!decode(b, cut));
}

TEST(sock_decodes_prove_possession)
{
	uint8_t b[80] = { SOCK_BLS_PROVE_POSSESSION, 0x03 };
	b[22] = 0x00;
	CHECK(decode(b, 23) && rq.kind == SOCK_BLS_PROVE_POSSESSION && !rq.has_override_pk);
	CHECK(!decode(b, 22) && strstr(e.msg, "override_pk marker"));
	b[22] = 0xff;
	b[23] = 0x97;
	CHECK(decode(b, 71) && rq.has_override_pk && rq.override_pk[0] == 0x97);
	for (size_t cut = 23; cut < 71; cut++)
		CHECK(!decode(b, cut) && strstr(e.msg, "override_pk"));
	CHECK(!decode(b, 72) && strstr(e.msg, "extra bytes"));
	b[22] = 0x01; /* data-encoding reads any non-zero marker as present */
	CHECK(decode(b, 71) && rq.has_override_pk);
}

TEST(sock_frame_length_is_big_endian)
{
	uint8_t h[2] = { 0x01, 0x02 };
	CHECK(sock_frame_length(h) == 0x0102);
	h[0] = h[1] = 0xff;
	CHECK(sock_frame_length(h) == 65535);
}

static struct sock_reply rep;

TEST(sock_replies_ok_frames)
{
	struct signature sig = { .scheme = SCHEME_ED25519, .len = 64 };
	memset(sig.bytes, 0x33, 64);
	CHECK(sock_reply_signature(&rep, &sig));
	CHECK(rep.len == 2 + 1 + 64 && rep.bytes[0] == 0 && rep.bytes[1] == 65 && rep.bytes[2] == 0);
	CHECK(!sock_reply_bls_signature(&rep, &sig));
	sig.len = 96;
	CHECK(sock_reply_bls_signature(&rep, &sig) && rep.len == 99 && rep.bytes[1] == 97);

	struct public_key pk = { .scheme = SCHEME_SECP256K1, .len = 33 };
	memset(pk.bytes, 0x02, 33);
	CHECK(sock_reply_public_key(&rep, &pk));
	CHECK(rep.len == 2 + 1 + 1 + 33 && rep.bytes[3] == 0x01 && rep.bytes[4] == 0x02);

	CHECK(sock_reply_no_authentication(&rep));
	const uint8_t none[] = { 0, 2, 0, 0 };
	CHECK(rep.len == 4 && memcmp(rep.bytes, none, 4) == 0);

	CHECK(sock_reply_bool(&rep, true) && rep.len == 4 && rep.bytes[3] == 0xff);
	CHECK(sock_reply_bool(&rep, false) && rep.bytes[3] == 0x00);

	uint8_t nonce[32];
	memset(nonce, 0x44, 32);
	CHECK(sock_reply_bytes(&rep, nonce, 32));
	const uint8_t head[] = { 0, 37, 0, 0, 0, 0, 32, 0x44 };
	CHECK(rep.len == 2 + 37 && memcmp(rep.bytes, head, sizeof(head)) == 0);
}

TEST(sock_replies_pkh_lists)
{
	struct pkh a = { .scheme = SCHEME_BLS }, b = { .scheme = SCHEME_P256 };
	memset(a.hash, 0xaa, 20);
	memset(b.hash, 0xbb, 20);
	sock_reply_pkh_list_begin(&rep, true);
	sock_reply_pkh_list_add(&rep, &a);
	sock_reply_pkh_list_add(&rep, &b);
	CHECK(sock_reply_pkh_list_end(&rep));
	const uint8_t head[] = { 0, 48, 0, 1, 0, 0, 0, 42, 3, 0xaa };
	CHECK(rep.len == 50 && memcmp(rep.bytes, head, sizeof(head)) == 0 && rep.bytes[29] == 2);
	sock_reply_pkh_list_begin(&rep, false);
	CHECK(sock_reply_pkh_list_end(&rep));
	const uint8_t empty[] = { 0, 5, 0, 0, 0, 0, 0 };
	CHECK(rep.len == 7 && memcmp(rep.bytes, empty, 7) == 0);
	sock_reply_pkh_list_begin(&rep, false);
	for (int i = 0; i < 3200; i++) /* 3200 × 21 bytes do not fit a frame */
		sock_reply_pkh_list_add(&rep, &a);
	CHECK(!sock_reply_pkh_list_end(&rep) && rep.overflow);
}

/* Computed by hand from the layout: result tag 1, the trace's 4-byte
 * length, the error's 4-byte string length, the BSON document. */
TEST(sock_replies_error_as_bson)
{
	CHECK(sock_reply_error(&rep, "x", "y"));
	static const uint8_t want[] = {
		0x00, 0x37, 0x01, 0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x2e,
		0x2e, 0x00, 0x00, 0x00,
		0x02, 'k', 'i', 'n', 'd', 0x00, 0x0a, 0x00, 0x00, 0x00,
		't', 'e', 'm', 'p', 'o', 'r', 'a', 'r', 'y', 0x00,
		0x02, 'i', 'd', 0x00, 0x02, 0x00, 0x00, 0x00, 'x', 0x00,
		0x02, 'm', 's', 'g', 0x00, 0x02, 0x00, 0x00, 0x00, 'y', 0x00,
		0x00,
	};
	CHECK(rep.len == sizeof(want));
	CHECK_MEM(rep.bytes, want, sizeof(want));
}
