/* Unit tests of the signature version table (src/guard/sign_version.c),
 * from octez's src/lib_crypto/signature.ml and client_keys.ml. */
#include <string.h>

#include "../../src/guard/sign_version.h"
#include "harness.h"

TEST(sign_version_table)
{
	enum bls_mode m;
	struct err e = { 0 };
	for (unsigned v = 0; v <= 3; v++)
		for (int s = SCHEME_ED25519; s <= SCHEME_P256; s++)
			CHECK(sign_version_mode(v, (enum key_scheme)s, &m, &e) && m == BLS_MODE_POP);
	CHECK(sign_version_mode(1, SCHEME_BLS, &m, &e) && m == BLS_MODE_AUG);
	CHECK(sign_version_mode(2, SCHEME_BLS, &m, &e) && m == BLS_MODE_POP);
	CHECK(sign_version_mode(3, SCHEME_BLS, &m, &e) && m == BLS_MODE_POP);
	CHECK(!sign_version_mode(0, SCHEME_BLS, &m, &e) && e.kind == ERR_MALFORMED);
	CHECK(strstr(e.msg, "version 0"));
	CHECK(!sign_version_mode(4, SCHEME_ED25519, &m, &e) && strstr(e.msg, "unknown signature version 4"));
	CHECK(!sign_version_mode(255, SCHEME_BLS, &m, &e));
}
