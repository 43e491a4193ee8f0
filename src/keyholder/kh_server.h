/* kh_server.h - the key holder's side of the socketpair (design §2.6).
 *
 * A pool of workers reads frames off a SOCK_SEQPACKET fd, each worker its
 * own (a frame larger than KH_REQ_MAX is refused whole), decodes it, runs
 * it against the guard and sends one reply frame, in any order. What waits
 * is bounded by the socket's buffer: while every worker is busy nothing is
 * read, and the front's sends stall (backpressure). A frame the decoder
 * refuses is answered at once with its error kind. */
#ifndef TZS_KEYHOLDER_KH_SERVER_H
#define TZS_KEYHOLDER_KH_SERVER_H

#include <stdbool.h>

#include "kh_ops.h"

#define KH_WORKERS_DEFAULT 4u

struct kh_server;

/* Serves fd (owned by the server from now on) with c (which must outlive
 * the server). workers 0: the default. */
bool kh_server_start(struct kh_server **out, int fd, const struct kh_context *c,
		     unsigned workers, struct err *e);

/* Waits until no worker runs a request and holds the rest back (frames
 * keep waiting in the socket up to its bound): the key table may be
 * swapped then. */
void kh_server_pause(struct kh_server *s);
void kh_server_resume(struct kh_server *s);

/* True once a worker saw the other end close (the front exited). */
bool kh_server_peer_gone(struct kh_server *s);

/* Shuts reading down, lets the workers answer what the socket holds,
 * joins them and closes the fd. Not while paused. s may be NULL. */
void kh_server_stop(struct kh_server *s);

#endif
