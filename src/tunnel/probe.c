/* probe.c - non-blocking HTTP health check: the tunnel's words over
 * base/http_probe. */
#include "probe.h"

#include <errno.h>

static const struct http_probe_req request = {
	.path = "/authorized_keys",
	.host = "tzsigner",
	.user_agent = "tzsigner-tunnel-probe",
	.nodelay = false,
	.eagain_pending = true,
};

void http_check_init(struct http_check *h) { http_probe_init(&h->hp); }

void http_check_close(struct http_check *h) { http_probe_close(&h->hp); }

bool http_check_active(const struct http_check *h) { return http_probe_active(&h->hp); }

short http_check_events(const struct http_check *h) { return http_probe_events(&h->hp); }

int http_status_of(const char *resp, size_t len) { return http_probe_status_of(resp, len); }

/* Turns a final result into 1 or -1, e saying why. */
static int verdict(struct http_check *h, enum http_probe_result r, struct err *e)
{
	const struct http_probe *p = &h->hp;
	if (r == HTTP_PROBE_PENDING)
		return 0;
	if (r == HTTP_PROBE_OK)
		return 1;
	switch (p->failure) {
	case HTTP_PROBE_F_SOCKET:
		errno = p->sys_errno;
		err_errno(e, ERR_IO, "probe %s: socket", p->target);
		break;
	case HTTP_PROBE_F_CONNECT:
	case HTTP_PROBE_F_SEND:
	case HTTP_PROBE_F_RECV:
		errno = p->sys_errno;
		err_errno(e, ERR_UNAVAILABLE, "probe %s: %s", p->target,
			  p->failure == HTTP_PROBE_F_CONNECT ? "connect"
			  : p->failure == HTTP_PROBE_F_SEND  ? "send"
							     : "receive");
		break;
	case HTTP_PROBE_F_STATUS:
		err_set(e, ERR_UNAVAILABLE, "probe %s: HTTP status %d from GET /authorized_keys",
			p->target, p->status);
		break;
	case HTTP_PROBE_F_TIMEOUT:
		err_set(e, ERR_UNAVAILABLE, "probe %s: no answer within the timeout", p->target);
		break;
	default: /* resolve, request, closed, not HTTP */
		err_set(e, ERR_UNAVAILABLE, "probe %s: %s", p->target, p->error);
		break;
	}
	return -1;
}

bool http_check_start_unix(struct http_check *h, const char *path, uint64_t now_ms,
			   unsigned timeout_ms, struct err *e)
{
	enum http_probe_result r = http_probe_start_unix(&h->hp, path, &request, now_ms, timeout_ms);
	if (r != HTTP_PROBE_PENDING && h->hp.failure == HTTP_PROBE_F_PATH)
		return err_set(e, ERR_MALFORMED, "probe socket path too long: %s", path);
	return verdict(h, r, e) == 0;
}

bool http_check_start_tcp(struct http_check *h, const char *host, uint16_t port,
			  uint64_t now_ms, unsigned timeout_ms, struct err *e)
{
	return verdict(h, http_probe_start_tcp(&h->hp, host, port, &request, now_ms, timeout_ms), e) == 0;
}

int http_check_step(struct http_check *h, short revents, struct err *e)
{
	return verdict(h, http_probe_step(&h->hp, revents), e);
}

int http_check_expire(struct http_check *h, uint64_t now_ms, struct err *e)
{
	return verdict(h, http_probe_expire(&h->hp, now_ms), e);
}
