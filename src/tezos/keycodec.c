/* keycodec.c - Tezos text forms of keys, key hashes and signatures. */
#include "keycodec.h"

#include <sodium.h>
#include <string.h>

#include "../crypto/hash.h"
#include "../crypto/sign.h"

/* Per scheme (index = enum key_scheme), the kinds of each text form. */
static const enum b58_kind pkh_kinds[SCHEME_COUNT] = { B58_TZ1, B58_TZ2, B58_TZ3, B58_TZ4 };
static const enum b58_kind pk_kinds[SCHEME_COUNT] = { B58_EDPK, B58_SPPK, B58_P2PK, B58_BLPK };
static const enum b58_kind sig_kinds[SCHEME_COUNT] = { B58_EDSIG, B58_SPSIG, B58_P2SIG,
						       B58_BLSIG };
static const enum b58_kind sk_kinds[SCHEME_COUNT] = { B58_EDSK_SEED, B58_SPSK, B58_P2SK,
						      B58_BLSK };
static const enum b58_kind esk_kinds[SCHEME_COUNT] = { B58_EDESK, B58_SPESK, B58_P2ESK,
						       B58_BLESK };

static bool scheme_ok(enum key_scheme s)
{
	return (unsigned)s < SCHEME_COUNT;
}

/* Which scheme a decoded kind belongs to, looking in table. */
static bool scheme_of(const enum b58_kind table[SCHEME_COUNT], enum b58_kind kind,
		      enum key_scheme *out)
{
	for (int i = 0; i < SCHEME_COUNT; i++) {
		if (table[i] == kind) {
			*out = (enum key_scheme)i;
			return true;
		}
	}
	return false;
}

bool pkh_encode(char out[static B58_MAX], const struct pkh *pkh, struct err *e)
{
	out[0] = '\0';
	if (!pkh || !scheme_ok(pkh->scheme))
		return err_set(e, ERR_INTERNAL, "pkh_encode: unknown scheme %d",
			       pkh ? (int)pkh->scheme : -1);
	return b58check_encode(out, B58_MAX, pkh_kinds[pkh->scheme], pkh->hash, PKH_BYTES, e);
}

bool pkh_decode(const char *s, struct pkh *out, struct err *e)
{
	enum b58_kind which;
	uint8_t hash[PKH_BYTES];
	if (!b58check_decode_any(s, pkh_kinds, SCHEME_COUNT, &which, hash, sizeof(hash), NULL,
				 e)) {
		if (b58check_decode(s, B58_TZ5, hash, sizeof(hash), NULL))
			return err_set(e, ERR_NOT_FOUND,
				       "tz5 keys are not supported: %.40s is an ML-DSA-44 address, and "
				       "tzsigner holds only tz1, tz2, tz3 and tz4 keys",
				       s);
		return err_wrap(e, "public key hash");
	}
	if (!scheme_of(pkh_kinds, which, &out->scheme))
		return err_set(e, ERR_INTERNAL, "pkh_decode: kind %d has no scheme", (int)which);
	memcpy(out->hash, hash, PKH_BYTES);
	return true;
}

void pkh_of_public_key(const struct public_key *pk, struct pkh *out)
{
	out->scheme = pk->scheme;
	public_key_hash(out->hash, pk);
}

void pkh_to_binary(const struct pkh *pkh, uint8_t out[static 21])
{
	out[0] = (uint8_t)pkh->scheme;
	memcpy(out + 1, pkh->hash, PKH_BYTES);
}

bool public_key_encode(char out[static B58_MAX], const struct public_key *pk, struct err *e)
{
	out[0] = '\0';
	if (!pk || !scheme_ok(pk->scheme))
		return err_set(e, ERR_INTERNAL, "public_key_encode: unknown scheme %d",
			       pk ? (int)pk->scheme : -1);
	enum b58_kind kind = pk_kinds[pk->scheme];
	if (pk->len > sizeof(pk->bytes) || pk->len != b58_prefix_of(kind)->payload_len)
		return err_set(e, ERR_INTERNAL, "public_key_encode: a %s has %u bytes, not %zu",
			       b58_kind_description(kind),
			       (unsigned)b58_prefix_of(kind)->payload_len, pk->len);
	return b58check_encode(out, B58_MAX, kind, pk->bytes, pk->len, e);
}

bool public_key_decode(const char *s, struct public_key *out, struct err *e)
{
	enum b58_kind which;
	enum key_scheme scheme;
	uint8_t bytes[PUBLIC_KEY_MAX];
	size_t len = 0;
	if (!b58check_decode_any(s, pk_kinds, SCHEME_COUNT, &which, bytes, sizeof(bytes), &len,
				 e))
		return err_wrap(e, "public key");
	if (!scheme_of(pk_kinds, which, &scheme))
		return err_set(e, ERR_INTERNAL, "public_key_decode: kind %d has no scheme",
			       (int)which);
	if (!public_key_from_bytes(scheme, bytes, len, out, e))
		/* s decoded, so it is plain base58 text, safe to quote. */
		return err_wrap(e, "public key \"%.60s%s\"", s, strlen(s) > 60 ? "…" : "");
	return true;
}

bool signature_encode(char out[static B58_MAX], const struct signature *sig, struct err *e)
{
	out[0] = '\0';
	if (!sig || !scheme_ok(sig->scheme))
		return err_set(e, ERR_INTERNAL, "signature_encode: unknown scheme %d",
			       sig ? (int)sig->scheme : -1);
	enum b58_kind kind = sig_kinds[sig->scheme];
	if (sig->len > sizeof(sig->bytes) || sig->len != b58_prefix_of(kind)->payload_len)
		return err_set(e, ERR_INTERNAL, "signature_encode: a %s has %u bytes, not %zu",
			       b58_kind_description(kind),
			       (unsigned)b58_prefix_of(kind)->payload_len, sig->len);
	return b58check_encode(out, B58_MAX, kind, sig->bytes, sig->len, e);
}

static const enum b58_kind any_sig_kinds[] = { B58_EDSIG, B58_SPSIG, B58_P2SIG, B58_BLSIG,
					       B58_SIG };

bool signature_decode(const char *s, uint8_t out[static SIGNATURE_MAX], size_t *len,
		      struct err *e)
{
	size_t n = 0;
	if (!b58check_decode_any(s, any_sig_kinds, sizeof(any_sig_kinds) / sizeof(any_sig_kinds[0]),
				 NULL, out, SIGNATURE_MAX, &n, e))
		return err_wrap(e, "signature");
	if (len)
		*len = n;
	return true;
}

bool signature_decode_typed(const char *s, struct signature *sig, bool *generic, struct err *e)
{
	enum b58_kind which;
	uint8_t bytes[SIGNATURE_MAX];
	size_t n = 0;
	if (!b58check_decode_any(s, any_sig_kinds, sizeof(any_sig_kinds) / sizeof(any_sig_kinds[0]),
				 &which, bytes, sizeof(bytes), &n, e))
		return err_wrap(e, "signature");
	enum key_scheme scheme;
	bool is_generic = which == B58_SIG;
	if (!is_generic) {
		if (!scheme_of(sig_kinds, which, &scheme))
			return err_set(e, ERR_INTERNAL, "signature_decode: kind %d has no scheme",
				       (int)which);
		sig->scheme = scheme;
	}
	memcpy(sig->bytes, bytes, n);
	sig->len = n;
	if (generic)
		*generic = is_generic;
	return true;
}

bool secret_key_encode(char out[static B58_MAX], const struct secret_key *sk, struct err *e)
{
	out[0] = '\0';
	if (!sk || !scheme_ok(sk->scheme))
		return err_set(e, ERR_INTERNAL, "secret_key_encode: unknown scheme %d",
			       sk ? (int)sk->scheme : -1);
	uint8_t payload[32];
	size_t n = secret_key_to_bytes(sk, payload);
	bool ok = b58check_encode(out, B58_MAX, sk_kinds[sk->scheme], payload, n, e);
	sodium_memzero(payload, sizeof(payload));
	if (!ok)
		sodium_memzero(out, B58_MAX);
	return ok;
}

static const enum b58_kind any_secret_kinds[] = {
	B58_EDSK_SEED, B58_EDSK_FULL, B58_SPSK, B58_P2SK, B58_BLSK,
	B58_EDESK, B58_SPESK, B58_P2ESK, B58_BLESK,
};

bool secret_text_decode(const char *s, enum key_scheme *scheme, enum secret_text_kind *kind,
			uint8_t out[static 64], size_t *len, struct err *e)
{
	enum b58_kind which;
	size_t n = 0;
	if (!b58check_decode_any(s, any_secret_kinds,
				 sizeof(any_secret_kinds) / sizeof(any_secret_kinds[0]), &which, out,
				 64, &n, e))
		return err_wrap(e, "secret key");
	enum key_scheme sc;
	if (which == B58_EDSK_FULL) {
		sc = SCHEME_ED25519;
		*kind = SECRET_TEXT_PLAIN;
	} else if (scheme_of(sk_kinds, which, &sc)) {
		*kind = SECRET_TEXT_PLAIN;
	} else if (scheme_of(esk_kinds, which, &sc)) {
		*kind = SECRET_TEXT_ENCRYPTED;
	} else {
		sodium_memzero(out, 64);
		return err_set(e, ERR_INTERNAL, "secret_text_decode: kind %d has no scheme",
			       (int)which);
	}
	*scheme = sc;
	if (len)
		*len = n;
	return true;
}

bool encrypted_secret_encode(char out[static B58_MAX], enum key_scheme scheme,
			     const uint8_t payload[static 56], struct err *e)
{
	out[0] = '\0';
	if (!scheme_ok(scheme))
		return err_set(e, ERR_INTERNAL, "encrypted_secret_encode: unknown scheme %d",
			       (int)scheme);
	return b58check_encode(out, B58_MAX, esk_kinds[scheme], payload, 56, e);
}

bool chain_id_encode(char out[static B58_MAX], const uint8_t id[static 4], struct err *e)
{
	return b58check_encode(out, B58_MAX, B58_CHAIN_ID, id, 4, e);
}

bool chain_id_decode(const char *s, uint8_t out[static 4], struct err *e)
{
	return b58check_decode(s, B58_CHAIN_ID, out, 4, e);
}
