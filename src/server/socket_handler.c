/* socket_handler.c - the socket protocol's requests, each answered as
 * octez-signer does (src/bin_signer/socket_daemon.ml, handle_client_step),
 * through the guard that also serves HTTP. */
#include "socket_handler.h"

#include <stdio.h>
#include <string.h>

#include "../base/log.h"
#include "../tezos/sig_version.h"
#include "audit.h"
#include "reply.h"
#include "request.h"

static void refuse(struct sock_reply *out, const char *what, const char *pkh, const struct err *e)
{
	char id[64], q[ERR_MSG_MAX + 64];
	snprintf(id, sizeof(id), "tzsigner.%s", err_kind_name(e->kind));
	if (strcmp(what, "sign") != 0)
		log_info("event=refused transport=socket request=%s pkh=%s reason=%s", what, pkh ? pkh : "-",
			 log_str(q, sizeof(q), e->msg));
	sock_reply_error(out, id, e->msg);
}

static void sign(const struct socket_service *s, const struct sock_request *rq, const char *pkh,
		 struct sock_reply *out)
{
	uint64_t start = monotonic_ns();
	struct err e = { 0 };
	struct sign_result res;
	struct sign_request sr = { .pkh_text = pkh, .msg = rq->data, .len = rq->data_len,
				   .auth_raw = rq->auth, .auth_raw_len = rq->auth_len };
	struct signature sig = { 0 };
	memset(&res, 0, sizeof(res));
	/* No version: octez-signer signs with the latest (handler.ml, sign). */
	bool ok = sig_version_scheme(rq->has_version ? rq->version : SIG_VERSION_LATEST, rq->pkh.scheme,
				     &sr.bls_mode, &e) &&
		  guard_sign(s->guard, &sr, &res, &e) &&
		  signature_decode(res.signature, sig.bytes, &sig.len, &e);
	if (!ok && res.op.magic == 0 && rq->data_len > 0)
		res.op.magic = rq->data[0];
	audit_sign("socket", pkh, &res, ok ? NULL : &e, rq->data_len, start);
	metrics_observe_sign(s->metrics, res.key, res.classified, res.op.kind,
			     metrics_outcome_of_status(ok ? 200 : reply_status_of(e.kind), res.reanswered),
			     monotonic_ns() - start);
	if (!ok || !sock_reply_signature(out, &sig))
		refuse(out, "sign", pkh, &e);
}

static void authorized_keys(const struct socket_service *s, struct sock_reply *out)
{
	const struct guard *g = s->guard;
	if (!g->require_auth) {
		sock_reply_no_authentication(out);
		return;
	}
	sock_reply_pkh_list_begin(out, true);
	for (size_t i = 0; i < g->auth.count; i++) {
		struct pkh h;
		pkh_of_public_key(&g->auth.keys[i].pk, &h);
		sock_reply_pkh_list_add(out, &h);
	}
	if (!sock_reply_pkh_list_end(out))
		sock_reply_error(out, "tzsigner.internal", "the authorized keys do not fit a frame");
}

static void known_keys(const struct socket_service *s, struct sock_reply *out)
{
	const struct vault *v = s->guard->vault;
	sock_reply_pkh_list_begin(out, false);
	for (size_t i = 0; i < v->count; i++)
		sock_reply_pkh_list_add(out, &v->keys[i].pkh);
	if (!sock_reply_pkh_list_end(out))
		sock_reply_error(out, "tzsigner.internal", "the known keys do not fit a frame");
}

static void nonce(const struct socket_service *s, const struct sock_request *rq, const char *pkh,
		  struct sock_reply *out)
{
	struct err e = { 0 };
	struct sign_request sr = { .pkh_text = pkh, .msg = rq->data, .len = rq->data_len,
				   .auth_raw = rq->auth, .auth_raw_len = rq->auth_len };
	uint8_t n[32];
	const char *who = NULL;
	bool hash = rq->kind == SOCK_DETERMINISTIC_NONCE_HASH;
	const char *what = hash ? "deterministic_nonce_hash" : "deterministic_nonce";
	if (!guard_deterministic_nonce(s->guard, &sr, hash, n, &who, &e)) {
		refuse(out, what, pkh, &e);
		return;
	}
	log_info("event=nonce transport=socket request=%s pkh=%s bytes=%zu%s%s", what, pkh,
		 rq->data_len, who ? " auth=" : "", who ? who : "");
	sock_reply_bytes(out, n, sizeof(n));
	memset(n, 0, sizeof(n));
}

static void disabled(struct sock_reply *out, const char *what, const char *flag)
{
	struct err e = { 0 };
	err_set(&e, ERR_NOT_FOUND, "%s is disabled on this signer (start it with %s)", what, flag);
	refuse(out, what, NULL, &e);
}

static void prove_possession(const struct socket_service *s, const struct sock_request *rq,
			     const char *pkh, struct sock_reply *out)
{
	struct err e = { 0 };
	struct signature sig;
	if (!guard_prove_possession(s->guard, pkh, rq->has_override_pk ? rq->override_pk : NULL, &sig,
				    &e) ||
	    (!sock_reply_bls_signature(out, &sig) &&
	     !err_set(&e, ERR_INTERNAL, "proof of possession of %zu bytes", sig.len))) {
		refuse(out, "bls_prove_possession", pkh, &e);
		return;
	}
	log_info("event=proved_possession transport=socket pkh=%s", pkh);
}

bool socket_handle(const struct socket_service *s, const uint8_t *payload, size_t len,
		   struct sock_reply *out)
{
	struct sock_request rq;
	struct err e = { 0 };
	char pkh[B58_MAX] = "";
	if (!sock_request_decode(payload, len, &rq, &e) ||
	    (rq.has_pkh && !pkh_encode(pkh, &rq.pkh, &e))) {
		refuse(out, "decode", NULL, &e);
		return false;
	}
	const struct vault_key *k;
	bool supported;
	switch (rq.kind) {
	case SOCK_SIGN: sign(s, &rq, pkh, out); break;
	case SOCK_PUBLIC_KEY:
		if (guard_find_key(s->guard, pkh, &k, &e))
			sock_reply_public_key(out, &k->pk);
		else
			refuse(out, "public_key", pkh, &e);
		break;
	case SOCK_AUTHORIZED_KEYS: authorized_keys(s, out); break;
	case SOCK_DETERMINISTIC_NONCE:
	case SOCK_DETERMINISTIC_NONCE_HASH: nonce(s, &rq, pkh, out); break;
	case SOCK_SUPPORTS_DETERMINISTIC_NONCES:
		if (guard_supports_deterministic_nonces(s->guard, pkh, &supported, &e))
			sock_reply_bool(out, supported);
		else
			refuse(out, "supports_deterministic_nonces", pkh, &e);
		break;
	case SOCK_KNOWN_KEYS:
		if (s->allow_list_known_keys)
			known_keys(s, out);
		else
			disabled(out, "known_keys", "--allow-list-known-keys");
		break;
	case SOCK_BLS_PROVE_POSSESSION:
		if (s->allow_prove_possession)
			prove_possession(s, &rq, pkh, out);
		else
			disabled(out, "bls_prove_possession", "--allow-to-prove-possession");
		break;
	}
	return true;
}
