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

char *etcd_json_swap_request(const char *key, int64_t seen_mod_revision, const char *value,
			     struct err *e)
{
	char *k = b64(key, strlen(key));
	char *val = value ? b64(value, strlen(value)) : NULL;
	char rev[24];
	snprintf(rev, sizeof(rev), "%lld", (long long)seen_mod_revision);
	json_t *v = NULL;
	if (k && (val || !value)) {
		json_t *cmp = seen_mod_revision > 0
				      ? json_pack("{s:s, s:s, s:s, s:s}", "key", k, "target", "MOD",
						  "mod_revision", rev, "result", "EQUAL")
				      : json_pack("{s:s, s:s, s:s, s:s}", "key", k, "target", "CREATE",
						  "create_revision", "0", "result", "EQUAL");
		v = cmp ? json_pack("{s:[o], s:[{s:{s:s}}]}", "compare", cmp, "failure", "request_range",
				    "key", k)
			: NULL;
		if (v && val &&
		    json_object_set_new(v, "success",
					json_pack("[{s:{s:s, s:s}}]", "request_put", "key", k, "value", val)) != 0) {
			json_decref(v);
			v = NULL;
		}
	}
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

/* A range response (inside a txn's failure branch) for key. */
static bool parse_range(json_t *r, const char *key, struct etcd_kv *kv, struct err *e)
{
	json_t *kvs = json_object_get(r, "kvs");
	if (!kvs)
		return true; /* no such key */
	if (!json_is_array(kvs) || json_array_size(kvs) != 1)
		return err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s: kvs is not one entry", key);
	json_t *entry = json_array_get(kvs, 0);
	json_t *k = json_object_get(entry, "key");
	json_t *val = json_object_get(entry, "value");
	char kbuf[ETCD_KEY_MAX + 1];
	size_t klen;
	if (!json_is_string(k) || json_string_length(k) > 2 * ETCD_KEY_MAX ||
	    !unb64(json_string_value(k), kbuf, ETCD_KEY_MAX, &klen) || strcmp(kbuf, key) != 0)
		return err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s names another key", key);
	if (!int64_field(entry, "mod_revision", &kv->mod_revision) || kv->mod_revision <= 0)
		return err_set(e, ERR_UNAVAILABLE, "etcd range answer for %s: no valid mod_revision", key);
	if (val && (!json_is_string(val) || json_string_length(val) > 2 * ETCD_VALUE_MAX ||
		    !unb64(json_string_value(val), kv->value, ETCD_VALUE_MAX, &kv->value_len)))
		return err_set(e, ERR_UNAVAILABLE,
			       "etcd range answer for %s: value is not base64 of at most %d bytes", key,
			       ETCD_VALUE_MAX);
	kv->found = true;
	return true;
}

/* The one entry of responses, an object under name ("response_put" or
 * "response_range"). */
static json_t *only_response(json_t *v, const char *name)
{
	json_t *rs = json_object_get(v, "responses");
	if (!json_is_array(rs) || json_array_size(rs) != 1)
		return NULL;
	json_t *r = json_array_get(rs, 0);
	json_t *inner = json_is_object(r) && json_object_size(r) == 1 ? json_object_get(r, name) : NULL;
	return json_is_object(inner) ? inner : NULL;
}

bool etcd_json_parse_swap(const char *text, size_t len, const char *key, bool put,
			  struct etcd_swap *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	json_t *v = load_object(text, len, "txn", e);
	if (!v)
		return false;
	bool ok = false;
	json_t *s = json_object_get(v, "succeeded");
	json_t *header = json_object_get(v, "header");
	if (s && !json_is_boolean(s)) {
		err_set(e, ERR_UNAVAILABLE, "etcd txn answer for %s: succeeded is not a boolean", key);
		goto out;
	}
	if (!json_is_object(header) || !int64_field(header, "revision", &out->revision) ||
	    out->revision <= 0) {
		err_set(e, ERR_UNAVAILABLE, "etcd txn answer for %s has no header with a revision", key);
		goto out;
	}
	out->succeeded = s && json_is_true(s);
	if (out->succeeded) {
		json_t *rs = json_object_get(v, "responses");
		if (put ? !only_response(v, "response_put") : (rs && (!json_is_array(rs) || json_array_size(rs) != 0))) {
			err_set(e, ERR_UNAVAILABLE, "etcd txn answer for %s: not the %s asked for", key,
				put ? "put" : "empty success");
			goto out;
		}
		ok = true;
		goto out;
	}
	json_t *range = only_response(v, "response_range");
	if (!range) {
		err_set(e, ERR_UNAVAILABLE, "etcd txn answer for %s: the compare failed without the range asked for",
			key);
		goto out;
	}
	ok = parse_range(range, key, &out->now, e);
	if (ok && out->now.mod_revision > out->revision)
		ok = err_set(e, ERR_UNAVAILABLE, "etcd txn answer for %s: the key's revision is above the store's",
			     key);
out:
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
