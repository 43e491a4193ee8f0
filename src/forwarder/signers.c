/* signers.c - the signers file parser and its cross-line checks. */
#include "signers.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "k8s_names.h"

#define MAX_TOKENS 16

struct token {
	const char *p;
	size_t len;
};

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

static bool check_name(const struct token *t, const char *origin, unsigned line, struct err *e)
{
	bool ok = t->len >= 1 && t->len <= SIGNER_NAME_MAX && t->p[0] >= 'a' && t->p[0] <= 'z' &&
		  is_lower_alnum(t->p[t->len - 1]);
	for (size_t i = 0; ok && i < t->len; i++)
		ok = is_lower_alnum(t->p[i]) || t->p[i] == '-';
	if (!ok)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: box name '%.*s' must be lowercase letters, digits and '-', start with a "
			       "letter, end with a letter or digit, and be at most %d characters (it names "
			       "the Kubernetes Service tzsigner-NAME)",
			       origin, line, (int)(t->len > 64 ? 64 : t->len), t->p, SIGNER_NAME_MAX);
	if (t->len >= 9 && memcmp(t->p, "forwarder", 9) == 0)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: box name '%.*s' is reserved: names starting with 'forwarder' would "
			       "clash with the endpoint's own Kubernetes objects (tzsigner-forwarder-…)",
			       origin, line, (int)t->len, t->p);
	return true;
}

/* A decimal number of 1 to 6 digits, no sign, into *v. */
static bool parse_decimal(const char *p, size_t len, unsigned long *v)
{
	*v = 0;
	if (len < 1 || len > 6)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (unsigned long)(p[i] - '0');
	}
	return true;
}

static bool parse_port(const struct token *t, const char *origin, unsigned line, uint16_t *out,
		       struct err *e)
{
	unsigned long v;
	if (!parse_decimal(t->p, t->len, &v))
		return err_set(e, ERR_MALFORMED, "%s:%u: port '%.*s' is not a number", origin, line,
			       (int)(t->len > 20 ? 20 : t->len), t->p);
	if (v < SIGNER_PORT_MIN || v > SIGNER_PORT_MAX)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: port %lu is out of range: P must be %d to %d (P + %d is the box's "
			       "sshd port)",
			       origin, line, v, SIGNER_PORT_MIN, SIGNER_PORT_MAX, SIGNER_PORT_OFFSET);
	*out = (uint16_t)v;
	return true;
}

const char *signer_port_role(const struct signer *b, unsigned port)
{
	if (port == b->port)
		return "port";
	if (port == (unsigned)b->port + SIGNER_PORT_OFFSET)
		return "sshd port (P + 1000)";
	if (b->socket_port && port == b->socket_port)
		return "socket port";
	return NULL;
}

/* socket=Q: the box's octez socket-protocol port, a third port of its own. */
static bool parse_socket_port(const char *v, size_t vl, struct signer *b, const char *origin,
			      unsigned line, struct err *e)
{
	unsigned long q;
	if (b->socket_port)
		return err_set(e, ERR_MALFORMED, "%s:%u: socket= given twice", origin, line);
	if (!parse_decimal(v, vl, &q) || q < SIGNER_PORT_MIN || q > 65535)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: socket='%.*s' is not a port from %d to 65535 (the port Q where the "
			       "box's octez socket protocol is reached: tunnel --socket-remote-port Q)",
			       origin, line, (int)(vl > 20 ? 20 : vl), v, SIGNER_PORT_MIN);
	const char *own = signer_port_role(b, (unsigned)q);
	if (own)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: socket port %lu is this box's own %s: the socket protocol needs a "
			       "third port",
			       origin, line, q, own);
	b->socket_port = (uint16_t)q;
	return true;
}

static bool is_b58(char c)
{
	return (c >= '1' && c <= '9') || (c >= 'A' && c <= 'H') || (c >= 'J' && c <= 'N') ||
	       (c >= 'P' && c <= 'Z') || (c >= 'a' && c <= 'k') || (c >= 'm' && c <= 'z');
}

bool signer_bakers_parse(const char *v, size_t vl, struct signer_bakers *k, const char *origin,
			 unsigned line, struct err *e)
{
	const char *colon = memchr(v, ':', vl);
	size_t nl = colon ? (size_t)(colon - v) : 0;
	bool ok = colon && k8s_dns_label_ok(v, nl, SIGNER_NS_MAX) && vl - nl - 1 >= 3 &&
		  vl - nl - 1 <= SIGNER_LABELS_MAX;
	const char *l = colon ? colon + 1 : v, *end = v + vl;
	while (ok && l < end) {
		const char *comma = memchr(l, ',', (size_t)(end - l));
		const char *pe = comma ? comma : end;
		const char *eq = memchr(l, '=', (size_t)(pe - l));
		ok = eq && k8s_label_key_ok(l, (size_t)(eq - l)) && k8s_label_value_ok(eq + 1, (size_t)(pe - eq - 1));
		l = comma ? comma + 1 : end;
		if (comma && l == end)
			ok = false;
	}
	if (!ok)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: bakers='%.*s' is not NAMESPACE:LABEL=VALUE[,LABEL=VALUE…] (a namespace "
			       "name, then the labels every baker pod of this box carries, e.g. "
			       "bakers=tezos:app.kubernetes.io/name=octez-baker)",
			       origin, line, (int)(vl > 80 ? 80 : vl), v);
	memcpy(k->ns, v, nl);
	k->ns[nl] = '\0';
	memcpy(k->labels, colon + 1, vl - nl - 1);
	k->labels[vl - nl - 1] = '\0';
	return true;
}

static bool parse_option(const struct token *t, struct signer *b, const char *origin, unsigned line,
			 struct err *e)
{
	const char *eq = memchr(t->p, '=', t->len);
	size_t kl = (size_t)(eq - t->p);
	const char *v = eq + 1;
	size_t vl = t->len - kl - 1;
	if (kl == 7 && memcmp(t->p, "statusz", 7) == 0) {
		if (b->statusz[0])
			return err_set(e, ERR_MALFORMED, "%s:%u: statusz= given twice", origin, line);
		bool ok = vl == SIGNER_PKH_LEN && v[0] == 't' && v[1] == 'z' && v[2] >= '1' && v[2] <= '4';
		for (size_t i = 3; ok && i < vl; i++)
			ok = is_b58(v[i]);
		if (!ok)
			return err_set(e, ERR_MALFORMED,
				       "%s:%u: statusz='%.*s' is not a key hash (tz1…, tz2…, tz3… or tz4…, %d "
				       "base58 characters)",
				       origin, line, (int)(vl > 48 ? 48 : vl), v, SIGNER_PKH_LEN);
		memcpy(b->statusz, v, vl);
		b->statusz[vl] = '\0';
		return true;
	}
	if (kl == 6 && memcmp(t->p, "socket", 6) == 0)
		return parse_socket_port(v, vl, b, origin, line, e);
	if (kl == 6 && memcmp(t->p, "bakers", 6) == 0) {
		if (b->n_bakers == SIGNER_BAKERS_MAX)
			return err_set(e, ERR_MALFORMED, "%s:%u: more than %d bakers= options", origin, line,
				       SIGNER_BAKERS_MAX);
		if (!signer_bakers_parse(v, vl, &b->bakers[b->n_bakers], origin, line, e))
			return false;
		b->n_bakers++;
		return true;
	}
	return err_set(e, ERR_MALFORMED,
		       "%s:%u: unknown option '%.*s' (known: socket=PORT, statusz=PKH, "
		       "bakers=NAMESPACE:LABEL=VALUE,…)",
		       origin, line, (int)(kl > 32 ? 32 : kl), t->p);
}

/* Parses one non-comment line into *b (tokens already split; rest is the
 * text after the key's base64, for the comment). */
static bool parse_line(struct token *tok, size_t nt, const char *rest, size_t rest_len,
		       struct signer *b, const char *origin, unsigned line, struct err *e)
{
	memset(b, 0, sizeof(*b));
	b->line = line;
	if (nt < 3)
		return err_set(e, ERR_MALFORMED,
			       "%s:%u: expected 'NAME PORT SSH_PUBLIC_KEY' (e.g. 'alpha 7001 ssh-ed25519 "
			       "AAAA…'), found %zu field%s",
			       origin, line, nt, nt == 1 ? "" : "s");
	if (!check_name(&tok[0], origin, line, e) || !parse_port(&tok[1], origin, line, &b->port, e))
		return false;
	memcpy(b->name, tok[0].p, tok[0].len);
	size_t i = 2;
	for (; i < nt && memchr(tok[i].p, '=', tok[i].len); i++)
		if (!parse_option(&tok[i], b, origin, line, e))
			return false;
	if (i >= nt)
		return err_set(e, ERR_MALFORMED, "%s:%u: the SSH public key is missing after the port",
			       origin, line);
	const struct token *type = &tok[i];
	const struct token *b64 = i + 1 < nt ? &tok[i + 1] : NULL;
	if (!sshkey_parse_public(type->p, type->len, b64 ? b64->p : "", b64 ? b64->len : 0, &b->key, e))
		return err_wrap(e, "%s:%u: box '%s'", origin, line, b->name);
	while (rest_len && (*rest == ' ' || *rest == '\t')) {
		rest++;
		rest_len--;
	}
	if (rest_len > SIGNER_COMMENT_MAX)
		return err_set(e, ERR_MALFORMED, "%s:%u: the key comment is longer than %d characters", origin,
			       line, SIGNER_COMMENT_MAX);
	memcpy(b->comment, rest, rest_len);
	b->comment[rest_len] = '\0';
	return true;
}

/* The checks between lines: names, keys, ports. */
static bool check_against(const struct signers *s, const struct signer *b, const char *origin,
			  struct err *e)
{
	const unsigned P = b->port, Q = b->port + SIGNER_PORT_OFFSET;
	for (size_t j = 0; j < s->n; j++) {
		const struct signer *o = &s->v[j];
		const unsigned oP = o->port, oQ = o->port + SIGNER_PORT_OFFSET;
		if (strcmp(o->name, b->name) == 0)
			return err_set(e, ERR_MALFORMED, "%s:%u: duplicate box name '%s' (first at line %u)",
				       origin, b->line, b->name, o->line);
		if (o->key.blob_len == b->key.blob_len &&
		    memcmp(o->key.blob, b->key.blob, b->key.blob_len) == 0)
			return err_set(e, ERR_MALFORMED,
				       "%s:%u: box '%s' has the same SSH key as box '%s' (line %u); each box "
				       "needs its own key, it is how the endpoint tells boxes apart",
				       origin, b->line, b->name, o->name, o->line);
		if (P == oP)
			return err_set(e, ERR_MALFORMED, "%s:%u: duplicate port %u: box '%s' (line %u) has it",
				       origin, b->line, P, o->name, o->line);
		if (P == oQ)
			return err_set(e, ERR_MALFORMED,
				       "%s:%u: port %u is box '%s''s sshd port (its P + %d; line %u)", origin,
				       b->line, P, o->name, SIGNER_PORT_OFFSET, o->line);
		if (Q == oP)
			return err_set(e, ERR_MALFORMED,
				       "%s:%u: port %u + %d = %u (this box's sshd port) is box '%s''s port "
				       "(line %u)",
				       origin, b->line, P, SIGNER_PORT_OFFSET, Q, o->name, o->line);
		const char *role = b->socket_port ? signer_port_role(o, b->socket_port) : NULL;
		if (role)
			return err_set(e, ERR_MALFORMED, "%s:%u: socket port %u is box '%s''s %s (line %u)",
				       origin, b->line, (unsigned)b->socket_port, o->name, role, o->line);
		role = o->socket_port ? signer_port_role(b, o->socket_port) : NULL;
		if (role)
			return err_set(e, ERR_MALFORMED,
				       "%s:%u: this box's %s %u is box '%s''s socket port (line %u)", origin,
				       b->line, role, (unsigned)o->socket_port, o->name, o->line);
	}
	return true;
}

void signers_free(struct signers *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool signers_parse(struct signers *s, const char *text, size_t len, const char *origin,
		   struct err *e)
{
	s->v = NULL;
	s->n = 0;
	size_t cap = 0;
	unsigned line = 0;
	size_t pos = 0;
	struct signer *b = malloc(sizeof(*b));
	if (!b)
		return err_set(e, ERR_INTERNAL, "out of memory");
	while (pos < len) {
		line++;
		const char *l = text + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		pos += ll + (nl ? 1 : 0);
		if (ll && l[ll - 1] == '\r')
			ll--;
		if (ll > SIGNERS_LINE_MAX) {
			err_set(e, ERR_MALFORMED, "%s:%u: line longer than %d bytes", origin, line, SIGNERS_LINE_MAX);
			goto fail;
		}
		for (size_t i = 0; i < ll; i++) {
			unsigned char c = (unsigned char)l[i];
			if ((c < 0x20 && c != '\t') || c >= 0x7f) {
				err_set(e, ERR_MALFORMED, "%s:%u: column %zu: byte 0x%02x is not printable ASCII",
					origin, line, i + 1, c);
				goto fail;
			}
		}
		struct token tok[MAX_TOKENS];
		size_t nt = 0;
		size_t i = 0;
		bool type_seen = false;
		const char *after_key = l + ll; /* text after the key's base64: its comment */
		while (i < ll) {
			while (i < ll && (l[i] == ' ' || l[i] == '\t'))
				i++;
			if (i >= ll || (nt == 0 && l[i] == '#'))
				break;
			size_t st = i;
			while (i < ll && l[i] != ' ' && l[i] != '\t')
				i++;
			if (nt == MAX_TOKENS) {
				err_set(e, ERR_MALFORMED, "%s:%u: too many fields before the key", origin, line);
				goto fail;
			}
			tok[nt].p = l + st;
			tok[nt].len = i - st;
			nt++;
			/* NAME PORT [OPTION=VALUE…] TYPE BASE64 [COMMENT…] */
			if (type_seen) {
				after_key = l + i;
				break;
			}
			if (nt >= 3 && !memchr(tok[nt - 1].p, '=', tok[nt - 1].len))
				type_seen = true;
		}
		if (nt == 0)
			continue;
		if (s->n == SIGNERS_MAX) {
			err_set(e, ERR_MALFORMED, "%s:%u: more than %d boxes", origin, line, SIGNERS_MAX);
			goto fail;
		}
		if (!parse_line(tok, nt, after_key, (size_t)(l + ll - after_key), b, origin, line, e) ||
		    !check_against(s, b, origin, e))
			goto fail;
		if (s->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct signer *v = realloc(s->v, ncap * sizeof(*v));
			if (!v) {
				err_set(e, ERR_INTERNAL, "out of memory");
				goto fail;
			}
			s->v = v;
			cap = ncap;
		}
		s->v[s->n++] = *b;
	}
	free(b);
	if (s->n == 0) {
		signers_free(s);
		return err_set(e, ERR_MALFORMED, "%s: no box (expected lines 'NAME PORT SSH_PUBLIC_KEY')",
			       origin);
	}
	return true;
fail:
	free(b);
	signers_free(s);
	return false;
}

bool signers_load(struct signers *s, const char *path, struct err *e)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOT_FOUND, "signers file %s: no such file", path);
		return err_errno(e, ERR_IO, "signers file %s", path);
	}
	char *text = NULL;
	size_t len = 0;
	if (!file_read(real, SIGNERS_FILE_MAX, FILE_PUBLIC, &text, &len, e))
		return err_wrap(e, "signers file");
	bool ok = signers_parse(s, text, len, path, e);
	file_free(text, len);
	return ok;
}
