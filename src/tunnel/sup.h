/* sup.h - the supervisor's private state and the functions its files share
 * (the tunnel's interface is supervisor.h; nothing outside src/tunnel/sup*
 * and supervisor.c includes this).
 *
 *   supervisor.c   tunnel_supervise: setup, the poll loop, teardown
 *   sup_setup.c    before the loop: the identity, the run directory, signals
 *   sup_child.c    the ssh process: fork and exec, SIGTERM then SIGKILL, reaping
 *   sup_lines.c    ssh's stderr: reading it line by line, what each line means
 *   sup_attempt.c  an attempt's life: connecting, up, down, when the next starts
 *   sup_probe.c    the end-to-end probe and what its answers mean
 *   sup_uplink.c   the route the connection takes, and what its changes mean
 *   sup_report.c   telling the state: log line, state file, sd_notify
 *
 * Every log line carries the name of the function that wrote it (fn=), and
 * operators and tests grep for them (fn=ssh_exited event=host_key_mismatch):
 * the functions below that log keep their names, and the poll loop's own
 * lines, wherever the helper that writes them lives, name tunnel_supervise
 * (loop_log). */
#ifndef TZS_TUNNEL_SUP_H
#define TZS_TUNNEL_SUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"
#include "../base/log.h"
#include "backoff.h"
#include "classify.h"
#include "config.h"
#include "probe.h"
#include "sshargs.h"
#include "state.h"
#include "../base/uplink.h"

#define loop_log(level, ...) log_emit(level, "tunnel_supervise", __VA_ARGS__)

enum phase { PH_WAIT, PH_CONNECTING, PH_UP };

struct sup {
	const struct tunnel_config *cfg;
	const char *self_exe;
	char run_dir[FILE_PATH_MAX];
	char known_hosts[FILE_PATH_MAX + 32];
	char probe_sock[FILE_PATH_MAX + 32];
	bool own_run_dir;
	char endpoint[TUNNEL_HOST_MAX + 16];
	struct ssh_argv argv;

	int sigfd, nlfd, errfd;
	pid_t ssh_pid;
	enum phase phase;
	bool stopping;
	bool killing;
	enum tunnel_error kill_reason;
	char kill_msg[400];

	uint64_t attempt_started, attempt_deadline, next_attempt_at, stable_at, kill_at;
	uint64_t next_probe_at, watchdog_at, nl_check_at;
	uint64_t watchdog_ms;

	struct attempt att;
	struct backoff bo;
	struct tunnel_status st;
	bool ever_up;
	enum tunnel_error last_err;

	char line[4096];
	size_t line_len;

	/* probe */
	bool probe_on;
	struct http_check tprobe; /* through the tunnel */
	struct http_check dprobe; /* straight to the signer */
	unsigned probe_fails;
	bool probe_refused_logged;

	/* uplink */
	bool have_conn_route;
	struct route_info conn_route;   /* route of the current connection */
	char peer_ip[48], local_ip[48]; /* of the current or last connection */
	bool have_fail_route;
	struct route_info fail_route;   /* route to the endpoint when the last attempt ended */
};

/* The *_timer(s) functions act on the timers that are due at now; the
 * loop runs them in order on each turn. */

/* sup_setup.c */
bool tunnel_check_identity(const struct tunnel_config *c, struct err *e);
bool tunnel_prepare_run_dir(struct sup *s, struct err *e);
void tunnel_cleanup_run_dir(struct sup *s);
/* Blocks SIGCHLD, SIGHUP, SIGTERM and SIGINT into s->sigfd, ignores
 * SIGPIPE, and makes us the subreaper of ssh's proxy. */
bool setup_signals(struct sup *s, struct err *e);

/* sup_child.c */
/* Starts ssh in its own process group, its stderr on s->errfd. */
bool tunnel_ssh_child_start(struct sup *s, struct err *e);
/* SIGTERM to ssh's process group; SIGKILL after a grace period
 * (kill_timer). ssh_exited reports reason and msg. */
void tunnel_kill_ssh(struct sup *s, enum tunnel_error reason, const char *msg);
void tunnel_kill_timer(struct sup *s, uint64_t now);
/* On SIGCHLD: collects ssh (then ssh_exited) and orphaned proxies. */
void tunnel_reap(struct sup *s);
/* At the end: SIGKILL and wait. */
void tunnel_ssh_child_end(struct sup *s);

/* sup_lines.c */
/* s->errfd is readable: reads the lines there, closes it at EOF. */
void tunnel_stderr_ready(struct sup *s);
/* ssh has exited: reads what is left (for up to half a second), closes. */
void tunnel_drain_stderr(struct sup *s);

/* sup_attempt.c */
bool tunnel_spawn_timer(struct sup *s, uint64_t now); /* false: ssh did not start */
void tunnel_connecting_timers(struct sup *s, uint64_t now);
void tunnel_stable_timer(struct sup *s, uint64_t now);
/* When ssh, silent about the forwards, is taken to have them. */
uint64_t tunnel_forwards_quiet_at(const struct sup *s);
/* Both forwards are accepted: probe, or up. */
void tunnel_forwards_accepted(struct sup *s);
void tunnel_go_up(struct sup *s);
void tunnel_ssh_exited(struct sup *s, int status);

/* sup_probe.c */
void tunnel_probe_start(struct sup *s);
void tunnel_probe_timers(struct sup *s, uint64_t now);
/* Poll's revents for the probe through the tunnel, and the direct one. */
void tunnel_probe_step(struct sup *s, short revents);
void tunnel_direct_probe_step(struct sup *s, short revents);
void tunnel_probes_close(struct sup *s);

/* sup_uplink.c */
/* ssh's proxy connected: note the addresses and the uplink they use. */
void tunnel_note_connection(struct sup *s);
/* The attempt ended: the route to the endpoint at that moment. */
void tunnel_remember_fail_route(struct sup *s);
/* The netlink socket is readable. */
void tunnel_uplink_event(struct sup *s);
void tunnel_uplink_timer(struct sup *s, uint64_t now);

/* sup_report.c */
void tunnel_set_state(struct sup *s, const char *state);
/* The state log line, sd_notify STATUS= and the state file. */
void tunnel_publish(struct sup *s);
/* WatchdogSec= from systemd: WATCHDOG=1 at half the period. */
void tunnel_watchdog_setup(struct sup *s);
void tunnel_watchdog_timer(struct sup *s, uint64_t now);

#endif
