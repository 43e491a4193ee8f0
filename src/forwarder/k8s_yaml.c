/* k8s_yaml.c - the YAML pieces every object uses. Every string scalar is
 * written double-quoted (JSON escaping is valid YAML). */
#include "k8s_int.h"

#include <string.h>

void k8s_q(struct strbuf *b, const char *s)
{
	sb_put(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sb_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sb_printf(b, "\\x%02x", c);
		else
			sb_put(b, (const char *)&c, 1);
	}
	sb_put(b, "\"", 1);
}

void k8s_kv(struct strbuf *b, int indent, const char *key, const char *value)
{
	sb_printf(b, "%*s%s: ", indent, "", key);
	k8s_q(b, value);
	sb_put(b, "\n", 1);
}

void k8s_metadata(struct strbuf *b, const struct k8s_opts *o, const char *name, const char *component,
		  const char *box)
{
	sb_printf(b, "metadata:\n");
	k8s_kv(b, 2, "name", name);
	if (o->namespace)
		k8s_kv(b, 2, "namespace", o->namespace);
	sb_printf(b, "  labels:\n");
	k8s_kv(b, 4, "app.kubernetes.io/name", box ? "tzsigner-box" : K8S_APP);
	k8s_kv(b, 4, "app.kubernetes.io/part-of", "tzsigner");
	k8s_kv(b, 4, "app.kubernetes.io/component", component);
	k8s_kv(b, 4, "app.kubernetes.io/managed-by", "tzsigner-forwarder-render");
	if (box)
		k8s_kv(b, 4, "tzsigner.io/box", box);
	for (size_t i = 0; i < o->knobs.n_labels; i++)
		k8s_kv(b, 4, o->knobs.labels[i].key, o->knobs.labels[i].value);
}

void k8s_pod_selector(struct strbuf *b, int indent)
{
	k8s_kv(b, indent, "app.kubernetes.io/name", K8S_APP);
	k8s_kv(b, indent, "app.kubernetes.io/component", "forwarder");
}

void k8s_match_labels(struct strbuf *b, int indent, const char *labels)
{
	sb_printf(b, "%*smatchLabels:\n", indent, "");
	for (const char *l = labels; *l;) {
		size_t n = strcspn(l, ",");
		const char *eq = memchr(l, '=', n);
		char key[320], value[64];
		size_t kl = eq ? (size_t)(eq - l) : 0;
		size_t vl = eq ? n - kl - 1 : 0;
		if (eq && kl < sizeof(key) && vl < sizeof(value)) {
			memcpy(key, l, kl);
			key[kl] = '\0';
			memcpy(value, eq + 1, vl);
			value[vl] = '\0';
			k8s_kv(b, indent + 2, key, value);
		}
		l += n + (l[n] == ',');
	}
}
