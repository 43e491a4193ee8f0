/* libFuzzer target: the tunnel's config file parser, and what it feeds
 * (the ssh command line builder, the host key and address parsers).
 * Invariants: no crash, no leak, and whatever parses builds an ssh
 * command line with no control character in any word. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tunnel/config.h"
#include "../src/tunnel/sshargs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tunnel_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > TUNNEL_CONFIG_MAX + 16)
		return 0;
	struct err e = { 0 };
	tunnel_config_defaults(&cfg);
	if (tunnel_config_parse(&cfg, (const char *)data, size, "fuzz.conf", &e) &&
	    cfg.n_host_key_files == 0 && tunnel_config_check(&cfg, &e)) {
		struct ssh_argv a;
		struct ssh_plan plan = { .self_exe = "/usr/bin/tzsigner",
					 .known_hosts = "/run/tzsigner-tunnel/known_hosts",
					 .probe_socket = cfg.probe_interval_s ? "/run/tzsigner-tunnel/probe.sock"
									      : NULL };
		if (tunnel_ssh_argv_build(&cfg, &plan, &a, &e)) {
			for (size_t i = 0; i < a.n; i++)
				for (const char *p = a.v[i]; *p; p++)
					if ((unsigned char)*p < 0x20)
						abort();
			/* the destination is the endpoint host, never an option */
			if (a.v[a.n - 1][0] == '-')
				abort();
			tunnel_ssh_argv_free(&a);
		}
		char kh[TUNNEL_MAX_HOST_KEYS * (TUNNEL_HOST_KEY_MAX + 80)];
		if (!tunnel_known_hosts_text(&cfg, kh, sizeof(kh), &e))
			abort();
	}
	/* The raw bytes as one value for the single-value parsers. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char key[TUNNEL_HOST_KEY_MAX];
	if (tunnel_host_key_parse(s, key, sizeof(key), &e) && !strchr(key, ' '))
		abort();
	struct host_port hp;
	if (tunnel_parse_host_port(s, 22, &hp, &e) && (hp.port == 0 || hp.host[0] == '-'))
		abort();
	free(s);
	return 0;
}
