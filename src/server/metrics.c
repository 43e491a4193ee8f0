/* metrics.c - counters, latency histograms and watermark gauges. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double bucket_le[METRICS_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static const char *const outcome_names[OUTCOME_COUNT] = {
	"signed", "reanswered", "refused_malformed", "refused_authentication",
	"refused_policy", "refused_watermark", "refused_unavailable", "failed",
};

static const char *const kind_names[METRICS_KINDS] = {
	"block", "preattestation", "attestation", "other", "unparsed",
};

static const char *const route_names[ROUTE_COUNT] = {
	"authorized_keys", "public_key", "sign", "bls_prove_possession", "known_keys",
	"health", "metrics", "other",
};

bool metrics_init(struct metrics *m, const struct vault *v, struct wm_store *watermarks)
{
	memset(m, 0, sizeof(*m));
	m->vault = v;
	m->watermarks = watermarks;
	m->keys = calloc(v->count ? v->count : 1, sizeof(*m->keys));
	m->start_unix = (uint64_t)time(NULL);
	return m->keys != NULL;
}

void metrics_free(struct metrics *m)
{
	free(m->keys);
	m->keys = NULL;
}

enum sign_outcome metrics_outcome_of_status(unsigned int status, bool reanswered)
{
	switch (status) {
	case 200: return reanswered ? OUTCOME_REANSWERED : OUTCOME_SIGNED;
	case 400: case 404: case 413: return OUTCOME_REFUSED_MALFORMED;
	case 401: return OUTCOME_REFUSED_AUTH;
	case 403: return OUTCOME_REFUSED_POLICY;
	case 409: return OUTCOME_REFUSED_WATERMARK;
	case 503: return OUTCOME_REFUSED_UNAVAILABLE;
	default: return OUTCOME_FAILED;
	}
}

void metrics_observe_sign(struct metrics *m, const struct vault_key *key, bool kind_known,
			  enum op_kind kind, enum sign_outcome outcome, uint64_t ns)
{
	if (!m)
		return;
	struct key_metrics *k = key ? &m->keys[key - m->vault->keys] : &m->unknown_key;
	size_t ki = kind_known ? (size_t)kind : METRICS_KINDS - 1;
	atomic_fetch_add_explicit(&k->outcomes[ki][outcome], 1, memory_order_relaxed);
	if (outcome != OUTCOME_SIGNED && outcome != OUTCOME_REANSWERED)
		return;
	double s = (double)ns / 1e9;
	for (size_t b = 0; b < METRICS_BUCKETS; b++)
		if (s <= bucket_le[b]) {
			atomic_fetch_add_explicit(&k->latency_buckets[b], 1, memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&k->latency_count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&k->latency_sum_ns, ns, memory_order_relaxed);
}

void metrics_observe_http(struct metrics *m, enum http_route route, unsigned int status)
{
	if (!m)
		return;
	size_t cls = status >= 100 && status < 600 ? status / 100 - 1 : 5;
	atomic_fetch_add_explicit(&m->http[route][cls], 1, memory_order_relaxed);
}

struct text {
	char *buf;
	size_t len, cap;
	bool failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	if (t->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *grown = realloc(t->buf, cap);
		if (!grown) {
			t->failed = true;
			return;
		}
		t->buf = grown;
		t->cap = cap;
	}
}

/* A label value with \\, \" and newlines escaped, as the text format wants. */
static const char *label(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 3 < cap; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

static void render_key(struct text *t, const struct key_metrics *k, const char *pkh,
		       const char *raw_name)
{
	char name[2 * KEY_NAME_MAX + 4];
	label(name, sizeof(name), raw_name);
	for (size_t kind = 0; kind < METRICS_KINDS; kind++)
		for (size_t o = 0; o < OUTCOME_COUNT; o++) {
			uint64_t v = atomic_load_explicit(&k->outcomes[kind][o], memory_order_relaxed);
			if (v)
				put(t, "tzsigner_sign_requests_total{pkh=\"%s\",name=\"%s\",kind=\"%s\",outcome=\"%s\"} %llu\n",
				    pkh, name, kind_names[kind], outcome_names[o], (unsigned long long)v);
		}
}

static void render_latency(struct text *t, const struct key_metrics *k, const char *pkh)
{
	uint64_t cum = 0;
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		cum += atomic_load_explicit(&k->latency_buckets[b], memory_order_relaxed);
		put(t, "tzsigner_sign_duration_seconds_bucket{pkh=\"%s\",le=\"%g\"} %llu\n", pkh,
		    bucket_le[b], (unsigned long long)cum);
	}
	uint64_t count = atomic_load_explicit(&k->latency_count, memory_order_relaxed);
	put(t, "tzsigner_sign_duration_seconds_bucket{pkh=\"%s\",le=\"+Inf\"} %llu\n", pkh,
	    (unsigned long long)count);
	put(t, "tzsigner_sign_duration_seconds_sum{pkh=\"%s\"} %.9f\n", pkh,
	    (double)atomic_load_explicit(&k->latency_sum_ns, memory_order_relaxed) / 1e9);
	put(t, "tzsigner_sign_duration_seconds_count{pkh=\"%s\"} %llu\n", pkh,
	    (unsigned long long)count);
}

static void render_watermarks(struct text *t, struct wm_store *s)
{
	put(t, "# HELP tzsigner_high_watermark_level Level of the last committed high watermark.\n"
	       "# TYPE tzsigner_high_watermark_level gauge\n");
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->count; i++) {
		const struct wm_slot *x = s->slots[i];
		char chain[B58_MAX], pkh[B58_MAX];
		if (!x->target.known || !chain_id_encode(chain, x->chain, NULL) ||
		    !pkh_encode(pkh, &x->pkh, NULL))
			continue;
		put(t, "tzsigner_high_watermark_level{chain=\"%s\",pkh=\"%s\",kind=\"%s\"} %u\n", chain,
		    pkh, op_kind_name(x->kind), x->target.level);
		if (x->target.round != WM_WHOLE_LEVEL)
			put(t, "tzsigner_high_watermark_round{chain=\"%s\",pkh=\"%s\",kind=\"%s\"} %u\n",
			    chain, pkh, op_kind_name(x->kind), x->target.round);
	}
	put(t, "# TYPE tzsigner_watermark_writes_total counter\ntzsigner_watermark_writes_total %llu\n"
	       "# TYPE tzsigner_watermark_write_failures_total counter\n"
	       "tzsigner_watermark_write_failures_total %llu\n",
	    (unsigned long long)s->writes, (unsigned long long)s->write_failures);
	pthread_mutex_unlock(&s->lock);
}

char *metrics_render(struct metrics *m, size_t *len)
{
	struct text t = { 0 };
	const struct vault *v = m->vault;
	put(&t, "# HELP tzsigner_up The signer process answers.\n# TYPE tzsigner_up gauge\ntzsigner_up 1\n");
	put(&t, "# TYPE tzsigner_start_time_seconds gauge\ntzsigner_start_time_seconds %llu\n",
	    (unsigned long long)m->start_unix);
	put(&t, "# HELP tzsigner_key_info A key this signer holds.\n# TYPE tzsigner_key_info gauge\n");
	for (size_t i = 0; i < v->count; i++)
	{
		char name[2 * KEY_NAME_MAX + 4];
		put(&t, "tzsigner_key_info{pkh=\"%s\",name=\"%s\",storage=\"%s\"} 1\n", v->keys[i].pkh_text,
		    label(name, sizeof(name), v->keys[i].name), key_storage_name(v->keys[i].storage));
	}
	put(&t, "# HELP tzsigner_sign_requests_total Sign requests by key, kind and outcome.\n"
		"# TYPE tzsigner_sign_requests_total counter\n");
	for (size_t i = 0; i < v->count; i++)
		render_key(&t, &m->keys[i], v->keys[i].pkh_text, v->keys[i].name);
	render_key(&t, &m->unknown_key, "unknown", "-");
	put(&t, "# HELP tzsigner_sign_duration_seconds Time from request to signature.\n"
		"# TYPE tzsigner_sign_duration_seconds histogram\n");
	for (size_t i = 0; i < v->count; i++)
		render_latency(&t, &m->keys[i], v->keys[i].pkh_text);
	put(&t, "# HELP tzsigner_http_requests_total HTTP requests by route and status class.\n"
		"# TYPE tzsigner_http_requests_total counter\n");
	for (size_t r = 0; r < ROUTE_COUNT; r++)
		for (size_t c = 0; c < 6; c++) {
			uint64_t n = atomic_load_explicit(&m->http[r][c], memory_order_relaxed);
			if (n)
				put(&t, "tzsigner_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n",
				    route_names[r], (const char *[]){ "1xx", "2xx", "3xx", "4xx", "5xx", "other" }[c],
				    (unsigned long long)n);
		}
	if (m->watermarks)
		render_watermarks(&t, m->watermarks);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}
