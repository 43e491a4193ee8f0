/* kh_monitor.h - the monitoring ops rendered in the key holder: /statusz,
 * /statusz/<pkh>, the status page and its part of /metrics (the front adds
 * the route counters it keeps). */
#ifndef TZS_KEYHOLDER_KH_MONITOR_H
#define TZS_KEYHOLDER_KH_MONITOR_H

#include "kh_ops.h"

/* Answers a monitoring op (KH_OP_STATUSZ … KH_OP_METRICS); code carries
 * the HTTP status it goes out with. False with e for a refusal. */
bool kh_monitor(const struct kh_context *c, const struct kh_request *rq, struct kh_answer *out,
		struct err *e);

#endif
