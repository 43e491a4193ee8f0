/* sign.c - POST /keys/<pkh> through the gateway. Order of checks, as a
 * signer has them (design §2.1): key held by a box → bytes → consensus
 * layout and tag → authentication (-A) → the shared watermark in etcd →
 * a box signs. A consensus request reaches a box only once etcd holds a
 * record covering it; when etcd gives no answer, nothing is signed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../crypto/hash.h"
#include "../front/body.h"
#include "../server/reply.h"
#include "../tezos/keycodec.h"
#include "../tezos/operation.h"
#include "gateway.h"
#include "wm_txn.h"
#include "../base/clock.h"

static enum gw_outcome outcome_of(const struct err *e)
{
	switch (e->kind) {
	case ERR_CONFLICT: return GW_OUT_WATERMARK;
	case ERR_AUTH: return GW_OUT_AUTH;
	case ERR_FORBIDDEN: return GW_OUT_FORBIDDEN;
	case ERR_NOT_FOUND: return GW_OUT_UNKNOWN_KEY;
	case ERR_UNAVAILABLE: return GW_OUT_NO_BOX;
	default: return GW_OUT_MALFORMED;
	}
}

static enum MHD_Result refuse(const struct gw_request *r, const char *pkh, const struct op_info *op,
			      enum gw_outcome o, const struct err *e)
{
	char q[ERR_MSG_MAX + 64];
	gw_metrics_outcome(r->gw->metrics, o);
	log_info("event=refused pkh=%.40s kind=%s level=%u round=%u status=%u reason=%s why=%s us=%llu", pkh,
		 op_kind_name(op->kind), op->level, op->round, reply_status_of(e->kind), gw_outcome_name(o),
		 log_str(q, sizeof(q), e->msg),
		 (unsigned long long)((now_mono_ns() - r->start_ns) / 1000u));
	return reply_err(r->conn, e);
}

/* The shared watermark for a consensus request. */
static bool record_in_etcd(const struct gw_request *r, const char *pkh, const struct op_info *op,
			   const uint8_t *msg, size_t len, struct err *e)
{
	char chain[B58_MAX], key[ETCD_KEY_MAX];
	if (!chain_id_encode(chain, op->chain_id, e) ||
	    !gw_wm_key(key, sizeof(key), r->gw->config.etcd_prefix, chain, pkh, op->kind, e))
		return false;
	struct gw_wm req = { .level = op->level, .round = op->round };
	blake2b_256(req.hash, msg, len);
	struct gw_wm_result res;
	uint64_t t0 = now_mono_ns();
	bool ok = gw_wm_reserve(r->gw->etcd, r->gw->wm_cache, key, op->kind, &req, &res, e);
	bool answered = ok || e->kind == ERR_CONFLICT;
	gw_metrics_etcd(r->gw->metrics, answered, now_mono_ns() - t0, res.round_trips,
			answered ? NULL : e->msg);
	return ok;
}

static enum MHD_Result pass_on(const struct gw_request *r, struct gw_answer *a)
{
	enum MHD_Result ret = reply_text(r->conn, (unsigned)a->status, "application/json", a->body, a->len);
	a->body = NULL; /* taken over */
	return ret;
}

enum MHD_Result gw_sign(const struct gw_request *r, const char *pkh)
{
	struct err e = { 0 };
	struct op_info op = { .kind = OP_OTHER };
	struct pkh bin;
	uint8_t *msg = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	if (!pkh_decode(pkh, &bin, NULL)) {
		err_set(&e, ERR_NOT_FOUND, "no key %.40s: not a tz1…tz4 key hash", pkh);
		return refuse(r, pkh, &op, GW_OUT_UNKNOWN_KEY, &e);
	}
	if (!body_parse_hex_string(r->body, r->body_len, &msg, &len, &e))
		return refuse(r, pkh, &op, GW_OUT_MALFORMED, &e);
	if (len == 0 || !op_classify(msg, len, &op, &e) ||
	    (op.kind != OP_OTHER && !op_tag_fits_key(&op, bin.scheme, &e))) {
		if (len == 0)
			err_set(&e, ERR_MALFORMED, "nothing to sign: the bytes are empty");
		ret = refuse(r, pkh, &op, e.kind == ERR_FORBIDDEN ? GW_OUT_FORBIDDEN : GW_OUT_MALFORMED, &e);
		goto out;
	}
	if (r->gw->config.require_auth) {
		const char *auth = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "authentication");
		const struct auth_key *who;
		if (!auth_check(&r->gw->auth, &bin, msg, len, auth, &who, &e)) {
			ret = refuse(r, pkh, &op, GW_OUT_AUTH, &e);
			goto out;
		}
	}
	char *query = gw_query_string(r->conn);
	char path[GW_PKH_MAX + 1024];
	if (!query || (size_t)snprintf(path, sizeof(path), "/keys/%s%s", pkh, query) >= sizeof(path)) {
		free(query);
		err_set(&e, ERR_MALFORMED, "query string too long");
		ret = refuse(r, pkh, &op, GW_OUT_MALFORMED, &e);
		goto out;
	}
	free(query);
	struct gw_answer a;
	/* A key no box has confirmed yet is asked for first, so a key nobody
	 * holds never reaches etcd. */
	if (op.kind != OP_OTHER && !gw_boxes_holds(r->gw->boxes, pkh)) {
		char kpath[GW_PKH_MAX + 8];
		snprintf(kpath, sizeof(kpath), "/keys/%s", pkh);
		if (!gw_forward(r->gw, "GET", pkh, kpath, NULL, 0, &a, &e)) {
			ret = refuse(r, pkh, &op, outcome_of(&e), &e);
			goto out;
		}
		gw_answer_free(&a);
	}
	if (op.kind != OP_OTHER && !record_in_etcd(r, pkh, &op, msg, len, &e)) {
		ret = refuse(r, pkh, &op, e.kind == ERR_CONFLICT ? GW_OUT_WATERMARK : GW_OUT_ETCD, &e);
		goto out;
	}
	if (!gw_forward(r->gw, "POST", pkh, path, r->body, r->body_len, &a, &e)) {
		ret = refuse(r, pkh, &op, outcome_of(&e), &e);
		goto out;
	}
	gw_metrics_outcome(r->gw->metrics, a.status == 200 ? GW_OUT_SIGNED : GW_OUT_BOX_REFUSED);
	log_info("event=%s pkh=%s kind=%s level=%u round=%u box=%s retries=%u status=%ld us=%llu",
		 a.status == 200 ? "signed" : "box_refused", pkh, op_kind_name(op.kind), op.level, op.round,
		 r->gw->boxes->box[a.box].url, a.retries, a.status,
		 (unsigned long long)((now_mono_ns() - r->start_ns) / 1000u));
	ret = pass_on(r, &a);
	gw_answer_free(&a);
out:
	free(msg);
	return ret;
}
