/* Unit tests of the front ↔ key holder frame codec (src/privsep/kh_frame.c).
 * Frames are built byte by byte from the layout in kh_frame.h, not by the
 * encoder, so the decoder is checked against the contract itself. */
#include <stdlib.h>
#include <string.h>

#include "../../src/privsep/kh_frame.h"
#include "harness.h"

static uint8_t frame[KH_REQ_MAX + 16];
static struct kh_request rq;
static struct err e;

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A sign request for tz1…, id 0x01020304, version 2, text auth, body n bytes. */
static size_t hand_sign(size_t n)
{
	static const char pkh[] = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";
	memset(frame, 0, sizeof(frame));
	memcpy(frame, "TZKQ", 4);
	le32(frame + 4, 0x01020304u);
	frame[8] = KH_OP_SIGN;
	frame[10] = 2;
	frame[11] = (uint8_t)strlen(pkh);
	memcpy(frame + 12, pkh, strlen(pkh));
	frame[52] = KH_AUTH_TEXT;
	frame[54] = 5;
	memcpy(frame + 56, "spsig", 5);
	le32(frame + 256, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		frame[264 + i] = (uint8_t)(0x11 + i);
	return 264 + n;
}

static bool decode(size_t n)
{
	memset(&e, 0, sizeof(e));
	return kh_request_decode(frame, n, &rq, &e);
}

TEST(kh_request_decodes_hand_built_sign)
{
	size_t n = hand_sign(3);
	CHECK(decode(n));
	CHECK(rq.id == 0x01020304u && rq.op == KH_OP_SIGN && rq.version == 2);
	CHECK_STR(rq.pkh, "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb");
	CHECK(rq.auth_kind == KH_AUTH_TEXT && rq.auth_len == 5);
	CHECK_STR((const char *)rq.auth, "spsig");
	CHECK(rq.body_len == 3 && rq.body == frame + 264 && rq.body[2] == 0x13);
}

TEST(kh_request_roundtrips_through_encode)
{
	size_t n = hand_sign(40);
	CHECK(decode(n));
	uint8_t again[KH_REQ_MAX];
	size_t m = 0;
	CHECK(kh_request_encode(&rq, again, sizeof(again), &m, &e));
	CHECK(m == n);
	CHECK_MEM(again, frame, n);
}

TEST(kh_request_empty_monitoring_frame)
{
	memset(frame, 0, KH_REQ_HEADER);
	memcpy(frame, "TZKQ", 4);
	frame[8] = KH_OP_METRICS;
	frame[10] = KH_VERSION_NONE;
	CHECK(decode(KH_REQ_HEADER));
	CHECK(rq.op == KH_OP_METRICS && rq.pkh[0] == 0 && rq.body == NULL && rq.body_len == 0);
}

/* Truncations: shorter than the id, than the header, than the body. */
TEST(kh_request_refuses_truncated)
{
	size_t n = hand_sign(10);
	CHECK(!decode(0) && e.kind == ERR_MALFORMED && rq.id == 0);
	CHECK(!decode(7) && e.kind == ERR_MALFORMED && rq.id == 0);
	CHECK(!decode(8) && e.kind == ERR_MALFORMED && rq.id == 0x01020304u);
	CHECK(!decode(263) && e.kind == ERR_MALFORMED && rq.id == 0x01020304u);
	CHECK(!decode(n - 1) && e.kind == ERR_MALFORMED && rq.id == 0x01020304u);
	CHECK(strstr(e.msg, "header says") != NULL);
	CHECK(!decode(n + 1) && e.kind == ERR_MALFORMED);
}

TEST(kh_request_refuses_bad_magic_and_op)
{
	size_t n = hand_sign(1);
	frame[3] = 'R';
	CHECK(!decode(n) && e.kind == ERR_MALFORMED && rq.id == 0);
	hand_sign(1);
	frame[8] = 0;
	CHECK(!decode(n) && e.kind == ERR_MALFORMED && rq.id == 0x01020304u);
	frame[8] = KH_OP_COUNT;
	CHECK(!decode(n));
	frame[8] = KH_OP_SIGN;
	frame[9] = 1; /* op 0x0101 */
	CHECK(!decode(n));
	frame[9] = 0;
	CHECK(decode(n));
}

TEST(kh_request_refuses_bad_pkh)
{
	size_t n = hand_sign(1);
	frame[11] = 41;
	CHECK(!decode(n) && e.kind == ERR_MALFORMED);
	hand_sign(1);
	frame[12 + 5] = 0; /* NUL inside the text */
	CHECK(!decode(n));
	hand_sign(1);
	frame[12 + 3] = ' ';
	CHECK(!decode(n));
	hand_sign(1);
	frame[12 + 2] = 0x80;
	CHECK(!decode(n));
	hand_sign(1);
	frame[12 + 39] = 'x'; /* garbage in the padding */
	CHECK(!decode(n));
}

TEST(kh_request_refuses_bad_auth)
{
	size_t n = hand_sign(1);
	frame[52] = 3;
	CHECK(!decode(n) && e.kind == ERR_MALFORMED);
	hand_sign(1);
	frame[53] = 2; /* transport */
	CHECK(!decode(n));
	frame[53] = KH_TRANSPORT_SOCKET;
	CHECK(decode(n) && rq.transport == KH_TRANSPORT_SOCKET);
	hand_sign(1);
	frame[54] = 201;
	CHECK(!decode(n));
	hand_sign(1);
	frame[52] = KH_AUTH_NONE; /* none, with 5 bytes */
	CHECK(!decode(n));
	hand_sign(1);
	frame[56 + 2] = '\n';
	CHECK(!decode(n));
	frame[52] = KH_AUTH_RAW; /* raw bytes may be anything */
	CHECK(decode(n) && rq.auth_kind == KH_AUTH_RAW && rq.auth[2] == '\n');
	hand_sign(1);
	frame[56 + 199] = 1; /* padding */
	CHECK(!decode(n));
	hand_sign(1);
	frame[54] = 200;
	memset(frame + 56, 'A', 200);
	CHECK(decode(n) && rq.auth_len == 200 && rq.auth[200] == 0);
}

TEST(kh_request_refuses_oversized_body)
{
	size_t n = hand_sign(KH_BODY_MAX);
	CHECK(decode(n) && rq.body_len == KH_BODY_MAX);
	le32(frame + 256, KH_BODY_MAX + 1);
	CHECK(!decode(n + 1) && e.kind == ERR_TOO_LARGE && rq.id == 0x01020304u);
	le32(frame + 256, 0xffffffffu);
	CHECK(!decode(n) && e.kind == ERR_TOO_LARGE);
	hand_sign(1);
	frame[260] = 1; /* reserved */
	CHECK(!decode(265) && e.kind == ERR_MALFORMED);
}

TEST(kh_request_encode_refuses_over_bounds)
{
	struct kh_request r = { .id = 9, .op = KH_OP_SIGN, .body_len = KH_BODY_MAX + 1 };
	uint8_t *out = malloc(KH_REQ_MAX + 1);
	size_t n;
	CHECK(out != NULL);
	bool ok = kh_request_encode(&r, out, KH_REQ_MAX + 1, &n, &e);
	free(out);
	CHECK(!ok && e.kind == ERR_TOO_LARGE);
	r.body_len = 0;
	r.op = KH_OP_COUNT;
	CHECK(!kh_request_encode(&r, frame, sizeof(frame), &n, &e));
	r.op = KH_OP_SIGN;
	r.auth_kind = KH_AUTH_NONE;
	r.auth_len = 1;
	CHECK(!kh_request_encode(&r, frame, sizeof(frame), &n, &e));
	r.auth_len = 0;
	memcpy(r.pkh, "tz1 x", 6);
	CHECK(!kh_request_encode(&r, frame, sizeof(frame), &n, &e));
	memcpy(r.pkh, "tz1x", 5);
	CHECK(!kh_request_encode(&r, frame, KH_REQ_HEADER - 1, &n, &e) && e.kind == ERR_TOO_LARGE);
	CHECK(kh_request_encode(&r, frame, KH_REQ_HEADER, &n, &e) && n == KH_REQ_HEADER);
}

TEST(kh_reply_roundtrip_and_refusals)
{
	uint8_t buf[KH_REPLY_HEADER + 16];
	static const uint8_t sig[] = "edsigabc";
	struct kh_reply r = { .id = 77, .op = KH_OP_STATUSZ, .kind = ERR_UNAVAILABLE, .code = 503,
			      .payload = sig, .payload_len = 8 };
	size_t n = 0;
	struct kh_reply d;
	CHECK(kh_reply_encode(&r, buf, sizeof(buf), &n, &e) && n == 28);
	CHECK(memcmp(buf, "TZKR", 4) == 0 && buf[4] == 77 && buf[8] == KH_OP_STATUSZ);
	CHECK(buf[10] == ERR_UNAVAILABLE && buf[12] == (503 & 0xff) && buf[13] == 503 >> 8);
	CHECK(kh_reply_decode(buf, n, &d, &e));
	CHECK(d.id == 77 && d.op == KH_OP_STATUSZ && d.kind == ERR_UNAVAILABLE && d.code == 503);
	CHECK(d.payload_len == 8 && memcmp(d.payload, "edsigabc", 8) == 0);
	CHECK(!kh_reply_decode(buf, n - 1, &d, &e) && e.kind == ERR_MALFORMED);
	CHECK(!kh_reply_decode(buf, 19, &d, &e));
	buf[14] = 1; /* reserved */
	CHECK(!kh_reply_decode(buf, n, &d, &e));
	buf[14] = 0;
	buf[10] = ERR_INTERNAL + 1;
	CHECK(!kh_reply_decode(buf, n, &d, &e));
	buf[10] = ERR_NONE;
	buf[8] = 0;
	CHECK(!kh_reply_decode(buf, n, &d, &e));
	r.payload_len = KH_PAYLOAD_MAX + 1;
	CHECK(!kh_reply_encode(&r, buf, sizeof(buf), &n, &e) && e.kind == ERR_TOO_LARGE);
	r.payload_len = 9;
	CHECK(!kh_reply_encode(&r, buf, 28, &n, &e) && e.kind == ERR_TOO_LARGE);
}

TEST(kh_op_names_cover_every_op)
{
	for (int op = KH_OP_SIGN; op < KH_OP_COUNT; op++)
		CHECK(strcmp(kh_op_name((enum kh_op)op), "unknown") != 0);
	CHECK_STR(kh_op_name(KH_OP_COUNT), "unknown");
}
