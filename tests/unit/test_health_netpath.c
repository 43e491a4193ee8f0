/* Unit tests of src/health/netpath.c: the endpoint, interface lists and
 * the uplink's role. */
#include <stdio.h>
#include <string.h>

#include "../../src/health/netpath.h"
#include "harness.h"

TEST(health_netpath_endpoint)
{
	struct netpath_config c;
	struct err e = { 0 };
	memset(&c, 0, sizeof(c));
	CHECK(netpath_parse_endpoint("tunnel.example.net", &c, &e) && strcmp(c.host, "tunnel.example.net") == 0 &&
	      c.port == 22);
	CHECK(netpath_parse_endpoint("203.0.113.7:2222", &c, &e) && strcmp(c.host, "203.0.113.7") == 0 &&
	      c.port == 2222);
	CHECK(netpath_parse_endpoint("[2001:db8::7]:22", &c, &e) && strcmp(c.host, "2001:db8::7") == 0);
	CHECK(netpath_parse_endpoint("2001:db8::7", &c, &e) && strcmp(c.host, "2001:db8::7") == 0 && c.port == 22);
	static const char *const bad[] = { "", ":22", "host:", "host:0", "host:65536", "host:22x", "[::1",
					   "[::1]x", "[]:22", "ho st", "host/path:22", "host:-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct netpath_config before;
		memset(&c, 0, sizeof(c));
		snprintf(c.host, sizeof(c.host), "kept");
		before = c;
		err_clear(&e);
		CHECK(!netpath_parse_endpoint(bad[i], &c, &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "endpoint"));
		CHECK(memcmp(&c, &before, sizeof(c)) == 0);
	}
}

TEST(health_netpath_ifaces_and_roles)
{
	struct netpath_config c;
	struct err e = { 0 };
	memset(&c, 0, sizeof(c));
	CHECK(netpath_add_ifaces(&c, false, "eth0,wlan0", &e));
	CHECK(netpath_add_ifaces(&c, true, "wwan0", &e));
	CHECK(netpath_add_ifaces(&c, true, "ppp0", &e));
	CHECK(c.nprimary == 2 && c.nbackup == 2);
	CHECK(netpath_classify(&c, "eth0") == UPLINK_PRIMARY);
	CHECK(netpath_classify(&c, "wlan0") == UPLINK_PRIMARY);
	CHECK(netpath_classify(&c, "wwan0") == UPLINK_BACKUP);
	CHECK(netpath_classify(&c, "ppp0") == UPLINK_BACKUP);
	CHECK(netpath_classify(&c, "docker0") == UPLINK_OTHER);
	CHECK(netpath_classify(&c, "") == UPLINK_NONE);
	CHECK(strcmp(uplink_role_name(UPLINK_BACKUP), "backup") == 0);
	static const char *const bad[] = { "", ",", "eth0,", ",eth0", "eth 0", "a/b", "a:b",
					   "abcdefghijklmnop", "..", "eth0,,wlan0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct netpath_config d;
		memset(&d, 0, sizeof(d));
		err_clear(&e);
		CHECK(!netpath_add_ifaces(&d, false, bad[i], &e));
		CHECK(e.kind == ERR_MALFORMED && strstr(e.msg, "--uplink-primary"));
	}
	struct netpath_config full;
	memset(&full, 0, sizeof(full));
	CHECK(netpath_add_ifaces(&full, true, "a0,a1,a2,a3,a4,a5,a6,a7", &e));
	CHECK(!netpath_add_ifaces(&full, true, "a8", &e) && strstr(e.msg, "more than"));
}

TEST(health_netpath_loopback_route)
{
	struct netpath_config c;
	struct netpath_status st;
	struct err e = { 0 };
	char addr[48];
	memset(&c, 0, sizeof(c));
	CHECK(netpath_parse_endpoint("127.0.0.1:22", &c, &e));
	CHECK(netpath_add_ifaces(&c, false, "lo", &e));
	CHECK(netpath_resolve(&c, addr, sizeof(addr), &e) && strcmp(addr, "127.0.0.1") == 0);
	netpath_lookup(&c, addr, &st);
	CHECK(st.known && strcmp(st.ifname, "lo") == 0 && st.role == UPLINK_PRIMARY);
	/* no route: the kernel's reason, no interface */
	netpath_lookup(&c, "not-an-address", &st);
	CHECK(!st.known && st.role == UPLINK_NONE && strstr(st.error, "not-an-address"));
}
