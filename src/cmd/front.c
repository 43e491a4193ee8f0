/* front.c - `tzsigner front`: the network front `serve` starts (issue 14,
 * src/front/front.h). Not for direct use: its fds are the key holder's. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../base/log.h"
#include "../base/parse.h"
#include "../front/front.h"
#include "../front/sandbox.h"
#include "cmd.h"
#include "serve.h"

static const char usage[] =
	"usage: tzsigner front --kh-fd FD --api-fd FD [--status-fd FD] [--socket-fd FD]...\n"
	"                      [--max-connections N] [--log-level LEVEL] [--user USER]\n"
	"\n"
	"The network front of `tzsigner serve`, started by it; not for direct use.\n"
	"It serves HTTP (the octez signer API, /healthz, /statusz, /metrics) on the\n"
	"API fd, only the monitoring pages and the status page on the status fd, and\n"
	"octez's socket signer protocol on each socket fd, all already listening, and\n"
	"asks the key holder on the SOCK_SEQPACKET kh fd for every answer. It holds no\n"
	"key and opens no file. It exits 0 when the key holder closes its socket or on\n"
	"SIGTERM/SIGINT.\n"
	"\n"
	"  --kh-fd FD              the key holder's socket (SOCK_SEQPACKET)\n"
	"  --api-fd FD             the listening API socket\n"
	"  --status-fd FD          the listening --status-port socket (16 connections)\n"
	"  --socket-fd FD          a listening socket of octez's socket protocol (repeatable)\n"
	"  --max-connections N     connections per API or socket listener, 1 to 4096\n"
	"                          (default 128); when full, the oldest idle one is closed\n"
	"                          for a new one; if none is idle, new ones wait in the\n"
	"                          kernel's accept queue until a slot frees\n"
	"  --idle-timeout S        a connection with no request in progress is closed after\n"
	"                          S seconds (default 120)\n"
	"  --head-timeout S        a request head must be complete S seconds after its first\n"
	"                          byte (default 10); bytes do not extend it\n"
	"  --body-timeout S        the body must be complete S seconds after the head\n"
	"                          (default 10); a socket-protocol frame gets both\n"
	"  --write-timeout S       the client must take the answer within S seconds\n"
	"                          (default 30)\n"
	"  --log-level LEVEL       error, warn, info (default) or debug\n"
	"  --user USER             the user the front drops to when started as root\n"
	"                          (default nobody)\n";

enum { OPT_KH = 256, OPT_API, OPT_STATUS, OPT_SOCKET, OPT_MAX, OPT_LOG, OPT_USER, OPT_IDLE,
       OPT_HEAD, OPT_BODY, OPT_WRITE };

static bool number(const char *opt, const char *arg, unsigned long max, unsigned *out)
{
	unsigned long v;
	if (!parse_ulong(arg, 0, max, &v)) {
		fprintf(stderr, "tzsigner front: %s '%s' is not a number up to %lu\n", opt, arg, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

static bool add_listener(struct front_config *cfg, const char *opt, const char *arg,
			 enum listener_kind kind)
{
	unsigned fd;
	if (cfg->listeners == FRONT_LISTENERS_MAX) {
		fprintf(stderr, "tzsigner front: more than %d listening fds\n", FRONT_LISTENERS_MAX);
		return false;
	}
	if (!number(opt, arg, 65535, &fd))
		return false;
	cfg->listen_fd[cfg->listeners] = (int)fd;
	cfg->kind[cfg->listeners++] = kind;
	return true;
}

/* Room for every connection's fd: the soft limit raised to the hard one. */
static void raise_fd_limit(const struct front_config *cfg)
{
	struct rlimit rl;
	size_t want = 64 + cfg->status_connections;
	for (size_t l = 0; l < cfg->listeners; l++)
		want += cfg->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : (rlim_t)want;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < want)
		log_warn("event=fd_limit_low limit=%llu wanted=%zu hint=raise_LimitNOFILE",
			 (unsigned long long)rl.rlim_cur, want);
}

int cmd_front(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kh-fd", required_argument, NULL, OPT_KH },
		{ "api-fd", required_argument, NULL, OPT_API },
		{ "status-fd", required_argument, NULL, OPT_STATUS },
		{ "socket-fd", required_argument, NULL, OPT_SOCKET },
		{ "max-connections", required_argument, NULL, OPT_MAX },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE },
		{ "head-timeout", required_argument, NULL, OPT_HEAD },
		{ "body-timeout", required_argument, NULL, OPT_BODY },
		{ "write-timeout", required_argument, NULL, OPT_WRITE },
		{ "log-level", required_argument, NULL, OPT_LOG },
		{ "user", required_argument, NULL, OPT_USER },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct front_config cfg = { .kh_fd = -1, .max_connections = 128, .status_connections = 16,
				    .idle_s = 120, .head_s = 10, .body_s = 10, .write_s = 30 };
	struct sandbox_config sb = { .user = "nobody", .seccomp = true };
	unsigned kh = 0;
	bool have_kh = false, have_api = false, ok = true;
	enum log_level level;
	int c;
	optind = 1;
	while (ok && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_KH: ok = have_kh = number("--kh-fd", optarg, 65535, &kh); break;
		case OPT_API: ok = have_api = add_listener(&cfg, "--api-fd", optarg, LISTEN_API); break;
		case OPT_STATUS: ok = add_listener(&cfg, "--status-fd", optarg, LISTEN_STATUS); break;
		case OPT_SOCKET: ok = add_listener(&cfg, "--socket-fd", optarg, LISTEN_SOCKET); break;
		case OPT_MAX:
			ok = number("--max-connections", optarg, 4096, &cfg.max_connections) &&
			     cfg.max_connections > 0;
			break;
		case OPT_IDLE:
		case OPT_HEAD:
		case OPT_BODY:
		case OPT_WRITE: {
			/* serve_front_timeout's order: the option names and bounds serve uses */
			unsigned *secs[] = { &cfg.idle_s, &cfg.head_s, &cfg.body_s, &cfg.write_s };
			size_t i = (size_t)(c - OPT_IDLE);
			ok = number(serve_front_timeout[i].name, optarg, serve_front_timeout[i].max, secs[i]) && *secs[i];
			break;
		}
		case OPT_LOG:
			ok = log_parse_level(optarg, &level);
			if (ok)
				log_set_level(level);
			break;
		case OPT_USER: sb.user = optarg; break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: ok = false;
		}
	}
	if (!ok || !have_kh || !have_api || optind != argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	cfg.kh_fd = (int)kh;
	raise_fd_limit(&cfg);
	struct front f;
	struct err e = { 0 };
	if (!front_init(&f, &cfg, &e) || !sandbox_enter(&sb, &e) || !front_run(&f, &e)) {
		front_free(&f);
		return cmd_fail("front", &e);
	}
	front_free(&f);
	return EXIT_SUCCESS;
}
