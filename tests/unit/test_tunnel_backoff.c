/* Unit tests of src/tunnel/backoff.c. */
#include <stdint.h>

#include "../../src/tunnel/backoff.h"
#include "harness.h"

TEST(tunnel_backoff_doubles_up_to_the_cap)
{
	struct backoff b = { .min_ms = 1000, .max_ms = 30000 };
	static const uint32_t want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK(backoff_ceiling_ms(&b) == want[i]);
		backoff_failed(&b);
	}
	/* saturates, never overflows */
	for (int i = 0; i < 1000; i++)
		backoff_failed(&b);
	CHECK(b.failures == 64);
	CHECK(backoff_ceiling_ms(&b) == 30000);
	backoff_reset(&b);
	CHECK(b.failures == 0);
	CHECK(backoff_ceiling_ms(&b) == 1000);
}

TEST(tunnel_backoff_jitter_stays_in_the_upper_half)
{
	struct backoff b = { .min_ms = 1000, .max_ms = 30000 };
	for (int f = 0; f < 8; f++) {
		uint32_t d = backoff_ceiling_ms(&b);
		CHECK(backoff_delay_ms(&b, 0) == d - d / 2);
		CHECK(backoff_delay_ms(&b, d / 2) == d);
		CHECK(backoff_delay_ms(&b, UINT32_MAX) >= d - d / 2);
		CHECK(backoff_delay_ms(&b, UINT32_MAX) <= d);
		uint32_t x = 12345;
		for (int i = 0; i < 1000; i++) {
			x = x * 1103515245U + 12345U;
			uint32_t v = backoff_delay_ms(&b, x);
			CHECK(v >= d - d / 2 && v <= d);
		}
		backoff_failed(&b);
	}
}

TEST(tunnel_backoff_odd_settings)
{
	struct backoff b = { .min_ms = 0, .max_ms = 5 };
	CHECK(backoff_ceiling_ms(&b) == 1);
	CHECK(backoff_delay_ms(&b, 7) == 1);
	b = (struct backoff){ .min_ms = 3000, .max_ms = 3000 };
	for (int i = 0; i < 5; i++, backoff_failed(&b))
		CHECK(backoff_ceiling_ms(&b) == 3000);
	b = (struct backoff){ .min_ms = 7, .max_ms = 100 };
	backoff_failed(&b);
	backoff_failed(&b);
	CHECK(backoff_ceiling_ms(&b) == 28);
	backoff_failed(&b);
	backoff_failed(&b);
	CHECK(backoff_ceiling_ms(&b) == 100);
}
