/* serve.h - `tzsigner serve`, the key holder (design §2.6), in parts:
 * options (serve_options.c), start-up and the one teardown (serve.c), the
 * listening sockets (serve_listen.c), the front it spawns and restarts
 * (serve_front.c), the signal loop (serve_loop.c) and SIGHUP
 * (serve_reload.c). Internal to src/cmd. */
#ifndef TZS_CMD_SERVE_H
#define TZS_CMD_SERVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

#include "../guard/guard.h"
#include "../health/health.h"
#include "../server/metrics.h"
#include "../server/socket_uri.h"
#include "../ledger/device.h"
#include "../vault/vault.h"

#define SERVE_MAX_SOCKETS 8

struct serve_options {
	char dirbuf[4096];
	const char *dir;
	const char *passfile, *passdir;
	const char *address; /* API */
	uint16_t port;
	bool status_port_given;
	const char *status_address;
	uint16_t status_port;
	unsigned max_connections;
	/* --idle/head/body/write-timeout in seconds for the front; 0: its default */
	unsigned front_timeouts[4];
	bool allow_prove_possession, allow_list_known_keys;
	const char *log_level; /* as given, for the front */
	struct guard guard;    /* policy, -A and --chain; bound at start-up */
	struct wm_options wm;
	bool no_watermark;
	const char *ledger_proxy;
	struct ledger_config ledger;
	struct health_config health;
	struct socket_uri sockets[SERVE_MAX_SOCKETS];
	size_t socket_count;
	gid_t socket_group;
	bool has_socket_group;
	const char *front_user; /* --front-user, or NULL */
	unsigned workers;
	int front_fd; /* --front-fd (tests): serve frames on it, spawn no front; -1 */
};

/* The front's deadlines serve passes on (front_timeouts[i]): the option of
 * both commands and the largest value either takes (front.c reads it too). */
struct serve_front_timeout {
	const char *name;
	unsigned long max;
};
extern const struct serve_front_timeout serve_front_timeout[4];

/* Parses serve's command line into o. Returns -1 to go on, else the exit
 * status (after --help, or a usage error already reported). */
int serve_parse_options(int argc, char **argv, struct serve_options *o);

/* serve_usage.c: the --help text, and the signature version table that
 * follows it. */
extern const char serve_usage[];
void serve_print_versions(FILE *f);

/* The running key holder: what start-up made and the teardown undoes. */
struct serve_state {
	struct serve_options *opt;
	struct vault vault;
	bool vault_open;
	struct wm_store *store; /* NULL with --unsafe-no-high-watermark */
	struct ledger_backend *ledger;
	struct health *health;
	struct metrics metrics;
	bool metrics_up;
	bool guard_up;
};

/* The health watchers and metrics (they point into the key table). */
bool serve_start_watchers(struct serve_state *st, struct err *e);
void serve_stop_watchers(struct serve_state *st);

/* The listening sockets the key holder binds and hands to the front. */
struct serve_listeners {
	int api_fd, status_fd; /* status_fd -1: no --status-port */
	uint16_t api_port, status_port;
	int socket_fds[SERVE_MAX_SOCKETS];
	char socket_names[SERVE_MAX_SOCKETS][160];
	size_t socket_count;
};

bool serve_listen(const struct serve_options *o, struct serve_listeners *l, struct err *e);
void serve_unlisten(const struct serve_options *o, struct serve_listeners *l);

/* The front process and the key holder's server on its socketpair. */
struct serve_front;

/* Serves frames: on o->front_fd when set (no front is spawned), else on a
 * fresh socketpair with a front spawned on l's sockets. */
bool serve_front_start(struct serve_front **out, struct serve_state *st,
		       const struct serve_listeners *l, struct err *e);
/* Called on SIGCHLD and every tick: a front that exited is logged and
 * restarted after its backoff. False when serving cannot go on (--front-fd
 * closed by its peer). */
bool serve_front_tend(struct serve_front *f);
/* No request runs against the key table between pause and resume (which
 * picks up the restarted health watchers). */
void serve_front_pause(struct serve_front *f);
bool serve_front_resume(struct serve_front *f, struct err *e);
/* The API port bound. */
uint16_t serve_front_api_port(const struct serve_front *f);
/* SIGTERM to the front, waits for it, stops the server. NULL: no-op. */
void serve_front_stop(struct serve_front *f);

/* The signals the main thread takes synchronously (blocked in every thread). */
void serve_signals(sigset_t *set);

/* Waits for SIGTERM/SIGINT, feeding the watchdog, tending the front and
 * reloading on SIGHUP. Returns the exit status. */
int serve_loop(struct serve_state *st, const struct serve_listeners *l, struct serve_front *f);

#endif
