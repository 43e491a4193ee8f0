/* serve_options.c - `tzsigner serve`'s command line (serve.h). */
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/parse.h"
#include "cmd.h"
#include "serve.h"

enum { OPT_POP = 256, OPT_KNOWN, OPT_MAXCONN, OPT_LOGLEVEL, OPT_CHAIN, OPT_DURABILITY,
       OPT_AHEAD, OPT_INIT, OPT_NO_WM, OPT_LEDGER_PROXY, OPT_LEDGER_TIMEOUT, OPT_STATUS_PORT,
       OPT_STATUS_ADDRESS, OPT_HEALTH_INTERVAL, OPT_POWER_SYSFS, OPT_POWER_GPIO,
       OPT_UPLINK_ENDPOINT, OPT_UPLINK_PRIMARY, OPT_UPLINK_BACKUP, OPT_TUNNEL_STATE, OPT_SOCKET, OPT_SOCKET_GROUP,
       OPT_PASS_DIR, OPT_FRONT_USER, OPT_WORKERS, OPT_FRONT_FD, OPT_IDLE_TIMEOUT, OPT_HEAD_TIMEOUT,
       OPT_BODY_TIMEOUT, OPT_WRITE_TIMEOUT };

const struct serve_front_timeout serve_front_timeout[4] = { { "--idle-timeout", 86400 }, { "--head-timeout", 3600 },
		       { "--body-timeout", 3600 }, { "--write-timeout", 3600 } };

static const struct option options[] = {
	{ "base-dir", required_argument, NULL, 'd' },
	{ "address", required_argument, NULL, 'a' },
	{ "port", required_argument, NULL, 'p' },
	{ "magic-bytes", required_argument, NULL, 'M' },
	{ "password-filename", required_argument, NULL, 'f' },
	{ "passphrase-dir", required_argument, NULL, OPT_PASS_DIR },
	{ "allow-to-prove-possession", no_argument, NULL, OPT_POP },
	{ "allow-list-known-keys", no_argument, NULL, OPT_KNOWN },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "head-timeout", required_argument, NULL, OPT_HEAD_TIMEOUT },
	{ "body-timeout", required_argument, NULL, OPT_BODY_TIMEOUT },
	{ "write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "require-authentication", no_argument, NULL, 'A' },
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "check-high-watermark", no_argument, NULL, 'W' },
	{ "durability", required_argument, NULL, OPT_DURABILITY },
	{ "reserve-ahead", required_argument, NULL, OPT_AHEAD },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "unsafe-no-high-watermark", no_argument, NULL, OPT_NO_WM },
	{ "ledger-proxy", required_argument, NULL, OPT_LEDGER_PROXY },
	{ "ledger-timeout", required_argument, NULL, OPT_LEDGER_TIMEOUT },
	{ "status-port", required_argument, NULL, OPT_STATUS_PORT },
	{ "status-address", required_argument, NULL, OPT_STATUS_ADDRESS },
	{ "health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL },
	{ "power-sysfs", required_argument, NULL, OPT_POWER_SYSFS },
	{ "power-gpio", required_argument, NULL, OPT_POWER_GPIO },
	{ "uplink-endpoint", required_argument, NULL, OPT_UPLINK_ENDPOINT },
	{ "uplink-primary", required_argument, NULL, OPT_UPLINK_PRIMARY },
	{ "uplink-backup", required_argument, NULL, OPT_UPLINK_BACKUP },
	{ "tunnel-state", required_argument, NULL, OPT_TUNNEL_STATE },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
	{ "front-user", required_argument, NULL, OPT_FRONT_USER },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "front-fd", required_argument, NULL, OPT_FRONT_FD },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool socket_group(const char *name, struct serve_options *o, struct err *e)
{
	unsigned long n;
	struct group gr, *found = NULL;
	char buf[4096];
	if (parse_ulong(name, 0, 0x7fffffff, &n)) {
		o->socket_group = (gid_t)n;
	} else if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) != 0 || !found) {
		return err_set(e, ERR_MALFORMED, "--socket-group '%.64s' is not a group of this system", name);
	} else {
		o->socket_group = found->gr_gid;
	}
	o->has_socket_group = true;
	return true;
}

static void defaults(struct serve_options *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = cmd_default_base_dir(o->dirbuf, sizeof(o->dirbuf));
	o->address = "127.0.0.1";
	o->port = 6732;
	o->status_address = "127.0.0.1";
	o->max_connections = 128;
	o->log_level = "info";
	o->wm.mode = WM_RESERVE;
	o->front_fd = -1;
	ledger_config_default(&o->ledger);
	health_config_default(&o->health);
	policy_default(&o->guard.policy);
}

int serve_parse_options(int argc, char **argv, struct serve_options *o)
{
	struct err e = { 0 };
	unsigned long n;
	defaults(o);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:a:p:M:f:AWh", options, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'a': o->address = optarg; break;
		case 'p':
			if (!parse_ulong(optarg, 0, 65535, &n)) {
				fprintf(stderr, "tzsigner serve: port '%s' is not a number from 0 to 65535\n", optarg);
				return EXIT_USAGE;
			}
			o->port = (uint16_t)n;
			break;
		case 'M':
			if (!policy_parse_magic_bytes(&o->guard.policy, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case 'f': o->passfile = optarg; break;
		case OPT_PASS_DIR: o->passdir = optarg; break;
		case OPT_POP: o->allow_prove_possession = true; break;
		case OPT_KNOWN: o->allow_list_known_keys = true; break;
		case OPT_MAXCONN:
			if (!parse_ulong(optarg, 0, 4096, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --max-connections '%s' is not 1 to 4096\n", optarg);
				return EXIT_USAGE;
			}
			o->max_connections = (unsigned int)n;
			break;
		case OPT_IDLE_TIMEOUT:
		case OPT_HEAD_TIMEOUT:
		case OPT_BODY_TIMEOUT:
		case OPT_WRITE_TIMEOUT: {
			size_t i = (size_t)(c - OPT_IDLE_TIMEOUT);
			if (!parse_ulong(optarg, 0, serve_front_timeout[i].max, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: %s '%s' is not 1 to %lu seconds\n",
					serve_front_timeout[i].name, optarg, serve_front_timeout[i].max);
				return EXIT_USAGE;
			}
			o->front_timeouts[i] = (unsigned)n;
			break;
		}
		case OPT_LOGLEVEL: {
			enum log_level lvl;
			if (!log_parse_level(optarg, &lvl)) {
				fprintf(stderr, "tzsigner serve: log level '%s' is not error, warn, info or debug\n", optarg);
				return EXIT_USAGE;
			}
			log_set_level(lvl);
			o->log_level = optarg;
			break;
		}
		case 'A': o->guard.require_auth = true; break;
		case 'W': break; /* always on */
		case OPT_CHAIN:
			if (!guard_allow_chain(&o->guard, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_DURABILITY:
			if (strcmp(optarg, "reserve") == 0) {
				o->wm.mode = WM_RESERVE;
			} else if (strcmp(optarg, "sync") == 0) {
				o->wm.mode = WM_SYNC;
			} else {
				fprintf(stderr, "tzsigner serve: --durability '%s' is not reserve or sync\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_AHEAD:
			if (!parse_ulong(optarg, 0, WM_WINDOW_MAX, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --reserve-ahead '%s' is not 1 to %d\n", optarg,
					WM_WINDOW_MAX);
				return EXIT_USAGE;
			}
			o->wm.reserve_ahead = (uint32_t)n;
			break;
		case OPT_INIT: o->wm.init = true; break;
		case OPT_NO_WM: o->no_watermark = true; break;
		case OPT_LEDGER_PROXY: o->ledger_proxy = optarg; break;
		case OPT_LEDGER_TIMEOUT:
			if (!parse_ulong(optarg, 0, 600000, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --ledger-timeout '%s' is not 1 to 600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			o->ledger.timeout_ms = (int)n;
			break;
		case OPT_STATUS_PORT:
			if (!parse_ulong(optarg, 0, 65535, &n)) {
				fprintf(stderr, "tzsigner serve: --status-port '%s' is not a number from 0 to 65535\n", optarg);
				return EXIT_USAGE;
			}
			o->status_port = (uint16_t)n;
			o->status_port_given = true;
			break;
		case OPT_STATUS_ADDRESS: o->status_address = optarg; break;
		case OPT_HEALTH_INTERVAL:
			if (!parse_ulong(optarg, 0, 3600, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --health-interval '%s' is not 1 to 3600 seconds\n", optarg);
				return EXIT_USAGE;
			}
			o->health.interval_ms = (unsigned)n * 1000u;
			break;
		case OPT_POWER_SYSFS:
			if (strcmp(optarg, "none") == 0) {
				o->health.power.sysfs_root[0] = '\0';
			} else if (!optarg[0] || strlen(optarg) >= sizeof(o->health.power.sysfs_root)) {
				fprintf(stderr, "tzsigner serve: --power-sysfs '%s' is empty or too long\n", optarg);
				return EXIT_USAGE;
			} else {
				snprintf(o->health.power.sysfs_root, sizeof(o->health.power.sysfs_root), "%s", optarg);
			}
			break;
		case OPT_POWER_GPIO:
			if (!power_gpio_parse(optarg, &o->health.power.gpio, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_UPLINK_ENDPOINT:
			if (!netpath_parse_endpoint(optarg, &o->health.uplink, &e)) {
				err_wrap(&e, "--uplink-endpoint");
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_UPLINK_PRIMARY:
		case OPT_UPLINK_BACKUP:
			if (!netpath_add_ifaces(&o->health.uplink, c == OPT_UPLINK_BACKUP, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_TUNNEL_STATE:
			if (!optarg[0] || strlen(optarg) >= sizeof(o->health.tunnel_state)) {
				fprintf(stderr, "tzsigner serve: --tunnel-state '%s' is empty or too long\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(o->health.tunnel_state, sizeof(o->health.tunnel_state), "%s", optarg);
			break;
		case OPT_SOCKET:
			if (o->socket_count == SERVE_MAX_SOCKETS) {
				fprintf(stderr, "tzsigner serve: more than %d --socket options\n", SERVE_MAX_SOCKETS);
				return EXIT_USAGE;
			}
			if (!socket_uri_parse(optarg, &o->sockets[o->socket_count++], &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_SOCKET_GROUP:
			if (!socket_group(optarg, o, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_FRONT_USER: o->front_user = optarg; break;
		case OPT_WORKERS:
			if (!parse_ulong(optarg, 0, 64, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --workers '%s' is not 1 to 64\n", optarg);
				return EXIT_USAGE;
			}
			o->workers = (unsigned)n;
			break;
		case OPT_FRONT_FD:
			if (!parse_ulong(optarg, 0, 1023, &n) || n < 3) {
				fprintf(stderr, "tzsigner serve: --front-fd '%s' is not an inherited fd from 3 to 1023\n", optarg);
				return EXIT_USAGE;
			}
			o->front_fd = (int)n;
			break;
		case 'h': fputs(serve_usage, stdout); serve_print_versions(stdout); return EXIT_SUCCESS;
		default: fputs(serve_usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tzsigner serve: unexpected argument '%s'\n%s", argv[optind], serve_usage);
		return EXIT_USAGE;
	}
	return -1;
}
