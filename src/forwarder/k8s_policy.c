/* k8s_policy.c - the NetworkPolicies. NetworkPolicies add up: the pod
 * accepts what any of them admits, and nothing else once one selects it.
 *
 *   tzsigner-forwarder  SSH from anywhere (the boxes come through the
 *                       LoadBalancer; from its source ranges if given), the
 *                       exporter from the cluster
 *   tzsigner-NAME       box NAME's P (and its socket port, socket=Q) from the
 *                       pods its signers-file line names (bakers=NAMESPACE:LABELS),
 *                       and from --monitoring-from
 *
 * No policy names a box's P + 1000: the box's sshd is bound on the pod's
 * loopback only (--forward-bind signer), where `kubectl port-forward`
 * reaches it and no policy needs to hide it. */
#include "k8s_int.h"

#include <stdio.h>

/* One `from` peer: pods with these labels in this namespace. */
static void peer(struct strbuf *b, const struct signer_bakers *k)
{
	sb_printf(b, "        - namespaceSelector:\n");
	k8s_match_labels(b, 12, "");
	k8s_kv(b, 14, "kubernetes.io/metadata.name", k->ns);
	sb_printf(b, "          podSelector:\n");
	k8s_match_labels(b, 12, k->labels);
}

static void head(struct strbuf *b, const struct k8s_opts *o, const char *name, const char *component,
		 const char *box, const char *comment)
{
	sb_printf(b, "%s# %s\napiVersion: \"networking.k8s.io/v1\"\nkind: \"NetworkPolicy\"\n",
		  box ? "---\n" : "", comment);
	k8s_metadata(b, o, name, component, box);
	sb_printf(b, "spec:\n  podSelector:\n    matchLabels:\n");
	k8s_pod_selector(b, 6);
	sb_printf(b, "  policyTypes:\n    - \"Ingress\"\n");
}

void k8s_networkpolicies(struct strbuf *b, const struct k8s_opts *o, const struct signers *s)
{
	const struct k8s_knobs *k = &o->knobs;
	head(b, o, K8S_APP, "forwarder", NULL,
	     "The forwarder pod: SSH from the boxes, the exporter from the cluster. Each box's\n"
	     "# P is admitted by its own policy below, to its bakers only; nothing admits a\n"
	     "# box's sshd (P + 1000), which listens on the pod's loopback only.");
	sb_printf(b, "  ingress:\n    - ports:\n        - port: %u\n          protocol: \"TCP\"\n", (unsigned)o->ssh_port);
	if (k->n_source_ranges) {
		sb_printf(b, "      from:\n");
		for (size_t i = 0; i < k->n_source_ranges; i++) {
			sb_printf(b, "        - ipBlock:\n");
			k8s_kv(b, 12, "cidr", k->source_ranges[i]);
		}
	}
	sb_printf(b, "    - from:\n        - namespaceSelector: {}\n      ports:\n"
		     "        - port: %u\n          protocol: \"TCP\"\n",
		  (unsigned)o->metrics_port);
	for (size_t i = 0; i < s->n; i++) {
		const struct signer *x = &s->v[i];
		char name[80], comment[240];
		snprintf(name, sizeof(name), "tzsigner-%s", x->name);
		char sock[40] = "";
		if (x->socket_port)
			snprintf(sock, sizeof(sock), " and its socket port %u", (unsigned)x->socket_port);
		snprintf(comment, sizeof(comment), "Box %s: only its bakers%s reach its signer port %u%s.", x->name,
			 k->n_monitoring ? " (and the monitoring)" : "", (unsigned)x->port, sock);
		head(b, o, name, "box-signer", x->name, comment);
		if (!x->n_bakers && !k->n_monitoring) {
			/* (k8s_opts_check refuses this; an empty `from` would admit everyone) */
			sb_printf(b, "  ingress: []\n");
			continue;
		}
		sb_printf(b, "  ingress:\n    - from:\n");
		for (unsigned j = 0; j < x->n_bakers; j++)
			peer(b, &x->bakers[j]);
		for (size_t j = 0; j < k->n_monitoring; j++)
			peer(b, &k->monitoring[j]);
		sb_printf(b, "      ports:\n        - port: %u\n          protocol: \"TCP\"\n", (unsigned)x->port);
		if (x->socket_port)
			sb_printf(b, "        - port: %u\n          protocol: \"TCP\"\n", (unsigned)x->socket_port);
	}
}
