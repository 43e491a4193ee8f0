/* body.c - parse "…hex…" request bodies. */
#include "body.h"

#include <jansson.h>
#include <stdlib.h>

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
