/* k8s_int.h - what the files rendering Kubernetes objects share (the
 * interface is k8s.h):
 *
 *   k8s.c         ConfigMap, Secret, Deployment, Services, monitoring; render
 *   k8s_yaml.c    YAML scalars, metadata, the pod selector
 *   k8s_policy.c  the NetworkPolicies
 *   k8s_knobs.c   the cluster knobs (flags of render --k8s) */
#ifndef TZS_FORWARDER_K8S_INT_H
#define TZS_FORWARDER_K8S_INT_H

#include "k8s.h"
#include "../base/strbuf.h"

#define K8S_APP "tzsigner-forwarder"

/* A YAML double-quoted scalar. */
void k8s_q(struct strbuf *b, const char *s);
/* `KEY: "VALUE"` at indent. */
void k8s_kv(struct strbuf *b, int indent, const char *key, const char *value);
/* metadata: name, namespace, our labels and the knobs' extra labels. */
void k8s_metadata(struct strbuf *b, const struct k8s_opts *o, const char *name, const char *component,
		  const char *box);
/* The forwarder pod's selector labels at indent. */
void k8s_pod_selector(struct strbuf *b, int indent);
/* matchLabels of "KEY=VALUE[,KEY=VALUE…]" (checked text) at indent. */
void k8s_match_labels(struct strbuf *b, int indent, const char *labels);

void k8s_networkpolicies(struct strbuf *b, const struct k8s_opts *o, const struct signers *s);

#endif
