/* Unit tests of src/tunnel/sshargs.c: the ssh command line. */
#include <stdio.h>
#include <string.h>

#include "../../src/tunnel/sshargs.h"
#include "harness.h"

#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOJwnP2CQ/8HEtGW3ra+1WJffIGsGrqQYnb27f2Z0n+e"
#define RSA_KEY                                                                                 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+3Y3LZLgrfcjWgAgCygSdGEFYbelzQXPYujs2eipeiZ4qwNs7h2qp" \
	"8xImGDCugIeGrmCJPhpOVBpFyRwgVURDOs5KprV/MdUd+0PaTA7BS02CAHhnstn0bBv9A1ygw5/Jr0am4KdYBL73a2H" \
	"AMwGhpxNtqwpp0pyP+COU+yTeyQ=="

static struct tunnel_config cfg;

static void base_config(void)
{
	struct err e = { 0 };
	tunnel_config_defaults(&cfg);
	tunnel_config_set(&cfg, "endpoint", "tunnel.example.net:2222", &e);
	tunnel_config_set(&cfg, "identity", "/var/lib/tzsigner-tunnel/id_ed25519", &e);
	tunnel_config_set(&cfg, "host-key", ED_KEY, &e);
	tunnel_config_set(&cfg, "remote-port", "7001", &e);
}

/* Index of the word after "-o NAME=…", or of a bare word; -1 when absent. */
static int find(const struct ssh_argv *a, const char *word)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], word) == 0)
			return (int)i;
	return -1;
}

static bool has_option(const struct ssh_argv *a, const char *opt)
{
	for (size_t i = 1; i < a->n; i++)
		if (strcmp(a->v[i - 1], "-o") == 0 && strcmp(a->v[i], opt) == 0)
			return true;
	return false;
}

static const char *option_value(const struct ssh_argv *a, const char *name)
{
	size_t l = strlen(name);
	for (size_t i = 1; i < a->n; i++)
		if (strcmp(a->v[i - 1], "-o") == 0 && strncmp(a->v[i], name, l) == 0 &&
		    a->v[i][l] == '=')
			return a->v[i] + l + 1;
	return NULL;
}

TEST(tunnel_sshargs_the_contract_options)
{
	base_config();
	struct ssh_argv a;
	struct err e = { 0 };
	struct ssh_plan plan = { .self_exe = "/usr/bin/tzsigner", .known_hosts = "/run/t/known_hosts" };
	CHECK(tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	CHECK_STR(a.v[0], "ssh");
	CHECK(a.v[a.n] == NULL);
	CHECK(find(&a, "-N") > 0 && find(&a, "-T") > 0);
	CHECK(find(&a, "-F") > 0 && strcmp(a.v[find(&a, "-F") + 1], "none") == 0);
	CHECK(has_option(&a, "BatchMode=yes"));
	CHECK(has_option(&a, "ExitOnForwardFailure=yes"));
	CHECK(has_option(&a, "ServerAliveInterval=5"));
	CHECK(has_option(&a, "ServerAliveCountMax=3"));
	CHECK(has_option(&a, "IdentitiesOnly=yes"));
	CHECK(has_option(&a, "IdentityFile=/var/lib/tzsigner-tunnel/id_ed25519"));
	CHECK(has_option(&a, "IdentityAgent=none"));
	CHECK(has_option(&a, "StrictHostKeyChecking=yes"));
	CHECK(has_option(&a, "UserKnownHostsFile=/run/t/known_hosts"));
	CHECK(has_option(&a, "GlobalKnownHostsFile=/dev/null"));
	CHECK(has_option(&a, "HostKeyAlias=tzsigner-endpoint"));
	CHECK(has_option(&a, "HostKeyAlgorithms=ssh-ed25519"));
	CHECK(has_option(&a, "UpdateHostKeys=no"));
	CHECK(has_option(&a, "ProxyUseFdpass=yes"));
	CHECK(has_option(&a, "PasswordAuthentication=no"));
	CHECK(has_option(&a, "LogLevel=INFO"));
	CHECK_STR(option_value(&a, "LogVerbose"), tunnel_ssh_log_verbose);
	CHECK_STR(option_value(&a, "ProxyCommand"),
		  "/usr/bin/tzsigner tunnel proxy --connect-timeout 10000 --user-timeout 15000 "
		  "--keepalive 5,5,3 --bind-uplink tunnel.example.net 2222");
	int r1 = find(&a, "-R");
	CHECK(r1 > 0);
	CHECK_STR(a.v[r1 + 1], "7001:127.0.0.1:6732");
	CHECK_STR(a.v[r1 + 2], "-R");
	CHECK_STR(a.v[r1 + 3], "8001:127.0.0.1:22");
	CHECK(find(&a, "-L") < 0);
	/* the destination comes last, after "--" */
	CHECK_STR(a.v[a.n - 1], "tunnel.example.net");
	CHECK_STR(a.v[a.n - 2], "--");
	CHECK_STR(a.v[a.n - 3], "2222");
	CHECK_STR(a.v[a.n - 4], "-p");
	CHECK_STR(a.v[a.n - 5], "tzsigner");
	CHECK_STR(a.v[a.n - 6], "-l");
	tunnel_ssh_argv_free(&a);
	CHECK(a.n == 0);
}

TEST(tunnel_sshargs_probe_bind_ipv6_and_settings)
{
	base_config();
	struct err e = { 0 };
	CHECK(tunnel_config_set(&cfg, "signer", "[::1]:6732", &e));
	CHECK(tunnel_config_set(&cfg, "ssh", "127.0.0.1:2200", &e));
	CHECK(tunnel_config_set(&cfg, "remote-bind", "0.0.0.0", &e));
	CHECK(tunnel_config_set(&cfg, "endpoint", "[2001:db8::7]", &e));
	CHECK(tunnel_config_set(&cfg, "alive-interval", "2", &e));
	CHECK(tunnel_config_set(&cfg, "alive-count", "2", &e));
	CHECK(tunnel_config_set(&cfg, "user-timeout", "3500", &e));
	CHECK(tunnel_config_set(&cfg, "user", "box-7", &e));
	CHECK(tunnel_config_set(&cfg, "host-key-alias", "cloud.tzs", &e));
	CHECK(tunnel_config_set(&cfg, "ssh-command", "/opt/openssh/bin/ssh", &e));
	CHECK(tunnel_config_set(&cfg, "host-key", RSA_KEY, &e));
	CHECK(tunnel_config_set(&cfg, "follow-uplink", "no", &e));
	struct ssh_argv a;
	struct ssh_plan plan = { .self_exe = "/opt/tz signer/it's%here",
				 .known_hosts = "/run/t/known_hosts",
				 .probe_socket = "/run/t/probe.sock" };
	CHECK(tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	CHECK_STR(a.v[0], "/opt/openssh/bin/ssh");
	int r1 = find(&a, "-R");
	CHECK(r1 > 0);
	CHECK_STR(a.v[r1 + 1], "0.0.0.0:7001:[::1]:6732");
	/* the box's own sshd is never bound beyond the endpoint's loopback */
	CHECK_STR(a.v[r1 + 3], "8001:127.0.0.1:2200");
	int l = find(&a, "-L");
	CHECK(l > 0);
	CHECK_STR(a.v[l + 1], "/run/t/probe.sock:localhost:7001");
	CHECK(has_option(&a, "ServerAliveInterval=2"));
	CHECK(has_option(&a, "HostKeyAlias=cloud.tzs"));
	CHECK(has_option(&a, "HostKeyAlgorithms=ssh-ed25519,rsa-sha2-512,rsa-sha2-256"));
	/* the self path: shell-quoted, ' escaped, % doubled for ssh */
	CHECK_STR(option_value(&a, "ProxyCommand"),
		  "'/opt/tz signer/it'\\''s%%here' tunnel proxy --connect-timeout 10000 "
		  "--user-timeout 3500 --keepalive 2,2,2 2001:db8::7 22");
	CHECK_STR(a.v[a.n - 1], "2001:db8::7");
	CHECK_STR(a.v[a.n - 5], "box-7");
	tunnel_ssh_argv_free(&a);
}

TEST(tunnel_sshargs_must_fail)
{
	struct ssh_argv a;
	struct err e = { 0 };
	struct ssh_plan plan = { .self_exe = "/usr/bin/tzsigner", .known_hosts = "/run/t/known_hosts" };
	tunnel_config_defaults(&cfg);
	CHECK(!tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	CHECK(a.n == 0);
	CHECK(strstr(e.msg, "no endpoint"));
	base_config();
	struct ssh_plan bad = { .self_exe = "/usr/bin/tzsigner", .known_hosts = "/run/my dir/kh" };
	CHECK(!tunnel_ssh_argv_build(&cfg, &bad, &a, &e));
	CHECK(strstr(e.msg, "/run/my dir/kh"));
	struct ssh_plan none = { .self_exe = NULL, .known_hosts = "/run/t/kh" };
	CHECK(!tunnel_ssh_argv_build(&cfg, &none, &a, &e));
	/* host key files must be loaded first */
	CHECK(tunnel_config_set(&cfg, "host-key", "/etc/endpoint.pub", &e));
	CHECK(!tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	CHECK(strstr(e.msg, "not loaded"));
}

TEST(tunnel_sshargs_known_hosts_and_quoting)
{
	base_config();
	struct err e = { 0 };
	CHECK(tunnel_config_set(&cfg, "host-key", RSA_KEY, &e));
	char text[8192];
	CHECK(tunnel_known_hosts_text(&cfg, text, sizeof(text), &e));
	CHECK_STR(text, "tzsigner-endpoint " ED_KEY "\ntzsigner-endpoint " RSA_KEY "\n");
	char small[16];
	CHECK(!tunnel_known_hosts_text(&cfg, small, sizeof(small), &e));
	char q[64];
	CHECK(tunnel_shell_quote(q, sizeof(q), "plain/path-1.2", true));
	CHECK_STR(q, "plain/path-1.2");
	CHECK(tunnel_shell_quote(q, sizeof(q), "a b", false));
	CHECK_STR(q, "'a b'");
	CHECK(tunnel_shell_quote(q, sizeof(q), "it's", false));
	CHECK_STR(q, "'it'\\''s'");
	CHECK(tunnel_shell_quote(q, sizeof(q), "100%", true));
	CHECK_STR(q, "'100%%'");
	CHECK(tunnel_shell_quote(q, sizeof(q), "$(x)`y`", false));
	CHECK_STR(q, "'$(x)`y`'");
	CHECK(tunnel_shell_quote(q, sizeof(q), "", false));
	CHECK_STR(q, "''");
	CHECK(!tunnel_shell_quote(q, 4, "abcdef", false));
	struct ssh_argv a = { .n = 3, .v = { (char *)"ssh", (char *)"-o", (char *)"X=a b", NULL } };
	char line[64];
	CHECK(tunnel_argv_to_text(&a, line, sizeof(line)));
	CHECK_STR(line, "ssh -o 'X=a b'");
	CHECK(!tunnel_argv_to_text(&a, line, 8));
}

/* serve --socket tcp://… forwarded too: a third -R, only when asked for. */
TEST(tunnel_sshargs_socket_protocol_port)
{
	base_config();
	struct ssh_argv a;
	struct err e = { 0 };
	struct ssh_plan plan = { .self_exe = "/usr/bin/tzsigner", .known_hosts = "/run/t/known_hosts" };
	CHECK(tunnel_config_set(&cfg, "socket-remote-port", "9001", &e));
	CHECK(tunnel_config_check(&cfg, &e));
	CHECK(tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	int r = find(&a, "9001:127.0.0.1:7732");
	CHECK(r > 0 && strcmp(a.v[r - 1], "-R") == 0);
	tunnel_ssh_argv_free(&a);
	CHECK(tunnel_config_set(&cfg, "socket-signer", "127.0.0.1:7800", &e));
	CHECK(tunnel_ssh_argv_build(&cfg, &plan, &a, &e));
	CHECK(find(&a, "9001:127.0.0.1:7800") > 0);
	tunnel_ssh_argv_free(&a);
	/* must fail: a port the other forwards use, or out of range */
	CHECK(tunnel_config_set(&cfg, "socket-remote-port", "7001", &e));
	CHECK(!tunnel_config_check(&cfg, &e) && strstr(e.msg, "socket-remote-port"));
	CHECK(tunnel_config_set(&cfg, "socket-remote-port", "8001", &e));
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(!tunnel_config_set(&cfg, "socket-remote-port", "0", &e));
	CHECK(!tunnel_config_set(&cfg, "socket-remote-port", "65536", &e));
	CHECK(!tunnel_config_set(&cfg, "socket-signer", "127.0.0.1", &e));
}
