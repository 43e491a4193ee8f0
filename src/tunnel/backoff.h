/* backoff.h - capped, jittered exponential backoff between connection
 * attempts.
 *
 * The n-th consecutive failure waits a random time in [d/2, d] with
 * d = min(max, min * 2^n): about 1 s, 2 s, 4 s … up to 30 s with the
 * defaults. Jitter keeps a fleet of boxes from reconnecting in lockstep
 * after the endpoint restarts; the lower half-bound keeps retries from
 * collapsing to zero. A connection that stays up for the stable period
 * resets the count. */
#ifndef TZS_TUNNEL_BACKOFF_H
#define TZS_TUNNEL_BACKOFF_H

#include <stdint.h>

struct backoff {
	uint32_t min_ms;
	uint32_t max_ms;
	uint32_t failures; /* consecutive attempts that did not reach a stable tunnel */
};

/* The upper bound d for the current failure count. */
uint32_t backoff_ceiling_ms(const struct backoff *b);

/* The delay before the next attempt: d/2 + rnd mod (d/2 + 1). rnd is a
 * uniformly random 32-bit number (the caller's, so tests are exact). */
uint32_t backoff_delay_ms(const struct backoff *b, uint32_t rnd);

/* Records a failed attempt (failures saturates). */
void backoff_failed(struct backoff *b);

/* Records a tunnel that stayed up for the stable period. */
void backoff_reset(struct backoff *b);

#endif
