/* k8s_knobs.c - the cluster knobs of `render --k8s` (k8s.h), each checked
 * as the API server would check it. */
#include "k8s.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../base/parse.h"
#include "k8s_names.h"

/* "KEY=VALUE": a label key; the value a label value, or with annotation
 * any printable ASCII. */
static bool key_value(const char *text, bool annotation, struct k8s_kv *out)
{
	const char *eq = strchr(text, '=');
	if (!eq || !k8s_label_key_ok(text, (size_t)(eq - text)))
		return false;
	size_t vl = strlen(eq + 1);
	if (annotation) {
		if (vl > K8S_ANNOTATION_MAX)
			return false;
		for (const char *p = eq + 1; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				return false;
	} else if (!k8s_label_value_ok(eq + 1, vl)) {
		return false;
	}
	memcpy(out->key, text, (size_t)(eq - text));
	out->key[eq - text] = '\0';
	memcpy(out->value, eq + 1, vl + 1);
	return true;
}

/* "ADDR/BITS", IPv4 or IPv6. */
static bool cidr(const char *text, char out[44])
{
	const char *slash = strchr(text, '/');
	char addr[INET6_ADDRSTRLEN];
	unsigned bits;
	size_t al = slash ? (size_t)(slash - text) : 0;
	if (!slash || al == 0 || al >= sizeof(addr))
		return false;
	memcpy(addr, text, al);
	addr[al] = '\0';
	unsigned char buf[16];
	bool v4 = inet_pton(AF_INET, addr, buf) == 1;
	if (!v4 && inet_pton(AF_INET6, addr, buf) != 1)
		return false;
	if (!parse_uint(slash + 1, 0, v4 ? 32 : 128, &bits) || strlen(text) >= 44)
		return false;
	memcpy(out, text, strlen(text) + 1);
	return true;
}

/* "KEY[=VALUE]:EFFECT" */
static bool toleration(const char *text, struct k8s_toleration *t)
{
	const char *colon = strrchr(text, ':');
	if (!colon)
		return false;
	const char *eff = colon + 1;
	if (strcmp(eff, "NoSchedule") != 0 && strcmp(eff, "PreferNoSchedule") != 0 && strcmp(eff, "NoExecute") != 0)
		return false;
	const char *eq = memchr(text, '=', (size_t)(colon - text));
	size_t kl = (size_t)((eq ? eq : colon) - text);
	if (!k8s_label_key_ok(text, kl))
		return false;
	size_t vl = eq ? (size_t)(colon - eq - 1) : 0;
	if (eq && !k8s_label_value_ok(eq + 1, vl))
		return false;
	memcpy(t->key, text, kl);
	t->key[kl] = '\0';
	memcpy(t->value, eq ? eq + 1 : "", vl);
	t->value[vl] = '\0';
	snprintf(t->effect, sizeof(t->effect), "%s", eff);
	return true;
}

bool k8s_knob_add(struct k8s_knobs *k, const char *flag, const char *value, struct err *e)
{
	bool ok = false;
	const char *want = "";
	size_t *count = NULL;
	if (strcmp(flag, "label") == 0) {
		want = "KEY=VALUE (a Kubernetes label)";
		count = &k->n_labels;
		ok = *count < K8S_KNOBS_MAX && key_value(value, false, &k->labels[*count]);
	} else if (strcmp(flag, "lb-annotation") == 0) {
		want = "KEY=VALUE (an annotation key, printable ASCII value)";
		count = &k->n_lb_annotations;
		ok = *count < K8S_KNOBS_MAX && key_value(value, true, &k->lb_annotations[*count]);
	} else if (strcmp(flag, "node-selector") == 0) {
		want = "KEY=VALUE (a node label)";
		count = &k->n_node_selector;
		ok = *count < K8S_KNOBS_MAX && key_value(value, false, &k->node_selector[*count]);
	} else if (strcmp(flag, "lb-source-range") == 0) {
		want = "an IPv4 or IPv6 CIDR (ADDRESS/BITS)";
		count = &k->n_source_ranges;
		ok = *count < K8S_KNOBS_MAX && cidr(value, k->source_ranges[*count]);
	} else if (strcmp(flag, "toleration") == 0) {
		want = "KEY[=VALUE]:NoSchedule|PreferNoSchedule|NoExecute";
		count = &k->n_tolerations;
		ok = *count < K8S_KNOBS_MAX && toleration(value, &k->tolerations[*count]);
	} else if (strcmp(flag, "monitoring-from") == 0) {
		want = "NAMESPACE:LABEL=VALUE[,LABEL=VALUE…] (the Prometheus pods)";
		count = &k->n_monitoring;
		ok = *count < SIGNER_BAKERS_MAX &&
		     signer_bakers_parse(value, strlen(value), &k->monitoring[*count], "--monitoring-from", 0, NULL);
	} else if (strcmp(flag, "priority-class") == 0) {
		want = "a PriorityClass name";
		ok = k8s_dns_label_ok(value, strlen(value), 253) || k8s_label_value_ok(value, strlen(value));
		ok = ok && strlen(value) < sizeof(k->priority_class) && !strchr(value, '_');
		if (ok)
			snprintf(k->priority_class, sizeof(k->priority_class), "%s", value);
		if (!ok)
			return err_set(e, ERR_MALFORMED, "--%s '%.80s' is not %s", flag, value, want);
		return true;
	} else {
		return err_set(e, ERR_INTERNAL, "unknown knob --%s", flag);
	}
	if (!ok)
		return err_set(e, ERR_MALFORMED, "--%s '%.80s' is not %s (at most %d of them)", flag, value, want,
			       K8S_KNOBS_MAX);
	(*count)++;
	return true;
}
