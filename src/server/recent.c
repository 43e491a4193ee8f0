/* recent.c - last signed per kind and per-minute latency, per key. */
#include "recent.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[RECENT_KINDS] = { "block", "preattestation", "attestation" };

bool recent_init(struct recent *r, size_t nkeys)
{
	memset(r, 0, sizeof(*r));
	r->keys = calloc(nkeys ? nkeys : 1, sizeof(*r->keys));
	if (!r->keys)
		return false;
	r->n = nkeys;
	pthread_mutex_init(&r->lock, NULL);
	return true;
}

void recent_free(struct recent *r)
{
	if (!r->keys)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->keys);
	r->keys = NULL;
	r->n = 0;
}

static int kind_index(enum op_kind kind)
{
	switch (kind) {
	case OP_BLOCK: return 0;
	case OP_PREATTESTATION: return 1;
	case OP_ATTESTATION: return 2;
	default: return -1;
	}
}

void recent_note(struct recent *r, size_t key, const struct op_info *op, uint64_t ns, int64_t now_ms)
{
	if (!r->keys || key >= r->n)
		return;
	int ki = kind_index(op->kind);
	int64_t minute = now_ms / 60000;
	uint64_t us = ns / 1000;
	pthread_mutex_lock(&r->lock);
	struct recent_key *k = &r->keys[key];
	if (ki >= 0)
		k->last[ki] = (struct recent_signed){ .known = true, .level = op->level,
						      .round = op->round, .at_ms = now_ms };
	struct recent_minute *m = &k->minutes[minute % RECENT_MINUTES];
	if (m->minute != minute)
		*m = (struct recent_minute){ .minute = minute };
	m->count++;
	m->sum_us += us;
	if (us > m->max_us)
		m->max_us = us;
	pthread_mutex_unlock(&r->lock);
}

json_t *recent_iso_json(int64_t ms)
{
	if (ms <= 0)
		return json_null();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

json_t *recent_key_json(struct recent *r, size_t key, int64_t now_ms)
{
	if (!r->keys || key >= r->n)
		return NULL;
	struct recent_key k;
	pthread_mutex_lock(&r->lock);
	k = r->keys[key];
	pthread_mutex_unlock(&r->lock);
	json_t *last = json_object(), *lat = json_array();
	json_t *o = json_pack("{s:o, s:o}", "last_signed", last, "latency", lat);
	if (!o)
		return NULL;
	for (int i = 0; i < RECENT_KINDS; i++) {
		const struct recent_signed *s = &k.last[i];
		json_t *v = s->known ? json_pack("{s:I, s:I, s:o, s:I}", "level", (json_int_t)s->level,
						 "round", (json_int_t)s->round, "at", recent_iso_json(s->at_ms),
						 "age_s", (json_int_t)((now_ms - s->at_ms) / 1000))
				     : json_null();
		json_object_set_new(last, kind_names[i], v ? v : json_null());
	}
	int64_t now_min = now_ms / 60000;
	for (int64_t m = now_min - RECENT_MINUTES + 1; m <= now_min; m++) {
		const struct recent_minute *b = &k.minutes[m % RECENT_MINUTES];
		if (b->minute != m || b->count == 0)
			continue;
		json_array_append_new(lat, json_pack("{s:o, s:I, s:I, s:f, s:f}", "minute",
						     recent_iso_json(m * 60000), "minutes_ago",
						     (json_int_t)(now_min - m), "count",
						     (json_int_t)b->count, "avg_ms",
						     (double)b->sum_us / b->count / 1000.0, "max_ms",
						     (double)b->max_us / 1000.0));
	}
	return o;
}
