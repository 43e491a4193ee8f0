/* serve_reload.h - `tzsigner serve` on SIGHUP: the key set read again from
 * the base directory (keys imported or removed since the start), without
 * touching the high watermarks. Internal to src/cmd. */
#ifndef TZS_CMD_SERVE_RELOAD_H
#define TZS_CMD_SERVE_RELOAD_H

#include <stdbool.h>

#include "../guard/guard.h"
#include "../health/health.h"
#include "../server/server.h"
#include "../vault/ledger_device.h"
#include "../vault/vault.h"

/* What a running signer is made of; a reload swaps the vault and restarts
 * what holds pointers into it (servers, health watchers, metrics). */
struct serve_parts {
	const char *dir;
	const char *passfile; /* -f FILE, or NULL (then encrypted keys cannot be reloaded) */
	struct vault *vault;
	struct guard *guard;
	struct wm_store *store; /* NULL with --unsafe-no-high-watermark */
	struct metrics *metrics;
	struct health **health;
	const struct health_config *health_cfg;
	struct ledger_backend **ledger;
	const struct ledger_config *ledger_cfg;
	struct server *server;
	struct server_config *cfg;
	struct server *status_server; /* NULL: no --status-port */
	struct server_config *status_cfg;
};

/* Reads the base directory's keys again and, when they load, serves them:
 * the servers are stopped (in-flight requests finish), the key table is
 * swapped and everything started again on the same ports. Logs each key
 * added and removed. When the keys do not load, the old set keeps serving
 * and false is returned with the reason. A failure to restart a server is
 * fatal for the process: *fatal is set. */
bool serve_reload_keys(struct serve_parts *p, bool *fatal, struct err *e);

#endif
