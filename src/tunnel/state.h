/* state.h - what the tunnel tells the operator: a small JSON state file
 * (written durably on every change of state) and one log line per change:
 *
 *   {"state":"up","since":"2026-11-25T19:30:00Z","reconnects":3,
 *    "last_error":"…","error_kind":"disconnected","uplink":"wlan0",…}
 *   ts=… level=info fn=tunnel_status_log event=state state=up since=… reconnects=3
 *      last_error=… uplink=wlan0 …
 */
#ifndef TZS_TUNNEL_STATE_H
#define TZS_TUNNEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"

struct tunnel_status {
	const char *state;       /* starting, connecting, up, down, stopped */
	int64_t since_ms;        /* wall clock, ms since the epoch, of entering state */
	unsigned reconnects;     /* times the tunnel came back up after being up */
	unsigned attempts;       /* ssh runs since start */
	unsigned failures;       /* consecutive attempts without a stable tunnel */
	const char *error_kind;  /* tunnel_error_name() of the last failure, or NULL */
	char last_error[400];
	int64_t last_error_ms;
	int64_t up_since_ms;     /* when the current/last up period started (0: never) */
	char uplink[16];         /* interface carrying the route to the endpoint */
	char local[64];          /* our end of the TCP connection */
	char peer[64];           /* the endpoint's address */
	const char *probe;       /* off, pending, ok, failed, refused */
	const char *signer;      /* unknown, ok, unreachable */
	const char *box_ssh;     /* the P+1000 forward's target: unknown, ok, not_listening */
	int64_t next_attempt_ms; /* wall clock of the next attempt while down (0: none) */
	char endpoint[300];
	unsigned remote_port;
	pid_t pid;
	pid_t ssh_pid;
};

/* ISO 8601 UTC, second precision ("2026-11-25T19:30:00Z"); "" for 0. */
const char *tunnel_iso_time(int64_t ms, char *out, size_t cap);

/* The JSON text (one line plus a newline), malloc'd; NULL on failure. */
char *tunnel_status_json(const struct tunnel_status *s);

/* Writes the JSON to path durably (temp file, fsync, rename). */
bool tunnel_status_write(const char *path, const struct tunnel_status *s, struct err *e);

/* One key=value log line for the current state. */
void tunnel_status_log(const struct tunnel_status *s);

#endif
