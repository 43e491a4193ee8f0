/* octez_dir_write.c - adding and removing an alias in an octez base
 * directory's three key files, each rewritten durably. */
#include <jansson.h>
#include <string.h>

#include <sodium.h>

#include "../base/json_secure.h"
#include "octez_dir_int.h"

static const char *entry_name(json_t *arr, size_t i)
{
	return json_string_value(json_object_get(json_array_get(arr, i), "name"));
}

/* Removes name from arr; returns whether it was there. */
static bool array_remove(json_t *arr, const char *name)
{
	bool found = false;
	for (size_t i = json_array_size(arr); i-- > 0;) {
		const char *n = entry_name(arr, i);
		if (n && strcmp(n, name) == 0) {
			json_array_remove(arr, i);
			found = true;
		}
	}
	return found;
}

static bool array_has(json_t *arr, const char *name)
{
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *n = entry_name(arr, i);
		if (n && strcmp(n, name) == 0)
			return true;
	}
	return false;
}

/* The name another alias holding a secret gives to pkh, or NULL: two names
 * for one secret make two watermark owners for one key, and `serve` refuses
 * to start on them. */
static const char *secret_alias_of(json_t *sk, json_t *ph, const char *pkh, const char *name)
{
	for (size_t i = 0; i < json_array_size(ph); i++) {
		const char *n = entry_name(ph, i);
		const char *v = json_string_value(json_object_get(json_array_get(ph, i), "value"));
		if (n && v && strcmp(v, pkh) == 0 && strcmp(n, name) != 0 && array_has(sk, n))
			return n;
	}
	return NULL;
}

static bool append(json_t *arr, const char *name, json_t *value, struct err *e)
{
	json_t *obj = json_pack("{s:s, s:o}", "name", name, "value", value);
	if (!obj || json_array_append_new(arr, obj) != 0)
		return err_set(e, ERR_INTERNAL, "out of memory building the key files");
	return true;
}

static bool save_array(const char *dir, const char *file, json_t *arr, mode_t mode, struct err *e)
{
	char path[FILE_PATH_MAX];
	if (!path_join(path, sizeof(path), dir, file, e))
		return false;
	char *text = json_dumps(arr, JSON_INDENT(2));
	if (!text)
		return err_set(e, ERR_INTERNAL, "out of memory serialising %s", path);
	size_t len = strlen(text);
	bool ok = file_write_durable(path, text, len, mode, e);
	sodium_memzero(text, len);
	json_free_text(text);
	return ok;
}

static bool load_all(const char *dir, json_t **sk, json_t **pk, json_t **ph, struct err *e)
{
	return octez_dir_load_array(dir, SECRET_FILE, FILE_SECRET, sk, e) &&
	       octez_dir_load_array(dir, PUBLIC_FILE, FILE_PUBLIC, pk, e) &&
	       octez_dir_load_array(dir, PKH_FILE, FILE_PUBLIC, ph, e);
}

bool octez_dir_add(const char *dir, const char *name, const char *secret_uri,
		   const char *public_key, const char *pkh, bool replace, struct err *e)
{
	json_t *sk = NULL, *pk = NULL, *ph = NULL;
	bool ok = false;
	if (!octez_name_valid(name, e) || !dir_ensure(dir, 0700, e))
		return false;
	if (!load_all(dir, &sk, &pk, &ph, e))
		goto out;
	const char *other = secret_uri ? secret_alias_of(sk, ph, pkh, name) : NULL;
	if (other) {
		err_set(e, ERR_FORBIDDEN,
			"the key %s is already in %s as '%s' (one key, one name: use '%s', or "
			"`tzsigner keys remove %s` first)", pkh, dir, other, other, other);
		goto out;
	}
	bool existed = array_remove(sk, name);
	existed = array_remove(pk, name) || existed;
	existed = array_remove(ph, name) || existed;
	if (existed && !replace) {
		err_set(e, ERR_FORBIDDEN, "a key named '%s' already exists in %s (use --force to replace it)",
			name, dir);
		goto out;
	}
	/* octez's locator: the ledger:// URI for a Ledger key, else the key itself. */
	char locator[KEY_URI_MAX + 16];
	if (secret_uri && strncmp(secret_uri, "ledger://", 9) == 0)
		snprintf(locator, sizeof(locator), "%s", secret_uri);
	else
		snprintf(locator, sizeof(locator), "unencrypted:%s", public_key);
	if ((secret_uri && !append(sk, name, json_string(secret_uri), e)) ||
	    !append(pk, name, json_pack("{s:s, s:s}", "locator", locator, "key", public_key), e) ||
	    !append(ph, name, json_string(pkh), e))
		goto out;
	/* Public files first: a crash between writes leaves at worst an alias
	 * without its secret, never a secret without its public half. */
	ok = save_array(dir, PKH_FILE, ph, 0644, e) && save_array(dir, PUBLIC_FILE, pk, 0644, e) &&
	     save_array(dir, SECRET_FILE, sk, 0600, e);
out:
	json_decref(sk);
	json_decref(pk);
	json_decref(ph);
	return ok;
}

bool octez_dir_remove(const char *dir, const char *name, struct err *e)
{
	json_t *sk = NULL, *pk = NULL, *ph = NULL;
	bool ok = false;
	if (!octez_name_valid(name, e) || !load_all(dir, &sk, &pk, &ph, e))
		goto out;
	bool had_secret = array_remove(sk, name);
	bool had_public = array_remove(pk, name);
	had_public = array_remove(ph, name) || had_public;
	if (!had_secret && !had_public) {
		err_set(e, ERR_NOT_FOUND, "no key named '%s' in %s (see `tzsigner keys list -d %s`)",
			name, dir, dir);
		goto out;
	}
	/* The secret first: a crash between writes leaves at worst a public-only
	 * alias, never a secret without its public half. */
	ok = save_array(dir, SECRET_FILE, sk, 0600, e) && save_array(dir, PUBLIC_FILE, pk, 0644, e) &&
	     save_array(dir, PKH_FILE, ph, 0644, e);
out:
	json_decref(sk);
	json_decref(pk);
	json_decref(ph);
	return ok;
}
