/* etcd.c - calls to an etcd cluster, trying each endpoint in turn. */
#include "etcd.h"

#include "../base/json_secure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


bool etcd_init(struct etcd *c, const char *urls, const struct gw_tls *tls, long timeout_ms,
	       struct err *e)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = timeout_ms;
	if (tls && (tls->cacert || tls->cert || tls->key)) {
		c->tls = *tls;
		c->use_tls = true;
	}
	const char *p = urls;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= ETCD_URL_MAX)
			return err_set(e, ERR_MALFORMED, "--etcd '%.200s': an empty or over-long URL", urls);
		if (c->count == ETCD_MAX_ENDPOINTS)
			return err_set(e, ERR_MALFORMED, "--etcd: more than %d endpoints", ETCD_MAX_ENDPOINTS);
		char *u = c->endpoints[c->count];
		memcpy(u, p, n);
		u[n] = '\0';
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			return err_set(e, ERR_MALFORMED,
				       "--etcd '%s': expected http://HOST:PORT or https://HOST:PORT", u);
		c->count++;
		p += n;
		if (*p == ',')
			p++;
	}
	if (c->count == 0)
		return err_set(e, ERR_MALFORMED, "--etcd: no endpoint given");
	atomic_init(&c->preferred, 0);
	return true;
}

/* POSTs body to path on each endpoint until one answers 200. */
static bool call(struct etcd *c, const char *path, const char *body, struct gw_http_answer *ans,
		 struct err *e)
{
	size_t first = atomic_load(&c->preferred) % c->count;
	char last[ERR_MSG_MAX] = "no endpoint tried";
	for (size_t i = 0; i < c->count; i++) {
		size_t at = (first + i) % c->count;
		char url[ETCD_URL_MAX + 32];
		snprintf(url, sizeof(url), "%s%s", c->endpoints[at], path);
		struct gw_http_req req = {
			.method = "POST", .url = url, .body = body, .body_len = strlen(body),
			.timeout_ms = c->timeout_ms, .connect_timeout_ms = c->timeout_ms,
			.tls = c->use_tls ? &c->tls : NULL,
		};
		struct err ex = { 0 };
		if (!gw_http_exchange(&req, ans, NULL, &ex)) {
			snprintf(last, sizeof(last), "%s", ex.msg);
			continue;
		}
		if (ans->status == 200) {
			atomic_store(&c->preferred, at);
			return true;
		}
		char msg[220];
		etcd_json_error_message(ans->body, ans->len, msg, sizeof(msg));
		snprintf(last, sizeof(last), "%.100s answered %ld: %.180s", url, ans->status, msg);
		gw_http_answer_free(ans);
	}
	return err_set(e, ERR_UNAVAILABLE, "etcd unavailable (no quorum or no member reachable; last: %s)",
		       last);
}

bool etcd_swap(struct etcd *c, const char *key, int64_t seen_mod_revision, const char *value,
	       struct etcd_swap *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	char *body = etcd_json_swap_request(key, seen_mod_revision, value, e);
	if (!body)
		return false;
	struct gw_http_answer ans;
	bool ok = call(c, "/v3/kv/txn", body, &ans, e);
	json_free_text(body);
	if (!ok)
		return false;
	ok = etcd_json_parse_swap(ans.body, ans.len, key, value != NULL, out, e);
	gw_http_answer_free(&ans);
	return ok;
}
