/* gateway.c - `tzsigner gateway`: the cloud gateway in front of several
 * boxes holding the same keys, its high watermark shared through etcd. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../base/parse.h"
#include "../gateway/gateway.h"
#include "../gateway/http_client.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner gateway -a ADDR -p PORT --box URL [--box URL…] --etcd URL[,URL…] [options]\n"
	"       tzsigner gateway render [options]   (Kubernetes objects; render --help)\n"
	"\n"
	"Serve the octez remote-signer HTTP API in front of several boxes holding the\n"
	"same keys. Each consensus request (0x11, 0x12, 0x13) is first recorded in a\n"
	"high watermark shared through etcd, then signed by one healthy box; a box\n"
	"that fails is replaced by another with the same bytes. No etcd quorum: 503.\n"
	"\n"
	"  -a, --address ADDR          listen address (default 127.0.0.1)\n"
	"  -p, --port PORT             listen port (default 6732; 0 picks a free one)\n"
	"      --box URL               a box, http://HOST:PORT (repeatable; each may hold\n"
	"                              any of the keys: the gateway asks them)\n"
	"      --etcd URL[,URL…]       the etcd cluster's client URLs (http:// or https://)\n"
	"      --etcd-cacert FILE      CA certificate of etcd's TLS server certificate\n"
	"      --etcd-cert FILE        client certificate for etcd\n"
	"      --etcd-key FILE         its private key\n"
	"      --etcd-prefix PREFIX    where the watermarks live in etcd (default\n"
	"                              /tzsigner/watermarks)\n"
	"      --etcd-timeout MS       bound on each etcd call per member (default 1000)\n"
	"  -A, --require-authentication\n"
	"                              also check ?authentication= here, against\n"
	"                              <base-dir>/authorized_keys, before etcd is touched\n"
	"  -d, --base-dir DIR          where authorized_keys is (default ~/.tzsigner)\n"
	"      --box-timeout MS        bound on each request to a box (default 5000)\n"
	"      --check-interval MS     between checks of the boxes (default 1000)\n"
	"      --max-connections N     concurrent connections (default 128)\n"
	"      --log-level LEVEL       error, warn, info (default) or debug\n"
	"\n"
	"Monitoring: GET /healthz, /statusz, /statusz/<pkh>, /metrics on the same port.\n";

enum { OPT_BOX = 256, OPT_ETCD, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_PREFIX, OPT_ETCD_TIMEOUT,
       OPT_BOX_TIMEOUT, OPT_INTERVAL, OPT_MAXCONN, OPT_LOG };

static const struct option options[] = {
	{ "address", required_argument, NULL, 'a' },
	{ "port", required_argument, NULL, 'p' },
	{ "box", required_argument, NULL, OPT_BOX },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "etcd-cacert", required_argument, NULL, OPT_CACERT },
	{ "etcd-cert", required_argument, NULL, OPT_CERT },
	{ "etcd-key", required_argument, NULL, OPT_KEY },
	{ "etcd-prefix", required_argument, NULL, OPT_PREFIX },
	{ "etcd-timeout", required_argument, NULL, OPT_ETCD_TIMEOUT },
	{ "require-authentication", no_argument, NULL, 'A' },
	{ "base-dir", required_argument, NULL, 'd' },
	{ "box-timeout", required_argument, NULL, OPT_BOX_TIMEOUT },
	{ "check-interval", required_argument, NULL, OPT_INTERVAL },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	struct gateway_config cfg;
	const char *boxes[GW_MAX_BOXES + 1];
	size_t nbox;
	const char *etcd;
	struct gw_tls tls;
	unsigned etcd_timeout_ms, box_timeout_ms, interval_ms;
	const char *base_dir;
};

static int bad(const char *what, const char *value)
{
	fprintf(stderr, "tzsigner gateway: %s '%s' is not valid (see tzsigner gateway --help)\n", what,
		value);
	return EXIT_USAGE;
}

static int parse(int argc, char **argv, struct opts *o)
{
	unsigned port = 6732;
	int c;
	while ((c = getopt_long(argc, argv, "a:p:Ad:h", options, NULL)) != -1) {
		switch (c) {
		case 'a': o->cfg.address = optarg; break;
		case 'p': if (!parse_uint(optarg, 0, 65535, &port)) return bad("--port", optarg); break;
		case OPT_BOX:
			if (o->nbox == GW_MAX_BOXES) return bad("--box (too many)", optarg);
			o->boxes[o->nbox++] = optarg;
			break;
		case OPT_ETCD: o->etcd = optarg; break;
		case OPT_CACERT: o->tls.cacert = optarg; break;
		case OPT_CERT: o->tls.cert = optarg; break;
		case OPT_KEY: o->tls.key = optarg; break;
		case OPT_PREFIX:
			if (optarg[0] != '/' || strlen(optarg) >= GW_PREFIX_MAX) return bad("--etcd-prefix", optarg);
			snprintf(o->cfg.etcd_prefix, sizeof(o->cfg.etcd_prefix), "%s", optarg);
			break;
		case OPT_ETCD_TIMEOUT: if (!parse_uint(optarg, 10, 60000, &o->etcd_timeout_ms)) return bad("--etcd-timeout", optarg); break;
		case OPT_BOX_TIMEOUT: if (!parse_uint(optarg, 10, 600000, &o->box_timeout_ms)) return bad("--box-timeout", optarg); break;
		case OPT_INTERVAL: if (!parse_uint(optarg, 50, 600000, &o->interval_ms)) return bad("--check-interval", optarg); break;
		case OPT_MAXCONN: if (!parse_uint(optarg, 1, 4096, &o->cfg.max_connections)) return bad("--max-connections", optarg); break;
		case OPT_LOG: {
			enum log_level l;
			if (!log_parse_level(optarg, &l)) return bad("--log-level", optarg);
			log_set_level(l);
			break;
		}
		case 'A': o->cfg.require_auth = true; break;
		case 'd': o->base_dir = optarg; break;
		case 'h': fputs(usage, stdout); return -1;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) return bad("argument", argv[optind]);
	if (o->nbox == 0 || !o->etcd) {
		fprintf(stderr, "tzsigner gateway: --box URL and --etcd URL are required\n%s", usage);
		return EXIT_USAGE;
	}
	if ((o->tls.cert != NULL) != (o->tls.key != NULL)) {
		fprintf(stderr, "tzsigner gateway: --etcd-cert and --etcd-key go together\n");
		return EXIT_USAGE;
	}
	o->cfg.port = (uint16_t)port;
	return 0;
}

static int run(struct opts *o)
{
	struct err e = { 0 };
	struct etcd etcd;
	struct gw_boxes boxes;
	struct gw_metrics metrics;
	static struct gw_wm_cache wm_cache; /* 80 KiB: not on the stack */
	struct gateway gw = { .config = o->cfg, .etcd = &etcd, .wm_cache = &wm_cache, .boxes = &boxes,
			      .metrics = &metrics };
	char dirbuf[4096];
	const char *dir = o->base_dir ? o->base_dir : cmd_default_base_dir(dirbuf, sizeof(dirbuf));
	if (!etcd_init(&etcd, o->etcd, &o->tls, o->etcd_timeout_ms, &e))
		return cmd_fail("gateway", &e);
	if (o->cfg.require_auth && !auth_keys_load(&gw.auth, dir, &e))
		return cmd_fail("gateway", &e);
	if (o->cfg.require_auth && gw.auth.count == 0) {
		fprintf(stderr, "tzsigner gateway: -A given but %s/authorized_keys lists no key (add one with `tzsigner keys authorize`)\n", dir);
		return EXIT_FAILURE;
	}
	if (!gw_boxes_init(&boxes, o->boxes, o->nbox, o->interval_ms, 1000, &e)) {
		auth_keys_free(&gw.auth);
		return cmd_fail("gateway", &e);
	}
	/* Signals are taken by the main thread (sigwait), none by the others. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	gw_metrics_init(&metrics);
	gw_wm_cache_init(&wm_cache);
	int rc = EXIT_FAILURE;
	if (!gw_http_global_init(&e))
		goto out_metrics;
	gw_boxes_check_all(&boxes);
	if (!gw_boxes_start(&boxes, &e))
		goto out_http;
	if (!gateway_start(&gw, &e))
		goto out_boxes;
	log_info("event=listening address=%s port=%u boxes=%zu etcd=%s prefix=%s auth=%s", o->cfg.address,
		 gw.port, o->nbox, o->etcd, o->cfg.etcd_prefix, o->cfg.require_auth ? "on" : "off");
	int sig = 0;
	sigwait(&stop, &sig);
	log_info("event=stopping signal=%d", sig);
	gateway_stop(&gw);
	rc = EXIT_SUCCESS;
out_boxes:
	gw_boxes_stop(&boxes);
out_http:
	gw_http_global_cleanup();
out_metrics:
	if (rc != EXIT_SUCCESS)
		cmd_fail("gateway", &e);
	gw_metrics_free(&metrics);
	gw_wm_cache_free(&wm_cache);
	gw_boxes_free(&boxes);
	auth_keys_free(&gw.auth);
	return rc;
}

int cmd_gateway(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "render") == 0)
		return cmd_gateway_render(argc - 1, argv + 1);
	struct opts o = { .cfg = { .address = "127.0.0.1", .max_connections = 128,
				   .etcd_prefix = "/tzsigner/watermarks" },
			  .etcd_timeout_ms = 1000, .box_timeout_ms = 5000, .interval_ms = 1000 };
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_SUCCESS : rc;
	o.cfg.box_timeout_ms = o.box_timeout_ms;
	return run(&o);
}
