/* sig_version.c - octez's signature versions, one table (sig_version.h). */
#include "sig_version.h"

#include <string.h>

struct version_row {
	const char *text;   /* as octez's version_arg spells it */
	bool has_bls;       /* the version's Signature module has a Bls case */
	enum bls_mode bls;  /* how it signs with a tz4 key */
	const char *summary;
};

/* src/lib_crypto/signature_v0.ml … signature_v3.ml, function `sign`:
 * v0 has no Bls constructor (signature.ml's V0.Of_V_latest maps Bls to
 * None, and unencrypted.ml's `sign` then fails); v1 signs Bls with
 * Bls.sign_aug; v2 and v3 with Bls.sign (the proof-of-possession DST). */
static const struct version_row rows[SIG_VERSION_LATEST + 1] = {
	{ "0", false, BLS_MODE_POP, "0: tz1 tz2 tz3; no tz4 (octez's Signature_v0 has no BLS)" },
	{ "1", true, BLS_MODE_AUG, "1: tz1 tz2 tz3; tz4 with the augmented scheme (pk || bytes)" },
	{ "2", true, BLS_MODE_POP, "2: tz1 tz2 tz3; tz4 with the proof-of-possession DST (octez v24's)" },
	{ "3", true, BLS_MODE_POP, "3: as 2, plus tz5 (ML-DSA-44) keys tzsigner does not hold (octez v25's)" },
};

bool sig_version_parse(const char *text, unsigned *version, struct err *e)
{
	if (!text) {
		*version = SIG_VERSION_LATEST;
		return true;
	}
	for (unsigned v = 0; v <= SIG_VERSION_LATEST; v++) {
		if (strcmp(text, rows[v].text) == 0) {
			*version = v;
			return true;
		}
	}
	return err_set(e, ERR_MALFORMED,
		       "unknown signature version '%.16s': octez's versions are 0, 1, 2 and 3 "
		       "(send one of them, or none for the newest)",
		       text);
}

bool sig_version_scheme(unsigned version, enum key_scheme key, enum bls_mode *mode,
			struct err *e)
{
	if (version > SIG_VERSION_LATEST)
		return err_set(e, ERR_MALFORMED,
			       "unknown signature version %u: octez's versions are 0, 1, 2 and 3", version);
	*mode = BLS_MODE_POP;
	if (key != SCHEME_BLS)
		return true;
	if (!rows[version].has_bls)
		return err_set(e, ERR_MALFORMED,
			       "signature version %u has no tz4 (BLS) keys: ask for version 1, 2 "
			       "or 3, or none",
			       version);
	*mode = rows[version].bls;
	return true;
}

const char *sig_version_row(unsigned version)
{
	return version <= SIG_VERSION_LATEST ? rows[version].summary : NULL;
}
