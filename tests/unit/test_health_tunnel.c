/* Unit tests of src/health/tunnel_view.c: reading the tunnel's state file,
 * including what the tunnel itself writes (src/tunnel/state.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/health/tunnel_view.h"
#include "../../src/tunnel/state.h"
#include "harness.h"

static bool parse(const char *text, struct tunnel_view *v, struct err *e)
{
	return tunnel_view_parse(text, strlen(text), v, e);
}

TEST(health_tunnel_parse_full)
{
	struct tunnel_view v;
	struct err e = { 0 };
	CHECK(parse("{\"state\":\"up\",\"since\":\"2026-11-25T19:30:00Z\",\"up_since\":\"2026-11-25T19:30:00Z\","
		    "\"reconnects\":3,\"attempts\":9,\"failures\":0,\"last_error\":\"x \\\"quoted\\\"\","
		    "\"error_kind\":\"disconnected\",\"last_error_at\":null,\"uplink\":\"wwan0\",\"local\":\"10.0.0.2:4000\","
		    "\"peer\":\"[2001:db8::7]:22\",\"probe\":\"ok\",\"signer\":\"unreachable\",\"next_attempt\":null,"
		    "\"endpoint\":\"t.example:22\",\"remote_port\":7001,\"pid\":812,\"ssh_pid\":null}",
		    &v, &e));
	CHECK_STR(v.state, "up");
	CHECK(v.since_ms == 1795635000000LL);
	CHECK(v.reconnects == 3 && v.attempts == 9 && v.failures == 0);
	CHECK_STR(v.uplink, "wwan0");
	CHECK_STR(v.error_kind, "disconnected");
	CHECK_STR(v.signer, "unreachable");
	CHECK_STR(v.probe, "ok");
	CHECK(v.pid == 812);
}

TEST(health_tunnel_parse_minimal_and_unknown_state)
{
	struct tunnel_view v;
	struct err e = { 0 };
	CHECK(parse("{\"state\":\"down\",\"reconnects\":0}", &v, &e));
	CHECK_STR(v.state, "down");
	CHECK(v.since_ms == 0 && v.uplink[0] == '\0' && v.pid == 0);
	/* a state this signer does not know yet is kept as it is */
	CHECK(parse("{\"state\":\"draining\",\"reconnects\":1,\"uplink\":null}", &v, &e));
	CHECK_STR(v.state, "draining");
}

TEST(health_tunnel_parse_must_fail)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"\"up\"",
		"{}",
		"{\"reconnects\":1}",
		"{\"state\":null,\"reconnects\":1}",
		"{\"state\":3,\"reconnects\":1}",
		"{\"state\":\"\",\"reconnects\":1}",
		"{\"state\":\"UP\",\"reconnects\":1}",
		"{\"state\":\"up down\",\"reconnects\":1}",
		"{\"state\":\"up\\\"x\",\"reconnects\":1}",
		"{\"state\":\"averyveryverylongstate\",\"reconnects\":1}",
		"{\"state\":\"up\"}",
		"{\"state\":\"up\",\"reconnects\":-1}",
		"{\"state\":\"up\",\"reconnects\":1.5}",
		"{\"state\":\"up\",\"reconnects\":\"3\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"attempts\":-2}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":\"yesterday\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":\"2026-11-25 19:30:00Z\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":\"2026-13-25T19:30:00Z\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":\"2026-02-31T19:30:00Z\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":\"2026-11-25T25:30:00Z\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"since\":12}",
		"{\"state\":\"up\",\"reconnects\":1,\"uplink\":\"eth0 with spaces\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"uplink\":\"a/b\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"uplink\":\"abcdefghijklmnop\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"uplink\":\"\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"uplink\":\"wl\\u0000an0\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"error_kind\":\"Bad Kind\"}",
		"{\"state\":\"up\",\"reconnects\":1,\"signer\":7}",
		"{\"state\":\"up\",\"reconnects\":1,\"pid\":-4}",
		"{\"state\":\"up\",\"reconnects\":1,\"pid\":99999999}",
		"{\"state\":\"up\",\"state\":\"down\",\"reconnects\":1}",
		"{\"state\":\"up\",\"reconnects\":1} trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tunnel_view v;
		struct err e = { 0 };
		memset(&v, 0x41, sizeof(v));
		bool ok = parse(bad[i], &v, &e);
		if (ok || e.kind != ERR_MALFORMED || !strstr(e.msg, "tunnel state")) {
			fprintf(stderr, "accepted or badly refused: %s (%s)\n", bad[i], e.msg);
			CHECK(false);
		}
		CHECK(v.state[0] == '\0' && v.reconnects == 0); /* nothing half-filled */
	}
}

TEST(health_tunnel_parse_size_cap)
{
	size_t n = TUNNEL_VIEW_FILE_MAX + 10;
	char *big = malloc(n + 1);
	CHECK(big);
	memset(big, ' ', n);
	memcpy(big, "{\"state\":\"up\",\"reconnects\":1}", 30);
	big[n] = '\0';
	struct tunnel_view v;
	struct err e = { 0 };
	bool ok = tunnel_view_parse(big, n, &v, &e);
	free(big);
	CHECK(!ok && strstr(e.msg, "over the limit"));
}

TEST(health_tunnel_time)
{
	int64_t ms = 0;
	struct err e = { 0 };
	CHECK(tunnel_view_parse_time("1970-01-01T00:00:00Z", &ms, &e) && ms == 0);
	CHECK(tunnel_view_parse_time("2024-02-29T12:00:01Z", &ms, &e) && ms == 1709208001000LL);
	CHECK(!tunnel_view_parse_time("2023-02-29T12:00:01Z", &ms, &e));
	CHECK(!tunnel_view_parse_time("1969-12-31T23:59:59Z", &ms, &e));
	CHECK(!tunnel_view_parse_time("2024-02-29T12:00:01", &ms, &e));
	CHECK(!tunnel_view_parse_time("2024-02-29T12:00:01.5Z", &ms, &e));
	CHECK(!tunnel_view_parse_time("2024-0a-29T12:00:01Z", &ms, &e));
}

/* What the tunnel writes, this side reads: the two ends of the file agree. */
TEST(health_tunnel_reads_what_the_tunnel_writes)
{
	struct tunnel_status s;
	memset(&s, 0, sizeof(s));
	s.state = "connecting";
	s.since_ms = 1790000000123LL;
	s.reconnects = 4;
	s.attempts = 11;
	s.failures = 2;
	s.error_kind = "uplink_changed";
	snprintf(s.last_error, sizeof(s.last_error), "the route moved to wwan0");
	snprintf(s.uplink, sizeof(s.uplink), "wwan0");
	s.probe = "off";
	s.signer = "unknown";
	s.pid = 4321;
	char *text = tunnel_status_json(&s);
	CHECK(text);
	struct tunnel_view v;
	struct err e = { 0 };
	bool ok = tunnel_view_parse(text, strlen(text), &v, &e);
	free(text);
	if (!ok)
		fprintf(stderr, "%s\n", e.msg);
	CHECK(ok);
	CHECK_STR(v.state, "connecting");
	CHECK(v.since_ms == 1790000000000LL); /* second precision */
	CHECK(v.reconnects == 4 && v.attempts == 11 && v.failures == 2);
	CHECK_STR(v.error_kind, "uplink_changed");
	CHECK_STR(v.uplink, "wwan0");
	CHECK_STR(v.probe, "off");
	CHECK_STR(v.signer, "unknown");
	CHECK(v.pid == 4321);
	/* and every state the tunnel has */
	for (size_t i = 0; i < TUNNEL_STATE_COUNT; i++) {
		s.state = tunnel_state_names[i];
		text = tunnel_status_json(&s);
		CHECK(text);
		ok = tunnel_view_parse(text, strlen(text), &v, &e);
		free(text);
		CHECK(ok && strcmp(v.state, tunnel_state_names[i]) == 0);
	}
}
