/* http_parse.c - the bounded HTTP/1.1 request head parser (http_parse.h). */
#include "http_parse.h"

#include <string.h>
#include <strings.h>

#include "../base/hex.h"

static enum http_parse_result bad(unsigned *status, unsigned code, struct err *e, const char *msg,
				  const char *detail)
{
	*status = code;
	err_set(e, code == 413 ? ERR_TOO_LARGE : ERR_MALFORMED, "%s%s", msg, detail ? detail : "");
	return HTTP_BAD;
}

static bool is_tchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Percent-decodes n bytes of in into out (capacity cap, NUL-terminated).
 * plus_is_space: '+' decodes to ' ' (query values). Refuses a bad escape,
 * a decoded NUL or control byte (0x00-0x1f, 0x7f), and output over cap-1. */
static bool http_percent_decode(const char *in, size_t n, bool plus_is_space, char *out, size_t cap,
				struct err *e)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_digit_value(in[i + 1]) : -1;
			int lo = i + 2 < n ? hex_digit_value(in[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return err_set(e, ERR_MALFORMED, "bad percent escape at byte %zu of the URL", i);
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return err_set(e, ERR_MALFORMED,
				       "the URL holds control byte 0x%02x: NUL and control characters are refused",
				       (unsigned)c);
		if (o + 1 >= cap)
			return err_set(e, ERR_MALFORMED, "URL component over %zu bytes", cap - 1);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

bool http_query_get(const char *query, const char *name, char *out, size_t cap, bool *found,
		    struct err *e)
{
	size_t name_len = strlen(name);
	const char *p = query;
	*found = false;
	while (*p) {
		size_t item = strcspn(p, "&");
		const char *eq = memchr(p, '=', item);
		size_t key_len = eq ? (size_t)(eq - p) : item;
		char key[64];
		if (key_len < sizeof(key) && http_percent_decode(p, key_len, true, key, sizeof(key), NULL) &&
		    strlen(key) == name_len && memcmp(key, name, name_len) == 0) {
			const char *v = eq ? eq + 1 : p + item;
			size_t v_len = (size_t)(p + item - v);
			if (!http_percent_decode(v, v_len, true, out, cap, e))
				return err_wrap(e, "query parameter %s", name);
			*found = true;
			return true;
		}
		p += item;
		if (*p == '&')
			p++;
	}
	return true;
}

/* The request line: METHOD SP origin-form SP HTTP/1.x */
static enum http_parse_result request_line(const char *l, size_t n, struct http_head *h,
					   unsigned *status, struct err *e)
{
	size_t m = 0;
	while (m < n && l[m] != ' ') {
		if (!is_tchar((uint8_t)l[m]))
			return bad(status, 400, e, "the request method is not a token", NULL);
		m++;
	}
	if (m == 0 || m == n)
		return bad(status, 400, e, "the request line is not METHOD TARGET HTTP/1.1", NULL);
	if (m > HTTP_METHOD_MAX)
		return bad(status, 501, e, "unknown request method", NULL);
	memcpy(h->method, l, m);
	h->method[m] = '\0';
	const char *t = l + m + 1;
	const char *sp = memchr(t, ' ', n - m - 1);
	if (!sp)
		return bad(status, 400, e, "the request line is not METHOD TARGET HTTP/1.1", NULL);
	size_t t_len = (size_t)(sp - t);
	const char *ver = sp + 1;
	size_t ver_len = n - (size_t)(ver - l);
	if (ver_len == 8 && memcmp(ver, "HTTP/1.1", 8) == 0)
		h->http11 = true;
	else if (!(ver_len == 8 && memcmp(ver, "HTTP/1.0", 8) == 0))
		return bad(status, 505, e, "only HTTP/1.0 and HTTP/1.1 are served", NULL);
	if (t_len == 0 || t[0] != '/')
		return bad(status, 400, e, "the request target must be a path starting with '/'", NULL);
	for (size_t i = 0; i < t_len; i++)
		if ((uint8_t)t[i] <= 0x20 || (uint8_t)t[i] >= 0x7f)
			return bad(status, 400, e, "the request target holds a control, space or non-ASCII byte",
				   NULL);
	const char *q = memchr(t, '?', t_len);
	size_t path_len = q ? (size_t)(q - t) : t_len;
	if (path_len > HTTP_PATH_MAX || (q && t_len - path_len - 1 > HTTP_QUERY_MAX))
		return bad(status, 414, e, "the request target is too long", NULL);
	if (!http_percent_decode(t, path_len, false, h->path, sizeof(h->path), e)) {
		*status = 400;
		return HTTP_BAD;
	}
	if (q) {
		memcpy(h->query, q + 1, t_len - path_len - 1);
		h->query[t_len - path_len - 1] = '\0';
	}
	h->keep_alive = h->http11;
	return HTTP_HEAD_DONE;
}

/* Whether a comma-separated header value lists token (any case). */
static bool lists(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token), i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == tl && strncasecmp(v + start, token, tl) == 0)
			return true;
	}
	return false;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return n == strlen(want) && strncasecmp(name, want, n) == 0;
}

static enum http_parse_result header(const char *l, size_t n, struct http_head *h, bool *seen_length,
				     unsigned *status, struct err *e)
{
	const char *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return bad(status, 400, e, "a header line has no name", NULL);
	size_t nl = (size_t)(colon - l);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar((uint8_t)l[i]))
			return bad(status, 400, e, "a header name is not a token", NULL);
	const char *v = colon + 1;
	size_t vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	for (size_t i = 0; i < vl; i++)
		if (((uint8_t)v[i] < 0x20 && v[i] != '\t') || (uint8_t)v[i] == 0x7f)
			return bad(status, 400, e, "a header value holds a control byte", NULL);
	if (name_is(l, nl, "Content-Length")) {
		size_t cl = 0;
		if (vl == 0 || vl > 10)
			return bad(status, 400, e, "Content-Length is not a number", NULL);
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return bad(status, 400, e, "Content-Length is not a number", NULL);
			cl = cl * 10 + (size_t)(v[i] - '0');
		}
		if (*seen_length && cl != h->content_length)
			return bad(status, 400, e, "two Content-Length headers that disagree", NULL);
		*seen_length = true;
		h->content_length = cl;
	} else if (name_is(l, nl, "Transfer-Encoding")) {
		return bad(status, 411, e,
			   "Transfer-Encoding bodies are not accepted: send the body with a Content-Length",
			   NULL);
	} else if (name_is(l, nl, "Connection")) {
		if (lists(v, vl, "close"))
			h->keep_alive = false;
		else if (lists(v, vl, "keep-alive"))
			h->keep_alive = true;
	} else if (name_is(l, nl, "Content-Type")) {
		size_t c = vl < HTTP_CTYPE_MAX ? vl : HTTP_CTYPE_MAX;
		memcpy(h->content_type, v, c);
		h->content_type[c] = '\0';
		h->has_content_type = true;
	} else if (name_is(l, nl, "Expect")) {
		if (!(vl == 12 && strncasecmp(v, "100-continue", 12) == 0))
			return bad(status, 417, e, "the only Expect served is 100-continue", NULL);
		h->expect_continue = true;
	}
	return HTTP_NEED_MORE;
}

enum http_parse_result http_parse_head(const uint8_t *buf, size_t len, struct http_head *h,
				       size_t *head_len, unsigned *status, struct err *e)
{
	const char *s = (const char *)buf;
	size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
	const char *end = NULL;
	for (size_t i = 0; i + 4 <= scan; i++)
		if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n') {
			end = s + i;
			break;
		}
	if (!end)
		return len >= HTTP_HEAD_MAX
			       ? bad(status, 431, e, "the request head is over 8192 bytes", NULL)
			       : HTTP_NEED_MORE;
	memset(h, 0, sizeof(*h));
	size_t n_lines = 0;
	bool seen_length = false;
	const char *l = s;
	while (l < end + 2) {
		const char *cr = memchr(l, '\r', (size_t)(end + 2 - l));
		size_t ln = (size_t)(cr - l);
		if (cr[1] != '\n' || memchr(l, '\n', ln))
			return bad(status, 400, e, "a bare CR or LF in the request head", NULL);
		enum http_parse_result r;
		if (n_lines == 0)
			r = request_line(l, ln, h, status, e);
		else if (ln > 0 && (l[0] == ' ' || l[0] == '\t'))
			return bad(status, 400, e, "folded header lines are not accepted", NULL);
		else if (n_lines > HTTP_HEADERS_MAX)
			return bad(status, 431, e, "more than 64 header fields", NULL);
		else
			r = header(l, ln, h, &seen_length, status, e);
		if (r == HTTP_BAD)
			return r;
		n_lines++;
		l = cr + 2;
	}
	if (h->content_length > HTTP_BODY_MAX)
		return bad(status, 413, e, "request body over the limit of 65536 bytes", NULL);
	*head_len = (size_t)(end - s) + 4;
	return HTTP_HEAD_DONE;
}
