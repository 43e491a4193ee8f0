/* k8s.h - the gateway's Kubernetes objects, one YAML stream:
 *
 *   Deployment tzsigner-gateway      2 replicas (spread over nodes), non-root,
 *                                    read-only root, probes on /healthz
 *   PodDisruptionBudget              at least one replica up during drains
 *   Service tzsigner-gateway         the one endpoint the bakers use (:6732)
 *   and, unless an existing etcd is given:
 *   Service tzsigner-etcd            headless, for the members' stable names
 *   StatefulSet tzsigner-etcd        3 members, a PersistentVolumeClaim each
 *
 * The output is a pure function of the options: same input, same bytes. */
#ifndef TZS_GATEWAY_K8S_H
#define TZS_GATEWAY_K8S_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/err.h"

#define GW_K8S_MAX_BOXES 16

struct gw_k8s_opts {
	const char *namespace;   /* NULL: none in the objects */
	const char *image;       /* the tzsigner image */
	const char *etcd_image;  /* NULL: the tzsigner image (Debian's etcd-server in it) */
	const char *etcd_urls;   /* NULL: render the etcd StatefulSet */
	const char *storage;     /* each member's volume size, "1Gi" */
	const char *boxes[GW_K8S_MAX_BOXES];
	unsigned nbox;
	unsigned replicas;       /* gateway replicas (2) */
	uint16_t port;           /* 6732 */
	bool require_auth;       /* -A: authorized_keys from a Secret */
};

void gw_k8s_defaults(struct gw_k8s_opts *o);
bool gw_k8s_render(const struct gw_k8s_opts *o, FILE *out, struct err *e);

#endif
