/* key_policy.c - the per-key policy file. */
#include "key_policy.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"

bool key_policies_parse(struct key_policies *kp, const char *text, size_t len, struct err *e)
{
	memset(kp, 0, sizeof(*kp));
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(e, ERR_MALFORMED, "%s: not JSON at line %d: %s", KEY_POLICY_FILE,
			       jerr.line, jerr.text);
	bool ok = false;
	json_t *keys = json_object_get(root, "keys");
	const char *pkh_s;
	json_t *v;
	if (!json_is_object(root) || !json_is_object(keys) || json_object_size(keys) > KEY_POLICY_MAX) {
		err_set(e, ERR_MALFORMED, "%s: expected {\"keys\": {\"tz1…\": {\"magic_bytes\": \"0x11,…\"}}}",
			KEY_POLICY_FILE);
		goto out;
	}
	kp->items = calloc(json_object_size(keys) + 1, sizeof(*kp->items));
	if (!kp->items) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_object_foreach(keys, pkh_s, v) {
		struct key_policy *p = &kp->items[kp->count];
		const char *magic = json_string_value(json_object_get(v, "magic_bytes"));
		if (!pkh_decode(pkh_s, &p->pkh, e)) {
			err_wrap(e, "%s", KEY_POLICY_FILE);
			goto out;
		}
		if (!json_is_object(v) || !magic || json_object_size(v) != 1) {
			err_set(e, ERR_MALFORMED, "%s: key %.40s: expected {\"magic_bytes\": \"0x11,…\"} and nothing else",
				KEY_POLICY_FILE, pkh_s);
			goto out;
		}
		if (!policy_parse_magic_bytes(&p->policy, magic, e)) {
			err_wrap(e, "%s: key %.40s", KEY_POLICY_FILE, pkh_s);
			goto out;
		}
		kp->count++;
	}
	ok = true;
out:
	json_decref(root);
	if (!ok)
		key_policies_free(kp);
	return ok;
}

bool key_policies_load(struct key_policies *kp, const char *base_dir, struct err *e)
{
	char *buf;
	size_t len;
	memset(kp, 0, sizeof(*kp));
	if (!file_read_optional(base_dir, KEY_POLICY_FILE, 1024 * 1024, FILE_TRUSTED, &buf, &len, e))
		return false;
	if (!buf)
		return true;
	bool ok = key_policies_parse(kp, buf, len, e);
	file_free(buf, len);
	return ok;
}

void key_policies_free(struct key_policies *kp)
{
	free(kp->items);
	kp->items = NULL;
	kp->count = 0;
}

const struct policy *key_policies_find(const struct key_policies *kp, const struct pkh *pkh)
{
	for (size_t i = 0; i < kp->count; i++)
		if (kp->items[i].pkh.scheme == pkh->scheme &&
		    memcmp(kp->items[i].pkh.hash, pkh->hash, PKH_BYTES) == 0)
			return &kp->items[i].policy;
	return NULL;
}
