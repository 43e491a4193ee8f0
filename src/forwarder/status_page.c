/* status_page.c - every box of the forwarder at a glance. */
#include "status_page.h"

#include <stdio.h>

#include "../base/html.h"
#include "serve.h"
#include "signers.h"

static const char *tri(int v) { return v == TRI_UP ? "up" : v == TRI_DOWN ? "down" : "unknown"; }

static void box_row(struct html *h, const struct signer *x, const struct fwd_box_state *b,
		    int64_t now_ms)
{
	char age[32];
	html_raw(h, "<tr class=\"box\" data-box=\"");
	html_text(h, x->name);
	html_raw(h, "\"><td><b>");
	html_text(h, x->name);
	html_raw(h, "</b><br><span class=\"muted\">port %u, ssh %u</span></td>", (unsigned)x->port,
		 (unsigned)x->port + SIGNER_PORT_OFFSET);
	html_raw(h, "<td><span class=\"%s\">%s</span></td><td><span class=\"%s\">%s</span>",
		 b->tunnel == TRI_UP ? "yes" : "no", tri(b->tunnel), b->signer == TRI_UP ? "yes" : "no",
		 tri(b->signer));
	if (b->signer == TRI_UP)
		html_raw(h, " <span class=\"muted\">%.1f ms</span>", b->check_seconds * 1000.0);
	html_raw(h, "</td><td>");
	if (b->since_ms > 0)
		html_raw(h, "%s ago", html_age((now_ms - b->since_ms) / 1000, age, sizeof(age)));
	else
		html_raw(h, "-");
	html_raw(h, "</td><td>");
	if (b->last_up_ms > 0)
		html_raw(h, "%s ago", html_age((now_ms - b->last_up_ms) / 1000, age, sizeof(age)));
	else
		html_raw(h, "never");
	html_raw(h, "</td><td>%u</td><td>", b->sessions);
	html_text(h, b->error[0] ? b->error : "-");
	html_raw(h, "</td></tr>");
}

static void box_chart(struct html *h, const struct signer *x, const struct fwd_box_state *b,
		      int64_t now_ms)
{
	double avg[FWD_CHECK_MINUTES], max[FWD_CHECK_MINUTES];
	int64_t now_min = now_ms / 60000;
	for (int64_t i = 0; i < FWD_CHECK_MINUTES; i++) {
		int64_t m = now_min - FWD_CHECK_MINUTES + 1 + i;
		const struct fwd_check_minute *c = &b->check_minutes[m % FWD_CHECK_MINUTES];
		bool have = c->minute == m && c->count > 0;
		avg[i] = have ? c->sum_ms / c->count : -1;
		max[i] = have ? c->max_ms : -1;
	}
	char label[160];
	snprintf(label, sizeof(label), "latency of %s's signer through its tunnel", x->name);
	html_raw(h, "<div><b>");
	html_text(h, x->name);
	html_raw(h, "</b><br>");
	html_chart(h, avg, max, FWD_CHECK_MINUTES, 480, 90, "ms", label,
		   "no answer through the tunnel in the last hour");
	html_raw(h, "</div>");
}

char *fwd_status_page_html(const struct fwd_state *s, int64_t now_ms, size_t *len)
{
	struct html h = { 0 };
	size_t n = s->r.signers.n, up = 0;
	for (size_t i = 0; i < n; i++)
		up += s->boxes[i].signer == TRI_UP;
	char title[160];
	snprintf(title, sizeof(title), "tzsigner forwarder: %zu/%zu signers answer", up, n);
	html_begin(&h, title, FWD_PAGE_REFRESH_S);
	html_raw(&h, "<h1>tzsigner forwarder</h1><div class=\"sub\">ssh ");
	html_text(&h, s->listen_text);
	html_raw(&h, ", login ");
	html_text(&h, s->r.user);
	html_raw(&h, ", host key <code>");
	html_text(&h, s->r.host_key.fingerprint);
	html_raw(&h, "</code>; this page reloads every %u s</div>", FWD_PAGE_REFRESH_S);
	html_raw(&h, "<div id=\"summary\" class=\"banner %s\">", n && up == n ? "ok" : "bad");
	if (!s->ready)
		html_raw(&h, "not ready: ");
	html_raw(&h, "%zu of %zu signers answer through their tunnels</div>", up, n);
	html_raw(&h, "<h2>Boxes</h2><table id=\"boxes\"><tr><th>box</th><th>tunnel</th><th>signer</th>"
		     "<th>in this state for</th><th>last good check</th><th>sessions</th>"
		     "<th>last error</th></tr>");
	for (size_t i = 0; i < n; i++)
		box_row(&h, &s->r.signers.v[i], &s->boxes[i], now_ms);
	html_raw(&h, "</table><h2>Latency through each tunnel</h2>");
	for (size_t i = 0; i < n; i++)
		box_chart(&h, &s->r.signers.v[i], &s->boxes[i], now_ms);
	return html_end(&h, len);
}
