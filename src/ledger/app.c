/* app.c - baking app commands and what their status words mean. */
#include "app.h"

#include <string.h>

#include "../base/be.h"

bool ledger_app_call(const struct ledger_link *l, uint8_t ins, uint8_t p1, uint8_t p2,
		     const uint8_t *in, size_t in_len, uint8_t reply[static LEDGER_REPLY_MAX],
		     const uint8_t **data, size_t *data_len, uint16_t *sw, struct err *e)
{
	uint8_t apdu[LEDGER_APDU_MAX];
	size_t n = ledger_apdu_build(apdu, ins, p1, p2, in, in_len);
	size_t rlen = 0;
	if (n == 0)
		return err_set(e, ERR_MALFORMED, "%s: %zu bytes do not fit one APDU", l->label, in_len);
	if (!ledger_transport_exchange(l->t, apdu, n, reply, &rlen, l->timeout_ms, e))
		return err_wrap(e, "%s", l->label);
	if (!ledger_reply_split(reply, rlen, data, data_len, sw, e)) {
		l->t->broken = true;
		e->kind = ERR_UNAVAILABLE;
		return err_wrap(e, "%s (%s)", l->label, l->t->where);
	}
	return true;
}

bool ledger_sw_means_app_gone(uint16_t sw)
{
	return sw == LEDGER_SW_INVALID_INS || sw == LEDGER_SW_CLASS || sw == LEDGER_SW_LOCKED ||
	       (sw & 0xff00) == 0x6e00 || sw == 0x6d02;
}

bool ledger_sw_error(uint16_t sw, const char *label, const char *op, bool signing, struct err *e)
{
	switch (sw) {
	case LEDGER_SW_REJECTED:
		return err_set(e, ERR_FORBIDDEN, "%s on %s: rejected on the device (0x%04x)", op, label, sw);
	case LEDGER_SW_SECURITY:
		return err_set(e, ERR_FORBIDDEN,
			       "%s on %s: the device refuses: this is not the key authorized for baking (see `tzsigner ledger setup`) or the PIN is not entered (0x%04x)",
			       op, label, sw);
	case LEDGER_SW_WRONG_VALUES:
		if (signing)
			return err_set(e, ERR_CONFLICT,
				       "%s on %s: refused by the device's own high watermark: it already signed this level and round or a later one (0x%04x)",
				       op, label, sw);
		return err_set(e, ERR_MALFORMED, "%s on %s: the device refuses these values (0x%04x)", op,
			       label, sw);
	case LEDGER_SW_PARSE_ERROR:
		return err_set(e, ERR_FORBIDDEN,
			       "%s on %s: the Tezos Baking app does not sign these bytes (it signs blocks, (pre)attestations, and its own reveal or delegation) (0x%04x)",
			       op, label, sw);
	case LEDGER_SW_NOT_FOUND:
		return err_set(e, ERR_NOT_FOUND, "%s on %s: no key is authorized for baking (0x%04x)", op,
			       label, sw);
	case LEDGER_SW_TOO_LONG:
		return err_set(e, ERR_MALFORMED, "%s on %s: too long for the app (0x%04x)", op, label, sw);
	case LEDGER_SW_LOCKED:
		return err_set(e, ERR_UNAVAILABLE,
			       "%s on %s: the device is locked: enter its PIN and open the Tezos Baking app (0x%04x)",
			       op, label, sw);
	case LEDGER_SW_INVALID_INS:
		return err_set(e, ERR_UNAVAILABLE, "Tezos Baking app is not open on %s: open it on the device (%s: 0x%04x)",
			       label, op, sw);
	}
	if (ledger_sw_means_app_gone(sw))
		return err_set(e, ERR_UNAVAILABLE,
			       "Tezos Baking app is not open on %s: another app or the dashboard is (%s: 0x%04x)",
			       label, op, sw);
	return err_set(e, ERR_UNAVAILABLE, "%s on %s: %s (0x%04x)", op, label, ledger_sw_meaning(sw), sw);
}

/* A status word for a command on a curve: the apps before 2.5.1 answer
 * 6B00 (bad P2) to the BLS derivation type, P2 = 04. */
static bool curve_sw_error(const struct ledger_link *l, enum ledger_curve curve, uint16_t sw,
			   const char *op, bool signing, struct err *e)
{
	if (sw == LEDGER_SW_WRONG_PARAM && curve == LEDGER_CURVE_BLS12_381)
		return err_set(e, ERR_UNAVAILABLE,
			       "%s on %s: this app version has no BLS; 2.5.1 or later (0x%04x)", op,
			       l->label, sw);
	return ledger_sw_error(sw, l->label, op, signing, e);
}

/* A command whose reply must be 9000 (p2 is the curve for commands that take one). */
static bool call_ok(const struct ledger_link *l, const char *op, uint8_t ins, uint8_t p1, uint8_t p2,
		    const uint8_t *in, size_t in_len, uint8_t reply[static LEDGER_REPLY_MAX],
		    const uint8_t **data, size_t *data_len, struct err *e)
{
	uint16_t sw;
	if (!ledger_app_call(l, ins, p1, p2, in, in_len, reply, data, data_len, &sw, e))
		return false;
	if (sw != LEDGER_SW_OK)
		return curve_sw_error(l, (enum ledger_curve)p2, sw, op, false, e);
	return true;
}

bool ledger_app_version(const struct ledger_link *l, struct ledger_version *v, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *d;
	size_t n;
	return call_ok(l, "version", LEDGER_INS_VERSION, 0, 0, NULL, 0, reply, &d, &n, e) &&
	       (ledger_parse_version(d, n, v, e) || err_wrap(e, "%s", l->label));
}

bool ledger_app_public_key(const struct ledger_link *l, enum ledger_curve curve,
			   const struct ledger_path *path, bool prompt, struct public_key *pk,
			   struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX], p[1 + 4 * LEDGER_PATH_MAX];
	const uint8_t *d;
	size_t n, plen = ledger_path_encode(path, p);
	uint8_t ins = prompt ? LEDGER_INS_PROMPT_PUBLIC_KEY : LEDGER_INS_GET_PUBLIC_KEY;
	return call_ok(l, "public key", ins, 0, (uint8_t)curve, p, plen, reply, &d, &n, e) &&
	       (ledger_parse_public_key(d, n, curve, pk, e) || err_wrap(e, "%s", l->label));
}

bool ledger_app_sign(const struct ledger_link *l, enum ledger_curve curve,
		     const struct ledger_path *path, const uint8_t *msg, size_t len, bool with_hash,
		     uint8_t hash_out[static 32], struct signature *sig, uint16_t *sw, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX], p[1 + 4 * LEDGER_PATH_MAX];
	const uint8_t *d;
	size_t n, plen = ledger_path_encode(path, p);
	uint8_t ins = with_hash ? LEDGER_INS_SIGN_WITH_HASH : LEDGER_INS_SIGN;
	*sw = 0;
	if (len == 0 || len > LEDGER_SIGN_MAX)
		return err_set(e, ERR_FORBIDDEN,
			       "sign on %s: %zu bytes; the Tezos Baking app signs 1 to %d bytes in one packet",
			       l->label, len, LEDGER_SIGN_MAX);
	if (!ledger_app_call(l, ins, LEDGER_P1_FIRST, (uint8_t)curve, p, plen, reply, &d, &n, sw, e))
		return false;
	if (*sw != LEDGER_SW_OK)
		return curve_sw_error(l, curve, *sw, "sign", true, e);
	if (!ledger_app_call(l, ins, LEDGER_P1_LAST, (uint8_t)curve, msg, len, reply, &d, &n, sw, e))
		return false;
	if (*sw != LEDGER_SW_OK)
		return ledger_sw_error(*sw, l->label, "sign", true, e);
	if (!ledger_parse_signature(d, n, with_hash, curve, hash_out, sig, e)) {
		e->kind = ERR_UNAVAILABLE;
		return err_wrap(e, "%s", l->label);
	}
	return true;
}

bool ledger_app_setup(const struct ledger_link *l, enum ledger_curve curve,
		      const struct ledger_path *path, const uint8_t chain_id[static 4],
		      uint32_t main_level, uint32_t test_level, struct public_key *pk, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX], in[12 + 1 + 4 * LEDGER_PATH_MAX];
	const uint8_t *d;
	size_t n;
	memcpy(in, chain_id, 4);
	be32_put(in + 4, main_level);
	be32_put(in + 8, test_level);
	size_t plen = ledger_path_encode(path, in + 12);
	return call_ok(l, "setup", LEDGER_INS_SETUP, 0, (uint8_t)curve, in, 12 + plen, reply, &d, &n, e) &&
	       (ledger_parse_public_key(d, n, curve, pk, e) || err_wrap(e, "%s", l->label));
}

bool ledger_app_reset(const struct ledger_link *l, uint32_t level, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX], in[4];
	const uint8_t *d;
	size_t n;
	be32_put(in, level);
	return call_ok(l, "reset high watermark", LEDGER_INS_RESET, 0, 0, in, 4, reply, &d, &n, e);
}

bool ledger_app_hwm(const struct ledger_link *l, struct ledger_hwm *h, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *d;
	size_t n;
	return call_ok(l, "query high watermarks", LEDGER_INS_QUERY_ALL_HWM, 0, 0, NULL, 0, reply, &d, &n, e) &&
	       (ledger_parse_all_hwm(d, n, h, e) || err_wrap(e, "%s", l->label));
}

bool ledger_app_auth_key(const struct ledger_link *l, bool *authorized, enum ledger_curve *curve,
			 struct ledger_path *path, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *d;
	size_t n;
	uint16_t sw;
	*authorized = false;
	if (!ledger_app_call(l, LEDGER_INS_QUERY_AUTH_KEY_WITH_CURVE, 0, 0, NULL, 0, reply, &d, &n, &sw, e))
		return false;
	if (sw == LEDGER_SW_NOT_FOUND)
		return true; /* nothing authorized */
	if (sw != LEDGER_SW_OK)
		return ledger_sw_error(sw, l->label, "query authorized key", false, e);
	return ledger_parse_auth_key(d, n, authorized, curve, path, e) || err_wrap(e, "%s", l->label);
}

bool ledger_app_deauthorize(const struct ledger_link *l, struct err *e)
{
	uint8_t reply[LEDGER_REPLY_MAX];
	const uint8_t *d;
	size_t n;
	return call_ok(l, "deauthorize", LEDGER_INS_DEAUTHORIZE, 0, 0, NULL, 0, reply, &d, &n, e);
}
