/* known_keys.h - a box's GET /known_keys answer, {"known_keys":["tz1…",…]}
 * (design §2.1): which keys the gateway learns the box holds. It comes from
 * the network: parsed with explicit bounds, and refused whole when it is
 * not that shape or names something that is not a tz1…tz4 key hash (a box
 * that answers that is not trusted for any key). */
#ifndef TZS_GATEWAY_KNOWN_KEYS_H
#define TZS_GATEWAY_KNOWN_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "boxes.h"

/* Fills out with the first cap keys listed (*n of them); a longer list is
 * cut, not refused (the gateway tracks at most GW_MAX_KEYS). False with
 * ERR_MALFORMED and why otherwise. */
bool gw_known_keys_parse(const char *text, size_t len, char (*out)[GW_PKH_MAX], size_t cap, size_t *n,
			 struct err *e);

#endif
