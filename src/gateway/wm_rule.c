/* wm_rule.c - the gateway's watermark record and rule. */
#include "wm_rule.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "../base/hex.h"
#include "../guard/watermark.h"

enum gw_wm_verdict gw_wm_decide(const struct gw_wm *stored, enum op_kind kind,
				const struct gw_wm *req, struct err *e)
{
	if (!stored)
		return GW_WM_ADVANCE;
	/* The box's own ordering of (level, round): one copy of the rule. */
	int order = wm_order_cmp(req->level, req->round, stored->level, stored->round);
	if (order > 0)
		return GW_WM_ADVANCE;
	if (order == 0) {
		if (sodium_memcmp(req->hash, stored->hash, HASH_BYTES) == 0)
			return GW_WM_SAME;
		err_set(e, ERR_CONFLICT,
			"%s level %u and round %u already signed with different bytes (high watermark (%u, %u), shared by the gateways)",
			op_kind_name(kind), req->level, req->round, stored->level, stored->round);
		return GW_WM_REFUSE;
	}
	err_set(e, ERR_CONFLICT,
		"%s level %u and round %u not above high watermark (%u, %u) (shared by the gateways)",
		op_kind_name(kind), req->level, req->round, stored->level, stored->round);
	return GW_WM_REFUSE;
}

void gw_wm_format(char out[static GW_WM_TEXT_MAX], const struct gw_wm *w)
{
	char hex[2 * HASH_BYTES + 1];
	hex_encode(hex, w->hash, HASH_BYTES);
	snprintf(out, GW_WM_TEXT_MAX, "{\"level\":%u,\"round\":%u,\"hash\":\"%s\"}", w->level, w->round,
		 hex);
}

static bool u31(json_t *v, uint32_t *out)
{
	if (!json_is_integer(v))
		return false;
	json_int_t n = json_integer_value(v);
	if (n < 0 || n > INT32_MAX)
		return false;
	*out = (uint32_t)n;
	return true;
}

bool gw_wm_parse(const char *text, size_t len, struct gw_wm *out, struct err *e)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *hash = v ? json_object_get(v, "hash") : NULL;
	size_t hl = 0;
	bool ok = json_is_object(v) && json_object_size(v) == 3 &&
		  u31(json_object_get(v, "level"), &out->level) &&
		  u31(json_object_get(v, "round"), &out->round) && json_is_string(hash) &&
		  json_string_length(hash) == 2 * HASH_BYTES &&
		  hex_decode(out->hash, HASH_BYTES, &hl, json_string_value(hash), 2 * HASH_BYTES, NULL) &&
		  hl == HASH_BYTES;
	json_decref(v);
	if (!ok)
		return err_set(e, ERR_UNAVAILABLE,
			       "the watermark record in etcd is not {\"level\":N,\"round\":R,\"hash\":\"<64 hex>\"} (%zu bytes): fix or delete it with etcdctl",
			       len);
	return true;
}

bool gw_wm_key(char *out, size_t cap, const char *prefix, const char *chain, const char *pkh,
	       enum op_kind kind, struct err *e)
{
	int n = snprintf(out, cap, "%s/%s/%s/%s", prefix, chain, pkh, op_kind_name(kind));
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_MALFORMED, "watermark key for %.40s under prefix '%.80s' is too long",
			       pkh, prefix);
	return true;
}
