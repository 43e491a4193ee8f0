/* Unit tests of the sign request body parser. */
#include <stdlib.h>
#include <string.h>

#include "../../src/front/body.h"
#include "harness.h"

static bool parse(const char *body, uint8_t **msg, size_t *len, struct err *e)
{
	return body_parse_hex_string(body, strlen(body), msg, len, e);
}

TEST(body_parses_hex_string)
{
	uint8_t *msg;
	size_t len;
	struct err e = { 0 };
	CHECK(parse("\"13ab00FF\"", &msg, &len, &e));
	CHECK(len == 4 && msg[0] == 0x13 && msg[1] == 0xab && msg[3] == 0xff);
	free(msg);
	CHECK(parse(" \"\" ", &msg, &len, &e));
	CHECK(len == 0);
	free(msg);
}

TEST(body_must_fail)
{
	uint8_t *msg;
	size_t len;
	struct err e = { 0 };
	const char *bad[] = {
		"", "13ab", "\"13ab", "[\"13ab\"]", "{\"bytes\":\"13ab\"}", "1234", "null", "true",
		"\"13a\"", "\"0x13ab\"", "\"13 ab\"", "\"zz\"", "\"13ab\" \"13ab\"", "\"\\u0000\"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!parse(bad[i], &msg, &len, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(msg == NULL);
	}
	CHECK(!parse("\"13a\"", &msg, &len, &e));
	CHECK(strstr(e.msg, "odd length"));
	CHECK(!parse("[1]", &msg, &len, &e));
	CHECK(strstr(e.msg, "not a string"));
}

/* application/octet-stream: octez's binary form, u32be length ‖ bytes
 * (src/lib_rpc_http/media_type.ml, octet_stream, dynamic_size). */
TEST(body_parses_octet_stream)
{
	uint8_t *msg;
	size_t len;
	struct err e = { 0 };
	static const char good[] = { 0, 0, 0, 3, 0x13, 0x00, (char)0xff };
	CHECK(body_parse("application/octet-stream", good, sizeof(good), &msg, &len, &e));
	CHECK(len == 3 && msg[0] == 0x13 && msg[1] == 0x00 && msg[2] == 0xff);
	free(msg);
	CHECK(body_parse(" Application/Octet-Stream; q=1", good, sizeof(good), &msg, &len, &e));
	CHECK(len == 3);
	free(msg);
	static const char empty[] = { 0, 0, 0, 0 };
	CHECK(body_parse("application/octet-stream", empty, sizeof(empty), &msg, &len, &e));
	CHECK(len == 0);
	free(msg);
	/* JSON when the type says so, or says nothing. */
	CHECK(body_parse("application/json", "\"13ab\"", 6, &msg, &len, &e) && len == 2);
	free(msg);
	CHECK(body_parse(NULL, "\"13ab\"", 6, &msg, &len, &e) && len == 2);
	free(msg);
}

TEST(body_octet_stream_must_fail)
{
	uint8_t *msg;
	size_t len;
	struct err e = { 0 };
	static const struct {
		const char *bytes;
		size_t n;
		const char *why;
	} bad[] = {
		{ "", 0, "expected a 4-byte" },
		{ "\0\0\0", 3, "expected a 4-byte" },
		{ "\0\0\0\x02\x13", 5, "says 2 bytes but 1 follow" },
		{ "\0\0\0\x01\x13\x14", 6, "says 1 bytes but 2 follow" },
		{ "\xff\xff\xff\xff\x13", 5, "says 4294967295 bytes" },
		{ "\x13\x7a\x06\xa7\x70", 5, "length header" }, /* raw bytes without the header */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!body_parse("application/octet-stream", bad[i].bytes, bad[i].n, &msg, &len, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(msg == NULL);
		CHECK(strstr(e.msg, bad[i].why) != NULL);
	}
	CHECK(!body_parse("application/bson", "\x05\0\0\0\0", 5, &msg, &len, &e));
	CHECK(strstr(e.msg, "bson bodies are not supported"));
	CHECK(msg == NULL);
}
