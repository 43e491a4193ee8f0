/* auth.h - request authentication (octez -A / --require-authentication).
 *
 * <base_dir>/authorized_keys lists the public keys allowed to ask for
 * signatures, in octez's format: [{"name":"baker","value":"edpk…"}]. A
 * sign request then carries ?authentication=<signature> by one of them over
 * 0x04 ‖ 0x01 ‖ pkh (21 bytes: tag ‖ hash) ‖ data (design §2.1). */
#ifndef TZS_GUARD_AUTH_H
#define TZS_GUARD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"

#define AUTH_FILE "authorized_keys"
#define AUTH_MAX_KEYS 256

struct auth_key {
	char name[129];
	struct public_key pk;
	char pkh_text[B58_MAX];
};

struct auth_keys {
	struct auth_key *keys;
	size_t count;
};

/* A missing file is an empty list. */
bool auth_keys_load(struct auth_keys *a, const char *base_dir, struct err *e);
/* The same from the file's text (tests, fuzzing). */
bool auth_keys_parse(struct auth_keys *a, const char *text, size_t len, struct err *e);
void auth_keys_free(struct auth_keys *a);

/* Adds a key to <base_dir>/authorized_keys (durably); refuses duplicates. */
bool auth_keys_add(const char *base_dir, const char *name, const char *public_key,
		   struct err *e);

/* ERR_AUTH unless signature_text is a valid signature by one of the keys
 * over 0x04 ‖ 0x01 ‖ pkh_bin ‖ data. On success *who names the key. */
bool auth_check(const struct auth_keys *a, const struct pkh *pkh, const uint8_t *data,
		size_t len, const char *signature_text, const struct auth_key **who,
		struct err *e);
/* The same with the signature's raw bytes (64 or 96; the socket protocol
 * carries them so); sig_len 0 is a missing authentication. */
bool auth_check_raw(const struct auth_keys *a, const struct pkh *pkh, const uint8_t *data,
		    size_t len, const uint8_t *sig, size_t sig_len, const struct auth_key **who,
		    struct err *e);

#endif
