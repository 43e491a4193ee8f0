/* k8s.h - the Kubernetes objects of the cloud endpoint, rendered from the
 * same signers file as the sshd files (one source of truth):
 *
 *   configmap.yaml      ConfigMap tzsigner-forwarder-signers (the canonical
 *                       signers file the pod reads)
 *   deployment.yaml     Deployment tzsigner-forwarder: 1 replica, Recreate
 *                       (two pods would split the boxes), non-root, host key
 *                       from the Secret, signers from the ConfigMap
 *   services.yaml       LoadBalancer tzsigner-forwarder-ssh (port 22),
 *                       ClusterIP tzsigner-forwarder-metrics, and one ClusterIP
 *                       Service tzsigner-NAME per box on its port P
 *   monitoring.yaml     ServiceMonitors (the exporter; each box's own
 *                       /metrics through its tunnel) and a PrometheusRule
 *   networkpolicy.yaml  only SSH, the boxes' P and the exporter reach the pod
 *                       (not P + 1000: that is for kubectl port-forward)
 *   secret.yaml         the host key Secret, only with with_secret (mode 0600)
 *
 * The output is a pure function of the inputs: same input, same bytes. */
#ifndef TZS_FORWARDER_K8S_H
#define TZS_FORWARDER_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "signers.h"

#define K8S_SIGNERS_MOUNT "/etc/tzsigner/signers"
#define K8S_SIGNERS_KEY "signers"
#define K8S_HOST_KEY_MOUNT "/etc/tzsigner/host-key"
#define K8S_HOST_KEY_KEY "ssh_host_key"
#define K8S_OUT_DIR "/var/lib/tzsigner-forwarder/sshd"
#define K8S_SECRET_NAME "tzsigner-forwarder-host-key"
#define K8S_UID 10001

struct k8s_opts {
	const char *namespace;  /* NULL: objects carry no namespace */
	const char *image;      /* container image */
	uint16_t ssh_port;      /* the pod's SSH port (2222) */
	uint16_t lb_port;       /* the LoadBalancer's port (22) */
	uint16_t metrics_port;  /* the exporter (9732) */
	bool self_probe;        /* pass --permit-self-probe to the pod */
	unsigned alive_interval_s, alive_count;
	const char *host_key_text; /* with_secret: the key file's bytes */
	size_t host_key_len;
	const char *host_key_public; /* "ssh-ed25519 AAAA…" or NULL: an annotation for boxes */
};

struct k8s_file {
	const char *name;
	char *text;
	unsigned mode;
};

#define K8S_FILES_MAX 6

struct k8s_output {
	struct k8s_file files[K8S_FILES_MAX];
	size_t n;
};

void k8s_opts_defaults(struct k8s_opts *o);

/* Checks names (DNS labels), the image reference and the namespace. */
bool k8s_opts_check(const struct k8s_opts *o, const struct signers *s, struct err *e);

/* Renders every file into memory. */
bool k8s_render(const struct k8s_opts *o, const struct signers *s, struct k8s_output *out,
		struct err *e);

/* Writes the rendered files into dir (created 0755 if missing). */
bool k8s_write(const struct k8s_output *out, const char *dir, struct err *e);

void k8s_output_free(struct k8s_output *out);

#endif
