/* Unit tests of the sign request body parser. */
#include <stdlib.h>
#include <string.h>

#include "../../src/server/body.h"
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
