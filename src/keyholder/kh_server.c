/* kh_server.c - the reader, the bounded queue and the workers (kh_server.h). */
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

struct job {
	struct job *next;
	uint64_t start_ns;
	struct kh_request rq;
	size_t len;
	uint8_t frame[]; /* len bytes; rq.body points in here */
};

struct kh_server {
	int fd;
	const struct kh_context *ctx;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* queue, pause or stop changed */
	struct job *head, *tail;
	unsigned queued, queue_max, running;
	bool paused, stopping, reader_done;
	atomic_bool peer_gone;
	unsigned worker_count;
	pthread_t reader;
	pthread_t workers[KH_WORKERS_MAX];
};

/* One reply frame; a failed send means the front is gone (its reader will
 * see the EOF and the server be stopped), so it is only logged. */
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

static void *worker(void *arg)
{
	struct kh_server *s = arg;
	uint8_t *frame = malloc(KH_REPLY_MAX);
	struct kh_answer a = { .buf = malloc(KH_PAYLOAD_MAX) };
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while ((!s->head || s->paused) && !(s->stopping && s->reader_done && !s->head))
			pthread_cond_wait(&s->changed, &s->lock);
		if (!s->head)
			break;
		struct job *j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		s->queued--;
		s->running++;
		pthread_cond_broadcast(&s->changed);
		pthread_mutex_unlock(&s->lock);
		if (frame && a.buf) {
			kh_execute(s->ctx, &j->rq, j->start_ns, &a);
			send_reply(s, frame, j->rq.id, j->rq.op, &a);
		}
		free(j);
		pthread_mutex_lock(&s->lock);
		s->running--;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	free(frame);
	free(a.buf);
	return NULL;
}

/* Answers a frame that did not decode, from the reader (no guard involved). */
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

static void enqueue(struct kh_server *s, struct job *j)
{
	pthread_mutex_lock(&s->lock);
	while (s->queued >= s->queue_max && !s->stopping)
		pthread_cond_wait(&s->changed, &s->lock); /* backpressure: stop reading */
	j->next = NULL;
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	s->queued++;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

/* One frame read: refused, or queued for a worker. */
static void take_frame(struct kh_server *s, const uint8_t *buf, ssize_t got)
{
	struct err e = { 0 };
	struct kh_request rq;
	if ((size_t)got > KH_REQ_MAX) {
		/* MSG_TRUNC: the frame was longer than any request may be. */
		kh_request_decode(buf, KH_REQ_HEADER, &rq, &e);
		err_clear(&e);
		err_set(&e, ERR_TOO_LARGE, "kh request: frame of %zd bytes is over the %u-byte maximum",
			got, KH_REQ_MAX);
		refuse_frame(s, rq.id, &e);
		return;
	}
	struct job *j = malloc(sizeof(*j) + (size_t)got);
	if (!j) {
		err_set(&e, ERR_INTERNAL, "out of memory for a frame of %zd bytes", got);
		refuse_frame(s, 0, &e);
		return;
	}
	j->len = (size_t)got;
	j->start_ns = now_mono_ns();
	memcpy(j->frame, buf, j->len);
	if (!kh_request_decode(j->frame, j->len, &j->rq, &e)) {
		refuse_frame(s, j->rq.id, &e);
		free(j);
		return;
	}
	enqueue(s, j);
}

static void *reader(void *arg)
{
	struct kh_server *s = arg;
	uint8_t *buf = malloc(KH_REQ_MAX + 1);
	while (buf) {
		ssize_t got = recv(s->fd, buf, KH_REQ_MAX + 1, MSG_TRUNC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* 0: the front closed its end; an error: treat it so too. */
			if (got < 0)
				log_warn("event=kh_recv_failed errno=%d", errno);
			break;
		}
		take_frame(s, buf, got);
	}
	free(buf);
	atomic_store(&s->peer_gone, true);
	pthread_mutex_lock(&s->lock);
	s->reader_done = true;
	s->stopping = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

bool kh_server_start(struct kh_server **out, int fd, const struct kh_context *c,
		     unsigned workers, unsigned queue_max, struct err *e)
{
	struct kh_server *s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, ERR_INTERNAL, "out of memory for the key holder");
	s->fd = fd;
	s->ctx = c;
	s->queue_max = queue_max ? queue_max : KH_QUEUE_DEFAULT;
	workers = workers ? workers : KH_WORKERS_DEFAULT;
	if (workers > KH_WORKERS_MAX)
		workers = KH_WORKERS_MAX;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	for (; s->worker_count < workers; s->worker_count++)
		if (pthread_create(&s->workers[s->worker_count], NULL, worker, s) != 0)
			break;
	if (s->worker_count == 0 || pthread_create(&s->reader, NULL, reader, s) != 0) {
		err_set(e, ERR_INTERNAL, "cannot start the key holder's threads");
		s->reader_done = true;
		s->stopping = true;
		pthread_cond_broadcast(&s->changed);
		for (unsigned i = 0; i < s->worker_count; i++)
			pthread_join(s->workers[i], NULL);
		pthread_cond_destroy(&s->changed);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return false;
	}
	*out = s;
	return true;
}

void kh_server_pause(struct kh_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->paused = true;
	while (s->running > 0)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void kh_server_resume(struct kh_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->paused = false;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

bool kh_server_peer_gone(struct kh_server *s)
{
	return atomic_load(&s->peer_gone);
}

void kh_server_stop(struct kh_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	s->paused = false;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	shutdown(s->fd, SHUT_RD); /* wakes the reader: recv returns 0 */
	pthread_join(s->reader, NULL);
	for (unsigned i = 0; i < s->worker_count; i++)
		pthread_join(s->workers[i], NULL);
	close(s->fd);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
