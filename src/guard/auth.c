/* auth.c - authorized keys and the authentication signature check. */
#include "auth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "../base/json_secure.h"
#include "../crypto/sign.h"

bool auth_keys_parse(struct auth_keys *a, const char *text, size_t len, struct err *e)
{
	memset(a, 0, sizeof(*a));
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(e, ERR_MALFORMED, "authorized_keys: not JSON at line %d: %s", jerr.line,
			       jerr.text);
	bool ok = false;
	size_t i;
	json_t *item;
	if (!json_is_array(root) || json_array_size(root) > AUTH_MAX_KEYS) {
		err_set(e, ERR_MALFORMED, "authorized_keys: expected an array of at most %d {\"name\",\"value\"}",
			AUTH_MAX_KEYS);
		goto out;
	}
	a->keys = calloc(json_array_size(root) + 1, sizeof(*a->keys));
	if (!a->keys) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_array_foreach(root, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		json_t *value = json_object_get(item, "value");
		/* octez may write the value as {"locator":…,"key":"edpk…"} too */
		if (json_is_object(value))
			value = json_object_get(value, "key");
		const char *pk = json_string_value(value);
		struct auth_key *k = &a->keys[a->count];
		if (!name || !pk || strlen(name) >= sizeof(k->name)) {
			err_set(e, ERR_MALFORMED, "authorized_keys: entry %zu is not {\"name\":…,\"value\":\"edpk…\"}",
				i + 1);
			goto out;
		}
		if (strncmp(pk, "unencrypted:", 12) == 0)
			pk += 12;
		struct pkh pkh;
		if (!public_key_decode(pk, &k->pk, e)) {
			err_wrap(e, "authorized_keys entry %zu ('%.64s')", i + 1, name);
			goto out;
		}
		pkh_of_public_key(&k->pk, &pkh);
		if (!pkh_encode(k->pkh_text, &pkh, e))
			goto out;
		snprintf(k->name, sizeof(k->name), "%s", name);
		a->count++;
	}
	ok = true;
out:
	json_decref(root);
	if (!ok)
		auth_keys_free(a);
	return ok;
}

bool auth_keys_load(struct auth_keys *a, const char *base_dir, struct err *e)
{
	char *buf;
	size_t len;
	memset(a, 0, sizeof(*a));
	if (!file_read_optional(base_dir, AUTH_FILE, 1024 * 1024, FILE_TRUSTED, &buf, &len, e))
		return false;
	if (!buf)
		return true;
	bool ok = auth_keys_parse(a, buf, len, e);
	file_free(buf, len);
	if (!ok)
		return err_wrap(e, "%s/%s", base_dir, AUTH_FILE);
	return true;
}

void auth_keys_free(struct auth_keys *a)
{
	free(a->keys);
	a->keys = NULL;
	a->count = 0;
}

bool auth_keys_add(const char *base_dir, const char *name, const char *public_key,
		   struct err *e)
{
	struct public_key pk;
	char path[FILE_PATH_MAX];
	char *buf;
	size_t len;
	if (!public_key_decode(public_key, &pk, e) || !path_join(path, sizeof(path), base_dir, AUTH_FILE, e) ||
	    !file_read_optional(base_dir, AUTH_FILE, 1024 * 1024, FILE_TRUSTED, &buf, &len, e))
		return false;
	json_t *root = json_array();
	if (buf) {
		json_error_t jerr;
		json_decref(root);
		root = json_loadb(buf, len, 0, &jerr);
		file_free(buf, len);
		if (!json_is_array(root)) {
			json_decref(root);
			return err_set(e, ERR_MALFORMED, "%s: not a JSON array", path);
		}
	}
	size_t i;
	json_t *item;
	json_array_foreach(root, i, item) {
		const char *n = json_string_value(json_object_get(item, "name"));
		const char *v = json_string_value(json_object_get(item, "value"));
		if ((n && strcmp(n, name) == 0) || (v && strcmp(v, public_key) == 0)) {
			json_decref(root);
			return err_set(e, ERR_FORBIDDEN, "%s already has a key named '%s' or the key %.60s",
				       path, name, public_key);
		}
	}
	json_array_append_new(root, json_pack("{s:s, s:s}", "name", name, "value", public_key));
	char *text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		return err_set(e, ERR_INTERNAL, "out of memory");
	bool ok = file_write_durable(path, text, strlen(text), 0644, e);
	json_free_text(text);
	return ok;
}

bool auth_check(const struct auth_keys *a, const struct pkh *pkh, const uint8_t *data,
		size_t len, const char *signature_text, const struct auth_key **who,
		struct err *e)
{
	if (!signature_text || !*signature_text)
		return err_set(e, ERR_AUTH, "missing authentication: this signer requires ?authentication=<signature by an authorized key>");
	uint8_t sig[SIGNATURE_MAX];
	size_t sig_len;
	struct err de = { 0 };
	if (!signature_decode(signature_text, sig, &sig_len, &de))
		return err_set(e, ERR_AUTH, "authentication is not a signature: %s", de.msg);
	return auth_check_raw(a, pkh, data, len, sig, sig_len, who, e);
}

bool auth_check_raw(const struct auth_keys *a, const struct pkh *pkh, const uint8_t *data,
		    size_t len, const uint8_t *sig, size_t sig_len, const struct auth_key **who,
		    struct err *e)
{
	if (sig_len == 0)
		return err_set(e, ERR_AUTH, "missing authentication: this signer requires a signature by an authorized key");
	uint8_t *msg = malloc(len + 23);
	if (!msg)
		return err_set(e, ERR_INTERNAL, "out of memory");
	msg[0] = 0x04;
	msg[1] = 0x01;
	pkh_to_binary(pkh, msg + 2);
	memcpy(msg + 23, data, len);
	bool ok = false;
	for (size_t i = 0; i < a->count && !ok; i++) {
		if (verify_message(&a->keys[i].pk, msg, len + 23, sig, sig_len)) {
			ok = true;
			if (who)
				*who = &a->keys[i];
		}
	}
	free(msg);
	if (!ok)
		return err_set(e, ERR_AUTH,
			       "authentication signature does not verify with any of the %zu authorized keys",
			       a->count);
	return true;
}
