/* fuzz_operation.c - libFuzzer target for the classifier of bytes to sign.
 *
 * Whatever op_classify accepts is checked against an independent reading
 * of the documented layout (design §2.2): the magic decides the kind, the
 * fields sit at their offsets, consensus operations are exactly as long as
 * their layout, and exactly one family of keys (tz4 or not) fits a
 * consensus tag. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/tezos/operation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "fuzz_operation: %s failed\n", #cond);  \
			abort();                                                \
		}                                                               \
	} while (0)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct op_info info;
	struct err e = { 0 };
	bool ok = op_classify(data, size, &info, &e);
	if (size == 0) {
		CHECK(!ok);
		return 0;
	}
	CHECK(info.magic == data[0]);
	if (!ok) {
		CHECK(e.kind == ERR_MALFORMED && e.msg[0] != '\0');
		CHECK(info.kind == OP_OTHER);
		CHECK(data[0] >= 0x11 && data[0] <= 0x13);
		return 0;
	}

	switch (data[0]) {
	case 0x11: {
		CHECK(info.kind == OP_BLOCK && info.tag == 0 && !info.bls_mode);
		CHECK(size >= 87);
		uint32_t fit = rd32(data + 83);
		CHECK(fit == 33 || fit == 37);
		CHECK(size >= 87 + fit + 32);
		CHECK(info.level == rd32(data + 5));
		CHECK(info.round == rd32(data + 83 + fit));
		CHECK(memcmp(info.chain_id, data + 1, 4) == 0);
		break;
	}
	case 0x12:
	case 0x13: {
		CHECK(info.kind == (data[0] == 0x12 ? OP_PREATTESTATION : OP_ATTESTATION));
		CHECK(size >= 38 && info.tag == data[37]);
		if (data[0] == 0x12)
			CHECK(info.tag == 20 || info.tag == 40);
		else
			CHECK(info.tag == 21 || info.tag == 23 || info.tag == 41);
		CHECK(info.bls_mode == (info.tag >= 40));
		size_t level_at = info.bls_mode ? 38 : 40;
		size_t layout = info.bls_mode ? 78 : 80;
		if (info.tag == 23) {
			/* The Zarith bitset runs to the end: its last byte alone
			 * lacks the continuation bit. */
			CHECK(size > layout);
			for (size_t i = layout; i + 1 < size; i++)
				CHECK(data[i] & 0x80);
			CHECK(!(data[size - 1] & 0x80));
		} else {
			CHECK(size == layout);
		}
		CHECK(info.level == rd32(data + level_at));
		CHECK(info.round == rd32(data + level_at + 4));
		CHECK(memcmp(info.chain_id, data + 1, 4) == 0);
		int fits = 0;
		for (int s = 0; s < SCHEME_COUNT; s++)
			fits += op_tag_fits_key(&info, (enum key_scheme)s, &e);
		CHECK(fits == (info.bls_mode ? 1 : 3));
		CHECK(op_tag_fits_key(&info, SCHEME_BLS, &e) == info.bls_mode);
		break;
	}
	default:
		CHECK(info.kind == OP_OTHER && info.level == 0 && info.round == 0);
		for (int s = 0; s < SCHEME_COUNT; s++)
			CHECK(op_tag_fits_key(&info, (enum key_scheme)s, &e));
		return 0;
	}
	CHECK(!(info.level & 0x80000000u) && !(info.round & 0x80000000u));
	return 0;
}
