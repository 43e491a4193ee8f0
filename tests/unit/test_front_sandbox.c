/* Unit tests of the front's sandbox (src/front/sandbox.c): each test forks
 * a child that enters the sandbox, as the front does before its loop, and
 * the parent judges by the child's wait status. Allowed work (an epoll,
 * accept4, recv, send round trip over sockets opened before) completes;
 * every forbidden call kills the child with SIGSYS before it returns; a
 * descriptor to a file stops sandbox_enter. Run as root (make test), the
 * child also becomes nobody in an empty root. Sanitizer reports:
 * test_front_sandbox_san.c. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "support_net.h"
#include "support_sandbox.h"

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The front's loop in little: wait for a client, read its request, pass it
 * to the key holder as one frame, pass the answer back. */
static void echo_through_kh(const struct child_ctx *c)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->lfd };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->lfd, &ev) != 0)
		_exit(91);
	struct epoll_event got;
	if (epoll_wait(ep, &got, 1, 10000) != 1)
		_exit(92);
	int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		_exit(93);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
	char buf[256];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0 || epoll_wait(ep, &got, 1, 10000) != 1)
		_exit(94);
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0 || send(c->kh, buf, (size_t)n, MSG_NOSIGNAL) != n)
		_exit(95);
	n = recv(c->kh, buf, sizeof(buf), 0);
	if (n <= 0 || send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		_exit(96);
	close(fd);
	close(ep);
}

TEST(front_sandbox_allows_an_epoll_accept_recv_send_round_trip)
{
	uint16_t port = 0;
	int pair[2];
	struct child_ctx c = { .lfd = test_tcp_listener(&port), .parent = getpid() };
	CHECK(c.lfd >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) == 0);
	c.kh = pair[1];
	fflush(stdout);
	pid_t client = fork();
	if (client == 0) {
		/* The network client and the key holder's side of the pair. */
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int s = socket(AF_INET, SOCK_STREAM, 0);
		char frame[64], reply[64];
		set_timeout(s);
		set_timeout(pair[0]);
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    send(s, "ping", 4, 0) != 4)
			_exit(1);
		ssize_t n = recv(pair[0], frame, sizeof(frame), 0);
		if (n != 4 || memcmp(frame, "ping", 4) != 0 || send(pair[0], "pong", 4, 0) != 4)
			_exit(2);
		n = recv(s, reply, sizeof(reply), 0);
		_exit(n == 4 && memcmp(reply, "pong", 4) == 0 ? 0 : 3);
	}
	int st = sandbox_test_run(echo_through_kh, &c, true, false);
	int cst = -1;
	waitpid(client, &cst, 0);
	close(c.lfd);
	close(pair[0]);
	close(pair[1]);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(WIFEXITED(cst) && WEXITSTATUS(cst) == 0);
}

/* Reports, through c->out, what the process is after the drop (no filter). */
static void report_identity(const struct child_ctx *c)
{
	uid_t r, e, s;
	struct stat root;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	int caps = (int)syscall(SYS_capget, &h, d) == 0 && !d[0].effective && !d[0].permitted &&
		   !d[1].effective && !d[1].permitted;
	getresuid(&r, &e, &s);
	dprintf(c->out, "uid=%u,%u,%u groups=%d nnp=%d caps_empty=%d root_nlink=%ld back=%d",
		(unsigned)r, (unsigned)e, (unsigned)s, getgroups(0, NULL),
		prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), caps,
		stat("/", &root) == 0 ? (long)root.st_nlink : -1L, setuid(0) == 0);
}

TEST(front_sandbox_drops_to_nobody_in_an_unnamed_empty_root)
{
	int p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == 0);
	struct child_ctx c = { .out = p[1], .lfd = -1, .kh = -1 };
	int st = sandbox_test_run(report_identity, &c, false, false);
	close(p[1]);
	char got[256] = "";
	ssize_t n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(n > 0);
	char want[256];
	if (getuid() == 0) {
		const struct passwd *pw = getpwnam("nobody");
		CHECK(pw != NULL);
		unsigned u = (unsigned)pw->pw_uid;
		snprintf(want, sizeof(want),
			 "uid=%u,%u,%u groups=0 nnp=1 caps_empty=1 root_nlink=0 back=0", u, u, u);
	} else {
		/* Not root: the uid stays; no new privileges, no capabilities. */
		unsigned u = (unsigned)getuid();
		snprintf(want, sizeof(want), "uid=%u,%u,%u groups=%d nnp=1 caps_empty=1", u, u,
			 u, getgroups(0, NULL));
	}
	CHECK(strncmp(got, want, strlen(want)) == 0);
}

static void nothing(const struct child_ctx *c) { (void)c; }

TEST(front_sandbox_refuses_to_start_holding_a_file)
{
	/* A descriptor to a file (here the harness's own binary, opened as a
	 * key file would be) handed to the front: sandbox_enter refuses. */
	struct child_ctx c = { .lfd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), .kh = -1,
			       .out = -1 };
	CHECK(c.lfd >= 0);
	int st = sandbox_test_run(nothing, &c, true, true);
	close(c.lfd);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 90);
}

static void try_openat(const struct child_ctx *c)
{
	(void)c;
	syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
}
static void try_execve(const struct child_ctx *c)
{
	(void)c;
	char *argv[] = { "/bin/true", NULL };
	syscall(SYS_execve, "/bin/true", argv, NULL);
}
static void try_socket(const struct child_ctx *c)
{
	(void)c;
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}
static void try_connect(const struct child_ctx *c)
{
	/* On a socket opened before the sandbox: dialing out is refused too. */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	syscall(SYS_connect, c->lfd, &a, sizeof(a));
}
static void try_ptrace(const struct child_ctx *c)
{
	syscall(SYS_ptrace, PTRACE_ATTACH, c->parent, NULL, NULL);
}
static void try_process_vm_readv(const struct child_ctx *c)
{
	char mine[16], theirs[16] = "";
	struct iovec l = { mine, sizeof(mine) }, r = { theirs, sizeof(theirs) };
	syscall(SYS_process_vm_readv, c->parent, &l, 1, &r, 1, 0);
}
static void try_kill(const struct child_ctx *c) { syscall(SYS_kill, c->parent, 0); }
static void try_exec_memory(const struct child_ctx *c)
{
	(void)c;
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST(front_sandbox_kills_the_process_on_a_forbidden_call)
{
	static const struct {
		const char *name;
		child_fn fn;
	} calls[] = {
		{ "openat", try_openat },   { "execve", try_execve },
		{ "socket", try_socket },   { "connect", try_connect },
		{ "ptrace", try_ptrace },   { "process_vm_readv", try_process_vm_readv },
		{ "kill", try_kill },       { "mmap PROT_EXEC", try_exec_memory },
	};
	uint16_t port = 0;
	struct child_ctx c = { .lfd = test_tcp_listener(&port), .kh = -1, .out = -1,
			       .parent = getpid() };
	CHECK(c.lfd >= 0);
	size_t survived = 0;
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int st = sandbox_test_run(calls[i].fn, &c, true, false);
		if (!sandbox_test_killed(st)) {
			printf("  %s: wait status %#x, not SIGSYS\n", calls[i].name, (unsigned)st);
			survived++;
		}
	}
	CHECK(survived == 0);
	/* Without the filter the same calls return (the child exits 0): it is
	 * the filter that kills, not the call. */
	CHECK(WIFEXITED(sandbox_test_run(try_socket, &c, false, false)));
	close(c.lfd);
}
