/* Unit tests of src/base/clock: the units agree with each other and with
 * clock_gettime, and the monotonic clock does not go back. */
#include <time.h>

#include "../../src/base/clock.h"
#include "harness.h"

TEST(base_clock_mono_units_agree)
{
	uint64_t ms = now_mono_ms(), us = now_mono_us(), ns = now_mono_ns();
	CHECK(ms <= us / 1000u && us / 1000u <= ns / 1000000u);
	CHECK(ns / 1000000u - ms < 1000u);
	CHECK(now_mono_ns() >= ns);
}

TEST(base_clock_mono_matches_clock_gettime)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t before = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	uint64_t ms = now_mono_ms();
	CHECK(ms >= before && ms - before < 1000u);
}

TEST(base_clock_wall_is_epoch_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	int64_t ms = now_wall_ms();
	CHECK(ms >= before && ms - before < 1000);
	CHECK(ms > 1600000000000); /* after Sep 2020: milliseconds, not seconds */
}
