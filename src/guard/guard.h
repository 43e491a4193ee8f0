/* guard.h - the decision in front of every signature.
 *
 * Order of checks (design §2.1): the key exists → the magic byte is allowed
 * (per-key override, else the signer's -M) → the bytes parse as their
 * layout, their tag fits the key and their chain is allowed →
 * authentication → high watermark → sign. Each refusal carries the
 * err_kind that the HTTP layer maps to a status.
 *
 * The high watermark store decides and records under its own lock (no
 * check-then-act window); signing runs outside it, so different keys and
 * different (level, round)s proceed in parallel. */
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
};

struct sign_request {
	const char *pkh_text; /* from the URL path */
	const uint8_t *msg;
	size_t len;
	enum bls_mode bls_mode;
	const char *authentication; /* ?authentication=…, or NULL */
	/* The socket protocol's authentication, raw (64 or 96 bytes); used
	 * instead of authentication when auth_raw is set (auth_raw_len 0: none). */
	const uint8_t *auth_raw;
	size_t auth_raw_len;
};

struct sign_result {
	const struct vault_key *key;
	struct op_info op;
	bool classified; /* op holds the parsed operation */
	bool reanswered; /* the watermark's stored signature, not a new one */
	const char *authenticated_by; /* name of the authorized key, or NULL */
	char signature[B58_MAX];
};

/* Binds the vault and the store (which may be NULL). */
bool guard_init(struct guard *g, const struct vault *v, struct wm_store *watermarks,
		struct err *e);
void guard_free(struct guard *g);
/* Points the guard at another key table (a reload of the key set). No
 * request may be running (the servers are stopped);
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

/* Checks a request's authentication as guard_sign does (a no-op without
 * -A); *who names the authorized key, or stays NULL. */
bool guard_authenticate(const struct guard *g, const struct vault_key *k,
			const struct sign_request *req, const char **who, struct err *e);

/* octez's deterministic nonce, or its blake2b-256 hash (want_hash), for
 * req's key and bytes: the key must exist and be held here (not on a
 * Ledger), and req must pass authentication as a signature would
 * (handler.ml, deterministic_nonce: check_authorization, then the key).
 * No magic byte, layout or watermark check applies, as in octez. */
bool guard_deterministic_nonce(const struct guard *g, const struct sign_request *req,
			       bool want_hash, uint8_t out[static 32], const char **who,
			       struct err *e);
/* A BLS proof of possession by req's tz4 key over its own public key, or
 * over override_pk (48 bytes) when not NULL. */
bool guard_prove_possession(const struct guard *g, const char *pkh_text,
			    const uint8_t *override_pk, struct signature *sig, struct err *e);
/* Whether a key can answer deterministic nonce requests. */
bool guard_supports_deterministic_nonces(const struct guard *g, const char *pkh_text,
					 bool *supported, struct err *e);

#endif
