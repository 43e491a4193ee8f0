/* guard_ops.c - the key operations besides signing, behind the same key
 * lookup (and, for nonces, authentication) as signatures (guard.h). */
#include "guard.h"

#include "../crypto/nonce.h"
#include "../crypto/sign.h"
#include <string.h>

static bool local_key(const struct vault_key *k, struct err *e)
{
	if (k->sk)
		return true;
	return err_set(e, ERR_UNAVAILABLE,
		       "key %s is held on a Ledger: tzsigner derives deterministic nonces only for keys it holds (ask supports_deterministic_nonces first)",
		       k->pkh_text);
}

bool guard_deterministic_nonce(const struct guard *g, const struct sign_request *req,
			       bool want_hash, uint8_t out[static 32], const char **who,
			       struct err *e)
{
	const struct vault_key *k;
	*who = NULL;
	if (!guard_find_key(g, req->pkh_text, &k, e) || !guard_authenticate(g, k, req, who, e) ||
	    !local_key(k, e))
		return false;
	if (want_hash)
		deterministic_nonce_hash(k->sk, req->msg, req->len, out);
	else
		deterministic_nonce(k->sk, req->msg, req->len, out);
	return true;
}

bool guard_supports_deterministic_nonces(const struct guard *g, const char *pkh_text,
					 bool *supported, struct err *e)
{
	const struct vault_key *k;
	if (!guard_find_key(g, pkh_text, &k, e))
		return false;
	*supported = k->sk != NULL;
	return true;
}

bool guard_prove_possession(const struct guard *g, const char *pkh_text,
			    const uint8_t *override_pk, struct signature *sig, struct err *e)
{
	const struct vault_key *k;
	if (!guard_find_key(g, pkh_text, &k, e))
		return false;
	if (k->pk.scheme != SCHEME_BLS)
		return err_set(e, ERR_MALFORMED, "%s is not a tz4 (BLS) key: no proof of possession", pkh_text);
	if (!k->sk)
		return err_set(e, ERR_UNAVAILABLE, "key %s has no local secret", pkh_text);
	uint8_t pop_msg[48];
	memcpy(pop_msg, override_pk ? override_pk : k->pk.bytes, 48);
	return bls_prove_possession(k->sk, pop_msg, sig, e);
}
