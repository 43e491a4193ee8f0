/* config.c - tunnel settings: defaults, one checked setter shared by the
 * command line and the config file, and the config file parser. */
#include "../base/parse.h"
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/sshkey.h"

enum key_id {
	K_ENDPOINT,
	K_USER,
	K_IDENTITY,
	K_HOST_KEY,
	K_HOST_KEY_ALIAS,
	K_REMOTE_PORT,
	K_REMOTE_BIND,
	K_PROBE_HOST,
	K_SIGNER,
	K_SSH,
	K_STATE,
	K_RUN_DIR,
	K_SSH_COMMAND,
	K_ALIVE_INTERVAL,
	K_ALIVE_COUNT,
	K_CONNECT_TIMEOUT,
	K_USER_TIMEOUT,
	K_PROBE_INTERVAL,
	K_PROBE_TIMEOUT,
	K_STABLE_AFTER,
	K_BACKOFF_MIN,
	K_BACKOFF_MAX,
	K_REFUSED_RETRY,
	K_FOLLOW_UPLINK,
	K_NAME,
	K_SOCKET_REMOTE_PORT,
	K_SOCKET_SIGNER,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_ENDPOINT] = "endpoint",
	[K_USER] = "user",
	[K_IDENTITY] = "identity",
	[K_HOST_KEY] = "host-key",
	[K_HOST_KEY_ALIAS] = "host-key-alias",
	[K_REMOTE_PORT] = "remote-port",
	[K_REMOTE_BIND] = "remote-bind",
	[K_PROBE_HOST] = "probe-host",
	[K_SIGNER] = "signer",
	[K_SSH] = "ssh",
	[K_STATE] = "state",
	[K_RUN_DIR] = "run-dir",
	[K_SSH_COMMAND] = "ssh-command",
	[K_ALIVE_INTERVAL] = "alive-interval",
	[K_ALIVE_COUNT] = "alive-count",
	[K_CONNECT_TIMEOUT] = "connect-timeout",
	[K_USER_TIMEOUT] = "user-timeout",
	[K_PROBE_INTERVAL] = "probe-interval",
	[K_PROBE_TIMEOUT] = "probe-timeout",
	[K_STABLE_AFTER] = "stable-after",
	[K_BACKOFF_MIN] = "backoff-min",
	[K_BACKOFF_MAX] = "backoff-max",
	[K_REFUSED_RETRY] = "refused-retry",
	[K_FOLLOW_UPLINK] = "follow-uplink",
	[K_NAME] = "name",
	[K_SOCKET_REMOTE_PORT] = "socket-remote-port",
	[K_SOCKET_SIGNER] = "socket-signer",
};

void tunnel_config_defaults(struct tunnel_config *c)
{
	memset(c, 0, sizeof(*c));
	c->endpoint.port = 22;
	snprintf(c->user, sizeof(c->user), "tzsigner");
	snprintf(c->host_key_alias, sizeof(c->host_key_alias), "tzsigner-endpoint");
	snprintf(c->probe_host, sizeof(c->probe_host), "localhost");
	snprintf(c->signer.host, sizeof(c->signer.host), "127.0.0.1");
	c->signer.port = 6732;
	snprintf(c->box_ssh.host, sizeof(c->box_ssh.host), "127.0.0.1");
	c->box_ssh.port = 22;
	snprintf(c->socket_signer.host, sizeof(c->socket_signer.host), "127.0.0.1");
	c->socket_signer.port = 7732;
	snprintf(c->ssh_command, sizeof(c->ssh_command), "ssh");
	c->alive_interval_s = 5;
	c->alive_count = 3;
	c->connect_timeout_s = 10;
	c->user_timeout_ms = 0;
	c->probe_interval_s = 0;
	c->probe_timeout_s = 5;
	c->stable_after_s = 20;
	c->backoff_min_ms = 1000;
	c->backoff_max_ms = 30000;
	c->refused_retry_s = 120;
	c->follow_uplink = true;
}

unsigned tunnel_user_timeout_ms(const struct tunnel_config *c)
{
	if (c->user_timeout_ms)
		return c->user_timeout_ms;
	unsigned long ms = (unsigned long)c->alive_interval_s * c->alive_count * 1000UL;
	if (ms < 2000)
		ms = 2000;
	if (ms > 600000)
		ms = 600000;
	return (unsigned)ms;
}

/* ---- small checkers */

static bool valid_hostname(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_')
			return false;
	}
	return true;
}

static bool is_ipv6_literal(const char *s)
{
	struct in6_addr a;
	return inet_pton(AF_INET6, s, &a) == 1;
}

static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

bool tunnel_path_is_safe(const char *path)
{
	if (!path || !*path || path[0] == '-')
		return false;
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (!isalnum(ch) && !strchr("._/@+,=-", ch))
			return false;
	}
	return true;
}

static bool check_path(const char *key, const char *value, char *dst, size_t cap,
		       struct err *e)
{
	if (!tunnel_path_is_safe(value))
		return err_set(e, ERR_MALFORMED,
			       "%s '%s': a path may hold only letters, digits and ._/@+,=- "
			       "(and must not start with '-')", key, value);
	if (!copy_str(dst, cap, value))
		return err_set(e, ERR_MALFORMED, "%s: path longer than %zu bytes", key, cap - 1);
	return true;
}

static bool check_host(const char *key, const char *value, char *dst, size_t cap,
		       struct err *e)
{
	if (!valid_hostname(value) && !is_ipv6_literal(value))
		return err_set(e, ERR_MALFORMED,
			       "%s '%s' is not a host name, IPv4 or IPv6 address", key, value);
	if (!copy_str(dst, cap, value))
		return err_set(e, ERR_MALFORMED, "%s: host longer than %zu bytes", key, cap - 1);
	return true;
}

bool tunnel_parse_host_port(const char *text, uint16_t default_port, struct host_port *out,
			    struct err *e)
{
	char host[TUNNEL_HOST_MAX];
	const char *port_text = NULL;
	size_t n = strlen(text);
	if (n == 0)
		return err_set(e, ERR_MALFORMED, "empty address: expected HOST[:PORT]");
	if (n >= sizeof(host) + 8)
		return err_set(e, ERR_MALFORMED, "address longer than %zu bytes", sizeof(host) + 7);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return err_set(e, ERR_MALFORMED, "'%s': '[' without ']'", text);
		size_t hl = (size_t)(close - text - 1);
		if (hl == 0 || hl >= sizeof(host))
			return err_set(e, ERR_MALFORMED, "'%s': bad bracketed address", text);
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		if (!is_ipv6_literal(host))
			return err_set(e, ERR_MALFORMED, "'%s': '%s' in brackets is not an IPv6 address",
				       text, host);
		if (close[1] == ':')
			port_text = close + 2;
		else if (close[1] != '\0')
			return err_set(e, ERR_MALFORMED, "'%s': unexpected text after ']'", text);
	} else {
		const char *colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* Several colons and no brackets: an IPv6 literal without a port. */
			if (!copy_str(host, sizeof(host), text) || !is_ipv6_literal(host))
				return err_set(e, ERR_MALFORMED,
					       "'%s' is not HOST[:PORT] (write IPv6 as [ADDR]:PORT)", text);
		} else if (colon) {
			size_t hl = (size_t)(colon - text);
			if (hl == 0 || hl >= sizeof(host))
				return err_set(e, ERR_MALFORMED, "'%s': missing host before ':'", text);
			memcpy(host, text, hl);
			host[hl] = '\0';
			port_text = colon + 1;
		} else if (!copy_str(host, sizeof(host), text)) {
			return err_set(e, ERR_MALFORMED, "'%s': host too long", text);
		}
		if (!valid_hostname(host) && !is_ipv6_literal(host))
			return err_set(e, ERR_MALFORMED, "'%s': '%s' is not a host name or address",
				       text, host);
	}
	unsigned long port = default_port;
	if (port_text) {
		if (!parse_ulong(port_text, 1, 65535, &port))
			return err_set(e, ERR_MALFORMED, "'%s': port '%s' is not 1 to 65535", text,
				       port_text);
	} else if (default_port == 0) {
		return err_set(e, ERR_MALFORMED, "'%s': a port is required (HOST:PORT)", text);
	}
	memcpy(out->host, host, strlen(host) + 1);
	out->port = (uint16_t)port;
	return true;
}

const char *tunnel_host_port_str(const struct host_port *hp, char *out, size_t cap)
{
	if (strchr(hp->host, ':'))
		snprintf(out, cap, "[%s]:%u", hp->host, (unsigned)hp->port);
	else
		snprintf(out, cap, "%s:%u", hp->host, (unsigned)hp->port);
	return out;
}

/* ---- host keys */

static bool known_key_type(const char *s, size_t n)
{
	for (int t = SSHKEY_ED25519; t <= SSHKEY_RSA; t++) {
		const char *name = sshkey_type_name((enum sshkey_type)t);
		if (strlen(name) == n && memcmp(name, s, n) == 0)
			return true;
	}
	return false;
}

bool tunnel_host_key_parse(const char *text, char *out, size_t cap, struct err *e)
{
	const char *tok[3] = { 0 };
	size_t tl[3] = { 0 };
	size_t nt = 0;
	const char *p = text;
	while (*p && nt < 3) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		tok[nt] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		tl[nt] = (size_t)(p - tok[nt]);
		nt++;
	}
	size_t t = 0;
	if (nt >= 1 && known_key_type(tok[0], tl[0]))
		t = 0;
	else if (nt >= 2 && known_key_type(tok[1], tl[1]))
		t = 1; /* known_hosts form: a host name first */
	else
		return err_set(e, ERR_MALFORMED,
			       "host key '%.60s': expected 'ssh-ed25519 AAAA…' (or ecdsa-sha2-nistp256/384/521, ssh-rsa)",
			       text);
	if (t + 1 >= nt)
		return err_set(e, ERR_MALFORMED, "host key '%.60s': the base64 key is missing", text);
	const char *type = tok[t], *b64 = tok[t + 1];
	size_t type_len = tl[t], b64_len = tl[t + 1];
	struct sshkey key;
	if (!sshkey_parse_pinned(type, type_len, b64, b64_len, &key, e))
		return err_wrap(e, "host key '%.60s'", text);
	if (type_len + 1 + b64_len + 1 > cap)
		return err_set(e, ERR_MALFORMED, "host key '%.60s': longer than %zu bytes", text, cap);
	memcpy(out, type, type_len);
	out[type_len] = ' ';
	memcpy(out + type_len + 1, b64, b64_len);
	out[type_len + 1 + b64_len] = '\0';
	return true;
}

static bool add_host_key(struct tunnel_config *c, const char *text, struct err *e)
{
	if (c->n_host_keys >= TUNNEL_MAX_HOST_KEYS)
		return err_set(e, ERR_MALFORMED, "more than %d host keys", TUNNEL_MAX_HOST_KEYS);
	char key[TUNNEL_HOST_KEY_MAX];
	if (!tunnel_host_key_parse(text, key, sizeof(key), e))
		return false;
	for (size_t i = 0; i < c->n_host_keys; i++)
		if (strcmp(c->host_keys[i], key) == 0)
			return true; /* the same key twice is harmless */
	memcpy(c->host_keys[c->n_host_keys++], key, strlen(key) + 1);
	return true;
}

bool tunnel_config_load_host_key_files(struct tunnel_config *c, struct err *e)
{
	for (size_t f = 0; f < c->n_host_key_files; f++) {
		const char *path = c->host_key_files[f];
		char *text = NULL;
		size_t len = 0;
		if (!file_read(path, 64 * 1024, FILE_PUBLIC, &text, &len, e))
			return err_wrap(e, "host-key file");
		bool ok = true;
		size_t found = 0, line_no = 0;
		char *save = NULL;
		for (char *line = strtok_r(text, "\n", &save); line && ok;
		     line = strtok_r(NULL, "\n", &save)) {
			line_no++;
			size_t l = strlen(line);
			while (l && (line[l - 1] == '\r' || line[l - 1] == ' ' || line[l - 1] == '\t'))
				line[--l] = '\0';
			const char *s = line;
			while (*s == ' ' || *s == '\t')
				s++;
			if (!*s || *s == '#')
				continue;
			ok = add_host_key(c, s, e);
			if (!ok)
				err_wrap(e, "%s:%zu", path, line_no);
			found++;
		}
		file_free(text, len);
		if (!ok)
			return false;
		if (found == 0)
			return err_set(e, ERR_MALFORMED, "host-key file %s holds no key", path);
	}
	c->n_host_key_files = 0;
	return true;
}

/* ---- the setter */

static int key_lookup(const char *key)
{
	for (int i = 0; i < K_COUNT; i++)
		if (strcmp(key_names[i], key) == 0)
			return i;
	return -1;
}

static bool set_uint(const char *key, const char *value, unsigned long min, unsigned long max,
		     unsigned *dst, struct err *e)
{
	unsigned long v;
	if (!parse_ulong(value, min, max, &v))
		return err_set(e, ERR_MALFORMED, "%s '%s' is not a whole number from %lu to %lu", key,
			       value, min, max);
	*dst = (unsigned)v;
	return true;
}

static bool set_name(const char *key, const char *value, char *dst, size_t cap, struct err *e)
{
	size_t n = strlen(value);
	if (n == 0 || n >= cap || value[0] == '-')
		return err_set(e, ERR_MALFORMED, "%s '%s': 1 to %zu characters, not starting with '-'",
			       key, value, cap - 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)value[i];
		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return err_set(e, ERR_MALFORMED,
				       "%s '%s': only letters, digits and ._- are allowed", key, value);
	}
	memcpy(dst, value, n + 1);
	return true;
}

bool tunnel_config_set(struct tunnel_config *c, const char *key, const char *value,
		       struct err *e)
{
	int id = key_lookup(key);
	if (id < 0)
		return err_set(e, ERR_MALFORMED, "unknown setting '%s'", key);
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(e, ERR_MALFORMED, "%s: control character in the value", key);
	unsigned long v;
	struct host_port hp;
	switch ((enum key_id)id) {
	case K_ENDPOINT:
		if (!tunnel_parse_host_port(value, 22, &hp, e))
			return err_wrap(e, "endpoint");
		c->endpoint = hp;
		return true;
	case K_USER: return set_name(key, value, c->user, 33, e);
	case K_IDENTITY: return check_path(key, value, c->identity, sizeof(c->identity), e);
	case K_HOST_KEY:
		if (strchr(value, ' ') || strchr(value, '\t'))
			return add_host_key(c, value, e);
		if (c->n_host_key_files >= TUNNEL_MAX_HOST_KEYS)
			return err_set(e, ERR_MALFORMED, "more than %d host key files",
				       TUNNEL_MAX_HOST_KEYS);
		if (!check_path(key, value, c->host_key_files[c->n_host_key_files],
				sizeof(c->host_key_files[0]), e))
			return err_wrap(e, "(neither 'TYPE BASE64' nor a file)");
		c->n_host_key_files++;
		return true;
	case K_HOST_KEY_ALIAS:
		return set_name(key, value, c->host_key_alias, sizeof(c->host_key_alias), e);
	case K_REMOTE_PORT:
		if (!parse_ulong(value, 1, 65535 - TUNNEL_PORT_OFFSET, &v))
			return err_set(e, ERR_MALFORMED,
				       "remote-port '%s' is not 1 to %d (the box's sshd goes to P+%d)",
				       value, 65535 - TUNNEL_PORT_OFFSET, TUNNEL_PORT_OFFSET);
		c->remote_port = (uint16_t)v;
		return true;
	case K_REMOTE_BIND: return check_host(key, value, c->remote_bind, sizeof(c->remote_bind), e);
	case K_PROBE_HOST: return check_host(key, value, c->probe_host, sizeof(c->probe_host), e);
	case K_SIGNER:
		if (!tunnel_parse_host_port(value, 0, &hp, e))
			return err_wrap(e, "signer");
		c->signer = hp;
		return true;
	case K_SSH:
		if (!tunnel_parse_host_port(value, 0, &hp, e))
			return err_wrap(e, "ssh");
		c->box_ssh = hp;
		return true;
	case K_SOCKET_REMOTE_PORT:
		if (!parse_ulong(value, 1, 65535, &v))
			return err_set(e, ERR_MALFORMED, "socket-remote-port '%s' is not 1 to 65535", value);
		c->socket_remote_port = (uint16_t)v;
		return true;
	case K_SOCKET_SIGNER:
		if (!tunnel_parse_host_port(value, 0, &hp, e))
			return err_wrap(e, "socket-signer");
		c->socket_signer = hp;
		return true;
	case K_STATE: return check_path(key, value, c->state_path, sizeof(c->state_path), e);
	case K_RUN_DIR: return check_path(key, value, c->run_dir, sizeof(c->run_dir), e);
	case K_SSH_COMMAND: return check_path(key, value, c->ssh_command, sizeof(c->ssh_command), e);
	case K_ALIVE_INTERVAL: return set_uint(key, value, 1, 3600, &c->alive_interval_s, e);
	case K_ALIVE_COUNT: return set_uint(key, value, 1, 100, &c->alive_count, e);
	case K_CONNECT_TIMEOUT: return set_uint(key, value, 1, 300, &c->connect_timeout_s, e);
	case K_USER_TIMEOUT: return set_uint(key, value, 0, 600000, &c->user_timeout_ms, e);
	case K_PROBE_INTERVAL: return set_uint(key, value, 0, 86400, &c->probe_interval_s, e);
	case K_PROBE_TIMEOUT: return set_uint(key, value, 1, 300, &c->probe_timeout_s, e);
	case K_STABLE_AFTER: return set_uint(key, value, 1, 86400, &c->stable_after_s, e);
	case K_BACKOFF_MIN: return set_uint(key, value, 10, 600000, &c->backoff_min_ms, e);
	case K_BACKOFF_MAX: return set_uint(key, value, 10, 3600000, &c->backoff_max_ms, e);
	case K_REFUSED_RETRY: return set_uint(key, value, 1, 86400, &c->refused_retry_s, e);
	case K_FOLLOW_UPLINK:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "on") ||
		    !strcmp(value, "1"))
			c->follow_uplink = true;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "off") ||
			 !strcmp(value, "0"))
			c->follow_uplink = false;
		else
			return err_set(e, ERR_MALFORMED, "follow-uplink '%s' is not yes or no", value);
		return true;
	case K_NAME: return set_name(key, value, c->name, sizeof(c->name), e);
	case K_COUNT: break;
	}
	return err_set(e, ERR_INTERNAL, "setting '%s' has no handler", key);
}

/* ---- the file parser */

bool tunnel_config_parse(struct tunnel_config *c, const char *text, size_t len,
			 const char *origin, struct err *e)
{
	bool seen[K_COUNT] = { false };
	char line[TUNNEL_LINE_MAX + 1];
	size_t pos = 0, line_no = 0;
	if (len > TUNNEL_CONFIG_MAX)
		return err_set(e, ERR_TOO_LARGE, "%s: %zu bytes exceed the limit of %d", origin, len,
			       TUNNEL_CONFIG_MAX);
	while (pos < len) {
		line_no++;
		size_t start = pos;
		while (pos < len && text[pos] != '\n')
			pos++;
		size_t n = pos - start;
		if (pos < len)
			pos++; /* the newline */
		if (n > TUNNEL_LINE_MAX)
			return err_set(e, ERR_MALFORMED, "%s:%zu: line longer than %d bytes", origin,
				       line_no, TUNNEL_LINE_MAX);
		memcpy(line, text + start, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)line[i];
			if (ch == '\0' || (ch < 0x20 && ch != '\t') || ch == 0x7f)
				return err_set(e, ERR_MALFORMED, "%s:%zu: control byte 0x%02x at column %zu",
					       origin, line_no, ch, i + 1);
		}
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		char *k = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '=')
			s++;
		char *kend = s;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '=')
			s++;
		while (*s == ' ' || *s == '\t')
			s++;
		*kend = '\0';
		char *v = s;
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
			vl -= 2;
		} else if (vl && (v[0] == '"' || v[0] == '\'')) {
			return err_set(e, ERR_MALFORMED, "%s:%zu: unterminated quote in the value of '%s'",
				       origin, line_no, k);
		}
		int id = key_lookup(k);
		if (id < 0)
			return err_set(e, ERR_MALFORMED, "%s:%zu: unknown setting '%.64s'", origin, line_no,
				       k);
		if (vl == 0)
			return err_set(e, ERR_MALFORMED, "%s:%zu: '%s' has no value", origin, line_no, k);
		if (seen[id] && id != K_HOST_KEY)
			return err_set(e, ERR_MALFORMED, "%s:%zu: '%s' is set twice", origin, line_no, k);
		seen[id] = true;
		if (!tunnel_config_set(c, k, v, e))
			return err_wrap(e, "%s:%zu", origin, line_no);
	}
	return true;
}

bool tunnel_config_check(const struct tunnel_config *c, struct err *e)
{
	if (!c->endpoint.host[0])
		return err_set(e, ERR_MALFORMED, "no endpoint: give --endpoint HOST[:PORT]");
	if (!c->identity[0])
		return err_set(e, ERR_MALFORMED, "no identity: give --identity FILE "
						 "(create one with `tzsigner tunnel keygen`)");
	if (c->n_host_keys == 0 && c->n_host_key_files == 0)
		return err_set(e, ERR_MALFORMED,
			       "no pinned host key: give --host-key 'ssh-ed25519 AAAA…' or a file");
	if (c->remote_port == 0)
		return err_set(e, ERR_MALFORMED, "no remote port: give --remote-port P");
	if (c->socket_remote_port &&
	    (c->socket_remote_port == c->remote_port ||
	     c->socket_remote_port == c->remote_port + TUNNEL_PORT_OFFSET))
		return err_set(e, ERR_MALFORMED,
			       "socket-remote-port %u is the signer's remote port P or the box's sshd P+%d: choose another",
			       (unsigned)c->socket_remote_port, TUNNEL_PORT_OFFSET);
	if (c->backoff_min_ms > c->backoff_max_ms)
		return err_set(e, ERR_MALFORMED, "backoff-min %u ms is above backoff-max %u ms",
			       c->backoff_min_ms, c->backoff_max_ms);
	return true;
}

unsigned tunnel_forward_count(const struct tunnel_config *c)
{
	return c->socket_remote_port ? 3u : 2u;
}
