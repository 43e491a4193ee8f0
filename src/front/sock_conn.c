/* sock_conn.c - octez's socket signer protocol in the front's loop (octez
 * src/bin_signer/socket_daemon.ml, handle_client_step: one request frame,
 * one answer frame, again until the client closes). Each request becomes a
 * kh frame; the key holder's reply is turned back into octez's binary
 * answer (socket_proto.h). A request that does not decode is answered with
 * an error and the connection closed, as before the split. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../tezos/keycodec.h"
#include "front.h"
#include "socket_proto.h"

size_t sock_read_limit(const struct conn *c)
{
	if (c->in_len < SOCK_HEADER_BYTES)
		return SOCK_HEADER_BYTES;
	return SOCK_HEADER_BYTES + sock_frame_length(c->in);
}

static void send_reply(struct front *f, struct conn *c, const struct sock_reply *out)
{
	uint8_t *copy = malloc(out->len);
	if (copy)
		memcpy(copy, out->bytes, out->len);
	conn_send(f, c, copy, out->len);
}

static void refuse(struct front *f, struct conn *c, const struct err *e)
{
	struct sock_reply *out = malloc(sizeof(*out));
	char id[64];
	if (!out) {
		conn_send(f, c, NULL, 0);
		return;
	}
	snprintf(id, sizeof(id), "tzsigner.%s", err_kind_name(e->kind));
	sock_reply_error(out, id, e->msg);
	send_reply(f, c, out);
	free(out);
}

static const enum kh_op op_of_kind[] = {
	[SOCK_SIGN] = KH_OP_SIGN,
	[SOCK_PUBLIC_KEY] = KH_OP_PUBLIC_KEY,
	[SOCK_AUTHORIZED_KEYS] = KH_OP_AUTHORIZED_KEYS,
	[SOCK_DETERMINISTIC_NONCE] = KH_OP_NONCE,
	[SOCK_DETERMINISTIC_NONCE_HASH] = KH_OP_NONCE_HASH,
	[SOCK_SUPPORTS_DETERMINISTIC_NONCES] = KH_OP_SUPPORTS_NONCE,
	[SOCK_KNOWN_KEYS] = KH_OP_KNOWN_KEYS,
	[SOCK_BLS_PROVE_POSSESSION] = KH_OP_POP,
};

static bool to_frame(const struct sock_request *rq, struct kh_request *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->op = op_of_kind[rq->kind];
	r->transport = KH_TRANSPORT_SOCKET;
	/* No version: the key holder signs with the newest, as octez-signer
	 * does (src/bin_signer/handler.ml, sign). */
	r->version = rq->has_version ? rq->version : KH_VERSION_NONE;
	char pkh[B58_MAX];
	if (rq->has_pkh && !pkh_encode(pkh, &rq->pkh, e))
		return false;
	if (rq->has_pkh && strlen(pkh) > KH_PKH_MAX)
		return err_set(e, ERR_MALFORMED, "key hash '%.60s' is over %u characters", pkh, KH_PKH_MAX);
	if (rq->has_pkh)
		memcpy(r->pkh, pkh, strlen(pkh) + 1);
	if (rq->auth_len) {
		r->auth_kind = KH_AUTH_RAW;
		r->auth_len = (uint16_t)rq->auth_len;
		memcpy(r->auth, rq->auth, rq->auth_len);
	}
	r->body = rq->data;
	r->body_len = (uint32_t)rq->data_len;
	if (rq->kind == SOCK_BLS_PROVE_POSSESSION) {
		r->body = rq->has_override_pk ? rq->override_pk : NULL;
		r->body_len = rq->has_override_pk ? (uint32_t)sizeof(rq->override_pk) : 0;
	}
	return true;
}

void sock_on_input(struct front *f, struct conn *c)
{
	if (c->state != CONN_IDLE && c->state != CONN_HEAD)
		return;
	if (c->in_len == 0)
		return;
	struct conn_work *w = conn_work(c);
	if (!w) {
		conn_close(f, c);
		return;
	}
	if (c->state == CONN_IDLE)
		conn_set_state(f, c, CONN_HEAD); /* the frame's deadline runs from its first byte */
	if (c->in_len < sock_read_limit(c))
		return;
	size_t len = sock_frame_length(c->in);
	struct sock_request rq;
	struct kh_request r;
	struct err e = { 0 };
	f->stats.socket_requests++;
	bool ok = sock_request_decode(c->in + SOCK_HEADER_BYTES, len, &rq, &e) && to_frame(&rq, &r, &e);
	if (!ok) {
		char q[ERR_MSG_MAX + 64];
		log_info("event=refused transport=socket request=decode reason=%s",
			 log_str(q, sizeof(q), e.msg));
		conn_consume(c, SOCK_HEADER_BYTES + len);
		c->close_after = true;
		refuse(f, c, &e);
		return;
	}
	w->sock_kind = (uint8_t)rq.kind;
	r.id = conn_next_id(f, c);
	w->asked = r.op;
	ok = kh_link_send(f, &r, &e); /* copies the bytes it needs from c->in */
	conn_consume(c, SOCK_HEADER_BYTES + len);
	if (!ok) {
		refuse(f, c, &e);
		return;
	}
	conn_set_state(f, c, CONN_WAIT);
}

static bool text_of(const struct kh_reply *r, char out[static B58_MAX], struct err *e)
{
	if (r->payload_len >= B58_MAX || memchr(r->payload, '\0', r->payload_len))
		return err_set(e, ERR_INTERNAL, "the key holder's answer of %u bytes is not a key or signature",
			       r->payload_len);
	memcpy(out, r->payload, r->payload_len);
	out[r->payload_len] = '\0';
	return true;
}

/* {"authorized_keys":[…]} / {"known_keys":[…]} (or {} without -A) as a list. */
static bool pkh_list(const struct kh_reply *r, bool authorized, struct sock_reply *out, struct err *e)
{
	json_t *doc = json_loadb((const char *)r->payload, r->payload_len, 0, NULL);
	json_t *list = json_object_get(doc, authorized ? "authorized_keys" : "known_keys");
	bool ok = doc != NULL;
	if (ok && authorized && !list) {
		json_decref(doc);
		return sock_reply_no_authentication(out);
	}
	sock_reply_pkh_list_begin(out, authorized);
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		struct pkh h;
		if (!json_is_string(item) || !pkh_decode(json_string_value(item), &h, e)) {
			ok = false;
			break;
		}
		sock_reply_pkh_list_add(out, &h);
	}
	ok = ok && json_is_array(list);
	json_decref(doc);
	if (!ok || !sock_reply_pkh_list_end(out))
		return err_set(e, ERR_INTERNAL, "the key holder's key list does not fit a socket answer");
	return true;
}

static bool answer(const struct kh_reply *r, uint8_t kind, struct sock_reply *out, struct err *e)
{
	char text[B58_MAX];
	struct public_key pk;
	struct signature sig = { 0 };
	switch (kind) {
	case SOCK_SIGN:
		return text_of(r, text, e) && signature_decode(text, sig.bytes, &sig.len, e) &&
		       sock_reply_signature(out, &sig);
	case SOCK_BLS_PROVE_POSSESSION:
		return text_of(r, text, e) && signature_decode(text, sig.bytes, &sig.len, e) &&
		       sock_reply_bls_signature(out, &sig);
	case SOCK_PUBLIC_KEY:
		return text_of(r, text, e) && public_key_decode(text, &pk, e) &&
		       sock_reply_public_key(out, &pk);
	case SOCK_AUTHORIZED_KEYS: return pkh_list(r, true, out, e);
	case SOCK_KNOWN_KEYS: return pkh_list(r, false, out, e);
	case SOCK_DETERMINISTIC_NONCE:
	case SOCK_DETERMINISTIC_NONCE_HASH:
		if (r->payload_len != 32)
			return err_set(e, ERR_INTERNAL, "a nonce of %u bytes", r->payload_len);
		return sock_reply_bytes(out, r->payload, 32);
	case SOCK_SUPPORTS_DETERMINISTIC_NONCES:
		if (r->payload_len != 1)
			return err_set(e, ERR_INTERNAL, "a yes/no of %u bytes", r->payload_len);
		return sock_reply_bool(out, r->payload[0] != 0);
	default: break;
	}
	return err_set(e, ERR_INTERNAL, "socket request kind %u", kind);
}

void sock_on_reply(struct front *f, struct conn *c, const struct kh_reply *r)
{
	struct sock_reply *out = malloc(sizeof(*out));
	struct err e = { 0 };
	if (!out) {
		conn_send(f, c, NULL, 0);
		return;
	}
	memset(out, 0, offsetof(struct sock_reply, bytes));
	if (r->kind != ERR_NONE) {
		size_t n = r->payload_len < ERR_MSG_MAX - 1 ? r->payload_len : ERR_MSG_MAX - 1;
		e.kind = r->kind;
		memcpy(e.msg, r->payload, n);
		e.msg[n] = '\0';
		free(out);
		refuse(f, c, &e);
		return;
	}
	if (!answer(r, c->work->sock_kind, out, &e)) {
		free(out);
		if (e.kind == ERR_NONE)
			err_set(&e, ERR_INTERNAL, "the answer does not fit a socket frame");
		refuse(f, c, &e);
		return;
	}
	send_reply(f, c, out);
	free(out);
}
