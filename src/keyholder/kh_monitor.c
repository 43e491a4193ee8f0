/* kh_monitor.c - the monitoring ops (kh_monitor.h), from the health
 * watchers' snapshot and the signing history, never from a device. */
#include "kh_monitor.h"

#include <jansson.h>
#include <stdlib.h>

#include "../server/metrics.h"
#include "../server/statusz.h"

static bool statusz(const struct statusz_source *s, struct kh_answer *out, struct err *e)
{
	bool all;
	json_t *body = statusz_body(s, &all);
	if (!body)
		return err_set(e, ERR_INTERNAL, "out of memory for the status");
	out->code = all ? 200 : 503;
	return kh_answer_json(out, body, e);
}

static bool statusz_key(const struct kh_context *c, const struct statusz_source *s,
			const struct kh_request *rq, struct kh_answer *out, struct err *e)
{
	const struct vault_key *k;
	bool can_sign;
	if (!guard_find_key(c->guard, rq->pkh, &k, e))
		return false;
	json_t *body = statusz_key_json(s, k, &can_sign);
	out->code = can_sign ? 200 : 503;
	return kh_answer_json(out, body, e);
}

/* A malloc'd text of len bytes (freed here), as the payload. */
static bool owned_text(char *text, size_t len, const char *what, struct kh_answer *out,
		       struct err *e)
{
	if (!text)
		return err_set(e, ERR_INTERNAL, "out of memory for %s", what);
	bool ok = kh_answer_bytes(out, text, len, e);
	free(text);
	out->code = 200;
	return ok;
}

bool kh_monitor(const struct kh_context *c, const struct kh_request *rq, struct kh_answer *out,
		struct err *e)
{
	struct statusz_source s = { c->guard->vault, c->health, c->metrics };
	size_t len = 0;
	char *text;
	switch (rq->op) {
	case KH_OP_STATUSZ: return statusz(&s, out, e);
	case KH_OP_STATUSZ_KEY: return statusz_key(c, &s, rq, out, e);
	case KH_OP_STATUS_PAGE:
		text = statusz_page_html(&s, &len); /* before len is read */
		return owned_text(text, len, "the status page", out, e);
	case KH_OP_METRICS:
		if (!c->metrics)
			return err_set(e, ERR_UNAVAILABLE, "metrics are not kept by this key holder");
		text = metrics_render(c->metrics, &len);
		return owned_text(text, len, "the metrics", out, e);
	default:
		return err_set(e, ERR_MALFORMED, "op %d is not a monitoring op", (int)rq->op);
	}
}
