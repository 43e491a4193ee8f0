/* sign.c - sign.h over the four per-scheme files. */
#include "sign.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "bls.h"
#include "ed25519.h"
#include "p256.h"
#include "secp256k1.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;
static struct err init_err;

static void init_all(void)
{
	if (sodium_init() < 0) {
		err_set(&init_err, ERR_INTERNAL, "crypto: sodium_init failed");
		return;
	}
	if (!k1_context_init(&init_err) || !p256_init(&init_err))
		return;
	init_ok = true;
}

bool crypto_init(struct err *e)
{
	if (pthread_once(&init_once, init_all) != 0)
		return err_set(e, ERR_INTERNAL, "crypto: pthread_once failed");
	if (!init_ok) {
		if (e)
			*e = init_err;
		return false;
	}
	return true;
}

static bool known_scheme(enum key_scheme s, const char *what, struct err *e)
{
	if ((unsigned)s >= SCHEME_COUNT)
		return err_set(e, ERR_INTERNAL, "%s: unknown key scheme %d", what, (int)s);
	return true;
}

bool secret_key_generate(enum key_scheme scheme, struct secret_key *sk, struct err *e)
{
	if (!crypto_init(e) || !known_scheme(scheme, "generating a secret key", e))
		return false;
	sodium_memzero(sk, sizeof(*sk));
	sk->scheme = scheme;
	bool ok = true;
	switch (scheme) {
	case SCHEME_ED25519: ed25519_generate(sk->bytes); break;
	case SCHEME_SECP256K1: ok = k1_generate(sk->bytes, e); break;
	case SCHEME_P256: ok = p256_generate(sk->bytes, e); break;
	case SCHEME_BLS: bls12_generate(sk->bytes); break;
	}
	if (!ok)
		sodium_memzero(sk->bytes, sizeof(sk->bytes));
	return ok;
}

bool secret_key_from_bytes(enum key_scheme scheme, const uint8_t *in, size_t len,
			   struct secret_key *sk, struct err *e)
{
	if (!crypto_init(e) || !known_scheme(scheme, "reading a secret key", e))
		return false;
	sodium_memzero(sk, sizeof(*sk));
	sk->scheme = scheme;
	bool ok = false;
	if (scheme == SCHEME_ED25519) {
		if (len == ED25519_SEED_BYTES) {
			ed25519_from_seed(sk->bytes, in);
			ok = true;
		} else if (len == ED25519_SECRET_BYTES) {
			memcpy(sk->bytes, in, len);
			ok = ed25519_secret_check(sk->bytes, e);
		} else {
			err_set(e, ERR_MALFORMED, "ed25519 secret key: %zu bytes, want 32 or 64", len);
		}
	} else if (len != 32) {
		err_set(e, ERR_MALFORMED, "%s secret key: %zu bytes, want 32", scheme_name(scheme),
			len);
	} else {
		memcpy(sk->bytes, in, len);
		switch (scheme) {
		case SCHEME_SECP256K1: ok = k1_secret_check(sk->bytes, e); break;
		case SCHEME_P256: ok = p256_secret_check(sk->bytes, e); break;
		case SCHEME_BLS: ok = bls12_secret_check(sk->bytes, e); break;
		case SCHEME_ED25519: break;
		}
	}
	if (!ok)
		sodium_memzero(sk->bytes, sizeof(sk->bytes));
	return ok;
}

size_t secret_key_to_bytes(const struct secret_key *sk, uint8_t out[static 32])
{
	memcpy(out, sk->bytes, 32);
	return 32;
}

bool public_key_derive(const struct secret_key *sk, struct public_key *pk, struct err *e)
{
	if (!crypto_init(e) || !known_scheme(sk->scheme, "deriving a public key", e))
		return false;
	memset(pk, 0, sizeof(*pk));
	pk->scheme = sk->scheme;
	pk->len = scheme_public_key_len(sk->scheme);
	switch (sk->scheme) {
	case SCHEME_ED25519: ed25519_public_key(sk->bytes, pk->bytes); return true;
	case SCHEME_SECP256K1: return k1_public_key(sk->bytes, pk->bytes, e);
	case SCHEME_P256: return p256_public_key(sk->bytes, pk->bytes, e);
	case SCHEME_BLS: return bls12_public_key(sk->bytes, pk->bytes, e);
	}
	return false;
}

bool public_key_from_bytes(enum key_scheme scheme, const uint8_t *in, size_t len,
			   struct public_key *pk, struct err *e)
{
	if (!crypto_init(e) || !known_scheme(scheme, "reading a public key", e))
		return false;
	bool ok = false;
	switch (scheme) {
	case SCHEME_ED25519: ok = ed25519_public_key_check(in, len, e); break;
	case SCHEME_SECP256K1: ok = k1_public_key_check(in, len, e); break;
	case SCHEME_P256: ok = p256_public_key_check(in, len, e); break;
	case SCHEME_BLS: ok = bls12_public_key_check(in, len, e); break;
	}
	if (!ok)
		return false;
	memset(pk, 0, sizeof(*pk));
	pk->scheme = scheme;
	pk->len = len;
	memcpy(pk->bytes, in, len);
	return true;
}

/* BLS_MODE_AUG signs pk ‖ msg: use the caller's pk, or derive it. */
static bool sign_bls(const struct secret_key *sk, const struct public_key *pk, enum bls_mode mode,
		     const uint8_t *msg, size_t len, uint8_t sig[static BLS_SIGNATURE_BYTES],
		     struct err *e)
{
	uint8_t own[BLS_PUBLIC_BYTES] = { 0 };
	const uint8_t *aug = own;
	if (mode == BLS_MODE_AUG) {
		if (pk && (pk->scheme != SCHEME_BLS || pk->len != BLS_PUBLIC_BYTES))
			return err_set(e, ERR_INTERNAL,
				       "bls augmented signing: public key is %s, %zu bytes",
				       scheme_name(pk->scheme), pk->len);
		if (pk)
			aug = pk->bytes;
		else if (!bls12_public_key(sk->bytes, own, e))
			return false;
	} else if (mode != BLS_MODE_POP) {
		return err_set(e, ERR_INTERNAL, "bls signing: unknown mode %d", (int)mode);
	}
	return bls12_sign(sk->bytes, mode, aug, msg, len, sig, e);
}

bool sign_message(const struct secret_key *sk, const struct public_key *pk, enum bls_mode mode,
		  const uint8_t *msg, size_t len, struct signature *sig, struct err *e)
{
	if (!crypto_init(e) || !known_scheme(sk->scheme, "signing", e))
		return false;
	memset(sig, 0, sizeof(*sig));
	sig->scheme = sk->scheme;
	sig->len = scheme_signature_len(sk->scheme);
	bool ok = false;
	switch (sk->scheme) {
	case SCHEME_ED25519:
		ed25519_sign(sk->bytes, msg, len, sig->bytes);
		ok = true;
		break;
	case SCHEME_SECP256K1: ok = k1_sign(sk->bytes, msg, len, sig->bytes, e); break;
	case SCHEME_P256: ok = p256_sign(sk->bytes, msg, len, sig->bytes, e); break;
	case SCHEME_BLS: ok = sign_bls(sk, pk, mode, msg, len, sig->bytes, e); break;
	}
	if (!ok)
		memset(sig->bytes, 0, sizeof(sig->bytes));
	return ok;
}

bool bls_prove_possession(const struct secret_key *sk, const uint8_t pop_msg[static 48],
			  struct signature *sig, struct err *e)
{
	if (!crypto_init(e))
		return false;
	if (sk->scheme != SCHEME_BLS)
		return err_set(e, ERR_MALFORMED, "proof of possession: key is %s, not bls",
			       scheme_name(sk->scheme));
	memset(sig, 0, sizeof(*sig));
	sig->scheme = SCHEME_BLS;
	sig->len = BLS_SIGNATURE_BYTES;
	return bls12_prove_possession(sk->bytes, pop_msg, sig->bytes, e);
}

bool verify_message(const struct public_key *pk, const uint8_t *msg, size_t len,
		    const uint8_t *sig, size_t sig_len)
{
	if (!crypto_init(NULL) || (unsigned)pk->scheme >= SCHEME_COUNT)
		return false;
	if (pk->len != scheme_public_key_len(pk->scheme) ||
	    sig_len != scheme_signature_len(pk->scheme))
		return false;
	switch (pk->scheme) {
	case SCHEME_ED25519: return ed25519_verify(pk->bytes, msg, len, sig);
	case SCHEME_SECP256K1: return k1_verify(pk->bytes, msg, len, sig);
	case SCHEME_P256: return p256_verify(pk->bytes, msg, len, sig);
	case SCHEME_BLS: return bls12_verify(pk->bytes, BLS_MODE_POP, msg, len, sig);
	}
	return false;
}
