/* reply.c - bounded parsers of the baking app's reply data. */
#include "reply.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include "../base/be.h"
#include "../crypto/bls.h"
#include "../crypto/sign.h"
#include "der.h"

bool ledger_parse_version(const uint8_t *d, size_t n, struct ledger_version *v, struct err *e)
{
	if (n != 4)
		return err_set(e, ERR_MALFORMED, "Ledger version reply has %zu bytes, not 4", n);
	v->app_class = d[0];
	v->major = d[1];
	v->minor = d[2];
	v->patch = d[3];
	return true;
}

const char *ledger_app_name(uint8_t app_class)
{
	switch (app_class) {
	case 0: return "Tezos Wallet";
	case 1: return "Tezos Baking";
	}
	return "unknown app";
}

bool ledger_version_has_sign_with_hash(const struct ledger_version *v)
{
	uint32_t ver = (uint32_t)v->major << 16 | (uint32_t)v->minor << 8 | v->patch;
	return ver > (2u << 16);
}

/* The device sends both coordinates: the whole point must be on the
 * curve, not only the X that the compressed form keeps. */
static bool uncompressed_on_curve(enum key_scheme scheme, const uint8_t point[static 65])
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(scheme == SCHEME_SECP256K1 ? NID_secp256k1
									 : NID_X9_62_prime256v1);
	EC_POINT *p = g ? EC_POINT_new(g) : NULL;
	bool ok = p && EC_POINT_oct2point(g, p, point, 65, NULL) == 1;
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return ok;
}

bool ledger_parse_public_key(const uint8_t *d, size_t n, enum ledger_curve curve,
			     struct public_key *pk, struct err *e)
{
	if (n < 1 || (size_t)d[0] != n - 1)
		return err_set(e, ERR_MALFORMED, "Ledger public key reply: length byte %u but %zu bytes follow",
			       n ? d[0] : 0u, n ? n - 1 : 0u);
	enum key_scheme scheme = ledger_curve_scheme(curve);
	uint8_t key[BLS_PUBLIC_BYTES];
	if (scheme == SCHEME_BLS) {
		/* App 2.5.1 (trilitech/ledger-app-tezos-baking, src/apdu.c
		 * provide_pubkey, src/crypto.c bip32_derive_get_pubkey_bls): 0x61,
		 * then 04 ‖ X ‖ Y of G1, X carrying the compression flags. */
		if (d[0] != 97 || d[1] != 0x04)
			return err_set(e, ERR_MALFORMED,
				       "Ledger bls12_381 public key: expected 97 bytes starting 04, got %u bytes starting %02x",
				       d[0], n > 1 ? d[1] : 0u);
		return (bls12_public_key_from_xy(d + 2, d + 2, key, e) &&
			public_key_from_bytes(scheme, key, BLS_PUBLIC_BYTES, pk, e)) ||
		       err_wrap(e, "Ledger bls12_381 public key");
	}
	if (scheme == SCHEME_ED25519) {
		if (d[0] != 33 || d[1] != 0x02)
			return err_set(e, ERR_MALFORMED,
				       "Ledger ed25519 public key: expected 33 bytes starting 02, got %u bytes starting %02x",
				       d[0], n > 1 ? d[1] : 0u);
		return public_key_from_bytes(scheme, d + 2, 32, pk, e) ||
		       err_wrap(e, "Ledger ed25519 public key");
	}
	if (d[0] != 65 || d[1] != 0x04)
		return err_set(e, ERR_MALFORMED,
			       "Ledger %s public key: expected 65 bytes starting 04, got %u bytes starting %02x",
			       ledger_curve_name(curve), d[0], n > 1 ? d[1] : 0u);
	if (!uncompressed_on_curve(scheme, d + 1))
		return err_set(e, ERR_MALFORMED, "Ledger %s public key: the point (X, Y) is not on the curve",
			       ledger_curve_name(curve));
	key[0] = (uint8_t)(0x02 | (d[65] & 1u));
	memcpy(key + 1, d + 2, 32);
	return public_key_from_bytes(scheme, key, 33, pk, e) ||
	       err_wrap(e, "Ledger %s public key", ledger_curve_name(curve));
}

bool ledger_parse_all_hwm(const uint8_t *d, size_t n, struct ledger_hwm *h, struct err *e)
{
	if (n != 20)
		return err_set(e, ERR_MALFORMED, "Ledger high watermark reply has %zu bytes, not 20", n);
	h->main_level = be32_get(d);
	h->main_round = be32_get(d + 4);
	h->test_level = be32_get(d + 8);
	h->test_round = be32_get(d + 12);
	memcpy(h->chain_id, d + 16, 4);
	return true;
}

bool ledger_parse_auth_key(const uint8_t *d, size_t n, bool *authorized, enum ledger_curve *curve,
			   struct ledger_path *path, struct err *e)
{
	memset(path, 0, sizeof(*path));
	if (n < 2)
		return err_set(e, ERR_MALFORMED, "Ledger authorized key reply has %zu bytes (at least 2)", n);
	if (d[0] > LEDGER_CURVE_BLS12_381)
		return err_set(e, ERR_MALFORMED, "Ledger authorized key reply: unknown curve %u", d[0]);
	*curve = (enum ledger_curve)d[0];
	size_t len = d[1];
	if (len > LEDGER_PATH_MAX || n != 2 + 4 * len)
		return err_set(e, ERR_MALFORMED,
			       "Ledger authorized key reply: path of %zu components in %zu bytes", len, n - 2);
	path->len = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		path->c[i] = be32_get(d + 2 + 4 * i);
	*authorized = len > 0;
	return true;
}

bool ledger_parse_signature(const uint8_t *d, size_t n, bool with_hash, enum ledger_curve curve,
			    uint8_t hash_out[static 32], struct signature *sig, struct err *e)
{
	if (with_hash) {
		if (n < 32)
			return err_set(e, ERR_MALFORMED, "Ledger signature reply of %zu bytes has no 32-byte hash", n);
		memcpy(hash_out, d, 32);
		d += 32;
		n -= 32;
	}
	enum key_scheme scheme = ledger_curve_scheme(curve);
	memset(sig, 0, sizeof(*sig));
	sig->scheme = scheme;
	sig->len = 64;
	if (scheme == SCHEME_BLS) {
		/* A compressed G2 point (src/crypto.c, bip32_derive_with_seed_bls_sign_hash);
		 * checked with the key before use (sign.c). */
		if (n != BLS_SIGNATURE_BYTES)
			return err_set(e, ERR_MALFORMED, "Ledger bls12_381 signature has %zu bytes, not 96", n);
		sig->len = BLS_SIGNATURE_BYTES;
		memcpy(sig->bytes, d, BLS_SIGNATURE_BYTES);
		return true;
	}
	if (scheme == SCHEME_ED25519) {
		if (n != 64)
			return err_set(e, ERR_MALFORMED, "Ledger ed25519 signature has %zu bytes, not 64", n);
		memcpy(sig->bytes, d, 64);
		return true;
	}
	return ledger_der_to_compact(d, n, scheme, sig->bytes, e);
}
