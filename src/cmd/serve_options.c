/* serve_options.c - `tzsigner serve`'s command line (serve.h). */
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/parse.h"
#include "../tezos/sig_version.h"
#include "cmd.h"
#include "serve.h"

static const char usage[] =
	"usage: tzsigner serve [options]\n"
	"\n"
	"Serve the octez remote-signer HTTP API (and, with --socket, octez's socket\n"
	"signer protocol) with the keys of a base directory.\n"
	"\n"
	"  -d, --base-dir DIR               octez-format key directory (default ~/.tzsigner)\n"
	"  -a, --address ADDR               listen address (default 127.0.0.1)\n"
	"  -p, --port PORT                  listen port (default 6732; 0 picks a free one)\n"
	"  -M, --magic-bytes LIST           magic bytes to sign (default 0x11,0x12,0x13);\n"
	"                                   each item as octez reads it: 17 and 0x11 are\n"
	"                                   both 0x11, 0x3 is 0x03 (also 0o21, 0b10001)\n"
	"  -f, --password-filename FILE     passphrase for encrypted keys (first line; mode 0600)\n"
	"      --passphrase-dir DIR         one passphrase file per key: DIR/NAME (or\n"
	"                                   DIR/passphrase_NAME, DIR/passphrase), before -f;\n"
	"                                   default $CREDENTIALS_DIRECTORY under systemd\n"
	"  -A, --require-authentication     sign only requests authenticated by a key in\n"
	"                                   <base-dir>/authorized_keys (see `keys authorize`)\n"
	"      --chain CHAIN_ID             sign consensus operations of this chain only\n"
	"                                   (repeatable; e.g. NetXdQprcVkpaWU)\n"
	"  -W, --check-high-watermark       accepted for octez compatibility: high watermarks\n"
	"                                   are always checked for 0x11, 0x12 and 0x13\n"
	"      --durability MODE            reserve (default): each level is reserved on disk\n"
	"                                   ahead of use, off the request path; sync: every\n"
	"                                   signature's record is fsync'd before it is sent\n"
	"      --reserve-ahead N            levels reserved ahead of the highest signed per\n"
	"                                   (chain, key), for its three kinds (default 8; it\n"
	"                                   doubles, up to 256, while levels come faster than\n"
	"                                   the disk, and halves back after a calm minute; a\n"
	"                                   crash costs at most that many levels)\n"
	"      --init                       start although the watermark file is missing in a\n"
	"                                   directory used before (only if nothing was signed\n"
	"                                   since, or after restoring it by other means)\n"
	"      --unsafe-no-high-watermark   benchmarks only: no watermark, double signing possible\n"
	"      --allow-to-prove-possession  answer GET /bls_prove_possession/<tz4> (and the\n"
	"                                   socket protocol's proof of possession)\n"
	"      --allow-list-known-keys      answer GET /known_keys (and the socket's known keys)\n"
	"      --max-connections N          concurrent connections (default 128; the same\n"
	"                                   bound again for each --socket)\n"
	"      --socket tcp://ADDR:PORT     also speak octez's socket signer protocol (what\n"
	"      --socket unix:///PATH        octez-client and octez-baker use for tcp:// and\n"
	"                                   unix: signer URIs): the same keys, checks and\n"
	"                                   watermarks, plus deterministic nonces (repeatable)\n"
	"      --socket-group GROUP         group of the unix sockets (mode 0660): make it the\n"
	"                                   baker's group so only the baker connects\n"
	"      --log-level LEVEL            error, warn, info (default) or debug\n"
	"      --ledger-proxy HOST:PORT     reach the Ledger of ledger:// keys through the\n"
	"                                   speculos APDU socket (else octez's\n"
	"                                   LEDGER_PROXY_ADDRESS/PORT, else USB)\n"
	"      --ledger-timeout MS          bound on each exchange with a Ledger (default 3000)\n"
	"\n"
	"Box health (GET /healthz, /statusz, /statusz/<pkh>, /metrics on the API port):\n"
	"      --status-port PORT           also answer only those on a separate port\n"
	"      --status-address ADDR        its address (default 127.0.0.1)\n"
	"      --health-interval S          seconds between background checks of the Ledger,\n"
	"                                   power, uplink and tunnel (default 2)\n"
	"      --power-sysfs DIR            power supply class directory (default\n"
	"                                   /sys/class/power_supply; 'none': do not read it)\n"
	"      --power-gpio CHIP:LINE[:active-low]\n"
	"                                   a UPS HAT's line that reads active while on mains\n"
	"                                   (x728: gpiochip0:6:active-low, its pin is high on\n"
	"                                   battery)\n"
	"      --uplink-endpoint HOST[:PORT] the cloud endpoint whose route names the uplink\n"
	"                                   (default: the uplink in the tunnel's state file)\n"
	"      --uplink-primary IFACE[,…]   interfaces of the main line (repeatable)\n"
	"      --uplink-backup IFACE[,…]    interfaces of the backup line, e.g. wwan0 (repeatable)\n"
	"      --tunnel-state FILE          the tunnel's state file (tzsigner tunnel --state)\n"
	"\n"
	"Process split (design §2.6): this process holds the keys and the watermarks;\n"
	"it binds every listening socket and starts `tzsigner front`, which speaks HTTP\n"
	"and the socket protocol, holds no key and asks for each operation over a\n"
	"socketpair (restarted if it dies).\n"
	"      --front-user USER            user the front drops to when serve runs as\n"
	"                                   root (default nobody)\n"
	"      --workers N                  threads running the front's requests (default 4)\n"
	"      --front-fd N                 tests only: serve key holder frames on the\n"
	"                                   inherited SOCK_SEQPACKET fd N, bind nothing,\n"
	"                                   start no front; exit when its peer closes it\n"
	"  -h, --help                       this text\n"
	"\n"
	"Without -f, encrypted keys are unlocked by a passphrase asked on the terminal.\n"
	"High watermarks live in <base-dir>/tzsigner_high_watermarks.json; octez's\n"
	"<base-dir>/*_high_watermark files are read at start and honoured. At most 1024\n"
	"chains get watermarks: give --chain.\n"
	"Per-key magic byte overrides: <base-dir>/tzsigner_policy.json (see README).\n"
	"/statusz/<pkh> answers 200 when that key can sign now (a Ledger key: device\n"
	"present, Tezos Baking app open, unlocked, the key authorized), else 503 with\n"
	"{\"reason\":…,\"msg\":…}; it is answered from state the background checks keep,\n"
	"never from the device. It starts listening after the first check of every\n"
	"key. Under systemd (Type=notify) it then reports readiness and\n"
	"pings the watchdog (WatchdogSec) while its background checks keep running.\n"
	"SIGTERM or SIGINT stop the signer after in-flight requests finish. SIGHUP\n"
	"(systemctl reload) reads the base directory's keys again and logs the keys\n"
	"added and removed; watermarks are kept, and the old keys keep serving when\n"
	"the new set does not load (encrypted keys need -f for a reload).\n";

/* The signature version table (src/tezos/sig_version.h), for --help. */
static void print_versions(FILE *f)
{
	fputs("\nSignature versions (?version=N on POST /keys/<pkh>, octez's\n"
	      "src/lib_crypto/signature.ml), checked against octez-client and octez-baker\n"
	      "v24.4 (they send 2) and v25.1 (they send 3); none means the newest:\n", f);
	for (unsigned v = 0; v <= SIG_VERSION_LATEST; v++)
		fprintf(f, "  %s\n", sig_version_row(v));
	fputs("A tz4 key on a Ledger signs version 1 only (the app's augmented scheme).\n", f);
}

enum { OPT_POP = 256, OPT_KNOWN, OPT_MAXCONN, OPT_LOGLEVEL, OPT_CHAIN, OPT_DURABILITY,
       OPT_AHEAD, OPT_INIT, OPT_NO_WM, OPT_LEDGER_PROXY, OPT_LEDGER_TIMEOUT, OPT_STATUS_PORT,
       OPT_STATUS_ADDRESS, OPT_HEALTH_INTERVAL, OPT_POWER_SYSFS, OPT_POWER_GPIO,
       OPT_UPLINK_ENDPOINT, OPT_UPLINK_PRIMARY, OPT_UPLINK_BACKUP, OPT_TUNNEL_STATE, OPT_SOCKET, OPT_SOCKET_GROUP,
       OPT_PASS_DIR, OPT_FRONT_USER, OPT_WORKERS, OPT_FRONT_FD };

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
		case 'h': fputs(usage, stdout); print_versions(stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tzsigner serve: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}
	return -1;
}
