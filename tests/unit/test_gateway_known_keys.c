/* Unit tests of the gateway's reading of a box's GET /known_keys answer
 * (src/server's shape: {"known_keys":["tz1…",…]}). */
#include <stdio.h>
#include <string.h>

#include "../../src/gateway/known_keys.h"
#include "harness.h"

#define TZ1 "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb"
#define TZ1B "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx"

static bool parse(const char *text, char (*out)[GW_PKH_MAX], size_t cap, size_t *n, struct err *e)
{
	return gw_known_keys_parse(text, strlen(text), out, cap, n, e);
}

TEST(gateway_known_keys)
{
	char keys[GW_MAX_KEYS][GW_PKH_MAX];
	size_t n = 99;
	CHECK(parse("{\"known_keys\":[]}", keys, GW_MAX_KEYS, &n, NULL) && n == 0);
	CHECK(parse("{\"known_keys\":[\"" TZ1 "\",\"" TZ1B "\"]}", keys, GW_MAX_KEYS, &n, NULL) && n == 2);
	CHECK_STR(keys[0], TZ1);
	CHECK_STR(keys[1], TZ1B);
	/* More than the gateway tracks: the first cap, no refusal. */
	CHECK(parse("{\"known_keys\":[\"" TZ1 "\",\"" TZ1B "\"]}", keys, 1, &n, NULL) && n == 1);
	CHECK_STR(keys[0], TZ1);
}

TEST(gateway_known_keys_must_fail)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[\"" TZ1 "\"]",
		"{}",
		"{\"known_keys\":\"" TZ1 "\"}",
		"{\"known_keys\":{}}",
		"{\"known_keys\":[5]}",
		"{\"known_keys\":[null]}",
		"{\"known_keys\":[\"" TZ1 "\",\"tz1notakey\"]}",
		"{\"known_keys\":[\"" TZ1 "x\"]}",
		"{\"known_keys\":[\"tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjc\"]}", /* checksum */
		"{\"known_keys\":[\"tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb\\u0000\"]}",
		"{\"known_keys\":[\"edpktsKqhvR7kXbRWD7yDgLSD7PZUXvjLqf9SFscXhL52pUStF5nQp\"]}",
		"{\"known_keys\":[],\"known_keys\":[\"" TZ1 "\"]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char keys[GW_MAX_KEYS][GW_PKH_MAX];
		size_t n = 99;
		struct err e = { 0 };
		bool parsed = parse(bad[i], keys, GW_MAX_KEYS, &n, &e);
		if (parsed || e.kind != ERR_MALFORMED || n != 0)
			fprintf(stderr, "  bad answer %zu accepted: %s\n", i, bad[i]);
		CHECK(!parsed && e.kind == ERR_MALFORMED && n == 0);
	}
}
