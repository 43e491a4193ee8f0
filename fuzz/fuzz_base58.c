/* fuzz_base58.c - libFuzzer target for base58 and base58check decoding.
 *
 * The input is read both as text (for the decoders) and as bytes (for the
 * encoder). Whatever decodes must encode back to exactly the same text;
 * whatever encodes must decode back to the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tezos/base58.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_base58: %s failed\n", #cond);  \
			abort();                                             \
		}                                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { 0 };

	/* Plain base58 text → bytes → text. */
	uint8_t raw[256];
	size_t raw_len = 0;
	if (base58_decode(raw, sizeof(raw), &raw_len, (const char *)data, size, &e)) {
		CHECK(size < B58_MAX);
		char text[B58_MAX];
		if (raw_len <= 116) {
			CHECK(base58_encode(text, sizeof(text), raw, raw_len, &e));
			CHECK(strlen(text) == size && memcmp(text, data, size) == 0);
		} else {
			/* Up to 159 characters decode to up to 159 bytes (leading
			 * '1's are zero bytes), over the encoder's limit. */
			CHECK(!base58_encode(text, sizeof(text), raw, raw_len, &e));
		}
	}

	/* Bytes → plain base58 → bytes. */
	if (size <= 116) {
		char text[B58_MAX * 2];
		CHECK(base58_encode(text, sizeof(text), data, size, &e));
		uint8_t back[256];
		size_t n = 0;
		CHECK(base58_decode(back, sizeof(back), &n, text, strlen(text), &e));
		CHECK(strlen(text) < B58_MAX);
		CHECK(n == size && (size == 0 || memcmp(back, data, size) == 0));
	} else {
		char text[B58_MAX * 2];
		CHECK(!base58_encode(text, sizeof(text), data, size, &e));
	}

	/* NUL-terminated text → base58check of any kind → the same text. */
	char s[B58_MAX + 8];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	enum b58_kind all[B58_KIND_COUNT];
	for (int k = 0; k < B58_KIND_COUNT; k++)
		all[k] = (enum b58_kind)k;
	enum b58_kind which = B58_KIND_COUNT;
	uint8_t payload[96];
	size_t len = 0;
	if (b58check_decode_any(s, all, B58_KIND_COUNT, &which, payload, sizeof(payload), &len,
				&e)) {
		const struct b58_prefix *p = b58_prefix_of(which);
		CHECK(p != NULL && len == p->payload_len);
		char text[B58_MAX];
		CHECK(b58check_encode(text, sizeof(text), which, payload, len, &e));
		CHECK(strcmp(text, s) == 0);
		CHECK(strncmp(text, p->name, strlen(p->name)) == 0);
		/* Decoding as its own kind alone gives the same payload. */
		uint8_t again[96];
		CHECK(b58check_decode(s, which, again, sizeof(again), &e));
		CHECK(memcmp(again, payload, len) == 0);
	} else {
		CHECK(e.kind == ERR_MALFORMED);
		CHECK(e.msg[0] != '\0');
	}
	return 0;
}
