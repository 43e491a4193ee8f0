/* clock.h - the process's clocks: the monotonic one for timers, deadlines
 * and durations, the wall clock for times shown to the operator. */
#ifndef TZS_BASE_CLOCK_H
#define TZS_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, microseconds and milliseconds. */
uint64_t now_mono_ns(void);
uint64_t now_mono_us(void);
uint64_t now_mono_ms(void);

/* CLOCK_REALTIME: milliseconds since the epoch. */
int64_t now_wall_ms(void);

/* The time ms milliseconds from now on clock clk, as a timespec for
 * pthread_cond_timedwait and pthread_mutex_timedlock. */
struct timespec clock_after_ms(clockid_t clk, uint64_t ms);

#endif
