/* kh_ops.c - the key operations of one frame (kh_ops.h); the monitoring
 * ops are in kh_monitor.c. */
#include "kh_ops.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_secure.h"
#include "../base/log.h"
#include "../crypto/sign.h"
#include "../health/health.h"
#include "../server/audit.h"
#include "../server/metrics.h"
#include "../server/reply.h"
#include "../base/clock.h"
#include "../tezos/keycodec.h"
#include "../tezos/sig_version.h"
#include "kh_monitor.h"

static const char *transport_name(const struct kh_request *rq)
{
	return rq->transport == KH_TRANSPORT_SOCKET ? "socket" : NULL;
}

/* Fills out with a refusal: kind and e's message. */
static void kh_answer_refusal(struct kh_answer *out, const struct err *e)
{
	size_t n = strnlen(e->msg, sizeof(e->msg));
	out->kind = e->kind == ERR_NONE ? ERR_INTERNAL : e->kind;
	out->code = 0;
	memcpy(out->buf, e->msg, n);
	out->len = (uint32_t)n;
}

/* A refusal of an op other than sign (sign has its audit line). */
static void refuse(const struct kh_request *rq, const struct err *e, struct kh_answer *out)
{
	char q[ERR_MSG_MAX + 64];
	const char *t = transport_name(rq);
	log_info("event=refused op=%s pkh=%s status=%u reason=%s%s%s", kh_op_name(rq->op),
		 rq->pkh[0] ? rq->pkh : "-", reply_status_of(e->kind), log_str(q, sizeof(q), e->msg),
		 t ? " transport=" : "", t ? t : "");
	kh_answer_refusal(out, e);
}

bool kh_answer_bytes(struct kh_answer *out, const void *p, size_t n, struct err *e)
{
	if (n > KH_PAYLOAD_MAX)
		return err_set(e, ERR_INTERNAL, "an answer of %zu bytes is over the frame's %u", n,
			       KH_PAYLOAD_MAX);
	memcpy(out->buf, p, n);
	out->len = (uint32_t)n;
	out->kind = ERR_NONE;
	return true;
}

bool kh_answer_json(struct kh_answer *out, json_t *value, struct err *e)
{
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
	json_decref(value);
	if (!text)
		return err_set(e, ERR_INTERNAL, "out of memory for a JSON answer");
	bool ok = kh_answer_bytes(out, text, strlen(text), e);
	json_free_text(text); /* jansson's allocator (json_secure.h), not free(3) */
	return ok;
}

/* The frame's version byte (?version=) as a BLS mode for the key, as
 * octez-signer reads it (sig_version.h): none asked is the newest. An
 * unknown key is left to guard_sign, which says so in its order of checks. */
static bool version_mode(const struct guard *g, const struct kh_request *rq, enum bls_mode *mode,
			 struct err *e)
{
	unsigned version = rq->version == KH_VERSION_NONE ? SIG_VERSION_LATEST : rq->version;
	const struct vault_key *k;
	struct err ignored = { 0 };
	*mode = BLS_MODE_POP;
	if (version > SIG_VERSION_LATEST)
		return err_set(e, ERR_MALFORMED, "signature version %u is not one of 0 to %u", version,
			       SIG_VERSION_LATEST);
	if (!guard_find_key(g, rq->pkh, &k, &ignored))
		return true;
	return sig_version_scheme(version, k->pk.scheme, mode, e) && vault_key_signs_mode(k, *mode, e);
}

static void request_of(const struct kh_request *rq, struct sign_request *sr)
{
	memset(sr, 0, sizeof(*sr));
	sr->pkh_text = rq->pkh;
	sr->msg = rq->body;
	sr->len = rq->body_len;
	if (rq->auth_kind == KH_AUTH_TEXT)
		sr->authentication = (const char *)rq->auth;
	else if (rq->auth_kind == KH_AUTH_RAW) {
		sr->auth_raw = rq->auth;
		sr->auth_raw_len = rq->auth_len;
	}
}

static void sign(const struct kh_context *c, const struct kh_request *rq, uint64_t start,
		 struct kh_answer *out)
{
	struct err e = { 0 };
	struct sign_request sr;
	struct sign_result res;
	memset(&res, 0, sizeof(res));
	request_of(rq, &sr);
	bool ok = version_mode(c->guard, rq, &sr.bls_mode, &e) && guard_sign(c->guard, &sr, &res, &e);
	if (!ok && res.op.magic == 0 && rq->body_len > 0)
		res.op.magic = rq->body[0];
	audit_sign(transport_name(rq), rq->pkh, &res, ok ? NULL : &e, rq->body_len, start);
	metrics_observe_sign(c->metrics, res.key, res.classified, res.op.kind,
			     metrics_outcome_of_status(ok ? 200 : reply_status_of(e.kind), res.reanswered),
			     now_mono_ns() - start);
	if (ok && c->metrics && res.key)
		recent_note(&c->metrics->recent, (size_t)(res.key - c->guard->vault->keys), &res.op,
			    now_mono_ns() - start, now_wall_ms());
	if (!ok || !kh_answer_bytes(out, res.signature, strlen(res.signature), &e))
		kh_answer_refusal(out, &e);
}

static bool authorized_keys(const struct guard *g, struct kh_answer *out, struct err *e)
{
	/* Without -A octez answers {}; with it, the hashes of the keys allowed. */
	if (!g->require_auth)
		return kh_answer_json(out, json_object(), e);
	json_t *list = json_array();
	for (size_t i = 0; i < g->auth.count; i++)
		json_array_append_new(list, json_string(g->auth.keys[i].pkh_text));
	return kh_answer_json(out, json_pack("{s:o}", "authorized_keys", list), e);
}

static bool known_keys(const struct kh_context *c, struct kh_answer *out, struct err *e)
{
	const struct vault *v = c->guard->vault;
	if (!c->allow_list_known_keys)
		return err_set(e, ERR_NOT_FOUND,
			       "known_keys is disabled on this signer (start it with --allow-list-known-keys)");
	json_t *list = json_array();
	for (size_t i = 0; i < v->count; i++)
		json_array_append_new(list, json_string(v->keys[i].pkh_text));
	return kh_answer_json(out, json_pack("{s:o}", "known_keys", list), e);
}

static bool prove_possession(const struct kh_context *c, const struct kh_request *rq,
			     struct kh_answer *out, struct err *e)
{
	struct signature sig;
	char text[B58_MAX];
	if (!c->allow_prove_possession)
		return err_set(e, ERR_NOT_FOUND,
			       "bls_prove_possession is disabled on this signer (start it with --allow-to-prove-possession)");
	if (rq->body_len != 0 && rq->body_len != 48)
		return err_set(e, ERR_MALFORMED,
			       "a proof of possession takes no public key or a 48-byte BLS one, not %u bytes",
			       rq->body_len);
	if (!guard_prove_possession(c->guard, rq->pkh, rq->body_len ? rq->body : NULL, &sig, e) ||
	    !signature_encode(text, &sig, e))
		return false;
	log_info("event=proved_possession pkh=%s", rq->pkh);
	return kh_answer_bytes(out, text, strlen(text), e);
}

static bool nonce(const struct kh_context *c, const struct kh_request *rq, struct kh_answer *out,
		  struct err *e)
{
	struct sign_request sr;
	uint8_t n[32];
	const char *who = NULL, *t = transport_name(rq);
	bool hash = rq->op == KH_OP_NONCE_HASH;
	request_of(rq, &sr);
	if (!guard_deterministic_nonce(c->guard, &sr, hash, n, &who, e))
		return false;
	log_info("event=nonce request=%s pkh=%s bytes=%u%s%s%s%s", kh_op_name(rq->op), rq->pkh,
		 rq->body_len, who ? " auth=" : "", who ? who : "", t ? " transport=" : "", t ? t : "");
	bool ok = kh_answer_bytes(out, n, sizeof(n), e);
	memset(n, 0, sizeof(n));
	return ok;
}

static bool key_op(const struct kh_context *c, const struct kh_request *rq, struct kh_answer *out,
		   struct err *e)
{
	const struct vault_key *k;
	bool supported;
	switch (rq->op) {
	case KH_OP_PUBLIC_KEY:
		return guard_find_key(c->guard, rq->pkh, &k, e) &&
		       kh_answer_bytes(out, k->pk_text, strlen(k->pk_text), e);
	case KH_OP_AUTHORIZED_KEYS: return authorized_keys(c->guard, out, e);
	case KH_OP_KNOWN_KEYS: return known_keys(c, out, e);
	case KH_OP_POP: return prove_possession(c, rq, out, e);
	case KH_OP_NONCE:
	case KH_OP_NONCE_HASH: return nonce(c, rq, out, e);
	case KH_OP_SUPPORTS_NONCE:
		if (!guard_supports_deterministic_nonces(c->guard, rq->pkh, &supported, e))
			return false;
		return kh_answer_bytes(out, (const uint8_t[]){ supported ? 1 : 0 }, 1, e);
	default: return kh_monitor(c, rq, out, e);
	}
}

void kh_execute(const struct kh_context *c, const struct kh_request *rq, uint64_t start_ns,
		struct kh_answer *out)
{
	struct err e = { 0 };
	out->kind = ERR_NONE;
	out->code = 0;
	out->len = 0;
	if (rq->op == KH_OP_SIGN) {
		sign(c, rq, start_ns, out);
		return;
	}
	if (!key_op(c, rq, out, &e))
		refuse(rq, &e, out);
}
