/* box_check.c - the background checks of the boxes: which keys each holds
 * (/known_keys) and whether it can sign each tracked key (/statusz/<pkh>). */
#include "boxes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "http_client.h"
#include "known_keys.h"

static bool get(const struct gw_boxes *b, size_t box, const char *path, struct gw_http_answer *ans,
		struct err *e)
{
	char url[GW_BOX_URL_MAX + 64];
	snprintf(url, sizeof(url), "%s%s", b->box[box].url, path);
	struct gw_http_req req = { .method = "GET", .url = url, .timeout_ms = b->check_timeout_ms,
				   .connect_timeout_ms = b->check_timeout_ms };
	return gw_http_exchange(&req, ans, NULL, e);
}

static void check_box(struct gw_boxes *b, size_t box, char (*keys)[GW_PKH_MAX], size_t nkey)
{
	enum gw_key_state states[GW_MAX_KEYS] = { GW_KEY_UNKNOWN };
	char learned[GW_MAX_KEYS][GW_PKH_MAX];
	size_t nlearned = 0;
	struct gw_http_answer ans;
	struct err e = { 0 };
	if (!get(b, box, "/known_keys", &ans, &e))
		goto unreachable;
	if (ans.status == 200 && !gw_known_keys_parse(ans.body, ans.len, learned, GW_MAX_KEYS, &nlearned, &e)) {
		char q[ERR_MSG_MAX];
		log_warn("event=box_known_keys box=%s reason=%s", b->box[box].url, log_str(q, sizeof(q), e.msg));
		err_clear(&e);
	}
	gw_http_answer_free(&ans);
	for (size_t k = 0; k < nkey; k++) {
		char path[GW_PKH_MAX + 16];
		snprintf(path, sizeof(path), "/statusz/%.39s", keys[k]);
		if (!get(b, box, path, &ans, &e))
			goto unreachable;
		states[k] = ans.status == 200   ? GW_KEY_READY
			    : ans.status == 404 ? GW_KEY_ABSENT
			    : ans.status == 503 ? GW_KEY_NOT_READY
						: GW_KEY_UNKNOWN;
		gw_http_answer_free(&ans);
	}
	gw_boxes_set_checked(b, box, true, "", states, nkey, (const char(*)[GW_PKH_MAX])learned, nlearned);
	return;
unreachable:
	gw_boxes_set_checked(b, box, false, e.msg, NULL, 0, NULL, 0);
}

void gw_boxes_check_all(struct gw_boxes *b)
{
	char keys[GW_MAX_KEYS][GW_PKH_MAX];
	size_t nkey;
	bool was[GW_MAX_BOXES];
	pthread_mutex_lock(&b->mu);
	nkey = b->nkey;
	memcpy(keys, b->key, sizeof(keys));
	for (size_t i = 0; i < b->nbox; i++)
		was[i] = b->box[i].reachable;
	pthread_mutex_unlock(&b->mu);
	for (size_t i = 0; i < b->nbox; i++) {
		check_box(b, i, keys, nkey);
		pthread_mutex_lock(&b->mu);
		bool now = b->box[i].reachable;
		char why[sizeof(b->box[i].last_error)], q[200];
		snprintf(why, sizeof(why), "%s", b->box[i].last_error);
		pthread_mutex_unlock(&b->mu);
		if (now != was[i])
			log_info("event=box_%s box=%s reason=%s", now ? "up" : "down", b->box[i].url,
				 log_str(q, sizeof(q), now ? "check answered" : why));
	}
}

static void *checker(void *arg)
{
	struct gw_boxes *b = arg;
	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		pthread_mutex_unlock(&b->mu);
		gw_boxes_check_all(b);
		pthread_mutex_lock(&b->mu);
		struct timespec until = clock_after_ms(CLOCK_REALTIME, (uint64_t)b->interval_ms);
		while (!b->stop && pthread_cond_timedwait(&b->wake, &b->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

bool gw_boxes_start(struct gw_boxes *b, struct err *e)
{
	b->stop = false;
	int rc = pthread_create(&b->thread, NULL, checker, b);
	if (rc != 0) {
		errno = rc;
		return err_errno(e, ERR_INTERNAL, "starting the box checker thread");
	}
	b->running = true;
	return true;
}

void gw_boxes_stop(struct gw_boxes *b)
{
	if (!b->running)
		return;
	pthread_mutex_lock(&b->mu);
	b->stop = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->running = false;
}
