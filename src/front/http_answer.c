/* http_answer.c - the front's HTTP answers, in the shapes octez-signer
 * gives (design §2.1): JSON bodies, errors as
 * [{"kind":"temporary","id":"tzsigner.<kind>","msg":"…"}], 405 with Allow. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json_secure.h"
#include "front.h"

static const char *reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return status < 500 ? "Client Error" : "Internal Server Error";
	}
}

void http_answer(struct front *f, struct conn *c, unsigned status, const char *type,
		 const char *allow, const char *body, size_t len)
{
	struct conn_work *w = c->work;
	enum route_label label = w && w->head_done ? w->route.label : LABEL_OTHER;
	unsigned cls = status >= 100 && status < 600 ? status / 100 - 1 : 5;
	f->stats.http[label][cls]++;
	if (!w || !w->head_done || !w->head.keep_alive)
		c->close_after = true;
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s%s%s\r\n",
			 status, reason(status), type, len, allow ? "Allow: " : "", allow ? allow : "",
			 allow ? "\r\n" : "",
			 c->close_after ? "Connection: close\r\n"
					: (w->head.http11 ? "" : "Connection: keep-alive\r\n"));
	uint8_t *out = n > 0 && (size_t)n < sizeof(head) ? malloc((size_t)n + len) : NULL;
	if (out) {
		memcpy(out, head, (size_t)n);
		if (len)
			memcpy(out + n, body, len);
	}
	conn_send(f, c, out, out ? (size_t)n + len : 0);
}

/* A message as a JSON string: kept as it is when it is UTF-8, else with
 * every byte outside printable ASCII replaced by '?'. */
static json_t *message(const char *msg)
{
	json_t *s = json_string(msg);
	if (s)
		return s;
	char clean[ERR_MSG_MAX * 2];
	size_t i = 0;
	for (; msg[i] && i + 1 < sizeof(clean); i++)
		clean[i] = (unsigned char)msg[i] >= 0x20 && (unsigned char)msg[i] < 0x7f ? msg[i] : '?';
	clean[i] = '\0';
	return json_string(clean);
}

void http_answer_err(struct front *f, struct conn *c, unsigned status, const char *id,
		     const char *msg, const char *allow)
{
	json_t *body = json_pack("[{s:s, s:s, s:o}]", "kind", "temporary", "id", id, "msg", message(msg));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text) {
		conn_send(f, c, NULL, 0); /* out of memory: close */
		return;
	}
	http_answer(f, c, status, "application/json", allow, text, strlen(text));
	json_free_text(text);
}
