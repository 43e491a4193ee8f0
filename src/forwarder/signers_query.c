/* signers_query.c - what the rest of the forwarder asks of a parsed signers
 * file: a box by key, name or port, its health-check path, and the file's
 * canonical form. */
#include "signers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int signers_find_fingerprint(const struct signers *s, const char *fingerprint)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key.fingerprint, fingerprint) == 0)
			return (int)i;
	return -1;
}

int signers_find_without_bakers(const struct signers *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].n_bakers == 0)
			return (int)i;
	return -1;
}

int signers_find_port(const struct signers *s, unsigned port, const char **role)
{
	for (size_t i = 0; i < s->n; i++) {
		const char *r = signer_port_role(&s->v[i], port);
		if (r) {
			if (role)
				*role = r;
			return (int)i;
		}
	}
	return -1;
}

int signers_find_name(const struct signers *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *signer_check_path(const struct signer *b, char *buf, size_t cap)
{
	if (b->statusz[0])
		snprintf(buf, cap, "/statusz/%s", b->statusz);
	else
		snprintf(buf, cap, "/authorized_keys");
	return buf;
}

char *signers_canonical(const struct signers *s)
{
	static const char header[] =
		"# tzsigner forwarder signers (canonical form, rendered by `tzsigner forwarder render`)\n"
		"# NAME PORT [socket=PORT] [statusz=PKH] [bakers=NAMESPACE:LABEL=VALUE,...] "
		"SSH_PUBLIC_KEY\n";
	size_t cap = sizeof(header);
	for (size_t i = 0; i < s->n; i++)
		cap += SIGNER_NAME_MAX + 8 + 16 + SIGNER_PKH_LEN + 10 + 24 + strlen(s->v[i].key.b64) +
		       SIGNER_COMMENT_MAX + 8 +
		       SIGNER_BAKERS_MAX * (8 + SIGNER_NS_MAX + 1 + SIGNER_LABELS_MAX);
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = (size_t)snprintf(out, cap, "%s", header);
	for (size_t i = 0; i < s->n && o < cap; i++) {
		const struct signer *b = &s->v[i];
		char sock[16] = "";
		if (b->socket_port)
			snprintf(sock, sizeof(sock), " socket=%u", (unsigned)b->socket_port);
		int n = snprintf(out + o, cap - o, "%s %u%s%s%s", b->name, (unsigned)b->port, sock,
				 b->statusz[0] ? " statusz=" : "", b->statusz);
		for (unsigned k = 0; n >= 0 && k < b->n_bakers && o + (size_t)n < cap; k++) {
			int m = snprintf(out + o + (size_t)n, cap - o - (size_t)n, " bakers=%s:%s", b->bakers[k].ns,
					 b->bakers[k].labels);
			n = m < 0 ? m : n + m;
		}
		if (n < 0 || o + (size_t)n >= cap)
			break;
		o += (size_t)n;
		n = snprintf(out + o, cap - o, " %s %s%s%s\n", sshkey_type_name(b->key.type), b->key.b64,
			     b->comment[0] ? " " : "", b->comment);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return out;
}
