/* Unit tests of ledger:// URIs as octez writes them. */
#include <string.h>

#include "../../src/ledger/uri.h"
#include "harness.h"

#define H 0x80000000u

TEST(ledger_uri_parses_octez_forms)
{
	struct ledger_uri u;
	struct err e = { 0 };
	char out[LEDGER_URI_TEXT_MAX];
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h", &u, &e));
	CHECK_STR(u.device, "calculating-meerkat-straight-beetle");
	CHECK(u.has_key && !u.device_is_pkh && u.curve == LEDGER_CURVE_ED25519);
	CHECK(u.path.len == 4 && u.path.c[0] == (H | 44) && u.path.c[1] == (H | 1729) &&
	      u.path.c[2] == H && u.path.c[3] == H);
	ledger_uri_format(&u, out);
	CHECK_STR(out, "ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h");

	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/P-256/0'/1'", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_P256 && u.path.c[3] == (H | 1));
	ledger_uri_format(&u, out);
	CHECK_STR(out, "ledger://calculating-meerkat-straight-beetle/P-256/0h/1h");
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/secp256k1/0h/5", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_SECP256K1 && u.path.c[3] == 5); /* non-hardened allowed */
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/bip25519/0h/0h", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_BIP25519 && ledger_curve_scheme(u.curve) == SCHEME_ED25519);
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/p256/0h", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_P256);
	/* no curve: ed25519, the component is part of the path (octez) */
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/0h/0h", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_ED25519 && u.path.len == 4);
	/* a device only */
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/", &u, &e));
	CHECK(!u.has_key);
	ledger_uri_format(&u, out);
	CHECK_STR(out, "ledger://calculating-meerkat-straight-beetle/");
	CHECK(ledger_uri_parse("ledger://tz1MJYG7DKz4WsPvbjn619nVZcMmejd62w7r/ed25519/0h/0h", &u, &e));
	CHECK(u.device_is_pkh && u.has_key);
}

TEST(ledger_uri_must_fail)
{
	struct ledger_uri u;
	struct err e = { 0 };
	const char *bad[] = {
		"",
		"ledger:/x",
		"unencrypted:edsk",
		"ledger://",
		"ledger:///ed25519/0h",
		"ledger://not-an-animal-name-here/ed25519/0h",
		"ledger://calculating-meerkat-straight/ed25519/0h",
		"ledger://tz1MJYG7DKz4WsPvbjn619nVZcMmejd62w7s/ed25519/0h", /* bad checksum */
		"ledger://calculating-meerkat-straight-beetle/ed25519/0",   /* soft with ed25519 */
		"ledger://calculating-meerkat-straight-beetle/ed25519/x",
		"ledger://calculating-meerkat-straight-beetle/ed25519/2147483648h",
		"ledger://calculating-meerkat-straight-beetle/ed25519//0h",
		"ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h/0h/0h/0h/0h/0h/0h/0h",
		"ledger://calculating-meerkat-straight-beetle/ed25519/0h 0h",
		"ledger://calculating-meerkat-straight-beetle/ed25519/-1h",
		"ledger://calculating-meerkat-straight-beetle/ed25519/h",
		"ledger://calculating-meerkat-straight-beetle/ed25519/99999999999h",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.kind = ERR_NONE;
		CHECK(!ledger_uri_parse(bad[i], &u, &e));
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(e.msg[0] != '\0');
	}
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "ledger://", 9);
	CHECK(!ledger_uri_parse(big, &u, &e) && strstr(e.msg, "too long"));
	/* eight components under 44'/1729' are the most the app takes */
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h/0h/0h/0h/0h/0h/0h", &u, &e));
	CHECK(u.path.len == LEDGER_PATH_MAX);
}

TEST(ledger_uri_curve_names)
{
	enum ledger_curve c;
	CHECK(ledger_curve_parse("ed", 2, &c) && c == LEDGER_CURVE_ED25519);
	CHECK(ledger_curve_parse("secp256r1", 9, &c) && c == LEDGER_CURVE_P256);
	CHECK(ledger_curve_parse("bip32-ed25519", 13, &c) && c == LEDGER_CURVE_BIP25519);
	CHECK(ledger_curve_parse("bls", 3, &c) && c == LEDGER_CURVE_BLS12_381);
	CHECK(ledger_curve_parse("BLS12_381", 9, &c) && c == LEDGER_CURVE_BLS12_381);
	CHECK(ledger_curve_scheme(LEDGER_CURVE_BLS12_381) == SCHEME_BLS);
	CHECK_STR(ledger_curve_name(LEDGER_CURVE_BLS12_381), "bls12_381");
	CHECK(!ledger_curve_parse("bls12381", 8, &c));
	CHECK_STR(ledger_curve_name(LEDGER_CURVE_P256), "P-256");
	CHECK_STR(ledger_curve_name(LEDGER_CURVE_BIP25519), "bip25519");
}

TEST(ledger_uri_unknown_curve_is_named)
{
	struct ledger_uri u;
	struct err e = { 0 };
	CHECK(!ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/ed2519/0h/0h", &u, &e));
	CHECK(e.kind == ERR_MALFORMED);
	CHECK(strstr(e.msg, "unknown curve 'ed2519'") != NULL);
	CHECK(strstr(e.msg, "the curves are " LEDGER_CURVE_LIST) != NULL);
	/* A number in the curve's place is the path (octez: the curve is optional). */
	CHECK(ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/0h/1h", &u, &e));
	CHECK(u.curve == LEDGER_CURVE_ED25519 && u.path.len == 4);
	/* A letter after the first component is a bad path component, as before. */
	CHECK(!ledger_uri_parse("ledger://calculating-meerkat-straight-beetle/ed25519/x", &u, &e));
	CHECK(strstr(e.msg, "is not a number") != NULL);
}
