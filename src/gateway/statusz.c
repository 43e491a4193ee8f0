/* statusz.c - GET /statusz and /statusz/<pkh> of the gateway: per key
 * which box signs and which can, the boxes' health, etcd's latency and last
 * error, refusals by reason. /statusz/<pkh> answers 200 when a box can sign
 * the key now and etcd answered its last transaction, else 503. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../server/reply.h"
#include "gateway.h"

static json_t *iso_time(uint64_t ms)
{
	if (ms == 0)
		return json_null();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static const char *state_name(enum gw_key_state s)
{
	switch (s) {
	case GW_KEY_UNKNOWN: return "unknown";
	case GW_KEY_ABSENT: return "absent";
	case GW_KEY_READY: return "ready";
	case GW_KEY_NOT_READY: return "not_ready";
	}
	return "unknown";
}

/* One key's entry; *can_sign whether a reachable box has it ready. */
static json_t *key_json(const struct gw_boxes_view *v, size_t k, bool *can_sign)
{
	json_t *boxes = json_object();
	*can_sign = false;
	for (size_t i = 0; i < v->nbox; i++) {
		enum gw_key_state s = v->box[i].key[k];
		json_object_set_new(boxes, v->box[i].url,
				    json_string(v->box[i].reachable || s == GW_KEY_ABSENT ? state_name(s)
											   : "unreachable"));
		*can_sign |= v->box[i].reachable && s == GW_KEY_READY;
	}
	int sg = v->signer[k];
	return json_pack("{s:s, s:b, s:o, s:o}", "pkh", v->key[k], "can_sign", *can_sign, "signer",
			 sg >= 0 ? json_string(v->box[sg].url) : json_null(), "boxes", boxes);
}

static json_t *etcd_json(const struct etcd *c, const struct gw_metrics *m)
{
	json_t *eps = json_array();
	for (size_t i = 0; i < c->count; i++)
		json_array_append_new(eps, json_string(c->endpoints[i]));
	json_t *o = json_pack("{s:o, s:o, s:I, s:I, s:I}", "endpoints", eps, "last_ok",
			      iso_time(m->etcd_last_ok_ms), "transactions", (json_int_t)m->etcd_count,
			      "errors", (json_int_t)m->etcd_errors, "round_trips",
			      (json_int_t)m->etcd_round_trips);
	if (o && m->etcd_count > 0) {
		json_object_set_new(o, "last_ms", json_real(m->etcd_last_ms));
		json_object_set_new(o, "mean_ms", json_real(m->etcd_sum_s * 1e3 / (double)m->etcd_count));
	}
	if (o && m->etcd_last_error[0])
		json_object_set_new(o, "last_error", json_string(m->etcd_last_error));
	return o;
}

static bool etcd_fine(const struct gw_metrics *m)
{
	/* Fine unless the last transaction got no answer from etcd. */
	return m->etcd_last_error_ms == 0 || m->etcd_last_ok_ms >= m->etcd_last_error_ms;
}

enum MHD_Result gw_statusz(const struct gw_request *r, const char *pkh)
{
	struct gw_boxes_view *v = malloc(sizeof(*v));
	struct gw_metrics *m = malloc(sizeof(*m));
	if (!v || !m) {
		free(v);
		free(m);
		return MHD_NO;
	}
	gw_boxes_view(r->gw->boxes, v);
	gw_metrics_copy(r->gw->metrics, m);
	json_t *body = NULL;
	bool ok = false;
	if (pkh) {
		for (size_t k = 0; k < v->nkey && !body; k++)
			if (strcmp(v->key[k], pkh) == 0)
				body = key_json(v, k, &ok);
		if (!body) {
			free(v);
			free(m);
			struct err e = { 0 };
			err_set(&e, ERR_NOT_FOUND, "no box behind this gateway has shown key %.40s", pkh);
			return reply_err(r->conn, &e);
		}
		ok &= etcd_fine(m);
	} else {
		json_t *keys = json_array(), *boxes = json_array(), *refusals = json_object();
		ok = v->nkey > 0;
		for (size_t k = 0; k < v->nkey; k++) {
			bool one;
			json_array_append_new(keys, key_json(v, k, &one));
			ok &= one;
		}
		for (size_t i = 0; i < v->nbox; i++)
			json_array_append_new(boxes, json_pack("{s:s, s:b, s:o, s:s, s:I}", "url", v->box[i].url,
							       "reachable", v->box[i].reachable, "checked",
							       iso_time(v->box[i].checked_ms), "last_error",
							       v->box[i].last_error, "failures",
							       (json_int_t)v->box[i].failures));
		for (int o = 1; o < GW_OUTCOMES; o++)
			json_object_set_new(refusals, gw_outcome_name((enum gw_outcome)o),
					    json_integer((json_int_t)m->outcome[o]));
		ok &= etcd_fine(m);
		body = json_pack("{s:b, s:I, s:I, s:o, s:o, s:o, s:o}", "can_sign", ok, "signed",
				 (json_int_t)m->outcome[GW_OUT_SIGNED], "retries", (json_int_t)m->retries,
				 "refusals", refusals, "etcd", etcd_json(r->gw->etcd, m), "boxes", boxes,
				 "keys", keys);
	}
	free(v);
	free(m);
	return reply_json(r->conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
}
