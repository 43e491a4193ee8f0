/* apdu.c - APDU requests, reply splitting and status words. */
#include "apdu.h"

#include <string.h>

#include "../base/be.h"

size_t ledger_apdu_build(uint8_t out[static LEDGER_APDU_MAX], uint8_t ins, uint8_t p1, uint8_t p2,
			 const uint8_t *data, size_t len)
{
	if (len > 255)
		return 0;
	out[0] = LEDGER_CLA;
	out[1] = ins;
	out[2] = p1;
	out[3] = p2;
	out[4] = (uint8_t)len;
	if (len)
		memcpy(out + 5, data, len);
	return 5 + len;
}

size_t ledger_path_encode(const struct ledger_path *p, uint8_t out[static 1 + 4 * LEDGER_PATH_MAX])
{
	size_t n = p->len > LEDGER_PATH_MAX ? LEDGER_PATH_MAX : p->len;
	out[0] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		be32_put(out + 1 + 4 * i, p->c[i]);
	}
	return 1 + 4 * n;
}

bool ledger_reply_split(const uint8_t *reply, size_t len, const uint8_t **data, size_t *data_len,
			uint16_t *sw, struct err *e)
{
	if (len < 2)
		return err_set(e, ERR_MALFORMED, "Ledger reply of %zu bytes has no status word", len);
	*sw = be16_get(reply + len - 2);
	*data = reply;
	*data_len = len - 2;
	return true;
}

const char *ledger_sw_meaning(uint16_t sw)
{
	switch (sw) {
	case LEDGER_SW_OK: return "ok";
	case LEDGER_SW_REJECTED: return "rejected on the device";
	case LEDGER_SW_SECURITY: return "security condition not satisfied (not the authorized baking key, or the PIN is not entered)";
	case LEDGER_SW_WRONG_VALUES: return "refused by the device's high watermark, or wrong values";
	case LEDGER_SW_PARSE_ERROR: return "the app cannot parse these bytes or does not sign this magic byte";
	case LEDGER_SW_WRONG_PARAM: return "wrong P1/P2";
	case LEDGER_SW_WRONG_LENGTH: return "wrong length";
	case LEDGER_SW_INVALID_INS: return "unknown instruction (the Tezos Baking app is not open)";
	case LEDGER_SW_CLASS: return "unknown class (another app is open)";
	case LEDGER_SW_NOT_FOUND: return "referenced data not found (no authorized key)";
	case LEDGER_SW_TOO_LONG: return "data too long for the app";
	case LEDGER_SW_MEMORY: return "memory error on the device";
	case LEDGER_SW_LOCKED: return "the device is locked";
	}
	return "unknown status word";
}
