/* keydir_test.h - a scratch octez base directory holding real local keys,
 * for the in-process tests of the vault and the guard.
 *
 * The keys are Taquito's (@taquito/signer 24.2.0) test keys that
 * test_tezos_keycodec.c also uses, with the signatures InMemorySigner made
 * over KD_MSG: an independent answer to compare ours with. */
#ifndef TZS_TESTS_KEYDIR_TEST_H
#define TZS_TESTS_KEYDIR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/crypto/sign.h"
#include "../../src/tezos/keycodec.h"
#include "../../src/vault/octez_dir.h"

/* 05 ‖ Micheline string "tezos-tes" (a 0x05 message: OP_OTHER, no watermark). */
static const uint8_t KD_MSG[] = { 0x05, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x74, 0x65,
				  0x7a, 0x6f, 0x73, 0x2d, 0x74, 0x65, 0x73 };

#define KD_ED_SK "edsk3qAQSJaDBSYN2PCMdv7BuJoBKeRyDFq5uPAwDfFRAhQdwHxPMN"
#define KD_ED_PK "edpkufnz668CdgnVC4X5KRvJoXCMgicr29Tjmr5vxGzvMdipwkTZmM"
#define KD_ED_SIG                                                                    \
	"edsigu5P1H9EYobgWxzPHroKaJByVCM8rZmgRyhtBL1buD6UdCLq31GqE8hQUzneg2zTyeqpKPWM4xjFQA8" \
	"kkHZxWWc235Hyk8j"
#define KD_BLS_SK "BLsk1eGhiPQXKtvvkBeXzmtVVJs6KPhEF45drF7MLjoCDcSnTGuyjL"
#define KD_BLS_PK "BLpk1ur5XXicWYMMzCVZZWyLZhybtyX8Zot2uCzDCZW8KcC5BdZiLVXRZvZzi4GuZYL9SarUvKpE"
#define KD_BLS_SIG                                                                        \
	"BLsigB74UZrDCtQV9HhQMYnSo1xccpnJzPMz9ha9TfhYh8h6S4r2aFuMjKgxADQAAbnG3XhxpuUMTck7GaNmGV" \
	"cQh2aL5xspjFu4TVwJmfpsJ3nXUELiaDdPfcocN13yKrJ9LSFtUgFdRd"
/* The secp256k1 one: not in the directory (an outside client's key). */
#define KD_SP_SK "spsk2oCGdj7yZFmAWr1wqopU512kDtCfWfs7N4FoRH6bkHhgXk5Tu5"
#define KD_SP_PK "sppk7aFpmJLm3ZxMd3F4osvGBq77R1NeSpiJVnof3Wiv4mt84EBE9aX"

static inline void kd_dir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/tzsigner-keydir-XXXXXX");
	if (!mkdtemp(out))
		abort();
}

static inline void kd_rm(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

/* The tz1…tz4 text of a public key text ("" on a bad key). */
static inline void kd_pkh(const char *pk_text, char out[static B58_MAX])
{
	struct public_key pk;
	struct pkh pkh;
	out[0] = '\0';
	if (!public_key_decode(pk_text, &pk, NULL))
		return;
	pkh_of_public_key(&pk, &pkh);
	if (!pkh_encode(out, &pkh, NULL))
		out[0] = '\0';
}

/* Adds alias name = unencrypted:sk (or a ledger:// URI when sk starts so). */
static inline bool kd_add(const char *dir, const char *name, const char *sk, const char *pk)
{
	char uri[256], pkh[B58_MAX];
	struct err e = { 0 };
	snprintf(uri, sizeof(uri), "%s%s", strncmp(sk, "ledger://", 9) ? "unencrypted:" : "", sk);
	kd_pkh(pk, pkh);
	if (!octez_dir_add(dir, name, uri, pk, pkh, false, &e)) {
		printf("  kd_add %s: %s\n", name, e.msg);
		return false;
	}
	return true;
}

/* A secret key from its text, for a client signing outside the vault. */
static inline bool kd_secret(const char *text, struct secret_key *sk)
{
	enum key_scheme scheme;
	enum secret_text_kind kind;
	uint8_t payload[64];
	size_t len;
	return secret_text_decode(text, &scheme, &kind, payload, &len, NULL) &&
	       kind == SECRET_TEXT_PLAIN && secret_key_from_bytes(scheme, payload, len, sk, NULL);
}

/* Whether sig_text is a signature by pk_text over msg (ed25519 and ECDSA
 * over blake2b-256(msg), BLS with the POP scheme). */
static inline bool kd_verifies(const char *pk_text, const uint8_t *msg, size_t len,
			       const char *sig_text)
{
	struct public_key pk;
	uint8_t sig[SIGNATURE_MAX];
	size_t sig_len;
	return public_key_decode(pk_text, &pk, NULL) &&
	       signature_decode(sig_text, sig, &sig_len, NULL) &&
	       verify_message(&pk, msg, len, sig, sig_len);
}

#endif
