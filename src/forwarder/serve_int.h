/* serve_int.h - the accept loop's private state and the functions its
 * files share (the interface is serve.h; nothing outside src/forwarder/
 * serve*.c includes this).
 *
 *   serve.c           fwd_run: setup, the poll loop, teardown
 *   serve_net.c       addresses, the listening sockets, each connection's
 *                     TCP options
 *   serve_children.c  accepting SSH connections into `sshd -i` children,
 *                     the shares of unauthenticated slots (admit.h) and the
 *                     connection limit, stopping them
 *   serve_sessions.c  one session per box key: a new login takes over
 *   serve_stale.c     OUT/sessions, and killing what a killed instance left
 *   serve_sshd.c      sshd itself: `sshd -t`, the exec of `sshd -i`, its log
 *   serve_boxes.c     each box's health check and state
 *   serve_signals.c   SIGCHLD (reaping), SIGHUP (rendering again), SIGTERM
 *   serve_watch.c     rendering again when the signers file changes
 *   serve_http.c      the exporter's HTTP connections
 *
 * Every log line carries the name of the function that wrote it (fn=), and
 * operators and tests grep for them: the functions below that log keep
 * their names. */
#ifndef TZS_FORWARDER_SERVE_INT_H
#define TZS_FORWARDER_SERVE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../base/err.h"
#include "boxprobe.h"
#include "render.h"
#include "serve.h"

#define HTTP_MAX_CONNS 32
#define HTTP_REQ_MAX 4096
#define HTTP_TIMEOUT_MS 5000
#define ACCEPT_BURST 16   /* sshd children started per turn of the loop */
#define DROP_BURST 1024   /* connections accepted and closed at once per turn: under a
			   * flood the queue must drain faster than it fills, or a box's
			   * connection waits behind it past its ConnectTimeout */
#define STOP_GRACE_MS 3000

struct http_conn {
	int fd;
	char in[HTTP_REQ_MAX];
	size_t got;
	char *out;
	size_t out_len, sent;
	uint64_t deadline_ms;
};

#define WATCH_HASH_LEN 32

struct watch {
	int fd;                      /* inotify on the signers file's directory; -1: none */
	uint64_t due_ms;             /* look at the file then (0: nothing pending) */
	bool known;
	uint8_t hash[WATCH_HASH_LEN]; /* of the bytes last rendered from */
};

struct loop {
	struct fwd_state s;
	int sfd, lfd, mfd;
	uint16_t listen_port;
	struct http_conn http[HTTP_MAX_CONNS];
	size_t n_http;
	struct watch watch;
	bool stopping;
	sigset_t blocked, old_mask;
};

/* serve.c */
/* One turn: poll everything, act on what is ready and on what is due. */
void fwd_loop_once(struct loop *L);

/* serve_net.c */
bool fwd_listen_on(const char *host, uint16_t port, int *fd_out, uint16_t *actual, struct err *e);
/* "1.2.3.4:P" or "[::1]:P" of a peer. */
void fwd_addr_text(const struct sockaddr_storage *ss, char *out, size_t cap);
/* The same for a numeric host and a port. */
void fwd_host_port_text(char *out, size_t cap, const char *host, uint16_t port);
unsigned fwd_user_timeout_ms(const struct fwd_run_opts *o);
/* TCP_DEFER_ACCEPT on the SSH listener. */
void fwd_defer_accept(int fd, unsigned secs);
/* TCP_NODELAY, keepalive and TCP_USER_TIMEOUT on an accepted connection. */
void fwd_tune(int fd, const struct fwd_run_opts *o);

/* serve_children.c */
/* The SSH listener is readable: accepts, and runs sshd -i on each. */
void fwd_accept_ssh(struct loop *L);
/* Drops records whose process exited and whose log pipe closed. */
void fwd_sweep(struct fwd_state *s);
/* At the end: SIGTERM, a grace period, SIGKILL, and wait. */
void fwd_stop_children(struct loop *L);

/* serve_sessions.c */
/* sig to the child's process group (its sshd processes). */
void fwd_session_kill(const struct fwd_child *c, int sig);
/* c has just logged in with a box's key: ends that box's older sessions and
 * holds c until they are gone. */
void fwd_takeover_begin(struct fwd_state *s, struct fwd_child *c);
/* Resumes the held sessions whose predecessors are gone (or after 2 s). */
void fwd_takeover_due(struct fwd_state *s, uint64_t now);

/* serve_stale.c */
/* Field 22 of /proc/PID/stat (0 when unknown). */
unsigned long long stale_starttime(pid_t pid);
/* Rewrites OUT/sessions if the set of children changed. */
void stale_write(struct fwd_state *s);
/* At start: kills what the groups listed in OUT/sessions still hold. */
void stale_cleanup(const struct fwd_state *s);

/* serve_sshd.c */
/* In the forked child: sshd -i on cfd, its log on errfd. Does not return. */
void fwd_child_exec(const struct loop *L, int cfd, int errfd, pid_t parent) __attribute__((noreturn));
/* The box's name, or "-". */
const char *fwd_box_name(const struct fwd_state *s, int box);
/* c->err_fd is readable: reads sshd's log lines, closes it at EOF. */
void fwd_read_child(struct fwd_state *s, struct fwd_child *c);

/* serve_boxes.c */
bool fwd_boxes_alloc(struct fwd_state *s, uint64_t now);
void fwd_boxes_free(struct fwd_state *s);
/* A box's check has a result. */
void fwd_apply_probe(struct fwd_state *s, size_t i, enum probe_result r, uint64_t now);
/* Expires checks past their deadline and starts those that are due. */
void fwd_probe_due(struct fwd_state *s, uint64_t now);

/* serve_signals.c */
/* Blocks SIGCHLD, SIGTERM, SIGINT and SIGHUP into L->sfd (the old mask
 * in L->old_mask), ignores SIGPIPE. */
bool signals_setup(struct loop *L, struct err *e);
/* fwd_render, then sshd -t on the result; counts renders and failures. */
bool fwd_render_and_test(struct fwd_state *s, struct fwd_rendered *r, struct err *e);
/* L->sfd is readable. */
void fwd_handle_signals(struct loop *L);
/* Renders again from the same inputs (SIGHUP); ends the sessions of boxes
 * no longer listed, or whose P changed. */
void fwd_reload(struct loop *L);

/* serve_watch.c */
void watch_start(struct loop *L);
/* L->watch.fd is readable. */
void watch_read(struct loop *L, uint64_t now);
/* Looks at the file if an event asked for it and renders again if it changed. */
void watch_due(struct loop *L, uint64_t now);
void watch_stop(struct loop *L);

/* serve_http.c */
void fwd_accept_http(struct loop *L, uint64_t now);
/* Returns false when the connection is finished. */
bool fwd_http_step(struct loop *L, struct http_conn *h);
void fwd_http_close(struct loop *L, size_t i);

#endif
