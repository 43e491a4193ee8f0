/* boxprobe.c - non-blocking HTTP check of a box through its tunnel: the
 * forwarder's words over base/http_probe. */
#include "boxprobe.h"
#include "../base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The request as it was first built here had room for this much. */
#define BOXPROBE_REQ_MAX 160

uint64_t boxprobe_elapsed_us(const struct boxprobe *p) { return now_mono_us() - p->started_us; }

void boxprobe_init(struct boxprobe *p)
{
	memset(p, 0, sizeof(*p));
	http_probe_init(&p->hp);
}

void boxprobe_close(struct boxprobe *p) { http_probe_close(&p->hp); }

bool boxprobe_active(const struct boxprobe *p) { return http_probe_active(&p->hp); }

short boxprobe_events(const struct boxprobe *p) { return http_probe_events(&p->hp); }

int boxprobe_status_of(const char *resp, size_t len) { return http_probe_status_of(resp, len); }

/* Turns the shared probe's result into the forwarder's, with its words. */
static enum probe_result verdict(struct boxprobe *p, enum http_probe_result r, uint64_t now_ms)
{
	const struct http_probe *h = &p->hp;
	if (r == HTTP_PROBE_PENDING)
		return PROBE_PENDING;
	p->status = h->status;
	if (r == HTTP_PROBE_OK)
		return PROBE_OK;
	enum probe_result out = PROBE_NO_ANSWER;
	switch (h->failure) {
	case HTTP_PROBE_F_CONNECT:
		out = PROBE_TUNNEL_DOWN;
		snprintf(p->error, sizeof(p->error), "%s", h->error);
		break;
	case HTTP_PROBE_F_RECV:
		snprintf(p->error, sizeof(p->error), "the tunnel accepted, then: %s",
			 strerror(h->sys_errno));
		break;
	case HTTP_PROBE_F_CLOSED:
		snprintf(p->error, sizeof(p->error),
			 "the tunnel accepted, then closed without an answer: the box's signer is "
			 "not reachable from its ssh");
		break;
	case HTTP_PROBE_F_STATUS:
		snprintf(p->error, sizeof(p->error), "the signer answered HTTP %d", h->status);
		break;
	case HTTP_PROBE_F_TIMEOUT:
		out = h->connected ? PROBE_NO_ANSWER : PROBE_TUNNEL_DOWN;
		snprintf(p->error, sizeof(p->error), "%s after %llu ms",
			 h->connected ? "no answer through the tunnel" : "connect timed out",
			 (unsigned long long)(now_ms - h->started_ms));
		break;
	case HTTP_PROBE_F_RESOLVE:
	case HTTP_PROBE_F_PATH:
		out = PROBE_TUNNEL_DOWN;
		snprintf(p->error, sizeof(p->error), "%s", h->error);
		break;
	default: /* socket, send, request, not HTTP: the shared words */
		snprintf(p->error, sizeof(p->error), "%s", h->error);
		break;
	}
	return out;
}

enum probe_result boxprobe_start(struct boxprobe *p, uint16_t port, const char *path,
				 uint64_t now_ms, unsigned timeout_ms)
{
	boxprobe_close(p);
	p->status = 0;
	p->error[0] = '\0';
	p->started_us = now_mono_us();
	char host[32];
	snprintf(host, sizeof(host), "127.0.0.1:%u", (unsigned)port);
	const struct http_probe_req req = {
		.path = path,
		.host = host,
		.user_agent = "tzsigner-forwarder",
		.nodelay = true,
		.eagain_pending = false,
	};
	int n = snprintf(NULL, 0,
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nConnection: close\r\n\r\n",
			 req.path, req.host, req.user_agent);
	if (n < 0 || (size_t)n >= BOXPROBE_REQ_MAX) {
		p->hp.started_ms = now_ms;
		p->hp.deadline_ms = now_ms + timeout_ms;
		snprintf(p->error, sizeof(p->error), "request path too long");
		return PROBE_NO_ANSWER;
	}
	return verdict(p, http_probe_start_tcp(&p->hp, "127.0.0.1", port, &req, now_ms, timeout_ms),
		       now_ms);
}

enum probe_result boxprobe_step(struct boxprobe *p, short revents)
{
	if (!http_probe_active(&p->hp))
		return PROBE_NO_ANSWER;
	return verdict(p, http_probe_step(&p->hp, revents), 0);
}

enum probe_result boxprobe_expire(struct boxprobe *p, uint64_t now_ms)
{
	return verdict(p, http_probe_expire(&p->hp, now_ms), now_ms);
}
