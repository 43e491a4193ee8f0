/* main.c - tzsigner: the subcommand table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_secure.h"
#include "base/version.h"
#include "cmd/cmd.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *description;
} subcommands[] = {
	{ "serve", cmd_serve, "the signer daemon: octez-compatible HTTP API, health and metrics" },
	{ "keys", cmd_keys, "generate, import, list, show and remove keys (octez base-dir format); authorize clients" },
	{ "watermarks", cmd_watermarks, "list, export, import the high watermarks, or move one by hand" },
	{ "tunnel", cmd_tunnel, "keep the outbound SSH reverse tunnel to the cloud endpoint up" },
	{ "ledger", cmd_ledger, "Ledger devices: list, show a key, setup, high watermarks" },
	{ "forwarder", cmd_forwarder, "the cloud endpoint: render and run the multi-box SSH forwarder (sshd)" },
	{ "status", cmd_status, "one screen for a running box (its keys, Ledger, tunnel, uplink, power)" },
	{ "gateway", cmd_gateway, "the cloud gateway: several boxes, one baker, a high watermark shared in etcd" },
	{ "front", cmd_front, "(internal) the network front `serve` starts; not for direct use" },
	{ "help", cmd_help, "this list, or `tzsigner help CMD` for one subcommand" },
	{ "version", cmd_version, "print the version" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void list_subcommands(FILE *out)
{
	fprintf(out, "usage: tzsigner COMMAND [options]   (tzsigner COMMAND --help for details)\n\n"
		     "A Tezos remote signer for a box next to a Ledger, serving a baker in the cloud.\n\n");
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(out, "  %-11s %s\n", subcommands[i].name, subcommands[i].description);
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
			if (strcmp(argv[1], subcommands[i].name) == 0 && subcommands[i].fn != cmd_help) {
				char *sub_argv[] = { argv[1], (char *)"--help", NULL };
				return subcommands[i].fn(2, sub_argv);
			}
		}
		fprintf(stderr, "tzsigner help: no subcommand '%s'\n", argv[1]);
		list_subcommands(stderr);
		return EXIT_USAGE;
	}
	list_subcommands(stdout);
	return EXIT_SUCCESS;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("tzsigner %s\n", TZSIGNER_VERSION);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	json_secure_init();
	if (argc < 2) {
		list_subcommands(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv);
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		if (strcmp(argv[1], subcommands[i].name) == 0)
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "tzsigner: unknown command '%s'\n", argv[1]);
	list_subcommands(stderr);
	return EXIT_USAGE;
}
