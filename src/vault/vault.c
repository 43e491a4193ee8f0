/* vault.c - load local keys from an octez base directory and sign with them. */
#include "vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../base/file.h"
#include "../base/log.h"
#include "../crypto/sign.h"
#include "../ledger/device.h"
#include "encrypted.h"

const char *key_storage_name(enum key_storage s)
{
	switch (s) {
	case STORAGE_UNENCRYPTED: return "unencrypted";
	case STORAGE_ENCRYPTED: return "encrypted";
	case STORAGE_LEDGER: return "ledger";
	}
	return "unknown";
}

/* The first of passphrase_dir's files for key name that exists, in *path. */
static bool dir_passphrase_path(const char *dir, const char *name, char *path, size_t cap)
{
	const char *const prefixes[] = { "", "passphrase_", NULL };
	for (size_t i = 0; i < 3; i++) {
		int n = snprintf(path, cap, "%s/%s%s", dir, prefixes[i] ? prefixes[i] : "passphrase",
				 prefixes[i] ? name : "");
		if (n > 0 && (size_t)n < cap && access(path, F_OK) == 0)
			return true;
	}
	return false;
}

static bool get_passphrase(const struct vault_unlock *unlock, const char *name,
			   struct passphrase *owned, const struct passphrase **out,
			   char *source, size_t source_cap, struct err *e)
{
	if (unlock && unlock->passphrase_dir &&
	    dir_passphrase_path(unlock->passphrase_dir, name, source, source_cap)) {
		if (!passphrase_from_file(owned, source, e))
			return err_wrap(e, "key '%s'", name);
		*out = owned;
		return true;
	}
	if (unlock && unlock->passphrase) {
		snprintf(source, source_cap, "%s", unlock->passphrase_file ? unlock->passphrase_file : "-f");
		*out = unlock->passphrase;
		return true;
	}
	if (!unlock || !unlock->allow_prompt) {
		if (unlock && unlock->passphrase_dir)
			return err_set(e, ERR_AUTH, "key '%s' is encrypted and %s has no file %s, "
				       "passphrase_%s or passphrase", name, unlock->passphrase_dir, name, name);
		return err_set(e, ERR_AUTH, "key '%s' is encrypted and no passphrase was given (-f FILE)",
			       name);
	}
	char prompt[KEY_NAME_MAX + 64];
	snprintf(prompt, sizeof(prompt), "Passphrase for key '%s': ", name);
	if (!passphrase_prompt(owned, prompt, e))
		return false;
	snprintf(source, source_cap, "the terminal");
	*out = owned;
	return true;
}

bool secret_uri_decode(const char *uri, const char *name, const struct vault_unlock *unlock,
		       struct secret_key *sk, enum key_storage *storage, struct err *e)
{
	const char *text = uri;
	if (strncmp(uri, "ledger://", 9) == 0)
		return err_set(e, ERR_UNAVAILABLE, "key '%s' is held by a Ledger (%.80s)", name, uri);
	if (strncmp(uri, "unencrypted:", 12) == 0)
		text = uri + 12;
	else if (strncmp(uri, "encrypted:", 10) == 0)
		text = uri + 10;
	else if (strchr(uri, ':'))
		return err_set(e, ERR_MALFORMED,
			       "key '%s': unknown secret key scheme '%.*s:' (expected unencrypted:, encrypted: or ledger://)",
			       name, (int)(strchr(uri, ':') - uri) > 32 ? 32 : (int)(strchr(uri, ':') - uri), uri);

	enum key_scheme scheme;
	enum secret_text_kind kind;
	uint8_t *payload = sodium_malloc(64);
	uint8_t *plain = sodium_malloc(32);
	size_t len = 0;
	bool ok = false;
	if (!payload || !plain) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	if (!secret_text_decode(text, &scheme, &kind, payload, &len, e)) {
		err_wrap(e, "key '%s'", name);
		goto out;
	}
	if (kind == SECRET_TEXT_ENCRYPTED) {
		struct passphrase owned = { 0 };
		const struct passphrase *pass = NULL;
		char source[4096];
		if (!get_passphrase(unlock, name, &owned, &pass, source, sizeof(source), e))
			goto out;
		bool opened = encrypted_open(plain, payload, pass->text, pass->len, e);
		passphrase_free(&owned);
		if (!opened) {
			err_wrap(e, "key '%s' with the passphrase from %s", name, source);
			goto out;
		}
		ok = secret_key_from_bytes(scheme, plain, 32, sk, e);
		*storage = STORAGE_ENCRYPTED;
	} else {
		ok = secret_key_from_bytes(scheme, payload, len, sk, e);
		*storage = STORAGE_UNENCRYPTED;
	}
	if (!ok)
		err_wrap(e, "key '%s'", name);
out:
	if (payload)
		sodium_free(payload);
	if (plain)
		sodium_free(plain);
	return ok;
}

/* Fills k from an octez entry; the secret must match the stored public
 * key and hash when those are present. */
static bool load_key(struct vault_key *k, const struct octez_entry *ent,
		     const struct vault_unlock *unlock, struct err *e)
{
	snprintf(k->name, sizeof(k->name), "%s", ent->name);
	k->sk = sodium_malloc(sizeof(*k->sk));
	if (!k->sk)
		return err_set(e, ERR_INTERNAL, "out of memory");
	if (!secret_uri_decode(ent->secret_uri, ent->name, unlock, k->sk, &k->storage, e) ||
	    !public_key_derive(k->sk, &k->pk, e))
		return false;
	pkh_of_public_key(&k->pk, &k->pkh);
	if (!public_key_encode(k->pk_text, &k->pk, e) || !pkh_encode(k->pkh_text, &k->pkh, e))
		return false;
	if (ent->public_key[0] && strcmp(ent->public_key, k->pk_text) != 0)
		return err_set(e, ERR_MALFORMED,
			       "key '%s': public_keys says %s but the secret key's public key is %s",
			       ent->name, ent->public_key, k->pk_text);
	if (ent->pkh[0] && strcmp(ent->pkh, k->pkh_text) != 0)
		return err_set(e, ERR_MALFORMED,
			       "key '%s': public_key_hashs says %s but the secret key's hash is %s",
			       ent->name, ent->pkh, k->pkh_text);
	sodium_mprotect_readonly(k->sk);
	return true;
}

/* A ledger:// key: the URI, and the public key octez stored beside it.
 * *skip is set (with a warning) when public_keys lacks the key. */
static bool load_ledger_key(struct vault_key *k, const struct octez_entry *ent, bool *skip,
			    struct err *e)
{
	*skip = false;
	snprintf(k->name, sizeof(k->name), "%s", ent->name);
	k->storage = STORAGE_LEDGER;
	if (!ledger_uri_parse(ent->secret_uri, &k->ledger, e))
		return err_wrap(e, "key '%s'", ent->name);
	if (!k->ledger.has_key)
		return err_set(e, ERR_MALFORMED, "key '%s': %.200s names a device, not a key (curve and path missing)",
			       ent->name, ent->secret_uri);
	if (!ent->public_key[0]) {
		log_warn("event=key_skipped name=%s reason=\"ledger key without its public key in public_keys: run tzsigner keys import %s %.200s --force\"",
			 ent->name, ent->name, ent->secret_uri);
		*skip = true;
		return true;
	}
	if (!public_key_decode(ent->public_key, &k->pk, e))
		return err_wrap(e, "key '%s' (public_keys)", ent->name);
	if (k->pk.scheme != ledger_curve_scheme(k->ledger.curve))
		return err_set(e, ERR_MALFORMED, "key '%s': public_keys has a %s key but the URI's curve is %s",
			       ent->name, scheme_name(k->pk.scheme), ledger_curve_name(k->ledger.curve));
	pkh_of_public_key(&k->pk, &k->pkh);
	if (!public_key_encode(k->pk_text, &k->pk, e) || !pkh_encode(k->pkh_text, &k->pkh, e))
		return false;
	if (ent->pkh[0] && strcmp(ent->pkh, k->pkh_text) != 0)
		return err_set(e, ERR_MALFORMED,
			       "key '%s': public_key_hashs says %s but its public key's hash is %s",
			       ent->name, ent->pkh, k->pkh_text);
	return true;
}

bool vault_open(struct vault *v, const char *dir, const struct vault_unlock *unlock,
		struct err *e)
{
	struct octez_dir d;
	memset(v, 0, sizeof(*v));
	if (unlock && unlock->hold_dir_lock && !dir_lock_hold(dir, e))
		return false;
	if (!octez_dir_load(dir, &d, e))
		return false;
	bool ok = false;
	v->keys = calloc(d.count ? d.count : 1, sizeof(*v->keys));
	if (!v->keys) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < d.count; i++) {
		const struct octez_entry *ent = &d.entries[i];
		if (!ent->secret_uri)
			continue; /* a public-only alias: nothing to sign with */
		struct vault_key *k = &v->keys[v->count++];
		if (strncmp(ent->secret_uri, "ledger://", 9) == 0) {
			bool skip;
			if (!load_ledger_key(k, ent, &skip, e))
				goto out;
			if (skip) {
				memset(k, 0, sizeof(*k));
				v->count--;
				continue;
			}
		} else if (!load_key(k, ent, unlock, e)) {
			goto out;
		}
		for (size_t j = 0; j + 1 < v->count; j++)
			if (memcmp(&v->keys[j].pkh, &k->pkh, sizeof(k->pkh)) == 0) {
				err_set(e, ERR_MALFORMED, "keys '%s' and '%s' are the same key %s: keep one "
					"(tzsigner keys remove %s)", v->keys[j].name, k->name, k->pkh_text,
					k->name);
				goto out;
			}
	}
	ok = true;
out:
	octez_dir_free(&d);
	if (!ok)
		vault_close(v);
	return ok;
}

void vault_close(struct vault *v)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->keys[i].sk)
			sodium_free(v->keys[i].sk);
	free(v->keys);
	v->keys = NULL;
	v->count = 0;
}

size_t vault_ledger_key_count(const struct vault *v)
{
	size_t n = 0;
	for (size_t i = 0; i < v->count; i++)
		n += v->keys[i].storage == STORAGE_LEDGER;
	return n;
}

void vault_attach_ledger(struct vault *v, struct ledger_backend *backend)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->keys[i].storage == STORAGE_LEDGER)
			v->keys[i].ledger_backend = backend;
}

const struct vault_key *vault_find(const struct vault *v, const struct pkh *pkh)
{
	for (size_t i = 0; i < v->count; i++)
		if (v->keys[i].pkh.scheme == pkh->scheme &&
		    memcmp(v->keys[i].pkh.hash, pkh->hash, PKH_BYTES) == 0)
			return &v->keys[i];
	return NULL;
}

bool vault_key_signs_mode(const struct vault_key *k, enum bls_mode mode, struct err *e)
{
	if (k->storage != STORAGE_LEDGER || k->pk.scheme != SCHEME_BLS || mode == BLS_MODE_AUG)
		return true;
	char uri[LEDGER_URI_TEXT_MAX];
	ledger_uri_format(&k->ledger, uri);
	return err_set(e, ERR_FORBIDDEN,
		       "%s signs tz4 only with the augmented BLS scheme, octez's signature version 1 (the "
		       "Tezos Baking app 2.5.1 has no other); this request asks for the "
		       "proof-of-possession scheme (versions 2 and 3, or none)",
		       uri);
}

bool vault_sign(const struct vault_key *k, enum bls_mode mode, const uint8_t *msg, size_t len,
		struct signature *sig, struct err *e)
{
	if (!vault_key_signs_mode(k, mode, e))
		return false;
	if (k->storage == STORAGE_LEDGER) {
		if (!k->ledger_backend)
			return err_set(e, ERR_UNAVAILABLE, "key %s lives on a Ledger and the Ledger backend is not running",
				       k->pkh_text);
		return ledger_backend_sign(k->ledger_backend, &k->ledger, &k->pk, msg, len, sig, e);
	}
	if (!k->sk)
		return err_set(e, ERR_UNAVAILABLE, "key %s has no local secret", k->pkh_text);
	return sign_message(k->sk, &k->pk, mode, msg, len, sig, e);
}
