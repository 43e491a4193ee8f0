/* k8s.c - Kubernetes manifests for the forwarder, as YAML text (the
 * ConfigMap's file as a literal block); the pieces are in k8s_yaml.c, the
 * NetworkPolicies in k8s_policy.c, the cluster knobs in k8s_knobs.c. */
#include "k8s_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../base/file.h"
#include "k8s_names.h"

#define CONFIGMAP_NAME "tzsigner-forwarder-signers"

void k8s_opts_defaults(struct k8s_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->image = "tzsigner-forwarder:latest";
	o->ssh_port = 2222;
	o->lb_port = 22;
	o->metrics_port = 9732;
	o->alive_interval_s = 5;
	o->alive_count = 3;
}

bool k8s_opts_check(const struct k8s_opts *o, const struct signers *s, struct err *e)
{
	if (o->namespace && !k8s_dns_label_ok(o->namespace, strlen(o->namespace), 63))
		return err_set(e, ERR_MALFORMED, "namespace '%.64s' is not a DNS label (a-z, 0-9, '-')",
			       o->namespace);
	if (!o->image || !*o->image || strlen(o->image) > 255)
		return err_set(e, ERR_MALFORMED, "the image reference is empty or too long");
	for (const char *p = o->image; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._-/:@", *p)))
			return err_set(e, ERR_MALFORMED, "image '%.64s': unexpected character '%c'", o->image, *p);
	uint16_t own[2] = { o->ssh_port, o->metrics_port };
	for (size_t k = 0; k < 2; k++) {
		const char *role = NULL;
		int i = signers_find_port(s, own[k], &role);
		if (i >= 0)
			return err_set(e, ERR_MALFORMED, "the %s port %u is also box '%s''s %s (line %u)",
				       k == 0 ? "SSH" : "metrics", (unsigned)own[k], s->v[i].name, role,
				       s->v[i].line);
	}
	if (o->ssh_port == o->metrics_port)
		return err_set(e, ERR_MALFORMED, "the SSH and metrics ports are both %u", (unsigned)o->ssh_port);
	int nb = signers_find_without_bakers(s);
	if (nb >= 0)
		return err_set(e, ERR_MALFORMED,
			       "line %u: box '%s' names no bakers: in Kubernetes every pod could reach its signer; "
			       "add bakers=NAMESPACE:LABEL=VALUE[,LABEL=VALUE…] (the labels of its baker pods)",
			       s->v[nb].line, s->v[nb].name);
	return true;
}

static void configmap(struct strbuf *b, const struct k8s_opts *o, const char *canonical)
{
	sb_printf(b, "# The signers file the forwarder pod reads (canonical form of the input).\n"
		     "apiVersion: \"v1\"\nkind: \"ConfigMap\"\n");
	k8s_metadata(b, o, CONFIGMAP_NAME, "forwarder-config", NULL);
	sb_printf(b, "data:\n  %s: |\n", K8S_SIGNERS_KEY);
	for (const char *l = canonical; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		sb_printf(b, "    %.*s\n", (int)n, l);
		l += n + (nl ? 1 : 0);
	}
}

static void secret(struct strbuf *b, const struct k8s_opts *o)
{
	size_t cap = sodium_base64_ENCODED_LEN(o->host_key_len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = sodium_malloc(cap);
	if (!b64) {
		b->failed = true;
		return;
	}
	sodium_bin2base64(b64, cap, (const unsigned char *)o->host_key_text, o->host_key_len,
			  sodium_base64_VARIANT_ORIGINAL);
	sb_printf(b, "# The endpoint's SSH host key: keep it, and every box keeps trusting a rebuilt\n"
		     "# endpoint. Secret material: do not commit this file.\n"
		     "apiVersion: \"v1\"\nkind: \"Secret\"\n");
	k8s_metadata(b, o, K8S_SECRET_NAME, "forwarder-host-key", NULL);
	sb_printf(b, "type: \"Opaque\"\ndata:\n");
	k8s_kv(b, 2, K8S_HOST_KEY_KEY, b64);
	sodium_free(b64);
}

/* nodeSelector, tolerations, priorityClassName: where the cluster runs the pod. */
static void placement(struct strbuf *b, const struct k8s_knobs *k)
{
	if (k->n_node_selector) {
		sb_printf(b, "      nodeSelector:\n");
		for (size_t i = 0; i < k->n_node_selector; i++)
			k8s_kv(b, 8, k->node_selector[i].key, k->node_selector[i].value);
	}
	if (k->n_tolerations) {
		sb_printf(b, "      tolerations:\n");
		for (size_t i = 0; i < k->n_tolerations; i++) {
			const struct k8s_toleration *t = &k->tolerations[i];
			sb_printf(b, "        - key: ");
			k8s_q(b, t->key);
			sb_printf(b, "\n");
			k8s_kv(b, 10, "operator", t->value[0] ? "Equal" : "Exists");
			if (t->value[0])
				k8s_kv(b, 10, "value", t->value);
			k8s_kv(b, 10, "effect", t->effect);
		}
	}
	if (k->priority_class[0])
		k8s_kv(b, 6, "priorityClassName", k->priority_class);
}

static void deployment(struct strbuf *b, const struct k8s_opts *o)
{
	char listen[32], metrics[32], interval[16], count[16];
	snprintf(listen, sizeof(listen), "0.0.0.0:%u", (unsigned)o->ssh_port);
	snprintf(metrics, sizeof(metrics), "0.0.0.0:%u", (unsigned)o->metrics_port);
	snprintf(interval, sizeof(interval), "%u", o->alive_interval_s);
	snprintf(count, sizeof(count), "%u", o->alive_count);
	sb_printf(b, "# The multi-signer SSH endpoint. One replica and the Recreate strategy: every\n"
		     "# box must be connected to the one pod the Services send bakers to.\n"
		     "apiVersion: \"apps/v1\"\nkind: \"Deployment\"\n");
	k8s_metadata(b, o, K8S_APP, "forwarder", NULL);
	if (o->host_key_public) {
		sb_printf(b, "  annotations:\n");
		k8s_kv(b, 4, "tzsigner.io/host-key", o->host_key_public);
	}
	sb_printf(b, "spec:\n  replicas: 1\n  revisionHistoryLimit: 3\n  strategy:\n"
		     "    type: \"Recreate\"\n  selector:\n    matchLabels:\n");
	k8s_pod_selector(b, 6);
	sb_printf(b, "  template:\n    metadata:\n      labels:\n");
	k8s_pod_selector(b, 8);
	k8s_kv(b, 8, "app.kubernetes.io/part-of", "tzsigner");
	for (size_t i = 0; i < o->knobs.n_labels; i++)
		k8s_kv(b, 8, o->knobs.labels[i].key, o->knobs.labels[i].value);
	/* No checksum of the signers file here: a change of the ConfigMap must
	 * not replace the pod (and cut every box off). The kubelet updates the
	 * mounted directory in place and the forwarder reloads (inotify). */
	sb_printf(b, "    spec:\n");
	placement(b, &o->knobs);
	sb_printf(b, 
		     "      automountServiceAccountToken: false\n"
		     "      enableServiceLinks: false\n"
		     "      terminationGracePeriodSeconds: 10\n"
		     "      securityContext:\n"
		     "        runAsNonRoot: true\n"
		     "        runAsUser: %d\n"
		     "        runAsGroup: %d\n"
		     "        fsGroup: %d\n"
		     "        seccompProfile:\n"
		     "          type: \"RuntimeDefault\"\n"
		     "      containers:\n"
		     "        - name: \"forwarder\"\n",
		  K8S_UID, K8S_UID, K8S_UID);
	k8s_kv(b, 10, "image", o->image);
	k8s_kv(b, 10, "imagePullPolicy", "IfNotPresent");
	const char *args[] = { "forwarder", "run",
			       "--signers", K8S_SIGNERS_MOUNT "/" K8S_SIGNERS_KEY,
			       "--host-key", K8S_HOST_KEY_MOUNT "/" K8S_HOST_KEY_KEY,
			       "--out", K8S_OUT_DIR,
			       "--listen", listen,
			       "--metrics", metrics,
			       "--forward-bind", "signer",
			       "--alive-interval", interval,
			       "--alive-count", count,
			       o->self_probe ? "--permit-self-probe" : NULL };
	sb_printf(b, "          args:\n");
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]) && args[i]; i++) {
		sb_printf(b, "            - ");
		k8s_q(b, args[i]);
		sb_put(b, "\n", 1);
	}
	sb_printf(b, "          ports:\n"
		     "            - name: \"ssh\"\n"
		     "              containerPort: %u\n"
		     "              protocol: \"TCP\"\n"
		     "            - name: \"metrics\"\n"
		     "              containerPort: %u\n"
		     "              protocol: \"TCP\"\n",
		  (unsigned)o->ssh_port, (unsigned)o->metrics_port);
	/* The boxes' ports are not declared: the pod template must not change
	 * when a box is added or removed (that would replace the pod and cut
	 * every box off). The Services target the port numbers. */
	sb_printf(b,
		  "          # Ready: the SSH listener is up with rendered files that sshd -t accepted.\n"
		  "          # Per-box state is in the metrics and /ready/NAME: one box being down\n"
		  "          # must not take the other boxes' Services away.\n"
		  "          readinessProbe:\n"
		  "            httpGet:\n"
		  "              path: \"/readyz\"\n"
		  "              port: \"metrics\"\n"
		  "            periodSeconds: 5\n"
		  "            failureThreshold: 2\n"
		  "          livenessProbe:\n"
		  "            httpGet:\n"
		  "              path: \"/healthz\"\n"
		  "              port: \"metrics\"\n"
		  "            periodSeconds: 10\n"
		  "            failureThreshold: 3\n"
		  "          resources:\n"
		  "            requests:\n"
		  "              cpu: \"50m\"\n"
		  "              memory: \"32Mi\"\n"
		  "            limits:\n"
		  "              memory: \"256Mi\"\n"
		  "          securityContext:\n"
		  "            allowPrivilegeEscalation: false\n"
		  "            # sshd's StrictModes refuses files under a world-writable directory, and\n"
		  "            # an emptyDir is one (mode 0777): the rendered files go to a directory of\n"
		  "            # the image owned by the forwarder's user instead.\n"
		  "            readOnlyRootFilesystem: false\n"
		  "            capabilities:\n"
		  "              drop:\n"
		  "                - \"ALL\"\n"
		  "          volumeMounts:\n"
		  "            - name: \"signers\"\n"
		  "              mountPath: \"" K8S_SIGNERS_MOUNT "\"\n"
		  "              readOnly: true\n"
		  "            - name: \"host-key\"\n"
		  "              mountPath: \"" K8S_HOST_KEY_MOUNT "\"\n"
		  "              readOnly: true\n"
		  "      volumes:\n"
		  "        - name: \"signers\"\n"
		  "          configMap:\n"
		  "            name: \"" CONFIGMAP_NAME "\"\n"
		  "        - name: \"host-key\"\n"
		  "          secret:\n"
		  "            secretName: \"" K8S_SECRET_NAME "\"\n"
		  "            defaultMode: 288 # 0440: root-owned, readable by the pod's fsGroup\n");
}

static void service_head(struct strbuf *b, const struct k8s_opts *o, const char *name,
			 const char *component, const char *box, const char *comment)
{
	sb_printf(b, "---\n# %s\napiVersion: \"v1\"\nkind: \"Service\"\n", comment);
	k8s_metadata(b, o, name, component, box);
}

static void services(struct strbuf *b, const struct k8s_opts *o, const struct signers *s)
{
	service_head(b, o, "tzsigner-forwarder-ssh", "forwarder-ssh", NULL,
		     "The SSH endpoint the boxes dial (its address goes into each box's tunnel config).");
	const struct k8s_knobs *k = &o->knobs;
	if (k->n_lb_annotations) {
		sb_printf(b, "  annotations:\n");
		for (size_t i = 0; i < k->n_lb_annotations; i++)
			k8s_kv(b, 4, k->lb_annotations[i].key, k->lb_annotations[i].value);
	}
	sb_printf(b, "spec:\n  type: \"LoadBalancer\"\n  externalTrafficPolicy: \"Local\"\n");
	if (k->n_source_ranges) {
		sb_printf(b, "  loadBalancerSourceRanges:\n");
		for (size_t i = 0; i < k->n_source_ranges; i++) {
			sb_printf(b, "    - ");
			k8s_q(b, k->source_ranges[i]);
			sb_printf(b, "\n");
		}
	}
	sb_printf(b, "  selector:\n");
	k8s_pod_selector(b, 4);
	sb_printf(b, "  ports:\n    - name: \"ssh\"\n      port: %u\n      targetPort: \"ssh\"\n"
		     "      protocol: \"TCP\"\n",
		  (unsigned)o->lb_port);
	service_head(b, o, "tzsigner-forwarder-metrics", "forwarder-metrics", NULL,
		     "The forwarder's exporter: per-box tunnel and signer state.");
	sb_printf(b, "spec:\n  type: \"ClusterIP\"\n  selector:\n");
	k8s_pod_selector(b, 4);
	sb_printf(b, "  ports:\n    - name: \"metrics\"\n      port: %u\n      targetPort: \"metrics\"\n"
		     "      protocol: \"TCP\"\n",
		  (unsigned)o->metrics_port);
	for (size_t i = 0; i < s->n; i++) {
		const struct signer *x = &s->v[i];
		char name[80], comment[200];
		snprintf(name, sizeof(name), "tzsigner-%s", x->name);
		int cl = snprintf(comment, sizeof(comment), "Box %s: a baker signs with http://%s:%u", x->name,
				  name, (unsigned)x->port);
		if (x->socket_port && cl > 0 && (size_t)cl < sizeof(comment))
			snprintf(comment + cl, sizeof(comment) - (size_t)cl, "\n# or tcp://%s:%u/PKH (octez's socket protocol)",
				 name, (unsigned)x->socket_port);
		service_head(b, o, name, "box-signer", x->name, comment);
		sb_printf(b, "  annotations:\n");
		k8s_kv(b, 4, "tzsigner.io/ssh-key-fingerprint", x->key.fingerprint);
		if (x->statusz[0])
			k8s_kv(b, 4, "tzsigner.io/statusz", x->statusz);
		sb_printf(b, "spec:\n  type: \"ClusterIP\"\n  selector:\n");
		k8s_pod_selector(b, 4);
		sb_printf(b, "  ports:\n    - name: \"signer\"\n      port: %u\n      targetPort: %u\n"
			     "      protocol: \"TCP\"\n",
			  (unsigned)x->port, (unsigned)x->port);
		if (x->socket_port)
			sb_printf(b, "    - name: \"socket\"\n      port: %u\n      targetPort: %u\n"
				     "      protocol: \"TCP\"\n",
				  (unsigned)x->socket_port, (unsigned)x->socket_port);
	}
}

static void rule(struct strbuf *b, const char *alert, const char *expr, const char *for_,
		 const char *severity, const char *summary, const char *description)
{
	sb_printf(b, "        - alert: ");
	k8s_q(b, alert);
	sb_printf(b, "\n          expr: ");
	k8s_q(b, expr);
	sb_printf(b, "\n          for: ");
	k8s_q(b, for_);
	sb_printf(b, "\n          labels:\n");
	k8s_kv(b, 12, "severity", severity);
	sb_printf(b, "          annotations:\n");
	k8s_kv(b, 12, "summary", summary);
	k8s_kv(b, 12, "description", description);
}

static void monitoring(struct strbuf *b, const struct k8s_opts *o)
{
	sb_printf(b, "# Prometheus Operator objects. Your Prometheus may select ServiceMonitors and\n"
		     "# rules by a label (e.g. release: prometheus): add it to these labels.\n"
		     "apiVersion: \"monitoring.coreos.com/v1\"\nkind: \"ServiceMonitor\"\n");
	k8s_metadata(b, o, "tzsigner-forwarder", "forwarder-metrics", NULL);
	sb_printf(b, "spec:\n  selector:\n    matchLabels:\n");
	k8s_kv(b, 6, "app.kubernetes.io/name", K8S_APP);
	k8s_kv(b, 6, "app.kubernetes.io/component", "forwarder-metrics");
	sb_printf(b, "  endpoints:\n    - port: \"metrics\"\n      path: \"/metrics\"\n"
		     "      interval: \"15s\"\n");
	sb_printf(b, "---\n# Each box's own signer metrics (power, uplink, watermarks), scraped through\n"
		     "# its tunnel: the per-box Service's port P.\n"
		     "apiVersion: \"monitoring.coreos.com/v1\"\nkind: \"ServiceMonitor\"\n");
	k8s_metadata(b, o, "tzsigner-boxes", "box-signer", NULL);
	sb_printf(b, "spec:\n  selector:\n    matchLabels:\n");
	k8s_kv(b, 6, "app.kubernetes.io/part-of", "tzsigner");
	k8s_kv(b, 6, "app.kubernetes.io/component", "box-signer");
	sb_printf(b, "  endpoints:\n    - port: \"signer\"\n      path: \"/metrics\"\n"
		     "      interval: \"30s\"\n      scrapeTimeout: \"10s\"\n      relabelings:\n"
		     "        - sourceLabels:\n            - \"__meta_kubernetes_service_label_tzsigner_io_box\"\n"
		     "          targetLabel: \"box\"\n");
	sb_printf(b, "---\napiVersion: \"monitoring.coreos.com/v1\"\nkind: \"PrometheusRule\"\n");
	k8s_metadata(b, o, "tzsigner-forwarder", "alerts", NULL);
	sb_printf(b, "spec:\n  groups:\n    - name: \"tzsigner\"\n      rules:\n");
	rule(b, "TzsignerSignerUnreachable", "tzsigner_forwarder_box_signer_up == 0", "1m", "critical",
	     "Signer box {{ $labels.box }} does not answer through its tunnel",
	     "The forwarder's check of box {{ $labels.box }} (port {{ $labels.port }}) through its SSH "
	     "tunnel has failed for a minute: the box is offline, its tunnel is down or its signer is "
	     "stopped. Bakers using tzsigner-{{ $labels.box }} cannot sign.");
	/* absent(): when the pod is gone there is no target, and `up` has no
	 * series at all, not a 0. */
	rule(b, "TzsignerForwarderDown",
	     "up{service=\"tzsigner-forwarder-metrics\"} == 0 or absent(up{service=\"tzsigner-forwarder-metrics\"})",
	     "2m", "critical", "The tzsigner forwarder's exporter is not scraped",
	     "Prometheus cannot scrape the forwarder (it is down, or its pod is gone): the SSH "
	     "endpoint for every box may be down.");
	rule(b, "TzsignerSignerUnknown",
	     "absent(tzsigner_forwarder_box_signer_up) and on() (up{service=\"tzsigner-forwarder-metrics\"} == 1)",
	     "5m", "warning", "The forwarder reports no box",
	     "The forwarder is scraped but exports no box state: its signers file lists no box the "
	     "checks reach, or the metrics changed.");
	rule(b, "TzsignerBoxOnBattery", "max by (box) (tzsigner_power_source{source=\"battery\"}) == 1", "2m", "warning",
	     "Signer box {{ $labels.box }} runs on battery",
	     "Box {{ $labels.box }} lost mains power and runs on its UPS; it stops signing when the "
	     "battery is empty.");
	rule(b, "TzsignerBoxOn4G", "max by (box) (tzsigner_uplink_role{role=\"backup\"}) == 1", "5m", "warning",
	     "Signer box {{ $labels.box }} is on its 4G backup uplink",
	     "Box {{ $labels.box }} reaches the endpoint over its backup (4G) uplink: the home line "
	     "is down; latency and data use are higher.");
	rule(b, "TzsignerWatermarkRefusals",
	     "sum by (box, pkh) (increase(tzsigner_sign_requests_total{outcome=\"refused_watermark\"}[10m])) > 0",
	     "0m", "warning", "Signer box {{ $labels.box }} refused to sign below its high watermark",
	     "Key {{ $labels.pkh }} on box {{ $labels.box }} was asked to sign at or below a level and "
	     "round it already signed: two bakers may be using the same key.");
}

static bool add_file(struct k8s_output *out, const char *name, struct strbuf *b, unsigned mode,
		     struct err *e)
{
	char *text = sb_take(b);
	if (!text)
		return err_set(e, ERR_INTERNAL, "out of memory rendering %s", name);
	out->files[out->n++] = (struct k8s_file){ name, text, mode };
	return true;
}

bool k8s_render(const struct k8s_opts *o, const struct signers *s, struct k8s_output *out,
		struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!k8s_opts_check(o, s, e))
		return false;
	char *canonical = signers_canonical(s);
	if (!canonical)
		return err_set(e, ERR_INTERNAL, "out of memory");
	struct strbuf b = { 0 };
	bool ok = true;
	configmap(&b, o, canonical);
	ok = ok && add_file(out, "configmap.yaml", &b, 0644, e);
	deployment(&b, o);
	ok = ok && add_file(out, "deployment.yaml", &b, 0644, e);
	services(&b, o, s);
	ok = ok && add_file(out, "services.yaml", &b, 0644, e);
	monitoring(&b, o);
	ok = ok && add_file(out, "monitoring.yaml", &b, 0644, e);
	k8s_networkpolicies(&b, o, s);
	ok = ok && add_file(out, "networkpolicy.yaml", &b, 0644, e);
	if (ok && o->host_key_text) {
		secret(&b, o);
		ok = add_file(out, "secret.yaml", &b, 0600, e);
	}
	sb_free(&b);
	free(canonical);
	if (!ok)
		k8s_output_free(out);
	return ok;
}

bool k8s_write(const struct k8s_output *out, const char *dir, struct err *e)
{
	if (!dir_ensure_parents(dir, 0755, e))
		return err_wrap(e, "output directory");
	for (size_t i = 0; i < out->n; i++) {
		char path[FILE_PATH_MAX];
		if (!path_join(path, sizeof(path), dir, out->files[i].name, e) ||
		    !file_write_durable(path, out->files[i].text, strlen(out->files[i].text),
					(mode_t)out->files[i].mode, e))
			return false;
	}
	return true;
}

void k8s_output_free(struct k8s_output *out)
{
	for (size_t i = 0; i < out->n; i++) {
		if (out->files[i].mode == 0600)
			sodium_memzero(out->files[i].text, strlen(out->files[i].text));
		free(out->files[i].text);
	}
	out->n = 0;
}
