/* front_metrics.c - the front's part of /metrics: HTTP requests by route
 * and status class (the names and labels /metrics had before the split)
 * and the connection table's gauges and counters. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/strbuf.h"
#include "front.h"

static void counter(struct strbuf *t, const char *name, const char *help, uint64_t v)
{
	sb_printf(t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
	    (unsigned long long)v);
}

char *front_metrics_append(const struct front *f, const uint8_t *kh_text, size_t kh_len,
			   size_t *len)
{
	static const char *const classes[6] = { "1xx", "2xx", "3xx", "4xx", "5xx", "other" };
	struct strbuf t = { 0 };
	sb_put(&t, (const char *)kh_text, kh_len);
	sb_printf(&t, "# HELP tzsigner_http_requests_total HTTP requests by route and status class.\n"
		"# TYPE tzsigner_http_requests_total counter\n");
	for (size_t r = 0; r < LABEL_COUNT; r++)
		for (size_t c = 0; c < 6; c++)
			if (f->stats.http[r][c])
				sb_printf(&t, "tzsigner_http_requests_total{route=\"%s\",code=\"%s\"} %llu\n",
				    route_label_name((enum route_label)r), classes[c],
				    (unsigned long long)f->stats.http[r][c]);
	unsigned by_state[CONN_STATES] = { 0 };
	for (size_t i = 0; i < f->n_conns; i++)
		by_state[f->conns[i].state]++;
	sb_printf(&t, "# HELP tzsigner_front_connections Open connections of the network front by state.\n"
		"# TYPE tzsigner_front_connections gauge\n");
	for (size_t s = CONN_IDLE; s < CONN_STATES; s++)
		sb_printf(&t, "tzsigner_front_connections{state=\"%s\"} %u\n",
		    conn_state_name((enum conn_state)s), by_state[s]);
	counter(&t, "tzsigner_front_connections_accepted_total", "Connections accepted.",
		f->stats.accepted);
	counter(&t, "tzsigner_front_connections_shed_total",
		"Idle connections closed to make room for a new one (the oldest idle first).",
		f->stats.shed);
	counter(&t, "tzsigner_front_accept_paused_total",
		"Times a listener stopped accepting (its table full, none idle): new connections wait in the kernel's queue.",
		f->stats.paused);
	sb_printf(&t, "# HELP tzsigner_front_deadline_expired_total Connections closed at their absolute deadline, by what they were doing.\n"
		"# TYPE tzsigner_front_deadline_expired_total counter\n");
	for (size_t s = CONN_IDLE; s < CONN_STATES; s++)
		if (s != CONN_WAIT)
			sb_printf(&t, "tzsigner_front_deadline_expired_total{state=\"%s\"} %llu\n",
			    conn_state_name((enum conn_state)s), (unsigned long long)f->stats.expired[s]);
	counter(&t, "tzsigner_front_socket_requests_total",
		"Requests of octez's socket signer protocol.", f->stats.socket_requests);
	size_t n = t.len;
	char *text = sb_take(&t);
	if (text)
		*len = n;
	return text;
}
