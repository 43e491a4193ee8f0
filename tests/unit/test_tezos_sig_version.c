/* test_tezos_sig_version.c - octez's signature versions 0–3 and tz5 (sig_version.h). */
#include <string.h>

#include "../../src/tezos/keycodec.h"
#include "../../src/tezos/sig_version.h"
#include "harness.h"

TEST(tezos_sig_version_parses_octez_spellings_only)
{
	struct err e = { 0 };
	unsigned v = 99;
	static const char *const good[] = { "0", "1", "2", "3" };
	for (unsigned i = 0; i < 4; i++) {
		CHECK(sig_version_parse(good[i], &v, &e));
		CHECK(v == i);
	}
	CHECK(sig_version_parse(NULL, &v, &e));
	CHECK(v == SIG_VERSION_LATEST && v == 3);
	/* octez's version_arg compares strings: no other spelling of a number. */
	static const char *const bad[] = { "4", "9", "03", "+3", " 3", "3 ", "0x3", "", "-1", "three",
					   "4294967299" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK(!sig_version_parse(bad[i], &v, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(strstr(e.msg, "0, 1, 2 and 3") != NULL);
	}
	CHECK(!sig_version_parse("9", &v, &e));
	CHECK(strstr(e.msg, "'9'") != NULL);
}

TEST(tezos_sig_version_table_per_key_type)
{
	struct err e = { 0 };
	enum bls_mode m;
	for (unsigned v = 0; v <= 3; v++) {
		for (int s = SCHEME_ED25519; s <= SCHEME_P256; s++) {
			m = BLS_MODE_AUG;
			CHECK(sig_version_scheme(v, (enum key_scheme)s, &m, &e));
			CHECK(m == BLS_MODE_POP);
		}
		CHECK(sig_version_row(v) != NULL);
	}
	CHECK(sig_version_row(4) == NULL);
	CHECK(!sig_version_scheme(0, SCHEME_BLS, &m, &e));
	CHECK(e.kind == ERR_MALFORMED);
	CHECK(strstr(e.msg, "version 0 has no tz4") != NULL);
	CHECK(sig_version_scheme(1, SCHEME_BLS, &m, &e) && m == BLS_MODE_AUG);
	CHECK(sig_version_scheme(2, SCHEME_BLS, &m, &e) && m == BLS_MODE_POP);
	CHECK(sig_version_scheme(3, SCHEME_BLS, &m, &e) && m == BLS_MODE_POP);
	CHECK(!sig_version_scheme(4, SCHEME_ED25519, &m, &e));
	CHECK(strstr(e.msg, "unknown signature version 4: octez's versions are 0, 1, 2 and 3") != NULL);
	CHECK(!sig_version_scheme(255, SCHEME_BLS, &m, &e));
}

TEST(tezos_pkh_decode_names_tz5_as_unsupported)
{
	struct err e = { 0 };
	uint8_t hash[20];
	for (size_t i = 0; i < sizeof(hash); i++)
		hash[i] = (uint8_t)(i * 7 + 1);
	char text[B58_MAX];
	CHECK(b58check_encode(text, sizeof(text), B58_TZ5, hash, sizeof(hash), &e));
	CHECK(strncmp(text, "tz5", 3) == 0 && strlen(text) == 36);
	struct pkh pkh;
	CHECK(!pkh_decode(text, &pkh, &e));
	CHECK(e.kind == ERR_NOT_FOUND);
	CHECK(strstr(e.msg, "tz5 keys are not supported") != NULL);
	CHECK(strstr(e.msg, text) != NULL);
	/* Anything else that is not a pkh keeps its own message. */
	memset(&e, 0, sizeof(e));
	CHECK(!pkh_decode("tz9nothing", &pkh, &e));
	CHECK(e.kind == ERR_MALFORMED);
}
