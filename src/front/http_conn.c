/* http_conn.c - an HTTP connection of the front: the request read within
 * its deadlines, routed once, asked of the key holder as one frame, and
 * answered from the reply. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../base/log.h"
#include "../tezos/keycodec.h"
#include "../tezos/sig_version.h"
#include "../base/json_secure.h"
#include "body.h"
#include "front.h"
#include "../base/clock.h"

static unsigned long elapsed_us(const struct conn *c)
{
	return c->work ? (unsigned long)((now_mono_ns() - c->work->start_ns) / 1000u) : 0;
}

/* Answers a refusal the front makes itself, and logs it. */
static void refuse(struct front *f, struct conn *c, unsigned status, const struct err *e,
		   const char *allow)
{
	char q[ERR_MSG_MAX + 64], p[120], id[64];
	const struct conn_work *w = c->work;
	bool head = w && w->head_done;
	log_info("event=refused method=%s path=%s status=%u reason=%s us=%lu",
		 head ? w->head.method : "-", head ? log_str(p, sizeof(p), w->head.path) : "-", status,
		 log_str(q, sizeof(q), e->msg), elapsed_us(c));
	if (status == 405)
		snprintf(id, sizeof(id), "tzsigner.method_not_allowed");
	else
		snprintf(id, sizeof(id), "tzsigner.%s", err_kind_name(e->kind));
	http_answer_err(f, c, status, id, e->msg, allow);
}

static bool copy_pkh(struct kh_request *r, const char *segment, struct err *e)
{
	size_t n = segment ? strlen(segment) : 0;
	bool printable = n > 0 && n <= KH_PKH_MAX;
	for (size_t i = 0; printable && i < n; i++)
		printable = segment[i] > 0x20 && segment[i] < 0x7f;
	if (!printable)
		return err_set(e, ERR_NOT_FOUND, "no key '%.80s' on this signer", segment ? segment : "");
	memcpy(r->pkh, segment, n + 1);
	return true;
}

/* ?version=, ?authentication= and the body of POST /keys/<pkh>. */
static bool sign_fields(const struct conn *c, struct kh_request *r, uint8_t **msg, struct err *e)
{
	const struct http_head *h = &c->work->head;
	char v[16];
	bool found;
	unsigned version;
	if (!http_query_get(h->query, "version", v, sizeof(v), &found, e))
		return false;
	if (found && !sig_version_parse(v, &version, e))
		return false;
	r->version = found ? (uint8_t)version : KH_VERSION_NONE;
	char auth[KH_AUTH_MAX + 2];
	if (!http_query_get(h->query, "authentication", auth, sizeof(auth), &found, e))
		return false;
	if (found) {
		r->auth_kind = KH_AUTH_TEXT;
		r->auth_len = (uint16_t)strlen(auth);
		memcpy(r->auth, auth, r->auth_len + 1u);
	}
	size_t len = 0;
	if (!body_parse(h->has_content_type ? h->content_type : NULL,
			(const char *)c->in + c->work->head_len, h->content_length, msg, &len, e))
		return false;
	r->body = *msg;
	r->body_len = (uint32_t)len;
	return true;
}

/* ?bls_pk= of GET /bls_prove_possession/<tz4>: the key to prove instead. */
static bool pop_fields(const struct conn *c, struct kh_request *r, struct public_key *pk,
		       struct err *e)
{
	char text[128];
	bool found;
	if (!http_query_get(c->work->head.query, "bls_pk", text, sizeof(text), &found, e))
		return false;
	if (!found)
		return true;
	if (!public_key_decode(text, pk, e))
		return false;
	if (pk->scheme != SCHEME_BLS)
		return err_set(e, ERR_MALFORMED, "bls_pk '%.80s' is not a BLpk key", text);
	r->body = pk->bytes;
	r->body_len = (uint32_t)pk->len;
	return true;
}

static void ask_key_holder(struct front *f, struct conn *c)
{
	struct conn_work *w = c->work;
	struct kh_request r;
	struct err e = { 0 };
	uint8_t *msg = NULL;
	struct public_key pk;
	memset(&r, 0, sizeof(r));
	r.op = w->route.op;
	r.version = KH_VERSION_NONE;
	bool keyed = r.op == KH_OP_SIGN || r.op == KH_OP_PUBLIC_KEY || r.op == KH_OP_POP ||
		     r.op == KH_OP_STATUSZ_KEY;
	bool ok = (!keyed || copy_pkh(&r, w->route.segment, &e)) &&
		  (r.op != KH_OP_SIGN || sign_fields(c, &r, &msg, &e)) &&
		  (r.op != KH_OP_POP || pop_fields(c, &r, &pk, &e));
	if (ok) {
		r.id = conn_next_id(f, c);
		w->asked = r.op;
		ok = kh_link_send(f, &r, &e);
	}
	free(msg);
	conn_consume(c, w->head_len + w->head.content_length);
	if (!ok) {
		refuse(f, c, err_http_status(e.kind), &e, NULL);
		return;
	}
	conn_set_state(f, c, CONN_WAIT);
}

static void dispatch(struct front *f, struct conn *c)
{
	struct conn_work *w = c->work;
	struct err e = { 0 };
	switch (w->route.action) {
	case ROUTE_ASK_KH: ask_key_holder(f, c); return;
	case ROUTE_HEALTHZ:
		conn_consume(c, w->head_len + w->head.content_length);
		http_answer(f, c, 200, "application/json", NULL, "{\"status\":\"ok\"}", 15);
		return;
	case ROUTE_METHOD:
		err_set(&e, ERR_MALFORMED, "method %.16s is not allowed on %.128s (allowed: %s)",
			w->head.method, w->head.path, w->route.allow);
		conn_consume(c, w->head_len + w->head.content_length);
		refuse(f, c, 405, &e, w->route.allow);
		return;
	case ROUTE_NOT_FOUND: break;
	}
	err_set(&e, ERR_NOT_FOUND, "no such endpoint: %.16s %.128s", w->head.method, w->head.path);
	conn_consume(c, w->head_len + w->head.content_length);
	refuse(f, c, 404, &e, NULL);
}

void http_on_input(struct front *f, struct conn *c)
{
	if (c->state != CONN_IDLE && c->state != CONN_HEAD && c->state != CONN_BODY)
		return;
	if (c->in_len == 0)
		return;
	struct conn_work *w = conn_work(c);
	if (!w) {
		conn_close(f, c);
		return;
	}
	if (c->state == CONN_IDLE)
		conn_set_state(f, c, CONN_HEAD); /* the head's deadline runs from its first byte */
	if (c->state == CONN_HEAD) {
		unsigned status = 400;
		struct err e = { 0 };
		switch (http_parse_head(c->in, c->in_len, &w->head, &w->head_len, &status, &e)) {
		case HTTP_NEED_MORE: return;
		case HTTP_BAD:
			c->close_after = true;
			refuse(f, c, status, &e, NULL);
			return;
		case HTTP_HEAD_DONE: break;
		}
		w->head_done = true;
		route_match(w->head.method, w->head.path, conn_is_status(f, c), &w->route);
		conn_set_state(f, c, CONN_BODY); /* the body's deadline runs from the head's end */
		if (w->head.expect_continue && c->in_len < w->head_len + w->head.content_length) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
			if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
			    (ssize_t)(sizeof(cont) - 1)) {
				conn_close(f, c);
				return;
			}
		}
	}
	if (c->in_len >= w->head_len + w->head.content_length)
		dispatch(f, c);
}

/* How many bytes the connection may hold: the head's bound, then exactly
 * the head and its body. */
size_t http_read_limit(const struct conn *c)
{
	if (c->state == CONN_BODY && c->work)
		return c->work->head_len + c->work->head.content_length;
	return HTTP_HEAD_MAX;
}

static void answer_text(struct front *f, struct conn *c, const char *field, const struct kh_reply *r)
{
	json_t *v = json_stringn((const char *)r->payload, r->payload_len);
	json_t *o = v ? json_pack("{s:o}", field, v) : NULL;
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!text) {
		http_answer_err(f, c, 500, "tzsigner.internal", "the key holder's answer is not text", NULL);
		return;
	}
	http_answer(f, c, 200, "application/json", NULL, text, strlen(text));
	json_free_text(text);
}

void http_on_reply(struct front *f, struct conn *c, const struct kh_reply *r)
{
	unsigned code = r->code ? r->code : 200;
	if (r->kind != ERR_NONE) {
		char msg[ERR_MSG_MAX * 2], id[64];
		size_t n = r->payload_len < sizeof(msg) - 1 ? r->payload_len : sizeof(msg) - 1;
		memcpy(msg, r->payload, n);
		msg[n] = '\0';
		snprintf(id, sizeof(id), "tzsigner.%s", err_kind_name(r->kind));
		http_answer_err(f, c, err_http_status(r->kind), id, msg, NULL);
		return;
	}
	const char *json = "application/json";
	switch (r->op) {
	case KH_OP_SIGN: answer_text(f, c, "signature", r); return;
	case KH_OP_PUBLIC_KEY: answer_text(f, c, "public_key", r); return;
	case KH_OP_POP: answer_text(f, c, "bls_prove_possession", r); return;
	case KH_OP_AUTHORIZED_KEYS:
	case KH_OP_KNOWN_KEYS:
	case KH_OP_STATUSZ:
	case KH_OP_STATUSZ_KEY:
		http_answer(f, c, code, json, NULL, (const char *)r->payload, r->payload_len);
		return;
	case KH_OP_STATUS_PAGE:
		http_answer(f, c, code, "text/html; charset=utf-8", NULL, (const char *)r->payload,
			    r->payload_len);
		return;
	case KH_OP_METRICS: {
		size_t len = 0;
		char *text = front_metrics_append(f, r->payload, r->payload_len, &len);
		if (text)
			http_answer(f, c, 200, "text/plain; version=0.0.4", NULL, text, len);
		else
			http_answer_err(f, c, 500, "tzsigner.internal", "metrics unavailable", NULL);
		free(text);
		return;
	}
	case KH_OP_NONCE:
	case KH_OP_NONCE_HASH:
	case KH_OP_SUPPORTS_NONCE:
	case KH_OP_COUNT: break;
	}
	http_answer_err(f, c, 500, "tzsigner.internal", "the key holder answered another operation", NULL);
}
