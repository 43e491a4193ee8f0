/* health.h - can this box sign right now, and what is it running on?
 *
 * Two background threads keep a snapshot up to date:
 *   - the Ledger watcher: every interval, for each device that ledger://
 *     keys name, takes the device only when nobody is using it
 *     (ledger_try_acquire: it never queues ahead of a signature), asks the
 *     baking app for its authorized key and high watermark (two short
 *     APDUs) and lets go; from that, each key can sign or not, with a
 *     reason;
 *   - the system watcher: power (sysfs, a UPS HAT's GPIO line), the uplink
 *     carrying the route to the cloud endpoint (woken at once by netlink
 *     route changes), and the tunnel's state file.
 * Readers (/statusz, /metrics) copy the snapshot under a mutex that the
 * watchers hold only to publish, never across a device exchange or a
 * probe, so a status request never waits on the Ledger.
 *
 * Threads sleep on a condition variable (Ledger) and poll(2) on a pipe and
 * the netlink socket (system), woken at once to stop: no busy loop. */
#ifndef TZS_HEALTH_HEALTH_H
#define TZS_HEALTH_HEALTH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/file.h"
#include "../ledger/device.h"
#include "netpath.h"
#include "power.h"
#include "tunnel_view.h"

struct vault; /* the key table (vault/vault.h): health.c reads its ledger:// keys */

#define HEALTH_INTERVAL_DEFAULT_MS 2000

struct health_config {
	unsigned interval_ms;  /* between checks */
	int ledger_timeout_ms; /* bound on each exchange of a check */
	struct power_config power;
	struct netpath_config uplink; /* uplink.host "" : the tunnel's view, if any */
	char tunnel_state[FILE_PATH_MAX]; /* "" : no tunnel state file */
};

/* 2 s, 1 s exchanges, /sys/class/power_supply, no GPIO, no endpoint, no state file. */
void health_config_default(struct health_config *c);

/* Why a key can or cannot sign (static strings, stable for alerts):
 * "ok", "not_checked_yet", "status_stale", "ledger_unreachable",
 * "ledger_busy", "ledger_locked", "ledger_app_closed", "ledger_other_app",
 * "ledger_wrong_device", "ledger_key_not_authorized", "ledger_error",
 * "ledger_backend_missing". */
struct health_key {
	bool can_sign;
	const char *reason;
	char msg[ERR_MSG_MAX];
	int64_t checked_ms; /* wall clock of the last check (0: none yet) */
	int64_t since_ms;   /* wall clock since when can_sign and reason hold */
	int device;         /* index into the devices; -1 for keys held here */
};

struct health_device {
	char device[LEDGER_NAME_MAX]; /* as the keys name it (animal name or tz1) */
	bool checked;                 /* at least one check finished */
	enum ledger_fault fault;
	char msg[ERR_MSG_MAX];        /* why not ready */
	bool identified;
	char name[LEDGER_NAME_MAX];   /* animal name */
	char where[192];
	struct ledger_version version;
	bool auth_known, authorized;
	enum ledger_curve auth_curve;
	struct ledger_path auth_path;
	bool hwm_known;
	struct ledger_hwm hwm;
	int64_t checked_ms, since_ms;
	uint64_t checks, failures, busy;
};

struct health_system {
	bool power_enabled;
	struct power_status power;
	int64_t power_checked_ms;
	const char *uplink_source; /* "route" (our lookup), "tunnel" (its state file), "none" */
	struct netpath_status uplink;
	int64_t uplink_since_ms;
	uint64_t uplink_changes;
	bool tunnel_enabled;
	bool tunnel_ok;            /* the state file read and parsed */
	char tunnel_error[ERR_MSG_MAX];
	struct tunnel_view tunnel;
	bool tunnel_pid_alive;     /* the pid in the file runs (true when the file has none) */
	int64_t tunnel_mtime_ms;
	uint64_t tunnel_read_errors;
	int64_t checked_ms;
};

struct health_snapshot {
	size_t nkeys, ndevices;
	struct health_key *keys;       /* one per vault key, same order */
	struct health_device *devices;
	struct health_system sys;
	int64_t now_ms;                /* wall clock of the copy */
	int64_t stale_ms;              /* a key's check older than this is stale */
};

struct health;

/* Starts the watchers for the keys of v (ledger: the backend of its
 * ledger:// keys, may be NULL when there are none). The vault and the
 * backend must outlive health_stop. */
bool health_start(struct health **out, const struct health_config *cfg, const struct vault *v,
		  struct ledger_backend *ledger, struct err *e);
/* Wakes and joins the threads, frees everything. NULL is fine. */
void health_stop(struct health *h);

/* Copies the snapshot (arrays malloc'd; free with health_snapshot_free).
 * Keys whose last check is stale read as not able to sign. */
bool health_copy(struct health *h, struct health_snapshot *out);
void health_snapshot_free(struct health_snapshot *s);

/* One key (index into the vault) without allocating: the key and, for a
 * Ledger key, its device (dev may be NULL). */
void health_key_view(struct health *h, size_t key, struct health_key *out,
		     struct health_device *dev);

/* Waits until each watcher has finished its first pass (every key checked
 * once), at most timeout_ms. False when the time ran out first. */
bool health_wait_first_checks(struct health *h, int timeout_ms);
/* True while both watchers keep looping (for the systemd watchdog). */
bool health_alive(struct health *h);


#endif
