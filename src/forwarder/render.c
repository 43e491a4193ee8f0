/* render.c - sshd_config, authorized_keys and the host key files. */
#include "render.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/file.h"
#include "../base/strbuf.h"

#define HOST_KEY_FILE_MAX (64 * 1024)

void fwd_render_opts_defaults(struct fwd_render_opts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->listen_host, sizeof(o->listen_host), "0.0.0.0");
	o->listen_port = 2222;
	o->alive_interval_s = 5;
	o->alive_count = 3;
	o->login_grace_s = 10;
	admit_limits_defaults(&o->admit);
}

bool fwd_path_is_safe(const char *path)
{
	if (!*path)
		return false;
	for (const char *p = path; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._/@+,=-", c)))
			return false;
	}
	return true;
}

static const char *gateway_ports(const struct fwd_render_opts *o)
{
	switch (o->forward_bind) {
	case FWD_BIND_SIGNER: return "clientspecified";
	case FWD_BIND_ANY: return "yes";
	case FWD_BIND_LOOPBACK: break;
	}
	return "no";
}

/* What a box may listen on for one of its ports: with FWD_BIND_SIGNER, P and
 * the socket port only as 0.0.0.0:PORT and P+1000 (sshd) only on loopback;
 * else the port alone (sshd then takes "localhost", which every -R without
 * an address asks for, and GatewayPorts decides the address). */
static const char *listen_spec(const struct fwd_render_opts *o, unsigned port, bool box_sshd, char *buf,
			       size_t cap)
{
	if (o->forward_bind == FWD_BIND_SIGNER)
		snprintf(buf, cap, "%s:%u", box_sshd ? "localhost" : "0.0.0.0", port);
	else
		snprintf(buf, cap, "%u", port);
	return buf;
}

/* The listen specs of box x's ports (P, P+1000, and its socket port when it
 * has one): as key options `permitlisten="A",permitlisten="B"`, or as
 * PermitListen's words ` A B`. */
static void box_listens(struct strbuf *b, const struct fwd_render_opts *o, const struct signer *x,
			bool key_options)
{
	unsigned ports[3] = { x->port, (unsigned)x->port + SIGNER_PORT_OFFSET, x->socket_port };
	for (size_t i = 0; i < 3 && ports[i]; i++) {
		char l[32];
		listen_spec(o, ports[i], i == 1, l, sizeof(l));
		if (key_options)
			sb_printf(b, "%spermitlisten=\"%s\"", i ? "," : "", l);
		else
			sb_printf(b, " %s", l);
	}
}

char *fwd_sshd_config_text(const struct fwd_render_opts *o, const struct fwd_rendered *r)
{
	struct strbuf b = { 0 };
	const struct signers *s = &r->signers;
	sb_printf(&b,
		  "# sshd_config of the tzsigner forwarder, rendered by `tzsigner forwarder` from\n"
		  "# %s (%zu box%s). Do not edit: change the signers file and render again.\n"
		  "# sshd runs once per connection the forwarder accepts: sshd -i -e -f THIS_FILE\n"
		  "\n"
		  "# Identity: only the given host key, so a rebuilt endpoint is the same host.\n"
		  "HostKey %s\n"
		  "HostKeyAlgorithms %s\n"
		  "\n"
		  "# Who: one account, public keys only, each box's key in one file.\n"
		  "AllowUsers %s\n"
		  "PermitRootLogin %s\n"
		  "AuthorizedKeysFile %s\n"
		  "AuthorizedPrincipalsFile none\n"
		  "AuthorizedKeysCommand none\n"
		  "StrictModes yes\n"
		  "AuthenticationMethods publickey\n"
		  "PubkeyAuthentication yes\n"
		  "PubkeyAcceptedAlgorithms ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
		  "ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256\n"
		  "PasswordAuthentication no\n"
		  "KbdInteractiveAuthentication no\n"
		  "HostbasedAuthentication no\n"
		  "IgnoreRhosts yes\n"
		  "GSSAPIAuthentication no\n"
		  "KerberosAuthentication no\n"
		  "PermitEmptyPasswords no\n"
		  "UsePAM no\n"
		  "MaxAuthTries 3\n"
		  "\n"
		  "# Under attack: a short login deadline, random early drop past START\n"
		  "# unauthenticated connections (all dropped at FULL) and a share per source.\n"
		  "# With `forwarder run` (sshd -i per connection) its accept loop applies the\n"
		  "# same numbers; these lines hold for an sshd that listens itself.\n"
		  "LoginGraceTime %u\n"
		  "MaxStartups %u:%u:%u\n"
		  "PerSourceMaxStartups %u\n"
		  "PerSourceNetBlockSize %u:%u\n"
		  "\n"
		  "# What: no terminal, no shell, command or subsystem (MaxSessions 0), no agent,\n"
		  "# X11, tun or UNIX-socket forwarding; TCP forwarding limited per key by\n"
		  "# authorized_keys and here to the union of the boxes' ports.\n"
		  "PermitTTY no\n"
		  "MaxSessions 0\n"
		  "ForceCommand /bin/false\n"
		  "PermitUserRC no\n"
		  "PermitUserEnvironment no\n"
		  "PermitTunnel no\n"
		  "X11Forwarding no\n"
		  "AllowAgentForwarding no\n"
		  "AllowStreamLocalForwarding no\n"
		  "AllowTcpForwarding %s\n"
		  "GatewayPorts %s\n",
		  o->signers_path ? o->signers_path : "the signers file", s->n, s->n == 1 ? "" : "es",
		  r->host_key_out, sshkey_host_algorithms(r->host_key.type), r->user,
		  strcmp(r->user, "root") == 0 ? "prohibit-password" : "no", r->authorized_keys_path,
		  o->login_grace_s, o->admit.start, o->admit.rate, o->admit.full, o->admit.per_source,
		  o->admit.v4_bits, o->admit.v6_bits, o->self_probe ? "yes" : "remote", gateway_ports(o));
	sb_printf(&b, "PermitListen");
	for (size_t i = 0; i < s->n; i++)
		box_listens(&b, o, &s->v[i], false);
	sb_printf(&b, "\nPermitOpen");
	if (!o->self_probe)
		sb_printf(&b, " none");
	for (size_t i = 0; o->self_probe && i < s->n; i++)
		sb_printf(&b, " localhost:%u 127.0.0.1:%u", (unsigned)s->v[i].port,
			  (unsigned)s->v[i].port);
	sb_printf(&b,
		  "\n"
		  "\n"
		  "# Liveness: a dead box's session is reaped so its reconnection can bind again.\n"
		  "ClientAliveInterval %u\n"
		  "ClientAliveCountMax %u\n"
		  "TCPKeepAlive yes\n"
		  "\n"
		  "UseDNS no\n"
		  "Compression no\n"
		  "PrintMotd no\n"
		  "PrintLastLog no\n"
		  "Banner none\n"
		  "VersionAddendum none\n"
		  "PidFile none\n"
		  "LogLevel VERBOSE\n"
		  "KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,"
		  "curve25519-sha256@libssh.org\n"
		  "Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com\n"
		  "MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com\n",
		  o->alive_interval_s, o->alive_count);
	return sb_take(&b);
}

char *fwd_authorized_keys_text(const struct fwd_render_opts *o, const struct signers *s)
{
	struct strbuf b = { 0 };
	sb_printf(&b,
		  "# authorized_keys of the tzsigner forwarder, rendered from %s.\n"
		  "# One box a line: it may listen on its P and P+1000 (and on its socket port\n"
		  "# when the signers file gives one) and nothing else.\n",
		  o->signers_path ? o->signers_path : "the signers file");
	for (size_t i = 0; i < s->n; i++) {
		const struct signer *x = &s->v[i];
		unsigned P = x->port;
		sb_printf(&b, "restrict,port-forwarding,");
		box_listens(&b, o, x, true);
		if (o->self_probe)
			sb_printf(&b, ",permitopen=\"localhost:%u\",permitopen=\"127.0.0.1:%u\"", P, P);
		sb_printf(&b, " %s %s tzsigner:%s\n", sshkey_type_name(x->key.type), x->key.b64, x->name);
	}
	return sb_take(&b);
}

/* One directory of the chain: owned by root or uid, not group/other
 * writable (sshd's rule), and searchable by uid. */
static bool check_dir(const char *dir, uid_t uid, struct err *e)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return err_errno(e, ERR_IO, "stat %s", dir);
	if (st.st_uid != 0 && st.st_uid != uid)
		return err_set(e, ERR_FORBIDDEN,
			       "directory %s is owned by uid %u, neither root nor the login user (uid %u): "
			       "sshd's StrictModes would ignore authorized_keys under it and refuse every box",
			       dir, (unsigned)st.st_uid, (unsigned)uid);
	if (st.st_mode & 022)
		return err_set(e, ERR_FORBIDDEN,
			       "directory %s is writable by group or others (mode %04o): sshd's StrictModes "
			       "would ignore authorized_keys under it and refuse every box; choose an output "
			       "directory none of whose parents is (not under /tmp)",
			       dir, (unsigned)(st.st_mode & 07777));
	if (uid != 0 && st.st_uid != uid && !(st.st_mode & 001))
		return err_set(e, ERR_FORBIDDEN,
			       "directory %s (mode %04o) cannot be searched by the login user (uid %u), who "
			       "must read authorized_keys under it",
			       dir, (unsigned)(st.st_mode & 07777), (unsigned)uid);
	return true;
}

bool fwd_check_strict_modes(const char *path, uid_t uid, const char *home, struct err *e)
{
	char buf[PATH_MAX], homebuf[PATH_MAX];
	if (!realpath(path, buf))
		return err_errno(e, ERR_IO, "realpath %s", path);
	bool compare_home = home && realpath(home, homebuf);
	struct stat st;
	if (stat(buf, &st) != 0)
		return err_errno(e, ERR_IO, "stat %s", buf);
	if (!S_ISDIR(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			return err_set(e, ERR_FORBIDDEN, "%s is not a regular file", buf);
		if ((st.st_uid != 0 && st.st_uid != uid) || (st.st_mode & 022))
			return err_set(e, ERR_FORBIDDEN, "bad ownership or modes for file %s (uid %u, mode %04o)",
				       buf, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		char *d = dirname(buf);
		memmove(buf, d, strlen(d) + 1);
	}
	for (;;) {
		if (!check_dir(buf, uid, e))
			return false;
		if (compare_home && strcmp(buf, homebuf) == 0)
			break;
		if (strcmp(buf, "/") == 0 || strcmp(buf, ".") == 0)
			break;
		char *d = dirname(buf);
		memmove(buf, d, strlen(d) + 1);
	}
	return true;
}

bool fwd_load_host_key(const char *path, struct sshkey *pub, char **text, size_t *len,
		       struct err *e)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOT_FOUND, "host key %s: no such file", path);
		return err_errno(e, ERR_IO, "host key %s", path);
	}
	char *t = NULL;
	size_t l = 0;
	/* Kubernetes mounts a Secret as a symlink to a root-owned file the pod's
	 * group may read, so the input is not held to FILE_SECRET; the copy
	 * sshd uses is written 0600. */
	if (!file_read(real, HOST_KEY_FILE_MAX, FILE_PUBLIC, &t, &l, e))
		return err_wrap(e, "host key");
	if (!sshkey_parse_private_text(t, l, pub, e)) {
		file_free(t, l);
		return err_wrap(e, "host key %s", path);
	}
	if (text) {
		*text = t;
		*len = l;
	} else {
		file_free(t, l);
	}
	return true;
}

static bool resolve_user(const struct fwd_render_opts *o, struct fwd_rendered *r, char *home,
			 size_t home_cap, struct err *e)
{
	uid_t euid = geteuid();
	struct passwd *pw;
	if (o->user) {
		pw = getpwnam(o->user);
		if (!pw)
			return err_set(e, ERR_NOT_FOUND,
				       "login user '%s' does not exist on this system (create it, e.g. useradd "
				       "--system --shell /usr/sbin/nologin %s)",
				       o->user, o->user);
	} else if (euid == 0) {
		/* Root could log boxes in as anyone: the account a box's tunnel
		 * tries by default, never root itself. */
		pw = getpwnam(FWD_DEFAULT_USER);
		if (!pw)
			return err_set(e, ERR_NOT_FOUND,
				       "no --user, and the default login account '%s' (the account every "
				       "box's tunnel uses unless its `user` says otherwise) does not exist: "
				       "create it (useradd --system --shell /usr/sbin/nologin %s, or install "
				       "the package) or give --user NAME and set `user NAME` on the boxes",
				       FWD_DEFAULT_USER, FWD_DEFAULT_USER);
	} else {
		pw = getpwuid(euid);
		if (!pw)
			return err_set(e, ERR_NOT_FOUND, "the effective uid %u has no passwd entry; give --user",
				       (unsigned)euid);
	}
	if (euid != 0 && pw->pw_uid != euid)
		return err_set(e, ERR_FORBIDDEN,
			       "running as uid %u, sshd can only log in the user it runs as, not '%s' (uid "
			       "%u): drop --user or run the forwarder as root",
			       (unsigned)euid, pw->pw_name, (unsigned)pw->pw_uid);
	if (strlen(pw->pw_name) >= sizeof(r->user) || !fwd_path_is_safe(pw->pw_name))
		return err_set(e, ERR_MALFORMED, "login user name '%.64s' is not usable in sshd_config",
			       pw->pw_name);
	snprintf(r->user, sizeof(r->user), "%s", pw->pw_name);
	r->uid = pw->pw_uid;
	snprintf(home, home_cap, "%s", pw->pw_dir ? pw->pw_dir : "");
	return true;
}

static bool port_clash(const struct signers *s, uint16_t port, const char *what, struct err *e);

bool fwd_check_ports(const struct signers *s, uint16_t listen_port, uint16_t metrics_port, struct err *e)
{
	if (!port_clash(s, listen_port, "SSH listen", e) ||
	    (metrics_port && !port_clash(s, metrics_port, "metrics", e)))
		return false;
	if (metrics_port && metrics_port == listen_port)
		return err_set(e, ERR_MALFORMED, "the metrics port and the SSH port are both %u",
			       (unsigned)listen_port);
	return true;
}

static bool port_clash(const struct signers *s, uint16_t port, const char *what, struct err *e)
{
	const char *role = NULL;
	int i = signers_find_port(s, port, &role);
	if (i >= 0)
		return err_set(e, ERR_MALFORMED, "the %s port %u is box '%s''s %s (signers file line %u)",
			       what, (unsigned)port, s->v[i].name, role, s->v[i].line);
	return true;
}

static bool out_path(char *dst, const char *dir, const char *name, struct err *e)
{
	return path_join(dst, FILE_PATH_MAX, dir, name, e);
}

bool fwd_render(const struct fwd_render_opts *o, struct fwd_rendered *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	char home[PATH_MAX];
	char *key_text = NULL, *cfg = NULL, *ak = NULL;
	size_t key_len = 0;
	bool ok = false;
	if (!o->signers_path || !o->host_key_path || !o->out_dir)
		return err_set(e, ERR_MALFORMED, "--signers, --host-key and --out are required");
	if (!resolve_user(o, r, home, sizeof(home), e) || !signers_load(&r->signers, o->signers_path, e))
		return false;
	if (!fwd_check_ports(&r->signers, o->listen_port, o->metrics_port, e))
		return false;
	if (!fwd_load_host_key(o->host_key_path, &r->host_key, &key_text, &key_len, e))
		return false;
	if (!dir_ensure_parents(o->out_dir, 0755, e)) {
		err_wrap(e, "output directory");
		goto out;
	}
	char real[PATH_MAX];
	if (!realpath(o->out_dir, real)) {
		err_errno(e, ERR_IO, "output directory %s", o->out_dir);
		goto out;
	}
	if (strlen(real) + 32 >= sizeof(r->out_dir)) {
		err_set(e, ERR_MALFORMED, "output directory %s: path too long", real);
		goto out;
	}
	memcpy(r->out_dir, real, strlen(real) + 1);
	if (!fwd_path_is_safe(r->out_dir)) {
		err_set(e, ERR_MALFORMED,
			"output directory %s: use only letters, digits and ._/@+,=- (the path goes into "
			"sshd_config)",
			r->out_dir);
		goto out;
	}
	if (!fwd_check_strict_modes(r->out_dir, r->uid, home[0] ? home : NULL, e)) {
		err_wrap(e, "output directory %s", r->out_dir);
		goto out;
	}
	char name[64];
	snprintf(name, sizeof(name), "ssh_host_%s_key", sshkey_file_tag(r->host_key.type));
	if (!out_path(r->config_path, r->out_dir, "sshd_config", e) ||
	    !out_path(r->authorized_keys_path, r->out_dir, "authorized_keys", e) ||
	    !out_path(r->host_key_out, r->out_dir, name, e))
		goto out;
	if ((size_t)snprintf(r->host_pub_out, sizeof(r->host_pub_out), "%s.pub", r->host_key_out) >=
	    sizeof(r->host_pub_out)) {
		err_set(e, ERR_IO, "path too long: %s.pub", r->host_key_out);
		goto out;
	}
	cfg = fwd_sshd_config_text(o, r);
	ak = fwd_authorized_keys_text(o, &r->signers);
	if (!cfg || !ak) {
		err_set(e, ERR_INTERNAL, "out of memory rendering sshd files");
		goto out;
	}
	char pub[SSHKEY_B64_MAX + 64];
	int pl = snprintf(pub, sizeof(pub), "%s %s tzsigner-forwarder\n",
			  sshkey_type_name(r->host_key.type), r->host_key.b64);
	if (!file_write_durable(r->host_key_out, key_text, key_len, 0600, e) ||
	    !file_write_durable(r->host_pub_out, pub, (size_t)pl, 0644, e) ||
	    !file_write_durable(r->authorized_keys_path, ak, strlen(ak), 0644, e) ||
	    !file_write_durable(r->config_path, cfg, strlen(cfg), 0644, e))
		goto out;
	ok = true;
out:
	free(cfg);
	free(ak);
	file_free(key_text, key_len);
	return ok;
}

void fwd_rendered_free(struct fwd_rendered *r)
{
	signers_free(&r->signers);
}
