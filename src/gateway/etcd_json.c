/* etcd_json.c - etcd v3 JSON gateway bodies. */
#include "etcd_json.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL

static char *b64(const char *s, size_t len)
{
	size_t cap = sodium_base64_encoded_len(len, B64_VARIANT);
	char *out = malloc(cap);
	if (out)
		sodium_bin2base64(out, cap, (const unsigned char *)s, len, B64_VARIANT);
	return out;
}

/* Decodes base64 text into out (cap bytes, NUL-terminated after). */
static bool unb64(const char *in, char *out, size_t cap, size_t *len)
{
	return sodium_base642bin((unsigned char *)out, cap, in, strlen(in), NULL, len, NULL,
				 B64_VARIANT) == 0 &&
	       (out[*len] = '\0', true);
}

static char *dump(json_t *v, struct err *e)
{
	char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	if (!text)
		err_set(e, ERR_INTERNAL, "out of memory for an etcd request");
	return text;
}

char *etcd_json_range_request(const char *key, struct err *e)
{
	char *k = b64(key, strlen(key));
	json_t *v = k ? json_pack("{s:s}", "key", k) : NULL;
	free(k);
	return dump(v, e);
}

char *etcd_json_put_if_request(const char *key, int64_t seen_mod_revision, const char *value,
			       struct err *e)
{
	char *k = b64(key, strlen(key));
	char *val = b64(value, strlen(value));
	char rev[24];
	snprintf(rev, sizeof(rev), "%lld", (long long)seen_mod_revision);
	json_t *cmp = NULL;
	if (k && val)
		cmp = seen_mod_revision > 0
			      ? json_pack("{s:s, s:s, s:s, s:s}", "key", k, "target", "MOD",
					  "mod_revision", rev, "result", "EQUAL")
			      : json_pack("{s:s, s:s, s:s, s:s}", "key", k, "target", "CREATE",
					  "create_revision", "0", "result", "EQUAL");
	json_t *v = cmp ? json_pack("{s:[o], s:[{s:{s:s, s:s}}]}", "compare", cmp, "success",
				    "request_put", "key", k, "value", val)
			: NULL;
	free(k);
	free(val);
	return dump(v, e);
}

/* etcd writes int64 as a decimal string; accept a JSON integer too. */
static bool int64_field(json_t *o, const char *name, int64_t *out)
{
	json_t *f = json_object_get(o, name);
	if (!f) {
		*out = 0; /* proto3 JSON omits zero */
		return true;
	}
	if (json_is_integer(f)) {
		*out = json_integer_value(f);
		return *out >= 0;
	}
	if (!json_is_string(f) || json_string_length(f) == 0 || json_string_length(f) > 19)
		return false;
	const char *s = json_string_value(f);
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno || *end || n < 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return false;
	*out = n;
	return true;
}

static json_t *load_object(const char *text, size_t len, const char *what, struct err *e)
{
	json_error_t jerr;
	json_t *v = json_loadb(text, len, 0, &jerr);
	if (!v || !json_is_object(v)) {
		json_decref(v);
		err_set(e, ERR_UNAVAILABLE, "etcd %s answer is not a JSON object (%s)", what,
			v ? "other JSON" : jerr.text);
		return NULL;
	}
	return v;
}

bool etcd_json_parse_range(const char *text, size_t len, const char *key, struct etcd_kv *kv,
			   struct err *e)
{
	kv->found = false;
	kv->mod_revision = 0;
	kv->value[0] = '\0';
	kv->value_len = 0;
	json_t *v = load_object(text, len, "range", e);
	if (!v)
		return false;
	bool ok = false;
	json_t *kvs = json_object_get(v, "kvs");
	if (!kvs) {
		ok = true; /* no such key */
		goto out;
	}
	if (!json_is_array(kvs) || json_array_size(kvs) != 1) {
		err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s: kvs is not one entry", key);
		goto out;
	}
	json_t *entry = json_array_get(kvs, 0);
	json_t *k = json_object_get(entry, "key");
	json_t *val = json_object_get(entry, "value");
	char kbuf[ETCD_KEY_MAX + 1];
	size_t klen;
	if (!json_is_string(k) || json_string_length(k) > 2 * ETCD_KEY_MAX ||
	    !unb64(json_string_value(k), kbuf, ETCD_KEY_MAX, &klen) || strcmp(kbuf, key) != 0) {
		err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s names another key", key);
		goto out;
	}
	if (!int64_field(entry, "mod_revision", &kv->mod_revision) || kv->mod_revision <= 0) {
		err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s: no valid mod_revision", key);
		goto out;
	}
	if (val && (!json_is_string(val) || json_string_length(val) > 2 * ETCD_VALUE_MAX ||
		    !unb64(json_string_value(val), kv->value, ETCD_VALUE_MAX, &kv->value_len))) {
		err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s: value is not base64 of at most %d bytes",
			key, ETCD_VALUE_MAX);
		goto out;
	}
	kv->found = true;
	ok = true;
out:
	json_decref(v);
	return ok;
}

bool etcd_json_parse_txn(const char *text, size_t len, bool *succeeded, struct err *e)
{
	*succeeded = false;
	json_t *v = load_object(text, len, "txn", e);
	if (!v)
		return false;
	bool ok = true;
	json_t *s = json_object_get(v, "succeeded");
	if (s && !json_is_boolean(s))
		ok = err_set(e, ERR_UNAVAILABLE, "etcd txn answer: succeeded is not a boolean");
	else if (!json_object_get(v, "header"))
		ok = err_set(e, ERR_UNAVAILABLE, "etcd txn answer has no header");
	else
		*succeeded = s && json_is_true(s);
	json_decref(v);
	return ok;
}

void etcd_json_error_message(const char *text, size_t len, char *out, size_t cap)
{
	snprintf(out, cap, "(no message)");
	json_t *v = json_loadb(text, len, 0, NULL);
	json_t *m = v ? json_object_get(v, "error") : NULL;
	if (!json_is_string(m))
		m = v ? json_object_get(v, "message") : NULL;
	if (json_is_string(m))
		snprintf(out, cap, "%.200s", json_string_value(m));
	json_decref(v);
}
