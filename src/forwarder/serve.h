/* serve.h - `tzsigner forwarder run`: the endpoint's accept loop.
 *
 * The forwarder owns the listening socket. For each connection it accepts
 * it sets TCP_NODELAY (OpenSSH sets it only for interactive sessions, and
 * with Nagle on, requests through a tunnel wait on delayed ACKs: a 41 ms
 * p99, design §2.5), TCP keepalive and TCP_USER_TIMEOUT, then runs
 * `sshd -i -e -f OUT/sshd_config` on it (inetd mode, as systemd socket
 * activation does), with sshd's log on a pipe it reads. sshd's "Accepted
 * publickey … SHA256:…" line tells which box a session is; until then the
 * connection counts as unauthenticated and shares the slots as admit.h
 * says (per source, random early drop, eviction at full; sshd's MaxStartups
 * does not apply to inetd mode), and it is ended after the login grace
 * time. A box has one session: a new login with its key ends the older
 * one, and the new one is held (SIGSTOP) until the old one has let go of
 * the box's ports, so its forwards bind at the first try. One poll loop also serves the health exporter (Prometheus
 * metrics and a JSON status) and checks every box through its tunnel.
 *
 * Each sshd child leads a process group of its own (its privilege-separated
 * children stay in it), which is what is signalled. SIGTERM/SIGINT stop it
 * (the sessions are terminated too; if it is killed, PR_SET_PDEATHSIG
 * reaches the monitors, and the groups it leaves behind are listed in
 * OUT/sessions, which the next start reads and kills: serve_stale.c);
 * SIGHUP, or a change of the signers file, renders again from the same
 * inputs and ends the sessions of boxes no longer listed. */
#ifndef TZS_FORWARDER_SERVE_H
#define TZS_FORWARDER_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"
#include "admit.h"
#include "boxprobe.h"
#include "render.h"

struct fwd_run_opts {
	struct fwd_render_opts render;
	const char *sshd_path;          /* "/usr/sbin/sshd" */
	char metrics_host[FWD_HOST_MAX]; /* the exporter; render.metrics_port 0 = off */
	unsigned max_connections;       /* 512 */
	unsigned probe_interval_s;      /* 5 */
	unsigned probe_timeout_ms;      /* 3000 */
	unsigned user_timeout_ms;       /* TCP_USER_TIMEOUT; 0: derived from the alive settings */
};

void fwd_run_opts_defaults(struct fwd_run_opts *o);

/* Parses "ADDR:PORT" or "[V6ADDR]:PORT" (numeric addresses only). */
bool fwd_parse_addr(const char *text, char *host, size_t cap, uint16_t *port, struct err *e);

/* Runs `sshd -t -f config` (making /run/sshd first when root): false with
 * sshd's own words when it objects. */
bool fwd_sshd_test(const char *sshd_path, const char *config, struct err *e);

/* Runs until SIGTERM or SIGINT (true) or a setup failure (false). */
bool fwd_run(const struct fwd_run_opts *o, struct err *e);

/* ---- state shared with the exporter (exporter.c) ---- */

enum { TRI_UNKNOWN = -1, TRI_DOWN = 0, TRI_UP = 1 };

#define FWD_CHECK_MINUTES 60

struct fwd_box_state {
	struct boxprobe probe;
	uint64_t next_probe_ms;
	int tunnel, signer;          /* TRI_* */
	int http_status;
	double check_seconds;
	int64_t since_ms;            /* wall clock of the last change of signer state */
	int64_t last_up_ms;          /* wall clock of the last good check (0: never) */
	char error[128];
	unsigned sessions;           /* authenticated sessions with this box's key */
	uint64_t logins_total, forwards_refused_total;
	uint64_t checks_ok, checks_tunnel_down, checks_no_answer;
	struct fwd_check_minute {    /* good checks' latency, per minute, last hour */
		int64_t minute;      /* wall-clock minutes since the epoch; 0: empty */
		uint32_t count;
		double sum_ms, max_ms;
	} check_minutes[FWD_CHECK_MINUTES];
};

struct fwd_child {
	pid_t pid;
	int err_fd;                  /* sshd's stderr; -1 once closed */
	bool exited;
	bool authed;
	int box;                     /* index in signers, -1 unknown */
	uint64_t start_ms;
	struct admit_source src;     /* its netblock, for the shares */
	bool superseded;             /* killed: a newer login of the same key */
	bool held;                   /* stopped until the older session is gone */
	uint64_t held_until_ms;
	unsigned long long starttime; /* /proc/PID/stat field 22, for serve_stale.c */
	char peer[64];
	char line[1024];
	size_t line_len;
};

struct fwd_state {
	const struct fwd_run_opts *opts;
	struct fwd_rendered r;
	struct fwd_box_state *boxes; /* r.signers.n */
	struct fwd_child *children;
	size_t n_children, cap_children;
	unsigned unauthenticated;
	uint64_t accepted_total, dropped_limit_total, takeovers_total;
	uint64_t dropped_total[ADMIT_DROP_FULL + 1]; /* by enum admit_verdict; [ACCEPT] unused */
	uint64_t drops_unlogged, drops_logged_ms;    /* drop log lines: at most one a second */
	bool sessions_dirty;         /* OUT/sessions is to be written again */
	uint64_t unknown_logins_total, renders_total, render_failures_total;
	int64_t start_ms;            /* wall clock */
	bool ready;
	char listen_text[FWD_HOST_MAX + 10];
	char metrics_text[FWD_HOST_MAX + 10];
};

#endif
