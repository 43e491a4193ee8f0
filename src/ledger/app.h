/* app.h - the Tezos baking app's commands over one transport
 * (design §2.4), each turning a status word into an err whose kind is the
 * HTTP answer: 6985 / 6982 / 9405 forbidden, 6A80 on a signature the
 * device's own watermark (conflict), 6D00 / 6E00 / locked unavailable. */
#ifndef TZS_LEDGER_APP_H
#define TZS_LEDGER_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "reply.h"
#include "transport.h"

struct ledger_link {
	struct ledger_transport *t;
	const char *label; /* "ledger://calculating-meerkat-straight-beetle/" in messages */
	int timeout_ms;    /* for each exchange */
};

/* One APDU; *data / *data_len point into reply. False only when the
 * transport failed (ERR_UNAVAILABLE); the status word is the caller's. */
bool ledger_app_call(const struct ledger_link *l, uint8_t ins, uint8_t p1, uint8_t p2,
		     const uint8_t *in, size_t in_len, uint8_t reply[static LEDGER_REPLY_MAX],
		     const uint8_t **data, size_t *data_len, uint16_t *sw, struct err *e);

/* Fills e for a status word other than 9000 and returns false. op names
 * the command ("sign", "setup", …); signing says whether 6A80 is the
 * device's watermark refusal. */
bool ledger_sw_error(uint16_t sw, const char *label, const char *op, bool signing, struct err *e);

/* True for status words that mean the app is gone or the device locked. */
bool ledger_sw_means_app_gone(uint16_t sw);

bool ledger_app_version(const struct ledger_link *l, struct ledger_version *v, struct err *e);
/* INS 02, or 03 (shown on the device for the person to confirm) with prompt. */
bool ledger_app_public_key(const struct ledger_link *l, enum ledger_curve curve,
			   const struct ledger_path *path, bool prompt, struct public_key *pk,
			   struct err *e);
/* INS 0F (with_hash: the device's blake2b-256 of msg in hash_out) or 04. */
bool ledger_app_sign(const struct ledger_link *l, enum ledger_curve curve,
		     const struct ledger_path *path, const uint8_t *msg, size_t len, bool with_hash,
		     uint8_t hash_out[static 32], struct signature *sig, uint16_t *sw, struct err *e);
bool ledger_app_setup(const struct ledger_link *l, enum ledger_curve curve,
		      const struct ledger_path *path, const uint8_t chain_id[static 4],
		      uint32_t main_level, uint32_t test_level, struct public_key *pk, struct err *e);
bool ledger_app_reset(const struct ledger_link *l, uint32_t level, struct err *e);
bool ledger_app_hwm(const struct ledger_link *l, struct ledger_hwm *h, struct err *e);
bool ledger_app_auth_key(const struct ledger_link *l, bool *authorized, enum ledger_curve *curve,
			 struct ledger_path *path, struct err *e);
bool ledger_app_deauthorize(const struct ledger_link *l, struct err *e);

#endif
