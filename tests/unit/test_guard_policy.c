/* Unit tests of the magic byte policy. */
#include <string.h>

#include "../../src/guard/policy.h"
#include "harness.h"

TEST(policy_default_is_consensus_only)
{
	struct policy p;
	struct err e = { 0 };
	char text[64];
	policy_default(&p);
	CHECK(policy_check_magic(&p, 0x11, &e));
	CHECK(policy_check_magic(&p, 0x12, &e));
	CHECK(policy_check_magic(&p, 0x13, &e));
	CHECK(!policy_check_magic(&p, 0x03, &e));
	CHECK(e.kind == ERR_FORBIDDEN && strstr(e.msg, "0x03") && strstr(e.msg, "0x11,0x12,0x13"));
	policy_format_magic(&p, text, sizeof(text));
	CHECK_STR(text, "0x11,0x12,0x13");
}

TEST(policy_magic_list_parses)
{
	struct policy p;
	struct err e = { 0 };
	policy_default(&p);
	CHECK(policy_parse_magic_bytes(&p, "0x03,0x13", &e));
	CHECK(p.magic_allowed[0x03] && p.magic_allowed[0x13] && !p.magic_allowed[0x11]);
	CHECK(policy_parse_magic_bytes(&p, "11,0X12", &e));
	CHECK(p.magic_allowed[0x11] && p.magic_allowed[0x12] && !p.magic_allowed[0x13]);
}

TEST(policy_magic_list_must_fail)
{
	struct policy p;
	struct err e = { 0 };
	const char *bad[] = { "", "0x", "0x1", "0x123", "0xzz", "0x11,", "0x11,,0x12", "0x11 0x12",
			      "0x11;0x12", "-1" };
	policy_default(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!policy_parse_magic_bytes(&p, bad[i], &e));
		CHECK(e.kind == ERR_MALFORMED);
	}
	/* a refused list leaves the policy as it was */
	CHECK(p.magic_allowed[0x11] && p.magic_allowed[0x12] && p.magic_allowed[0x13]);
}
