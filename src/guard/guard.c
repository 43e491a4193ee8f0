/* guard.c - check a request against key, policy, layout, authentication
 * and high watermark, then sign. */
#include "guard.h"

#include <string.h>

#include "../crypto/hash.h"

bool guard_init(struct guard *g, const struct vault *v, struct wm_store *watermarks,
		struct err *e)
{
	(void)e;
	g->vault = v;
	g->watermarks = watermarks;
	return true;
}

void guard_free(struct guard *g)
{
	auth_keys_free(&g->auth);
	key_policies_free(&g->key_policies);
}

bool guard_allow_chain(struct guard *g, const char *chain_b58, struct err *e)
{
	if (g->chain_count == GUARD_MAX_CHAINS)
		return err_set(e, ERR_MALFORMED, "more than %d --chain options", GUARD_MAX_CHAINS);
	if (!chain_id_decode(chain_b58, g->chains[g->chain_count], e))
		return err_wrap(e, "--chain");
	g->chain_count++;
	return true;
}

bool guard_find_key(const struct guard *g, const char *pkh_text, const struct vault_key **out,
		    struct err *e)
{
	struct pkh pkh;
	if (!pkh_decode(pkh_text, &pkh, e))
		return false;
	const struct vault_key *k = vault_find(g->vault, &pkh);
	if (!k)
		return err_set(e, ERR_NOT_FOUND, "no key %s on this signer", pkh_text);
	*out = k;
	return true;
}

static bool check_chain(const struct guard *g, const struct op_info *op, struct err *e)
{
	if (g->chain_count == 0 || op->kind == OP_OTHER)
		return true;
	for (size_t i = 0; i < g->chain_count; i++)
		if (memcmp(g->chains[i], op->chain_id, 4) == 0)
			return true;
	char chain[B58_MAX];
	if (!chain_id_encode(chain, op->chain_id, e))
		return false;
	return err_set(e, ERR_FORBIDDEN, "chain %s is not one this signer signs for (--chain)", chain);
}

static bool sign_fresh(const struct vault_key *k, const struct sign_request *req,
		       struct sign_result *out, struct err *e)
{
	struct signature sig;
	return vault_sign(k, req->bls_mode, req->msg, req->len, &sig, e) &&
	       signature_encode(out->signature, &sig, e);
}

/* The scheme a signature is asked in, as the watermark keys its record. */
static enum wm_sig sig_scheme(const struct vault_key *k, enum bls_mode mode)
{
	if (k->pk.scheme != SCHEME_BLS)
		return WM_SIG_PLAIN;
	return mode == BLS_MODE_AUG ? WM_SIG_BLS_AUG : WM_SIG_BLS_POP;
}

/* The watermarked path: the store decides and takes the (level, round)
 * before the signing, which runs outside its locks (0.5 ms for BLS,
 * seconds on a Ledger); identical bytes at a taken (level, round) may be
 * signed again: two signatures over the same bytes are not a double
 * signature. */
static bool sign_watermarked(const struct guard *g, const struct sign_request *req,
			     struct sign_result *out, struct err *e)
{
	const struct op_info *op = &out->op;
	struct wm_ask ask = { .pkh = out->key->pkh, .kind = op->kind, .level = op->level,
			      .round = op->round, .sig = sig_scheme(out->key, req->bls_mode) };
	memcpy(ask.chain, op->chain_id, 4);
	blake2b_256(ask.hash, req->msg, req->len);
	struct wm_ticket t;
	if (!wm_store_begin(g->watermarks, &ask, &t, e))
		return false;
	if (t.reanswer) {
		memcpy(out->signature, t.signature, sizeof(out->signature));
		out->reanswered = true;
		return true;
	}
	if (!sign_fresh(out->key, req, out, e))
		return false;
	/* sync: the record is durable before the signature leaves. reserve: the
	 * level already is; the exact record rides along with the next write. */
	if (!wm_store_finish(g->watermarks, &ask, out->signature, e)) {
		out->signature[0] = '\0';
		return false;
	}
	return true;
}

bool guard_authenticate(const struct guard *g, const struct vault_key *k,
			const struct sign_request *req, const char **who, struct err *e)
{
	if (!g->require_auth)
		return true;
	const struct auth_key *by = NULL;
	bool ok = req->auth_raw ? auth_check_raw(&g->auth, &k->pkh, req->msg, req->len, req->auth_raw,
						 req->auth_raw_len, &by, e)
				: auth_check(&g->auth, &k->pkh, req->msg, req->len, req->authentication,
					     &by, e);
	if (ok)
		*who = by->name;
	return ok;
}

bool guard_sign(const struct guard *g, const struct sign_request *req, struct sign_result *out,
		struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!guard_find_key(g, req->pkh_text, &out->key, e))
		return false;
	if (req->len == 0)
		return err_set(e, ERR_MALFORMED, "nothing to sign: the hex string is empty");
	const struct policy *p = key_policies_find(&g->key_policies, &out->key->pkh);
	if (!policy_check_magic(p ? p : &g->policy, req->msg[0], e))
		return false;
	if (!op_classify(req->msg, req->len, &out->op, e))
		return false;
	out->classified = true;
	if (out->op.kind != OP_OTHER && !op_tag_fits_key(&out->op, out->key->pk.scheme, e))
		return false;
	if (!check_chain(g, &out->op, e))
		return false;
	if (!guard_authenticate(g, out->key, req, &out->authenticated_by, e))
		return false;
	if (out->op.kind == OP_OTHER || !g->watermarks)
		return sign_fresh(out->key, req, out, e);
	return sign_watermarked(g, req, out, e);
}
