/* Unit tests of the tunnel's socket code on loopback: dialing with our
 * socket options, passing the socket as ssh's ProxyUseFdpass expects,
 * the netlink route lookup, and the HTTP probe. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../src/tunnel/probe.h"
#include "../../src/tunnel/proxy.h"
#include "../../src/base/uplink.h"
#include "harness.h"
#include "support_net.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

TEST(tunnel_net_dial_sets_socket_options_and_passes_the_fd)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct dial_opts o = { .host = "127.0.0.1", .port = port, .connect_timeout_ms = 2000,
			       .user_timeout_ms = 7000, .keepalive_idle_s = 4, .keepalive_intvl_s = 2,
			       .keepalive_cnt = 3, .bind_uplink = true };
	struct dial_result res;
	struct err e = { 0 };
	int fd = -1;
	bool dialed = tunnel_dial(&o, &fd, &res, &e);
	int afd = dialed ? accept(lfd, NULL, NULL) : -1;
	close(lfd);
	CHECK(dialed);
	CHECK(afd >= 0);
	CHECK(strncmp(res.local, "127.0.0.1:", 10) == 0);
	char want_peer[32];
	snprintf(want_peer, sizeof(want_peer), "127.0.0.1:%u", (unsigned)port);
	CHECK_STR(res.peer, want_peer);
	CHECK_STR(res.uplink, "lo"); /* pinned to the route's interface */
	char dev[IF_NAMESIZE] = "";
	socklen_t dl = sizeof(dev);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl) == 0);
	CHECK_STR(dev, "lo");
	int v = 0;
	socklen_t vl = sizeof(v);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &vl) == 0 && v == 1);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl) == 0 && v == 4);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vl) == 0 && v == 2);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &vl) == 0 && v == 3);
	unsigned int ut = 0;
	socklen_t ul = sizeof(ut);
	CHECK(getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, &ul) == 0 && ut == 7000);

	/* ssh's side of ProxyUseFdpass: one byte with SCM_RIGHTS on a UNIX socket. */
	int sp[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	bool sent = tunnel_fd_send(sp[0], fd, &e);
	close(fd);
	int got = -1;
	bool recvd = sent && tunnel_fd_recv(sp[1], &got, &e);
	close(sp[0]);
	close(sp[1]);
	CHECK(sent && recvd && got >= 0);
	/* The passed socket is the same connection, options and all. */
	CHECK(getsockopt(got, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, &ul) == 0 && ut == 7000);
	CHECK(write(got, "ping", 4) == 4);
	char buf[8] = { 0 };
	CHECK(read(afd, buf, sizeof(buf)) == 4);
	CHECK_STR(buf, "ping");
	close(got);
	close(afd);
}

TEST(tunnel_net_dial_failures_are_classified)
{
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	close(lfd); /* nothing listens there now */
	struct dial_opts o = { .host = "127.0.0.1", .port = port, .connect_timeout_ms = 2000 };
	struct dial_result res;
	struct err e = { 0 };
	int fd = -1;
	CHECK(!tunnel_dial(&o, &fd, &res, &e));
	CHECK_STR(res.kind, "refused");
	CHECK(strstr(e.msg, "Connection refused"));
	CHECK(strstr(e.msg, "127.0.0.1:"));
	o.host = "no-such-host.invalid";
	CHECK(!tunnel_dial(&o, &fd, &res, &e));
	CHECK_STR(res.kind, "dns");
	CHECK(strstr(e.msg, "resolve no-such-host.invalid"));
	/* sending on something that is not a socket */
	int p[2];
	CHECK(pipe(p) == 0);
	bool ok = tunnel_fd_send(p[1], p[0], &e);
	close(p[0]);
	close(p[1]);
	CHECK(!ok);
	CHECK(strstr(e.msg, "not a socket"));
}

TEST(tunnel_net_sockaddr_text)
{
	char buf[64];
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(22) };
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	CHECK_STR(tunnel_sockaddr_str((struct sockaddr *)&s6, buf, sizeof(buf)), "[2001:db8::1]:22");
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(2222) };
	inet_pton(AF_INET, "10.1.2.3", &s4.sin_addr);
	CHECK_STR(tunnel_sockaddr_str((struct sockaddr *)&s4, buf, sizeof(buf)), "10.1.2.3:2222");
	char ip[48];
	CHECK(uplink_addr_of("10.1.2.3:2222", ip, sizeof(ip)));
	CHECK_STR(ip, "10.1.2.3");
	CHECK(uplink_addr_of("[2001:db8::1]:22", ip, sizeof(ip)));
	CHECK_STR(ip, "2001:db8::1");
	CHECK(!uplink_addr_of("noport", ip, sizeof(ip)));
	CHECK(!uplink_addr_of(":22", ip, sizeof(ip)));
	CHECK(!uplink_addr_of("[::1", ip, sizeof(ip)));
}

TEST(tunnel_net_route_lookup_names_the_interface)
{
	struct route_info r;
	struct err e = { 0 };
	CHECK(uplink_route_get("127.0.0.1", NULL, &r, &e));
	CHECK_STR(r.ifname, "lo");
	CHECK(r.oif > 0);
	CHECK(uplink_route_get("127.0.0.1", "127.0.0.1", &r, &e));
	CHECK_STR(r.ifname, "lo");
	CHECK(!uplink_route_get("not-an-ip", NULL, &r, &e));
	CHECK(strstr(e.msg, "not-an-ip"));
	int fd = uplink_monitor_open(&e);
	CHECK(fd >= 0);
	/* Nothing happened: draining finds no change (or at most a stray one). */
	(void)uplink_monitor_drain(fd);
	close(fd);
}

/* Serves one HTTP answer on lfd, driving the check h until it ends. */
static int probe_against(int lfd, const char *answer, struct http_check *h, struct err *e)
{
	int afd = -1;
	int rc = 0;
	uint64_t end = now_ms() + 3000;
	while (rc == 0 && now_ms() < end) {
		struct pollfd p[2] = { { .fd = h->hp.fd, .events = http_check_events(h) },
				       { .fd = afd < 0 ? lfd : afd, .events = POLLIN } };
		if (poll(p, 2, 100) < 0)
			break;
		if (p[1].revents && afd < 0) {
			afd = accept(lfd, NULL, NULL);
		} else if (p[1].revents && afd >= 0) {
			char req[512];
			ssize_t n = read(afd, req, sizeof(req));
			if (n > 0 && answer) {
				ssize_t w = write(afd, answer, strlen(answer));
				(void)w;
			}
			close(afd);
			afd = -2; /* served */
		}
		if (p[0].revents)
			rc = http_check_step(h, p[0].revents, e);
		if (rc == 0)
			rc = http_check_expire(h, now_ms(), e);
	}
	if (afd >= 0)
		close(afd);
	return rc;
}

TEST(tunnel_net_probe_http)
{
	CHECK(http_status_of("HTTP/1.1 200 OK\r\n", 17) == 200);
	CHECK(http_status_of("HTTP/1.0 503 x", 14) == 503);
	CHECK(http_status_of("HTTP/2 200", 10) == -1);
	CHECK(http_status_of("SSH-2.0-OpenSSH", 15) == -1);
	CHECK(http_status_of("HTTP/1.1 2x0", 12) == -1);
	uint16_t port = 0;
	int lfd = test_tcp_listener(&port);
	CHECK(lfd >= 0);
	struct http_check h;
	struct err e = { 0 };
	http_check_init(&h);
	CHECK(http_check_start_tcp(&h, "127.0.0.1", port, now_ms(), 2000, &e));
	int ok = probe_against(lfd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", &h, &e);
	CHECK(http_check_start_tcp(&h, "127.0.0.1", port, now_ms(), 2000, &e));
	int bad = probe_against(lfd, "HTTP/1.1 503 Service Unavailable\r\n\r\n", &h, &e);
	char bad_msg[ERR_MSG_MAX];
	memcpy(bad_msg, e.msg, sizeof(bad_msg));
	CHECK(http_check_start_tcp(&h, "127.0.0.1", port, now_ms(), 2000, &e));
	int closed = probe_against(lfd, NULL, &h, &e);
	char closed_msg[ERR_MSG_MAX];
	memcpy(closed_msg, e.msg, sizeof(closed_msg));
	/* nobody answers: the deadline ends it */
	CHECK(http_check_start_tcp(&h, "127.0.0.1", port, now_ms(), 200, &e));
	uint64_t end = now_ms() + 2000;
	int silent = 0;
	while (silent == 0 && now_ms() < end) {
		struct pollfd p = { .fd = h.hp.fd, .events = http_check_events(&h) };
		poll(&p, 1, 50);
		if (p.revents)
			silent = http_check_step(&h, p.revents, &e);
		if (silent == 0)
			silent = http_check_expire(&h, now_ms(), &e);
	}
	close(lfd);
	http_check_close(&h);
	CHECK(ok == 1);
	CHECK(bad == -1 && strstr(bad_msg, "HTTP status 503"));
	CHECK(closed == -1 && strstr(closed_msg, "without an answer"));
	CHECK(silent == -1 && strstr(e.msg, "no answer within"));
	CHECK(!http_check_active(&h));
	/* a socket path that does not exist fails at once */
	CHECK(!http_check_start_unix(&h, "/nonexistent-tzs/probe.sock", now_ms(), 100, &e));
	CHECK(strstr(e.msg, "/nonexistent-tzs/probe.sock"));
}
