/* key_policy.h - per-key overrides of the signing policy.
 *
 * <base_dir>/tzsigner_policy.json (optional):
 *
 *   {"keys": {"tz1…": {"magic_bytes": "0x03,0x11,0x12,0x13"}}}
 *
 * A key listed here signs exactly the magic bytes given for it, instead of
 * the signer's -M list; other keys follow -M. */
#ifndef TZS_GUARD_KEY_POLICY_H
#define TZS_GUARD_KEY_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "../tezos/keycodec.h"
#include "policy.h"

#define KEY_POLICY_FILE "tzsigner_policy.json"
#define KEY_POLICY_MAX 1024

struct key_policy {
	struct pkh pkh;
	struct policy policy;
};

struct key_policies {
	struct key_policy *items;
	size_t count;
};

bool key_policies_parse(struct key_policies *kp, const char *text, size_t len, struct err *e);
/* A missing file is no overrides. */
bool key_policies_load(struct key_policies *kp, const char *base_dir, struct err *e);
void key_policies_free(struct key_policies *kp);
/* The override for pkh, or NULL. */
const struct policy *key_policies_find(const struct key_policies *kp, const struct pkh *pkh);

#endif
