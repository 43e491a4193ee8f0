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
 *                       Service tzsigner-NAME per box on its port P (and its
 *                       socket port Q, "socket", when the signers file gives one)
 *   monitoring.yaml     ServiceMonitors (the exporter; each box's own
 *                       /metrics through its tunnel) and a PrometheusRule
 *   networkpolicy.yaml  SSH from anywhere, the exporter from the cluster, and
 *                       per box its P (and Q) from the pods the signers file
 *                       names as its bakers (bakers=…); never P + 1000, which listens
 *                       on the pod's loopback only (--forward-bind signer:
 *                       for kubectl port-forward)
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

#define K8S_KNOBS_MAX 16
#define K8S_KEY_MAX 317              /* PREFIX (253) / NAME (63) */
#define K8S_ANNOTATION_MAX 1024

struct k8s_kv {
	char key[K8S_KEY_MAX + 1];
	char value[K8S_ANNOTATION_MAX + 1];
};

struct k8s_toleration {
	char key[K8S_KEY_MAX + 1];
	char value[64];                  /* "": operator Exists */
	char effect[17];                 /* NoSchedule, PreferNoSchedule, NoExecute */
};

/* The cluster's own settings, from flags of `render --k8s` (k8s_knobs.c):
 * nothing here changes what the forwarder does, only where and how the
 * cluster runs and exposes it. */
struct k8s_knobs {
	struct k8s_kv labels[K8S_KNOBS_MAX];          /* --label: on every object and the pod */
	size_t n_labels;
	struct k8s_kv lb_annotations[K8S_KNOBS_MAX];  /* --lb-annotation: on the SSH LoadBalancer */
	size_t n_lb_annotations;
	char source_ranges[K8S_KNOBS_MAX][44];        /* --lb-source-range CIDR */
	size_t n_source_ranges;
	struct k8s_kv node_selector[K8S_KNOBS_MAX];   /* --node-selector */
	size_t n_node_selector;
	struct k8s_toleration tolerations[K8S_KNOBS_MAX]; /* --toleration */
	size_t n_tolerations;
	char priority_class[254];                     /* --priority-class ("": none) */
	struct signer_bakers monitoring[SIGNER_BAKERS_MAX]; /* --monitoring-from: reach every P */
	size_t n_monitoring;
};

/* Adds the knob of flag ("label", "lb-annotation", "lb-source-range",
 * "node-selector", "toleration", "priority-class", "monitoring-from")
 * with value, checked as Kubernetes would. */
bool k8s_knob_add(struct k8s_knobs *k, const char *flag, const char *value, struct err *e);

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
	struct k8s_knobs knobs;
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

/* Checks names (DNS labels), the image reference, the namespace, port
 * clashes, and that every box names its bakers. */
bool k8s_opts_check(const struct k8s_opts *o, const struct signers *s, struct err *e);

/* Renders every file into memory. */
bool k8s_render(const struct k8s_opts *o, const struct signers *s, struct k8s_output *out,
		struct err *e);

/* Writes the rendered files into dir (created 0755 if missing). */
bool k8s_write(const struct k8s_output *out, const char *dir, struct err *e);

void k8s_output_free(struct k8s_output *out);

#endif
