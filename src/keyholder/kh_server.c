/* kh_server.c - the workers on the key holder's socket (kh_server.h). */
#include "kh_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/log.h"
#include "../base/clock.h"

#define KH_WORKERS_MAX 64u

struct kh_server {
	int fd;
	const struct kh_context *ctx;
	/* Held shared by a worker while it runs a frame, exclusively by
	 * kh_server_pause: writer-preferring, so a pause is not starved by a
	 * steady stream of frames. */
	pthread_rwlock_t running;
	atomic_bool peer_gone;
	unsigned worker_count;
	pthread_t workers[KH_WORKERS_MAX];
};

/* What one worker owns: the frame it reads into, the reply it writes. */
struct worker_buffers {
	uint8_t *in;  /* KH_REQ_MAX + 1: one more byte tells an oversized frame */
	uint8_t *out; /* KH_REPLY_MAX */
	struct kh_answer a;
};

/* One reply frame; a failed send means the front is gone (a worker's recv
 * will see the EOF and the server be stopped), so it is only logged. */
static void send_reply(struct kh_server *s, uint8_t *frame, uint32_t id, enum kh_op op,
		       const struct kh_answer *a)
{
	struct kh_reply r = { .id = id, .op = op, .kind = a->kind, .code = a->code,
			      .payload = a->buf, .payload_len = a->len };
	struct err e = { 0 };
	size_t n = 0;
	if (!kh_reply_encode(&r, frame, KH_REPLY_MAX, &n, &e)) {
		log_error("event=kh_reply_failed id=%u msg=\"%s\"", id, e.msg);
		return;
	}
	if (send(s->fd, frame, n, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET)
		log_warn("event=kh_send_failed id=%u errno=%d", id, errno);
}

/* Answers a frame that did not decode (no guard involved). */
static void refuse_frame(struct kh_server *s, uint32_t id, const struct err *e)
{
	uint8_t frame[KH_REPLY_HEADER + ERR_MSG_MAX];
	size_t n = 0;
	struct kh_reply r = { .id = id, .op = KH_OP_SIGN, .kind = e->kind,
			      .payload = (const uint8_t *)e->msg,
			      .payload_len = (uint32_t)strnlen(e->msg, sizeof(e->msg)) };
	struct err ignored = { 0 };
	log_info("event=kh_frame_refused id=%u kind=%s", id, err_kind_name(e->kind));
	if (kh_reply_encode(&r, frame, sizeof(frame), &n, &ignored))
		(void)send(s->fd, frame, n, MSG_NOSIGNAL);
}

/* One frame read: refused, or run against the guard and answered. */
static void take_frame(struct kh_server *s, struct worker_buffers *b, ssize_t got)
{
	struct err e = { 0 };
	struct kh_request rq;
	uint64_t start_ns = now_mono_ns();
	if ((size_t)got > KH_REQ_MAX) {
		/* MSG_TRUNC: the frame was longer than any request may be. */
		kh_request_decode(b->in, KH_REQ_HEADER, &rq, &e);
		err_clear(&e);
		err_set(&e, ERR_TOO_LARGE, "kh request: frame of %zd bytes is over the %u-byte maximum",
			got, KH_REQ_MAX);
		refuse_frame(s, rq.id, &e);
		return;
	}
	if (!kh_request_decode(b->in, (size_t)got, &rq, &e)) {
		refuse_frame(s, rq.id, &e);
		return;
	}
	pthread_rwlock_rdlock(&s->running);
	kh_execute(s->ctx, &rq, start_ns, &b->a);
	pthread_rwlock_unlock(&s->running);
	send_reply(s, b->out, rq.id, rq.op, &b->a);
}

/* Each worker reads frames off the socket itself: the kernel hands each
 * SOCK_SEQPACKET message to one waiting reader, so a frame costs one
 * wake-up, and a full socket buffer is the bound on what waits (the
 * front's sends stall: backpressure). */
static void *worker(void *arg)
{
	struct kh_server *s = arg;
	struct worker_buffers b = { .in = malloc(KH_REQ_MAX + 1), .out = malloc(KH_REPLY_MAX),
				    .a = { .buf = malloc(KH_PAYLOAD_MAX) } };
	while (b.in && b.out && b.a.buf) {
		ssize_t got = recv(s->fd, b.in, KH_REQ_MAX + 1, MSG_TRUNC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* 0: the front closed its end (or kh_server_stop shut
			 * reading down); an error: treat it so too. */
			if (got < 0)
				log_warn("event=kh_recv_failed errno=%d", errno);
			break;
		}
		take_frame(s, &b, got);
	}
	if (!b.in || !b.out || !b.a.buf)
		log_error("event=kh_worker_failed reason=out_of_memory");
	free(b.in);
	free(b.out);
	free(b.a.buf);
	atomic_store(&s->peer_gone, true);
	return NULL;
}

bool kh_server_start(struct kh_server **out, int fd, const struct kh_context *c,
		     unsigned workers, struct err *e)
{
	struct kh_server *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory for the key holder");
	s->fd = fd;
	s->ctx = c;
	workers = workers ? workers : KH_WORKERS_DEFAULT;
	if (workers > KH_WORKERS_MAX)
		workers = KH_WORKERS_MAX;
	pthread_rwlockattr_t attr;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->running, &attr);
	pthread_rwlockattr_destroy(&attr);
	for (; s->worker_count < workers; s->worker_count++)
		if (pthread_create(&s->workers[s->worker_count], NULL, worker, s) != 0)
			break;
	if (s->worker_count == 0) {
		pthread_rwlock_destroy(&s->running);
		free(s);
		return err_set(e, ERR_INTERNAL, "cannot start the key holder's threads");
	}
	*out = s;
	return true;
}

void kh_server_pause(struct kh_server *s)
{
	pthread_rwlock_wrlock(&s->running);
}

void kh_server_resume(struct kh_server *s)
{
	pthread_rwlock_unlock(&s->running);
}

bool kh_server_peer_gone(struct kh_server *s)
{
	return atomic_load(&s->peer_gone);
}

void kh_server_stop(struct kh_server *s)
{
	if (!s)
		return;
	/* Wakes every worker: what the socket holds is still read and
	 * answered, then recv returns 0. */
	shutdown(s->fd, SHUT_RD);
	for (unsigned i = 0; i < s->worker_count; i++)
		pthread_join(s->workers[i], NULL);
	close(s->fd);
	pthread_rwlock_destroy(&s->running);
	free(s);
}
