/* k8s.c - render the gateway's Kubernetes objects as YAML. Every value
 * written is checked first (gw_k8s_check) to need no quoting beyond the
 * double quotes it gets here. */
#include "k8s.h"

#include <string.h>

#define NAME "tzsigner-gateway"
#define ETCD "tzsigner-etcd"
#define ETCD_MEMBERS 3

void gw_k8s_defaults(struct gw_k8s_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->image = "tzsigner:latest";
	o->storage = "1Gi";
	o->replicas = 2;
	o->port = 6732;
}

/* Characters of URLs, image references, names and sizes: nothing YAML or a
 * shell would read otherwise. */
static bool plain(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:/@,", *p))
			return false;
	return true;
}

static bool dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", *p))
			return false;
	return true;
}

/* Checks names, image references, URLs and sizes for characters YAML or
 * Kubernetes would read otherwise. */
static bool gw_k8s_check(const struct gw_k8s_opts *o, struct err *e)
{
	if (o->namespace && !dns_label(o->namespace))
		return err_set(e, ERR_MALFORMED, "namespace '%.80s' is not a DNS label", o->namespace);
	if (!plain(o->image, 255) || (o->etcd_image && !plain(o->etcd_image, 255)))
		return err_set(e, ERR_MALFORMED, "image reference '%.80s' is empty, too long or has odd characters",
			       plain(o->image, 255) ? o->etcd_image : o->image);
	if (o->etcd_urls && (!plain(o->etcd_urls, 1000) || strncmp(o->etcd_urls, "http", 4) != 0))
		return err_set(e, ERR_MALFORMED, "--etcd '%.80s': expected http(s)://HOST:PORT[,…]", o->etcd_urls);
	if (!plain(o->storage, 16))
		return err_set(e, ERR_MALFORMED, "--etcd-storage '%.20s' is not a size like 1Gi", o->storage);
	if (o->nbox == 0)
		return err_set(e, ERR_MALFORMED, "no --box given: the gateway needs the boxes' URLs (http://tzsigner-NAME:P)");
	for (unsigned i = 0; i < o->nbox; i++)
		if (!plain(o->boxes[i], 200) || strncmp(o->boxes[i], "http", 4) != 0 || strchr(o->boxes[i], ','))
			return err_set(e, ERR_MALFORMED, "--box '%.80s': expected http://HOST:PORT", o->boxes[i]);
	if (o->replicas < 2 || o->replicas > 9)
		return err_set(e, ERR_MALFORMED, "--replicas %u: between 2 and 9 (one gateway is one point of failure)",
			       o->replicas);
	return true;
}

static void metadata(FILE *f, const struct gw_k8s_opts *o, const char *name, const char *component)
{
	fprintf(f, "metadata:\n  name: %s\n", name);
	if (o->namespace)
		fprintf(f, "  namespace: %s\n", o->namespace);
	fprintf(f, "  labels:\n    app.kubernetes.io/name: %s\n    app.kubernetes.io/part-of: tzsigner\n"
		   "    app.kubernetes.io/component: %s\n", name, component);
}

static void hardened_container(FILE *f)
{
	fputs("        securityContext:\n"
	      "          allowPrivilegeEscalation: false\n"
	      "          readOnlyRootFilesystem: true\n"
	      "          capabilities:\n"
	      "            drop: [\"ALL\"]\n", f);
}

static void etcd_urls_in_cluster(FILE *f, const struct gw_k8s_opts *o)
{
	for (int i = 0; i < ETCD_MEMBERS; i++)
		fprintf(f, "%shttp://%s-%d.%s%s%s:2379", i ? "," : "", ETCD, i, ETCD, o->namespace ? "." : "",
			o->namespace ? o->namespace : "");
}

static void gateway_objects(FILE *f, const struct gw_k8s_opts *o)
{
	fputs("---\napiVersion: apps/v1\nkind: Deployment\n", f);
	metadata(f, o, NAME, "gateway");
	fprintf(f, "spec:\n  replicas: %u\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n"
		   "  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: %s\n"
		   "        app.kubernetes.io/part-of: tzsigner\n    spec:\n"
		   "      automountServiceAccountToken: false\n"
		   "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n        runAsGroup: 10001\n"
		   "      affinity:\n        podAntiAffinity:\n          preferredDuringSchedulingIgnoredDuringExecution:\n"
		   "          - weight: 100\n            podAffinityTerm:\n              topologyKey: kubernetes.io/hostname\n"
		   "              labelSelector:\n                matchLabels:\n                  app.kubernetes.io/name: %s\n"
		   "      containers:\n      - name: gateway\n        image: \"%s\"\n        args:\n"
		   "        - gateway\n        - \"-a\"\n        - \"0.0.0.0\"\n        - \"-p\"\n        - \"%u\"\n",
		o->replicas, NAME, NAME, NAME, o->image, o->port);
	for (unsigned i = 0; i < o->nbox; i++)
		fprintf(f, "        - \"--box\"\n        - \"%s\"\n", o->boxes[i]);
	fputs("        - \"--etcd\"\n        - \"", f);
	if (o->etcd_urls)
		fputs(o->etcd_urls, f);
	else
		etcd_urls_in_cluster(f, o);
	fputs("\"\n", f);
	if (o->require_auth)
		fputs("        - \"-A\"\n        - \"-d\"\n        - \"/etc/tzsigner/gateway\"\n", f);
	fprintf(f, "        ports:\n        - name: http\n          containerPort: %u\n"
		   "        readinessProbe:\n          httpGet: {path: /healthz, port: http}\n          periodSeconds: 2\n"
		   "        livenessProbe:\n          httpGet: {path: /healthz, port: http}\n          periodSeconds: 10\n"
		   "        resources:\n          requests: {cpu: 50m, memory: 32Mi}\n          limits: {memory: 128Mi}\n",
		o->port);
	hardened_container(f);
	if (o->require_auth)
		fputs("        volumeMounts:\n        - name: authorized-keys\n          mountPath: /etc/tzsigner/gateway\n"
		      "          readOnly: true\n      volumes:\n      - name: authorized-keys\n        secret:\n"
		      "          secretName: tzsigner-gateway-authorized-keys\n          defaultMode: 0440\n", f);
	fputs("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\n", f);
	metadata(f, o, NAME, "gateway");
	fprintf(f, "spec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", NAME);
	fputs("---\napiVersion: v1\nkind: Service\n", f);
	metadata(f, o, NAME, "gateway");
	fprintf(f, "spec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: %s\n"
		   "  ports:\n  - name: http\n    port: %u\n    targetPort: http\n", NAME, o->port);
}

static void etcd_objects(FILE *f, const struct gw_k8s_opts *o)
{
	fputs("---\napiVersion: v1\nkind: Service\n", f);
	metadata(f, o, ETCD, "watermark-store");
	fprintf(f, "spec:\n  clusterIP: None\n  publishNotReadyAddresses: true\n  selector:\n"
		   "    app.kubernetes.io/name: %s\n  ports:\n  - name: client\n    port: 2379\n"
		   "  - name: peer\n    port: 2380\n", ETCD);
	fputs("---\napiVersion: apps/v1\nkind: StatefulSet\n", f);
	metadata(f, o, ETCD, "watermark-store");
	fprintf(f, "spec:\n  serviceName: %s\n  replicas: %d\n  podManagementPolicy: Parallel\n"
		   "  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n"
		   "  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: %s\n"
		   "        app.kubernetes.io/part-of: tzsigner\n    spec:\n"
		   "      automountServiceAccountToken: false\n"
		   "      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n        fsGroup: 10001\n"
		   "      containers:\n      - name: etcd\n        image: \"%s\"\n        command: [\"etcd\"]\n"
		   "        env:\n        - name: POD_NAME\n          valueFrom:\n            fieldRef: {fieldPath: metadata.name}\n"
		   "        - name: POD_NAMESPACE\n          valueFrom:\n            fieldRef: {fieldPath: metadata.namespace}\n"
		   "        args:\n        - \"--name=$(POD_NAME)\"\n        - \"--data-dir=/var/lib/etcd/data\"\n"
		   "        - \"--listen-client-urls=http://0.0.0.0:2379\"\n"
		   "        - \"--advertise-client-urls=http://$(POD_NAME).%s.$(POD_NAMESPACE):2379\"\n"
		   "        - \"--listen-peer-urls=http://0.0.0.0:2380\"\n"
		   "        - \"--initial-advertise-peer-urls=http://$(POD_NAME).%s.$(POD_NAMESPACE):2380\"\n"
		   "        - \"--initial-cluster-state=new\"\n        - \"--initial-cluster-token=%s\"\n"
		   "        - \"--initial-cluster=",
		ETCD, ETCD_MEMBERS, ETCD, ETCD, o->etcd_image ? o->etcd_image : o->image, ETCD, ETCD, ETCD);
	for (int i = 0; i < ETCD_MEMBERS; i++)
		fprintf(f, "%s%s-%d=http://%s-%d.%s.$(POD_NAMESPACE):2380", i ? "," : "", ETCD, i, ETCD, i, ETCD);
	fputs("\"\n        ports:\n        - name: client\n          containerPort: 2379\n"
	      "        - name: peer\n          containerPort: 2380\n"
	      "        readinessProbe:\n          httpGet: {path: /health, port: client}\n          periodSeconds: 5\n"
	      "        volumeMounts:\n        - name: data\n          mountPath: /var/lib/etcd\n", f);
	hardened_container(f);
	fprintf(f, "  volumeClaimTemplates:\n  - metadata:\n      name: data\n    spec:\n"
		   "      accessModes: [\"ReadWriteOnce\"]\n      resources:\n        requests:\n          storage: \"%s\"\n",
		o->storage);
	fputs("---\napiVersion: policy/v1\nkind: PodDisruptionBudget\n", f);
	metadata(f, o, ETCD, "watermark-store");
	fprintf(f, "spec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: %s\n", ETCD);
}

bool gw_k8s_render(const struct gw_k8s_opts *o, FILE *out, struct err *e)
{
	if (!gw_k8s_check(o, e))
		return false;
	fputs("# tzsigner gateway: rendered by `tzsigner gateway render`; design §2.7.\n", out);
	gateway_objects(out, o);
	if (!o->etcd_urls)
		etcd_objects(out, o);
	if (fflush(out) != 0 || ferror(out))
		return err_errno(e, ERR_IO, "writing the Kubernetes objects");
	return true;
}
