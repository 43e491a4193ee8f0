/* body.c - parse sign request bodies: JSON hex strings and octez's binary form. */
#include "body.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/be.h"
#include "../base/hex.h"

bool body_parse_hex_string(const char *body, size_t body_len, uint8_t **msg, size_t *len,
			   struct err *e)
{
	json_error_t jerr;
	*msg = NULL;
	*len = 0;
	json_t *v = json_loadb(body, body_len, JSON_DECODE_ANY, &jerr);
	if (!v)
		return err_set(e, ERR_MALFORMED,
			       "request body is not JSON (%s at byte %d): expected a JSON string of hex bytes",
			       jerr.text, jerr.position);
	if (!json_is_string(v)) {
		json_decref(v);
		return err_set(e, ERR_MALFORMED,
			       "request body is JSON but not a string: expected \"11…\" (hex bytes to sign)");
	}
	size_t hex_len = json_string_length(v);
	bool ok = false;
	*msg = malloc(hex_len / 2 + 1);
	if (!*msg)
		err_set(e, ERR_INTERNAL, "out of memory for %zu bytes", hex_len / 2 + 1);
	else
		ok = hex_decode(*msg, hex_len / 2, len, json_string_value(v), hex_len, e);
	json_decref(v);
	if (!ok) {
		free(*msg);
		*msg = NULL;
		*len = 0;
		return err_wrap(e, "bytes to sign");
	}
	return true;
}

/* The octet-stream form: u32be n ‖ n bytes, nothing after. Same contract. */
static bool body_parse_octet_stream(const uint8_t *body, size_t body_len, uint8_t **msg, size_t *len,
				    struct err *e)
{
	*msg = NULL;
	*len = 0;
	if (body_len < 4)
		return err_set(e, ERR_MALFORMED,
			       "octet-stream body of %zu bytes: expected a 4-byte big-endian length, "
			       "then the bytes to sign (octez's binary form)",
			       body_len);
	uint32_t n = be32_get(body);
	if ((size_t)n != body_len - 4)
		return err_set(e, ERR_MALFORMED,
			       "octet-stream body: its length header says %u bytes but %zu follow "
			       "(octez's binary form is a 4-byte big-endian length, then the bytes)",
			       n, body_len - 4);
	*msg = malloc(n + 1u);
	if (!*msg)
		return err_set(e, ERR_INTERNAL, "out of memory for %u bytes", n + 1u);
	memcpy(*msg, body + 4, n);
	*len = n;
	return true;
}

/* The media type of a Content-Type value: "type/subtype", before any ';'. */
static bool media_is(const char *content_type, const char *want)
{
	while (*content_type == ' ' || *content_type == '\t')
		content_type++;
	size_t n = strcspn(content_type, "; \t");
	return n == strlen(want) && strncasecmp(content_type, want, n) == 0;
}

bool body_parse(const char *content_type, const char *body, size_t body_len, uint8_t **msg,
		size_t *len, struct err *e)
{
	if (content_type && media_is(content_type, "application/octet-stream"))
		return body_parse_octet_stream((const uint8_t *)body, body_len, msg, len, e);
	if (content_type && media_is(content_type, "application/bson")) {
		*msg = NULL;
		*len = 0;
		return err_set(e, ERR_MALFORMED,
			       "application/bson bodies are not supported: send application/json "
			       "(\"11ab…\") or application/octet-stream");
	}
	return body_parse_hex_string(body, body_len, msg, len, e);
}
