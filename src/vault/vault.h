/* vault.h - the keys a signer holds, loaded from an octez base directory.
 *
 * Local keys (unencrypted: and encrypted: URIs) are decoded once at open
 * into guarded, mlock'd memory (sodium_malloc) and checked against their
 * public_keys / public_key_hashs entries. ledger:// keys take their public
 * key from public_keys (written by `tzsigner keys import`) and sign on the
 * device through the Ledger backend. The table is immutable after
 * vault_open and vault_attach_ledger, so lookups and signing need no lock. */
#ifndef TZS_VAULT_VAULT_H
#define TZS_VAULT_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../base/passphrase.h"
#include "../crypto/scheme.h"
#include "../tezos/keycodec.h"
#include "../ledger/uri.h"
#include "octez_dir.h"

struct ledger_backend;

enum key_storage {
	STORAGE_UNENCRYPTED,
	STORAGE_ENCRYPTED,
	STORAGE_LEDGER,
};

const char *key_storage_name(enum key_storage s);

struct vault_key {
	char name[KEY_NAME_MAX + 1];
	enum key_storage storage;
	struct public_key pk;
	struct pkh pkh;
	char pkh_text[B58_MAX];
	char pk_text[B58_MAX];
	struct secret_key *sk; /* sodium_malloc'd; NULL for keys held elsewhere */
	/* STORAGE_LEDGER: where the key lives, and the backend that reaches it
	 * (set by vault_attach_ledger; NULL: signing is ERR_UNAVAILABLE). */
	struct ledger_uri ledger;
	struct ledger_backend *ledger_backend;
};

struct vault {
	struct vault_key *keys;
	size_t count;
};

/* Where passphrases for encrypted keys come from: one passphrase for all
 * (from -f FILE), else a terminal prompt per key when allowed. */
/* Where an encrypted key's passphrase comes from, first match wins:
 * passphrase_dir/NAME, passphrase_dir/passphrase_NAME (systemd's name for
 * the files of a LoadCredential= directory), passphrase_dir/passphrase; then
 * passphrase (read from passphrase_file); then the terminal if allowed. */
struct vault_unlock {
	const struct passphrase *passphrase;
	const char *passphrase_file; /* where passphrase came from, for messages */
	const char *passphrase_dir;
	bool allow_prompt;
	/* Take the base directory's lock (dir_lock_hold) before reading or asking
	 * anything: a second signer on the directory is refused, naming the
	 * holder, before it prompts for a passphrase. */
	bool hold_dir_lock;
};

/* Decodes a secret key URI or bare text: "unencrypted:edsk…", "encrypted:edesk…",
 * "edsk…", "spesk…", … into *sk (which the caller allocates with
 * sodium_malloc). *storage tells which form it was. ledger:// URIs are
 * ERR_UNAVAILABLE here: they are served by the Ledger backend. */
bool secret_uri_decode(const char *uri, const char *name, const struct vault_unlock *unlock,
		       struct secret_key *sk, enum key_storage *storage, struct err *e);

bool vault_open(struct vault *v, const char *dir, const struct vault_unlock *unlock,
		struct err *e);
void vault_close(struct vault *v);

/* Number of ledger:// keys in the table. */
size_t vault_ledger_key_count(const struct vault *v);
/* Routes the vault's ledger:// keys to backend (before any signing; NULL
 * detaches). */
void vault_attach_ledger(struct vault *v, struct ledger_backend *backend);

/* Looks a key up by its tz1…tz4 text; NULL if none. */
const struct vault_key *vault_find(const struct vault *v, const struct pkh *pkh);

/* Whether k can sign with the BLS mode asked (a tz4 key on a Ledger signs
 * only BLS_MODE_AUG, the app's scheme); ERR_FORBIDDEN saying so otherwise. */
bool vault_key_signs_mode(const struct vault_key *k, enum bls_mode mode, struct err *e);

bool vault_sign(const struct vault_key *k, enum bls_mode mode, const uint8_t *msg, size_t len,
		struct signature *sig, struct err *e);

#endif
