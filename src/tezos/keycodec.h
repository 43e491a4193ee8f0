/* keycodec.h - Tezos text forms of keys, key hashes and signatures:
 * tz1…/edpk…/edsk…/edsig… and their tz2, tz3, tz4 counterparts. */
#ifndef TZS_TEZOS_KEYCODEC_H
#define TZS_TEZOS_KEYCODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "../crypto/scheme.h"
#include "base58.h"

/* A public key hash in binary: the scheme's tag and the 20-byte hash.
 * Its 21-byte wire form (tag ‖ hash) is what authentication signs. */
struct pkh {
	enum key_scheme scheme;
	uint8_t hash[PKH_BYTES];
};

bool pkh_encode(char out[static B58_MAX], const struct pkh *pkh, struct err *e);
/* Accepts tz1…tz4 only. Messages quote s (it is public). */
bool pkh_decode(const char *s, struct pkh *out, struct err *e);
void pkh_of_public_key(const struct public_key *pk, struct pkh *out);
void pkh_to_binary(const struct pkh *pkh, uint8_t out[static 21]);

bool public_key_encode(char out[static B58_MAX], const struct public_key *pk, struct err *e);
/* Accepts edpk/sppk/p2pk/BLpk and checks the point. */
bool public_key_decode(const char *s, struct public_key *out, struct err *e);

bool signature_encode(char out[static B58_MAX], const struct signature *sig, struct err *e);
/* Accepts edsig/spsig1/p2sig/BLsig and the generic sig (64 bytes); out
 * gets the raw signature (64 or 96 bytes) and *len its length. */
bool signature_decode(const char *s, uint8_t out[static SIGNATURE_MAX], size_t *len,
		      struct err *e);
/* The same, filling *sig: its scheme comes from the prefix, except for a
 * generic sig, which fits any 64-byte scheme: then *generic is set and
 * sig->scheme is left as the caller set it. generic may be NULL. */
bool signature_decode_typed(const char *s, struct signature *sig, bool *generic,
			    struct err *e);

/* Unencrypted secret key text (edsk… with the 32-byte seed, spsk, p2sk, BLsk). */
bool secret_key_encode(char out[static B58_MAX], const struct secret_key *sk, struct err *e);

/* The kinds a secret key string may be, and whether it is encrypted. */
enum secret_text_kind { SECRET_TEXT_PLAIN, SECRET_TEXT_ENCRYPTED };

/* Decodes edsk/spsk/p2sk/BLsk (plain: out gets the payload, 32 or 64
 * bytes) or edesk/spesk/p2esk/BLesk (encrypted: out gets the 56-byte
 * salt ‖ secretbox). *scheme tells which scheme. out holds 64 bytes.
 * Messages never quote s nor any character of it. */
bool secret_text_decode(const char *s, enum key_scheme *scheme, enum secret_text_kind *kind,
			uint8_t out[static 64], size_t *len, struct err *e);
/* Encodes a 56-byte encrypted payload as edesk/spesk/p2esk/BLesk. */
bool encrypted_secret_encode(char out[static B58_MAX], enum key_scheme scheme,
			     const uint8_t payload[static 56], struct err *e);

bool chain_id_encode(char out[static B58_MAX], const uint8_t id[static 4], struct err *e);
bool chain_id_decode(const char *s, uint8_t out[static 4], struct err *e);

#endif
