/* octez_dir.c - octez base directory key files (secret_keys, public_keys,
 * public_key_hashs): bounded parsing and durable rewriting. */
#include "octez_dir.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../base/file.h"
#include "../base/json_secure.h"

#include "octez_dir_int.h"

bool octez_name_valid(const char *name, struct err *e)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64)
		return err_set(e, ERR_MALFORMED, "key name of %zu characters: use 1 to 64", n);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return err_set(e, ERR_MALFORMED,
				       "key name '%.64s': character %zu is not one of A-Z a-z 0-9 . _ -",
				       name, i + 1);
	}
	return true;
}

/* Parses one key file's text as a JSON array of {"name","value"}. */
static bool parse_array(const char *text, size_t len, const char *what, json_t **out,
			struct err *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(e, ERR_MALFORMED, "%s: not JSON at line %d column %d: %s", what,
			       jerr.line, jerr.column, jerr.text);
	if (!json_is_array(root)) {
		json_decref(root);
		return err_set(e, ERR_MALFORMED, "%s: expected a JSON array of {\"name\",\"value\"}", what);
	}
	if (json_array_size(root) > OCTEZ_DIR_MAX_KEYS) {
		json_decref(root);
		return err_set(e, ERR_MALFORMED, "%s: more than %d entries", what, OCTEZ_DIR_MAX_KEYS);
	}
	size_t i;
	json_t *item;
	json_array_foreach(root, i, item) {
		json_t *name = json_object_get(item, "name");
		if (!json_is_object(item) || !json_is_string(name) || !json_object_get(item, "value")) {
			json_decref(root);
			return err_set(e, ERR_MALFORMED, "%s: entry %zu is not {\"name\":…,\"value\":…}",
				       what, i + 1);
		}
		if (json_string_length(name) == 0 || json_string_length(name) > KEY_NAME_MAX ||
		    strlen(json_string_value(name)) != json_string_length(name)) {
			json_decref(root);
			return err_set(e, ERR_MALFORMED,
				       "%s: entry %zu has a name of %zu bytes (1 to %d, no NUL)", what,
				       i + 1, json_string_length(name), KEY_NAME_MAX);
		}
	}
	*out = root;
	return true;
}

bool octez_dir_load_array(const char *dir, const char *file, enum file_flags flags, json_t **out,
			  struct err *e)
{
	char path[FILE_PATH_MAX];
	char *buf;
	size_t len;
	if (!path_join(path, sizeof(path), dir, file, e) ||
	    !file_read_optional(dir, file, OCTEZ_FILE_MAX, flags, &buf, &len, e))
		return false;
	if (!buf) {
		*out = json_array();
		if (!*out)
			return err_set(e, ERR_INTERNAL, "out of memory");
		return true;
	}
	bool ok = parse_array(buf, len, path, out, e);
	file_free(buf, len);
	return ok;
}

static struct octez_entry *entry_for(struct octez_dir *d, const char *name, struct err *e)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->entries[i].name, name) == 0)
			return &d->entries[i];
	if (d->count == OCTEZ_DIR_MAX_KEYS * 3) {
		err_set(e, ERR_MALFORMED, "more than %d aliases", OCTEZ_DIR_MAX_KEYS * 3);
		return NULL;
	}
	struct octez_entry *grown = realloc(d->entries, (d->count + 1) * sizeof(*grown));
	if (!grown) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return NULL;
	}
	d->entries = grown;
	struct octez_entry *ent = &d->entries[d->count++];
	memset(ent, 0, sizeof(*ent));
	snprintf(ent->name, sizeof(ent->name), "%s", name);
	return ent;
}

static bool copy_text(char *dst, size_t cap, json_t *v, const char *file, const char *name,
		      struct err *e)
{
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return err_set(e, ERR_MALFORMED, "%s: value of '%.64s' is not a string of under %zu bytes",
			       file, name, cap);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return true;
}

/* A public_keys value: {"locator":"unencrypted:edpk…","key":"edpk…"} or a
 * bare locator string. Ledger locators carry no key text. */
static bool public_key_text(json_t *value, char *out, size_t cap, const char *name, struct err *e)
{
	json_t *key = json_is_object(value) ? json_object_get(value, "key") : NULL;
	json_t *loc = json_is_object(value) ? json_object_get(value, "locator") : value;
	if (key)
		return copy_text(out, cap, key, PUBLIC_FILE, name, e);
	char tmp[KEY_URI_MAX + 1];
	if (!copy_text(tmp, sizeof(tmp), loc, PUBLIC_FILE, name, e))
		return false;
	const char *prefix = "unencrypted:";
	if (strncmp(tmp, prefix, strlen(prefix)) == 0)
		snprintf(out, cap, "%s", tmp + strlen(prefix));
	else
		out[0] = '\0'; /* e.g. ledger://…: the key is only known by asking the device */
	return true;
}

/* Merges the three parsed files by name into out. */
static bool merge(struct octez_dir *out, json_t *sk, json_t *pk, json_t *pkh, const char *dir,
		  struct err *e)
{
	bool ok = false;
	size_t i;
	json_t *item;
	json_array_foreach(sk, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		json_t *v = json_object_get(item, "value");
		struct octez_entry *ent = entry_for(out, name, e);
		if (!ent)
			goto out;
		if (!json_is_string(v) || json_string_length(v) > KEY_URI_MAX) {
			err_set(e, ERR_MALFORMED, "%s/%s: value of '%.64s' is not a string of at most %d bytes",
				dir, SECRET_FILE, name, KEY_URI_MAX);
			goto out;
		}
		if (ent->secret_uri) {
			err_set(e, ERR_MALFORMED, "%s/%s: '%.64s' appears twice", dir, SECRET_FILE, name);
			goto out;
		}
		ent->secret_uri = sodium_init() >= 0 ? sodium_malloc(json_string_length(v) + 1) : NULL;
		if (!ent->secret_uri) {
			err_set(e, ERR_INTERNAL, "out of memory");
			goto out;
		}
		memcpy(ent->secret_uri, json_string_value(v), json_string_length(v) + 1);
	}
	json_array_foreach(pk, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		struct octez_entry *ent = entry_for(out, name, e);
		if (!ent || !public_key_text(json_object_get(item, "value"), ent->public_key,
					     sizeof(ent->public_key), name, e))
			goto out;
	}
	json_array_foreach(pkh, i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		struct octez_entry *ent = entry_for(out, name, e);
		if (!ent || !copy_text(ent->pkh, sizeof(ent->pkh), json_object_get(item, "value"),
				       PKH_FILE, name, e))
			goto out;
	}
	ok = true;
out:
	return ok;
}

bool octez_dir_load(const char *dir, struct octez_dir *out, struct err *e)
{
	json_t *sk = NULL, *pk = NULL, *pkh = NULL;
	memset(out, 0, sizeof(*out));
	bool ok = octez_dir_load_array(dir, SECRET_FILE, FILE_SECRET, &sk, e) &&
		  octez_dir_load_array(dir, PUBLIC_FILE, FILE_PUBLIC, &pk, e) &&
		  octez_dir_load_array(dir, PKH_FILE, FILE_PUBLIC, &pkh, e) && merge(out, sk, pk, pkh, dir, e);
	json_decref(sk);
	json_decref(pk);
	json_decref(pkh);
	if (!ok)
		octez_dir_free(out);
	return ok;
}

bool octez_dir_parse(struct octez_dir *out, const char *secret_keys, size_t secret_len,
		     const char *public_keys, size_t public_len, const char *pkhs, size_t pkhs_len,
		     struct err *e)
{
	json_t *sk = NULL, *pk = NULL, *pkh = NULL;
	memset(out, 0, sizeof(*out));
	bool ok = parse_array(secret_keys, secret_len, SECRET_FILE, &sk, e) &&
		  parse_array(public_keys, public_len, PUBLIC_FILE, &pk, e) &&
		  parse_array(pkhs, pkhs_len, PKH_FILE, &pkh, e) && merge(out, sk, pk, pkh, "-", e);
	json_decref(sk);
	json_decref(pk);
	json_decref(pkh);
	if (!ok)
		octez_dir_free(out);
	return ok;
}

void octez_dir_free(struct octez_dir *d)
{
	for (size_t i = 0; i < d->count; i++)
		if (d->entries[i].secret_uri)
			sodium_free(d->entries[i].secret_uri);
	free(d->entries);
	d->entries = NULL;
	d->count = 0;
}

const struct octez_entry *octez_dir_find(const struct octez_dir *d, const char *name)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->entries[i].name, name) == 0)
			return &d->entries[i];
	return NULL;
}
