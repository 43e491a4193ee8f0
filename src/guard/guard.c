/* guard.c - check a request against key, policy, layout, authentication
 * and high watermark, then sign. */
#include "guard.h"

#include <stdlib.h>
#include <string.h>

#include "../crypto/hash.h"

static void free_key_locks(struct guard *g)
{
	if (g->key_locks && g->vault)
		for (size_t i = 0; i < g->vault->count; i++)
			pthread_mutex_destroy(&g->key_locks[i]);
	free(g->key_locks);
	g->key_locks = NULL;
}

bool guard_rebind_vault(struct guard *g, const struct vault *v, struct err *e)
{
	pthread_mutex_t *locks = calloc(v->count ? v->count : 1, sizeof(*locks));
	if (!locks)
		return err_set(e, ERR_INTERNAL, "out of memory");
	for (size_t i = 0; i < v->count; i++)
		pthread_mutex_init(&locks[i], NULL);
	free_key_locks(g);
	g->vault = v;
	g->key_locks = locks;
	return true;
}

bool guard_init(struct guard *g, const struct vault *v, struct wm_store *watermarks,
		struct err *e)
{
	g->watermarks = watermarks;
	if (g->reserve_ahead == 0)
		g->reserve_ahead = 1;
	if (watermarks)
		watermarks->reserve_ahead = g->reserve_ahead;
	g->key_locks = NULL;
	return guard_rebind_vault(g, v, e);
}

void guard_free(struct guard *g)
{
	free_key_locks(g);
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

/* The watermarked path. The key's lock covers only the decision and its
 * record: the (level, round) and the hash of the bytes are taken before the
 * lock is released, so no other request for this key can be signed at or
 * below them, and the signing itself (0.5 ms for BLS, seconds on a Ledger)
 * runs outside the lock, in parallel with other (level, round)s of the
 * same key. Identical bytes at a taken (level, round) may be signed again:
 * two signatures over the same bytes are not a double signature. */
static bool sign_watermarked(const struct guard *g, pthread_mutex_t *lock,
			     const struct sign_request *req, struct sign_result *out, struct err *e)
{
	const struct op_info *op = &out->op;
	struct wm_store *store = g->watermarks;
	bool sync = store->mode == WM_SYNC;
	uint8_t hash[HASH_BYTES];
	blake2b_256(hash, req->msg, req->len);
	struct wm_slot *slot = wm_store_slot(store, op->chain_id, &out->key->pkh, op->kind, e);
	if (!slot)
		return false;

	pthread_mutex_lock(lock);
	enum wm_verdict verdict = watermark_decide(&slot->mem, op->kind, op->level, op->round, hash, e);
	if (verdict == WM_REFUSE) {
		pthread_mutex_unlock(lock);
		return false;
	}
	if (verdict == WM_REANSWER && slot->mem.exact.has_signature) {
		memcpy(out->signature, slot->mem.exact.signature, sizeof(out->signature));
		struct watermark again = slot->mem;
		pthread_mutex_unlock(lock);
		out->reanswered = true;
		/* sync: the record may not be durable yet (its first write failed,
		 * or is still under way for a concurrent request): make sure it is
		 * before this signature leaves. reserve: its level is reserved. */
		if (sync && !wm_store_commit(store, slot, &again, true, e)) {
			out->signature[0] = '\0';
			return false;
		}
		return true;
	}
	if (verdict == WM_SIGN) {
		if (!sync && !wm_store_reserve(store, slot, op->level, g->reserve_ahead, e)) {
			pthread_mutex_unlock(lock);
			return false;
		}
		/* Taken from here on, even if signing or the write below fails. */
		watermark_record(&slot->mem, op->level, op->round, hash, NULL);
	}
	struct watermark snap = slot->mem;
	pthread_mutex_unlock(lock);

	if (!sign_fresh(out->key, req, out, e))
		return false;

	pthread_mutex_lock(lock);
	struct wm_exact *x = &slot->mem.exact;
	if (x->known && !x->has_signature && x->level == op->level && x->round == op->round &&
	    memcmp(x->hash, hash, HASH_BYTES) == 0) {
		x->has_signature = true;
		memcpy(x->signature, out->signature, sizeof(x->signature));
	}
	pthread_mutex_unlock(lock);
	snap.exact.known = true;
	snap.exact.level = op->level;
	snap.exact.round = op->round;
	memcpy(snap.exact.hash, hash, HASH_BYTES);
	snap.exact.has_signature = true;
	memcpy(snap.exact.signature, out->signature, sizeof(snap.exact.signature));
	/* sync: the record is durable before the signature leaves. reserve: the
	 * level already is; this writes the exact record and the next levels'
	 * reservation in the background. */
	if (!wm_store_commit(store, slot, &snap, sync, e)) {
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
	return sign_watermarked(g, &g->key_locks[out->key - g->vault->keys], req, out, e);
}
