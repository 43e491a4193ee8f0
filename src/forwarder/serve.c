/* serve.c - the forwarder's accept loop: sshd -i per connection, the
 * health checks and the exporter, in one poll loop. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "exporter.h"

#define HTTP_MAX_CONNS 32
#define HTTP_REQ_MAX 4096
#define HTTP_TIMEOUT_MS 5000
#define ACCEPT_BURST 16
#define STOP_GRACE_MS 3000

struct http_conn {
	int fd;
	char in[HTTP_REQ_MAX];
	size_t got;
	char *out;
	size_t out_len, sent;
	uint64_t deadline_ms;
};

struct loop {
	struct fwd_state s;
	int sfd, lfd, mfd;
	uint16_t listen_port;
	struct http_conn http[HTTP_MAX_CONNS];
	size_t n_http;
	bool stopping;
	sigset_t blocked, old_mask;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fwd_run_opts_defaults(struct fwd_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	fwd_render_opts_defaults(&o->render);
	o->render.metrics_port = 9732;
	o->sshd_path = "/usr/sbin/sshd";
	snprintf(o->metrics_host, sizeof(o->metrics_host), "127.0.0.1");
	o->max_unauthenticated = 10;
	o->max_connections = 512;
	o->probe_interval_s = 5;
	o->probe_timeout_ms = 3000;
}

bool fwd_parse_addr(const char *text, char *host, size_t cap, uint16_t *port, struct err *e)
{
	const char *colon;
	const char *h = text;
	size_t hl;
	if (text[0] == '[') {
		const char *rb = strchr(text, ']');
		if (!rb || rb[1] != ':')
			return err_set(e, ERR_MALFORMED, "address '%.80s': expected [IPV6]:PORT", text);
		h = text + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return err_set(e, ERR_MALFORMED, "address '%.80s': expected ADDRESS:PORT", text);
		hl = (size_t)(colon - text);
	}
	if (hl == 0 || hl >= cap)
		return err_set(e, ERR_MALFORMED, "address '%.80s': the address part is empty or too long", text);
	memcpy(host, h, hl);
	host[hl] = '\0';
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
		return err_set(e, ERR_MALFORMED, "address '%.80s': '%s' is not a numeric IPv4 or IPv6 address",
			       text, host);
	const char *p = colon + 1;
	unsigned long v = 0;
	if (!*p || strlen(p) > 5)
		return err_set(e, ERR_MALFORMED, "address '%.80s': the port is missing or too long", text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, ERR_MALFORMED, "address '%.80s': the port is not a number", text);
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return err_set(e, ERR_MALFORMED, "address '%.80s': port %lu is over 65535", text, v);
	*port = (uint16_t)v;
	return true;
}

/* Runs argv with stdout and stderr on a pipe; returns its exit status and
 * the first cap-1 bytes it wrote. */
static bool run_capture(const char *const argv[], char *out, size_t cap, int *status, struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0)
		return err_errno(e, ERR_IO, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return err_errno(e, ERR_IO, "fork");
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	for (;;) {
		char tmp[512];
		ssize_t r = read(p[0], tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t n = (size_t)r;
		if (got + 1 < cap) {
			size_t k = n < cap - 1 - got ? n : cap - 1 - got;
			memcpy(out + got, tmp, k);
			got += k;
		}
	}
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return err_errno(e, ERR_IO, "waitpid");
	}
	return true;
}

bool fwd_sshd_test(const char *sshd_path, const char *config, struct err *e)
{
	const char *argv[] = { sshd_path, "-t", "-f", config, NULL };
	char out[1024];
	int status = 0;
	if (!run_capture(argv, out, sizeof(out), &status, e))
		return false;
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return err_set(e, ERR_NOT_FOUND, "cannot run %s (install openssh-server or give --sshd)",
			       sshd_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, ERR_MALFORMED, "%s -t -f %s refused the rendered files: %s", sshd_path, config,
			       out[0] ? out : "(no message)");
	return true;
}

static bool listen_on(const char *host, uint16_t port, int *fd_out, uint16_t *actual, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *ai = NULL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", (unsigned)port);
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc != 0)
		return err_set(e, ERR_MALFORMED, "address %s:%u: %s", host, (unsigned)port, gai_strerror(rc));
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return err_errno(e, ERR_IO, "socket for %s:%u", host, (unsigned)port);
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
		err_errno(e, ERR_IO, "listen on %s:%u", host, (unsigned)port);
		freeaddrinfo(ai);
		close(fd);
		return false;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	*actual = port;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		*actual = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							  : ((struct sockaddr_in *)&ss)->sin_port);
	*fd_out = fd;
	return true;
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char h[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%u", h, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
		port = ntohs(a->sin6_port);
		snprintf(out, cap, "[%s]:%u", h, port);
	} else {
		snprintf(out, cap, "unknown");
	}
}

static unsigned user_timeout_ms(const struct fwd_run_opts *o)
{
	if (o->user_timeout_ms)
		return o->user_timeout_ms;
	return (o->render.alive_interval_s * (o->render.alive_count + 1)) * 1000u;
}

/* What this whole program exists for: TCP_NODELAY on the transport. */
static void tune(int fd, const struct fwd_run_opts *o)
{
	int one = 1;
	int idle = (int)o->render.alive_interval_s, cnt = (int)o->render.alive_count;
	unsigned uto = user_timeout_ms(o);
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		log_warn("event=sockopt option=TCP_NODELAY error=%d", errno);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (idle > 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
	}
	if (cnt > 0)
		setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	if (setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, sizeof(uto)) != 0)
		log_warn("event=sockopt option=TCP_USER_TIMEOUT error=%d", errno);
}

static void child_exec(const struct loop *L, int cfd, int errfd, pid_t parent)
{
	/* In the child: only async-signal-safe calls until execve. */
	sigset_t none;
	sigemptyset(&none);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	if (dup2(cfd, STDIN_FILENO) < 0 || dup2(cfd, STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
		_exit(126);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const char *argv[] = { L->s.opts->sshd_path, "-i", "-e", "-f", L->s.r.config_path, NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	execve(argv[0], (char *const *)argv, envp);
	_exit(127);
}

static bool children_reserve(struct fwd_state *s)
{
	if (s->n_children < s->cap_children)
		return true;
	size_t cap = s->cap_children ? s->cap_children * 2 : 16;
	struct fwd_child *c = realloc(s->children, cap * sizeof(*c));
	if (!c)
		return false;
	s->children = c;
	s->cap_children = cap;
	return true;
}

static void accept_ssh(struct loop *L)
{
	struct fwd_state *s = &L->s;
	const struct fwd_run_opts *o = s->opts;
	for (int k = 0; k < ACCEPT_BURST; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int cfd = accept4(L->lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("event=accept_failed error=\"%s\"", strerror(errno));
			return;
		}
		char peer[64];
		addr_text(&ss, peer, sizeof(peer));
		if (s->unauthenticated >= o->max_unauthenticated) {
			s->dropped_unauth_total++;
			log_warn("event=dropped peer=%s reason=unauthenticated_limit limit=%u", peer,
				 o->max_unauthenticated);
			close(cfd);
			continue;
		}
		if (s->n_children >= o->max_connections || !children_reserve(s)) {
			s->dropped_limit_total++;
			log_warn("event=dropped peer=%s reason=connection_limit limit=%u", peer, o->max_connections);
			close(cfd);
			continue;
		}
		tune(cfd, o);
		int ep[2];
		if (pipe2(ep, O_CLOEXEC) != 0) {
			log_error("event=pipe_failed error=\"%s\"", strerror(errno));
			close(cfd);
			continue;
		}
		pid_t parent = getpid();
		pid_t pid = fork();
		if (pid == 0)
			child_exec(L, cfd, ep[1], parent);
		close(cfd);
		close(ep[1]);
		if (pid < 0) {
			log_error("event=fork_failed error=\"%s\"", strerror(errno));
			close(ep[0]);
			continue;
		}
		fcntl(ep[0], F_SETFL, fcntl(ep[0], F_GETFL) | O_NONBLOCK);
		struct fwd_child *c = &s->children[s->n_children++];
		memset(c, 0, sizeof(*c));
		c->pid = pid;
		c->err_fd = ep[0];
		c->box = -1;
		c->start_ms = mono_ms();
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
		s->unauthenticated++;
		s->accepted_total++;
		log_info("event=accepted peer=%s pid=%d unauthenticated=%u", peer, (int)pid, s->unauthenticated);
	}
}

static const char *box_name(const struct fwd_state *s, int box)
{
	return box >= 0 && (size_t)box < s->r.signers.n ? s->r.signers.v[box].name : "-";
}

/* One line of sshd's log. */
static void sshd_line(struct fwd_state *s, struct fwd_child *c, char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (!n)
		return;
	char msg[1100];
	log_str(msg, sizeof(msg), line);
	const char *fp = NULL;
	if (!c->authed && strncmp(line, "Accepted publickey for ", 23) == 0) {
		const char *p = strstr(line, " ssh2: ");
		if (p) {
			p = strchr(p + 7, ' ');
			if (p)
				fp = p + 1;
		}
	}
	if (fp) {
		char fpb[SSHKEY_FP_MAX];
		size_t fl = strcspn(fp, " ");
		if (fl >= sizeof(fpb))
			fl = sizeof(fpb) - 1;
		memcpy(fpb, fp, fl);
		fpb[fl] = '\0';
		c->authed = true;
		if (s->unauthenticated)
			s->unauthenticated--;
		c->box = signers_find_fingerprint(&s->r.signers, fpb);
		if (c->box >= 0) {
			struct fwd_box_state *b = &s->boxes[c->box];
			b->sessions++;
			b->logins_total++;
			/* Check the tunnel soon: its forwards follow the login. */
			uint64_t soon = mono_ms() + 1000;
			if (!boxprobe_active(&b->probe) && b->next_probe_ms > soon)
				b->next_probe_ms = soon;
			log_info("event=box_login box=%s port=%u pid=%d peer=%s fingerprint=%s", box_name(s, c->box),
				 (unsigned)s->r.signers.v[c->box].port, (int)c->pid, c->peer, fpb);
		} else {
			s->unknown_logins_total++;
			log_warn("event=login_unknown_key pid=%d peer=%s fingerprint=%s", (int)c->pid, c->peer, fpb);
		}
		return;
	}
	if (strstr(line, "but the request was denied") || strstr(line, "refused local port forward") ||
	    strstr(line, "refused streamlocal")) {
		if (c->box >= 0)
			s->boxes[c->box].forwards_refused_total++;
		log_warn("event=forward_refused box=%s pid=%d peer=%s sshd=%s", box_name(s, c->box), (int)c->pid,
			 c->peer, msg);
		return;
	}
	log_info("event=sshd box=%s pid=%d peer=%s msg=%s", box_name(s, c->box), (int)c->pid, c->peer, msg);
}

static void read_child(struct fwd_state *s, struct fwd_child *c)
{
	for (;;) {
		char buf[1024];
		ssize_t r = read(c->err_fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			if (c->line_len) {
				c->line[c->line_len] = '\0';
				sshd_line(s, c, c->line);
				c->line_len = 0;
			}
			close(c->err_fd);
			c->err_fd = -1;
			return;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == '\n') {
				c->line[c->line_len] = '\0';
				sshd_line(s, c, c->line);
				c->line_len = 0;
			} else if (c->line_len + 1 < sizeof(c->line)) {
				c->line[c->line_len++] = buf[i];
			}
		}
	}
}

static void reap(struct fwd_state *s)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		for (size_t i = 0; i < s->n_children; i++) {
			struct fwd_child *c = &s->children[i];
			if (c->pid != pid)
				continue;
			c->exited = true;
			uint64_t secs = (mono_ms() - c->start_ms) / 1000;
			if (WIFEXITED(status))
				log_info("event=session_end box=%s pid=%d peer=%s exit=%d seconds=%llu", box_name(s, c->box),
					 (int)pid, c->peer, WEXITSTATUS(status), (unsigned long long)secs);
			else
				log_info("event=session_end box=%s pid=%d peer=%s signal=%d seconds=%llu",
					 box_name(s, c->box), (int)pid, c->peer, WTERMSIG(status), (unsigned long long)secs);
			break;
		}
	}
}

/* Drops records whose process exited and whose log pipe closed. */
static void sweep(struct fwd_state *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (c->exited && c->err_fd < 0) {
			if (!c->authed) {
				if (s->unauthenticated)
					s->unauthenticated--;
			} else if (c->box >= 0 && s->boxes[c->box].sessions) {
				s->boxes[c->box].sessions--;
			}
			continue;
		}
		if (j != i)
			s->children[j] = *c;
		j++;
	}
	s->n_children = j;
}

static void apply_probe(struct fwd_state *s, size_t i, enum probe_result r, uint64_t now)
{
	struct fwd_box_state *b = &s->boxes[i];
	const struct signer *x = &s->r.signers.v[i];
	(void)now;
	b->check_seconds = (double)boxprobe_elapsed_us(&b->probe) / 1e6;
	b->http_status = b->probe.status;
	int tunnel = r == PROBE_TUNNEL_DOWN ? TRI_DOWN : TRI_UP;
	int signer = r == PROBE_OK ? TRI_UP : TRI_DOWN;
	if (r == PROBE_OK) {
		b->checks_ok++;
		b->last_up_ms = wall_ms();
		b->error[0] = '\0';
	} else {
		if (r == PROBE_TUNNEL_DOWN)
			b->checks_tunnel_down++;
		else
			b->checks_no_answer++;
		snprintf(b->error, sizeof(b->error), "%s", b->probe.error);
	}
	if (signer != b->signer || tunnel != b->tunnel) {
		char err[200];
		b->since_ms = wall_ms();
		if (signer == TRI_UP)
			log_info("event=box_state box=%s port=%u tunnel=up signer=up check_ms=%.1f", x->name,
				 (unsigned)x->port, b->check_seconds * 1000.0);
		else
			log_warn("event=box_state box=%s port=%u tunnel=%s signer=down error=%s", x->name,
				 (unsigned)x->port, tunnel == TRI_UP ? "up" : "down", log_str(err, sizeof(err), b->error));
	}
	b->tunnel = tunnel;
	b->signer = signer;
	b->next_probe_ms = now + (uint64_t)s->opts->probe_interval_s * 1000u;
}

static void probe_due(struct fwd_state *s, uint64_t now)
{
	for (size_t i = 0; i < s->r.signers.n; i++) {
		struct fwd_box_state *b = &s->boxes[i];
		if (boxprobe_active(&b->probe)) {
			enum probe_result r = boxprobe_expire(&b->probe, now);
			if (r != PROBE_PENDING)
				apply_probe(s, i, r, now);
			continue;
		}
		if (now < b->next_probe_ms)
			continue;
		char path[64];
		const struct signer *x = &s->r.signers.v[i];
		enum probe_result r = boxprobe_start(&b->probe, x->port, signer_check_path(x, path, sizeof(path)),
						     now, s->opts->probe_timeout_ms);
		if (r != PROBE_PENDING)
			apply_probe(s, i, r, now);
	}
}

static bool boxes_alloc(struct fwd_state *s, uint64_t now)
{
	s->boxes = calloc(s->r.signers.n ? s->r.signers.n : 1, sizeof(*s->boxes));
	if (!s->boxes)
		return false;
	for (size_t i = 0; i < s->r.signers.n; i++) {
		boxprobe_init(&s->boxes[i].probe);
		s->boxes[i].tunnel = s->boxes[i].signer = TRI_UNKNOWN;
		s->boxes[i].next_probe_ms = now + 200 + 50 * i;
	}
	return true;
}

static void boxes_free(struct fwd_state *s)
{
	for (size_t i = 0; s->boxes && i < s->r.signers.n; i++)
		boxprobe_close(&s->boxes[i].probe);
	free(s->boxes);
	s->boxes = NULL;
}

static bool render_and_test(struct fwd_state *s, struct fwd_rendered *r, struct err *e)
{
	if (!fwd_render(&s->opts->render, r, e)) {
		s->render_failures_total++;
		return false;
	}
	if (!fwd_sshd_test(s->opts->sshd_path, r->config_path, e)) {
		s->render_failures_total++;
		return false;
	}
	s->renders_total++;
	return true;
}

/* SIGHUP: render again; sessions of boxes that are gone are ended. */
static void reload(struct loop *L)
{
	struct fwd_state *s = &L->s;
	struct fwd_rendered nr;
	struct err e = { 0 };
	if (!render_and_test(s, &nr, &e)) {
		char m[400];
		log_error("event=reload_failed error=%s", log_str(m, sizeof(m), e.msg));
		fwd_rendered_free(&nr);
		/* Files may be half new: the old sshd_config was replaced only if
		 * the inputs parsed, which is what sshd -t then judged. */
		s->ready = false;
		return;
	}
	struct fwd_box_state *old = s->boxes;
	struct fwd_rendered old_r = s->r;
	s->r = nr;
	s->boxes = NULL;
	if (!boxes_alloc(s, mono_ms())) {
		log_error("event=reload_failed error=\"out of memory\"");
		fwd_rendered_free(&s->r);
		s->r = old_r;
		s->boxes = old;
		return;
	}
	for (size_t i = 0; i < s->r.signers.n; i++) {
		int k = signers_find_name(&old_r.signers, s->r.signers.v[i].name);
		if (k >= 0 && old_r.signers.v[k].port == s->r.signers.v[i].port) {
			struct fwd_box_state keep = old[k];
			boxprobe_close(&old[k].probe);
			keep.sessions = 0;
			boxprobe_init(&keep.probe);
			keep.next_probe_ms = mono_ms() + 200;
			s->boxes[i] = keep;
		}
	}
	for (size_t i = 0; i < old_r.signers.n; i++)
		boxprobe_close(&old[i].probe);
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		if (!c->authed || c->box < 0)
			continue;
		int nb = signers_find_fingerprint(&s->r.signers, old_r.signers.v[c->box].key.fingerprint);
		if (nb < 0 || s->r.signers.v[nb].port != old_r.signers.v[c->box].port) {
			log_info("event=session_ended_by_reload box=%s pid=%d", old_r.signers.v[c->box].name,
				 (int)c->pid);
			kill(c->pid, SIGTERM);
			c->box = -1;
			continue;
		}
		c->box = nb;
		s->boxes[nb].sessions++;
	}
	free(old);
	fwd_rendered_free(&old_r);
	s->ready = true;
	log_info("event=reloaded boxes=%zu", s->r.signers.n);
}

static void http_close(struct loop *L, size_t i)
{
	struct http_conn *h = &L->http[i];
	close(h->fd);
	free(h->out);
	L->http[i] = L->http[--L->n_http];
}

static void accept_http(struct loop *L, uint64_t now)
{
	for (int k = 0; k < ACCEPT_BURST; k++) {
		int fd = accept4(L->mfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (L->n_http == HTTP_MAX_CONNS) {
			close(fd);
			continue;
		}
		struct http_conn *h = &L->http[L->n_http++];
		memset(h, 0, sizeof(*h));
		h->fd = fd;
		h->deadline_ms = now + HTTP_TIMEOUT_MS;
	}
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

/* Returns false when the connection is finished. */
static bool http_step(struct loop *L, struct http_conn *h)
{
	if (!h->out) {
		for (;;) {
			if (h->got >= sizeof(h->in) - 1)
				return false;
			ssize_t r = recv(h->fd, h->in + h->got, sizeof(h->in) - 1 - h->got, 0);
			if (r < 0)
				return errno == EAGAIN || errno == EINTR;
			if (r == 0)
				return false;
			h->got += (size_t)r;
			h->in[h->got] = '\0';
			if (strstr(h->in, "\r\n\r\n") || strstr(h->in, "\n\n"))
				break;
		}
		char method[16], path[256];
		struct http_answer a = { 0 };
		bool parsed = fwd_http_request_line(h->in, h->got, method, sizeof(method), path, sizeof(path));
		if (!parsed) {
			a.status = 400;
			a.content_type = "text/plain";
			a.body = strdup("bad request\n");
		} else if (!fwd_http_route(&L->s, method, path, &a)) {
			free(a.body);
			return false;
		}
		if (!a.body)
			return false;
		size_t bl = strlen(a.body);
		bool head = parsed && strcmp(method, "HEAD") == 0;
		char hdr[256];
		int hl = snprintf(hdr, sizeof(hdr),
				  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
				  "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
				  a.status, reason(a.status), a.content_type, bl);
		size_t total = (size_t)hl + (head ? 0 : bl);
		h->out = malloc(total);
		if (!h->out) {
			free(a.body);
			return false;
		}
		memcpy(h->out, hdr, (size_t)hl);
		if (!head)
			memcpy(h->out + hl, a.body, bl);
		h->out_len = total;
		free(a.body);
	}
	while (h->sent < h->out_len) {
		ssize_t w = send(h->fd, h->out + h->sent, h->out_len - h->sent, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		h->sent += (size_t)w;
	}
	return false;
}

static void handle_signals(struct loop *L)
{
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t r = read(L->sfd, &si, sizeof(si));
		if (r != (ssize_t)sizeof(si))
			return;
		switch (si.ssi_signo) {
		case SIGCHLD: reap(&L->s); break;
		case SIGHUP:
			log_info("event=sighup msg=\"rendering again\"");
			reload(L);
			break;
		default:
			if (!L->stopping)
				log_info("event=stopping signal=%s", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			L->stopping = true;
			break;
		}
	}
}

enum fd_kind { FD_SIGNAL, FD_LISTEN, FD_METRICS, FD_CHILD, FD_HTTP, FD_PROBE };

static void loop_once(struct loop *L)
{
	struct fwd_state *s = &L->s;
	size_t cap = 3 + s->n_children + L->n_http + s->r.signers.n;
	struct pollfd *pf = calloc(cap, sizeof(*pf));
	uint8_t *kind = calloc(cap, 1);
	size_t *idx = calloc(cap, sizeof(*idx));
	if (!pf || !kind || !idx) {
		free(pf);
		free(kind);
		free(idx);
		poll(NULL, 0, 100);
		return;
	}
	size_t n = 0;
	pf[n] = (struct pollfd){ L->sfd, POLLIN, 0 };
	kind[n++] = FD_SIGNAL;
	if (L->lfd >= 0 && !L->stopping) {
		pf[n] = (struct pollfd){ L->lfd, POLLIN, 0 };
		kind[n++] = FD_LISTEN;
	}
	if (L->mfd >= 0 && !L->stopping) {
		pf[n] = (struct pollfd){ L->mfd, POLLIN, 0 };
		kind[n++] = FD_METRICS;
	}
	for (size_t i = 0; i < s->n_children; i++) {
		if (s->children[i].err_fd < 0)
			continue;
		pf[n] = (struct pollfd){ s->children[i].err_fd, POLLIN, 0 };
		kind[n] = FD_CHILD;
		idx[n++] = i;
	}
	for (size_t i = 0; i < L->n_http; i++) {
		pf[n] = (struct pollfd){ L->http[i].fd, L->http[i].out ? POLLOUT : POLLIN, 0 };
		kind[n] = FD_HTTP;
		idx[n++] = i;
	}
	uint64_t now = mono_ms();
	uint64_t wake = now + 1000;
	for (size_t i = 0; i < s->r.signers.n && !L->stopping; i++) {
		struct fwd_box_state *b = &s->boxes[i];
		if (boxprobe_active(&b->probe)) {
			pf[n] = (struct pollfd){ b->probe.fd, boxprobe_events(&b->probe), 0 };
			kind[n] = FD_PROBE;
			idx[n++] = i;
			if (b->probe.deadline_ms < wake)
				wake = b->probe.deadline_ms;
		} else if (b->next_probe_ms < wake) {
			wake = b->next_probe_ms;
		}
	}
	int timeout = wake > now ? (int)(wake - now) : 0;
	int rc = poll(pf, n, timeout);
	now = mono_ms();
	/* HTTP connections are compacted when closed: walk them from the end. */
	for (size_t k = n; rc > 0 && k-- > 0;) {
		if (!pf[k].revents)
			continue;
		switch (kind[k]) {
		case FD_SIGNAL: break; /* below, after the children's logs */
		case FD_LISTEN: accept_ssh(L); break;
		case FD_METRICS: accept_http(L, now); break;
		case FD_CHILD: read_child(s, &s->children[idx[k]]); break;
		case FD_HTTP:
			if (!http_step(L, &L->http[idx[k]]))
				http_close(L, idx[k]);
			break;
		case FD_PROBE: {
			struct fwd_box_state *b = &s->boxes[idx[k]];
			if (!boxprobe_active(&b->probe) || b->probe.fd != pf[k].fd)
				break;
			enum probe_result r = boxprobe_step(&b->probe, pf[k].revents);
			if (r != PROBE_PENDING)
				apply_probe(s, idx[k], r, now);
			break;
		}
		}
	}
	if (rc > 0 && (pf[0].revents & POLLIN))
		handle_signals(L);
	free(pf);
	free(kind);
	free(idx);
	for (size_t i = L->n_http; i-- > 0;)
		if (now >= L->http[i].deadline_ms)
			http_close(L, i);
	for (size_t i = 0; i < s->n_children; i++) {
		struct fwd_child *c = &s->children[i];
		uint64_t limit = ((uint64_t)s->opts->render.login_grace_s + 10) * 1000u;
		if (!c->authed && !c->exited && now > c->start_ms && now - c->start_ms > limit) {
			log_warn("event=preauth_timeout pid=%d peer=%s", (int)c->pid, c->peer);
			kill(c->pid, SIGKILL);
			c->start_ms = now; /* once per grace period */
		}
	}
	if (!L->stopping)
		probe_due(s, now);
	sweep(s);
}

static void stop_children(struct loop *L)
{
	struct fwd_state *s = &L->s;
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited)
			kill(s->children[i].pid, SIGTERM);
	uint64_t until = mono_ms() + STOP_GRACE_MS;
	while (s->n_children && mono_ms() < until)
		loop_once(L);
	for (size_t i = 0; i < s->n_children; i++)
		if (!s->children[i].exited)
			kill(s->children[i].pid, SIGKILL);
	while (s->n_children) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0)
			break;
		for (size_t i = 0; i < s->n_children; i++)
			if (s->children[i].pid == pid)
				s->children[i].exited = true;
		for (size_t i = 0; i < s->n_children; i++)
			if (s->children[i].exited && s->children[i].err_fd >= 0) {
				close(s->children[i].err_fd);
				s->children[i].err_fd = -1;
			}
		sweep(s);
	}
}

bool fwd_run(const struct fwd_run_opts *o, struct err *e)
{
	struct loop *L = calloc(1, sizeof(*L));
	if (!L)
		return err_set(e, ERR_INTERNAL, "out of memory");
	bool ok = false;
	L->sfd = L->lfd = L->mfd = -1;
	struct fwd_state *s = &L->s;
	s->opts = o;
	s->start_ms = wall_ms();
	sigemptyset(&L->blocked);
	sigaddset(&L->blocked, SIGCHLD);
	sigaddset(&L->blocked, SIGTERM);
	sigaddset(&L->blocked, SIGINT);
	sigaddset(&L->blocked, SIGHUP);
	sigprocmask(SIG_BLOCK, &L->blocked, &L->old_mask);
	signal(SIGPIPE, SIG_IGN);
	L->sfd = signalfd(-1, &L->blocked, SFD_NONBLOCK | SFD_CLOEXEC);
	if (L->sfd < 0) {
		err_errno(e, ERR_IO, "signalfd");
		goto out;
	}
	if (!render_and_test(s, &s->r, e))
		goto out;
	if (geteuid() == 0) {
		/* sshd's privilege separation chroots into /run/sshd when run as
		 * root (Debian's unit makes it with RuntimeDirectory=sshd). */
		struct stat st;
		if (stat("/run/sshd", &st) != 0 && mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
			err_errno(e, ERR_IO, "mkdir /run/sshd (sshd's privilege separation directory)");
			goto out;
		}
	}
	if (!boxes_alloc(s, mono_ms())) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!listen_on(o->render.listen_host, o->render.listen_port, &L->lfd, &L->listen_port, e))
		goto out;
	snprintf(s->listen_text, sizeof(s->listen_text), "%s%s%s:%u",
		 strchr(o->render.listen_host, ':') ? "[" : "", o->render.listen_host,
		 strchr(o->render.listen_host, ':') ? "]" : "", (unsigned)L->listen_port);
	uint16_t mport = 0;
	if (o->render.metrics_port) {
		if (!listen_on(o->metrics_host, o->render.metrics_port, &L->mfd, &mport, e)) {
			err_wrap(e, "metrics");
			goto out;
		}
		snprintf(s->metrics_text, sizeof(s->metrics_text), "%s%s%s:%u",
			 strchr(o->metrics_host, ':') ? "[" : "", o->metrics_host,
			 strchr(o->metrics_host, ':') ? "]" : "", (unsigned)mport);
	}
	s->ready = true;
	log_info("event=listening address=%s port=%u metrics=%s boxes=%zu user=%s out=%s host_key=%s "
		 "nodelay=1 user_timeout_ms=%u max_unauthenticated=%u",
		 s->listen_text, (unsigned)L->listen_port, s->metrics_text[0] ? s->metrics_text : "off",
		 s->r.signers.n, s->r.user, s->r.out_dir, s->r.host_key.fingerprint, user_timeout_ms(o),
		 o->max_unauthenticated);
	for (size_t i = 0; i < s->r.signers.n; i++)
		log_info("event=box box=%s port=%u ssh_port=%u key=%s fingerprint=%s line=%u",
			 s->r.signers.v[i].name, (unsigned)s->r.signers.v[i].port,
			 (unsigned)s->r.signers.v[i].port + SIGNER_PORT_OFFSET,
			 sshkey_type_name(s->r.signers.v[i].key.type), s->r.signers.v[i].key.fingerprint,
			 s->r.signers.v[i].line);
	while (!L->stopping)
		loop_once(L);
	close(L->lfd);
	L->lfd = -1;
	stop_children(L);
	log_info("event=stopped accepted=%llu", (unsigned long long)s->accepted_total);
	ok = true;
out:
	for (size_t i = 0; i < s->n_children; i++)
		if (s->children[i].err_fd >= 0)
			close(s->children[i].err_fd);
	while (L->n_http)
		http_close(L, L->n_http - 1);
	boxes_free(s);
	free(s->children);
	fwd_rendered_free(&s->r);
	if (L->lfd >= 0)
		close(L->lfd);
	if (L->mfd >= 0)
		close(L->mfd);
	if (L->sfd >= 0)
		close(L->sfd);
	sigprocmask(SIG_SETMASK, &L->old_mask, NULL);
	free(L);
	return ok;
}
