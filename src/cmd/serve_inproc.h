/* serve_inproc.h - TEMPORARY: the HTTP and socket servers inside the key
 * holder, as before the process split, for builds without `tzsigner front`
 * (until src/front lands; then this file and src/server's libmicrohttpd
 * server go). Internal to src/cmd. */
#ifndef TZS_CMD_SERVE_INPROC_H
#define TZS_CMD_SERVE_INPROC_H

#include "serve.h"

struct serve_inproc;

/* Whether this build has the front (`tzsigner front`). */
bool serve_front_available(void);

bool serve_inproc_start(struct serve_inproc **out, struct serve_state *st, struct err *e);
/* Stops every server (in-flight requests finish); restart starts them on
 * the same ports with the state's health watchers. */
void serve_inproc_stop(struct serve_inproc *p);
bool serve_inproc_restart(struct serve_inproc *p, struct serve_state *st, struct err *e);
uint16_t serve_inproc_api_port(const struct serve_inproc *p);
void serve_inproc_free(struct serve_inproc *p);

#endif
