/* ledger.c - `tzsigner ledger`: list devices, show a key, set up baking,
 * query and reset the device's high watermarks, deauthorize; and the
 * ledger:// path of `tzsigner keys import`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/log.h"
#include "../crypto/sign.h"
#include "../tezos/keycodec.h"
#include "../ledger/device.h"
#include "../vault/octez_dir.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner ledger list [options]\n"
	"       tzsigner ledger show URI [options]\n"
	"       tzsigner ledger setup URI --chain CHAIN_ID --main-hwm LEVEL [--test-hwm LEVEL] [options]\n"
	"       tzsigner ledger hwm URI [options]\n"
	"       tzsigner ledger reset-hwm URI LEVEL [--force] [options]\n"
	"       tzsigner ledger deauthorize URI [options]\n"
	"\n"
	"Talk to a Ledger running the Tezos Baking app, on USB or through the speculos\n"
	"APDU socket. URI is ledger://<animal-name or tz1…>/<curve>/<path> as octez\n"
	"writes it, e.g. ledger://calculating-meerkat-straight-beetle/ed25519/0h/0h\n"
	"(curves: ed25519, secp256k1, P-256, bip25519; the path is under 44'/1729').\n"
	"\n"
	"  list         every device: transport, ledger://<name>/, app and version,\n"
	"               the key authorized for baking\n"
	"  show         the device and the key at URI: public key and address\n"
	"  setup        authorize URI's key for baking on CHAIN_ID, with the device's\n"
	"               high watermarks at LEVEL (confirm on the device)\n"
	"  hwm          the device's main and test high watermarks and its chain\n"
	"  reset-hwm    set both watermarks to LEVEL, round 0 (confirm on the device);\n"
	"               lowering them needs --force\n"
	"  deauthorize  forget the authorized baking key\n"
	"\n"
	"  -P, --ledger-proxy HOST:PORT  the speculos APDU socket (else octez's\n"
	"                                LEDGER_PROXY_ADDRESS/LEDGER_PROXY_PORT, else USB)\n"
	"      --chain CHAIN_ID          chain for setup (Net…)\n"
	"      --main-hwm LEVEL          main chain watermark level for setup\n"
	"      --test-hwm LEVEL          test chain watermark level for setup (default 0)\n"
	"      --timeout MS              each exchange with the device (default 3000)\n"
	"      --confirm-timeout MS      how long to wait for a button press (default 120000)\n"
	"      --force                   reset-hwm: lower the device's watermarks\n"
	"  -h, --help                    this text\n";

enum { OPT_CHAIN = 256, OPT_MAIN, OPT_TEST, OPT_TIMEOUT, OPT_CONFIRM, OPT_FORCE };

static const struct option options[] = {
	{ "ledger-proxy", required_argument, NULL, 'P' },
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "main-hwm", required_argument, NULL, OPT_MAIN },
	{ "test-hwm", required_argument, NULL, OPT_TEST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "confirm-timeout", required_argument, NULL, OPT_CONFIRM },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct ledger_opts {
	const char *proxy;
	const char *chain;
	long main_hwm, test_hwm;
	int timeout_ms, confirm_ms;
	bool force;
};

static bool parse_long(const char *s, long max, long *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	long v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static bool open_backend(const struct ledger_opts *o, struct ledger_backend **b, struct err *e)
{
	struct ledger_config cfg;
	ledger_config_default(&cfg);
	cfg.timeout_ms = o->timeout_ms;
	cfg.backoff_min_ms = 1; /* a command tries once, now */
	return ledger_config_transport(&cfg, o->proxy, e) && ledger_backend_open(b, &cfg, e);
}

static bool parse_key_uri(const char *text, struct ledger_uri *u, struct err *e)
{
	if (!ledger_uri_parse(text, u, e))
		return false;
	if (!u->has_key)
		return err_set(e, ERR_MALFORMED, "%s names a device; add the curve and path (…/ed25519/0h/0h)", text);
	return true;
}

/* "ledger://name/curve/path tz1…" of the device's authorized key, or "none". */
static void authorized_text(struct ledger_handle *h, char *out, size_t cap)
{
	bool authorized = false;
	struct ledger_uri u = { .has_key = true };
	struct public_key pk;
	struct pkh pkh;
	char pkh_text[B58_MAX], uri[LEDGER_URI_TEXT_MAX];
	struct err e = { 0 };
	snprintf(out, cap, "authorized=none");
	if (!ledger_app_auth_key(&h->link, &authorized, &u.curve, &u.path, &e)) {
		snprintf(out, cap, "authorized=unknown");
		return;
	}
	if (!authorized)
		return;
	snprintf(u.device, sizeof(u.device), "%s", h->info.name);
	ledger_uri_format(&u, uri);
	if (u.curve == LEDGER_CURVE_BIP25519 || u.path.len < 2 ||
	    !ledger_app_public_key(&h->link, u.curve, &u.path, false, &pk, &e)) {
		snprintf(out, cap, "authorized=%s", uri);
		return;
	}
	pkh_of_public_key(&pk, &pkh);
	if (!pkh_encode(pkh_text, &pkh, &e))
		pkh_text[0] = '\0';
	snprintf(out, cap, "authorized=%s authorized_pkh=%s", uri, pkh_text);
}

static int do_list(const struct ledger_opts *o)
{
	struct err e = { 0 };
	struct ledger_backend *b;
	struct ledger_device_info infos[LEDGER_USB_MAX_DEVICES];
	struct err errs[LEDGER_USB_MAX_DEVICES];
	size_t n = 0, good = 0;
	if (!open_backend(o, &b, &e))
		return cmd_fail("ledger list", &e);
	ledger_list(b, infos, errs, LEDGER_USB_MAX_DEVICES, &n, &e);
	for (size_t i = 0; i < n; i++) {
		if (errs[i].kind != ERR_NONE) {
			printf("error where=\"%s\" msg=\"%s\"\n", infos[i].where, errs[i].msg);
			continue;
		}
		struct ledger_handle h;
		char auth[LEDGER_URI_TEXT_MAX + B58_MAX + 64] = "authorized=unknown";
		if (ledger_acquire(b, infos[i].name, 0, &h, &e)) {
			authorized_text(&h, auth, sizeof(auth));
			ledger_release(&h, false, NULL);
		}
		printf("ledger://%s/ transport=\"%s\" app=\"%s\" version=%u.%u.%u %s\n", infos[i].name,
		       infos[i].where, ledger_app_name(infos[i].version.app_class), infos[i].version.major,
		       infos[i].version.minor, infos[i].version.patch, auth);
		good++;
	}
	if (n == 0)
		fprintf(stderr, "tzsigner ledger list: no Ledger found (plugged in, unlocked, udev rules for vendor 2c97?)\n");
	ledger_backend_close(b);
	return good ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Runs fn on the device of uri_text; prompting commands get confirm_ms. */
struct ledger_cmd {
	const char *name;
	bool prompts;
	int (*fn)(const struct ledger_opts *o, struct ledger_handle *h, const struct ledger_uri *u,
		  char **args, struct err *e);
};

static int with_device(const struct ledger_opts *o, const struct ledger_cmd *c, const char *uri_text,
		       bool need_key, char **args)
{
	struct err e = { 0 };
	struct ledger_uri u;
	struct ledger_backend *b;
	char what[64];
	snprintf(what, sizeof(what), "ledger %s", c->name);
	if (!(need_key ? parse_key_uri(uri_text, &u, &e) : ledger_uri_parse(uri_text, &u, &e)))
		return cmd_fail(what, &e);
	if (!open_backend(o, &b, &e))
		return cmd_fail(what, &e);
	struct ledger_handle h;
	if (!ledger_acquire(b, u.device, c->prompts ? o->confirm_ms : 0, &h, &e)) {
		ledger_backend_close(b);
		return cmd_fail(what, &e);
	}
	int rc = c->fn(o, &h, &u, args, &e);
	if (h.backend) /* reset-hwm may have let go of it */
		ledger_release(&h, false, NULL);
	ledger_backend_close(b);
	return rc == EXIT_SUCCESS ? rc : cmd_fail(what, &e);
}

static int show(const struct ledger_opts *o, struct ledger_handle *h, const struct ledger_uri *u,
		char **args, struct err *e)
{
	(void)o;
	(void)args;
	struct public_key pk;
	struct pkh pkh;
	char pk_text[B58_MAX], pkh_text[B58_MAX], uri[LEDGER_URI_TEXT_MAX], path[160], auth[512];
	if (!ledger_app_public_key(&h->link, u->curve, &u->path, false, &pk, e))
		return EXIT_FAILURE;
	pkh_of_public_key(&pk, &pkh);
	if (!public_key_encode(pk_text, &pk, e) || !pkh_encode(pkh_text, &pkh, e))
		return EXIT_FAILURE;
	ledger_uri_format(u, uri);
	ledger_path_format(&u->path, path, sizeof(path));
	authorized_text(h, auth, sizeof(auth));
	printf("device: ledger://%s/\ntransport: %s\napp: %s %u.%u.%u\nuri: %s\ncurve: %s\npath: %s\n"
	       "public_key: %s\npkh: %s\n%s\n",
	       h->info.name, h->info.where, ledger_app_name(h->info.version.app_class),
	       h->info.version.major, h->info.version.minor, h->info.version.patch, uri,
	       ledger_curve_name(u->curve), path, pk_text, pkh_text, auth);
	return EXIT_SUCCESS;
}

static int setup(const struct ledger_opts *o, struct ledger_handle *h, const struct ledger_uri *u,
		 char **args, struct err *e)
{
	(void)args;
	uint8_t chain[4];
	struct public_key pk, shown;
	struct pkh pkh;
	char pkh_text[B58_MAX];
	if (!o->chain || o->main_hwm < 0)
		return err_set(e, ERR_MALFORMED, "setup needs --chain CHAIN_ID and --main-hwm LEVEL"), EXIT_USAGE;
	if (!chain_id_decode(o->chain, chain, e))
		return err_wrap(e, "--chain"), EXIT_FAILURE;
	struct ledger_link quick = h->link;
	quick.timeout_ms = o->timeout_ms;
	if (!ledger_app_public_key(&quick, u->curve, &u->path, false, &shown, e))
		return EXIT_FAILURE;
	pkh_of_public_key(&shown, &pkh);
	if (!pkh_encode(pkh_text, &pkh, e))
		return EXIT_FAILURE;
	fprintf(stderr,
		"Confirm on the Ledger: setup of %s for baking on chain %s, main watermark %ld, test %ld.\n"
		"Press the buttons on the device (waiting up to %d s)...\n",
		pkh_text, o->chain, o->main_hwm, o->test_hwm < 0 ? 0L : o->test_hwm, o->confirm_ms / 1000);
	if (!ledger_app_setup(&h->link, u->curve, &u->path, chain, (uint32_t)o->main_hwm,
			      (uint32_t)(o->test_hwm < 0 ? 0 : o->test_hwm), &pk, e))
		return EXIT_FAILURE;
	if (pk.len != shown.len || memcmp(pk.bytes, shown.bytes, pk.len) != 0)
		return err_set(e, ERR_INTERNAL, "the device set up a key other than %s", pkh_text), EXIT_FAILURE;
	printf("authorized %s for baking on %s from level %ld (ledger://%s/)\n", pkh_text, o->chain,
	       o->main_hwm, h->info.name);
	return EXIT_SUCCESS;
}

static int hwm(const struct ledger_opts *o, struct ledger_handle *h, const struct ledger_uri *u,
	       char **args, struct err *e)
{
	(void)o;
	(void)u;
	(void)args;
	struct ledger_hwm w;
	char chain[B58_MAX] = "any";
	static const uint8_t zero[4];
	if (!ledger_app_hwm(&h->link, &w, e))
		return EXIT_FAILURE;
	if (memcmp(w.chain_id, zero, 4) != 0 && !chain_id_encode(chain, w.chain_id, e))
		return EXIT_FAILURE;
	printf("main_level=%u main_round=%u test_level=%u test_round=%u chain=%s\n", w.main_level,
	       w.main_round, w.test_level, w.test_round, chain);
	return EXIT_SUCCESS;
}

/* After a failed or timed-out reset: what the device has now (it may have
 * applied the reset after we stopped waiting). */
static int reset_outcome(const struct ledger_opts *o, struct ledger_handle *h,
			 const struct ledger_uri *u, long level, struct err *e)
{
	struct ledger_backend *b = h->backend;
	struct ledger_hwm w;
	struct err qe = { 0 };
	char name[sizeof(h->info.name)];
	snprintf(name, sizeof(name), "%s", h->info.name);
	/* The timed-out exchange closed the transport: a new one, a few times
	 * while the device still shows its prompt. */
	ledger_release(h, false, e);
	h->backend = NULL;
	bool read = false;
	for (int i = 0; i < 5 && !read; i++) {
		if (i)
			sleep(1);
		memset(&qe, 0, sizeof(qe));
		if (!ledger_acquire(b, u->device, o->timeout_ms, h, &qe))
			continue;
		read = ledger_app_hwm(&h->link, &w, &qe);
		if (!read) {
			ledger_release(h, false, &qe);
			h->backend = NULL;
		}
	}
	snprintf(h->info.name, sizeof(h->info.name), "%s", name);
	if (!read)
		return err_wrap(e, "and the device's watermarks cannot be read now (%s): check them "
				"with `tzsigner ledger hwm` once it shows its home screen", qe.msg),
		       EXIT_FAILURE;
	if (w.main_level == (uint32_t)level && w.test_level == (uint32_t)level) {
		printf("high watermarks of ledger://%s/ reset to level %ld (the device applied it "
		       "although its answer came late: %s)\n", h->info.name, level, e->msg);
		return EXIT_SUCCESS;
	}
	return err_wrap(e, "the device still has main_level=%u main_round=%u test_level=%u",
			w.main_level, w.main_round, w.test_level), EXIT_FAILURE;
}

static int reset_hwm(const struct ledger_opts *o, struct ledger_handle *h,
		     const struct ledger_uri *u, char **args, struct err *e)
{
	long level;
	struct ledger_hwm w;
	struct ledger_link quick = h->link;
	quick.timeout_ms = o->timeout_ms;
	if (!parse_long(args[0], 0x3fffffff, &level))
		return err_set(e, ERR_MALFORMED, "level '%.32s' is not 0 to %d", args[0], 0x3fffffff), EXIT_USAGE;
	if (!ledger_app_hwm(&quick, &w, e))
		return err_wrap(e, "reading the device's watermarks first"), EXIT_FAILURE;
	uint32_t top = w.main_level > w.test_level ? w.main_level : w.test_level;
	if ((uint32_t)level < top && !o->force)
		return err_set(e, ERR_FORBIDDEN,
			       "ledger://%s/ has main_level=%u test_level=%u: level %ld lowers it, and "
			       "the device would sign levels %ld to %u again; pass --force only if no "
			       "baker signed those with this key (e.g. a new chain)",
			       h->info.name, w.main_level, w.test_level, level, level + 1, top),
		       EXIT_FAILURE;
	fprintf(stderr, "Confirm on the Ledger: reset both high watermarks of ledger://%s/ from level %u to %ld.\n"
			"Press the buttons on the device (waiting up to %d s)...\n",
		h->info.name, w.main_level, level, o->confirm_ms / 1000);
	if (!ledger_app_reset(&h->link, (uint32_t)level, e))
		return reset_outcome(o, h, u, level, e);
	printf("high watermarks of ledger://%s/ reset to level %ld\n", h->info.name, level);
	return EXIT_SUCCESS;
}

static int deauthorize(const struct ledger_opts *o, struct ledger_handle *h,
		       const struct ledger_uri *u, char **args, struct err *e)
{
	(void)o;
	(void)u;
	(void)args;
	if (!ledger_app_deauthorize(&h->link, e))
		return EXIT_FAILURE;
	printf("ledger://%s/ has no authorized baking key now\n", h->info.name);
	return EXIT_SUCCESS;
}

int cmd_ledger_import(const char *dir, const char *name, const char *uri_text, bool force,
		      const char *proxy)
{
	struct err e = { 0 };
	struct ledger_uri u;
	struct ledger_opts o = { .proxy = proxy, .timeout_ms = 3000, .confirm_ms = 120000 };
	struct ledger_backend *b;
	struct ledger_handle h;
	struct public_key pk, shown;
	struct pkh pkh;
	char pk_text[B58_MAX], pkh_text[B58_MAX], uri[LEDGER_URI_TEXT_MAX];
	int rc = EXIT_FAILURE;
	/* A one-shot command: its own message says what failed; the backend's
	 * daemon-style lines (retry_ms=…) would only confuse. */
	if (log_get_level() > LOG_ERROR)
		log_set_level(LOG_ERROR);
	if (!octez_name_valid(name, &e) || !parse_key_uri(uri_text, &u, &e) || !open_backend(&o, &b, &e))
		return cmd_fail("keys import", &e);
	if (!ledger_acquire(b, u.device, o.confirm_ms, &h, &e)) {
		ledger_backend_close(b);
		return cmd_fail("keys import", &e);
	}
	struct ledger_link quick = h.link;
	quick.timeout_ms = o.timeout_ms;
	if (!ledger_app_public_key(&quick, u.curve, &u.path, false, &pk, &e))
		goto out;
	pkh_of_public_key(&pk, &pkh);
	if (!public_key_encode(pk_text, &pk, &e) || !pkh_encode(pkh_text, &pkh, &e))
		goto out;
	fprintf(stderr, "Check that the Ledger shows %s and confirm it with the buttons (waiting up to %d s)...\n",
		pkh_text, o.confirm_ms / 1000);
	if (!ledger_app_public_key(&h.link, u.curve, &u.path, true, &shown, &e))
		goto out;
	if (shown.len != pk.len || memcmp(shown.bytes, pk.bytes, pk.len) != 0) {
		err_set(&e, ERR_INTERNAL, "the device showed a key other than %s", pkh_text);
		goto out;
	}
	ledger_uri_format(&u, uri);
	if (!octez_dir_add(dir, name, uri, pk_text, pkh_text, force, &e))
		goto out;
	printf("%s %s %s\n", name, pkh_text, pk_text);
	rc = EXIT_SUCCESS;
out:
	ledger_release(&h, false, NULL);
	ledger_backend_close(b);
	return rc == EXIT_SUCCESS ? rc : cmd_fail("keys import", &e);
}

static const struct ledger_cmd commands[] = {
	{ "show", false, show },
	{ "setup", true, setup },
	{ "hwm", false, hwm },
	{ "reset-hwm", true, reset_hwm },
	{ "deauthorize", false, deauthorize },
};

int cmd_ledger(int argc, char **argv)
{
	struct ledger_opts o = { .main_hwm = -1, .test_hwm = -1, .timeout_ms = 3000, .confirm_ms = 120000 };
	long v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "P:h", options, NULL)) != -1) {
		switch (c) {
		case 'P': o.proxy = optarg; break;
		case OPT_CHAIN: o.chain = optarg; break;
		case OPT_FORCE: o.force = true; break;
		case OPT_MAIN:
		case OPT_TEST:
			if (!parse_long(optarg, 0x3fffffff, &v)) {
				fprintf(stderr, "tzsigner ledger: level '%s' is not 0 to %d\n", optarg, 0x3fffffff);
				return EXIT_USAGE;
			}
			*(c == OPT_MAIN ? &o.main_hwm : &o.test_hwm) = v;
			break;
		case OPT_TIMEOUT:
		case OPT_CONFIRM:
			if (!parse_long(optarg, 3600000, &v) || v == 0) {
				fprintf(stderr, "tzsigner ledger: '%s' is not 1 to 3600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			*(c == OPT_TIMEOUT ? &o.timeout_ms : &o.confirm_ms) = (int)v;
			break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	int nargs = argc - optind;
	char **args = argv + optind;
	struct err e = { 0 };
	if (nargs < 1) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!crypto_init(&e))
		return cmd_fail("ledger", &e);
	/* A one-shot command: its own message says what failed; the backend's
	 * daemon-style lines (retry_ms=…) would only confuse. */
	if (log_get_level() > LOG_ERROR)
		log_set_level(LOG_ERROR);
	if (strcmp(args[0], "list") == 0 && nargs == 1)
		return do_list(&o);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(args[0], commands[i].name) != 0)
			continue;
		int want = strcmp(commands[i].name, "reset-hwm") == 0 ? 3 : 2;
		if (nargs != want)
			break;
		return with_device(&o, &commands[i], args[1], strcmp(commands[i].name, "show") == 0 ||
								 strcmp(commands[i].name, "setup") == 0,
				   args + 2);
	}
	fprintf(stderr, "tzsigner ledger: unknown action or wrong arguments: '%s'\n%s", args[0], usage);
	return EXIT_USAGE;
}
