/* body.h - the body of a sign request: a JSON string of hex bytes,
 * "11ab…". Parsed with explicit bounds; separate from the HTTP code so it
 * can be unit-tested and fuzzed on its own. */
#ifndef TZS_SERVER_BODY_H
#define TZS_SERVER_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

/* Decodes body (body_len bytes, at most SERVER_MAX_BODY) into a fresh
 * malloc'd buffer *msg of *len bytes, which the caller frees. Refuses
 * non-JSON, JSON that is not a string, odd length and non-hex with
 * ERR_MALFORMED. An empty string gives *len = 0. */
bool body_parse_hex_string(const char *body, size_t body_len, uint8_t **msg, size_t *len,
			   struct err *e);

#endif
