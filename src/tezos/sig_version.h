/* sig_version.h - octez's signature versions and what each one changes.
 *
 * octez's client sends ?version=N on every sign (src/lib_signer_backends/
 * http_gen.ml, `sign`; N is Signature.version of the client: 2 in octez
 * v24, 3 since v25.0). octez-signer accepts the strings "0" to "3"
 * (src/lib_crypto/signature.ml, `version_arg`) and signs with that
 * version's module (src/bin_signer/handler.ml, `sign`):
 *
 *   version  tz1 tz2 tz3      tz4 (BLS12-381)                     tz5
 *   0        as always        refused: Signature_v0 has no BLS     no
 *   1        as always        augmented scheme (pk ‖ bytes, AUG DST) no
 *   2        as always        proof-of-possession DST             no
 *   3        as always        proof-of-possession DST             ML-DSA-44
 *   absent   as the newest (3)
 *
 * tzsigner holds no tz5 (ML-DSA-44) keys; they cannot be consensus keys. */
#ifndef TZS_TEZOS_SIG_VERSION_H
#define TZS_TEZOS_SIG_VERSION_H

#include <stdbool.h>

#include "../base/err.h"
#include "../crypto/scheme.h"

#define SIG_VERSION_LATEST 3u

/* Reads the ?version= text: exactly "0" … "3" (octez's version_arg takes
 * no other spelling). NULL (absent) is the newest. ERR_MALFORMED naming the
 * known versions otherwise. */
bool sig_version_parse(const char *text, unsigned *version, struct err *e);

/* How a key of the given scheme signs under version: the BLS mode for tz4
 * (ignored by the other schemes). ERR_MALFORMED when the version has no
 * such keys (version 0 and tz4). */
bool sig_version_scheme(unsigned version, enum key_scheme key, enum bls_mode *mode,
			struct err *e);

/* One line per version, for `serve --help` and the README. */
const char *sig_version_row(unsigned version);

#endif
