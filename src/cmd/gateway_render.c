/* gateway_render.c - `tzsigner gateway render`: the gateway's Kubernetes
 * objects (src/gateway/k8s.h) on standard output. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/parse.h"
#include "../gateway/k8s.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner gateway render --box URL [--box URL…] [options] > gateway.yaml\n"
	"\n"
	"Print the gateway's Kubernetes objects: a Deployment (2 replicas), its\n"
	"PodDisruptionBudget and the Service the bakers use; with no --etcd, also a\n"
	"3-member etcd StatefulSet (a PersistentVolumeClaim each) and its headless Service.\n"
	"\n"
	"      --box URL            a box as the cluster reaches it, e.g. the forwarder's\n"
	"                           http://tzsigner-NAME:P (repeatable)\n"
	"      --etcd URL[,URL…]    use this existing etcd instead of rendering one\n"
	"      --namespace NS       namespace of every object\n"
	"      --image REF          the tzsigner image (default tzsigner:latest)\n"
	"      --etcd-image REF     etcd's image (default: the tzsigner image, which must\n"
	"                           then carry Debian's etcd-server)\n"
	"      --etcd-storage SIZE  each member's volume (default 1Gi)\n"
	"      --replicas N         gateway replicas (default 2)\n"
	"      --port PORT          the gateway's port (default 6732)\n"
	"  -A, --require-authentication\n"
	"                           run with -A, authorized_keys from the Secret\n"
	"                           tzsigner-gateway-authorized-keys\n";

static const struct option options[] = {
	{ "box", required_argument, NULL, 'b' },
	{ "etcd", required_argument, NULL, 'e' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "image", required_argument, NULL, 'i' },
	{ "etcd-image", required_argument, NULL, 'I' },
	{ "etcd-storage", required_argument, NULL, 's' },
	{ "replicas", required_argument, NULL, 'r' },
	{ "port", required_argument, NULL, 'p' },
	{ "require-authentication", no_argument, NULL, 'A' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int cmd_gateway_render(int argc, char **argv)
{
	struct gw_k8s_opts o;
	gw_k8s_defaults(&o);
	unsigned port = o.port;
	int c;
	while ((c = getopt_long(argc, argv, "Ah", options, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (o.nbox == GW_K8S_MAX_BOXES) {
				fprintf(stderr, "tzsigner gateway render: at most %d --box\n", GW_K8S_MAX_BOXES);
				return EXIT_USAGE;
			}
			o.boxes[o.nbox++] = optarg;
			break;
		case 'e': o.etcd_urls = optarg; break;
		case 'n': o.namespace = optarg; break;
		case 'i': o.image = optarg; break;
		case 'I': o.etcd_image = optarg; break;
		case 's': o.storage = optarg; break;
		case 'r':
			if (!parse_uint(optarg, 0, 100, &o.replicas)) {
				fprintf(stderr, "tzsigner gateway render: --replicas '%s' is not a number\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'p':
			if (!parse_uint(optarg, 1, 65535, &port)) {
				fprintf(stderr, "tzsigner gateway render: --port '%s' is not a port\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'A': o.require_auth = true; break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tzsigner gateway render: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}
	o.port = (uint16_t)port;
	struct err e = { 0 };
	if (!gw_k8s_render(&o, stdout, &e))
		return cmd_fail("gateway render", &e);
	return EXIT_SUCCESS;
}
