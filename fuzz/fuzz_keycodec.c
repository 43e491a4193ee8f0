/* fuzz_keycodec.c - libFuzzer target for the Tezos text forms of keys,
 * key hashes, signatures and chain ids.
 *
 * The input is a NUL-terminated string fed to every decoder; whatever
 * decodes must encode back to exactly the input. Public keys go through the
 * crypto layer's point checks, plain secret keys through
 * secret_key_from_bytes and back. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/crypto/sign.h"
#include "../src/tezos/keycodec.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz_keycodec: %s failed\n", #cond);  \
			abort();                                               \
		}                                                              \
	} while (0)

static struct secret_key *sk;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct err e = { 0 };
	if (!crypto_init(&e)) {
		fprintf(stderr, "fuzz_keycodec: %s\n", e.msg);
		abort();
	}
	sk = sodium_malloc(sizeof(*sk));
	CHECK(sk != NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[B58_MAX + 8];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	struct err e = { 0 };
	char text[B58_MAX];

	struct pkh h;
	if (pkh_decode(s, &h, &e)) {
		CHECK(pkh_encode(text, &h, &e));
		CHECK(strcmp(text, s) == 0);
		uint8_t bin[21];
		pkh_to_binary(&h, bin);
		CHECK(bin[0] == (uint8_t)h.scheme);
	}

	struct public_key pk;
	if (public_key_decode(s, &pk, &e)) {
		CHECK(public_key_encode(text, &pk, &e));
		CHECK(strcmp(text, s) == 0);
		pkh_of_public_key(&pk, &h);
		CHECK(pkh_encode(text, &h, &e));
	}

	uint8_t raw[SIGNATURE_MAX];
	size_t len = 0;
	if (signature_decode(s, raw, &len, &e)) {
		struct signature sig = { .scheme = SCHEME_ED25519 };
		bool generic = false;
		CHECK(signature_decode_typed(s, &sig, &generic, &e));
		CHECK(sig.len == len && memcmp(sig.bytes, raw, len) == 0);
		if (generic) {
			CHECK(len == 64);
			CHECK(b58check_encode(text, sizeof(text), B58_SIG, raw, len, &e));
		} else {
			CHECK(signature_encode(text, &sig, &e));
		}
		CHECK(strcmp(text, s) == 0);
	}

	enum key_scheme scheme;
	enum secret_text_kind kind;
	uint8_t payload[64];
	if (secret_text_decode(s, &scheme, &kind, payload, &len, &e)) {
		static const enum b58_kind plain[SCHEME_COUNT] = { B58_EDSK_SEED, B58_SPSK,
								   B58_P2SK, B58_BLSK };
		static const enum b58_kind enc[SCHEME_COUNT] = { B58_EDESK, B58_SPESK, B58_P2ESK,
								 B58_BLESK };
		CHECK((unsigned)scheme < SCHEME_COUNT);
		enum b58_kind k = kind == SECRET_TEXT_ENCRYPTED ? enc[scheme]
				  : len == 64			 ? B58_EDSK_FULL
								 : plain[scheme];
		CHECK(b58check_encode(text, sizeof(text), k, payload, len, &e));
		CHECK(strcmp(text, s) == 0);
		if (kind == SECRET_TEXT_ENCRYPTED) {
			CHECK(len == 56);
			CHECK(encrypted_secret_encode(text, scheme, payload, &e));
			CHECK(strcmp(text, s) == 0);
		} else if (len == 32 && secret_key_from_bytes(scheme, payload, len, sk, &e)) {
			/* A valid plain key encodes back to the same text. */
			CHECK(secret_key_encode(text, sk, &e));
			CHECK(strcmp(text, s) == 0);
			CHECK(public_key_derive(sk, &pk, &e));
		}
		sodium_memzero(payload, sizeof(payload));
	}

	uint8_t id[4];
	if (chain_id_decode(s, id, &e)) {
		CHECK(chain_id_encode(text, id, &e));
		CHECK(strcmp(text, s) == 0);
	}
	return 0;
}
