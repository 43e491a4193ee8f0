/* bls.c - tz4: BLS12-381 min-pk signatures over blst. */
#include "bls.h"

#include <string.h>

#include <sodium.h>

/* blst.h declares some functions with () parameter lists. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <blst.h>
#pragma GCC diagnostic pop

static const char dst_pop[] = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
static const char dst_aug[] = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_";
static const char dst_possession[] = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
static const uint8_t empty[1];

#define DST(s) (s), (sizeof(s) - 1)

/* Loads sk into a blst scalar; the caller zeroes it. */
static bool load_secret(blst_scalar *s, const uint8_t sk[static BLS_SECRET_BYTES], struct err *e)
{
	blst_scalar_from_lendian(s, sk);
	if (!blst_sk_check(s)) {
		sodium_memzero(s, sizeof(*s));
		return err_set(e, ERR_MALFORMED,
			       "bls secret key: scalar is zero or not below the group order");
	}
	return true;
}

bool bls12_public_key_from_xy(const uint8_t xy[static 2 * BLS_PUBLIC_BYTES], const uint8_t *flags_x,
			      uint8_t pk[static BLS_PUBLIC_BYTES], struct err *e)
{
	uint8_t raw[2 * BLS_PUBLIC_BYTES];
	blst_p1_affine p;
	memcpy(raw, xy, sizeof(raw));
	raw[0] &= 0x1f; /* serialized, uncompressed: no flag bits */
	if (blst_p1_deserialize(&p, raw) != BLST_SUCCESS)
		return err_set(e, ERR_MALFORMED, "bls public key: (X, Y) is not a point of the curve");
	if (blst_p1_affine_is_inf(&p) || !blst_p1_affine_in_g1(&p))
		return err_set(e, ERR_MALFORMED,
			       "bls public key: (X, Y) is infinity or not in the prime-order subgroup");
	blst_p1_affine_compress(pk, &p);
	if (flags_x && memcmp(pk, flags_x, BLS_PUBLIC_BYTES) != 0)
		return err_set(e, ERR_MALFORMED,
			       "bls public key: the compression flags of X (0x%02x) do not match the point (0x%02x)",
			       flags_x[0] & 0xe0u, pk[0] & 0xe0u);
	return true;
}

void bls12_generate(uint8_t sk[static BLS_SECRET_BYTES])
{
	uint8_t ikm[32];
	blst_scalar s;
	/* KeyGen's output is in [1, r-1] for any IKM of 32 bytes or more. */
	randombytes_buf(ikm, sizeof(ikm));
	blst_keygen(&s, ikm, sizeof(ikm), NULL, 0);
	blst_lendian_from_scalar(sk, &s);
	sodium_memzero(ikm, sizeof(ikm));
	sodium_memzero(&s, sizeof(s));
}

bool bls12_secret_check(const uint8_t sk[static BLS_SECRET_BYTES], struct err *e)
{
	blst_scalar s;
	if (!load_secret(&s, sk, e))
		return false;
	sodium_memzero(&s, sizeof(s));
	return true;
}

bool bls12_public_key(const uint8_t sk[static BLS_SECRET_BYTES],
		      uint8_t pk[static BLS_PUBLIC_BYTES], struct err *e)
{
	blst_scalar s;
	blst_p1 p;
	if (!load_secret(&s, sk, e))
		return false;
	blst_sk_to_pk_in_g1(&p, &s);
	blst_p1_compress(pk, &p);
	sodium_memzero(&s, sizeof(s));
	return true;
}

static const char *blst_error_name(BLST_ERROR r)
{
	switch (r) {
	case BLST_SUCCESS: return "success";
	case BLST_BAD_ENCODING: return "bad encoding";
	case BLST_POINT_NOT_ON_CURVE: return "point not on the curve";
	case BLST_POINT_NOT_IN_GROUP: return "point not in the subgroup";
	case BLST_AGGR_TYPE_MISMATCH: return "aggregate type mismatch";
	case BLST_VERIFY_FAIL: return "verification failed";
	case BLST_PK_IS_INFINITY: return "public key is the point at infinity";
	case BLST_BAD_SCALAR: return "bad scalar";
	}
	return "unknown blst error";
}

/* Decompresses and checks a public key. */
static BLST_ERROR load_public(blst_p1_affine *p, const uint8_t pk[static BLS_PUBLIC_BYTES])
{
	BLST_ERROR r = blst_p1_uncompress(p, pk);
	if (r != BLST_SUCCESS)
		return r;
	if (blst_p1_affine_is_inf(p))
		return BLST_PK_IS_INFINITY;
	if (!blst_p1_affine_in_g1(p))
		return BLST_POINT_NOT_IN_GROUP;
	return BLST_SUCCESS;
}

bool bls12_public_key_check(const uint8_t *in, size_t len, struct err *e)
{
	if (len != BLS_PUBLIC_BYTES)
		return err_set(e, ERR_MALFORMED, "bls public key: %zu bytes, want %d (compressed G1)",
			       len, BLS_PUBLIC_BYTES);
	blst_p1_affine p;
	BLST_ERROR r = load_public(&p, in);
	if (r != BLST_SUCCESS)
		return err_set(e, ERR_MALFORMED, "bls public key (first byte 0x%02x): %s", in[0],
			       blst_error_name(r));
	return true;
}

/* sig = sk · H(aug ‖ msg) under dst. */
static bool sign_with(const uint8_t sk[static BLS_SECRET_BYTES], const char *dst, size_t dst_len,
		      const uint8_t *aug, size_t aug_len, const uint8_t *msg, size_t len,
		      uint8_t sig[static BLS_SIGNATURE_BYTES], struct err *e)
{
	blst_scalar s;
	blst_p2 h, out;
	if (!load_secret(&s, sk, e))
		return false;
	blst_hash_to_g2(&h, len ? msg : empty, len, (const byte *)dst, dst_len, aug, aug_len);
	blst_sign_pk_in_g1(&out, &h, &s);
	blst_p2_compress(sig, &out);
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(&out, sizeof(out));
	return true;
}

bool bls12_sign(const uint8_t sk[static BLS_SECRET_BYTES], enum bls_mode mode,
		const uint8_t pk[static BLS_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		uint8_t sig[static BLS_SIGNATURE_BYTES], struct err *e)
{
	switch (mode) {
	case BLS_MODE_POP:
		return sign_with(sk, DST(dst_pop), NULL, 0, msg, len, sig, e);
	case BLS_MODE_AUG:
		return sign_with(sk, DST(dst_aug), pk, BLS_PUBLIC_BYTES, msg, len, sig, e);
	}
	return err_set(e, ERR_INTERNAL, "bls: unknown signing mode %d", (int)mode);
}

bool bls12_prove_possession(const uint8_t sk[static BLS_SECRET_BYTES],
			    const uint8_t pop_msg[static BLS_PUBLIC_BYTES],
			    uint8_t sig[static BLS_SIGNATURE_BYTES], struct err *e)
{
	return sign_with(sk, DST(dst_possession), NULL, 0, pop_msg, BLS_PUBLIC_BYTES, sig, e);
}

static bool verify_with(const uint8_t pk[static BLS_PUBLIC_BYTES], const char *dst,
			size_t dst_len, const uint8_t *aug, size_t aug_len, const uint8_t *msg,
			size_t len, const uint8_t sig[static BLS_SIGNATURE_BYTES])
{
	blst_p1_affine p;
	blst_p2_affine s;
	if (load_public(&p, pk) != BLST_SUCCESS)
		return false;
	if (blst_p2_uncompress(&s, sig) != BLST_SUCCESS || !blst_p2_affine_in_g2(&s))
		return false;
	return blst_core_verify_pk_in_g1(&p, &s, true, len ? msg : empty, len, (const byte *)dst,
					 dst_len, aug, aug_len) == BLST_SUCCESS;
}

bool bls12_verify(const uint8_t pk[static BLS_PUBLIC_BYTES], enum bls_mode mode,
		  const uint8_t *msg, size_t len, const uint8_t sig[static BLS_SIGNATURE_BYTES])
{
	switch (mode) {
	case BLS_MODE_POP:
		return verify_with(pk, DST(dst_pop), NULL, 0, msg, len, sig);
	case BLS_MODE_AUG:
		return verify_with(pk, DST(dst_aug), pk, BLS_PUBLIC_BYTES, msg, len, sig);
	}
	return false;
}

bool bls12_verify_possession(const uint8_t pk[static BLS_PUBLIC_BYTES],
			     const uint8_t pop_msg[static BLS_PUBLIC_BYTES],
			     const uint8_t sig[static BLS_SIGNATURE_BYTES])
{
	return verify_with(pk, DST(dst_possession), NULL, 0, pop_msg, BLS_PUBLIC_BYTES, sig);
}
