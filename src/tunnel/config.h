/* config.h - the tunnel's settings: command-line options and the same keys
 * in a config file (`key = value` lines, `#` comments).
 *
 * Every value is checked when it is set, so what reaches the ssh argument
 * builder is known to be safe to put on ssh's command line and inside its
 * ProxyCommand: host names, user names and paths are limited to characters
 * that neither a shell nor ssh's %-expansion treats specially. */
#ifndef TZS_TUNNEL_CONFIG_H
#define TZS_TUNNEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/file.h"

#define TUNNEL_HOST_MAX 256       /* host names and literals, NUL included */
#define TUNNEL_MAX_HOST_KEYS 8
#define TUNNEL_HOST_KEY_MAX 2048  /* "type base64", NUL included (RSA 8192 fits) */
#define TUNNEL_CONFIG_MAX 65536   /* bytes in a config file */
#define TUNNEL_LINE_MAX 4096      /* bytes in one config line */
#define TUNNEL_PORT_OFFSET 1000   /* box sshd is forwarded at remote port P + 1000 */

struct host_port {
	char host[TUNNEL_HOST_MAX]; /* without brackets for IPv6 literals */
	uint16_t port;
};

struct tunnel_config {
	struct host_port endpoint;   /* required; port 22 by default */
	char user[64];               /* account on the endpoint (default "tzsigner") */
	char identity[FILE_PATH_MAX];
	char host_keys[TUNNEL_MAX_HOST_KEYS][TUNNEL_HOST_KEY_MAX]; /* "type base64" */
	size_t n_host_keys;
	char host_key_files[TUNNEL_MAX_HOST_KEYS][FILE_PATH_MAX];
	size_t n_host_key_files;
	char host_key_alias[64];     /* name the pinned key is filed under */
	uint16_t remote_port;        /* P: the signer; P + 1000: the box's sshd */
	char remote_bind[TUNNEL_HOST_MAX]; /* optional bind address for -R P on the endpoint (not P+1000) */
	char probe_host[TUNNEL_HOST_MAX];  /* where the endpoint reaches P (default localhost) */
	struct host_port signer;     /* 127.0.0.1:6732 */
	struct host_port box_ssh;    /* 127.0.0.1:22 */
	/* octez's socket signer protocol (serve --socket tcp://…): forwarded
	 * from remote port socket_remote_port when set (0: not forwarded). */
	uint16_t socket_remote_port;
	struct host_port socket_signer; /* 127.0.0.1:7732 */
	char state_path[FILE_PATH_MAX]; /* optional JSON state file */
	char run_dir[FILE_PATH_MAX];    /* known_hosts and the probe socket; default temp */
	char ssh_command[FILE_PATH_MAX]; /* "ssh" (looked up in PATH) */
	unsigned alive_interval_s;   /* ServerAliveInterval (5) */
	unsigned alive_count;        /* ServerAliveCountMax (3) */
	unsigned connect_timeout_s;  /* TCP connect and SSH handshake (10) */
	unsigned user_timeout_ms;    /* TCP_USER_TIMEOUT; 0 = alive_interval * alive_count */
	unsigned probe_interval_s;   /* end-to-end probe period; 0 = off */
	unsigned probe_timeout_s;    /* (5) */
	unsigned stable_after_s;     /* up this long resets the backoff (20) */
	unsigned backoff_min_ms;     /* (1000) */
	unsigned backoff_max_ms;     /* (30000) */
	unsigned refused_retry_s;    /* longest wait after a host key, auth or policy refusal (120) */
	bool follow_uplink;          /* reconnect when the route to the endpoint moves (yes) */
	char name[64];               /* the box's name (keygen; default: host name) */
};

/* The defaults above; nothing required is set. */
void tunnel_config_defaults(struct tunnel_config *c);

/* Sets one key (the long option name, e.g. "remote-port") from its text.
 * "host-key" adds a key ("ssh-ed25519 AAAA…") or a file of keys (a path);
 * every other key replaces the previous value. */
bool tunnel_config_set(struct tunnel_config *c, const char *key, const char *value,
		       struct err *e);

/* Parses a config file's text: `key = value` or `key value` per line,
 * blank lines and `#` comments allowed, values optionally in double or
 * single quotes. A key given twice (other than host-key), an unknown key,
 * a NUL or control byte, or a line over TUNNEL_LINE_MAX is an error naming
 * origin:line. Never reads other files. */
bool tunnel_config_parse(struct tunnel_config *c, const char *text, size_t len,
			 const char *origin, struct err *e);

/* Reads the host key files named by host-key into host_keys. */
bool tunnel_config_load_host_key_files(struct tunnel_config *c, struct err *e);

/* What running the tunnel needs: endpoint, identity, a host key, remote
 * port. */
bool tunnel_config_check(const struct tunnel_config *c, struct err *e);

/* Accepts one host key in authorized_keys / known_hosts form
 * ("[name] type base64 [comment]"), checks that the base64 decodes to an
 * SSH public key blob of that type, and writes "type base64" to out. */
bool tunnel_host_key_parse(const char *text, char *out, size_t cap, struct err *e);

/* Parses HOST[:PORT] ([v6]:PORT for IPv6), default_port when absent (0:
 * the port is required). */
bool tunnel_parse_host_port(const char *text, uint16_t default_port, struct host_port *out,
			    struct err *e);

/* Formats a host_port as host:port or [v6]:port. */
const char *tunnel_host_port_str(const struct host_port *hp, char *out, size_t cap);

/* The remote forwards ssh asks for: P, P+1000 and, when set, the socket
 * protocol's port. */
unsigned tunnel_forward_count(const struct tunnel_config *c);

/* TCP_USER_TIMEOUT in ms, derived from the alive settings when not set. */
unsigned tunnel_user_timeout_ms(const struct tunnel_config *c);

/* Characters allowed in a path handed to ssh: letters, digits, ._/@+,=-
 * (nothing a shell or ssh's %-expansion or ~-expansion interprets). */
bool tunnel_path_is_safe(const char *path);

#endif
