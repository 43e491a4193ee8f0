/* front.h - the network front (design §2.6, issue 14): one thread, one
 * epoll loop over listening sockets the key holder opened, the key holder's
 * SOCK_SEQPACKET socket, and a bounded table of connections. It parses
 * HTTP and octez's socket protocol, turns each request into a kh frame
 * (src/privsep/kh_frame.h), and answers from the key holder's reply. It
 * holds no key and opens no file once running.
 *
 * Every connection has one absolute deadline for what it is doing: being
 * idle (a new or kept-alive connection that sent nothing), reading a
 * request head (from its first byte), reading the body (from the end of
 * the head), writing the answer. Bytes do not move a deadline. When a
 * listener's table is full, its oldest idle connection is closed to make
 * room; only when none is idle does the listener pause, leaving new
 * connections in the kernel's accept queue until a slot frees. */
#ifndef TZS_FRONT_FRONT_H
#define TZS_FRONT_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../privsep/kh_frame.h"
#include "http_parse.h"
#include "routes.h"

#define FRONT_LISTENERS_MAX 16
#define FRONT_SLOTS_MAX 65535u

enum listener_kind { LISTEN_API, LISTEN_STATUS, LISTEN_SOCKET };

struct front_config {
	int kh_fd;
	int listen_fd[FRONT_LISTENERS_MAX];
	enum listener_kind kind[FRONT_LISTENERS_MAX];
	size_t listeners;
	unsigned max_connections;   /* per API and socket listener */
	unsigned status_connections; /* the status listener's */
	unsigned idle_s, head_s, body_s, write_s;
};

enum conn_state {
	CONN_FREE,
	CONN_IDLE,   /* nothing of a request yet: may be shed */
	CONN_HEAD,   /* reading the head (or a socket frame) */
	CONN_BODY,   /* reading the body */
	CONN_WAIT,   /* the key holder has the request */
	CONN_WRITE,  /* writing the answer */
	CONN_LINGER, /* answered with close: draining until EOF */
	CONN_STATES
};

/* The request in progress, allocated at its first byte, freed once answered. */
struct conn_work {
	uint64_t start_ns;
	bool head_done;
	size_t head_len;
	struct http_head head;
	struct route_match route;
	uint8_t sock_kind; /* the socket protocol's request kind */
	enum kh_op asked;  /* the op of the frame the key holder has */
};

struct conn {
	int fd;
	uint16_t gen;    /* bumped at each request sent: a reply's id is slot|gen<<16 */
	uint8_t listener;
	enum conn_state state;
	uint32_t events; /* epoll interest now */
	uint64_t since_ns;
	uint64_t deadline_ns;
	uint8_t *in; /* bytes received, not consumed yet */
	size_t in_len, in_cap;
	uint8_t *out; /* the answer being written */
	size_t out_len, out_off;
	bool close_after;
	bool fresh; /* accepted, nothing received yet */
	struct conn_work *work;
};

struct front_stats {
	uint64_t http[LABEL_COUNT][6]; /* by status class 1xx..5xx, other */
	uint64_t accepted, shed, paused, expired[CONN_STATES];
	uint64_t socket_requests;
};

struct kh_queue_item;

struct front {
	struct front_config cfg;
	int epfd, sigfd;
	struct conn *conns;
	size_t n_conns;
	unsigned open[FRONT_LISTENERS_MAX];
	unsigned cap[FRONT_LISTENERS_MAX];
	size_t slot_base[FRONT_LISTENERS_MAX];
	uint64_t next_scan_ns;
	bool paused[FRONT_LISTENERS_MAX]; /* table full, none idle: not accepting */
	struct front_stats stats;
	/* frames the key holder's socket did not take yet (kh_link.c) */
	struct kh_queue_item *kh_head, *kh_tail;
	size_t kh_queued;
	bool kh_writable_wanted;
	bool stop;
};

/* Sets up epoll over cfg's fds. */
bool front_init(struct front *f, const struct front_config *cfg, struct err *e);
/* Runs until the key holder closes its socket or a SIGTERM/SIGINT (true),
 * or an error no request can be blamed for (false). */
bool front_run(struct front *f, struct err *e);
void front_free(struct front *f);

/* conn.c: the table, states, deadlines, and the output queue. */
void conn_set_state(struct front *f, struct conn *c, enum conn_state s);
/* Stops c's events until its state asks for some again (input that
 * arrived while the key holder has its request waits in the socket). */
void conn_quiet(struct front *f, struct conn *c);
void conn_close(struct front *f, struct conn *c);
/* Takes text (malloc'd) as the answer and starts writing it. */
void conn_send(struct front *f, struct conn *c, uint8_t *text, size_t len);
void conn_on_writable(struct front *f, struct conn *c);
/* Drops n consumed bytes from the front of c->in. */
void conn_consume(struct conn *c, size_t n);
/* Reads what fits below limit bytes; false when the peer closed or failed. */
bool conn_read(struct conn *c, size_t limit);
void conn_accept(struct front *f, size_t listener);
void conn_expire(struct front *f, uint64_t now);
struct conn *conn_of_id(struct front *f, uint32_t id);
uint32_t conn_next_id(struct front *f, struct conn *c);
bool conn_is_status(const struct front *f, const struct conn *c);
bool conn_is_socket(const struct front *f, const struct conn *c);
/* The request in progress, allocated on first use; NULL without memory. */
struct conn_work *conn_work(struct conn *c);
const char *conn_state_name(enum conn_state s);

/* http_conn.c: an HTTP connection's bytes in, requests out. */
void http_on_input(struct front *f, struct conn *c);
/* How many bytes c may hold now: the head's bound, then head and body. */
size_t http_read_limit(const struct conn *c);
void http_on_reply(struct front *f, struct conn *c, const struct kh_reply *r);

/* http_answer.c: answers in octez's shapes, counted by route. */
void http_answer(struct front *f, struct conn *c, unsigned status, const char *type,
		 const char *allow, const char *body, size_t len);
void http_answer_err(struct front *f, struct conn *c, unsigned status, const char *id,
		     const char *msg, const char *allow);

/* sock_conn.c: octez's socket signer protocol. */
void sock_on_input(struct front *f, struct conn *c);
size_t sock_read_limit(const struct conn *c);
void sock_on_reply(struct front *f, struct conn *c, const struct kh_reply *r);

/* kh_link.c: frames to the key holder and its replies. */
bool kh_link_send(struct front *f, const struct kh_request *r, struct err *e);
void kh_link_on_writable(struct front *f);
/* Reads every reply waiting; false when the key holder closed its end. */
bool kh_link_on_readable(struct front *f, struct err *e);
void kh_link_free(struct front *f);

/* front_metrics.c: the front's own Prometheus lines, appended to the key
 * holder's text into a fresh malloc'd buffer. */
char *front_metrics_append(const struct front *f, const uint8_t *kh_text, size_t kh_len,
			   size_t *len);

#endif
