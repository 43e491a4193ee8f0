/* Unit tests of src/forwarder/admit.c: the shares of unauthenticated
 * connection slots, the MaxStartups arithmetic (sshd's drop(): rate% at
 * start, 100% at full), sources by netblock, and the option parsers'
 * must-fail cases. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../src/forwarder/admit.h"
#include "harness.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;
	s->sin_family = AF_INET;
	inet_pton(AF_INET, a, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
	s->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &s->sin6_addr);
	return ss;
}

/* Drops out of 100 draws (rnd 0..99) at this state. */
static unsigned drops(const struct admit_limits *l, unsigned total, unsigned mine)
{
	unsigned n = 0;
	for (uint32_t r = 0; r < 100; r++)
		n += admit_decide(l, total, mine, false, r) == ADMIT_DROP_EARLY;
	return n;
}

TEST(forwarder_admit_early_drop_follows_maxstartups_for_sources_already_waiting)
{
	struct admit_limits l;
	admit_limits_defaults(&l); /* 10:30:40, 3 per source */
	CHECK(drops(&l, 9, 1) == 0);
	CHECK(drops(&l, 10, 1) == 30);
	CHECK(drops(&l, 25, 1) == 65);   /* 30 + 70 * 15 / 30 */
	CHECK(drops(&l, 39, 2) == 97);   /* 30 + 70 * 29 / 30 */
	/* A source holding no unauthenticated connection is never dropped at
	 * random: a box gets in while others flood. */
	CHECK(drops(&l, 39, 0) == 0);
	CHECK(admit_decide(&l, 39, 0, false, 0) == ADMIT_ACCEPT);
	/* Per source, below full. */
	CHECK(admit_decide(&l, 5, 3, false, 99) == ADMIT_DROP_PER_SOURCE);
	CHECK(admit_decide(&l, 5, 2, false, 99) == ADMIT_ACCEPT);
	/* At full: a victim, or nothing. */
	CHECK(admit_decide(&l, 40, 0, true, 0) == ADMIT_EVICT);
	CHECK(admit_decide(&l, 40, 0, false, 0) == ADMIT_DROP_FULL);
	CHECK(admit_decide(&l, 41, 1, false, 0) == ADMIT_DROP_FULL);
	CHECK_STR(admit_verdict_name(ADMIT_DROP_FULL), "unauthenticated_limit");
	/* start == full: no random zone, only the hard limit. */
	struct err e = { 0 };
	CHECK(admit_parse_startups("5", &l, &e));
	CHECK(l.start == 5 && l.full == 5 && l.rate == 100);
	CHECK(admit_decide(&l, 4, 2, false, 0) == ADMIT_ACCEPT);
	CHECK(admit_decide(&l, 5, 0, false, 0) == ADMIT_DROP_FULL);
}

TEST(forwarder_admit_sources_are_addresses_masked_to_their_netblock)
{
	struct admit_limits l;
	admit_limits_defaults(&l);
	struct admit_source a, b, c;
	struct sockaddr_storage s1 = v4("127.0.0.2"), s2 = v4("127.0.0.3"), s3 = v6("::ffff:127.0.0.2");
	admit_source_of(&l, &s1, &a);
	admit_source_of(&l, &s2, &b);
	admit_source_of(&l, &s3, &c);
	CHECK(!admit_same_source(&a, &b));
	CHECK(admit_same_source(&a, &c)); /* IPv4-mapped is the IPv4 address */
	struct err e = { 0 };
	CHECK(admit_parse_netblock("24:64", &l, &e));
	admit_source_of(&l, &s1, &a);
	admit_source_of(&l, &s2, &b);
	CHECK(admit_same_source(&a, &b));
	struct sockaddr_storage s4 = v6("2001:db8:1:2::1"), s5 = v6("2001:db8:1:2:ffff::9"),
				s6 = v6("2001:db8:1:3::1");
	admit_source_of(&l, &s4, &a);
	admit_source_of(&l, &s5, &b);
	admit_source_of(&l, &s6, &c);
	CHECK(admit_same_source(&a, &b));
	CHECK(!admit_same_source(&a, &c));
	/* An unknown family never shares a source, not even with itself. */
	struct sockaddr_storage u;
	memset(&u, 0, sizeof(u));
	admit_source_of(&l, &u, &a);
	CHECK(!admit_same_source(&a, &a));
	CHECK(admit_parse_netblock("0", &l, &e) && l.v4_bits == 0 && l.v6_bits == 64);
}

TEST(forwarder_admit_option_parsers_refuse_what_sshd_would)
{
	struct admit_limits l;
	admit_limits_defaults(&l);
	struct err e = { 0 };
	const char *bad_startups[] = { "", ":", "10:30", "10:30:40:50", "20:30:10", "0:30:40", "10:0:40",
				       "10:101:40", "10:30:10001", "a:b:c", "10:30:40x", "-1", "10::40",
				       "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad_startups) / sizeof(bad_startups[0]); i++) {
		CHECK(!admit_parse_startups(bad_startups[i], &l, &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
	CHECK(l.start == 10 && l.rate == 30 && l.full == 40); /* untouched by failures */
	const char *bad_net[] = { "", "33", "32:129", "x", "32:", ":64", "1:2:3", "12345678901234567" };
	for (size_t i = 0; i < sizeof(bad_net) / sizeof(bad_net[0]); i++)
		CHECK(!admit_parse_netblock(bad_net[i], &l, &e));
	CHECK(l.v4_bits == 32 && l.v6_bits == 128);
	CHECK(admit_parse_startups("3:50:8", &l, &e) && l.start == 3 && l.rate == 50 && l.full == 8);
}
