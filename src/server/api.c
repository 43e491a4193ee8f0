/* api.c - the octez remote-signer HTTP API (design §2.1). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../base/log.h"
#include "../crypto/sign.h"
#include "../health/health.h"
#include "../tezos/keycodec.h"
#include "../tezos/sig_version.h"
#include "audit.h"
#include "../front/body.h"
#include "reply.h"
#include "request.h"
#include "server.h"
#include "statusz.h"

static bool is_get(const struct request *r) { return strcmp(r->method, "GET") == 0; }
static bool is_post(const struct request *r) { return strcmp(r->method, "POST") == 0; }

static unsigned long elapsed_us(const struct request *r)
{
	return (unsigned long)((monotonic_ns() - r->start_ns) / 1000u);
}

static enum MHD_Result refuse(const struct request *r, const struct err *e, const char *pkh)
{
	char q[ERR_MSG_MAX + 64];
	log_info("event=refused method=%s path=%.80s pkh=%s status=%u reason=%s us=%lu", r->method,
		 r->url, pkh ? pkh : "-", reply_status_of(e->kind), log_str(q, sizeof(q), e->msg),
		 elapsed_us(r));
	return reply_err(r->conn, e);
}

static enum MHD_Result authorized_keys(const struct request *r)
{
	const struct guard *g = r->server->guard;
	/* Without -A octez answers {}; with it, the hashes of the keys allowed. */
	if (!g->require_auth)
		return reply_json(r->conn, MHD_HTTP_OK, json_object());
	json_t *list = json_array();
	for (size_t i = 0; i < g->auth.count; i++)
		json_array_append_new(list, json_string(g->auth.keys[i].pkh_text));
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:o}", "authorized_keys", list));
}

static enum MHD_Result known_keys(const struct request *r)
{
	const struct vault *v = r->server->guard->vault;
	json_t *list = json_array();
	for (size_t i = 0; i < v->count; i++)
		json_array_append_new(list, json_string(v->keys[i].pkh_text));
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:o}", "known_keys", list));
}

static enum MHD_Result public_key(const struct request *r, const char *pkh)
{
	const struct vault_key *k;
	struct err e = { 0 };
	if (!guard_find_key(r->server->guard, pkh, &k, &e))
		return refuse(r, &e, pkh);
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:s}", "public_key", k->pk_text));
}

/* ?version= picks how the key signs (src/tezos/sig_version.h). A version
 * refused for the key's type (0 for tz4) is refused here; an unknown key is
 * left to guard_sign, which says so in its own order of checks. */
static bool parse_version(const struct request *r, const char *pkh, enum bls_mode *mode,
			  struct err *e)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "version");
	unsigned version;
	const struct vault_key *k;
	struct err ignored = { 0 };
	*mode = BLS_MODE_POP;
	if (!sig_version_parse(v, &version, e))
		return false;
	if (!guard_find_key(r->server->guard, pkh, &k, &ignored))
		return true;
	return sig_version_scheme(version, k->pk.scheme, mode, e) && vault_key_signs_mode(k, *mode, e);
}

static void audit(const struct request *r, const char *pkh, const struct sign_result *res,
		  const struct err *e, size_t len)
{
	audit_sign(NULL, pkh, res, e, len, r->start_ns);
}

static enum MHD_Result sign(const struct request *r, const char *pkh)
{
	struct err e = { 0 };
	struct sign_request sr = { .pkh_text = pkh };
	struct sign_result res;
	uint8_t *msg = NULL;
	memset(&res, 0, sizeof(res));
	if (!parse_version(r, pkh, &sr.bls_mode, &e) ||
	    !body_parse(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
			r->body, r->body_len, &msg, &sr.len, &e)) {
		audit(r, pkh, &res, &e, 0);
		metrics_observe_sign(r->server->metrics, NULL, false, OP_OTHER,
				     OUTCOME_REFUSED_MALFORMED, 0);
		return reply_err(r->conn, &e);
	}
	sr.msg = msg;
	sr.authentication = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "authentication");
	bool ok = guard_sign(r->server->guard, &sr, &res, &e);
	if (!ok && res.op.magic == 0 && sr.len > 0)
		res.op.magic = msg[0];
	free(msg);
	audit(r, pkh, &res, ok ? NULL : &e, sr.len);
	metrics_observe_sign(r->server->metrics, res.key, res.classified, res.op.kind,
			     metrics_outcome_of_status(ok ? 200 : reply_status_of(e.kind), res.reanswered),
			     monotonic_ns() - r->start_ns);
	if (!ok)
		return reply_err(r->conn, &e);
	if (r->server->metrics && res.key)
		recent_note(&r->server->metrics->recent, (size_t)(res.key - r->server->guard->vault->keys),
			    &res.op, monotonic_ns() - r->start_ns, health_now_ms());
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:s}", "signature", res.signature));
}

static enum MHD_Result prove_possession(const struct request *r, const char *pkh)
{
	struct err e = { 0 };
	struct public_key other;
	const char *override = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "bls_pk");
	if (override && (!public_key_decode(override, &other, &e) ||
			 (other.scheme != SCHEME_BLS &&
			  !err_set(&e, ERR_MALFORMED, "bls_pk '%.80s' is not a BLpk key", override))))
		return refuse(r, &e, pkh);
	struct signature sig;
	char text[B58_MAX];
	if (!guard_prove_possession(r->server->guard, pkh, override ? other.bytes : NULL, &sig, &e) ||
	    !signature_encode(text, &sig, &e))
		return refuse(r, &e, pkh);
	log_info("event=proved_possession pkh=%s us=%lu", pkh, elapsed_us(r));
	return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:s}", "bls_prove_possession", text));
}

/* Returns the path segment after prefix when url is prefix + one segment. */
static const char *segment_after(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(url, prefix, n) != 0)
		return NULL;
	const char *rest = url + n;
	if (*rest == '\0' || strchr(rest, '/'))
		return NULL;
	return rest;
}

static enum MHD_Result not_found(const struct request *r)
{
	struct err e = { 0 };
	err_set(&e, ERR_NOT_FOUND, "no such endpoint: %.16s %.128s", r->method, r->url);
	return refuse(r, &e, NULL);
}

static enum MHD_Result disabled(const struct request *r, const char *flag)
{
	struct err e = { 0 };
	err_set(&e, ERR_NOT_FOUND, "%.128s is disabled on this signer (start it with %s)", r->url, flag);
	return refuse(r, &e, NULL);
}

static struct statusz_source status_source(const struct request *r)
{
	return (struct statusz_source){ r->server->guard->vault, r->server->config.health,
					r->server->metrics };
}

static enum MHD_Result statusz_page(const struct request *r)
{
	size_t len = 0;
	struct statusz_source src = status_source(r);
	char *page = statusz_page_html(&src, &len);
	if (!page) {
		struct err e = { 0 };
		err_set(&e, ERR_INTERNAL, "out of memory for the status page");
		return reply_err(r->conn, &e);
	}
	return reply_text(r->conn, MHD_HTTP_OK, "text/html; charset=utf-8", page, len);
}

static enum MHD_Result statusz_key(const struct request *r, const char *pkh)
{
	const struct vault_key *k;
	struct err e = { 0 };
	bool can_sign;
	if (!guard_find_key(r->server->guard, pkh, &k, &e))
		return refuse(r, &e, pkh);
	struct statusz_source src = status_source(r);
	json_t *body = statusz_key_json(&src, k, &can_sign);
	return reply_json(r->conn, can_sign ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

static enum MHD_Result statusz_all(const struct request *r)
{
	bool all;
	struct statusz_source src = status_source(r);
	json_t *body = statusz_body(&src, &all);
	if (!body) {
		struct err e = { 0 };
		err_set(&e, ERR_INTERNAL, "out of memory for the status");
		return reply_err(r->conn, &e);
	}
	return reply_json(r->conn, all ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

static bool monitoring_path(const char *url)
{
	return strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0 ||
	       strcmp(url, "/statusz") == 0 || strncmp(url, "/statusz/", 9) == 0 ||
	       strcmp(url, "/") == 0 || strcmp(url, "/status.html") == 0;
}

static enum MHD_Result metrics_page(const struct request *r)
{
	size_t len = 0;
	char *text = r->server->metrics ? metrics_render(r->server->metrics, true, &len) : NULL;
	if (!text) {
		struct err e = { 0 };
		err_set(&e, ERR_INTERNAL, "metrics unavailable");
		return reply_err(r->conn, &e);
	}
	return reply_text(r->conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, len);
}

static enum http_route route_of(const char *url)
{
	if (strcmp(url, "/authorized_keys") == 0)
		return ROUTE_AUTHORIZED_KEYS;
	if (strncmp(url, "/keys/", 6) == 0)
		return ROUTE_SIGN;
	if (strncmp(url, "/bls_prove_possession/", 22) == 0)
		return ROUTE_POP;
	if (strcmp(url, "/known_keys") == 0)
		return ROUTE_KNOWN_KEYS;
	if (strcmp(url, "/healthz") == 0 || strncmp(url, "/statusz", 8) == 0 ||
	    strcmp(url, "/") == 0 || strcmp(url, "/status.html") == 0)
		return ROUTE_HEALTH;
	if (strcmp(url, "/metrics") == 0)
		return ROUTE_METRICS;
	return ROUTE_OTHER;
}

static enum MHD_Result dispatch(const struct request *r);

enum MHD_Result api_handle(const struct request *r)
{
	reply_reset_status();
	enum MHD_Result ret = dispatch(r);
	enum http_route route = route_of(r->url);
	if (route == ROUTE_SIGN && !is_post(r))
		route = ROUTE_PUBLIC_KEY;
	metrics_observe_http(r->server->metrics, route, reply_last_status());
	return ret;
}

static enum MHD_Result dispatch(const struct request *r)
{
	const struct server_config *cfg = &r->server->config;
	const char *pkh;
	if (cfg->monitoring_only && !monitoring_path(r->url))
		return not_found(r);
	if (strcmp(r->url, "/authorized_keys") == 0)
		return is_get(r) ? authorized_keys(r) : reply_method_not_allowed(r->conn, r->method, r->url, "GET");
	if ((pkh = segment_after(r->url, "/keys/"))) {
		if (is_get(r))
			return public_key(r, pkh);
		if (is_post(r))
			return sign(r, pkh);
		return reply_method_not_allowed(r->conn, r->method, r->url, "GET, POST");
	}
	if ((pkh = segment_after(r->url, "/bls_prove_possession/"))) {
		if (!is_get(r))
			return reply_method_not_allowed(r->conn, r->method, r->url, "GET");
		if (!cfg->allow_prove_possession)
			return disabled(r, "--allow-to-prove-possession");
		return prove_possession(r, pkh);
	}
	if (strcmp(r->url, "/known_keys") == 0) {
		if (!is_get(r))
			return reply_method_not_allowed(r->conn, r->method, r->url, "GET");
		if (!cfg->allow_list_known_keys)
			return disabled(r, "--allow-list-known-keys");
		return known_keys(r);
	}
	if (monitoring_path(r->url) && !is_get(r))
		return reply_method_not_allowed(r->conn, r->method, r->url, "GET");
	if (strcmp(r->url, "/healthz") == 0)
		return reply_json(r->conn, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
	if (strcmp(r->url, "/metrics") == 0)
		return metrics_page(r);
	if (strcmp(r->url, "/statusz") == 0)
		return statusz_all(r);
	/* The page only on the local status port, not on the API port the
	 * tunnel exposes (/statusz there is for the forwarder's check). */
	if (r->server->config.monitoring_only &&
	    (strcmp(r->url, "/") == 0 || strcmp(r->url, "/status.html") == 0))
		return statusz_page(r);
	if ((pkh = segment_after(r->url, "/statusz/")))
		return statusz_key(r, pkh);
	return not_found(r);
}
