/* octez_dir.h - the key files of an octez base directory, read and written
 * exactly as octez-client does (design §2.3):
 *
 *   secret_keys       [{"name":"baker","value":"unencrypted:edsk…"}]   mode 0600
 *   public_keys       [{"name":"baker","value":{"locator":"unencrypted:edpk…","key":"edpk…"}}]
 *   public_key_hashs  [{"name":"baker","value":"tz1…"}]
 *
 * Older octez versions wrote a public_keys value as the bare locator string
 * ("unencrypted:edpk…"); both forms are read, the object form is written. */
#ifndef TZS_VAULT_OCTEZ_DIR_H
#define TZS_VAULT_OCTEZ_DIR_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"

#define KEY_NAME_MAX 128
#define KEY_URI_MAX 512
#define OCTEZ_DIR_MAX_KEYS 1024
#define OCTEZ_FILE_MAX (1024 * 1024)

struct octez_entry {
	char name[KEY_NAME_MAX + 1];
	/* secret_keys value: "unencrypted:…", "encrypted:…", "ledger://…";
	 * empty when the alias only has a public key. Points into
	 * sodium_malloc'd memory owned by the octez_dir. */
	char *secret_uri;
	char public_key[KEY_URI_MAX + 1]; /* "edpk…" (locator prefix removed), or "" */
	char pkh[64];                     /* "tz1…", or "" */
};

struct octez_dir {
	struct octez_entry *entries;
	size_t count;
};

/* Reads the three files (each may be missing; secret_keys is checked to be
 * owned by us and not readable by group/other). Every entry of the
 * secret_keys file appears, merged by name with the public files. */
bool octez_dir_load(const char *dir, struct octez_dir *out, struct err *e);
void octez_dir_free(struct octez_dir *d);

/* The same from the three files' texts (for tests and fuzzing). */
bool octez_dir_parse(struct octez_dir *out, const char *secret_keys, size_t secret_len,
		     const char *public_keys, size_t public_len, const char *pkhs, size_t pkhs_len,
		     struct err *e);

const struct octez_entry *octez_dir_find(const struct octez_dir *d, const char *name);

/* A name octez-client would accept and we can print: 1..64 of [A-Za-z0-9._-]. */
bool octez_name_valid(const char *name, struct err *e);

/* Adds (or with replace, replaces) an alias in all three files, each
 * rewritten durably (fsync, rename, fsync dir). secret_uri may be NULL for
 * a public-only alias. Refuses an existing name without replace, and a
 * secret whose pkh another alias with a secret already holds. */
bool octez_dir_add(const char *dir, const char *name, const char *secret_uri,
		   const char *public_key, const char *pkh, bool replace, struct err *e);

/* Removes an alias from all three files (secret first). The key's
 * watermark records are not touched. ERR_NOT_FOUND when no file names it. */
bool octez_dir_remove(const char *dir, const char *name, struct err *e);

#endif
