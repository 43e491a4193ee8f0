/* metrics.h - what the gateway counts: sign outcomes (refusals by reason),
 * retries on another box, the etcd transaction's latency and errors.
 * Rendered for Prometheus at /metrics, with the boxes' view; /statusz
 * (statusz.h) shows the same as JSON. */
#ifndef TZS_GATEWAY_METRICS_H
#define TZS_GATEWAY_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boxes.h"

enum gw_outcome {
	GW_OUT_SIGNED = 0,
	GW_OUT_WATERMARK,    /* 409 from the shared watermark */
	GW_OUT_ETCD,         /* 503: etcd gave no answer (no quorum, unreachable) */
	GW_OUT_NO_BOX,       /* 503: no box could sign */
	GW_OUT_AUTH,         /* 401 */
	GW_OUT_MALFORMED,    /* 400 */
	GW_OUT_FORBIDDEN,    /* 403 (a tag that does not fit the key) */
	GW_OUT_UNKNOWN_KEY,  /* 404: no box holds it */
	GW_OUT_BOX_REFUSED,  /* a box's own decision (4xx), passed on */
	GW_OUTCOMES
};

const char *gw_outcome_name(enum gw_outcome o);

#define GW_ETCD_BUCKETS 12

struct gw_metrics {
	pthread_mutex_t mu;
	uint64_t outcome[GW_OUTCOMES];
	uint64_t retries;            /* sign requests sent again to another box */
	uint64_t etcd_bucket[GW_ETCD_BUCKETS + 1];
	uint64_t etcd_count;
	double etcd_sum_s;
	double etcd_last_ms;
	uint64_t etcd_errors;
	uint64_t etcd_round_trips;   /* swaps sent, answered or not */
	uint64_t etcd_last_ok_ms;    /* wall clock, 0 never */
	uint64_t etcd_last_error_ms; /* wall clock, 0 never */
	char etcd_last_error[200];
};

void gw_metrics_init(struct gw_metrics *m);
void gw_metrics_free(struct gw_metrics *m);
void gw_metrics_outcome(struct gw_metrics *m, enum gw_outcome o);
void gw_metrics_retry(struct gw_metrics *m);
/* One request's watermark decision in etcd (all its round trips). */
void gw_metrics_etcd(struct gw_metrics *m, bool ok, uint64_t ns, unsigned round_trips,
		     const char *error);

/* Prometheus text; malloc'd, *len its length. NULL when out of memory. */
char *gw_metrics_render(struct gw_metrics *m, const struct gw_boxes_view *v, size_t *len);

/* A consistent copy (for /statusz). */
void gw_metrics_copy(struct gw_metrics *m, struct gw_metrics *out);

#endif
