/* kh_link.c - the front's side of the key holder's socketpair: requests
 * out (queued, bounded, while the socket is full), replies in, each handed
 * to the connection whose id it carries; a reply for a connection closed
 * since (its slot's generation moved on) is dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "../base/log.h"
#include "front.h"

#define KH_QUEUE_MAX 512u
#define REPLIES_PER_WAKEUP 64

struct kh_queue_item {
	struct kh_queue_item *next;
	size_t len;
	uint8_t bytes[];
};

static uint8_t frame[KH_REQ_MAX];
static uint8_t reply[KH_REPLY_MAX + 1];

static void want_writable(struct front *f, bool want)
{
	if (f->kh_writable_wanted == want)
		return;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0u), .data.u64 = 2ull << 32 };
	if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, f->cfg.kh_fd, &ev) == 0)
		f->kh_writable_wanted = want;
}

static bool enqueue(struct front *f, const uint8_t *bytes, size_t len, struct err *e)
{
	if (f->kh_queued >= KH_QUEUE_MAX)
		return err_set(e, ERR_UNAVAILABLE,
			       "the key holder has %u requests waiting already: try again", KH_QUEUE_MAX);
	struct kh_queue_item *it = malloc(sizeof(*it) + len);
	if (!it)
		return err_set(e, ERR_UNAVAILABLE, "out of memory for a request to the key holder");
	it->next = NULL;
	it->len = len;
	memcpy(it->bytes, bytes, len);
	if (f->kh_tail)
		f->kh_tail->next = it;
	else
		f->kh_head = it;
	f->kh_tail = it;
	f->kh_queued++;
	want_writable(f, true);
	return true;
}

/* 1 sent, 0 the socket is full, -1 failed. */
static int send_frame(struct front *f, const uint8_t *bytes, size_t len)
{
	ssize_t put = send(f->cfg.kh_fd, bytes, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (put == (ssize_t)len)
		return 1;
	if (put < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOBUFS))
		return 0;
	return -1;
}

bool kh_link_send(struct front *f, const struct kh_request *r, struct err *e)
{
	size_t len = 0;
	if (!kh_request_encode(r, frame, sizeof(frame), &len, e))
		return false;
	if (f->kh_head)
		return enqueue(f, frame, len, e);
	switch (send_frame(f, frame, len)) {
	case 1: return true;
	case 0: return enqueue(f, frame, len, e);
	default: return err_errno(e, ERR_UNAVAILABLE, "sending a request to the key holder");
	}
}

void kh_link_on_writable(struct front *f)
{
	while (f->kh_head) {
		struct kh_queue_item *it = f->kh_head;
		int sent = send_frame(f, it->bytes, it->len);
		if (sent == 0)
			return;
		if (sent < 0)
			log_warn("event=kh_send_failed bytes=%zu", it->len);
		f->kh_head = it->next;
		if (!f->kh_head)
			f->kh_tail = NULL;
		f->kh_queued--;
		free(it);
	}
	want_writable(f, false);
}

static void deliver(struct front *f, const struct kh_reply *r)
{
	struct conn *c = conn_of_id(f, r->id);
	if (!c || !c->work) {
		log_debug("event=kh_reply_dropped id=%u reason=connection_gone", r->id);
		return;
	}
	if (r->op != c->work->asked) {
		log_warn("event=kh_reply_dropped id=%u reason=op_mismatch op=%s asked=%s", r->id,
			 kh_op_name(r->op), kh_op_name(c->work->asked));
		conn_close(f, c);
		return;
	}
	if (conn_is_socket(f, c))
		sock_on_reply(f, c, r);
	else
		http_on_reply(f, c, r);
}

bool kh_link_on_readable(struct front *f, struct err *e)
{
	for (int n = 0; n < REPLIES_PER_WAKEUP; n++) {
		ssize_t got = recv(f->cfg.kh_fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_TRUNC);
		if (got == 0)
			return err_set(e, ERR_UNAVAILABLE, "the key holder closed its socket");
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			return err_errno(e, ERR_UNAVAILABLE, "reading the key holder's socket");
		}
		struct kh_reply r;
		struct err bad = { 0 };
		if ((size_t)got > KH_REPLY_MAX) {
			log_warn("event=kh_reply_malformed bytes=%zd reason=over_the_frame_bound", got);
			continue;
		}
		if (!kh_reply_decode(reply, (size_t)got, &r, &bad)) {
			char q[ERR_MSG_MAX + 64];
			log_warn("event=kh_reply_malformed bytes=%zd reason=%s", got, log_str(q, sizeof(q), bad.msg));
			continue;
		}
		deliver(f, &r);
	}
	return true;
}

void kh_link_free(struct front *f)
{
	while (f->kh_head) {
		struct kh_queue_item *it = f->kh_head;
		f->kh_head = it->next;
		free(it);
	}
	f->kh_tail = NULL;
	f->kh_queued = 0;
}
