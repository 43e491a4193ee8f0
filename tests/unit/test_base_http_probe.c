/* Unit tests of base/http_probe: the shared non-blocking HTTP GET, driven
 * against a tiny listener on 127.0.0.1 (and one on a UNIX socket), and its
 * status-line parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../src/base/http_probe.h"
#include "harness.h"
#include "support_net.h"

static const struct http_probe_req req = {
	.path = "/authorized_keys",
	.host = "test",
	.user_agent = "tzsigner-unit",
	.nodelay = true,
	.eagain_pending = true,
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* How the listener side behaves once it has accepted. */
enum serve_mode {
	SERVE_ANSWER, /* read the request, write answer, close */
	SERVE_CLOSE,  /* close at once, without reading */
	SERVE_SILENT, /* accept and say nothing */
};

/* Drives p (already started) against lfd until it ends or 3 s pass;
 * the listener serves one connection as mode says. The request it read
 * lands in got_req. */
static enum http_probe_result drive(struct http_probe *p, enum http_probe_result r, int lfd,
				    enum serve_mode mode, const char *answer, char *got_req,
				    size_t got_req_size)
{
	int afd = -1;
	uint64_t end = now_ms() + 3000;
	if (got_req_size)
		got_req[0] = '\0';
	while (r == HTTP_PROBE_PENDING && now_ms() < end) {
		struct pollfd pf[2] = { { .fd = p->fd, .events = http_probe_events(p) },
					{ .fd = afd == -1 ? lfd : afd, .events = POLLIN } };
		nfds_t n = afd == -2 || (afd >= 0 && mode == SERVE_SILENT) ? 1 : 2;
		if (poll(pf, n, 50) < 0)
			break;
		if (n == 2 && pf[1].revents && afd == -1) {
			afd = accept(lfd, NULL, NULL);
			if (afd >= 0 && mode == SERVE_CLOSE) {
				close(afd);
				afd = -2;
			}
		} else if (n == 2 && pf[1].revents && afd >= 0) {
			ssize_t got = read(afd, got_req, got_req_size - 1);
			if (got >= 0)
				got_req[got] = '\0';
			if (answer) {
				ssize_t w = write(afd, answer, strlen(answer));
				(void)w;
			}
			close(afd);
			afd = -2;
		}
		if (pf[0].revents)
			r = http_probe_step(p, pf[0].revents);
		if (r == HTTP_PROBE_PENDING)
			r = http_probe_expire(p, now_ms());
	}
	if (afd >= 0)
		close(afd);
	return r;
}

TEST(base_http_probe_200)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_probe p;
	http_probe_init(&p);
	CHECK(!http_probe_active(&p));
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	char target[32];
	snprintf(target, sizeof(target), "127.0.0.1:%u", (unsigned)port);
	CHECK_STR(p.target, target);
	char got[512];
	r = drive(&p, r, lfd, SERVE_ANSWER, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", got,
		  sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_OK);
	CHECK(p.status == 200);
	CHECK(p.failure == HTTP_PROBE_F_NONE);
	CHECK(!http_probe_active(&p));
	CHECK_STR(got, "GET /authorized_keys HTTP/1.1\r\nHost: test\r\nUser-Agent: tzsigner-unit\r\n"
		       "Connection: close\r\n\r\n");
}

TEST(base_http_probe_200_over_unix_socket)
{
	char dir[] = "/tmp/tzs-http-probe-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[64];
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	memcpy(sun.sun_path, path, strlen(path) + 1);
	bool ok = lfd >= 0 && bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
		  listen(lfd, 4) == 0;
	struct http_probe p;
	http_probe_init(&p);
	enum http_probe_result r = HTTP_PROBE_NO_200;
	char got[512];
	if (ok) {
		r = http_probe_start_unix(&p, path, &req, now_ms(), 2000);
		r = drive(&p, r, lfd, SERVE_ANSWER, "HTTP/1.0 200 OK\r\n\r\n", got, sizeof(got));
	}
	if (lfd >= 0)
		close(lfd);
	unlink(path);
	rmdir(dir);
	CHECK(ok);
	CHECK(r == HTTP_PROBE_OK);
	CHECK_STR(p.target, path);
}

TEST(base_http_probe_non_200)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_probe p;
	http_probe_init(&p);
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	char got[512];
	r = drive(&p, r, lfd, SERVE_ANSWER, "HTTP/1.1 503 Service Unavailable\r\n\r\n", got,
		  sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_STATUS);
	CHECK(p.status == 503);
	CHECK(p.connected);
	CHECK(strstr(p.error, "503"));
	CHECK(!http_probe_active(&p));
}

TEST(base_http_probe_not_http)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_probe p;
	http_probe_init(&p);
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	char got[512];
	r = drive(&p, r, lfd, SERVE_ANSWER, "SSH-2.0-OpenSSH_9.2\r\n", got, sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_NOT_HTTP);
	CHECK(p.status == 0);
}

TEST(base_http_probe_connection_refused)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	close(lfd); /* nothing listens on port now */
	struct http_probe p;
	http_probe_init(&p);
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	uint64_t end = now_ms() + 3000;
	while (r == HTTP_PROBE_PENDING && now_ms() < end) {
		struct pollfd pf = { .fd = p.fd, .events = http_probe_events(&p) };
		if (poll(&pf, 1, 50) > 0)
			r = http_probe_step(&p, pf.revents);
	}
	CHECK(r == HTTP_PROBE_CONNECT_FAILED);
	CHECK(p.failure == HTTP_PROBE_F_CONNECT);
	CHECK(p.sys_errno == ECONNREFUSED);
	CHECK(!p.connected);
	CHECK(strncmp(p.error, "connect: ", 9) == 0);
	CHECK(!http_probe_active(&p));
	/* a UNIX socket path that does not exist fails at once */
	r = http_probe_start_unix(&p, "/nonexistent-tzs/probe.sock", &req, now_ms(), 100);
	CHECK(r == HTTP_PROBE_CONNECT_FAILED);
	CHECK(p.failure == HTTP_PROBE_F_CONNECT);
	CHECK(!http_probe_active(&p));
}

TEST(base_http_probe_peer_closes_early)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_probe p;
	http_probe_init(&p);
	/* accepted, request read, closed without a byte */
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	char got[512];
	r = drive(&p, r, lfd, SERVE_ANSWER, NULL, got, sizeof(got));
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_CLOSED || p.failure == HTTP_PROBE_F_RECV);
	CHECK(p.connected);
	CHECK(!http_probe_active(&p));
	/* accepted and closed at once, before the request is read */
	r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	r = drive(&p, r, lfd, SERVE_CLOSE, NULL, got, sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_CLOSED || p.failure == HTTP_PROBE_F_RECV ||
	      p.failure == HTTP_PROBE_F_SEND);
	CHECK(!http_probe_active(&p));
	/* a partial status line, then a close */
	lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, now_ms(), 2000);
	r = drive(&p, r, lfd, SERVE_ANSWER, "HTTP/1.1 20", got, sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_NOT_HTTP);
}

TEST(base_http_probe_deadline)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_probe p;
	http_probe_init(&p);
	uint64_t t0 = now_ms();
	enum http_probe_result r = http_probe_start_tcp(&p, "127.0.0.1", port, &req, t0, 200);
	CHECK(r == HTTP_PROBE_PENDING);
	CHECK(p.deadline_ms == t0 + 200);
	/* before the deadline nothing happens */
	CHECK(http_probe_expire(&p, t0 + 199) == HTTP_PROBE_PENDING);
	CHECK(http_probe_active(&p));
	char got[512];
	r = drive(&p, r, lfd, SERVE_SILENT, NULL, got, sizeof(got));
	close(lfd);
	CHECK(r == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_TIMEOUT);
	CHECK(p.connected);
	CHECK(now_ms() >= t0 + 200);
	CHECK(!http_probe_active(&p));
	/* an idle probe neither expires nor steps */
	CHECK(http_probe_expire(&p, t0 + 100000) == HTTP_PROBE_PENDING);
	CHECK(http_probe_step(&p, POLLIN) == HTTP_PROBE_PENDING);
	http_probe_close(&p);
}

TEST(base_http_probe_start_failures)
{
	struct http_probe p;
	http_probe_init(&p);
	char longpath[200];
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(http_probe_start_unix(&p, longpath, &req, 0, 100) == HTTP_PROBE_CONNECT_FAILED);
	CHECK(p.failure == HTTP_PROBE_F_PATH);
	CHECK(!http_probe_active(&p));
	struct http_probe_req big = req;
	big.path = longpath;
	CHECK(http_probe_start_tcp(&p, "127.0.0.1", 1, &big, 0, 100) == HTTP_PROBE_NO_200);
	CHECK(p.failure == HTTP_PROBE_F_REQUEST);
	CHECK(!http_probe_active(&p));
}

TEST(base_http_probe_status_line)
{
	CHECK(http_probe_status_of("HTTP/1.1 200 OK\r\n", 17) == 200);
	CHECK(http_probe_status_of("HTTP/1.0 503 Service", 20) == 503);
	CHECK(http_probe_status_of("HTTP/1.1 404", 12) == 404);
	/* must fail */
	CHECK(http_probe_status_of("", 0) == -1);
	CHECK(http_probe_status_of("HTTP/1.1 20", 11) == -1);        /* short */
	CHECK(http_probe_status_of("HTTP/1.1 200 OK", 11) == -1);    /* len says short */
	CHECK(http_probe_status_of("HTTP/2 200 OK", 13) == -1);      /* not 1.x */
	CHECK(http_probe_status_of("HTTP/2.0 200 OK", 15) == -1);
	CHECK(http_probe_status_of("http/1.1 200 OK", 15) == -1);    /* case */
	CHECK(http_probe_status_of("HTTP/1.1  200 OK", 16) == -1);   /* two spaces */
	CHECK(http_probe_status_of("HTTP/1.1-200 OK", 15) == -1);
	CHECK(http_probe_status_of("HTTP/1.1 2x0 OK", 15) == -1);
	CHECK(http_probe_status_of("HTTP/1.1 -20 OK", 15) == -1);
	CHECK(http_probe_status_of("SSH-2.0-OpenSSH_9.2", 19) == -1);
	CHECK(http_probe_status_of("HTTP/1 200 OK", 13) == -1);
	CHECK(http_probe_status_of("HTTP/1.1 200 OK", 0) == -1);
}
