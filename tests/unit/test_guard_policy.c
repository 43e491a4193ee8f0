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
	CHECK(p.magic_allowed[11] && p.magic_allowed[0x12] && !p.magic_allowed[0x11]);
}

/* Each spelling as OCaml's int_of_string reads it (octez main_signer.ml,
 * magic_bytes_arg; OCaml runtime/ints.c, parse_intnat). */
TEST(policy_magic_list_reads_like_octez)
{
	static const struct {
		const char *text;
		int byte;
	} one[] = {
		{ "17", 0x11 },   { "0x11", 0x11 }, { "0X11", 0x11 },  { "0x3", 0x03 },  { "3", 0x03 },
		{ "0o21", 0x11 }, { "0O21", 0x11 }, { "0b10001", 0x11 }, { "0B10001", 0x11 },
		{ "0u17", 0x11 }, { "+17", 0x11 },  { "1_7", 0x11 },   { "0x1_1", 0x11 }, { "017", 0x11 },
		{ "0", 0x00 },    { "-0", 0x00 },   { "255", 0xff },   { "0xff", 0xff },  { "0xFf", 0xff },
		{ "00000000000000000000000000000017", 0x11 },
	};
	struct policy p;
	struct err e = { 0 };
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		CHECK(policy_parse_magic_bytes(&p, one[i].text, &e));
		for (int b = 0; b < 256; b++)
			CHECK(p.magic_allowed[b] == (b == one[i].byte));
	}
	CHECK(policy_parse_magic_bytes(&p, "17,18,19", &e));
	CHECK(p.magic_allowed[0x11] && p.magic_allowed[0x12] && p.magic_allowed[0x13]);
	CHECK(!p.magic_allowed[0x17] && !p.magic_allowed[0x18] && !p.magic_allowed[0x19]);
	/* octez drops empty items (String.split_no_empty). */
	CHECK(policy_parse_magic_bytes(&p, ",0x11,,0x12,", &e));
	CHECK(p.magic_allowed[0x11] && p.magic_allowed[0x12] && !p.magic_allowed[0x13]);
}

TEST(policy_magic_list_must_fail)
{
	struct policy p;
	struct err e = { 0 };
	const char *bad[] = { "", ",", ",,", "0x", "0x123", "256", "0x100", "0xzz", "0x11 0x12",
			      "0x11;0x12", "-1", "-0x11", "_17", "0x_11", "0b2", "0o8", "1a", " 17",
			      "17 ", "0xg", "99999999999999999999999", "0u", "+", "-", "0x11,abc" };
	policy_default(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!policy_parse_magic_bytes(&p, bad[i], &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(strstr(e.msg, "magic bytes") != NULL);
	}
	/* a refused list leaves the policy as it was */
	CHECK(p.magic_allowed[0x11] && p.magic_allowed[0x12] && p.magic_allowed[0x13]);
}
