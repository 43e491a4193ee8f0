/* serve_reload.h - `tzsigner serve` on SIGHUP: the key set read again from
 * the base directory (keys imported or removed since the start), without
 * touching the high watermarks. Internal to src/cmd. */
#ifndef TZS_CMD_SERVE_RELOAD_H
#define TZS_CMD_SERVE_RELOAD_H

#include <stdbool.h>

#include "serve.h"

/* Reads the base directory's keys again and, when they load, serves them:
 * the front's requests are held back (the key holder's workers drain, the
 * front waits for its answers), the key table is swapped, the health
 * watchers and metrics restarted on it, and the requests resume. Logs each
 * key added and removed. When the keys do not load, the old set keeps
 * serving and false is returned with the reason. A failure after the swap
 * is fatal for the process: *fatal is set. */
bool serve_reload_keys(struct serve_state *st, struct serve_front *f, bool *fatal, struct err *e);

#endif
