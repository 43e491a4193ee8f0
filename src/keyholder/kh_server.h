/* kh_server.h - the key holder's side of the socketpair (design §2.6).
 *
 * One reader thread takes frames off a SOCK_SEQPACKET fd (a frame larger
 * than KH_REQ_MAX is refused whole), decodes them, and queues them; a pool
 * of workers runs each against the guard and sends one reply frame per
 * request, in any order. The queue is bounded: when it is full the reader
 * stops reading, and the front's sends block (backpressure). A frame the
 * decoder refuses is answered at once with its error kind. */
#ifndef TZS_KEYHOLDER_KH_SERVER_H
#define TZS_KEYHOLDER_KH_SERVER_H

#include <stdbool.h>

#include "kh_ops.h"

#define KH_WORKERS_DEFAULT 4u
#define KH_QUEUE_DEFAULT 256u

struct kh_server;

/* Serves fd (owned by the server from now on) with c (which must outlive
 * the server). workers and queue_max 0: the defaults. */
bool kh_server_start(struct kh_server **out, int fd, const struct kh_context *c,
		     unsigned workers, unsigned queue_max, struct err *e);

/* Waits until no worker runs a request and holds the rest back (the queue
 * keeps filling up to its bound): the key table may be swapped then. */
void kh_server_pause(struct kh_server *s);
void kh_server_resume(struct kh_server *s);

/* True once the reader saw the other end close (the front exited). */
bool kh_server_peer_gone(struct kh_server *s);

/* Stops reading, lets the workers answer what is queued, joins every
 * thread and closes the fd. s may be NULL. */
void kh_server_stop(struct kh_server *s);

#endif
