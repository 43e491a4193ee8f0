/* policy.h - which magic bytes a signer will sign (octez -M). */
#ifndef TZS_GUARD_POLICY_H
#define TZS_GUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

struct policy {
	bool magic_allowed[256];
};

/* Consensus only: 0x11 (block), 0x12 (preattestation), 0x13 (attestation). */
void policy_default(struct policy *p);

/* A comma-separated list read as octez-signer reads -M: each item with
 * OCaml's int_of_string ("0x11" and "17" are both 0x11, "0x3" is 0x03;
 * also 0o…, 0b…, '_' separators), empty items dropped, each 0..255. A list
 * without any byte is refused. Replaces the set. */
bool policy_parse_magic_bytes(struct policy *p, const char *list, struct err *e);

/* ERR_FORBIDDEN naming the byte and the allowed set. */
bool policy_check_magic(const struct policy *p, uint8_t magic, struct err *e);

/* "0x11,0x12,0x13" into out. */
void policy_format_magic(const struct policy *p, char *out, size_t cap);

#endif
