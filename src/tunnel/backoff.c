/* backoff.c - capped, jittered exponential backoff. */
#include "backoff.h"

uint32_t backoff_ceiling_ms(const struct backoff *b)
{
	uint64_t d = b->min_ms ? b->min_ms : 1;
	for (uint32_t i = 0; i < b->failures && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	return (uint32_t)d;
}

uint32_t backoff_delay_ms(const struct backoff *b, uint32_t rnd)
{
	uint32_t d = backoff_ceiling_ms(b);
	uint32_t half = d / 2;
	return (d - half) + rnd % (half + 1);
}

void backoff_failed(struct backoff *b)
{
	if (b->failures < 64)
		b->failures++;
}

void backoff_reset(struct backoff *b) { b->failures = 0; }
