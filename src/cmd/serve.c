/* serve.c - `tzsigner serve`: the signer daemon. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "../base/parse.h"
#include "../base/log.h"
#include "../base/passphrase.h"
#include "../crypto/sign.h"
#include "../guard/guard.h"
#include "../health/health.h"
#include "../server/server.h"
#include "../server/socket_listener.h"
#include "../tezos/sig_version.h"
#include "../vault/ledger_device.h"
#include "../vault/vault.h"
#include "cmd.h"
#include "serve_reload.h"

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
       OPT_PASS_DIR };

#define SERVE_MAX_SOCKETS 8

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
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool socket_group(const char *name, struct socket_listen_opts *o, struct err *e)
{
	unsigned long n;
	struct group gr, *found = NULL;
	char buf[4096];
	if (parse_ulong(name, 0, 0x7fffffff, &n)) {
		o->group = (gid_t)n;
	} else if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) != 0 || !found) {
		return err_set(e, ERR_MALFORMED, "--socket-group '%.64s' is not a group of this system", name);
	} else {
		o->group = found->gr_gid;
	}
	o->has_group = true;
	return true;
}

int cmd_serve(int argc, char **argv)
{
	char dirbuf[4096];
	const char *dir = cmd_default_base_dir(dirbuf, sizeof(dirbuf));
	const char *passfile = NULL, *passdir = NULL;
	struct server_config cfg = { .address = "127.0.0.1", .port = 6732, .max_connections = 128,
				     .idle_timeout_s = 120 };
	struct guard guard = { 0 };
	struct err e = { 0 };
	unsigned long n;
	struct wm_options wm_opts = { .mode = WM_RESERVE };
	bool no_watermark = false;
	const char *ledger_proxy = NULL;
	struct ledger_config ledger_cfg;
	struct ledger_backend *ledger = NULL;
	struct health_config health_cfg;
	struct health *health = NULL;
	struct server_config status_cfg = { .address = "127.0.0.1", .max_connections = 16,
					    .idle_timeout_s = 30, .monitoring_only = true };
	bool status_port = false;
	struct socket_uri socket_at[SERVE_MAX_SOCKETS];
	struct socket_listener *sockets[SERVE_MAX_SOCKETS] = { 0 };
	size_t socket_count = 0;
	struct socket_listen_opts socket_opts = { .idle_timeout_ms = 30000, .frame_timeout_ms = 10000 };
	ledger_config_default(&ledger_cfg);
	health_config_default(&health_cfg);
	policy_default(&guard.policy);

	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:a:p:M:f:AWh", options, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'a': cfg.address = optarg; break;
		case 'p':
			if (!parse_ulong(optarg, 0, 65535, &n)) {
				fprintf(stderr, "tzsigner serve: port '%s' is not a number from 0 to 65535\n", optarg);
				return EXIT_USAGE;
			}
			cfg.port = (uint16_t)n;
			break;
		case 'M':
			if (!policy_parse_magic_bytes(&guard.policy, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case 'f': passfile = optarg; break;
		case OPT_PASS_DIR: passdir = optarg; break;
		case OPT_POP: cfg.allow_prove_possession = true; break;
		case OPT_KNOWN: cfg.allow_list_known_keys = true; break;
		case OPT_MAXCONN:
			if (!parse_ulong(optarg, 0, 4096, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --max-connections '%s' is not 1 to 4096\n", optarg);
				return EXIT_USAGE;
			}
			cfg.max_connections = (unsigned int)n;
			break;
		case OPT_LOGLEVEL: {
			enum log_level lvl;
			if (!log_parse_level(optarg, &lvl)) {
				fprintf(stderr, "tzsigner serve: log level '%s' is not error, warn, info or debug\n", optarg);
				return EXIT_USAGE;
			}
			log_set_level(lvl);
			break;
		}
		case 'A': guard.require_auth = true; break;
		case 'W': break; /* always on */
		case OPT_CHAIN:
			if (!guard_allow_chain(&guard, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_DURABILITY:
			if (strcmp(optarg, "reserve") == 0) {
				wm_opts.mode = WM_RESERVE;
			} else if (strcmp(optarg, "sync") == 0) {
				wm_opts.mode = WM_SYNC;
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
			wm_opts.reserve_ahead = (uint32_t)n;
			break;
		case OPT_INIT: wm_opts.init = true; break;
		case OPT_NO_WM: no_watermark = true; break;
		case OPT_LEDGER_PROXY: ledger_proxy = optarg; break;
		case OPT_LEDGER_TIMEOUT:
			if (!parse_ulong(optarg, 0, 600000, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --ledger-timeout '%s' is not 1 to 600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			ledger_cfg.timeout_ms = (int)n;
			break;
		case OPT_STATUS_PORT:
			if (!parse_ulong(optarg, 0, 65535, &n)) {
				fprintf(stderr, "tzsigner serve: --status-port '%s' is not a number from 0 to 65535\n", optarg);
				return EXIT_USAGE;
			}
			status_cfg.port = (uint16_t)n;
			status_port = true;
			break;
		case OPT_STATUS_ADDRESS: status_cfg.address = optarg; break;
		case OPT_HEALTH_INTERVAL:
			if (!parse_ulong(optarg, 0, 3600, &n) || n == 0) {
				fprintf(stderr, "tzsigner serve: --health-interval '%s' is not 1 to 3600 seconds\n", optarg);
				return EXIT_USAGE;
			}
			health_cfg.interval_ms = (unsigned)n * 1000u;
			break;
		case OPT_POWER_SYSFS:
			if (strcmp(optarg, "none") == 0) {
				health_cfg.power.sysfs_root[0] = '\0';
			} else if (!optarg[0] || strlen(optarg) >= sizeof(health_cfg.power.sysfs_root)) {
				fprintf(stderr, "tzsigner serve: --power-sysfs '%s' is empty or too long\n", optarg);
				return EXIT_USAGE;
			} else {
				snprintf(health_cfg.power.sysfs_root, sizeof(health_cfg.power.sysfs_root), "%s", optarg);
			}
			break;
		case OPT_POWER_GPIO:
			if (!power_gpio_parse(optarg, &health_cfg.power.gpio, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_UPLINK_ENDPOINT:
			if (!netpath_parse_endpoint(optarg, &health_cfg.uplink, &e)) {
				err_wrap(&e, "--uplink-endpoint");
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_UPLINK_PRIMARY:
		case OPT_UPLINK_BACKUP:
			if (!netpath_add_ifaces(&health_cfg.uplink, c == OPT_UPLINK_BACKUP, optarg, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_TUNNEL_STATE:
			if (!optarg[0] || strlen(optarg) >= sizeof(health_cfg.tunnel_state)) {
				fprintf(stderr, "tzsigner serve: --tunnel-state '%s' is empty or too long\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(health_cfg.tunnel_state, sizeof(health_cfg.tunnel_state), "%s", optarg);
			break;
		case OPT_SOCKET:
			if (socket_count == SERVE_MAX_SOCKETS) {
				fprintf(stderr, "tzsigner serve: more than %d --socket options\n", SERVE_MAX_SOCKETS);
				return EXIT_USAGE;
			}
			if (!socket_uri_parse(optarg, &socket_at[socket_count++], &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_SOCKET_GROUP:
			if (!socket_group(optarg, &socket_opts, &e)) {
				cmd_fail("serve", &e);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); print_versions(stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tzsigner serve: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}
	if (!cmd_base_dir_present("serve", dir))
		return EXIT_FAILURE;

	/* Signals are taken synchronously by the main thread (sigwait below).
	 * They are blocked before any thread exists (the watermark writer, the
	 * Ledger and HTTP threads), so every thread inherits the mask and a
	 * SIGTERM can never land on one of them and kill the process. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	cmd_harden_process();
	if (!crypto_init(&e))
		return cmd_fail("serve", &e);

	struct passphrase pass = { 0 };
	struct vault vault;
	if (!passdir && !passfile)
		passdir = getenv("CREDENTIALS_DIRECTORY"); /* systemd's LoadCredential= */
	struct vault_unlock unlock = { .allow_prompt = passfile == NULL && passdir == NULL,
				       .passphrase_file = passfile, .passphrase_dir = passdir,
				       .hold_dir_lock = true };
	if (passfile) {
		if (!passphrase_from_file(&pass, passfile, &e))
			return cmd_fail("serve", &e);
		unlock.passphrase = &pass;
	}
	bool opened = vault_open(&vault, dir, &unlock, &e);
	passphrase_free(&pass);
	if (!opened) {
		err_wrap(&e, "loading keys from %s", dir);
		return cmd_fail("serve", &e);
	}
	for (size_t i = 0; i < vault.count; i++)
		log_info("event=key_loaded name=%s pkh=%s storage=%s", vault.keys[i].name,
			 vault.keys[i].pkh_text, key_storage_name(vault.keys[i].storage));
	if (vault.count == 0)
		log_warn("event=no_keys base_dir=%s msg=\"no local keys: every sign request will get 404\"", dir);
	struct wm_store *store = NULL;
	struct metrics metrics = { 0 };
	struct server server, status_server;
	bool store_open = false, server_up = false, status_up = false;
	if (!key_policies_load(&guard.key_policies, dir, &e) ||
	    (guard.require_auth && !auth_keys_load(&guard.auth, dir, &e)))
		goto fail;
	if (guard.require_auth && guard.auth.count == 0) {
		err_set(&e, ERR_MALFORMED, "-A given but %s/%s lists no key (add one with `tzsigner keys authorize`)",
			dir, AUTH_FILE);
		goto fail;
	}
	if (no_watermark) {
		log_warn("event=unsafe_no_high_watermark msg=\"benchmark mode: nothing prevents double signing\"");
	} else {
		if (!wm_store_open(&store, dir, &wm_opts, &e))
			goto fail;
		store_open = true;
	}
	if (!ledger_config_transport(&ledger_cfg, ledger_proxy, &e))
		goto fail;
	if (vault_ledger_key_count(&vault) > 0) {
		if (!ledger_backend_open(&ledger, &ledger_cfg, &e))
			goto fail;
		vault_attach_ledger(&vault, ledger);
		if (ledger_cfg.proxy)
			log_info("event=ledger_backend keys=%zu transport=speculos proxy=%s:%u timeout_ms=%d",
				 vault_ledger_key_count(&vault), ledger_cfg.proxy_host,
				 (unsigned)ledger_cfg.proxy_port, ledger_cfg.timeout_ms);
		else
			log_info("event=ledger_backend keys=%zu transport=usb timeout_ms=%d",
				 vault_ledger_key_count(&vault), ledger_cfg.timeout_ms);
	}
	if (!guard_init(&guard, &vault, store, &e))
		goto fail;

	/* Checks of a Ledger in the background are short: they must not hold
	 * the device long while a signature waits for it. */
	health_cfg.ledger_timeout_ms = ledger_cfg.timeout_ms < 1000 ? ledger_cfg.timeout_ms : 1000;
	if (!health_start(&health, &health_cfg, &vault, ledger, &e))
		goto fail;
	/* Ready means checked: /statusz and READY=1 come after each key's first
	 * check, so a readiness probe never sees not_checked_yet. A device that
	 * does not answer costs a few exchange timeouts, not more. */
	size_t devices = vault_ledger_key_count(&vault) < 8 ? vault_ledger_key_count(&vault) : 8;
	int first_ms = 2000 + 4 * health_cfg.ledger_timeout_ms * (int)devices;
	if (!health_wait_first_checks(health, first_ms))
		log_warn("event=first_check_late msg=\"the first check of every key took over %d ms: serving anyway\"", first_ms);
	cfg.health = health;
	status_cfg.health = health;
	status_cfg.allow_list_known_keys = false;

	if (!metrics_init(&metrics, &vault, store)) {
		err_set(&e, ERR_INTERNAL, "out of memory for metrics");
		goto fail;
	}
	metrics.health = health;
	if (!server_start(&server, &cfg, &guard, &metrics, &e))
		goto fail;
	server_up = true;
	if (status_port) {
		if (!server_start(&status_server, &status_cfg, &guard, &metrics, &e)) {
			err_wrap(&e, "--status-port");
			goto fail;
		}
		status_up = true;
		log_info("event=status_listening address=%s port=%u", status_cfg.address, status_server.port);
	}
	socket_opts.max_connections = cfg.max_connections;
	struct socket_service socket_svc = { &guard, &metrics, cfg.allow_prove_possession,
					     cfg.allow_list_known_keys };
	for (size_t i = 0; i < socket_count; i++) {
		if (!socket_listener_start(&sockets[i], &socket_at[i], &socket_opts, &socket_svc, &e))
			goto fail;
		log_info("event=socket_listening socket=%s", socket_listener_name(sockets[i]));
	}
	char magic[256 * 5 + 1];
	policy_format_magic(&guard.policy, magic, sizeof(magic));
	log_info("event=listening address=%s port=%u keys=%zu magic_bytes=%s durability=%s auth=%s base_dir=%s",
		 cfg.address, server.port, vault.count, magic,
		 no_watermark ? "none" : wm_opts.mode == WM_SYNC ? "sync" : "reserve",
		 guard.require_auth ? "required" : "off", dir);

	/* systemd: ready now; the watchdog is fed while the health watchers
	 * keep looping (a stuck watcher means a stuck process: restart it). */
	uint64_t wd_usec = 0;
	bool watchdog = sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0;
	sd_notifyf(0, "READY=1\nSTATUS=serving %zu keys on %s port %u", vault.count, cfg.address,
		   (unsigned)server.port);
	struct timespec tick = { .tv_sec = (time_t)(wd_usec / 2000000u),
				 .tv_nsec = (long)(wd_usec / 2u % 1000000u) * 1000L };
	bool watchdog_ok = true;

	int sig = 0;
	for (;;) {
		if (watchdog) {
			if (health_alive(health)) {
				sd_notify(0, "WATCHDOG=1");
				if (!watchdog_ok)
					log_info("event=watchdog msg=\"health watchers running again\"");
				watchdog_ok = true;
			} else if (watchdog_ok) {
				log_error("event=watchdog msg=\"a health watcher stopped looping: not feeding the watchdog\"");
				watchdog_ok = false;
			}
			sig = sigtimedwait(&stop, NULL, &tick);
			if (sig < 0)
				continue; /* EAGAIN: time to feed the watchdog; EINTR */
		} else if (sigwait(&stop, &sig) != 0) {
			continue;
		}
		if (sig == SIGHUP) {
			struct serve_parts parts = {
				.dir = dir, .passfile = passfile, .vault = &vault, .guard = &guard,
				.store = store_open ? store : NULL, .metrics = &metrics, .health = &health,
				.health_cfg = &health_cfg, .ledger = &ledger, .ledger_cfg = &ledger_cfg,
				.server = &server, .cfg = &cfg, .status_server = status_up ? &status_server : NULL,
				.status_cfg = &status_cfg,
			};
			bool fatal = false;
			/* The socket listeners' requests reach the key table too:
			 * none may run while it is swapped. */
			for (size_t i = 0; i < socket_count; i++) {
				socket_listener_stop(sockets[i]);
				sockets[i] = NULL;
			}
			bool reloaded = serve_reload_keys(&parts, &fatal, &e);
			for (size_t i = 0; i < socket_count && !fatal; i++) {
				struct err se = { 0 };
				if (!socket_listener_start(&sockets[i], &socket_at[i], &socket_opts, &socket_svc, &se)) {
					e = se;
					err_wrap(&e, "restarting --socket after the reload");
					fatal = true;
					reloaded = false;
				}
			}
			if (!reloaded) {
				if (fatal) {
					/* Half restarted: exit as after a crash (every
					 * signature's record is already durable) and let
					 * the supervisor start the signer afresh. */
					if (store_open)
						wm_store_close(store);
					return cmd_fail("serve: reload", &e);
				}
				log_error("event=reload_failed msg=\"%s\" keeping=%zu", e.msg, vault.count);
				e = (struct err){ 0 };
			}
			continue;
		}
		break;
	}
	log_info("event=stopping signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	for (size_t i = 0; i < socket_count; i++)
		socket_listener_stop(sockets[i]);
	if (status_up)
		server_stop(&status_server);
	server_stop(&server);
	health_stop(health);
	metrics_free(&metrics);
	if (store_open)
		wm_store_close(store);
	guard_free(&guard);
	vault_close(&vault);
	ledger_backend_close(ledger);
	log_info("event=stopped");
	return EXIT_SUCCESS;
fail:
	for (size_t i = 0; i < socket_count; i++)
		socket_listener_stop(sockets[i]);
	if (status_up)
		server_stop(&status_server);
	if (server_up)
		server_stop(&server);
	health_stop(health);
	metrics_free(&metrics);
	if (store_open)
		wm_store_close(store);
	guard_free(&guard);
	vault_close(&vault);
	ledger_backend_close(ledger);
	return cmd_fail("serve", &e);
}
