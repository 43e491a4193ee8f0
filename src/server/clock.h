/* clock.h - the monotonic clock requests are timed with. */
#ifndef TZS_SERVER_CLOCK_H
#define TZS_SERVER_CLOCK_H

#include <stdint.h>

uint64_t monotonic_ns(void);

#endif
