/* serve_boxes.c - each box's health: its check through the tunnel, every
 * probe_interval_s, and the state the exporter shows (tunnel up or down,
 * signer up or down, since when, the counters). */
#include "serve_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "../base/log.h"
#include "signers.h"
#include "../base/clock.h"

/* The status page's latency chart: good checks per minute. */
static void note_check_minute(struct fwd_box_state *b, int64_t minute, double ms)
{
	struct fwd_check_minute *m = &b->check_minutes[minute % FWD_CHECK_MINUTES];
	if (m->minute != minute)
		*m = (struct fwd_check_minute){ .minute = minute };
	m->count++;
	m->sum_ms += ms;
	if (ms > m->max_ms)
		m->max_ms = ms;
}

void fwd_apply_probe(struct fwd_state *s, size_t i, enum probe_result r, uint64_t now)
{
	struct fwd_box_state *b = &s->boxes[i];
	const struct signer *x = &s->r.signers.v[i];
	(void)now;
	b->check_seconds = (double)boxprobe_elapsed_us(&b->probe) / 1e6;
	b->http_status = b->probe.status;
	int tunnel = r == PROBE_TUNNEL_DOWN ? TRI_DOWN : TRI_UP;
	int signer = r == PROBE_OK ? TRI_UP : TRI_DOWN;
	if (r == PROBE_OK) {
		b->checks_ok++;
		b->last_up_ms = now_wall_ms();
		note_check_minute(b, b->last_up_ms / 60000, b->check_seconds * 1000.0);
		b->error[0] = '\0';
	} else {
		if (r == PROBE_TUNNEL_DOWN)
			b->checks_tunnel_down++;
		else
			b->checks_no_answer++;
		snprintf(b->error, sizeof(b->error), "%s", b->probe.error);
	}
	if (signer != b->signer || tunnel != b->tunnel) {
		char err[200];
		b->since_ms = now_wall_ms();
		if (signer == TRI_UP)
			log_info("event=box_state box=%s port=%u tunnel=up signer=up check_ms=%.1f", x->name,
				 (unsigned)x->port, b->check_seconds * 1000.0);
		else
			log_warn("event=box_state box=%s port=%u tunnel=%s signer=down error=%s", x->name,
				 (unsigned)x->port, tunnel == TRI_UP ? "up" : "down", log_str(err, sizeof(err), b->error));
	}
	b->tunnel = tunnel;
	b->signer = signer;
	b->next_probe_ms = now + (uint64_t)s->opts->probe_interval_s * 1000u;
}

void fwd_probe_due(struct fwd_state *s, uint64_t now)
{
	for (size_t i = 0; i < s->r.signers.n; i++) {
		struct fwd_box_state *b = &s->boxes[i];
		if (boxprobe_active(&b->probe)) {
			enum probe_result r = boxprobe_expire(&b->probe, now);
			if (r != PROBE_PENDING)
				fwd_apply_probe(s, i, r, now);
			continue;
		}
		if (now < b->next_probe_ms)
			continue;
		char path[64];
		const struct signer *x = &s->r.signers.v[i];
		enum probe_result r = boxprobe_start(&b->probe, x->port, signer_check_path(x, path, sizeof(path)),
						     now, s->opts->probe_timeout_ms);
		if (r != PROBE_PENDING)
			fwd_apply_probe(s, i, r, now);
	}
}

bool fwd_boxes_alloc(struct fwd_state *s, uint64_t now)
{
	s->boxes = calloc(s->r.signers.n ? s->r.signers.n : 1, sizeof(*s->boxes));
	if (!s->boxes)
		return false;
	for (size_t i = 0; i < s->r.signers.n; i++) {
		boxprobe_init(&s->boxes[i].probe);
		s->boxes[i].tunnel = s->boxes[i].signer = TRI_UNKNOWN;
		s->boxes[i].next_probe_ms = now + 200 + 50 * i;
	}
	return true;
}

void fwd_boxes_free(struct fwd_state *s)
{
	for (size_t i = 0; s->boxes && i < s->r.signers.n; i++)
		boxprobe_close(&s->boxes[i].probe);
	free(s->boxes);
	s->boxes = NULL;
}
