/* serve_http.c - the exporter's HTTP connections (exporter.c decides what
 * they answer): one request each, read until its headers end, answered
 * with Connection: close, within HTTP_TIMEOUT_MS. */
#include "serve_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exporter.h"

void fwd_http_close(struct loop *L, size_t i)
{
	struct http_conn *h = &L->http[i];
	close(h->fd);
	free(h->out);
	L->http[i] = L->http[--L->n_http];
}

void fwd_accept_http(struct loop *L, uint64_t now)
{
	for (int k = 0; k < ACCEPT_BURST; k++) {
		int fd = accept4(L->mfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (L->n_http == HTTP_MAX_CONNS) {
			close(fd);
			continue;
		}
		struct http_conn *h = &L->http[L->n_http++];
		memset(h, 0, sizeof(*h));
		h->fd = fd;
		h->deadline_ms = now + HTTP_TIMEOUT_MS;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

bool fwd_http_step(struct loop *L, struct http_conn *h)
{
	if (!h->out) {
		for (;;) {
			if (h->got >= sizeof(h->in) - 1)
				return false;
			ssize_t r = recv(h->fd, h->in + h->got, sizeof(h->in) - 1 - h->got, 0);
			if (r < 0)
				return errno == EAGAIN || errno == EINTR;
			if (r == 0)
				return false;
			h->got += (size_t)r;
			h->in[h->got] = '\0';
			if (strstr(h->in, "\r\n\r\n") || strstr(h->in, "\n\n"))
				break;
		}
		char method[16], path[256];
		struct http_answer a = { 0 };
		bool parsed = fwd_http_request_line(h->in, h->got, method, sizeof(method), path, sizeof(path));
		if (!parsed) {
			a.status = 400;
			a.content_type = "text/plain";
			a.body = strdup("bad request\n");
		} else if (!fwd_http_route(&L->s, method, path, &a)) {
			free(a.body);
			return false;
		}
		if (!a.body)
			return false;
		size_t bl = strlen(a.body);
		bool head = parsed && strcmp(method, "HEAD") == 0;
		char hdr[256];
		int hl = snprintf(hdr, sizeof(hdr),
				  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				  "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
				  a.status, reason(a.status), a.content_type, bl);
		size_t total = (size_t)hl + (head ? 0 : bl);
		h->out = malloc(total);
		if (!h->out) {
			free(a.body);
			return false;
		}
		memcpy(h->out, hdr, (size_t)hl);
		if (!head)
			memcpy(h->out + hl, a.body, bl);
		h->out_len = total;
		free(a.body);
	}
	while (h->sent < h->out_len) {
		ssize_t w = send(h->fd, h->out + h->sent, h->out_len - h->sent, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		h->sent += (size_t)w;
	}
	return false;
}
