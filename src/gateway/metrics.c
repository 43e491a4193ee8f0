/* metrics.c - the gateway's counters and their Prometheus text. */
#include "metrics.h"
#include "../base/clock.h"
#include "../base/strbuf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double etcd_bounds_s[GW_ETCD_BUCKETS] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
						       0.05,   0.1,   0.25,  0.5,   1,    2.5 };

const char *gw_outcome_name(enum gw_outcome o)
{
	static const char *const names[GW_OUTCOMES] = {
		"signed", "watermark", "etcd_unavailable", "no_box", "authentication",
		"malformed", "forbidden", "unknown_key", "box_refused",
	};
	return (unsigned)o < GW_OUTCOMES ? names[o] : "unknown";
}

void gw_metrics_init(struct gw_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
}

void gw_metrics_free(struct gw_metrics *m) { pthread_mutex_destroy(&m->mu); }

void gw_metrics_outcome(struct gw_metrics *m, enum gw_outcome o)
{
	pthread_mutex_lock(&m->mu);
	m->outcome[o]++;
	pthread_mutex_unlock(&m->mu);
}

void gw_metrics_retry(struct gw_metrics *m)
{
	pthread_mutex_lock(&m->mu);
	m->retries++;
	pthread_mutex_unlock(&m->mu);
}

void gw_metrics_etcd(struct gw_metrics *m, bool ok, uint64_t ns, unsigned round_trips,
		     const char *error)
{
	double s = (double)ns / 1e9;
	uint64_t now_ms = (uint64_t)now_wall_ms();
	pthread_mutex_lock(&m->mu);
	m->etcd_round_trips += round_trips;
	if (ok) {
		size_t i = 0;
		while (i < GW_ETCD_BUCKETS && s > etcd_bounds_s[i])
			i++;
		m->etcd_bucket[i]++;
		m->etcd_count++;
		m->etcd_sum_s += s;
		m->etcd_last_ms = s * 1e3;
		m->etcd_last_ok_ms = now_ms;
	} else {
		m->etcd_errors++;
		m->etcd_last_error_ms = now_ms;
		snprintf(m->etcd_last_error, sizeof(m->etcd_last_error), "%s", error ? error : "");
	}
	pthread_mutex_unlock(&m->mu);
}

void gw_metrics_copy(struct gw_metrics *m, struct gw_metrics *out)
{
	pthread_mutex_lock(&m->mu);
	memcpy(&out->outcome, &m->outcome, sizeof(*m) - offsetof(struct gw_metrics, outcome));
	pthread_mutex_unlock(&m->mu);
}

static void render_boxes(struct strbuf *t, const struct gw_boxes_view *v)
{
	sb_printf(t, "# HELP tzsigner_gateway_box_up Whether the box answered its last check or request.\n"
	       "# TYPE tzsigner_gateway_box_up gauge\n");
	for (size_t i = 0; i < v->nbox; i++)
		sb_printf(t, "tzsigner_gateway_box_up{box=\"%s\"} %d\n", v->box[i].url, v->box[i].reachable);
	sb_printf(t, "# HELP tzsigner_gateway_box_failures_total Forwarded requests that failed at the box (retried elsewhere).\n"
	       "# TYPE tzsigner_gateway_box_failures_total counter\n");
	for (size_t i = 0; i < v->nbox; i++)
		sb_printf(t, "tzsigner_gateway_box_failures_total{box=\"%s\"} %llu\n", v->box[i].url,
		    (unsigned long long)v->box[i].failures);
	sb_printf(t, "# HELP tzsigner_gateway_key_ready Whether the box can sign the key now (its /statusz/<pkh>).\n"
	       "# TYPE tzsigner_gateway_key_ready gauge\n");
	for (size_t k = 0; k < v->nkey; k++)
		for (size_t i = 0; i < v->nbox; i++)
			if (v->box[i].key[k] != GW_KEY_ABSENT && v->box[i].key[k] != GW_KEY_UNKNOWN)
				sb_printf(t, "tzsigner_gateway_key_ready{pkh=\"%s\",box=\"%s\"} %d\n", v->key[k],
				    v->box[i].url, v->box[i].reachable && v->box[i].key[k] == GW_KEY_READY);
	sb_printf(t, "# HELP tzsigner_gateway_key_signer The box that signed the key last (preferred while healthy).\n"
	       "# TYPE tzsigner_gateway_key_signer gauge\n");
	for (size_t k = 0; k < v->nkey; k++)
		if (v->signer[k] >= 0)
			sb_printf(t, "tzsigner_gateway_key_signer{pkh=\"%s\",box=\"%s\"} 1\n", v->key[k],
			    v->box[v->signer[k]].url);
}

char *gw_metrics_render(struct gw_metrics *m, const struct gw_boxes_view *v, size_t *len)
{
	struct gw_metrics c;
	gw_metrics_copy(m, &c);
	struct strbuf t = { 0 };
	sb_printf(&t, "# HELP tzsigner_gateway_sign_requests_total Sign requests by outcome (refusals by reason).\n"
		"# TYPE tzsigner_gateway_sign_requests_total counter\n");
	for (int o = 0; o < GW_OUTCOMES; o++)
		sb_printf(&t, "tzsigner_gateway_sign_requests_total{outcome=\"%s\"} %llu\n",
		    gw_outcome_name((enum gw_outcome)o), (unsigned long long)c.outcome[o]);
	sb_printf(&t, "# HELP tzsigner_gateway_retries_total Sign requests sent again, same bytes, to another box.\n"
		"# TYPE tzsigner_gateway_retries_total counter\n"
		"tzsigner_gateway_retries_total %llu\n", (unsigned long long)c.retries);
	sb_printf(&t, "# HELP tzsigner_gateway_etcd_txn_seconds The shared watermark's decision in etcd, all its round trips.\n"
		"# TYPE tzsigner_gateway_etcd_txn_seconds histogram\n");
	uint64_t cum = 0;
	for (int i = 0; i < GW_ETCD_BUCKETS; i++) {
		cum += c.etcd_bucket[i];
		sb_printf(&t, "tzsigner_gateway_etcd_txn_seconds_bucket{le=\"%g\"} %llu\n", etcd_bounds_s[i],
		    (unsigned long long)cum);
	}
	sb_printf(&t, "tzsigner_gateway_etcd_txn_seconds_bucket{le=\"+Inf\"} %llu\n"
		"tzsigner_gateway_etcd_txn_seconds_sum %.6f\n"
		"tzsigner_gateway_etcd_txn_seconds_count %llu\n",
	    (unsigned long long)c.etcd_count, c.etcd_sum_s, (unsigned long long)c.etcd_count);
	sb_printf(&t, "# HELP tzsigner_gateway_etcd_errors_total Watermark transactions etcd gave no answer to.\n"
		"# TYPE tzsigner_gateway_etcd_errors_total counter\n"
		"tzsigner_gateway_etcd_errors_total %llu\n", (unsigned long long)c.etcd_errors);
	sb_printf(&t, "# HELP tzsigner_gateway_etcd_round_trips_total Swaps sent to etcd (one per decision when the cached record is current).\n"
		"# TYPE tzsigner_gateway_etcd_round_trips_total counter\n"
		"tzsigner_gateway_etcd_round_trips_total %llu\n", (unsigned long long)c.etcd_round_trips);
	render_boxes(&t, v);
	size_t n = t.len;
	char *text = sb_take(&t);
	if (text)
		*len = n;
	return text;
}
