/* sign_version.h - octez's signature versions and what each changes per
 * key type (design §2.1; octez src/lib_crypto/signature.ml, version and
 * version_encoding; src/bin_signer/handler.ml, sign).
 *
 *   version  tz1..tz3      tz4 (BLS)
 *   0        unchanged     refused: Signature_v0 has no BLS
 *                          (client_keys.ml V0: "BLS … not supported by V0")
 *   1        unchanged     augmented scheme (signature_v1.ml sign: Bls.sign_aug)
 *   2, 3     unchanged     proof-of-possession DST
 *   none     the latest (3)
 *
 * One table for every transport: the HTTP ?version= and the socket's
 * Pkh_with_version. */
#ifndef TZS_GUARD_SIGN_VERSION_H
#define TZS_GUARD_SIGN_VERSION_H

#include <stdbool.h>

#include "../base/err.h"
#include "../crypto/scheme.h"

#define SIGN_VERSION_LATEST 3u

/* The BLS mode version asks for with a key of scheme; ERR_MALFORMED for a
 * version octez does not know or one that cannot sign with that key. */
bool sign_version_mode(unsigned version, enum key_scheme scheme, enum bls_mode *mode,
		       struct err *e);

#endif
