/* forward.c - a request to the boxes, one after the other until one
 * decides. A box that gives no answer (timeout, connection refused or
 * lost) or a 5xx is skipped and the same bytes go to the next: identical
 * bytes at the same (level, round) are not a double signature, and every
 * scheme here signs deterministically. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "gateway.h"

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	(void)kind;
	char **q = cls;
	if (!*q)
		return MHD_NO;
	char *k = curl_easy_escape(NULL, key, 0);
	char *v = value ? curl_easy_escape(NULL, value, 0) : NULL;
	char *grown = NULL;
	if (k && (v || !value) &&
	    asprintf(&grown, "%s%c%s%s%s", *q, (*q)[0] ? '&' : '?', k, value ? "=" : "", v ? v : "") < 0)
		grown = NULL;
	curl_free(k);
	curl_free(v);
	free(*q);
	*q = grown;
	return grown ? MHD_YES : MHD_NO;
}

char *gw_query_string(struct MHD_Connection *conn)
{
	char *q = calloc(1, 1);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &q);
	return q;
}

void gw_answer_free(struct gw_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}

bool gw_forward(struct gateway *gw, const char *method, const char *pkh, const char *path_query,
		const char *body, size_t body_len, struct gw_answer *out, struct err *e)
{
	int order[GW_MAX_BOXES];
	size_t n = gw_boxes_order(gw->boxes, pkh, order);
	memset(out, 0, sizeof(*out));
	out->box = -1;
	char last[ERR_MSG_MAX] = "";
	size_t absent = 0;
	bool is_sign = strcmp(method, "POST") == 0;
	for (size_t i = 0; i < n; i++) {
		const char *base = gw->boxes->box[order[i]].url;
		char url[GW_BOX_URL_MAX + 1024];
		if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path_query) >= sizeof(url))
			return err_set(e, ERR_MALFORMED, "request path and query over %zu bytes", sizeof(url) - GW_BOX_URL_MAX);
		struct gw_http_req req = { .method = method, .url = url, .body = body, .body_len = body_len,
					   .timeout_ms = gw->config.box_timeout_ms,
					   .connect_timeout_ms = gw->config.box_timeout_ms };
		struct gw_http_answer ans;
		struct err ex = { 0 };
		bool answered = gw_http_exchange(&req, &ans, NULL, &ex);
		if (answered && ans.status == 404) {
			gw_boxes_report(gw->boxes, order[i], pkh, GW_BOX_ABSENT, NULL);
			absent++;
			gw_http_answer_free(&ans);
			continue;
		}
		if (!answered || ans.status >= 500) {
			if (answered)
				snprintf(ex.msg, sizeof(ex.msg), "%.120s answered %ld: %.160s", url, ans.status, ans.body);
			gw_boxes_report(gw->boxes, order[i], pkh,
					answered && ans.status == 503 ? GW_BOX_NOT_READY : GW_BOX_FAILED, ex.msg);
			if (answered)
				gw_http_answer_free(&ans);
			char q[ERR_MSG_MAX + 64];
			log_warn("event=box_failed box=%s pkh=%s method=%s reason=%s", base, pkh, method,
				 log_str(q, sizeof(q), ex.msg));
			snprintf(last, sizeof(last), "%s", ex.msg);
			out->retries++;
			if (is_sign && i + 1 < n)
				gw_metrics_retry(gw->metrics);
			continue;
		}
		gw_boxes_report(gw->boxes, order[i], pkh,
				is_sign && ans.status == 200 ? GW_BOX_SIGNED : GW_BOX_HOLDS, NULL);
		out->status = ans.status;
		out->body = ans.body;
		out->len = ans.len;
		out->box = order[i];
		return true;
	}
	if (absent == n)
		return err_set(e, ERR_NOT_FOUND, "no box behind this gateway holds key %s", pkh);
	return err_set(e, ERR_UNAVAILABLE, "no box could answer for %s (%zu tried; last: %s)", pkh,
		       n - absent, last);
}
