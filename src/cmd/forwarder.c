/* forwarder.c - `tzsigner forwarder`: the cloud endpoint (render, run, check). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/parse.h"
#include "../base/file.h"
#include "../base/log.h"
#include "../forwarder/k8s.h"
#include "../forwarder/render.h"
#include "../forwarder/serve.h"
#include "../forwarder/signers.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner forwarder render --signers FILE --host-key FILE --out DIR [options]\n"
	"       tzsigner forwarder render --k8s --signers FILE --out DIR [--host-key FILE] [k8s options]\n"
	"       tzsigner forwarder run --signers FILE --host-key FILE --out DIR [options]\n"
	"       tzsigner forwarder check --signers FILE [--k8s] [--listen ADDR:PORT] [--metrics ADDR:PORT]\n"
	"       tzsigner forwarder status [--url HOST:PORT] [--json]\n"
	"\n"
	"The cloud endpoint: one OpenSSH sshd serving several signer boxes. Each box is\n"
	"a line `NAME PORT SSH_PUBLIC_KEY` of the signers file; it may listen on its\n"
	"port P (its signer) and P+1000 (its own sshd), and on Q with socket=Q, and\n"
	"nothing else.\n"
	"\n"
	"  status   every box at a glance, from a running forwarder's exporter\n"
	"  render   write DIR/sshd_config, DIR/authorized_keys and the host key files\n"
	"           (with --k8s: the Kubernetes objects instead)\n"
	"  run      render, then serve: accept SSH connections on --listen, set\n"
	"           TCP_NODELAY, keepalive and TCP_USER_TIMEOUT on each and run\n"
	"           `sshd -i` on it; check each box through its tunnel; export\n"
	"           metrics and status on --metrics (the container's entrypoint)\n"
	"  check    parse and validate the signers file (and its ports against the SSH\n"
	"           and metrics ports; with --k8s, that every box names its bakers),\n"
	"           print OK or the first error\n"
	"\n"
	"  -s, --signers FILE             the boxes, one a line: NAME PORT [socket=Q]\n"
	"                                 [statusz=PKH] [bakers=NAMESPACE:LABEL=VALUE,...]\n"
	"                                 SSH_PUBLIC_KEY; socket=Q also lets the box listen\n"
	"                                 on Q, its octez socket protocol (tunnel\n"
	"                                 --socket-remote-port Q; in Kubernetes a port\n"
	"                                 \"socket\" of its Service: tcp://tzsigner-NAME:Q)\n"
	"  -k, --host-key FILE            the endpoint's OpenSSH private host key (unencrypted);\n"
	"                                 keep it: a rebuilt endpoint with it is the same host\n"
	"  -o, --out DIR                  where rendered files go (created 0755; it and its\n"
	"                                 parents must not be group/world-writable: sshd\n"
	"                                 StrictModes)\n"
	"  -l, --listen ADDR:PORT         SSH listen address (default 0.0.0.0:2222)\n"
	"      --user NAME                the account boxes log in as (default: tzsigner,\n"
	"                                 the tunnel's default, when run as root; else the\n"
	"                                 user running the forwarder, which it must be)\n"
	"      --forward-bind MODE        loopback (default): forwarded ports listen on\n"
	"                                 127.0.0.1 only; signer (Kubernetes, where Services\n"
	"                                 reach the pod's IP): a box's P and Q on 0.0.0.0 (the\n"
	"                                 box asks for it: tunnel remote-bind 0.0.0.0), its\n"
	"                                 P+1000 on loopback only; any: all on every address\n"
	"      --permit-self-probe        let each box open a local forward to its own P (the\n"
	"                                 tunnel's probe-interval); otherwise remote only\n"
	"      --alive-interval SEC       ClientAliveInterval and TCP keepalive (default 5)\n"
	"      --alive-count N            ClientAliveCountMax (default 3)\n"
	"      --login-grace SEC          LoginGraceTime: a connection not logged in by then\n"
	"                                 is ended (default 10)\n"
	"      --max-startups S:R:F       unauthenticated connections: from S on, a new one\n"
	"                                 from a source already holding one is dropped with\n"
	"                                 probability R% rising to 100% at F; at F a newcomer\n"
	"                                 replaces the oldest (over 2 s) of a source holding\n"
	"                                 more than its own, or is dropped (default 10:30:40)\n"
	"      --max-unauthenticated N    the same as --max-startups N (all dropped at N)\n"
	"      --per-source N             unauthenticated connections per source (default 3)\n"
	"      --per-source-netblock V4[:V6]  a source is an address masked to these bits\n"
	"                                 (default 32:128)\n"
	"      --sshd PATH                sshd binary (default /usr/sbin/sshd)\n"
	"      --check                    render: also run `sshd -t` on the result\n"
	"\n"
	"run only:\n"
	"  -m, --metrics ADDR:PORT|off    health exporter (default 127.0.0.1:9732): /metrics,\n"
	"                                 /status, /ready/NAME, /readyz, /healthz\n"
	"      --max-connections N        concurrent connections (default 512)\n"
	"      --probe-interval SEC       check each box through its tunnel this often (default 5)\n"
	"      --probe-timeout MS         (default 3000)\n"
	"      --user-timeout MS          TCP_USER_TIMEOUT (default (alive-count+1)*alive-interval s)\n"
	"      --log-level LEVEL          error, warn, info (default) or debug\n"
	"\n"
	"render --k8s only:\n"
	"      --k8s                      render: the Kubernetes objects instead of the sshd\n"
	"                                 files; check: also that every box names its bakers\n"
	"      --namespace NS             put the objects in this namespace\n"
	"      --image IMAGE              the forwarder image (default tzsigner-forwarder:latest)\n"
	"      --lb-port PORT             the LoadBalancer's SSH port (default 22)\n"
	"      --with-secret              also write secret.yaml with the host key (mode 0600;\n"
	"                                 do not commit it)\n"
	"  cluster knobs (each may be repeated, up to 16 times):\n"
	"      --label KEY=VALUE          an extra label on every object and on the pod\n"
	"      --lb-annotation KEY=VALUE  an annotation of the SSH LoadBalancer (your cloud's\n"
	"                                 load balancer type, internal/external, ...)\n"
	"      --lb-source-range CIDR     only these sources reach the SSH LoadBalancer (its\n"
	"                                 loadBalancerSourceRanges, and the NetworkPolicy)\n"
	"      --node-selector KEY=VALUE  run the pod on nodes with this label\n"
	"      --toleration KEY[=VALUE]:EFFECT  tolerate this taint (NoSchedule,\n"
	"                                 PreferNoSchedule or NoExecute)\n"
	"      --priority-class NAME      the pod's priorityClassName\n"
	"      --monitoring-from NAMESPACE:LABEL=VALUE[,...]  pods that may reach every\n"
	"                                 box's P to scrape its /metrics (up to 4)\n"
	"\n"
	"SIGTERM/SIGINT stop `run` and its sshd children; SIGHUP, or a change of the\n"
	"signers file (watched with inotify), renders again in place.\n";

enum {
	OPT_USER = 256, OPT_FWD_BIND, OPT_SELF_PROBE, OPT_ALIVE_INT, OPT_ALIVE_CNT, OPT_GRACE, OPT_SSHD,
	OPT_CHECK, OPT_MAX_UNAUTH, OPT_MAX_CONN, OPT_PROBE_INT, OPT_PROBE_TO, OPT_UTO, OPT_LOGLEVEL,
	OPT_STARTUPS, OPT_PER_SOURCE, OPT_NETBLOCK, OPT_KNOB, OPT_K8S, OPT_NS, OPT_IMAGE, OPT_LB_PORT, OPT_SECRET,
};

static const struct option options[] = {
	{ "signers", required_argument, NULL, 's' },
	{ "host-key", required_argument, NULL, 'k' },
	{ "out", required_argument, NULL, 'o' },
	{ "listen", required_argument, NULL, 'l' },
	{ "metrics", required_argument, NULL, 'm' },
	{ "user", required_argument, NULL, OPT_USER },
	{ "forward-bind", required_argument, NULL, OPT_FWD_BIND },
	{ "permit-self-probe", no_argument, NULL, OPT_SELF_PROBE },
	{ "alive-interval", required_argument, NULL, OPT_ALIVE_INT },
	{ "alive-count", required_argument, NULL, OPT_ALIVE_CNT },
	{ "login-grace", required_argument, NULL, OPT_GRACE },
	{ "sshd", required_argument, NULL, OPT_SSHD },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "max-unauthenticated", required_argument, NULL, OPT_MAX_UNAUTH },
	{ "max-startups", required_argument, NULL, OPT_STARTUPS },
	{ "per-source", required_argument, NULL, OPT_PER_SOURCE },
	{ "per-source-netblock", required_argument, NULL, OPT_NETBLOCK },
	{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
	{ "probe-interval", required_argument, NULL, OPT_PROBE_INT },
	{ "probe-timeout", required_argument, NULL, OPT_PROBE_TO },
	{ "user-timeout", required_argument, NULL, OPT_UTO },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "k8s", no_argument, NULL, OPT_K8S },
	{ "namespace", required_argument, NULL, OPT_NS },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "lb-port", required_argument, NULL, OPT_LB_PORT },
	{ "with-secret", no_argument, NULL, OPT_SECRET },
	{ "label", required_argument, NULL, OPT_KNOB },
	{ "lb-annotation", required_argument, NULL, OPT_KNOB },
	{ "lb-source-range", required_argument, NULL, OPT_KNOB },
	{ "node-selector", required_argument, NULL, OPT_KNOB },
	{ "toleration", required_argument, NULL, OPT_KNOB },
	{ "priority-class", required_argument, NULL, OPT_KNOB },
	{ "monitoring-from", required_argument, NULL, OPT_KNOB },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int bad_value(const char *opt, const char *value, const char *want)
{
	fprintf(stderr, "tzsigner forwarder: %s '%s' is not %s\n", opt, value, want);
	return EXIT_USAGE;
}

/* A box's socket port as check prints it ("-": none); static storage. */
static const char *socket_port_text(const struct signer *b)
{
	static char buf[8];
	if (!b->socket_port)
		return "-";
	snprintf(buf, sizeof(buf), "%u", (unsigned)b->socket_port);
	return buf;
}

static int do_check(const struct fwd_run_opts *o, const struct k8s_opts *k, bool k8s)
{
	struct signers s;
	struct err e = { 0 };
	const char *signers = o->render.signers_path;
	if (!signers_load(&s, signers, &e))
		return cmd_fail("forwarder check", &e);
	/* The same checks render and run make, so check says what they would. */
	if (!fwd_check_ports(&s, o->render.listen_port, o->render.metrics_port, &e) ||
	    (k8s && !k8s_opts_check(k, &s, &e))) {
		signers_free(&s);
		err_wrap(&e, "%s", signers);
		return cmd_fail("forwarder check", &e);
	}
	printf("%s: %zu box%s OK\n", signers, s.n, s.n == 1 ? "" : "es");
	for (size_t i = 0; i < s.n; i++)
		printf("  %-20s P=%-5u sshd=%-5u socket=%-5s %s %s bakers=%u\n", s.v[i].name,
		       (unsigned)s.v[i].port, (unsigned)s.v[i].port + SIGNER_PORT_OFFSET,
		       socket_port_text(&s.v[i]), sshkey_type_name(s.v[i].key.type), s.v[i].key.fingerprint,
		       s.v[i].n_bakers);
	signers_free(&s);
	return EXIT_SUCCESS;
}

static int do_render_k8s(const struct fwd_run_opts *o, struct k8s_opts *k)
{
	struct err e = { 0 };
	struct signers s;
	if (!o->render.signers_path || !o->render.out_dir) {
		fprintf(stderr, "tzsigner forwarder render --k8s: --signers and --out are required\n");
		return EXIT_USAGE;
	}
	if (!signers_load(&s, o->render.signers_path, &e))
		return cmd_fail("forwarder render", &e);
	char *key_text = NULL;
	size_t key_len = 0;
	struct sshkey *hk = NULL;
	char pub[SSHKEY_B64_MAX + 32];
	int rc = EXIT_FAILURE;
	bool with_secret = k->host_key_text != NULL;
	k->host_key_text = NULL;
	if (o->render.host_key_path) {
		hk = malloc(sizeof(*hk));
		if (!hk || !fwd_load_host_key(o->render.host_key_path, hk, with_secret ? &key_text : NULL,
					      &key_len, &e)) {
			if (!hk)
				err_set(&e, ERR_INTERNAL, "out of memory");
			cmd_fail("forwarder render", &e);
			goto out;
		}
		snprintf(pub, sizeof(pub), "%s %s", sshkey_type_name(hk->type), hk->b64);
		k->host_key_public = pub;
		k->host_key_text = key_text;
		k->host_key_len = key_len;
	} else if (with_secret) {
		fprintf(stderr, "tzsigner forwarder render: --with-secret needs --host-key\n");
		rc = EXIT_USAGE;
		goto out;
	}
	struct k8s_output out;
	if (!k8s_render(k, &s, &out, &e)) {
		cmd_fail("forwarder render", &e);
		goto out;
	}
	bool written = k8s_write(&out, o->render.out_dir, &e);
	if (written) {
		for (size_t i = 0; i < out.n; i++)
			printf("wrote %s/%s\n", o->render.out_dir, out.files[i].name);
		printf("boxes reach the endpoint at the Service tzsigner-forwarder-ssh, port %u; bakers use "
		       "http://tzsigner-NAME:P\n",
		       (unsigned)k->lb_port);
		rc = EXIT_SUCCESS;
	} else {
		cmd_fail("forwarder render", &e);
	}
	k8s_output_free(&out);
out:
	if (key_text)
		file_free(key_text, key_len);
	free(hk);
	signers_free(&s);
	return rc;
}

static int do_render(const struct fwd_run_opts *o, bool check)
{
	struct fwd_rendered r;
	struct err e = { 0 };
	if (!fwd_render(&o->render, &r, &e)) {
		fwd_rendered_free(&r);
		return cmd_fail("forwarder render", &e);
	}
	if (check && !fwd_sshd_test(o->sshd_path, r.config_path, &e)) {
		fwd_rendered_free(&r);
		return cmd_fail("forwarder render", &e);
	}
	printf("wrote %s, %s, %s and %s.pub for %zu box%s (login user %s)\n", r.config_path,
	       r.authorized_keys_path, r.host_key_out, r.host_key_out, r.signers.n,
	       r.signers.n == 1 ? "" : "es", r.user);
	printf("boxes pin this host key: %s %s\n", sshkey_type_name(r.host_key.type), r.host_key.b64);
	if (check)
		printf("sshd -t: OK\n");
	fwd_rendered_free(&r);
	return EXIT_SUCCESS;
}

int cmd_forwarder(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
	}
	const char *verb = argv[1];
	if (strcmp(verb, "status") == 0)
		return cmd_forwarder_status(argc - 1, argv + 1);
	bool is_render = strcmp(verb, "render") == 0, is_run = strcmp(verb, "run") == 0,
	     is_check = strcmp(verb, "check") == 0;
	if (!is_render && !is_run && !is_check) {
		fprintf(stderr, "tzsigner forwarder: unknown command '%s' (render, run, check or status)\n", verb);
		return EXIT_USAGE;
	}
	struct fwd_run_opts o;
	fwd_run_opts_defaults(&o);
	struct k8s_opts k;
	k8s_opts_defaults(&k);
	bool check = false, k8s = false, with_secret = false, metrics_set = false;
	struct err e = { 0 };
	unsigned v;
	int c;
	optind = 1;
	int li = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "s:k:o:l:m:h", options, &li)) != -1) {
		switch (c) {
		case 's': o.render.signers_path = optarg; break;
		case 'k': o.render.host_key_path = optarg; break;
		case 'o': o.render.out_dir = optarg; break;
		case 'l':
			if (!fwd_parse_addr(optarg, o.render.listen_host, sizeof(o.render.listen_host),
					    &o.render.listen_port, &e)) {
				cmd_fail("forwarder", &e);
				return EXIT_USAGE;
			}
			k.ssh_port = o.render.listen_port;
			break;
		case 'm':
			metrics_set = true;
			if (strcmp(optarg, "off") == 0) {
				o.render.metrics_port = 0;
				break;
			}
			if (!fwd_parse_addr(optarg, o.metrics_host, sizeof(o.metrics_host), &o.render.metrics_port,
					    &e)) {
				cmd_fail("forwarder", &e);
				return EXIT_USAGE;
			}
			k.metrics_port = o.render.metrics_port;
			break;
		case OPT_USER: o.render.user = optarg; break;
		case OPT_FWD_BIND:
			if (strcmp(optarg, "any") == 0)
				o.render.forward_bind = FWD_BIND_ANY;
			else if (strcmp(optarg, "signer") == 0)
				o.render.forward_bind = FWD_BIND_SIGNER;
			else if (strcmp(optarg, "loopback") == 0)
				o.render.forward_bind = FWD_BIND_LOOPBACK;
			else
				return bad_value("--forward-bind", optarg, "loopback, signer or any");
			break;
		case OPT_SELF_PROBE:
			o.render.self_probe = true;
			k.self_probe = true;
			break;
		case OPT_ALIVE_INT:
			if (!parse_uint(optarg, 1, 3600, &v))
				return bad_value("--alive-interval", optarg, "1 to 3600 seconds");
			o.render.alive_interval_s = k.alive_interval_s = v;
			break;
		case OPT_ALIVE_CNT:
			if (!parse_uint(optarg, 1, 100, &v))
				return bad_value("--alive-count", optarg, "1 to 100");
			o.render.alive_count = k.alive_count = v;
			break;
		case OPT_GRACE:
			if (!parse_uint(optarg, 1, 600, &v))
				return bad_value("--login-grace", optarg, "1 to 600 seconds");
			o.render.login_grace_s = v;
			break;
		case OPT_SSHD: o.sshd_path = optarg; break;
		case OPT_CHECK: check = true; break;
		case OPT_MAX_UNAUTH:
		case OPT_STARTUPS:
			if ((c == OPT_MAX_UNAUTH && strchr(optarg, ':')) ||
			    !admit_parse_startups(optarg, &o.render.admit, &e)) {
				cmd_fail("forwarder", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_PER_SOURCE:
			if (!parse_uint(optarg, 1, 10000, &o.render.admit.per_source))
				return bad_value("--per-source", optarg, "1 to 10000");
			break;
		case OPT_NETBLOCK:
			if (!admit_parse_netblock(optarg, &o.render.admit, &e)) {
				cmd_fail("forwarder", &e);
				return EXIT_USAGE;
			}
			break;
		case OPT_MAX_CONN:
			if (!parse_uint(optarg, 1, 100000, &o.max_connections))
				return bad_value("--max-connections", optarg, "1 to 100000");
			break;
		case OPT_PROBE_INT:
			if (!parse_uint(optarg, 1, 3600, &o.probe_interval_s))
				return bad_value("--probe-interval", optarg, "1 to 3600 seconds");
			break;
		case OPT_PROBE_TO:
			if (!parse_uint(optarg, 10, 60000, &o.probe_timeout_ms))
				return bad_value("--probe-timeout", optarg, "10 to 60000 ms");
			break;
		case OPT_UTO:
			if (!parse_uint(optarg, 100, 3600000, &o.user_timeout_ms))
				return bad_value("--user-timeout", optarg, "100 to 3600000 ms");
			break;
		case OPT_LOGLEVEL: {
			enum log_level lvl;
			if (!log_parse_level(optarg, &lvl))
				return bad_value("--log-level", optarg, "error, warn, info or debug");
			log_set_level(lvl);
			break;
		}
		case OPT_K8S: k8s = true; break;
		case OPT_NS: k.namespace = optarg; break;
		case OPT_IMAGE: k.image = optarg; break;
		case OPT_LB_PORT:
			if (!parse_uint(optarg, 1, 65535, &v))
				return bad_value("--lb-port", optarg, "1 to 65535");
			k.lb_port = (uint16_t)v;
			break;
		case OPT_SECRET: with_secret = true; break;
		case OPT_KNOB:
			if (!k8s_knob_add(&k.knobs, options[li].name, optarg, &e)) {
				cmd_fail("forwarder", &e);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "tzsigner forwarder: unexpected argument '%s'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (!fwd_path_is_safe(o.sshd_path)) {
		fprintf(stderr, "tzsigner forwarder: --sshd path '%s' has unexpected characters\n", o.sshd_path);
		return EXIT_USAGE;
	}
	if (is_check) {
		if (!o.render.signers_path) {
			fprintf(stderr, "tzsigner forwarder check: --signers is required\n");
			return EXIT_USAGE;
		}
		return do_check(&o, &k, k8s);
	}
	if (k8s) {
		if (!is_render) {
			fprintf(stderr, "tzsigner forwarder: --k8s goes with render\n");
			return EXIT_USAGE;
		}
		if (!metrics_set)
			k.metrics_port = 9732;
		k.host_key_text = with_secret ? "" : NULL; /* a flag until the key is read */
		return do_render_k8s(&o, &k);
	}
	if (!o.render.signers_path || !o.render.host_key_path || !o.render.out_dir) {
		fprintf(stderr, "tzsigner forwarder %s: --signers, --host-key and --out are required\n", verb);
		return EXIT_USAGE;
	}
	if (is_render)
		return do_render(&o, check);
	if (!fwd_run(&o, &e))
		return cmd_fail("forwarder run", &e);
	return EXIT_SUCCESS;
}
