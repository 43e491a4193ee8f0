/* libFuzzer target: the forwarder's signers file parser and what is
 * rendered from it. Any input either fails with a message naming the file
 * and a line, or parses into boxes whose invariants hold (distinct names
 * and keys; no two of all the boxes' ports P, P + 1000 and socket port Q
 * equal), whose canonical form
 * parses back to the same boxes, and whose sshd and Kubernetes files
 * render. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/forwarder/k8s.h"
#include "../src/forwarder/render.h"
#include "../src/forwarder/signers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_invariants(const struct signers *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct signer *a = &s->v[i];
		if (a->port < SIGNER_PORT_MIN || a->port > SIGNER_PORT_MAX || !a->name[0] || a->line == 0)
			abort();
		unsigned ap[3] = { a->port, (unsigned)a->port + SIGNER_PORT_OFFSET, a->socket_port };
		if (ap[2] && (ap[2] < SIGNER_PORT_MIN || ap[2] == ap[0] || ap[2] == ap[1]))
			abort();
		/* every port of a is a's own, and nobody else's */
		for (size_t k = 0; k < 3; k++)
			if (ap[k] && signers_find_port(s, ap[k], NULL) != (int)i)
				abort();
		for (size_t j = i + 1; j < s->n; j++) {
			const struct signer *b = &s->v[j];
			if (strcmp(a->name, b->name) == 0 || strcmp(a->key.fingerprint, b->key.fingerprint) == 0)
				abort();
			for (size_t k = 0; k < 3; k++)
				if (ap[k] && signer_port_role(b, ap[k]))
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct signers s;
	struct err e = { 0 };
	if (!signers_parse(&s, (const char *)data, size, "fuzz", &e)) {
		if (strncmp(e.msg, "fuzz", 4) != 0)
			abort();
		return 0;
	}
	check_invariants(&s);
	char *canon = signers_canonical(&s);
	if (!canon)
		abort();
	struct signers back;
	if (!signers_parse(&back, canon, strlen(canon), "canonical", &e) || back.n != s.n)
		abort();
	for (size_t i = 0; i < s.n; i++)
		if (strcmp(back.v[i].name, s.v[i].name) != 0 || back.v[i].port != s.v[i].port ||
		    back.v[i].socket_port != s.v[i].socket_port ||
		    strcmp(back.v[i].key.fingerprint, s.v[i].key.fingerprint) != 0 ||
		    back.v[i].n_bakers != s.v[i].n_bakers)
			abort();
		else
			for (unsigned k = 0; k < s.v[i].n_bakers; k++)
				if (strcmp(back.v[i].bakers[k].ns, s.v[i].bakers[k].ns) != 0 ||
				    strcmp(back.v[i].bakers[k].labels, s.v[i].bakers[k].labels) != 0)
					abort();
	signers_free(&back);
	free(canon);

	struct fwd_render_opts o;
	fwd_render_opts_defaults(&o);
	o.self_probe = size & 1;
	o.forward_bind = size & 2 ? FWD_BIND_SIGNER : FWD_BIND_LOOPBACK;
	char *ak = fwd_authorized_keys_text(&o, &s);
	if (!ak)
		abort();
	/* one permitlisten per port of each box */
	size_t listens = 0, want = 0;
	for (const char *p = ak; (p = strstr(p, "permitlisten=")); p++)
		listens++;
	for (size_t i = 0; i < s.n; i++)
		want += s.v[i].socket_port ? 3 : 2;
	if (listens != want)
		abort();
	free(ak);
	struct k8s_opts k;
	k8s_opts_defaults(&k);
	struct k8s_output out;
	if (k8s_render(&k, &s, &out, &e))
		k8s_output_free(&out);
	signers_free(&s);
	return 0;
}
