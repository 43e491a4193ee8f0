/* secp256k1.c - tz2 over libsecp256k1 with one randomized context. */
#include "secp256k1.h"

#include <secp256k1.h>
#include <sodium.h>

#include "hash.h"

/* Written once under pthread_once (crypto_init), then only read: the
 * library allows concurrent use of a const context. */
static secp256k1_context *ctx;

bool k1_context_init(struct err *e)
{
	if (ctx)
		return true;
	secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	if (!c)
		return err_set(e, ERR_INTERNAL, "secp256k1: cannot create a context");
	uint8_t seed[32];
	randombytes_buf(seed, sizeof(seed));
	int ok = secp256k1_context_randomize(c, seed);
	sodium_memzero(seed, sizeof(seed));
	if (!ok) {
		secp256k1_context_destroy(c);
		return err_set(e, ERR_INTERNAL, "secp256k1: cannot randomize the context");
	}
	ctx = c;
	return true;
}

static bool ready(struct err *e)
{
	if (!ctx)
		return err_set(e, ERR_INTERNAL, "secp256k1: used before crypto_init");
	return true;
}

bool k1_secret_check(const uint8_t sk[static K1_SECRET_BYTES], struct err *e)
{
	if (!ready(e))
		return false;
	if (!secp256k1_ec_seckey_verify(ctx, sk))
		return err_set(e, ERR_MALFORMED,
			       "secp256k1 secret key: scalar is zero or not below the group order");
	return true;
}

bool k1_generate(uint8_t sk[static K1_SECRET_BYTES], struct err *e)
{
	if (!ready(e))
		return false;
	/* A random 256-bit value is out of range with probability ~2^-128. */
	for (int tries = 0; tries < 64; tries++) {
		randombytes_buf(sk, K1_SECRET_BYTES);
		if (secp256k1_ec_seckey_verify(ctx, sk))
			return true;
	}
	sodium_memzero(sk, K1_SECRET_BYTES);
	return err_set(e, ERR_INTERNAL, "secp256k1: the CSPRNG gave 64 out-of-range scalars");
}

bool k1_public_key(const uint8_t sk[static K1_SECRET_BYTES], uint8_t pk[static K1_PUBLIC_BYTES],
		   struct err *e)
{
	if (!ready(e))
		return false;
	secp256k1_pubkey p;
	if (!secp256k1_ec_pubkey_create(ctx, &p, sk))
		return err_set(e, ERR_MALFORMED,
			       "secp256k1 secret key: scalar is zero or not below the group order");
	size_t n = K1_PUBLIC_BYTES;
	if (!secp256k1_ec_pubkey_serialize(ctx, pk, &n, &p, SECP256K1_EC_COMPRESSED) ||
	    n != K1_PUBLIC_BYTES)
		return err_set(e, ERR_INTERNAL, "secp256k1: cannot serialize a public key");
	return true;
}

bool k1_public_key_check(const uint8_t *in, size_t len, struct err *e)
{
	if (!ready(e))
		return false;
	if (len != K1_PUBLIC_BYTES)
		return err_set(e, ERR_MALFORMED, "secp256k1 public key: %zu bytes, want %d (compressed)",
			       len, K1_PUBLIC_BYTES);
	if (in[0] != 0x02 && in[0] != 0x03)
		return err_set(e, ERR_MALFORMED,
			       "secp256k1 public key: prefix byte 0x%02x, want 0x02 or 0x03", in[0]);
	secp256k1_pubkey p;
	if (!secp256k1_ec_pubkey_parse(ctx, &p, in, len))
		return err_set(e, ERR_MALFORMED, "secp256k1 public key: x is not on the curve");
	return true;
}

bool k1_sign_digest(const uint8_t sk[static K1_SECRET_BYTES], const uint8_t digest[static 32],
		    uint8_t sig[static K1_SIGNATURE_BYTES], struct err *e)
{
	if (!ready(e))
		return false;
	secp256k1_ecdsa_signature s;
	/* NULL nonce function: the library default, RFC 6979 with HMAC-SHA256.
	 * The result is already low-S; normalizing is a no-op kept as a guard. */
	if (!secp256k1_ecdsa_sign(ctx, &s, digest, sk, NULL, NULL))
		return err_set(e, ERR_MALFORMED,
			       "secp256k1 secret key: scalar is zero or not below the group order");
	secp256k1_ecdsa_signature_normalize(ctx, &s, &s);
	if (!secp256k1_ecdsa_signature_serialize_compact(ctx, sig, &s))
		return err_set(e, ERR_INTERNAL, "secp256k1: cannot serialize a signature");
	return true;
}

bool k1_sign(const uint8_t sk[static K1_SECRET_BYTES], const uint8_t *msg, size_t len,
	     uint8_t sig[static K1_SIGNATURE_BYTES], struct err *e)
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	return k1_sign_digest(sk, h, sig, e);
}

bool k1_verify_digest(const uint8_t pk[static K1_PUBLIC_BYTES], const uint8_t digest[static 32],
		      const uint8_t sig[static K1_SIGNATURE_BYTES])
{
	if (!ctx)
		return false;
	secp256k1_pubkey p;
	secp256k1_ecdsa_signature s;
	if (pk[0] != 0x02 && pk[0] != 0x03)
		return false;
	if (!secp256k1_ec_pubkey_parse(ctx, &p, pk, K1_PUBLIC_BYTES))
		return false;
	/* parse_compact refuses r or s >= n; verify refuses zero. */
	if (!secp256k1_ecdsa_signature_parse_compact(ctx, &s, sig))
		return false;
	secp256k1_ecdsa_signature_normalize(ctx, &s, &s);
	return secp256k1_ecdsa_verify(ctx, &s, digest, &p) == 1;
}

bool k1_verify(const uint8_t pk[static K1_PUBLIC_BYTES], const uint8_t *msg, size_t len,
	       const uint8_t sig[static K1_SIGNATURE_BYTES])
{
	uint8_t h[HASH_BYTES];
	blake2b_256(h, msg, len);
	return k1_verify_digest(pk, h, sig);
}
