/* p256.c - tz3: NIST P-256 ECDSA with RFC 6979 nonces over OpenSSL 3.
 *
 * Only non-deprecated OpenSSL 3.0 interfaces: EC_GROUP / EC_POINT / BIGNUM
 * for keys and signing, EVP_PKEY for verification. */
#include "p256.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#include "hash.h"

/* The group order n, big-endian. */
static const uint8_t order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Built once by p256_init, then only read (OpenSSL takes them const). */
static struct {
	EC_GROUP *group;
	BIGNUM *n, *n_minus_2, *half_n;
	BN_MONT_CTX *mont;
} P;

/* ---- constant-time arithmetic on 32-byte big-endian integers ---- */

/* out = a - b (mod 2^256); returns 1 when a < b. out may alias a. */
static unsigned sub_be32(uint8_t out[32], const uint8_t a[32], const uint8_t b[32])
{
	unsigned borrow = 0;
	for (int i = 31; i >= 0; i--) {
		unsigned d = (unsigned)a[i] - (unsigned)b[i] - borrow;
		out[i] = (uint8_t)d;
		borrow = (d >> 8) & 1u;
	}
	return borrow;
}

/* 1 when 1 <= a < n. */
static unsigned in_range(const uint8_t a[32])
{
	uint8_t scratch[32];
	unsigned acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= a[i];
	unsigned nonzero = 1u ^ (((acc - 1u) >> 8) & 1u);
	unsigned below = sub_be32(scratch, a, order);
	sodium_memzero(scratch, sizeof(scratch));
	return nonzero & below;
}

/* out = a mod n, for a < 2^256 (so at most one subtraction). */
static void reduce(uint8_t out[32], const uint8_t a[32])
{
	uint8_t d[32];
	uint8_t keep = (uint8_t)(0u - sub_be32(d, a, order)); /* 0xff when a < n */
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)((a[i] & keep) | (d[i] & (uint8_t)~keep));
	sodium_memzero(d, sizeof(d));
}

/* ---- RFC 6979 section 3.2 with HMAC-SHA256, qlen = hlen = 256 ---- */

struct drbg {
	uint8_t k[32], v[32];
	bool started;
};

/* out = HMAC_K(v ‖ [sep ‖ x ‖ h]) where sep < 0 means "v only". */
static void hmac(uint8_t out[32], const uint8_t key[32], const uint8_t v[32], int sep,
		 const uint8_t *x, const uint8_t *h)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, v, 32);
	if (sep >= 0) {
		uint8_t b = (uint8_t)sep;
		crypto_auth_hmacsha256_update(&st, &b, 1);
		if (x) {
			crypto_auth_hmacsha256_update(&st, x, 32);
			crypto_auth_hmacsha256_update(&st, h, 32);
		}
	}
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* Steps b–f: x is int2octets(secret), h1 the digest. */
static void drbg_init(struct drbg *d, const uint8_t x[32], const uint8_t h1[32])
{
	uint8_t h[32];
	reduce(h, h1); /* bits2octets(h1) = int2octets(bits2int(h1) mod n) */
	memset(d->v, 0x01, 32);
	memset(d->k, 0x00, 32);
	hmac(d->k, d->k, d->v, 0x00, x, h);
	hmac(d->v, d->k, d->v, -1, NULL, NULL);
	hmac(d->k, d->k, d->v, 0x01, x, h);
	hmac(d->v, d->k, d->v, -1, NULL, NULL);
	d->started = false;
	sodium_memzero(h, sizeof(h));
}

/* Step h: the next candidate in [1, n-1]. */
static void drbg_next(struct drbg *d, uint8_t k[32])
{
	for (;;) {
		if (d->started) {
			hmac(d->k, d->k, d->v, 0x00, NULL, NULL);
			hmac(d->v, d->k, d->v, -1, NULL, NULL);
		}
		d->started = true;
		hmac(d->v, d->k, d->v, -1, NULL, NULL);
		memcpy(k, d->v, 32); /* tlen = qlen: T = V, bits2int(T) = T */
		if (in_range(k))
			return;
	}
}

void p256_rfc6979_nonce(const uint8_t x[static 32], const uint8_t h[static 32], uint8_t k[static 32])
{
	struct drbg d;
	drbg_init(&d, x, h);
	drbg_next(&d, k);
	sodium_memzero(&d, sizeof(d));
}

/* ---- curve parameters ---- */

bool p256_init(struct err *e)
{
	if (P.group)
		return true;
	BN_CTX *bctx = BN_CTX_new();
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *n = BN_bin2bn(order, 32, NULL);
	BIGNUM *n2 = BN_new(), *half = BN_new();
	BN_MONT_CTX *mont = BN_MONT_CTX_new();
	bool ok = bctx && g && n && n2 && half && mont && BN_copy(n2, n) &&
		  BN_sub_word(n2, 2) && BN_rshift1(half, n) && BN_MONT_CTX_set(mont, n, bctx) &&
		  BN_cmp(EC_GROUP_get0_order(g), n) == 0;
	BN_CTX_free(bctx);
	if (!ok) {
		EC_GROUP_free(g);
		BN_free(n);
		BN_free(n2);
		BN_free(half);
		BN_MONT_CTX_free(mont);
		ERR_clear_error();
		return err_set(e, ERR_INTERNAL, "p256: cannot set up the curve parameters");
	}
	P.n = n;
	P.n_minus_2 = n2;
	P.half_n = half;
	P.mont = mont;
	P.group = g;
	return true;
}

static bool ready(struct err *e)
{
	if (!P.group)
		return err_set(e, ERR_INTERNAL, "p256: used before crypto_init");
	return true;
}

static bool internal(struct err *e, const char *what)
{
	ERR_clear_error();
	return err_set(e, ERR_INTERNAL, "p256: %s failed", what);
}

/* ---- keys ---- */

bool p256_secret_check(const uint8_t sk[static P256_SECRET_BYTES], struct err *e)
{
	if (!in_range(sk))
		return err_set(e, ERR_MALFORMED,
			       "p256 secret key: scalar is zero or not below the group order");
	return true;
}

bool p256_generate(uint8_t sk[static P256_SECRET_BYTES], struct err *e)
{
	/* n is close to 2^256: a random value is out of range w.p. ~2^-32. */
	for (int tries = 0; tries < 64; tries++) {
		randombytes_buf(sk, P256_SECRET_BYTES);
		if (in_range(sk))
			return true;
	}
	sodium_memzero(sk, P256_SECRET_BYTES);
	return err_set(e, ERR_INTERNAL, "p256: the CSPRNG gave 64 out-of-range scalars");
}

bool p256_public_key(const uint8_t sk[static P256_SECRET_BYTES],
		     uint8_t pk[static P256_PUBLIC_BYTES], struct err *e)
{
	if (!ready(e) || !p256_secret_check(sk, e))
		return false;
	bool ok = false;
	BN_CTX *bctx = BN_CTX_secure_new();
	EC_POINT *q = EC_POINT_new(P.group);
	BIGNUM *x = NULL;
	if (bctx) {
		BN_CTX_start(bctx);
		x = BN_CTX_get(bctx);
	}
	if (!x || !q || !BN_bin2bn(sk, P256_SECRET_BYTES, x)) {
		internal(e, "allocating the public key computation");
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (!EC_POINT_mul(P.group, q, x, NULL, NULL, bctx) ||
	    EC_POINT_point2oct(P.group, q, POINT_CONVERSION_COMPRESSED, pk, P256_PUBLIC_BYTES,
			       bctx) != P256_PUBLIC_BYTES) {
		internal(e, "deriving a public key");
		goto out;
	}
	ok = true;
out:
	if (bctx) {
		if (x)
			BN_clear(x);
		BN_CTX_end(bctx);
	}
	BN_CTX_free(bctx);
	EC_POINT_free(q);
	return ok;
}

bool p256_public_key_check(const uint8_t *in, size_t len, struct err *e)
{
	if (!ready(e))
		return false;
	if (len != P256_PUBLIC_BYTES)
		return err_set(e, ERR_MALFORMED, "p256 public key: %zu bytes, want %d (compressed)",
			       len, P256_PUBLIC_BYTES);
	if (in[0] != 0x02 && in[0] != 0x03)
		return err_set(e, ERR_MALFORMED,
			       "p256 public key: prefix byte 0x%02x, want 0x02 or 0x03", in[0]);
	EC_POINT *p = EC_POINT_new(P.group);
	if (!p)
		return internal(e, "allocating a point");
	/* oct2point refuses x >= p and x with no point on the curve. */
	bool ok = EC_POINT_oct2point(P.group, p, in, len, NULL) == 1;
	EC_POINT_free(p);
	if (!ok) {
		ERR_clear_error();
		return err_set(e, ERR_MALFORMED, "p256 public key: x is not on the curve");
	}
	return true;
}

/* ---- signing ---- */

/* s = k^-1 (e + r x) mod n with k, x flagged constant-time. */
static bool compute_s(BIGNUM *s, const BIGNUM *k, const BIGNUM *x, const BIGNUM *r,
		      const BIGNUM *ebn, BN_CTX *bctx)
{
	BN_CTX_start(bctx);
	BIGNUM *kinv = BN_CTX_get(bctx), *t = BN_CTX_get(bctx);
	bool ok = t != NULL;
	if (ok) {
		BN_set_flags(kinv, BN_FLG_CONSTTIME);
		BN_set_flags(t, BN_FLG_CONSTTIME);
		/* Fermat inversion: k^(n-2) with the constant-time ladder. */
		ok = BN_mod_exp_mont_consttime(kinv, k, P.n_minus_2, P.n, bctx, P.mont) &&
		     BN_to_montgomery(t, x, P.mont, bctx) &&
		     BN_mod_mul_montgomery(t, t, r, P.mont, bctx) && /* x r */
		     BN_mod_add_quick(t, t, ebn, P.n) &&              /* e + x r */
		     BN_to_montgomery(s, kinv, P.mont, bctx) &&
		     BN_mod_mul_montgomery(s, s, t, P.mont, bctx);
		BN_clear(kinv);
		BN_clear(t);
	}
	BN_CTX_end(bctx);
	return ok;
}

bool p256_sign_digest(const uint8_t sk[static P256_SECRET_BYTES], const uint8_t digest[static 32],
		      uint8_t sig[static P256_SIGNATURE_BYTES], struct err *e)
{
	if (!ready(e) || !p256_secret_check(sk, e))
		return false;
	bool ok = false;
	struct drbg d;
	uint8_t kb[32], eb[32];
	BN_CTX *bctx = BN_CTX_secure_new();
	EC_POINT *rp = EC_POINT_new(P.group);
	BIGNUM *x = NULL, *k = NULL, *r = NULL, *s = NULL, *ebn = NULL, *rx = NULL;
	if (bctx) {
		BN_CTX_start(bctx);
		x = BN_CTX_get(bctx);
		k = BN_CTX_get(bctx);
		r = BN_CTX_get(bctx);
		s = BN_CTX_get(bctx);
		ebn = BN_CTX_get(bctx);
		rx = BN_CTX_get(bctx);
	}
	drbg_init(&d, sk, digest);
	reduce(eb, digest); /* e = bits2int(digest) mod n */
	if (!rx || !rp || !BN_bin2bn(sk, 32, x) || !BN_bin2bn(eb, 32, ebn)) {
		internal(e, "allocating the signature computation");
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	BN_set_flags(k, BN_FLG_CONSTTIME);
	BN_set_flags(s, BN_FLG_CONSTTIME);
	/* r or s is zero with probability ~2^-256; the cap only bounds a bug. */
	for (int tries = 0;; tries++) {
		if (tries == 16) {
			internal(e, "finding a nonce with r and s non-zero");
			goto out;
		}
		drbg_next(&d, kb);
		if (!BN_bin2bn(kb, 32, k) || !EC_POINT_mul(P.group, rp, k, NULL, NULL, bctx) ||
		    !EC_POINT_get_affine_coordinates(P.group, rp, rx, NULL, bctx) ||
		    !BN_nnmod(r, rx, P.n, bctx)) {
			internal(e, "computing r");
			goto out;
		}
		if (BN_is_zero(r))
			continue;
		if (!compute_s(s, k, x, r, ebn, bctx)) {
			internal(e, "computing s");
			goto out;
		}
		if (!BN_is_zero(s))
			break;
	}
	/* Low-S: s and n - s both verify; Tezos wants s <= n/2. */
	if (BN_cmp(s, P.half_n) > 0 && !BN_sub(s, P.n, s)) {
		internal(e, "normalizing s");
		goto out;
	}
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32) {
		internal(e, "encoding r and s");
		goto out;
	}
	ok = true;
out:
	if (bctx) {
		if (x) {
			BN_clear(x);
			BN_clear(k);
		}
		BN_CTX_end(bctx);
	}
	BN_CTX_free(bctx);
	EC_POINT_free(rp);
	sodium_memzero(&d, sizeof(d));
	sodium_memzero(kb, sizeof(kb));
	sodium_memzero(eb, sizeof(eb));
	return ok;
}

bool p256_sign(const uint8_t sk[static P256_SECRET_BYTES], const uint8_t *msg, size_t len,
	       uint8_t sig[static P256_SIGNATURE_BYTES], struct err *e)
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	return p256_sign_digest(sk, h, sig, e);
}

/* ---- verification ---- */

static EVP_PKEY *public_pkey(const uint8_t pk[static P256_PUBLIC_BYTES])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pk,
						  P256_PUBLIC_BYTES),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx || EVP_PKEY_fromdata_init(pctx) != 1 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(pctx);
	return pkey;
}

bool p256_verify_digest(const uint8_t pk[static P256_PUBLIC_BYTES], const uint8_t digest[static 32],
			const uint8_t sig[static P256_SIGNATURE_BYTES])
{
	if (!P.group || (pk[0] != 0x02 && pk[0] != 0x03) || !in_range(sig) || !in_range(sig + 32))
		return false;
	bool ok = false;
	unsigned char *der = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *vctx = NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	int der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0)
		goto out;
	pkey = public_pkey(pk);
	vctx = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	ok = vctx && EVP_PKEY_verify_init(vctx) == 1 &&
	     EVP_PKEY_verify(vctx, der, (size_t)der_len, digest, 32) == 1;
out:
	EVP_PKEY_CTX_free(vctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return ok;
}

bool p256_verify(const uint8_t pk[static P256_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		 const uint8_t sig[static P256_SIGNATURE_BYTES])
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	return p256_verify_digest(pk, h, sig);
}
