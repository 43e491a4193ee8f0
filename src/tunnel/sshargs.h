/* sshargs.h - the OpenSSH client command line the tunnel runs, and the
 * known_hosts file that pins the endpoint's host key.
 *
 *   ssh -F none -N -T -o BatchMode=yes -o ExitOnForwardFailure=yes
 *       -o ServerAliveInterval=5 -o ServerAliveCountMax=3 …
 *       -o UserKnownHostsFile=RUN/known_hosts -o StrictHostKeyChecking=yes
 *       -o HostKeyAlias=tzsigner-endpoint -o HostKeyAlgorithms=ssh-ed25519
 *       -o ProxyCommand='exec SELF tunnel proxy … HOST PORT' -o ProxyUseFdpass=yes
 *       -R P:127.0.0.1:6732 -R P+1000:127.0.0.1:22 [-L RUN/probe.sock:localhost:P]
 *       -l USER -p PORT HOST
 *
 * `-F none` keeps the user's and the system's ssh_config out; LogVerbose
 * makes ssh report, at log level INFO, the few debug lines the supervisor
 * needs (authentication done, each remote forward's answer, the server's
 * "port forwarding refused" notice) without per-connection chatter. */
#ifndef TZS_TUNNEL_SSHARGS_H
#define TZS_TUNNEL_SSHARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "config.h"

#define SSH_ARGV_MAX 96

struct ssh_argv {
	char *v[SSH_ARGV_MAX + 1]; /* NULL-terminated; each entry malloc'd */
	size_t n;
};

struct ssh_plan {
	const char *self_exe;    /* absolute path of tzsigner for the ProxyCommand */
	const char *known_hosts; /* our own known_hosts file */
	const char *probe_socket; /* local end of the probe forward, or NULL */
};

/* The functions in ssh's source whose debug lines LogVerbose forces out. */
extern const char tunnel_ssh_log_verbose[];

bool tunnel_ssh_argv_build(const struct tunnel_config *c, const struct ssh_plan *plan,
			   struct ssh_argv *out, struct err *e);
void tunnel_ssh_argv_free(struct ssh_argv *a);

/* known_hosts text: one "ALIAS TYPE BASE64" line per pinned key. */
bool tunnel_known_hosts_text(const struct tunnel_config *c, char *out, size_t cap,
			     struct err *e);

/* Single-quotes s for /bin/sh when it holds anything but safe characters;
 * with for_ssh also doubles '%' (ssh expands %h, %p … in a ProxyCommand). */
bool tunnel_shell_quote(char *out, size_t cap, const char *s, bool for_ssh);

/* Writes argv as one shell-quoted line into out (for -n and logs). */
bool tunnel_argv_to_text(const struct ssh_argv *a, char *out, size_t cap);

#endif
