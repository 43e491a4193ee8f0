/* known_keys.c - a box's list of keys. */
#include "known_keys.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../tezos/keycodec.h"

bool gw_known_keys_parse(const char *text, size_t len, char (*out)[GW_PKH_MAX], size_t cap, size_t *n,
			 struct err *e)
{
	*n = 0;
	json_error_t jerr;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *list = json_is_object(v) ? json_object_get(v, "known_keys") : NULL;
	bool ok = json_is_array(list);
	if (!ok)
		err_set(e, ERR_MALFORMED, "known_keys answer is not {\"known_keys\":[…]} (%s)",
			v ? "another shape" : jerr.text);
	for (size_t i = 0; ok && i < json_array_size(list); i++) {
		json_t *s = json_array_get(list, i);
		struct pkh pkh;
		if (!json_is_string(s) || json_string_length(s) >= GW_PKH_MAX ||
		    strlen(json_string_value(s)) != json_string_length(s) ||
		    !pkh_decode(json_string_value(s), &pkh, NULL)) {
			ok = err_set(e, ERR_MALFORMED, "known_keys answer: entry %zu is not a tz1…tz4 key hash", i);
			*n = 0;
		} else if (*n < cap) {
			snprintf(out[(*n)++], GW_PKH_MAX, "%s", json_string_value(s));
		}
	}
	json_decref(v);
	return ok;
}
