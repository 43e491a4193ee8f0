/* sim_ecdsa.c - secp256k1 and P-256 arithmetic for the simulator, on
 * OpenSSL's EC_POINT and BIGNUM: public keys, BIP32 tweaks, and ECDSA as
 * the device signs (RFC 6979 nonces with HMAC-SHA-256 over the 32-byte
 * hash, DER, parity of R.y in bit 0 of the first byte, s not normalised). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "sim.h"

struct ctx {
	EC_GROUP *group;
	BN_CTX *bn;
	const BIGNUM *order;
};

static bool ctx_open(struct ctx *c, enum sim_curve curve)
{
	c->group = EC_GROUP_new_by_curve_name(curve == SIM_SECP256K1 ? NID_secp256k1
								      : NID_X9_62_prime256v1);
	c->bn = BN_CTX_new();
	c->order = c->group ? EC_GROUP_get0_order(c->group) : NULL;
	return c->group && c->bn && c->order;
}

static void ctx_close(struct ctx *c)
{
	EC_GROUP_free(c->group);
	BN_CTX_free(c->bn);
}

bool sim_ecdsa_below_order(enum sim_curve curve, const uint8_t v[static 32])
{
	struct ctx c;
	bool ok = false;
	if (ctx_open(&c, curve)) {
		BIGNUM *x = BN_bin2bn(v, 32, NULL);
		ok = x && BN_cmp(x, c.order) < 0;
		BN_clear_free(x);
	}
	ctx_close(&c);
	return ok;
}

static bool point_of(struct ctx *c, const BIGNUM *k, uint8_t out[static 65])
{
	EC_POINT *p = EC_POINT_new(c->group);
	bool ok = p && EC_POINT_mul(c->group, p, k, NULL, NULL, c->bn) == 1 &&
		  EC_POINT_point2oct(c->group, p, POINT_CONVERSION_UNCOMPRESSED, out, 65, c->bn) == 65;
	EC_POINT_free(p);
	return ok;
}

bool sim_ecdsa_public_key(enum sim_curve curve, const uint8_t sk[static 32], uint8_t out[static 65])
{
	struct ctx c;
	bool ok = false;
	if (ctx_open(&c, curve)) {
		BIGNUM *k = BN_secure_new();
		ok = k && BN_bin2bn(sk, 32, k) && point_of(&c, k, out);
		BN_clear_free(k);
	}
	ctx_close(&c);
	return ok;
}

bool sim_ecdsa_tweak_add(enum sim_curve curve, const uint8_t parent[static 32],
			 const uint8_t tweak[static 32], uint8_t child[static 32], bool *good)
{
	struct ctx c;
	bool ok = false;
	*good = false;
	if (ctx_open(&c, curve)) {
		BIGNUM *a = BN_secure_new(), *t = BN_secure_new();
		if (a && t && BN_bin2bn(parent, 32, a) && BN_bin2bn(tweak, 32, t) &&
		    BN_mod_add(a, a, t, c.order, c.bn) == 1) {
			ok = true;
			*good = !BN_is_zero(a);
			ok = BN_bn2binpad(a, child, 32) == 32;
		}
		BN_clear_free(a);
		BN_clear_free(t);
	}
	ctx_close(&c);
	return ok;
}

static void hmac256(const uint8_t key[static 32], const uint8_t *data, size_t len,
		    uint8_t out[static 32])
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, 32, data, len, out, &n);
}

/* DER INTEGER of a 32-byte big-endian value; returns its length. */
static size_t der_int(uint8_t *out, const uint8_t v[static 32])
{
	size_t skip = 0;
	while (skip < 31 && v[skip] == 0)
		skip++;
	size_t n = 32 - skip;
	bool pad = v[skip] & 0x80;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	size_t pos = 2;
	if (pad)
		out[pos++] = 0;
	memcpy(out + pos, v + skip, n);
	return pos + n;
}

bool sim_ecdsa_sign(enum sim_curve curve, const uint8_t sk[static 32], const uint8_t hash[static 32],
		    uint8_t out[static 80], size_t *len)
{
	struct ctx c;
	bool ok = false;
	uint8_t V[32], K[32], buf[32 + 1 + 32 + 32], h1[32], kb[32], rb[32], sb[32], R[65];
	BIGNUM *x = BN_secure_new(), *z = BN_new(), *k = BN_secure_new(), *r = BN_new(), *s = BN_new();
	if (!ctx_open(&c, curve) || !x || !z || !k || !r || !s)
		goto out;
	BN_bin2bn(sk, 32, x);
	BN_bin2bn(hash, 32, z);
	BN_nnmod(z, z, c.order, c.bn); /* bits2octets: the hash reduced mod n */
	BN_bn2binpad(z, h1, 32);
	memset(V, 0x01, 32);
	memset(K, 0x00, 32);
	for (uint8_t round = 0; round < 2; round++) {
		memcpy(buf, V, 32);
		buf[32] = round;
		memcpy(buf + 33, sk, 32);
		memcpy(buf + 65, h1, 32);
		hmac256(K, buf, sizeof(buf), K);
		hmac256(K, V, 32, V);
	}
	for (;;) {
		hmac256(K, V, 32, V);
		memcpy(kb, V, 32);
		BN_bin2bn(kb, 32, k);
		if (!BN_is_zero(k) && BN_cmp(k, c.order) < 0 && point_of(&c, k, R)) {
			BN_bin2bn(R + 1, 32, r);
			BN_nnmod(r, r, c.order, c.bn);
			/* s = k^-1 (z + r x) mod n */
			BIGNUM *t = BN_new();
			bool good = t && !BN_is_zero(r) && BN_mod_mul(t, r, x, c.order, c.bn) &&
				    BN_mod_add(t, t, z, c.order, c.bn) &&
				    BN_mod_inverse(s, k, c.order, c.bn) &&
				    BN_mod_mul(s, s, t, c.order, c.bn) && !BN_is_zero(s);
			BN_free(t);
			if (good)
				break;
		}
		memcpy(buf, V, 32);
		buf[32] = 0;
		hmac256(K, buf, 33, K);
		hmac256(K, V, 32, V);
	}
	BN_bn2binpad(r, rb, 32);
	BN_bn2binpad(s, sb, 32);
	size_t pos = 2;
	pos += der_int(out + pos, rb);
	pos += der_int(out + pos, sb);
	out[0] = (uint8_t)(0x30 | (R[64] & 1u));
	out[1] = (uint8_t)(pos - 2);
	*len = pos;
	ok = true;
out:
	sodium_memzero(V, sizeof(V));
	sodium_memzero(K, sizeof(K));
	sodium_memzero(buf, sizeof(buf));
	sodium_memzero(kb, sizeof(kb));
	BN_clear_free(x);
	BN_free(z);
	BN_clear_free(k);
	BN_free(r);
	BN_free(s);
	ctx_close(&c);
	return ok;
}
