/* bls.h - tz4 keys and signatures: BLS12-381 min-pk over blst.
 *
 * Secret keys are the 32-byte LITTLE-endian scalar (octez's BLsk order),
 * in [1, r-1]. Public keys are 48-byte compressed G1 points; signatures
 * 96-byte compressed G2 points. Messages are hashed to G2 raw (no
 * blake2b) with the IETF ciphersuite DSTs:
 *   POP  BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_   over msg
 *   AUG  BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_AUG_   over pk ‖ msg
 *   PoP  BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_   over a 48-byte pk
 * Functions are prefixed bls12_ to stay apart from sign.h's
 * bls_prove_possession. */
#ifndef TZS_CRYPTO_BLS_H
#define TZS_CRYPTO_BLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "scheme.h"

#define BLS_SECRET_BYTES 32
#define BLS_PUBLIC_BYTES 48
#define BLS_SIGNATURE_BYTES 96

/* A fresh key: 32 CSPRNG bytes of IKM through blst_keygen (KeyGen of the
 * IETF BLS draft). */
void bls12_generate(uint8_t sk[static BLS_SECRET_BYTES]);
/* Refuses zero and scalars >= r. */
bool bls12_secret_check(const uint8_t sk[static BLS_SECRET_BYTES], struct err *e);
bool bls12_public_key(const uint8_t sk[static BLS_SECRET_BYTES],
		      uint8_t pk[static BLS_PUBLIC_BYTES], struct err *e);
/* Exactly 48 bytes that decompress to a G1 point in the prime-order
 * subgroup, other than the point at infinity. */
bool bls12_public_key_check(const uint8_t *in, size_t len, struct err *e);

/* The 48-byte compressed key of an uncompressed point X ‖ Y (96 bytes, big
 * endian, as a Ledger sends it; the top three bits of X are ignored): the
 * point must be on the curve, in the prime-order subgroup and not infinity.
 * flags_x, when not NULL, is the X the device sent, whose top bits must be
 * the compression flags of that point (a device that sets them wrongly is
 * refused). */
bool bls12_public_key_from_xy(const uint8_t xy[static 2 * BLS_PUBLIC_BYTES], const uint8_t *flags_x,
			      uint8_t pk[static BLS_PUBLIC_BYTES], struct err *e);

/* POP: over msg; AUG: over pk ‖ msg (pk is the signer's own key). */
bool bls12_sign(const uint8_t sk[static BLS_SECRET_BYTES], enum bls_mode mode,
		const uint8_t pk[static BLS_PUBLIC_BYTES], const uint8_t *msg, size_t len,
		uint8_t sig[static BLS_SIGNATURE_BYTES], struct err *e);
/* Proof of possession of the 48-byte pop_msg (normally the own pk). */
bool bls12_prove_possession(const uint8_t sk[static BLS_SECRET_BYTES],
			    const uint8_t pop_msg[static BLS_PUBLIC_BYTES],
			    uint8_t sig[static BLS_SIGNATURE_BYTES], struct err *e);

/* Each checks pk (subgroup, not infinity) and sig (subgroup) first. */
bool bls12_verify(const uint8_t pk[static BLS_PUBLIC_BYTES], enum bls_mode mode,
		  const uint8_t *msg, size_t len, const uint8_t sig[static BLS_SIGNATURE_BYTES]);
bool bls12_verify_possession(const uint8_t pk[static BLS_PUBLIC_BYTES],
			     const uint8_t pop_msg[static BLS_PUBLIC_BYTES],
			     const uint8_t sig[static BLS_SIGNATURE_BYTES]);

#endif
