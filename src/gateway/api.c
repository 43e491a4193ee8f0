/* api.c - the gateway's routes: the octez remote-signer API as `serve` has
 * it (keys and signatures come from the boxes), and its own monitoring. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../server/reply.h"
#include "../tezos/keycodec.h"
#include "gateway.h"

static bool is_get(const struct gw_request *r) { return strcmp(r->method, "GET") == 0; }

static const char *segment_after(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(url, prefix, n) != 0 || url[n] == '\0' || strchr(url + n, '/'))
		return NULL;
	return url + n;
}

static enum MHD_Result authorized_keys(const struct gw_request *r)
{
	if (!r->gw->config.require_auth)
		return reply_json(r->conn, MHD_HTTP_OK, json_object());
	json_t *list = json_array();
	for (size_t i = 0; i < r->gw->auth.count; i++)
		json_array_append_new(list, json_string(r->gw->auth.keys[i].pkh_text));
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:o}", "authorized_keys", list));
}

/* GET requests about one key (its public key, a BLS proof of possession):
 * the first box that holds the key answers. */
static enum MHD_Result forward_get(const struct gw_request *r, const char *pkh)
{
	struct err e = { 0 };
	struct pkh bin;
	if (!pkh_decode(pkh, &bin, NULL)) {
		err_set(&e, ERR_NOT_FOUND, "no key %.40s: not a tz1…tz4 key hash", pkh);
		return reply_err(r->conn, &e);
	}
	char *query = gw_query_string(r->conn);
	char path[1200];
	bool fits = query && (size_t)snprintf(path, sizeof(path), "%s%s", r->url, query) < sizeof(path);
	free(query);
	if (!fits) {
		err_set(&e, ERR_MALFORMED, "query string too long");
		return reply_err(r->conn, &e);
	}
	struct gw_answer a;
	if (!gw_forward(r->gw, "GET", pkh, path, NULL, 0, &a, &e))
		return reply_err(r->conn, &e);
	enum MHD_Result ret = reply_text(r->conn, (unsigned)a.status, "application/json", a.body, a.len);
	a.body = NULL;
	return ret;
}

static enum MHD_Result known_keys(const struct gw_request *r)
{
	struct gw_boxes_view *v = malloc(sizeof(*v));
	if (!v)
		return MHD_NO;
	gw_boxes_view(r->gw->boxes, v);
	json_t *list = json_array();
	for (size_t k = 0; k < v->nkey; k++)
		for (size_t i = 0; i < v->nbox; i++)
			if (v->box[i].key[k] == GW_KEY_READY || v->box[i].key[k] == GW_KEY_NOT_READY) {
				json_array_append_new(list, json_string(v->key[k]));
				break;
			}
	free(v);
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:o}", "known_keys", list));
}

static enum MHD_Result metrics_page(const struct gw_request *r)
{
	struct gw_boxes_view *v = malloc(sizeof(*v));
	if (!v)
		return MHD_NO;
	gw_boxes_view(r->gw->boxes, v);
	size_t len = 0;
	char *text = gw_metrics_render(r->gw->metrics, v, &len);
	free(v);
	if (!text)
		return MHD_NO;
	return reply_text(r->conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, len);
}

static enum MHD_Result not_found(const struct gw_request *r)
{
	struct err e = { 0 };
	err_set(&e, ERR_NOT_FOUND, "no such endpoint: %.16s %.128s", r->method, r->url);
	return reply_err(r->conn, &e);
}

enum MHD_Result gw_api_handle(const struct gw_request *r)
{
	const char *pkh;
	bool get = is_get(r);
	if (strcmp(r->url, "/authorized_keys") == 0)
		return get ? authorized_keys(r) : reply_method_not_allowed(r->conn, r->method, r->url, "GET");
	if ((pkh = segment_after(r->url, "/keys/"))) {
		if (get)
			return forward_get(r, pkh);
		if (strcmp(r->method, "POST") == 0)
			return gw_sign(r, pkh);
		return reply_method_not_allowed(r->conn, r->method, r->url, "GET, POST");
	}
	bool known = strcmp(r->url, "/known_keys") == 0 || strcmp(r->url, "/healthz") == 0 ||
		     strcmp(r->url, "/metrics") == 0 || strcmp(r->url, "/statusz") == 0 ||
		     segment_after(r->url, "/statusz/") || segment_after(r->url, "/bls_prove_possession/");
	if (known && !get)
		return reply_method_not_allowed(r->conn, r->method, r->url, "GET");
	if ((pkh = segment_after(r->url, "/bls_prove_possession/")))
		return forward_get(r, pkh);
	if (strcmp(r->url, "/known_keys") == 0)
		return known_keys(r);
	if (strcmp(r->url, "/healthz") == 0)
		return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
	if (strcmp(r->url, "/metrics") == 0)
		return metrics_page(r);
	if (strcmp(r->url, "/statusz") == 0)
		return gw_statusz(r, NULL);
	if ((pkh = segment_after(r->url, "/statusz/")))
		return gw_statusz(r, pkh);
	return not_found(r);
}
