/* Unit tests of the front's HTTP request head parser and route table. */
#include <string.h>

#include "../../src/front/http_parse.h"
#include "../../src/front/routes.h"
#include "harness.h"

static enum http_parse_result parse(const char *text, struct http_head *h, unsigned *status)
{
	size_t head_len = 0;
	*status = 0;
	return http_parse_head((const uint8_t *)text, strlen(text), h, &head_len, status, NULL);
}

TEST(front_http_parses_octez_sign)
{
	/* The shape of octez's client (http_gen.ml, sign): POST with
	 * ?version= and a JSON body with Content-Length. */
	static const char req[] = "POST /keys/tz1abc?version=3&authentication=sigXYZ HTTP/1.1\r\n"
				  "Host: 127.0.0.1:6732\r\nContent-Type: application/json\r\n"
				  "Content-Length: 8\r\n\r\n\"11aabb\"";
	struct http_head h;
	size_t head_len = 0;
	unsigned status = 0;
	CHECK(http_parse_head((const uint8_t *)req, strlen(req), &h, &head_len, &status, NULL) ==
	      HTTP_HEAD_DONE);
	CHECK(head_len == strlen(req) - 8);
	CHECK_STR(h.method, "POST");
	CHECK_STR(h.path, "/keys/tz1abc");
	CHECK(h.content_length == 8 && h.keep_alive && h.http11);
	char v[16];
	bool found;
	CHECK(http_query_get(h.query, "version", v, sizeof(v), &found, NULL) && found);
	CHECK_STR(v, "3");
	CHECK(http_query_get(h.query, "authentication", v, sizeof(v), &found, NULL) && found);
	CHECK_STR(v, "sigXYZ");
	CHECK(http_query_get(h.query, "bls_pk", v, sizeof(v), &found, NULL) && !found);
	CHECK(parse("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n", &h, &status) == HTTP_HEAD_DONE);
	CHECK(!h.keep_alive);
	CHECK(parse("GET /x HTTP/1.0\r\n\r\n", &h, &status) == HTTP_HEAD_DONE);
	CHECK(!h.keep_alive);
	CHECK(parse("GET /x HTTP/1.1\r\nHost: a", &h, &status) == HTTP_NEED_MORE);
}

TEST(front_http_must_fail)
{
	static const struct {
		const char *req;
		unsigned status;
	} bad[] = {
		{ "GET /keys/tz1%00/../x HTTP/1.1\r\n\r\n", 400 },
		{ "GET /keys/tz1%0a HTTP/1.1\r\n\r\n", 400 },
		{ "GET /keys/tz1%7f HTTP/1.1\r\n\r\n", 400 },
		{ "GET /keys/tz1%1 HTTP/1.1\r\n\r\n", 400 },
		{ "GET /keys/tz1%zz HTTP/1.1\r\n\r\n", 400 },
		{ "GET /a\tb HTTP/1.1\r\n\r\n", 400 },
		{ "GET http://x/ HTTP/1.1\r\n\r\n", 400 },
		{ "GET /x HTTP/2.0\r\n\r\n", 505 },
		{ "GET /x\r\n\r\n", 400 },
		{ "G(T /x HTTP/1.1\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\nHost: a\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nNo colon\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413 },
		{ "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411 },
		{ "POST /x HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_head h;
		unsigned status;
		CHECK(parse(bad[i].req, &h, &status) == HTTP_BAD);
		CHECK(status == bad[i].status);
	}
	/* A head that never ends is refused at its bound, not buffered. */
	static char big[HTTP_HEAD_MAX + 16];
	memcpy(big, "GET /x HTTP/1.1\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 21);
	struct http_head h;
	unsigned status;
	CHECK(parse(big, &h, &status) == HTTP_BAD && status == 431);
	char out[8];
	bool found;
	CHECK(!http_query_get("version=%00", "version", out, sizeof(out), &found, NULL));
	CHECK(!http_query_get("version=123456789", "version", out, sizeof(out), &found, NULL));
}

TEST(front_routes_once)
{
	struct route_match m;
	route_match("POST", "/keys/tz1abc", false, &m);
	CHECK(m.action == ROUTE_ASK_KH && m.op == KH_OP_SIGN && m.label == LABEL_SIGN);
	CHECK_STR(m.segment, "tz1abc");
	route_match("GET", "/keys/tz1abc", false, &m);
	CHECK(m.op == KH_OP_PUBLIC_KEY && m.label == LABEL_PUBLIC_KEY);
	route_match("PUT", "/keys/tz1abc", false, &m);
	CHECK(m.action == ROUTE_METHOD);
	CHECK_STR(m.allow, "GET, POST");
	route_match("GET", "/keys/tz1abc/x", false, &m);
	CHECK(m.action == ROUTE_NOT_FOUND);
	route_match("GET", "/keys/", false, &m);
	CHECK(m.action == ROUTE_NOT_FOUND);
	/* The status port serves monitoring only, and the page only there. */
	route_match("POST", "/keys/tz1abc", true, &m);
	CHECK(m.action == ROUTE_NOT_FOUND);
	route_match("GET", "/", true, &m);
	CHECK(m.op == KH_OP_STATUS_PAGE);
	route_match("GET", "/", false, &m);
	CHECK(m.action == ROUTE_NOT_FOUND);
	route_match("GET", "/metrics", true, &m);
	CHECK(m.op == KH_OP_METRICS && m.label == LABEL_METRICS);
	route_match("GET", "/healthz", false, &m);
	CHECK(m.action == ROUTE_HEALTHZ);
}
