/* html.c - an HTML page in memory, escaped text, an inline SVG chart. */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void html_raw(struct html *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&h->sb, fmt, ap);
	va_end(ap);
}

void html_text(struct html *h, const char *s)
{
	for (; s && *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		}
		if (rep)
			sb_put(&h->sb, rep, strlen(rep));
		else
			sb_put(&h->sb, s, 1);
	}
}

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2430;background:#f6f7f9}"
	"h1{font-size:1.3em;margin:0 0 .2em}h2{font-size:1.05em;margin:1.4em 0 .4em}"
	".sub{color:#5b6576;margin-bottom:1em}"
	".banner{padding:.6em 1em;border-radius:6px;font-weight:600;margin:.6em 0}"
	".ok{background:#dff3e4;color:#14532d}.bad{background:#fde2e1;color:#7f1d1d}"
	".warn{background:#fff4d6;color:#713f12}"
	"table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}"
	"th,td{padding:.35em .7em;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}"
	"th{background:#eef1f5;font-weight:600}code{font-size:.92em}"
	".yes{color:#15803d;font-weight:600}.no{color:#b91c1c;font-weight:600}"
	".muted{color:#6b7280}svg{background:#fff;border:1px solid #e5e7eb}";

void html_begin(struct html *h, const char *title, unsigned refresh_s)
{
	html_raw(h, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta http-equiv=\"refresh\" content=\"%u\">"
		    "<meta name=\"viewport\" content=\"width=device-width\"><title>",
		 refresh_s);
	html_text(h, title);
	html_raw(h, "</title><style>%s</style></head><body>\n", style);
}

char *html_end(struct html *h, size_t *len)
{
	html_raw(h, "</body></html>\n");
	size_t n = h->sb.len;
	if (n > HTML_MAX)
		h->sb.failed = true;
	char *out = sb_take(&h->sb);
	if (out)
		*len = n;
	return out;
}

void html_chart(struct html *h, const double *avg, const double *max, size_t n, unsigned w,
		unsigned hpx, const char *unit, const char *label, const char *empty)
{
	double top = 0;
	for (size_t i = 0; i < n; i++)
		if (max[i] > top)
			top = max[i];
	html_raw(h, "<svg role=\"img\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\"><title>", w, hpx,
		 w, hpx);
	html_text(h, label);
	html_raw(h, "</title>");
	unsigned plot = hpx - 14;
	if (top <= 0) {
		html_raw(h, "<text x=\"6\" y=\"%u\" font-size=\"11\" fill=\"#6b7280\">", hpx / 2 + 4);
		html_text(h, empty);
		html_raw(h, "</text></svg>");
		return;
	}
	double bw = n ? (double)w / (double)n : (double)w;
	for (size_t i = 0; i < n; i++) {
		if (avg[i] < 0)
			continue;
		double ha = avg[i] / top * plot, hm = max[i] / top * plot;
		html_raw(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#3b82f6\"/>"
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"1.5\" fill=\"#1e3a8a\"/>",
			 (double)i * bw + 0.5, 14 + plot - ha, bw > 2 ? bw - 1 : bw, ha, (double)i * bw + 0.5,
			 14 + plot - hm, bw > 2 ? bw - 1 : bw);
	}
	html_raw(h, "<text x=\"4\" y=\"11\" font-size=\"10\" fill=\"#374151\">max %.2f %s</text>"
		    "<text x=\"%u\" y=\"11\" font-size=\"10\" fill=\"#6b7280\" text-anchor=\"end\">"
		    "last hour, per minute: avg bar, max tick</text></svg>",
		 top, unit, w - 4);
}

const char *html_age(long long s, char *out, size_t cap)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, cap, "%lld s", s);
	else if (s < 7200)
		snprintf(out, cap, "%lld min", s / 60);
	else if (s < 172800)
		snprintf(out, cap, "%lld h", s / 3600);
	else
		snprintf(out, cap, "%lld d", s / 86400);
	return out;
}
