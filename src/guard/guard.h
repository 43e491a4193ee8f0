/* guard.h - the decision in front of every signature.
 *
 * Order of checks (DESIGN §2.1): the key exists → the magic byte is allowed
 * (per-key override, else the signer's -M) → the bytes parse as their
 * layout, their tag fits the key and their chain is allowed →
 * authentication → high watermark → sign. Each refusal carries the
 * err_kind that the HTTP layer maps to a status.
 *
 * Requests for one key are decided, signed and recorded one at a time
 * under that key's lock (no check-then-act window); different keys
 * proceed in parallel. */
#ifndef TZS_GUARD_GUARD_H
#define TZS_GUARD_GUARD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../tezos/operation.h"
#include "../vault/vault.h"
#include "auth.h"
#include "key_policy.h"
#include "policy.h"
#include "wm_store.h"

#define GUARD_MAX_CHAINS 16

struct guard {
	const struct vault *vault;
	struct policy policy;            /* -M: for keys without an override */
	struct key_policies key_policies; /* <base_dir>/tzsigner_policy.json */
	uint8_t chains[GUARD_MAX_CHAINS][4];
	size_t chain_count;               /* 0: any chain */
	bool require_auth;
	struct auth_keys auth;
	struct wm_store *watermarks;      /* NULL only in benchmarks of the bare signer */
	uint32_t reserve_ahead;           /* WM_RESERVE: levels reserved past the one signed */
	pthread_mutex_t *key_locks;       /* one per vault key */
};

struct sign_request {
	const char *pkh_text; /* from the URL path */
	const uint8_t *msg;
	size_t len;
	enum bls_mode bls_mode;
	const char *authentication; /* ?authentication=…, or NULL */
};

struct sign_result {
	const struct vault_key *key;
	struct op_info op;
	bool classified; /* op holds the parsed operation */
	bool reanswered; /* the watermark's stored signature, not a new one */
	const char *authenticated_by; /* name of the authorized key, or NULL */
	char signature[B58_MAX];
};

/* Sets up locks for the vault's keys. watermarks may be NULL. */
bool guard_init(struct guard *g, const struct vault *v, struct wm_store *watermarks,
		struct err *e);
void guard_free(struct guard *g);
/* Points the guard at another key table (a reload of the key set), with
 * fresh per-key locks. No request may be running (the servers are stopped);
 * policy, authentication and the watermark store stay as they are. */
bool guard_rebind_vault(struct guard *g, const struct vault *v, struct err *e);

/* Adds a chain to the allowed list (--chain). */
bool guard_allow_chain(struct guard *g, const char *chain_b58, struct err *e);

/* Resolves a tz1…tz4 text to a key: ERR_MALFORMED for a bad pkh,
 * ERR_NOT_FOUND for one we do not hold. */
bool guard_find_key(const struct guard *g, const char *pkh_text, const struct vault_key **out,
		    struct err *e);

bool guard_sign(const struct guard *g, const struct sign_request *req, struct sign_result *out,
		struct err *e);

#endif
