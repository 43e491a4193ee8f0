/* serve_front.c - the front the key holder spawns, restarts and stops, and
 * the key holder's server on their socketpair (serve.h; design §2.6). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../base/log.h"
#include "../keyholder/kh_server.h"
#include "../base/clock.h"
#include "serve.h"

#define BACKOFF_MIN_MS 100u
#define BACKOFF_MAX_MS 5000u
#define FRONT_STOP_MS 5000
/* A front that ran this long before it died starts over at the least backoff. */
#define FRONT_STABLE_NS (30ull * 1000000000ull)
/* fds 3, 4, 5 and one per --socket. */
#define FRONT_FDS (3 + SERVE_MAX_SOCKETS)
#define FRONT_ARGS (24 + 2 * SERVE_MAX_SOCKETS)

struct serve_front {
	struct serve_state *st;
	const struct serve_listeners *l;
	struct kh_context ctx;
	struct kh_server *kh;
	pid_t pid;                   /* 0: none running */
	unsigned backoff_ms;
	uint64_t started_ns, restart_at_ns;
};

/* The front's command line and environment, built before fork (the child
 * of a threaded process may only call async-signal-safe functions). */
struct front_exec {
	char *argv[FRONT_ARGS];
	char *envp[5];
	char numbers[FRONT_FDS + 1][16];
	char timeouts[4][16];
	int src[FRONT_FDS];
	int count;
};

static void add_fd_arg(struct front_exec *x, size_t *argc, const char *flag, int fd)
{
	int slot = x->count;
	x->src[x->count++] = fd;
	snprintf(x->numbers[slot], sizeof(x->numbers[slot]), "%d", 3 + slot);
	x->argv[(*argc)++] = (char *)flag;
	x->argv[(*argc)++] = x->numbers[slot];
}

static void build_exec(const struct serve_front *f, int kh_fd, struct front_exec *x)
{
	static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
					    "TSAN_OPTIONS" };
	static char env[4][1024];
	const struct serve_options *o = f->st->opt;
	size_t argc = 0, envc = 0;
	memset(x, 0, sizeof(*x));
	x->argv[argc++] = (char *)"tzsigner";
	x->argv[argc++] = (char *)"front";
	add_fd_arg(x, &argc, "--kh-fd", kh_fd);
	add_fd_arg(x, &argc, "--api-fd", f->l->api_fd);
	if (f->l->status_fd >= 0)
		add_fd_arg(x, &argc, "--status-fd", f->l->status_fd);
	for (size_t i = 0; i < f->l->socket_count; i++)
		add_fd_arg(x, &argc, "--socket-fd", f->l->socket_fds[i]);
	snprintf(x->numbers[FRONT_FDS], sizeof(x->numbers[FRONT_FDS]), "%u", o->max_connections);
	x->argv[argc++] = (char *)"--max-connections";
	x->argv[argc++] = x->numbers[FRONT_FDS];
	for (size_t i = 0; i < 4; i++) {
		if (!o->front_timeouts[i])
			continue;
		snprintf(x->timeouts[i], sizeof(x->timeouts[i]), "%u", o->front_timeouts[i]);
		x->argv[argc++] = (char *)serve_front_timeout[i].name;
		x->argv[argc++] = x->timeouts[i];
	}
	x->argv[argc++] = (char *)"--log-level";
	x->argv[argc++] = (char *)o->log_level;
	if (o->front_user) {
		x->argv[argc++] = (char *)"--user";
		x->argv[argc++] = (char *)o->front_user;
	}
	for (size_t i = 0; i < 4; i++) {
		const char *v = getenv(keep[i]);
		if (v && snprintf(env[envc], sizeof(env[envc]), "%s=%s", keep[i], v) < (int)sizeof(env[envc])) {
			x->envp[envc] = env[envc];
			envc++;
		}
	}
}

/* In the child: the fds to 3…, nothing else open, the signal mask and
 * dispositions of a fresh process, then the front. */
static void exec_front(const struct front_exec *x, pid_t parent)
{
	int moved[FRONT_FDS];
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(0);
	for (int i = 0; i < x->count; i++)
		if ((moved[i] = fcntl(x->src[i], F_DUPFD_CLOEXEC, 3 + FRONT_FDS)) < 0)
			_exit(126);
	for (int i = 0; i < x->count; i++)
		if (dup2(moved[i], 3 + i) < 0)
			_exit(126);
	close_range((unsigned)(3 + x->count), ~0u, 0);
	execve("/proc/self/exe", x->argv, x->envp);
	_exit(127);
}

static bool spawn(struct serve_front *f, struct err *e)
{
	int sv[2];
	struct front_exec x;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return err_errno(e, ERR_IO, "socketpair for the front");
	build_exec(f, sv[1], &x);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_front(&x, parent);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return err_errno(e, ERR_IO, "fork for the front");
	}
	f->pid = pid;
	f->started_ns = now_mono_ns();
	log_info("event=front_started pid=%ld", (long)pid);
	return kh_server_start(&f->kh, sv[0], &f->ctx, f->st->opt->workers, e);
}

bool serve_front_start(struct serve_front **out, struct serve_state *st,
		       const struct serve_listeners *l, struct err *e)
{
	struct serve_front *f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(e, ERR_INTERNAL, "out of memory for the front");
	const struct serve_options *o = st->opt;
	f->st = st;
	f->l = l;
	f->backoff_ms = BACKOFF_MIN_MS;
	f->ctx = (struct kh_context){ &o->guard, &st->metrics, st->health, o->allow_prove_possession,
				      o->allow_list_known_keys };
	*out = f;
	if (o->front_fd >= 0)
		return kh_server_start(&f->kh, o->front_fd, &f->ctx, o->workers, e);
	return spawn(f, e);
}

/* Waits up to ms for the front to exit; false if it did not. */
static bool reap(struct serve_front *f, int ms, int *status)
{
	for (int waited = 0;; waited += 10) {
		pid_t got = waitpid(f->pid, status, WNOHANG);
		if (got == f->pid || (got < 0 && errno == ECHILD))
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

bool serve_front_tend(struct serve_front *f)
{
	int status = 0;
	if (f->st->opt->front_fd >= 0)
		return !kh_server_peer_gone(f->kh);
	pid_t gone = f->pid > 0 ? waitpid(f->pid, &status, WNOHANG) : 0;
	if (gone == 0 && f->pid > 0 && f->kh && kh_server_peer_gone(f->kh))
		kill(f->pid, SIGTERM); /* it closed its end of the socketpair: no use */
	if (f->pid > 0 && gone == f->pid) {
		uint64_t ran = now_mono_ns() - f->started_ns;
		if (ran > FRONT_STABLE_NS)
			f->backoff_ms = BACKOFF_MIN_MS;
		log_warn("event=front_exited pid=%ld %s=%d ran_ms=%llu restart_in_ms=%u", (long)f->pid,
			 WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			 (unsigned long long)(ran / 1000000u), f->backoff_ms);
		f->pid = 0;
		kh_server_stop(f->kh);
		f->kh = NULL;
		f->restart_at_ns = now_mono_ns() + (uint64_t)f->backoff_ms * 1000000u;
		f->backoff_ms = f->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : f->backoff_ms * 2;
	}
	if (f->pid == 0 && now_mono_ns() >= f->restart_at_ns) {
		struct err e = { 0 };
		if (!spawn(f, &e)) {
			log_error("event=front_start_failed msg=\"%s\"", e.msg);
			f->restart_at_ns = now_mono_ns() + (uint64_t)f->backoff_ms * 1000000u;
		}
	}
	return true;
}

void serve_front_pause(struct serve_front *f)
{
	if (f->kh)
		kh_server_pause(f->kh);
}

bool serve_front_resume(struct serve_front *f, struct err *e)
{
	(void)e; /* nothing in resuming can fail now; kept for the reload's error path */
	f->ctx.health = f->st->health;
	if (f->kh)
		kh_server_resume(f->kh);
	return true;
}

uint16_t serve_front_api_port(const struct serve_front *f)
{
	return f->l->api_port;
}

void serve_front_stop(struct serve_front *f)
{
	int status;
	if (!f)
		return;
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		if (!reap(f, FRONT_STOP_MS, &status)) {
			log_warn("event=front_kill pid=%ld msg=\"no exit %d ms after SIGTERM\"", (long)f->pid,
				 FRONT_STOP_MS);
			kill(f->pid, SIGKILL);
			reap(f, FRONT_STOP_MS, &status);
		}
	}
	kh_server_stop(f->kh);
	free(f);
}
