/* sign_version.c - the signature version table (sign_version.h). */
#include "sign_version.h"

bool sign_version_mode(unsigned version, enum key_scheme scheme, enum bls_mode *mode,
		       struct err *e)
{
	*mode = BLS_MODE_POP;
	if (version > SIGN_VERSION_LATEST)
		return err_set(e, ERR_MALFORMED, "unknown signature version %u (octez knows 0, 1, 2 and 3)",
			       version);
	if (scheme != SCHEME_BLS)
		return true;
	if (version == 0)
		return err_set(e, ERR_MALFORMED,
			       "signature version 0 has no BLS (tz4) keys: ask for version 1, 2 or 3");
	if (version == 1)
		*mode = BLS_MODE_AUG;
	return true;
}
