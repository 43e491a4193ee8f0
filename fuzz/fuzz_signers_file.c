/* libFuzzer target: the forwarder's signers file parser and what is
 * rendered from it. Any input either fails with a message naming the file
 * and a line, or parses into boxes whose invariants hold (distinct names,
 * keys and ports; no P + 1000 on another box's P), whose canonical form
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
		for (size_t j = i + 1; j < s->n; j++) {
			const struct signer *b = &s->v[j];
			if (strcmp(a->name, b->name) == 0 || a->port == b->port ||
			    a->port + SIGNER_PORT_OFFSET == b->port || b->port + SIGNER_PORT_OFFSET == a->port ||
			    strcmp(a->key.fingerprint, b->key.fingerprint) == 0)
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
	char *ak = fwd_authorized_keys_text(&o, &s);
	if (!ak)
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
