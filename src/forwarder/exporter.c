/* exporter.c - the forwarder's metrics, status and readiness answers. */
#include "exporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../base/json_secure.h"
#include "serve.h"
#include "serve_int.h"
#include "status_page.h"
#include "../base/strbuf.h"
#include "../base/clock.h"

static const char *tri_name(int v) { return v == TRI_UP ? "up" : v == TRI_DOWN ? "down" : "unknown"; }

static const char *iso(int64_t ms, char *out, size_t cap)
{
	if (ms <= 0) {
		out[0] = '\0';
		return out;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static void gauge(struct strbuf *b, const char *name, const char *help, const char *type)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static char *fwd_metrics_text(const struct fwd_state *s)
{
	struct strbuf b = { 0 };
	const struct signers *sg = &s->r.signers;
	gauge(&b, "tzsigner_forwarder_up", "The forwarder runs.", "gauge");
	sb_printf(&b, "tzsigner_forwarder_up 1\n");
	gauge(&b, "tzsigner_forwarder_start_time_seconds", "When the forwarder started (Unix time).", "gauge");
	sb_printf(&b, "tzsigner_forwarder_start_time_seconds %lld\n", (long long)(s->start_ms / 1000));
	gauge(&b, "tzsigner_forwarder_ready", "The SSH listener is up and sshd accepted the rendered files.",
	      "gauge");
	sb_printf(&b, "tzsigner_forwarder_ready %d\n", s->ready ? 1 : 0);
	gauge(&b, "tzsigner_forwarder_boxes", "Boxes in the signers file.", "gauge");
	sb_printf(&b, "tzsigner_forwarder_boxes %zu\n", sg->n);
	gauge(&b, "tzsigner_forwarder_connections", "SSH connections now, by state.", "gauge");
	sb_printf(&b, "tzsigner_forwarder_connections{state=\"unauthenticated\"} %u\n", s->unauthenticated);
	sb_printf(&b, "tzsigner_forwarder_connections{state=\"authenticated\"} %zu\n",
		  s->n_children - s->unauthenticated);
	gauge(&b, "tzsigner_forwarder_connections_accepted_total", "SSH connections handed to sshd.",
	      "counter");
	sb_printf(&b, "tzsigner_forwarder_connections_accepted_total %llu\n",
		  (unsigned long long)s->accepted_total);
	gauge(&b, "tzsigner_forwarder_connections_dropped_total",
	      "SSH connections closed at once by the limit they hit, or ended unauthenticated to make room "
	      "for a source with fewer (evicted).",
	      "counter");
	for (int v = ADMIT_EVICT; v <= ADMIT_DROP_FULL; v++)
		sb_printf(&b, "tzsigner_forwarder_connections_dropped_total{reason=\"%s\"} %llu\n",
			  admit_verdict_name((enum admit_verdict)v), (unsigned long long)s->dropped_total[v]);
	sb_printf(&b, "tzsigner_forwarder_connections_dropped_total{reason=\"connection_limit\"} %llu\n",
		  (unsigned long long)s->dropped_limit_total);
	gauge(&b, "tzsigner_forwarder_takeovers_total",
	      "Logins of a box's key that ended the box's older session.", "counter");
	sb_printf(&b, "tzsigner_forwarder_takeovers_total %llu\n", (unsigned long long)s->takeovers_total);
	gauge(&b, "tzsigner_forwarder_renders_total", "Renders of the sshd files, by outcome.", "counter");
	sb_printf(&b, "tzsigner_forwarder_renders_total{outcome=\"ok\"} %llu\n",
		  (unsigned long long)s->renders_total);
	sb_printf(&b, "tzsigner_forwarder_renders_total{outcome=\"failed\"} %llu\n",
		  (unsigned long long)s->render_failures_total);

	struct {
		const char *name, *help, *type;
	} per_box[] = {
		{ "tzsigner_forwarder_box_info", "A box of the signers file (value 1).", "gauge" },
		{ "tzsigner_forwarder_box_tunnel_up", "Something listens on the box's port P: its tunnel is up.",
		  "gauge" },
		{ "tzsigner_forwarder_box_signer_up",
		  "The box's signer answered the last check through its tunnel with HTTP 200.", "gauge" },
		{ "tzsigner_forwarder_box_check_seconds", "Duration of the last check through the tunnel.",
		  "gauge" },
		{ "tzsigner_forwarder_box_last_up_timestamp_seconds", "Unix time of the last good check.",
		  "gauge" },
		{ "tzsigner_forwarder_box_sessions", "Authenticated SSH sessions with the box's key.", "gauge" },
		{ "tzsigner_forwarder_box_logins_total", "SSH logins with the box's key.", "counter" },
		{ "tzsigner_forwarder_box_forwards_refused_total",
		  "Forwarding requests of the box that sshd refused (not its ports).", "counter" },
		{ "tzsigner_forwarder_box_checks_total", "Checks through the tunnel, by result.", "counter" },
	};
	for (size_t m = 0; m < sizeof(per_box) / sizeof(per_box[0]); m++) {
		gauge(&b, per_box[m].name, per_box[m].help, per_box[m].type);
		for (size_t i = 0; i < sg->n; i++) {
			const struct signer *x = &sg->v[i];
			const struct fwd_box_state *st = &s->boxes[i];
			char lbl[160];
			snprintf(lbl, sizeof(lbl), "box=\"%s\",port=\"%u\"", x->name, (unsigned)x->port);
			switch (m) {
			case 0:
				sb_printf(&b, "%s{%s,ssh_port=\"%u\",key_type=\"%s\",fingerprint=\"%s\"} 1\n",
					  per_box[m].name, lbl, (unsigned)x->port + SIGNER_PORT_OFFSET,
					  sshkey_type_name(x->key.type), x->key.fingerprint);
				break;
			case 1: sb_printf(&b, "%s{%s} %d\n", per_box[m].name, lbl, st->tunnel == TRI_UP); break;
			case 2: sb_printf(&b, "%s{%s} %d\n", per_box[m].name, lbl, st->signer == TRI_UP); break;
			case 3: sb_printf(&b, "%s{%s} %.6f\n", per_box[m].name, lbl, st->check_seconds); break;
			case 4:
				sb_printf(&b, "%s{%s} %lld\n", per_box[m].name, lbl, (long long)(st->last_up_ms / 1000));
				break;
			case 5: sb_printf(&b, "%s{%s} %u\n", per_box[m].name, lbl, st->sessions); break;
			case 6:
				sb_printf(&b, "%s{%s} %llu\n", per_box[m].name, lbl,
					  (unsigned long long)st->logins_total);
				break;
			case 7:
				sb_printf(&b, "%s{%s} %llu\n", per_box[m].name, lbl,
					  (unsigned long long)st->forwards_refused_total);
				break;
			default:
				sb_printf(&b, "%s{%s,result=\"ok\"} %llu\n", per_box[m].name, lbl,
					  (unsigned long long)st->checks_ok);
				sb_printf(&b, "%s{%s,result=\"tunnel_down\"} %llu\n", per_box[m].name, lbl,
					  (unsigned long long)st->checks_tunnel_down);
				sb_printf(&b, "%s{%s,result=\"no_answer\"} %llu\n", per_box[m].name, lbl,
					  (unsigned long long)st->checks_no_answer);
				break;
			}
		}
	}
	return sb_take(&b);
}

static json_t *box_json(const struct fwd_state *s, size_t i)
{
	const struct signer *x = &s->r.signers.v[i];
	const struct fwd_box_state *st = &s->boxes[i];
	char path[64], since[32], last[32];
	return json_pack("{s:s,s:i,s:i,s:s,s:s,s:s,s:s,s:s,s:i,s:f,s:s,s:s,s:s,s:i,s:I,s:I}",
			 "name", x->name, "port", (int)x->port, "ssh_port",
			 (int)x->port + SIGNER_PORT_OFFSET, "key_type", sshkey_type_name(x->key.type),
			 "fingerprint", x->key.fingerprint, "check", signer_check_path(x, path, sizeof(path)),
			 "tunnel", tri_name(st->tunnel), "signer", tri_name(st->signer), "http_status",
			 st->http_status, "check_ms", st->check_seconds * 1000.0, "since",
			 iso(st->since_ms, since, sizeof(since)), "last_up", iso(st->last_up_ms, last, sizeof(last)),
			 "error", st->error, "sessions", (int)st->sessions, "logins",
			 (json_int_t)st->logins_total, "forwards_refused", (json_int_t)st->forwards_refused_total);
}

static char *dump(json_t *j)
{
	return json_dump_line(j);
}

static char *fwd_status_json(const struct fwd_state *s)
{
	json_t *boxes = json_array();
	if (!boxes)
		return NULL;
	for (size_t i = 0; i < s->r.signers.n; i++)
		if (json_array_append_new(boxes, box_json(s, i)) != 0) {
			json_decref(boxes);
			return NULL;
		}
	char started[32];
	json_t *root = json_pack(
		"{s:b,s:s,s:s,s:s,s:s,s:o,s:{s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "ready", s->ready, "listen",
		s->listen_text, "user", s->r.user, "host_key", s->r.host_key.fingerprint, "started",
		iso(s->start_ms, started, sizeof(started)), "boxes", boxes, "connections",
		"unauthenticated", (int)s->unauthenticated, "authenticated",
		(int)(s->n_children - s->unauthenticated), "accepted", (json_int_t)s->accepted_total,
		"dropped_unauthenticated_limit", (json_int_t)s->dropped_total[ADMIT_DROP_FULL],
		"dropped_per_source_limit", (json_int_t)s->dropped_total[ADMIT_DROP_PER_SOURCE],
		"dropped_early", (json_int_t)s->dropped_total[ADMIT_DROP_EARLY],
		"evicted", (json_int_t)s->dropped_total[ADMIT_EVICT], "takeovers",
		(json_int_t)s->takeovers_total,
		"dropped_connection_limit", (json_int_t)s->dropped_limit_total);
	return dump(root);
}

bool fwd_http_request_line(const char *req, size_t len, char *method, size_t mcap, char *path,
			   size_t pcap)
{
	const char *sp1 = memchr(req, ' ', len);
	if (!sp1 || (size_t)(sp1 - req) >= mcap || sp1 == req)
		return false;
	const char *rest = sp1 + 1;
	size_t rl = len - (size_t)(rest - req);
	const char *sp2 = memchr(rest, ' ', rl);
	if (!sp2 || (size_t)(sp2 - rest) >= pcap || sp2 == rest || rest[0] != '/')
		return false;
	if ((size_t)(len - (size_t)(sp2 + 1 - req)) < 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return false;
	memcpy(method, req, (size_t)(sp1 - req));
	method[sp1 - req] = '\0';
	memcpy(path, rest, (size_t)(sp2 - rest));
	path[sp2 - rest] = '\0';
	for (char *p = path; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return false;
	char *qm = strchr(path, '?');
	if (qm)
		*qm = '\0';
	return true;
}

static bool text_answer(struct http_answer *a, int status, const char *text)
{
	a->status = status;
	a->content_type = "text/plain; charset=utf-8";
	size_t n = strlen(text);
	a->body = malloc(n + 1);
	if (!a->body)
		return false;
	memcpy(a->body, text, n + 1);
	return true;
}

bool fwd_http_route(const struct fwd_state *s, const char *method, const char *path,
		    struct http_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return text_answer(a, 405, "only GET\n");
	if (strcmp(path, "/metrics") == 0) {
		a->status = 200;
		a->content_type = "text/plain; version=0.0.4; charset=utf-8";
		a->body = fwd_metrics_text(s);
		return a->body != NULL;
	}
	if (strcmp(path, "/status") == 0) {
		a->status = 200;
		a->content_type = "application/json";
		a->body = fwd_status_json(s);
		return a->body != NULL;
	}
	if (strcmp(path, "/") == 0 || strcmp(path, "/status.html") == 0) {
		size_t len;
		a->status = 200;
		a->content_type = "text/html; charset=utf-8";
		a->body = fwd_status_page_html(s, now_wall_ms(), &len);
		return a->body != NULL;
	}
	if (strcmp(path, "/healthz") == 0)
		return text_answer(a, 200, "ok\n");
	if (strcmp(path, "/readyz") == 0)
		return text_answer(a, s->ready ? 200 : 503, s->ready ? "ready\n" : "not ready\n");
	if (strncmp(path, "/ready/", 7) == 0) {
		int i = signers_find_name(&s->r.signers, path + 7);
		if (i < 0)
			return text_answer(a, 404, "no such box\n");
		const struct fwd_box_state *st = &s->boxes[i];
		a->status = st->signer == TRI_UP ? 200 : 503;
		a->content_type = "application/json";
		a->body = dump(json_pack("{s:s,s:s,s:s,s:s}", "box", path + 7, "tunnel", tri_name(st->tunnel),
					 "signer", tri_name(st->signer), "error", st->error));
		return a->body != NULL;
	}
	return text_answer(a, 404, "not found\n");
}
