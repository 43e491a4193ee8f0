/* conn.c - the front's connection table: accept, shed, deadlines, output. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../base/log.h"
#include "front.h"
#include "../base/clock.h"

#define NS 1000000000ull
#define LINGER_S 2u
#define ACCEPTS_PER_WAKEUP 64
#define SHED_GRACE_NS (NS / 2) /* a connection that sent nothing yet is not idle before this */

static const char *const state_names[CONN_STATES] = {
	"free", "idle", "head", "body", "wait", "write", "linger",
};

static void pause_listener(struct front *f, size_t l, bool pause);

static size_t slot_of(const struct front *f, const struct conn *c)
{
	return (size_t)(c - f->conns);
}

bool conn_is_status(const struct front *f, const struct conn *c)
{
	return f->cfg.kind[c->listener] == LISTEN_STATUS;
}

bool conn_is_socket(const struct front *f, const struct conn *c)
{
	return f->cfg.kind[c->listener] == LISTEN_SOCKET;
}

struct conn_work *conn_work(struct conn *c)
{
	if (!c->work) {
		c->work = calloc(1, sizeof(*c->work));
		if (c->work)
			c->work->start_ns = now_mono_ns();
	}
	return c->work;
}

/* The epoll interest a state needs, or KEEP: waiting for the key holder
 * and writing leave EPOLLIN as it is, so a request answered at once costs
 * no epoll_ctl; input that arrives meanwhile turns it off then
 * (conn_quiet), and a write that would block asks for EPOLLOUT then. */
#define KEEP UINT32_MAX
static uint32_t interest(enum conn_state s)
{
	switch (s) {
	case CONN_IDLE:
	case CONN_HEAD:
	case CONN_BODY:
	case CONN_LINGER: return EPOLLIN;
	case CONN_WAIT:
	case CONN_WRITE: return KEEP;
	case CONN_FREE:
	case CONN_STATES: break;
	}
	return 0;
}

static void watch(struct front *f, struct conn *c, uint32_t want)
{
	if (want == c->events || c->fd < 0)
		return;
	struct epoll_event ev = { .events = want, .data.u64 = slot_of(f, c) };
	if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
}

void conn_quiet(struct front *f, struct conn *c)
{
	watch(f, c, 0);
}

void conn_set_state(struct front *f, struct conn *c, enum conn_state s)
{
	const struct front_config *cfg = &f->cfg;
	uint64_t now = now_mono_ns();
	unsigned secs = 0;
	switch (s) {
	case CONN_IDLE: secs = cfg->idle_s; break;
	case CONN_HEAD: secs = conn_is_socket(f, c) ? cfg->head_s + cfg->body_s : cfg->head_s; break;
	case CONN_BODY: secs = cfg->body_s; break;
	case CONN_WRITE: secs = cfg->write_s; break;
	case CONN_LINGER: secs = LINGER_S; break;
	case CONN_FREE:
	case CONN_WAIT:
	case CONN_STATES: break;
	}
	c->state = s;
	c->since_ns = now;
	if (s != CONN_IDLE)
		c->fresh = false;
	if (s == CONN_IDLE && c->fd >= 0)
		pause_listener(f, c->listener, false); /* it may be shed for a waiting one */
	c->deadline_ns = secs ? now + secs * NS : 0;
	if (c->deadline_ns && c->deadline_ns < f->next_scan_ns)
		f->next_scan_ns = c->deadline_ns;
	uint32_t want = interest(s);
	if (want != KEEP)
		watch(f, c, want);
}

void conn_close(struct front *f, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd); /* leaves the epoll set with it */
	free(c->in);
	free(c->out);
	free(c->work);
	f->open[c->listener]--;
	pause_listener(f, c->listener, false);
	uint16_t gen = (uint16_t)(c->gen + 1u);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->gen = gen ? gen : 1;
}

uint32_t conn_next_id(struct front *f, struct conn *c)
{
	c->gen = (uint16_t)(c->gen + 1u);
	if (c->gen == 0)
		c->gen = 1;
	return (uint32_t)c->gen << 16 | (uint32_t)slot_of(f, c);
}

struct conn *conn_of_id(struct front *f, uint32_t id)
{
	size_t slot = id & 0xffffu;
	if (slot >= f->n_conns)
		return NULL;
	struct conn *c = &f->conns[slot];
	return c->state == CONN_WAIT && c->gen == (uint16_t)(id >> 16) ? c : NULL;
}

void conn_consume(struct conn *c, size_t n)
{
	if (n >= c->in_len) {
		c->in_len = 0;
		return;
	}
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

bool conn_read(struct conn *c, size_t limit)
{
	if (c->in_len >= limit)
		return true;
	if (c->in_cap < limit) {
		size_t cap = c->in_cap ? c->in_cap : 2048;
		while (cap < limit && cap < c->in_len + 16384)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		uint8_t *grown = realloc(c->in, cap);
		if (!grown)
			return false;
		c->in = grown;
		c->in_cap = cap;
	}
	ssize_t got = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (got > 0) {
		c->in_len += (size_t)got;
		return true;
	}
	return got < 0 && (errno == EAGAIN || errno == EINTR);
}

void conn_send(struct front *f, struct conn *c, uint8_t *text, size_t len)
{
	free(c->out);
	c->out = text;
	c->out_len = text ? len : 0;
	c->out_off = 0;
	if (!text)
		c->close_after = true;
	conn_set_state(f, c, CONN_WRITE);
	conn_on_writable(f, c);
}

/* The answer went out: linger if the connection ends, else take the next
 * request (one may be in c->in already). */
static void answered(struct front *f, struct conn *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	free(c->work);
	c->work = NULL;
	if (c->close_after) {
		shutdown(c->fd, SHUT_WR);
		c->in_len = 0;
		conn_set_state(f, c, CONN_LINGER);
		return;
	}
	conn_set_state(f, c, CONN_IDLE);
	if (c->in_len == 0) {
		free(c->in); /* an idle connection holds no buffer */
		c->in = NULL;
		c->in_cap = 0;
		return;
	}
	if (conn_is_socket(f, c))
		sock_on_input(f, c);
	else
		http_on_input(f, c);
}

void conn_on_writable(struct front *f, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t put = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				   MSG_NOSIGNAL | MSG_DONTWAIT);
		if (put < 0 && (errno == EAGAIN || errno == EINTR)) {
			watch(f, c, EPOLLOUT);
			return;
		}
		if (put <= 0) {
			conn_close(f, c);
			return;
		}
		c->out_off += (size_t)put;
	}
	answered(f, c);
}

/* Whether c may be shed for a new connection: idle with nothing received
 * and nothing waiting to be read (a request that arrived while the
 * listener's event was handled first is not idle), and, for a connection
 * that never sent anything, past SHED_GRACE_NS: its client may be between
 * connect() and its first write (200 clients connecting at once on a full
 * table would otherwise shed each other). */
static bool sheddable(const struct conn *c, uint64_t now)
{
	if (c->state != CONN_IDLE || c->in_len != 0)
		return false;
	if (c->fresh && now - c->since_ns < SHED_GRACE_NS)
		return false;
	char b;
	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* The listener's idle connection that has been idle longest. */
static struct conn *oldest_idle(struct front *f, size_t l)
{
	struct conn *best = NULL;
	uint64_t now = now_mono_ns();
	for (size_t i = f->slot_base[l]; i < f->slot_base[l] + f->cap[l]; i++) {
		struct conn *c = &f->conns[i];
		if (c->state == CONN_IDLE && (!best || c->since_ns < best->since_ns) && sheddable(c, now))
			best = c;
	}
	return best;
}

static struct conn *free_slot(struct front *f, size_t l)
{
	for (size_t i = f->slot_base[l]; i < f->slot_base[l] + f->cap[l]; i++)
		if (f->conns[i].state == CONN_FREE)
			return &f->conns[i];
	return NULL;
}

/* Stops or resumes taking connections from listener l: while its table is
 * full and nothing in it is idle, new connections wait in the kernel's
 * accept queue (bounded by its backlog) instead of being closed. */
static void pause_listener(struct front *f, size_t l, bool pause)
{
	if (f->paused[l] == pause)
		return;
	struct epoll_event ev = { .events = pause ? 0u : EPOLLIN, .data.u64 = 1ull << 32 | l };
	if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, f->cfg.listen_fd[l], &ev) != 0)
		return;
	f->paused[l] = pause;
	if (pause) {
		/* look again once a fresh connection's grace is over (conn_expire) */
		uint64_t again = now_mono_ns() + SHED_GRACE_NS;
		if (again < f->next_scan_ns)
			f->next_scan_ns = again;
		f->stats.paused++;
		log_debug("event=accept_paused listener=%zu open=%u reason=table_full_none_idle", l, f->open[l]);
	}
}

void conn_accept(struct front *f, size_t l)
{
	for (int n = 0; n < ACCEPTS_PER_WAKEUP; n++) {
		struct conn *c = f->open[l] < f->cap[l] ? free_slot(f, l) : NULL;
		struct conn *idle = c ? NULL : oldest_idle(f, l);
		if (!c && !idle) {
			pause_listener(f, l, true);
			return;
		}
		int fd = accept4(f->cfg.listen_fd[l], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection reset before we took it */
		if (!c) {
			if (idle) {
				f->stats.shed++;
				log_debug("event=connection_shed slot=%zu idle_ms=%llu", slot_of(f, idle),
					  (unsigned long long)((now_mono_ns() - idle->since_ns) / 1000000u));
				conn_close(f, idle);
				c = idle;
			}
		}
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on unix sockets */
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = slot_of(f, c) };
		if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->listener = (uint8_t)l;
		c->events = EPOLLIN;
		f->open[l]++;
		f->stats.accepted++;
		conn_set_state(f, c, CONN_IDLE);
		c->fresh = true;
	}
}

void conn_expire(struct front *f, uint64_t now)
{
	if (now < f->next_scan_ns)
		return;
	uint64_t next = now + 60 * NS;
	for (size_t l = 0; l < f->cfg.listeners; l++)
		if (f->paused[l]) {
			pause_listener(f, l, false); /* conn_accept pauses it again if nothing can go */
			if (now + SHED_GRACE_NS < next)
				next = now + SHED_GRACE_NS;
		}
	for (size_t i = 0; i < f->n_conns; i++) {
		struct conn *c = &f->conns[i];
		if (c->state == CONN_FREE || c->deadline_ns == 0)
			continue;
		if (c->deadline_ns <= now) {
			f->stats.expired[c->state]++;
			log_debug("event=deadline_expired slot=%zu state=%s bytes=%zu", i,
				  state_names[c->state], c->in_len);
			conn_close(f, c);
			continue;
		}
		if (c->deadline_ns < next)
			next = c->deadline_ns;
	}
	f->next_scan_ns = next;
}

const char *conn_state_name(enum conn_state s)
{
	return (unsigned)s < CONN_STATES ? state_names[s] : "?";
}
