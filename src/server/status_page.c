/* status_page.c - /statusz as a page a person reads at a glance. */
#include "status_page.h"

#include <stdio.h>
#include <string.h>

#include "../base/html.h"
#include "recent.h"

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void last_cell(struct html *h, const json_t *last, const char *kind)
{
	const json_t *v = json_object_get(last, kind);
	char age[32];
	if (!json_is_object(v)) {
		html_raw(h, "<td class=\"muted\">none yet</td>");
		return;
	}
	html_raw(h, "<td>%lld / %lld<br><span class=\"muted\">%s ago</span></td>", num(v, "level"),
		 num(v, "round"), html_age(num(v, "age_s"), age, sizeof(age)));
}

/* Storage, and for a Ledger key its device's state, app and watermark. */
static void device_cell(struct html *h, const json_t *k)
{
	const json_t *d = json_object_get(k, "device");
	html_raw(h, "<td>");
	html_text(h, str(k, "storage"));
	if (json_is_object(d)) {
		html_raw(h, ": ");
		html_text(h, str(d, "state"));
		if (json_object_get(d, "app")) {
			html_raw(h, "<br><span class=\"muted\">");
			html_text(h, str(d, "app"));
			html_raw(h, " ");
			html_text(h, str(d, "version"));
			html_raw(h, "</span>");
		}
		const json_t *w = json_object_get(d, "high_watermark");
		if (json_is_object(w))
			html_raw(h, "<br><span class=\"muted\">device HWM %lld / %lld</span>",
				 num(w, "level"), num(w, "round"));
	}
	html_raw(h, "</td>");
}

static void keys_table(struct html *h, const json_t *keys)
{
	size_t i;
	const json_t *k;
	html_raw(h, "<h2>Keys</h2><table id=\"keys\"><tr><th>key</th><th>can sign</th><th>last block"
		    "</th><th>last preattestation</th><th>last attestation</th><th>storage / device</th></tr>");
	json_array_foreach(keys, i, k) {
		bool ok = json_is_true(json_object_get(k, "can_sign"));
		html_raw(h, "<tr class=\"key\" data-pkh=\"");
		html_text(h, str(k, "pkh"));
		html_raw(h, "\"><td><b>");
		html_text(h, str(k, "name"));
		html_raw(h, "</b><br><code>");
		html_text(h, str(k, "pkh"));
		html_raw(h, "</code></td><td><span class=\"%s\">%s</span>", ok ? "yes" : "no", ok ? "yes" : "no");
		if (!ok) {
			html_raw(h, " <code>");
			html_text(h, str(k, "reason"));
			html_raw(h, "</code>");
		}
		if (*str(k, "msg")) {
			html_raw(h, "<br><span class=\"muted\">");
			html_text(h, str(k, "msg"));
			html_raw(h, "</span>");
		}
		html_raw(h, "</td>");
		const json_t *last = json_object_get(k, "last_signed");
		last_cell(h, last, "block");
		last_cell(h, last, "preattestation");
		last_cell(h, last, "attestation");
		device_cell(h, k);
		html_raw(h, "</tr>");
	}
	html_raw(h, "</table>");
}

static void charts(struct html *h, const json_t *keys)
{
	size_t i, j;
	const json_t *k, *m;
	html_raw(h, "<h2>Signing latency</h2>");
	json_array_foreach(keys, i, k) {
		double avg[RECENT_MINUTES], max[RECENT_MINUTES];
		for (size_t x = 0; x < RECENT_MINUTES; x++)
			avg[x] = max[x] = -1;
		json_array_foreach(json_object_get(k, "latency"), j, m) {
			long long ago = num(m, "minutes_ago");
			if (ago < 0 || ago >= RECENT_MINUTES)
				continue;
			size_t x = (size_t)(RECENT_MINUTES - 1 - ago);
			avg[x] = json_real_value(json_object_get(m, "avg_ms"));
			max[x] = json_real_value(json_object_get(m, "max_ms"));
		}
		char label[200];
		snprintf(label, sizeof(label), "signing latency of %s", str(k, "name"));
		html_raw(h, "<div><b>");
		html_text(h, str(k, "name"));
		html_raw(h, "</b><br>");
		html_chart(h, avg, max, RECENT_MINUTES, 480, 90, "ms", label,
			   "no signatures in the last hour");
		html_raw(h, "</div>");
	}
}

static void row(struct html *h, const char *what, const char *value, const char *extra)
{
	html_raw(h, "<tr><th>%s</th><td>", what);
	html_text(h, value);
	if (extra && *extra) {
		html_raw(h, " <span class=\"muted\">");
		html_text(h, extra);
		html_raw(h, "</span>");
	}
	html_raw(h, "</td></tr>");
}

static void system_table(struct html *h, const json_t *sys)
{
	char buf[160];
	html_raw(h, "<h2>Box</h2><table id=\"box\">");
	const json_t *p = json_object_get(sys, "power");
	if (json_is_object(p)) {
		buf[0] = '\0';
		if (json_object_get(p, "battery_percent"))
			snprintf(buf, sizeof(buf), "battery %lld%% %s", num(p, "battery_percent"),
				 str(p, "battery_status"));
		row(h, "power", str(p, "source"), buf);
	} else {
		row(h, "power", "not watched", NULL);
	}
	const json_t *u = json_object_get(sys, "uplink");
	if (json_is_object(u))
		row(h, "uplink", str(u, "role"), *str(u, "interface") ? str(u, "interface") : str(u, "error"));
	else
		row(h, "uplink", "not watched", NULL);
	const json_t *t = json_object_get(sys, "tunnel");
	if (json_is_object(t)) {
		snprintf(buf, sizeof(buf), "%lld reconnects", num(t, "reconnects"));
		row(h, "tunnel", str(t, "state"), *str(t, "error") ? str(t, "error") : buf);
	} else {
		row(h, "tunnel", "not watched", NULL);
	}
	html_raw(h, "</table>");
}

char *status_page_html(const json_t *st, const char *host, size_t *len)
{
	struct html h = { 0 };
	char title[300];
	const json_t *keys = json_object_get(st, "keys");
	size_t n = json_array_size(keys), can = 0;
	for (size_t i = 0; i < n; i++)
		can += json_is_true(json_object_get(json_array_get(keys, i), "can_sign"));
	snprintf(title, sizeof(title), "tzsigner %s: %zu/%zu keys can sign", host, can, n);
	html_begin(&h, title, STATUS_PAGE_REFRESH_S);
	html_raw(&h, "<h1>tzsigner on ");
	html_text(&h, host);
	html_raw(&h, "</h1><div class=\"sub\">version ");
	html_text(&h, str(st, "version"));
	html_raw(&h, "; this page reloads every %u s</div>", STATUS_PAGE_REFRESH_S);
	html_raw(&h, "<div id=\"summary\" class=\"banner %s\">", n && can == n ? "ok" : "bad");
	if (n == 0)
		html_raw(&h, "no keys: nothing can sign");
	else if (can == n)
		html_raw(&h, "all %zu keys can sign", n);
	else
		html_raw(&h, "%zu of %zu keys cannot sign", n - can, n);
	html_raw(&h, "</div>");
	keys_table(&h, keys);
	if (json_is_object(json_object_get(st, "system")))
		system_table(&h, json_object_get(st, "system"));
	charts(&h, keys);
	return html_end(&h, len);
}
