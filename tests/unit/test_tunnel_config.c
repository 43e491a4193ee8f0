/* Unit tests of src/tunnel/config.c: defaults, the setter, the config file
 * parser and its must-fail cases, host key parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/tunnel/config.h"
#include "harness.h"

#define ED_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOJwnP2CQ/8HEtGW3ra+1WJffIGsGrqQYnb27f2Z0n+e"
#define EC_KEY                                                                                  \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKzLKwQB2DZkLBLd+8x" \
	"EN8S4FhfKOqR8Ar6VsiL92n24C2FrZ8AQ+Cq3KhO2Od+Ik+Pef+6HlJgPCNhdhcgEtEA="
#define RSA_KEY                                                                                 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+3Y3LZLgrfcjWgAgCygSdGEFYbelzQXPYujs2eipeiZ4qwNs7h2qp" \
	"8xImGDCugIeGrmCJPhpOVBpFyRwgVURDOs5KprV/MdUd+0PaTA7BS02CAHhnstn0bBv9A1ygw5/Jr0am4KdYBL73a2H" \
	"AMwGhpxNtqwpp0pyP+COU+yTeyQ=="

static struct tunnel_config cfg;

static bool parse(const char *text, struct err *e)
{
	tunnel_config_defaults(&cfg);
	return tunnel_config_parse(&cfg, text, strlen(text), "t.conf", e);
}

TEST(tunnel_config_defaults_are_the_documented_ones)
{
	tunnel_config_defaults(&cfg);
	CHECK_STR(cfg.user, "tzsigner");
	CHECK_STR(cfg.signer.host, "127.0.0.1");
	CHECK(cfg.signer.port == 6732);
	CHECK_STR(cfg.box_ssh.host, "127.0.0.1");
	CHECK(cfg.box_ssh.port == 22);
	CHECK(cfg.endpoint.port == 22);
	CHECK(cfg.alive_interval_s == 5 && cfg.alive_count == 3);
	CHECK(cfg.backoff_min_ms == 1000 && cfg.backoff_max_ms == 30000);
	CHECK(cfg.probe_interval_s == 0);
	CHECK(cfg.follow_uplink);
	CHECK_STR(cfg.host_key_alias, "tzsigner-endpoint");
	CHECK(tunnel_user_timeout_ms(&cfg) == 15000);
	struct err e = { 0 };
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(strstr(e.msg, "no endpoint"));
}

TEST(tunnel_config_parses_a_full_file)
{
	struct err e = { 0 };
	const char *text = "# the box\n"
			   "endpoint = tunnel.example.net:2222\n"
			   "user tzs-box1\n"
			   "identity=/var/lib/tzsigner-tunnel/id_ed25519\n"
			   "\n"
			   "   host-key = \"" ED_KEY " root@cloud\"\n"
			   "host-key = cloud " EC_KEY "\n"
			   "remote-port = 7001\r\n"
			   "signer = [::1]:6732\n"
			   "ssh = 127.0.0.1:2200\n"
			   "state = /run/tzsigner-tunnel/state.json\n"
			   "alive-interval = 2\n"
			   "alive-count = 4\n"
			   "probe-interval = 30\n"
			   "follow-uplink = no\n"
			   "stable-after = 60\n"
			   "\t# indented comment\n";
	CHECK(parse(text, &e));
	CHECK_STR(cfg.endpoint.host, "tunnel.example.net");
	CHECK(cfg.endpoint.port == 2222);
	CHECK_STR(cfg.user, "tzs-box1");
	CHECK_STR(cfg.identity, "/var/lib/tzsigner-tunnel/id_ed25519");
	CHECK(cfg.n_host_keys == 2);
	CHECK_STR(cfg.host_keys[0], ED_KEY);
	CHECK_STR(cfg.host_keys[1], EC_KEY);
	CHECK(cfg.remote_port == 7001);
	CHECK_STR(cfg.signer.host, "::1");
	CHECK(cfg.signer.port == 6732);
	CHECK(cfg.box_ssh.port == 2200);
	CHECK(cfg.alive_interval_s == 2 && cfg.alive_count == 4);
	CHECK(tunnel_user_timeout_ms(&cfg) == 8000);
	CHECK(cfg.probe_interval_s == 30);
	CHECK(!cfg.follow_uplink);
	CHECK(cfg.stable_after_s == 60);
	CHECK(tunnel_config_check(&cfg, &e));
}

TEST(tunnel_config_host_port_forms)
{
	struct host_port hp;
	struct err e = { 0 };
	char buf[300];
	CHECK(tunnel_parse_host_port("example.net", 22, &hp, &e));
	CHECK(strcmp(hp.host, "example.net") == 0 && hp.port == 22);
	CHECK(tunnel_parse_host_port("10.0.0.1:2222", 22, &hp, &e) && hp.port == 2222);
	CHECK(tunnel_parse_host_port("[2001:db8::1]:443", 22, &hp, &e));
	CHECK_STR(hp.host, "2001:db8::1");
	CHECK(hp.port == 443);
	CHECK_STR(tunnel_host_port_str(&hp, buf, sizeof(buf)), "[2001:db8::1]:443");
	CHECK(tunnel_parse_host_port("2001:db8::1", 22, &hp, &e) && hp.port == 22);
	CHECK(tunnel_parse_host_port("[::1]", 22, &hp, &e) && hp.port == 22);
	/* must fail */
	CHECK(!tunnel_parse_host_port("", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("host:0", 22, &hp, &e));
	CHECK(strstr(e.msg, "port '0'"));
	CHECK(!tunnel_parse_host_port("host:65536", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("host:22x", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("host:", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port(":22", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("host", 0, &hp, &e));
	CHECK(strstr(e.msg, "port is required"));
	CHECK(!tunnel_parse_host_port("[::1", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("[example.net]:22", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("[::1]x", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("a;b:22", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("-oProxyCommand=x", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("$(reboot):22", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("host name:22", 22, &hp, &e));
	CHECK(!tunnel_parse_host_port("1:2:3:zz", 22, &hp, &e));
}

TEST(tunnel_config_host_keys)
{
	char out[TUNNEL_HOST_KEY_MAX];
	struct err e = { 0 };
	CHECK(tunnel_host_key_parse(ED_KEY, out, sizeof(out), &e));
	CHECK_STR(out, ED_KEY);
	CHECK(tunnel_host_key_parse(ED_KEY " a comment with spaces", out, sizeof(out), &e));
	CHECK_STR(out, ED_KEY);
	CHECK(tunnel_host_key_parse("[tunnel.example]:22 " ED_KEY, out, sizeof(out), &e));
	CHECK_STR(out, ED_KEY);
	CHECK(tunnel_host_key_parse("  \t" EC_KEY, out, sizeof(out), &e));
	CHECK_STR(out, EC_KEY);
	CHECK(tunnel_host_key_parse(RSA_KEY " root@vm", out, sizeof(out), &e));
	CHECK_STR(out, RSA_KEY);
	/* must fail */
	CHECK(!tunnel_host_key_parse("", out, sizeof(out), &e));
	CHECK(!tunnel_host_key_parse("ssh-ed25519", out, sizeof(out), &e));
	CHECK(strstr(e.msg, "missing"));
	CHECK(!tunnel_host_key_parse("ssh-dss AAAAB3NzaC1kc3M=", out, sizeof(out), &e));
	CHECK(!tunnel_host_key_parse("ssh-ed25519 AAAA!!!!", out, sizeof(out), &e));
	CHECK(strstr(e.msg, "base64"));
	/* an ed25519 type with an ECDSA blob */
	CHECK(!tunnel_host_key_parse(
		"ssh-ed25519 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBKzLKwQB2DZkLBLd+8xEN8S4"
		"FhfKOqR8Ar6VsiL92n24C2FrZ8AQ+Cq3KhO2Od+Ik+Pef+6HlJgPCNhdhcgEtEA=",
		out, sizeof(out), &e));
	CHECK(strstr(e.msg, "not a ssh-ed25519 key"));
	/* truncated: the ed25519 key without its last 4 base64 characters */
	CHECK(!tunnel_host_key_parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOJwnP2CQ/8HEtGW3ra+1WJffIGsGrqQYnb27f2Z",
				     out, sizeof(out), &e));
	/* data after padding */
	CHECK(!tunnel_host_key_parse("ssh-ed25519 AA==AAAA", out, sizeof(out), &e));
	/* a key of the right type, one byte short (31-byte key) */
	CHECK(!tunnel_host_key_parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAHwABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4=",
				     out, sizeof(out), &e));
	CHECK(strstr(e.msg, "malformed ssh-ed25519"));
	/* a trailing byte after the 32-byte key */
	CHECK(!tunnel_host_key_parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4fAA==",
				     out, sizeof(out), &e));
}

TEST(tunnel_config_must_fail)
{
	struct err e = { 0 };
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
		{ "bogus = 1\n", "t.conf:1: unknown setting 'bogus'" },
		{ "\n\nuser = a\nuser = b\n", "t.conf:4: 'user' is set twice" },
		{ "remote-port\n", "has no value" },
		{ "remote-port = \n", "has no value" },
		{ "remote-port = 0\n", "remote-port '0'" },
		{ "remote-port = 64536\n", "is not 1 to 64535" },
		{ "remote-port = -5\n", "remote-port" },
		{ "remote-port = 70x\n", "remote-port" },
		{ "remote-port = 99999999999999999999\n", "remote-port" },
		{ "endpoint = a b\n", "not a host name" },
		{ "endpoint = host:99999\n", "port '99999'" },
		{ "user = root;reboot\n", "only letters" },
		{ "user = -oProxyCommand\n", "not starting with '-'" },
		{ "user = abcdefghijklmnopqrstuvwxyz0123456789\n", "user" },
		{ "identity = /path with space\n", "a path may hold only" },
		{ "identity = /tmp/%d/key\n", "a path may hold only" },
		{ "identity = ~/key\n", "a path may hold only" },
		{ "identity = -F/etc/passwd\n", "must not start with '-'" },
		{ "host-key = ssh-ed25519 notbase64!!\n", "base64" },
		{ "host-key = /has'quote\n", "neither" },
		{ "alive-interval = 0\n", "alive-interval '0'" },
		{ "alive-count = 1000\n", "alive-count" },
		{ "follow-uplink = maybe\n", "not yes or no" },
		{ "signer = 127.0.0.1\n", "port is required" },
		{ "ssh = localhost:abc\n", "port 'abc'" },
		{ "user = \"unterminated\n", "unterminated quote" },
		{ "user = 'mixed\"\n", "unterminated quote" },
		{ "user = a\x01" "b\n", "control byte 0x01" },
		{ "user = a\x7f\n", "control byte 0x7f" },
		{ "state = /run/x\x1b[31m\n", "control byte" },
		{ "remote-bind = 0.0.0.0;x\n", "remote-bind" },
		{ "probe-host = 'a b'\n", "probe-host" },
		{ "backoff-min = 5\n", "backoff-min" },
		{ "=value\n", "unknown setting ''" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.msg[0] = '\0';
		bool ok = parse(cases[i].text, &e);
		if (ok || !strstr(e.msg, cases[i].needle))
			printf("  case %zu: ok=%d msg='%s' (wanted '%s')\n", i, ok, e.msg, cases[i].needle);
		CHECK(!ok);
		CHECK(strstr(e.msg, cases[i].needle));
	}
}

TEST(tunnel_config_must_fail_structural)
{
	struct err e = { 0 };
	/* A NUL inside the text. */
	const char with_nul[] = "user = a\0b\n";
	tunnel_config_defaults(&cfg);
	CHECK(!tunnel_config_parse(&cfg, with_nul, sizeof(with_nul) - 1, "t.conf", &e));
	CHECK(strstr(e.msg, "control byte 0x00"));
	/* A line over the limit. */
	size_t n = TUNNEL_LINE_MAX + 10;
	char *long_line = malloc(n + 1);
	CHECK(long_line);
	memset(long_line, 'a', n);
	long_line[n] = '\0';
	tunnel_config_defaults(&cfg);
	bool ok = tunnel_config_parse(&cfg, long_line, n, "t.conf", &e);
	free(long_line);
	CHECK(!ok);
	CHECK(strstr(e.msg, "longer than"));
	/* The whole file over the limit. */
	tunnel_config_defaults(&cfg);
	CHECK(!tunnel_config_parse(&cfg, "", TUNNEL_CONFIG_MAX + 1, "t.conf", &e));
	CHECK(e.kind == ERR_TOO_LARGE);
	/* More host keys than fit. */
	tunnel_config_defaults(&cfg);
	char key[64];
	for (int i = 0; i < TUNNEL_MAX_HOST_KEYS; i++) {
		snprintf(key, sizeof(key), "/etc/keys/%d", i);
		CHECK(tunnel_config_set(&cfg, "host-key", key, &e));
	}
	CHECK(!tunnel_config_set(&cfg, "host-key", "/etc/keys/x", &e));
	CHECK(strstr(e.msg, "more than"));
	/* check: what running needs */
	CHECK(parse("endpoint = e\nidentity = /k\nremote-port = 7000\n", &e));
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(strstr(e.msg, "no pinned host key"));
	CHECK(parse("endpoint = e\nhost-key = " ED_KEY "\nremote-port = 7000\n", &e));
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(strstr(e.msg, "no identity"));
	CHECK(parse("endpoint = e\nidentity = /k\nhost-key = " ED_KEY "\n", &e));
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(strstr(e.msg, "no remote port"));
	CHECK(parse("endpoint = e\nidentity = /k\nhost-key = " ED_KEY "\nremote-port = 7\n"
		    "backoff-min = 5000\nbackoff-max = 1000\n", &e));
	CHECK(!tunnel_config_check(&cfg, &e));
	CHECK(strstr(e.msg, "backoff-min"));
}

TEST(tunnel_config_host_key_file)
{
	char dir[] = "/tmp/tzs-unit-hk.XXXXXX";
	CHECK(mkdtemp(dir));
	char path[128], empty[128];
	snprintf(path, sizeof(path), "%s/endpoint.pub", dir);
	snprintf(empty, sizeof(empty), "%s/empty.pub", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fprintf(f, "# the endpoint\n\n%s root@cloud\r\n[1.2.3.4]:22 %s\n", ED_KEY, RSA_KEY);
	fclose(f);
	f = fopen(empty, "w");
	CHECK(f);
	fprintf(f, "# nothing\n");
	fclose(f);
	struct err e = { 0 };
	tunnel_config_defaults(&cfg);
	CHECK(tunnel_config_set(&cfg, "host-key", path, &e));
	CHECK(cfg.n_host_key_files == 1 && cfg.n_host_keys == 0);
	bool loaded = tunnel_config_load_host_key_files(&cfg, &e);
	tunnel_config_defaults(&cfg);
	CHECK(tunnel_config_set(&cfg, "host-key", empty, &e));
	bool empty_ok = tunnel_config_load_host_key_files(&cfg, &e);
	char msg_empty[ERR_MSG_MAX];
	memcpy(msg_empty, e.msg, sizeof(msg_empty));
	tunnel_config_defaults(&cfg);
	CHECK(tunnel_config_set(&cfg, "host-key", "/nonexistent/tzs/key.pub", &e));
	bool missing_ok = tunnel_config_load_host_key_files(&cfg, &e);
	unlink(path);
	unlink(empty);
	rmdir(dir);
	CHECK(loaded);
	CHECK(!empty_ok && strstr(msg_empty, "holds no key"));
	CHECK(!missing_ok && strstr(e.msg, "no such file"));
}

TEST(tunnel_config_host_key_file_contents)
{
	char dir[] = "/tmp/tzs-unit-hk2.XXXXXX";
	CHECK(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/endpoint.pub", dir);
	FILE *f = fopen(path, "w");
	CHECK(f);
	fprintf(f, "%s root@cloud\n%s\n%s\n", ED_KEY, RSA_KEY, ED_KEY);
	fclose(f);
	struct err e = { 0 };
	tunnel_config_defaults(&cfg);
	CHECK(tunnel_config_set(&cfg, "host-key", path, &e));
	bool ok = tunnel_config_load_host_key_files(&cfg, &e);
	unlink(path);
	rmdir(dir);
	CHECK(ok);
	CHECK(cfg.n_host_keys == 2); /* the duplicate counted once */
	CHECK_STR(cfg.host_keys[0], ED_KEY);
	CHECK_STR(cfg.host_keys[1], RSA_KEY);
	CHECK(cfg.n_host_key_files == 0);
}

TEST(tunnel_config_safe_paths)
{
	CHECK(tunnel_path_is_safe("/var/lib/tzsigner-tunnel/id_ed25519"));
	CHECK(tunnel_path_is_safe("relative/key.pem"));
	CHECK(tunnel_path_is_safe("/a/b@c+d,e=f"));
	CHECK(!tunnel_path_is_safe(""));
	CHECK(!tunnel_path_is_safe("-x"));
	CHECK(!tunnel_path_is_safe("/a b"));
	CHECK(!tunnel_path_is_safe("/a%h"));
	CHECK(!tunnel_path_is_safe("/a'b"));
	CHECK(!tunnel_path_is_safe("/a\"b"));
	CHECK(!tunnel_path_is_safe("/a$b"));
	CHECK(!tunnel_path_is_safe("~/x"));
	CHECK(!tunnel_path_is_safe("/a\nb"));
}
