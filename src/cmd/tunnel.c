/* tunnel.c - `tzsigner tunnel`: the outbound SSH reverse tunnel.
 *
 *   tzsigner tunnel [-c FILE] [options]      run (supervise ssh)
 *   tzsigner tunnel -n [-c FILE] [options]   check the settings, print the ssh command
 *   tzsigner tunnel keygen [options]         create the box's identity, print its line
 *   tzsigner tunnel proxy HOST PORT …        ssh's ProxyCommand (internal)
 *
 * This file never includes vault/, crypto/ or guard/: the process that
 * faces the network holds no signing keys. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/parse.h"
#include "../base/file.h"
#include "../base/log.h"
#include "../base/run_capture.h"
#include "../tunnel/config.h"
#include "../tunnel/proxy.h"
#include "../tunnel/sshargs.h"
#include "../tunnel/supervisor.h"
#include "cmd.h"

static const char usage[] =
	"usage: tzsigner tunnel [-c FILE] [options]          keep the tunnel up\n"
	"       tzsigner tunnel -n [-c FILE] [options]       check settings, print the ssh command\n"
	"       tzsigner tunnel keygen [--identity FILE] [--name NAME] [--remote-port P]\n"
	"\n"
	"Dial out to the cloud endpoint with OpenSSH's ssh and reverse-forward the\n"
	"signer (remote port P) and this box's sshd (remote port P+1000). tzsigner\n"
	"makes the TCP connection itself (TCP_NODELAY, keepalive, TCP_USER_TIMEOUT) and\n"
	"hands it to ssh; the endpoint's host key is pinned. When the connection drops\n"
	"it comes back with capped, jittered backoff; SIGHUP reconnects at once.\n"
	"\n"
	"  -c, --config FILE          settings as `key = value` lines (the long option\n"
	"                             names below); options given here override them\n"
	"      --endpoint HOST[:PORT] the cloud endpoint (port 22 by default)\n"
	"      --user NAME            account on the endpoint (default tzsigner)\n"
	"      --identity FILE        this box's private key (see keygen; keygen's default:\n"
	"                             id_ed25519 in the home directory of the user running\n"
	"                             it, /var/lib/tzsigner-tunnel/id_ed25519 for the box's\n"
	"                             tzsigner-tunnel)\n"
	"      --host-key KEY|FILE    the endpoint's pinned host key, 'ssh-ed25519 AAAA…',\n"
	"                             or a file of such lines (repeatable)\n"
	"      --host-key-alias NAME  name the key is filed under (default tzsigner-endpoint),\n"
	"                             so a new address or DNS name changes nothing\n"
	"      --remote-port P        remote port of the signer; the box's sshd is P+1000\n"
	"      --remote-bind ADDR     bind address for the signer's remote port P (0.0.0.0 for\n"
	"                             a Kubernetes forwarder); P+1000 always binds loopback\n"
	"      --signer ADDR:PORT     the local signer (default 127.0.0.1:6732)\n"
	"      --ssh ADDR:PORT        the box's sshd (default 127.0.0.1:22)\n"
	"      --socket-remote-port Q also forward remote port Q to the signer's octez\n"
	"                             socket protocol (serve --socket tcp://…); the\n"
	"                             endpoint must permitlisten=\"Q\" for this box\n"
	"      --socket-signer ADDR:PORT  that local socket listener (default 127.0.0.1:7732)\n"
	"      --state FILE           JSON state file, rewritten on every change\n"
	"      --run-dir DIR          for known_hosts and the probe socket (default\n"
	"                             $RUNTIME_DIRECTORY, else a private temporary one)\n"
	"      --ssh-command PATH     the ssh client (default ssh)\n"
	"      --alive-interval S     ServerAliveInterval (default 5)\n"
	"      --alive-count N        ServerAliveCountMax (default 3)\n"
	"      --connect-timeout S    TCP connect and SSH handshake (default 10)\n"
	"      --user-timeout MS      TCP_USER_TIMEOUT (default alive-interval x alive-count)\n"
	"      --probe-interval S     end-to-end probe through the endpoint (0: off, default)\n"
	"      --probe-timeout S      (default 5)\n"
	"      --probe-host HOST      where the endpoint reaches port P (default localhost;\n"
	"                             the endpoint must permitopen=\"HOST:P\")\n"
	"      --stable-after S       up this long resets the backoff (default 20)\n"
	"      --backoff-min MS       first retry delay (default 1000)\n"
	"      --backoff-max MS       longest retry delay (default 30000)\n"
	"      --refused-retry S      longest wait after a host key mismatch or an\n"
	"                             authentication or policy refusal, which are\n"
	"                             otherwise retried on the backoff (default 120)\n"
	"      --follow-uplink yes|no reconnect when the route to the endpoint moves to\n"
	"                             another interface or address, and pin each\n"
	"                             connection to its interface (default yes)\n"
	"      --name NAME            this box's name (keygen; default the host name)\n"
	"      --log-level LEVEL      error, warn, info (default) or debug\n"
	"  -n, --check                parse the settings, print the ssh command, exit\n"
	"  -h, --help                 this text\n";

#define MAX_CLI_SETTINGS 64

enum { OPT_LOGLEVEL = 300, OPT_FIRST_KEY = 400 };

static const char *const cli_keys[] = {
	"endpoint", "user", "identity", "host-key", "host-key-alias", "remote-port",
	"remote-bind", "probe-host", "signer", "ssh", "state", "run-dir", "ssh-command",
	"alive-interval", "alive-count", "connect-timeout", "user-timeout", "probe-interval",
	"probe-timeout", "stable-after", "backoff-min", "backoff-max", "refused-retry",
	"follow-uplink", "name", "socket-remote-port", "socket-signer",
};
#define N_CLI_KEYS (sizeof(cli_keys) / sizeof(cli_keys[0]))

struct cli {
	const char *config_path;
	bool check;
	size_t n;
	const char *key[MAX_CLI_SETTINGS];
	const char *value[MAX_CLI_SETTINGS];
};

/* Parses options into cli; returns -1 to go on, else an exit code. */
static int parse_cli(const char *sub, int argc, char **argv, struct cli *cli)
{
	struct option opts[N_CLI_KEYS + 5];
	size_t k = 0;
	for (size_t i = 0; i < N_CLI_KEYS; i++)
		opts[k++] = (struct option){ cli_keys[i], required_argument, NULL,
					     OPT_FIRST_KEY + (int)i };
	opts[k++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[k++] = (struct option){ "check", no_argument, NULL, 'n' };
	opts[k++] = (struct option){ "log-level", required_argument, NULL, OPT_LOGLEVEL };
	opts[k++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[k] = (struct option){ NULL, 0, NULL, 0 };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cli->config_path = optarg; break;
		case 'n': cli->check = true; break;
		case 'h': fputs(usage, stdout); return EXIT_SUCCESS;
		case OPT_LOGLEVEL: {
			enum log_level lvl;
			if (!log_parse_level(optarg, &lvl)) {
				fprintf(stderr, "tzsigner %s: log level '%s' is not error, warn, info or debug\n",
					sub, optarg);
				return EXIT_USAGE;
			}
			log_set_level(lvl);
			break;
		}
		default:
			if (c >= OPT_FIRST_KEY && c < OPT_FIRST_KEY + (int)N_CLI_KEYS) {
				if (cli->n >= MAX_CLI_SETTINGS) {
					fprintf(stderr, "tzsigner %s: too many options\n", sub);
					return EXIT_USAGE;
				}
				cli->key[cli->n] = cli_keys[c - OPT_FIRST_KEY];
				cli->value[cli->n++] = optarg;
				break;
			}
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "tzsigner %s: unexpected argument '%s'\n", sub, argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
}

/* Defaults, then the config file, then the command line. */
static bool load_settings(struct tunnel_config *c, const struct cli *cli, struct err *e)
{
	tunnel_config_defaults(c);
	if (cli->config_path) {
		char *text = NULL;
		size_t len = 0;
		if (!file_read(cli->config_path, TUNNEL_CONFIG_MAX, FILE_PUBLIC, &text, &len, e))
			return err_wrap(e, "config");
		bool ok = tunnel_config_parse(c, text, len, cli->config_path, e);
		file_free(text, len);
		if (!ok)
			return false;
	}
	bool cli_host_key = false;
	for (size_t i = 0; i < cli->n; i++) {
		if (strcmp(cli->key[i], "host-key") == 0 && !cli_host_key) {
			/* Host keys on the command line replace the file's. */
			c->n_host_keys = 0;
			c->n_host_key_files = 0;
			cli_host_key = true;
		}
		if (!tunnel_config_set(c, cli->key[i], cli->value[i], e))
			return err_wrap(e, "--%s", cli->key[i]);
	}
	return tunnel_config_load_host_key_files(c, e);
}

static bool self_exe_path(char *out, size_t cap, struct err *e)
{
	ssize_t n = readlink("/proc/self/exe", out, cap - 1);
	if (n <= 0)
		return err_errno(e, ERR_IO, "readlink /proc/self/exe");
	out[n] = '\0';
	/* Replaced by an upgrade while running: ssh runs the new binary. */
	const char *suffix = " (deleted)";
	size_t sl = strlen(suffix);
	if ((size_t)n > sl && strcmp(out + n - sl, suffix) == 0)
		out[n - (ssize_t)sl] = '\0';
	return true;
}

/* ---- tzsigner tunnel proxy HOST PORT */

static const char proxy_usage[] =
	"usage: tzsigner tunnel proxy [--connect-timeout MS] [--user-timeout MS]\n"
	"                             [--keepalive IDLE,INTERVAL,COUNT] [--bind-uplink] HOST PORT\n"
	"\n"
	"ssh's ProxyCommand (with ProxyUseFdpass yes): connect to HOST:PORT and pass\n"
	"the connected socket to ssh over standard output. --bind-uplink pins the\n"
	"socket to the interface of the route to HOST. Run by `tzsigner tunnel`.\n";

static int cmd_tunnel_proxy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect-timeout", required_argument, NULL, 't' },
		{ "user-timeout", required_argument, NULL, 'u' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "bind-uplink", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dial_opts o = { .connect_timeout_ms = 10000 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!parse_uint(optarg, 0, 600000, &o.connect_timeout_ms) || !o.connect_timeout_ms) {
				fprintf(stderr, "tzsigner tunnel proxy: --connect-timeout '%s' is not 1 to 600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'u':
			if (!parse_uint(optarg, 0, 600000, &o.user_timeout_ms)) {
				fprintf(stderr, "tzsigner tunnel proxy: --user-timeout '%s' is not 0 to 600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'k': {
			char buf[64];
			snprintf(buf, sizeof(buf), "%s", optarg);
			char *a = strtok(buf, ","), *b = strtok(NULL, ","), *d = strtok(NULL, ",");
			if (!a || !b || !d || !parse_uint(a, 0, 32767, &o.keepalive_idle_s) ||
			    !parse_uint(b, 0, 32767, &o.keepalive_intvl_s) || !parse_uint(d, 0, 127, &o.keepalive_cnt) ||
			    !o.keepalive_idle_s || !o.keepalive_intvl_s || !o.keepalive_cnt) {
				fprintf(stderr, "tzsigner tunnel proxy: --keepalive '%s' is not IDLE,INTERVAL,COUNT\n", optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'b': o.bind_uplink = true; break;
		case 'h': fputs(proxy_usage, stdout); return EXIT_SUCCESS;
		default: fputs(proxy_usage, stderr); return EXIT_USAGE;
		}
	}
	unsigned port;
	if (argc - optind != 2 || !parse_uint(argv[optind + 1], 0, 65535, &port) || port == 0) {
		fputs(proxy_usage, stderr);
		return EXIT_USAGE;
	}
	o.host = argv[optind];
	o.port = (uint16_t)port;
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISSOCK(st.st_mode)) {
		log_error("event=proxy_failed kind=error error=\"standard output is not a socket: this "
			  "runs as ssh's ProxyCommand with ProxyUseFdpass yes\"");
		return EXIT_FAILURE;
	}
	struct err e = { 0 };
	struct dial_result res;
	int fd = -1;
	char m[ERR_MSG_MAX + 8];
	if (!tunnel_dial(&o, &fd, &res, &e)) {
		log_warn("event=proxy_failed kind=%s error=%s", res.kind ? res.kind : "error",
			 log_str(m, sizeof(m), e.msg));
		return EXIT_FAILURE;
	}
	log_info("event=proxy_connected local=%s peer=%s ms=%u pinned=%s", res.local, res.peer, res.ms,
		 res.uplink[0] ? res.uplink : "-");
	bool ok = tunnel_fd_send(STDOUT_FILENO, fd, &e);
	close(fd);
	if (!ok) {
		log_error("event=proxy_failed kind=error error=%s", log_str(m, sizeof(m), e.msg));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* ---- tzsigner tunnel keygen */

/* Runs argv with stdin from /dev/null and stdout into out (cap bytes);
 * fails unless it exits 0. */
static bool run_tool(const char *const argv[], char *out, size_t cap, struct err *e)
{
	int status = 0;
	if (!run_capture(argv, RUN_STDIN_NULL, out, cap, &status, e))
		return false;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return err_set(e, ERR_IO, "%s failed (exit %d)", argv[0],
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return true;
}

/* keygen without --identity: id_ed25519 in the home directory of the user
 * running it, the account the tunnel runs as (tzsigner-tunnel's home is the
 * unit's StateDirectory, /var/lib/tzsigner-tunnel, as tunnel.conf says), so
 * the key is created by, and belongs to, the user that reads it. */
static bool default_identity(struct tunnel_config *c, struct err *e)
{
	const struct passwd *pw = getpwuid(geteuid());
	if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
		return err_set(e, ERR_NOT_FOUND,
			       "uid %u has no home directory for the default identity: give --identity FILE",
			       (unsigned)geteuid());
	char path[FILE_PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/id_ed25519", strcmp(pw->pw_dir, "/") == 0 ? "" : pw->pw_dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(e, ERR_MALFORMED, "home directory %s is too long: give --identity FILE", pw->pw_dir);
	if (!tunnel_config_set(c, "identity", path, e))
		return err_wrap(e, "default identity");
	fprintf(stderr, "tzsigner tunnel keygen: identity %s (user %s's home; --identity FILE to choose)\n",
		path, pw->pw_name);
	return true;
}

static int cmd_tunnel_keygen(int argc, char **argv)
{
	struct cli cli = { 0 };
	int rc = parse_cli("tunnel keygen", argc, argv, &cli);
	if (rc >= 0)
		return rc;
	struct tunnel_config *c = calloc(1, sizeof(*c));
	if (!c)
		return EXIT_FAILURE;
	struct err e = { 0 };
	int ret = EXIT_FAILURE;
	if (!load_settings(c, &cli, &e)) {
		ret = cmd_fail("tunnel keygen", &e);
		goto out;
	}
	if (!c->identity[0] && !default_identity(c, &e)) {
		ret = cmd_fail("tunnel keygen", &e);
		goto out;
	}
	if (!c->name[0]) {
		char host[64] = "box";
		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = '\0';
		if (!tunnel_config_set(c, "name", host, &e))
			snprintf(c->name, sizeof(c->name), "box");
	}
	char pub[FILE_PATH_MAX + 8];
	snprintf(pub, sizeof(pub), "%s.pub", c->identity);
	struct stat st;
	bool exists = stat(c->identity, &st) == 0;
	char comment[128];
	snprintf(comment, sizeof(comment), "tzsigner-tunnel@%s", c->name);
	char out[8192];
	if (!exists) {
		/* The directory of the key: private to us. */
		char dir[FILE_PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", c->identity);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (!dir_ensure(dir, 0700, &e)) {
				ret = cmd_fail("tunnel keygen", &e);
				goto out;
			}
		}
		const char *kg[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment,
				     "-f", c->identity, NULL };
		if (!run_tool(kg, out, sizeof(out), &e)) {
			err_wrap(&e, "creating %s", c->identity);
			ret = cmd_fail("tunnel keygen", &e);
			goto out;
		}
		fprintf(stderr, "tzsigner tunnel keygen: created %s (ed25519)\n", c->identity);
	} else {
		fprintf(stderr, "tzsigner tunnel keygen: %s exists; keeping it\n", c->identity);
	}
	/* The public half, from the private key itself (the .pub may be stale). */
	const char *ky[] = { "ssh-keygen", "-y", "-f", c->identity, NULL };
	if (!run_tool(ky, out, sizeof(out), &e)) {
		err_wrap(&e, "reading the public key of %s", c->identity);
		ret = cmd_fail("tunnel keygen", &e);
		goto out;
	}
	char key[TUNNEL_HOST_KEY_MAX];
	out[strcspn(out, "\n")] = '\0';
	if (!tunnel_host_key_parse(out, key, sizeof(key), &e)) {
		ret = cmd_fail("tunnel keygen", &e);
		goto out;
	}
	if (c->remote_port)
		printf("%s %u %s\n", c->name, (unsigned)c->remote_port, key);
	else
		printf("%s - %s\n", c->name, key);
	fprintf(stderr,
		"tzsigner tunnel keygen: give the endpoint the line above (name, remote port, public "
		"key)%s\n",
		c->remote_port ? "" : "; choose the port with --remote-port P");
	ret = EXIT_SUCCESS;
out:
	free(c);
	return ret;
}

/* ---- tzsigner tunnel */

/* -n: the identity ssh will be given exists, and ssh will not refuse it as
 * readable by others. */
static bool identity_usable(const char *path, struct err *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return err_set(e, ERR_NOT_FOUND, "identity %s: %s (create it with `tzsigner tunnel keygen "
			       "--identity %s`)", path, strerror(errno), path);
	if (!S_ISREG(st.st_mode))
		return err_set(e, ERR_MALFORMED, "identity %s is not a regular file", path);
	if (st.st_mode & 077)
		return err_set(e, ERR_FORBIDDEN, "identity %s is mode %04o: ssh refuses a private key "
			       "others can read (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
	return true;
}

int cmd_tunnel(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "proxy") == 0)
		return cmd_tunnel_proxy(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return cmd_tunnel_keygen(argc - 1, argv + 1);
	struct cli cli = { 0 };
	int rc = parse_cli("tunnel", argc, argv, &cli);
	if (rc >= 0)
		return rc;
	struct tunnel_config *c = calloc(1, sizeof(*c));
	if (!c)
		return EXIT_FAILURE;
	struct err e = { 0 };
	int ret = EXIT_FAILURE;
	char self[PATH_MAX];
	if (!load_settings(c, &cli, &e) || !tunnel_config_check(c, &e) ||
	    !self_exe_path(self, sizeof(self), &e)) {
		ret = cmd_fail("tunnel", &e);
		if (e.kind == ERR_MALFORMED)
			ret = EXIT_USAGE;
		goto out;
	}
	if (cli.check && !identity_usable(c->identity, &e)) {
		ret = cmd_fail("tunnel", &e);
		goto out;
	}
	if (cli.check) {
		struct ssh_argv a = { 0 };
		struct ssh_plan plan = { .self_exe = self, .known_hosts = "RUN_DIR/known_hosts",
					 .probe_socket = c->probe_interval_s ? "RUN_DIR/probe.sock" : NULL };
		char text[8192];
		if (!tunnel_ssh_argv_build(c, &plan, &a, &e)) {
			ret = cmd_fail("tunnel", &e);
			goto out;
		}
		bool ok = tunnel_argv_to_text(&a, text, sizeof(text));
		tunnel_ssh_argv_free(&a);
		if (!ok) {
			fprintf(stderr, "tzsigner tunnel: the ssh command is too long to print\n");
			goto out;
		}
		char ep[TUNNEL_HOST_MAX + 16];
		printf("OK endpoint=%s remote_port=%u box_ssh_port=%u host_keys=%zu\n%s\n",
		       tunnel_host_port_str(&c->endpoint, ep, sizeof(ep)), (unsigned)c->remote_port,
		       (unsigned)c->remote_port + TUNNEL_PORT_OFFSET, c->n_host_keys, text);
		ret = EXIT_SUCCESS;
		goto out;
	}
	if (!tunnel_supervise(c, self, &e)) {
		ret = cmd_fail("tunnel", &e);
		goto out;
	}
	ret = EXIT_SUCCESS;
out:
	free(c);
	return ret;
}
