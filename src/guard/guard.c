/* guard.c - check a request against key, policy, layout, authentication
 * and high watermark, then sign. */
#include "guard.h"

#include <stdlib.h>
#include <string.h>

#include "../crypto/hash.h"

bool guard_init(struct guard *g, const struct vault *v, struct wm_store *watermarks,
		struct err *e)
{
	g->vault = v;
	g->watermarks = watermarks;
	if (g->reserve_ahead == 0)
		g->reserve_ahead = 1;
	if (watermarks)
		watermarks->reserve_ahead = g->reserve_ahead;
	g->key_locks = calloc(v->count ? v->count : 1, sizeof(*g->key_locks));
	if (!g->key_locks)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < v->count; i++)
		pthread_mutex_init(&g->key_locks[i], NULL);
	return true;
}

void guard_free(struct guard *g)
{
	if (g->key_locks && g->vault)
		for (size_t i = 0; i < g->vault->count; i++)
			pthread_mutex_destroy(&g->key_locks[i]);
	free(g->key_locks);
	g->key_locks = NULL;
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

/* The watermarked path, under the key's lock. */
static bool sign_watermarked(const struct guard *g, const struct sign_request *req,
			     struct sign_result *out, struct err *e)
{
	const struct op_info *op = &out->op;
	uint8_t hash[HASH_BYTES];
	blake2b_256(hash, req->msg, req->len);
	struct wm_slot *slot = wm_store_slot(g->watermarks, op->chain_id, &out->key->pkh, op->kind, e);
	if (!slot)
		return false;
	switch (watermark_decide(&slot->mem, op->kind, op->level, op->round, hash, e)) {
	case WM_REFUSE:
		return false;
	case WM_REANSWER:
		memcpy(out->signature, slot->mem.exact.signature, sizeof(out->signature));
		out->reanswered = true;
		return true;
	case WM_SIGN:
		break;
	}
	bool reserve = g->watermarks->mode == WM_RESERVE;
	if (reserve && !wm_store_reserve(g->watermarks, slot, op->level, g->reserve_ahead, e))
		return false;
	if (!sign_fresh(out->key, req, out, e))
		return false;
	/* Recorded in memory first: from here on this (level, round) is taken
	 * even if the write below fails. */
	watermark_record(&slot->mem, op->level, op->round, hash, out->signature);
	if (!wm_store_commit(g->watermarks, slot, !reserve, e)) {
		out->signature[0] = '\0';
		return false;
	}
	return true;
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
	if (g->require_auth) {
		const struct auth_key *who = NULL;
		if (!auth_check(&g->auth, &out->key->pkh, req->msg, req->len, req->authentication, &who, e))
			return false;
		out->authenticated_by = who->name;
	}
	if (out->op.kind == OP_OTHER || !g->watermarks)
		return sign_fresh(out->key, req, out, e);
	pthread_mutex_t *lock = &g->key_locks[out->key - g->vault->keys];
	pthread_mutex_lock(lock);
	bool ok = sign_watermarked(g, req, out, e);
	pthread_mutex_unlock(lock);
	return ok;
}
