/* sshargs.c - the ssh command line and our known_hosts file. */
#include "sshargs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char tunnel_ssh_log_verbose[] =
	"sshconnect2.c:ssh_userauth2():*,"
	"ssh.c:ssh_confirm_remote_forward():*,"
	"packet.c:ssh_packet_read_poll_seqnr():*";

static bool safe_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("._/@+,=:-", ch) != NULL;
}

bool tunnel_shell_quote(char *out, size_t cap, const char *s, bool for_ssh)
{
	size_t o = 0;
	bool bare = *s != '\0';
	for (const char *p = s; *p && bare; p++)
		bare = safe_char((unsigned char)*p);
#define PUT(ch)                          \
	do {                             \
		if (o + 1 >= cap)        \
			return false;    \
		out[o++] = (ch);         \
	} while (0)
	if (!bare)
		PUT('\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			PUT('\'');
			PUT('\\');
			PUT('\'');
			PUT('\'');
		} else if (*p == '%' && for_ssh) {
			PUT('%');
			PUT('%');
		} else {
			PUT(*p);
		}
	}
	if (!bare)
		PUT('\'');
#undef PUT
	if (cap == 0)
		return false;
	out[o] = '\0';
	return true;
}

/* The ProxyCommand value: shell-quoted, with % doubled for ssh's
 * %-expansion. */
static bool tunnel_proxy_command(const struct tunnel_config *c, const char *self_exe, char *out,
				 size_t cap, struct err *e)
{
	char exe[3 * FILE_PATH_MAX], host[3 * TUNNEL_HOST_MAX];
	if (!tunnel_shell_quote(exe, sizeof(exe), self_exe, true) ||
	    !tunnel_shell_quote(host, sizeof(host), c->endpoint.host, true))
		return err_set(e, ERR_INTERNAL, "ProxyCommand: path or host too long");
	int n = snprintf(out, cap,
			 "%s tunnel proxy --connect-timeout %u --user-timeout %u --keepalive %u,%u,%u%s %s %u",
			 exe, c->connect_timeout_s * 1000U, tunnel_user_timeout_ms(c),
			 c->alive_interval_s, c->alive_interval_s, c->alive_count,
			 c->follow_uplink ? " --bind-uplink" : "", host, (unsigned)c->endpoint.port);
	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_INTERNAL, "ProxyCommand longer than %zu bytes", cap);
	return true;
}

static const char *algorithms_for(const char *key)
{
	if (strncmp(key, "ssh-rsa ", 8) == 0)
		return "rsa-sha2-512,rsa-sha2-256";
	return NULL; /* the key's own type */
}

/* HostKeyAlgorithms for the pinned keys ("ssh-ed25519", "rsa-sha2-512,
 * rsa-sha2-256" for ssh-rsa, …), comma-separated without duplicates. */
static bool tunnel_host_key_algorithms(const struct tunnel_config *c, char *out, size_t cap,
				       struct err *e)
{
	size_t o = 0;
	if (cap == 0)
		return err_set(e, ERR_INTERNAL, "no room for HostKeyAlgorithms");
	out[0] = '\0';
	for (size_t i = 0; i < c->n_host_keys; i++) {
		char type[64];
		const char *alg = algorithms_for(c->host_keys[i]);
		if (!alg) {
			size_t tl = strcspn(c->host_keys[i], " ");
			if (tl >= sizeof(type))
				return err_set(e, ERR_MALFORMED, "host key type too long");
			memcpy(type, c->host_keys[i], tl);
			type[tl] = '\0';
			alg = type;
		}
		/* Skip an algorithm list already present. */
		bool dup = false;
		size_t al = strlen(alg);
		for (const char *p = out; *p && !dup;) {
			size_t l = strcspn(p, ",");
			if (l == strcspn(alg, ",") && strncmp(p, alg, l) == 0)
				dup = true;
			p += l;
			if (*p == ',')
				p++;
		}
		if (dup)
			continue;
		if (o + (o ? 1 : 0) + al + 1 > cap)
			return err_set(e, ERR_INTERNAL, "HostKeyAlgorithms longer than %zu", cap);
		if (o)
			out[o++] = ',';
		memcpy(out + o, alg, al + 1);
		o += al;
	}
	if (o == 0)
		return err_set(e, ERR_MALFORMED, "no pinned host key");
	return true;
}

bool tunnel_known_hosts_text(const struct tunnel_config *c, char *out, size_t cap,
			     struct err *e)
{
	size_t o = 0;
	if (c->n_host_keys == 0)
		return err_set(e, ERR_MALFORMED, "no pinned host key");
	for (size_t i = 0; i < c->n_host_keys; i++) {
		int n = snprintf(out + o, cap - o, "%s %s\n", c->host_key_alias, c->host_keys[i]);
		if (n < 0 || (size_t)n >= cap - o)
			return err_set(e, ERR_INTERNAL, "known_hosts text longer than %zu bytes", cap);
		o += (size_t)n;
	}
	return true;
}

static bool vadd(struct ssh_argv *a, struct err *e, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static bool add(struct ssh_argv *a, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static bool opt(struct ssh_argv *a, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool vadd(struct ssh_argv *a, struct err *e, const char *fmt, va_list ap)
{
	if (a->n >= SSH_ARGV_MAX)
		return err_set(e, ERR_INTERNAL, "ssh command line has more than %d words", SSH_ARGV_MAX);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	if (n < 0 || !s)
		return err_set(e, ERR_INTERNAL, "out of memory building the ssh command line");
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return true;
}

/* Appends one word. */
static bool add(struct ssh_argv *a, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool ok = vadd(a, e, fmt, ap);
	va_end(ap);
	return ok;
}

/* Appends "-o" and one option. */
static bool opt(struct ssh_argv *a, struct err *e, const char *fmt, ...)
{
	if (!add(a, e, "-o"))
		return false;
	va_list ap;
	va_start(ap, fmt);
	bool ok = vadd(a, e, fmt, ap);
	va_end(ap);
	return ok;
}

/* host for an ssh forward spec: IPv6 literals go in brackets. */
static const char *fwd_host(const char *host, char *buf, size_t cap)
{
	if (strchr(host, ':')) {
		snprintf(buf, cap, "[%s]", host);
		return buf;
	}
	return host;
}

void tunnel_ssh_argv_free(struct ssh_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
	a->v[0] = NULL;
}

bool tunnel_ssh_argv_build(const struct tunnel_config *c, const struct ssh_plan *plan,
			   struct ssh_argv *out, struct err *e)
{
	char proxy[4 * FILE_PATH_MAX], algs[256], b1[TUNNEL_HOST_MAX + 2], b2[TUNNEL_HOST_MAX + 2];
	char bind[TUNNEL_HOST_MAX + 4] = "";
	out->n = 0;
	out->v[0] = NULL;
	if (!tunnel_config_check(c, e))
		return false;
	if (c->n_host_key_files)
		return err_set(e, ERR_INTERNAL, "host key files are not loaded yet");
	if (!plan->self_exe || !plan->known_hosts)
		return err_set(e, ERR_INTERNAL, "ssh plan lacks the proxy path or known_hosts");
	if (!tunnel_path_is_safe(plan->known_hosts) ||
	    (plan->probe_socket && !tunnel_path_is_safe(plan->probe_socket)))
		return err_set(e, ERR_MALFORMED, "run directory path '%s' holds characters ssh would "
						 "interpret; use letters, digits and ._/@+,=-",
			       plan->known_hosts);
	if (!tunnel_proxy_command(c, plan->self_exe, proxy, sizeof(proxy), e) ||
	    !tunnel_host_key_algorithms(c, algs, sizeof(algs), e))
		return false;
	if (c->remote_bind[0])
		snprintf(bind, sizeof(bind), "%s:", fwd_host(c->remote_bind, b1, sizeof(b1)));
	unsigned P = c->remote_port;
	bool ok = add(out, e, "%s", c->ssh_command) && add(out, e, "-F") && add(out, e, "none") &&
		  add(out, e, "-N") && add(out, e, "-T") &&
		  opt(out, e, "BatchMode=yes") &&
		  opt(out, e, "ExitOnForwardFailure=yes") &&
		  opt(out, e, "ServerAliveInterval=%u", c->alive_interval_s) &&
		  opt(out, e, "ServerAliveCountMax=%u", c->alive_count) &&
		  opt(out, e, "TCPKeepAlive=yes") &&
		  opt(out, e, "ConnectTimeout=%u", c->connect_timeout_s) &&
		  opt(out, e, "ConnectionAttempts=1") &&
		  opt(out, e, "IdentitiesOnly=yes") &&
		  opt(out, e, "IdentityFile=%s", c->identity) &&
		  opt(out, e, "IdentityAgent=none") &&
		  opt(out, e, "PreferredAuthentications=publickey") &&
		  opt(out, e, "PasswordAuthentication=no") &&
		  opt(out, e, "KbdInteractiveAuthentication=no") &&
		  opt(out, e, "UserKnownHostsFile=%s", plan->known_hosts) &&
		  opt(out, e, "GlobalKnownHostsFile=/dev/null") &&
		  opt(out, e, "StrictHostKeyChecking=yes") &&
		  opt(out, e, "HostKeyAlias=%s", c->host_key_alias) &&
		  opt(out, e, "HostKeyAlgorithms=%s", algs) &&
		  opt(out, e, "UpdateHostKeys=no") &&
		  opt(out, e, "CheckHostIP=no") &&
		  opt(out, e, "VerifyHostKeyDNS=no") &&
		  opt(out, e, "ProxyCommand=%s", proxy) &&
		  opt(out, e, "ProxyUseFdpass=yes") &&
		  opt(out, e, "ControlMaster=no") &&
		  opt(out, e, "ControlPath=none") &&
		  opt(out, e, "ForwardAgent=no") &&
		  opt(out, e, "ForwardX11=no") &&
		  opt(out, e, "PermitLocalCommand=no") &&
		  opt(out, e, "StreamLocalBindUnlink=yes") &&
		  opt(out, e, "StreamLocalBindMask=0177") &&
		  opt(out, e, "LogLevel=INFO") &&
		  opt(out, e, "LogVerbose=%s", tunnel_ssh_log_verbose) &&
		  add(out, e, "-R") &&
		  add(out, e, "%s%u:%s:%u", bind, P, fwd_host(c->signer.host, b2, sizeof(b2)),
		      (unsigned)c->signer.port) &&
		  add(out, e, "-R") &&
		  /* P+1000 (the box's sshd) never takes remote-bind: it stays on the
		   * endpoint's loopback, for kubectl port-forward / ssh -J only. */
		  add(out, e, "%u:%s:%u", P + TUNNEL_PORT_OFFSET,
		      fwd_host(c->box_ssh.host, b2, sizeof(b2)), (unsigned)c->box_ssh.port);
	if (ok && c->socket_remote_port)
		ok = add(out, e, "-R") &&
		     add(out, e, "%s%u:%s:%u", bind, (unsigned)c->socket_remote_port,
			 fwd_host(c->socket_signer.host, b2, sizeof(b2)), (unsigned)c->socket_signer.port);
	if (ok && plan->probe_socket)
		ok = add(out, e, "-L") &&
		     add(out, e, "%s:%s:%u", plan->probe_socket,
			 fwd_host(c->probe_host, b1, sizeof(b1)), P);
	ok = ok && add(out, e, "-l") && add(out, e, "%s", c->user) && add(out, e, "-p") &&
	     add(out, e, "%u", (unsigned)c->endpoint.port) && add(out, e, "--") &&
	     add(out, e, "%s", c->endpoint.host);
	if (!ok)
		tunnel_ssh_argv_free(out);
	return ok;
}

bool tunnel_argv_to_text(const struct ssh_argv *a, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return false;
	out[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		if (o + 2 >= cap)
			return false;
		if (i)
			out[o++] = ' ';
		if (!tunnel_shell_quote(out + o, cap - o, a->v[i], false))
			return false;
		o += strlen(out + o);
	}
	return true;
}
