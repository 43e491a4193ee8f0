/* tunnel_view.h - the tunnel's state as `tzsigner tunnel --state FILE`
 * writes it (src/tunnel/state.h), read by the signer for /metrics and
 * /statusz. The signer and the tunnel are separate processes under
 * separate users; this file is the only thing they share.
 *
 *   {"state":"up","since":"2026-11-25T19:30:00Z","reconnects":3,
 *    "uplink":"wlan0","error_kind":null,"pid":812,…} */
#ifndef TZS_HEALTH_TUNNEL_VIEW_H
#define TZS_HEALTH_TUNNEL_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define TUNNEL_VIEW_FILE_MAX (64 * 1024)

/* The states the tunnel writes, in this order in metrics. */
#define TUNNEL_STATE_COUNT 5
extern const char *const tunnel_state_names[TUNNEL_STATE_COUNT]; /* starting connecting up down stopped */

struct tunnel_view {
	char state[16];        /* one of tunnel_state_names, or another [a-z_] word */
	int64_t since_ms;      /* 0 when absent */
	int64_t up_since_ms;
	uint64_t reconnects, attempts, failures;
	char uplink[16];       /* "" when absent */
	char error_kind[40];
	char signer[16];       /* unknown, ok, unreachable */
	char probe[16];
	char box_ssh[16];      /* the P+1000 forward's target: unknown, ok, not_listening; "" absent */
	long pid;              /* 0 when absent */
};

/* Parses the file's text. Must be a JSON object with a "state" word;
 * counters are non-negative integers; strings are bounded and label-safe;
 * times are "YYYY-MM-DDTHH:MM:SSZ" or null. */
bool tunnel_view_parse(const char *text, size_t len, struct tunnel_view *out, struct err *e);

/* "2026-11-25T19:30:00Z" → ms since the epoch. */
bool tunnel_view_parse_time(const char *text, int64_t *ms, struct err *e);

#endif
