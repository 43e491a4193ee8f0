/* body.h - the body of a sign request, in the media types octez-signer
 * takes (its RPC server is started with Media_type.all_media_types,
 * src/bin_signer/http_daemon.ml; the input is Data_encoding.bytes):
 *   application/json (or no Content-Type): a JSON string of hex, "11ab…";
 *   application/octet-stream: octez's binary form, which adds a size header
 *     (src/lib_rpc_http/media_type.ml, octet_stream: dynamic_size), so the
 *     body is a 4-byte big-endian length followed by exactly that many bytes.
 * application/bson is refused with a message. Parsed with explicit bounds;
 * separate from the HTTP code so it can be unit-tested and fuzzed alone. */
#ifndef TZS_FRONT_BODY_H
#define TZS_FRONT_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

/* Decodes body (body_len bytes, at most 64 KiB) into a fresh
 * malloc'd buffer *msg of *len bytes, which the caller frees. Refuses
 * non-JSON, JSON that is not a string, odd length and non-hex with
 * ERR_MALFORMED. An empty string gives *len = 0. */
bool body_parse_hex_string(const char *body, size_t body_len, uint8_t **msg, size_t *len,
			   struct err *e);

/* Picks the parser by the Content-Type header value (NULL when absent;
 * parameters such as "; charset=utf-8" are ignored, case does not matter). */
bool body_parse(const char *content_type, const char *body, size_t body_len, uint8_t **msg,
		size_t *len, struct err *e);

#endif
