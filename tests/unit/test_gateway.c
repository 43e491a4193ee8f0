/* Unit tests of the gateway's pure parts: the watermark rule and record,
 * etcd's JSON answers (shapes as etcd 3.4's JSON gateway sends them, seen
 * against the real server in tests/node/gateway.test.mjs), and the order in
 * which boxes are tried. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/json_secure.h"
#include "../../src/gateway/boxes.h"
#include "../../src/gateway/etcd_json.h"
#include "../../src/gateway/wm_rule.h"
#include "harness.h"

static struct gw_wm wm(uint32_t level, uint32_t round, uint8_t fill)
{
	struct gw_wm w = { .level = level, .round = round };
	memset(w.hash, fill, sizeof(w.hash));
	return w;
}

TEST(gateway_wm_rule)
{
	struct err e = { 0 };
	struct gw_wm at = wm(120, 1, 0xaa);
	struct gw_wm req = wm(120, 1, 0xaa);
	CHECK(gw_wm_decide(NULL, OP_ATTESTATION, &req, &e) == GW_WM_ADVANCE);
	CHECK(gw_wm_decide(&at, OP_ATTESTATION, &req, &e) == GW_WM_SAME);
	req = wm(120, 2, 0x01);
	CHECK(gw_wm_decide(&at, OP_ATTESTATION, &req, &e) == GW_WM_ADVANCE);
	req = wm(121, 0, 0x01);
	CHECK(gw_wm_decide(&at, OP_ATTESTATION, &req, &e) == GW_WM_ADVANCE);
	req = wm(120, 1, 0xab);
	CHECK(gw_wm_decide(&at, OP_BLOCK, &req, &e) == GW_WM_REFUSE);
	CHECK(e.kind == ERR_CONFLICT);
	CHECK(strncmp(e.msg, "block level 120 and round 1 already signed with different bytes", 63) == 0);
	req = wm(120, 0, 0xaa);
	CHECK(gw_wm_decide(&at, OP_PREATTESTATION, &req, &e) == GW_WM_REFUSE);
	CHECK(strncmp(e.msg, "preattestation level 120 and round 0 not above high watermark (120, 1)", 70) == 0);
	req = wm(119, 9, 0xaa);
	CHECK(gw_wm_decide(&at, OP_ATTESTATION, &req, &e) == GW_WM_REFUSE);
}

TEST(gateway_wm_record_round_trip)
{
	struct gw_wm w = wm(2147483647, 7, 0x5c), back;
	char text[GW_WM_TEXT_MAX];
	gw_wm_format(text, &w);
	CHECK(gw_wm_parse(text, strlen(text), &back, NULL));
	CHECK(memcmp(&w, &back, sizeof(w)) == 0);
	char key[ETCD_KEY_MAX];
	CHECK(gw_wm_key(key, sizeof(key), "/p", "NetXdQprcVkpaWU", "tz1x", OP_BLOCK, NULL));
	CHECK_STR(key, "/p/NetXdQprcVkpaWU/tz1x/block");
	CHECK(!gw_wm_key(key, 8, "/p", "NetXdQprcVkpaWU", "tz1x", OP_BLOCK, NULL));
}

TEST(gateway_wm_record_must_fail)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"level\":1,\"round\":0}",
		"{\"level\":-1,\"round\":0,\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":2147483648,\"round\":0,\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":1,\"round\":\"0\",\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":1,\"round\":0,\"hash\":\"00000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":1,\"round\":0,\"hash\":\"zz00000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":1,\"round\":0,\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"x\":1}",
		"{\"level\":1,\"level\":2,\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
		"{\"level\":1.5,\"round\":0,\"hash\":\"0000000000000000000000000000000000000000000000000000000000000000\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_wm w;
		struct err e = { 0 };
		CHECK(!gw_wm_parse(bad[i], strlen(bad[i]), &w, &e));
		CHECK(e.kind == ERR_UNAVAILABLE);
	}
}

/* "/tzsigner/watermarks/k" and a record, base64 as etcd sends them. */
#define KEY "/tzsigner/watermarks/k"
#define KEY_B64 "L3R6c2lnbmVyL3dhdGVybWFya3Mvaw=="

/* A swap answer whose compare failed, its range carrying kvs_json. */
#define FAILED(kvs_json) \
	"{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"9\"}" kvs_json "}}]}"
#define ENTRY(rev, value) \
	",\"kvs\":[{\"key\":\"" KEY_B64 "\",\"create_revision\":\"5\",\"mod_revision\":\"" rev "\",\"version\":\"2\"," \
	"\"value\":" value "}],\"count\":\"1\""

static bool swap(const char *text, bool put, struct etcd_swap *s, struct err *e)
{
	return etcd_json_parse_swap(text, strlen(text), KEY, put, s, e);
}

/* The answers etcd 3.4.23 gave to these swaps (captured with curl). */
TEST(gateway_etcd_swap_answers)
{
	struct etcd_swap s;
	struct err e = { 0 };
	CHECK(swap("{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"1366\",\"revision\":\"3\","
		   "\"raft_term\":\"2\"},\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"3\"}}}]}",
		   true, &s, &e));
	CHECK(s.succeeded && s.revision == 3 && !s.now.found);
	CHECK(swap("{\"header\":{\"revision\":\"2\"},\"succeeded\":true}", false, &s, &e));
	CHECK(s.succeeded && s.revision == 2);
	CHECK(swap(FAILED(""), true, &s, &e)); /* the key is absent */
	CHECK(!s.succeeded && !s.now.found && s.revision == 9);
	CHECK(swap(FAILED(ENTRY("7", "\"eyJhIjoxfQ==\"")), false, &s, &e));
	CHECK(!s.succeeded && s.now.found && s.now.mod_revision == 7 && s.now.value_len == 7);
	CHECK_STR(s.now.value, "{\"a\":1}");
}

TEST(gateway_etcd_swap_answers_must_fail)
{
	static const struct {
		bool put;
		const char *text;
	} bad[] = {
		{ true, "not json" },
		{ true, "[]" },
		{ true, "{\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}" },           /* no header */
		{ true, "{\"header\":{},\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}" }, /* no revision */
		{ true, "{\"header\":{\"revision\":\"-3\"},\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}" },
		{ true, "{\"header\":{\"revision\":\"3\"},\"succeeded\":1,\"responses\":[{\"response_put\":{}}]}" },
		{ true, "{\"header\":{\"revision\":\"3\"},\"succeeded\":true}" },                   /* the put is missing */
		{ true, "{\"header\":{\"revision\":\"3\"},\"succeeded\":true,\"responses\":[{\"response_range\":{}}]}" },
		{ false, "{\"header\":{\"revision\":\"3\"},\"succeeded\":true,\"responses\":[{\"response_put\":{}}]}" },
		{ true, "{\"header\":{\"revision\":\"9\"}}" },                                     /* failed, no range */
		{ true, "{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":{}},{\"response_range\":{}}]}" },
		{ true, "{\"header\":{\"revision\":\"9\"},\"responses\":[{\"response_range\":{},\"response_put\":{}}]}" },
		{ true, FAILED(",\"kvs\":{}") },
		{ true, FAILED(",\"kvs\":[]") },
		{ true, FAILED(",\"kvs\":[{\"key\":\"b3RoZXI=\",\"mod_revision\":\"7\",\"value\":\"eA==\"}]") },
		{ true, FAILED(",\"kvs\":[{\"key\":\"" KEY_B64 "\",\"value\":\"eA==\"}]") },
		{ true, FAILED(ENTRY("-7", "\"eA==\"")) },
		{ true, FAILED(ENTRY("7x", "\"eA==\"")) },
		{ true, FAILED(ENTRY("10", "\"eA==\"")) }, /* above the store's revision 9 */
		{ true, FAILED(ENTRY("7", "\"!!!\"")) },
		{ true, FAILED(ENTRY("7", "5")) },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct etcd_swap s;
		struct err e = { 0 };
		bool parsed = swap(bad[i].text, bad[i].put, &s, &e);
		if (parsed || e.kind != ERR_UNAVAILABLE)
			fprintf(stderr, "  bad answer %zu accepted: %s\n", i, bad[i].text);
		CHECK(!parsed && e.kind == ERR_UNAVAILABLE);
	}
	char msg[64];
	const char *err = "{\"error\":\"etcdserver: request timed out\",\"code\":14}";
	etcd_json_error_message(err, strlen(err), msg, sizeof(msg));
	CHECK_STR(msg, "etcdserver: request timed out");
}

TEST(gateway_etcd_requests)
{
	char *create = etcd_json_swap_request(KEY, 0, "{}", NULL);
	char *update = etcd_json_swap_request(KEY, 42, "{}", NULL);
	char *check = etcd_json_swap_request(KEY, 42, NULL, NULL);
	CHECK(create && update && check);
	CHECK(strstr(create, "\"target\":\"CREATE\"") && strstr(create, "\"create_revision\":\"0\""));
	CHECK(strstr(update, "\"target\":\"MOD\"") && strstr(update, "\"mod_revision\":\"42\""));
	CHECK(strstr(update, "\"success\":[{\"request_put\":{\"key\":\"" KEY_B64 "\",\"value\":\"e30=\"}}]"));
	CHECK(strstr(update, "\"failure\":[{\"request_range\":{\"key\":\"" KEY_B64 "\"}}]"));
	CHECK(!strstr(check, "success") && strstr(check, "\"failure\":[{\"request_range\":{\"key\":\"" KEY_B64 "\"}}]"));
	json_free_text(create);
	json_free_text(update);
	json_free_text(check);
}

TEST(gateway_box_order)
{
	const char *urls[] = { "http://a:1", "http://b:2", "http://c:3/" };
	struct gw_boxes b;
	int order[GW_MAX_BOXES];
	CHECK(gw_boxes_init(&b, urls, 3, 1000, 100, NULL));
	CHECK_STR(b.box[2].url, "http://c:3");
	const char *pkh = "tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb";
	CHECK(gw_boxes_order(&b, pkh, order) == 3); /* nothing known: all, in order */
	gw_boxes_report(&b, 2, pkh, GW_BOX_SIGNED, NULL);
	gw_boxes_report(&b, 0, pkh, GW_BOX_ABSENT, NULL);
	gw_boxes_report(&b, 1, pkh, GW_BOX_HOLDS, NULL);
	CHECK(gw_boxes_order(&b, pkh, order) == 2);
	CHECK(order[0] == 2 && order[1] == 1); /* the last signer first; box 0 lacks it */
	gw_boxes_report(&b, 2, pkh, GW_BOX_FAILED, "connection refused");
	CHECK(gw_boxes_order(&b, pkh, order) == 2);
	CHECK(order[0] == 1 && order[1] == 2); /* a failed box is a last resort */
	CHECK(gw_boxes_holds(&b, pkh));
	CHECK(!gw_boxes_holds(&b, "tz1KqTpEZ7Yob7QbPE4Hy4Wo8fHG8LhKxZSx"));
	gw_boxes_free(&b);
	const char *dup[] = { "http://a:1", "http://a:1/" };
	CHECK(!gw_boxes_init(&b, dup, 2, 1000, 100, NULL));
	const char *nohttp[] = { "a:1" };
	CHECK(!gw_boxes_init(&b, nohttp, 1, 1000, 100, NULL));
}
