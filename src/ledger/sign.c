/* sign.c - one signature on a Ledger, checked before it is used:
 * the hash the device reports (INS 0F) must be ours, and the signature must
 * verify with the key the signer holds for that URI. */
#include "device.h"

#include <string.h>
#include <time.h>

#include "../base/log.h"
#include "../crypto/bls.h"
#include "../crypto/hash.h"
#include "../crypto/sign.h"

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* INS 0F answered 6D00: an app without it answers its version; a closed
 * app does not. */
static bool app_lacks_sign_with_hash(struct ledger_handle *h)
{
	struct ledger_version v;
	struct err ignored;
	return ledger_app_version(&h->link, &v, &ignored) && v.app_class == 1;
}

/* The app signs tz4 with the augmented scheme, over its compressed key ‖
 * the message (trilitech/ledger-app-tezos-baking 2.5.1, src/crypto.c:
 * CIPHERSUITE ..._AUG_ in bip32_derive_with_seed_bls_sign_hash); the other
 * curves over blake2b-256 of the message, as sign_message does. */
static bool device_signature_verifies(const struct public_key *pk, const uint8_t *msg, size_t len,
				      const struct signature *sig)
{
	if (sig->scheme != pk->scheme)
		return false;
	if (pk->scheme == SCHEME_BLS)
		return sig->len == BLS_SIGNATURE_BYTES &&
		       bls12_verify(pk->bytes, BLS_MODE_AUG, msg, len, sig->bytes);
	return verify_message(pk, msg, len, sig->bytes, sig->len);
}

bool ledger_backend_sign(struct ledger_backend *b, const struct ledger_uri *uri,
			 const struct public_key *expected, const uint8_t *msg, size_t len,
			 struct signature *sig, struct err *e)
{
	if (!uri->has_key)
		return err_set(e, ERR_MALFORMED, "ledger://%s/ names a device, not a key (curve and path missing)",
			       uri->device);
	int64_t t0 = now_us();
	struct ledger_handle h;
	if (!ledger_acquire(b, uri->device, 0, &h, e))
		return false;
	int64_t t_acquired = now_us();
	bool with_hash = ledger_version_has_sign_with_hash(&h.info.version) && !h.info.no_sign_with_hash;
	uint8_t hash[HASH_BYTES], device_hash[HASH_BYTES];
	uint16_t sw = 0;
	bool ok = ledger_app_sign(&h.link, uri->curve, &uri->path, msg, len, with_hash, device_hash, sig,
				  &sw, e);
	if (!ok && with_hash && sw == LEDGER_SW_INVALID_INS && app_lacks_sign_with_hash(&h)) {
		ledger_handle_note_no_sign_with_hash(&h);
		with_hash = false;
		ok = ledger_app_sign(&h.link, uri->curve, &uri->path, msg, len, false, device_hash, sig, &sw, e);
	}
	int64_t t_replied = now_us();
	ledger_release(&h, !ok && ledger_sw_means_app_gone(sw), ok ? NULL : e);
	if (!ok)
		return false;
	blake2b_256(hash, msg, len);
	if (with_hash && memcmp(hash, device_hash, HASH_BYTES) != 0)
		return err_set(e, ERR_INTERNAL,
			       "%s returned a hash that is not blake2b-256 of the %zu bytes sent: signature discarded",
			       h.label, len);
	if (!device_signature_verifies(expected, msg, len, sig))
		return err_set(e, ERR_INTERNAL,
			       "the signature from %s does not verify with the public key stored for it (another device or key at that URI?)",
			       h.label);
	log_debug("event=ledger_signed device=%s ins=0x%02x before_us=%lld device_us=%lld after_us=%lld",
		  h.label, with_hash ? 0x0f : 0x04, (long long)(t_acquired - t0),
		  (long long)(t_replied - t_acquired), (long long)(now_us() - t_replied));
	return true;
}
