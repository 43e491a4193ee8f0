/* clock.h - the tunnel's clocks in milliseconds: the monotonic one for
 * timers and deadlines, the wall clock for times shown to the operator. */
#ifndef TZS_TUNNEL_CLOCK_H
#define TZS_TUNNEL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC. */
uint64_t tunnel_mono_ms(void);

/* CLOCK_REALTIME: ms since the epoch. */
int64_t tunnel_wall_ms(void);

#endif
