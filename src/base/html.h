/* html.h - building one self-contained HTML page in memory: text escaped
 * for HTML, a small inline SVG chart, no external assets. Used by the
 * signer's and the forwarder's status pages. */
#ifndef TZS_BASE_HTML_H
#define TZS_BASE_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define HTML_MAX (4 * 1024 * 1024)

struct html {
	struct strbuf sb; /* failed or over HTML_MAX at the end: the page is dropped */
};

/* Formatted markup, not escaped: only our own literals and numbers. */
void html_raw(struct html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text from elsewhere (names, messages), escaped: & < > " '. */
void html_text(struct html *h, const char *s);

/* <!doctype html>…<body>: the page's title, its style, and a reload every
 * refresh_s seconds. */
void html_begin(struct html *h, const char *title, unsigned refresh_s);
/* </body></html>; returns the page (caller frees) or NULL if it failed. */
char *html_end(struct html *h, size_t *len);

/* A bar chart of n values (e.g. per-minute averages, oldest first; a
 * negative value is a gap) with their maxima as ticks, w x h pixels, the
 * scale's top labelled in unit; empty is shown when no value is there. */
void html_chart(struct html *h, const double *avg, const double *max, size_t n, unsigned w,
		unsigned hpx, const char *unit, const char *label, const char *empty);

/* "3 s", "4 min", "2 h", "5 d" for an age in seconds. */
const char *html_age(long long seconds, char *out, size_t cap);

#endif
