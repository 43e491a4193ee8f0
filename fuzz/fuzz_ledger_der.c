/* fuzz_ledger_der.c - libFuzzer target for DER-with-parity ECDSA
 * signatures. Whatever parses must give r, s in [1, n) with s ≤ n/2, and
 * re-encoding r ‖ s as minimal DER must parse to the same 64 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/ledger/der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t der_int(uint8_t *out, const uint8_t v[32])
{
	size_t skip = 0;
	while (skip < 31 && v[skip] == 0)
		skip++;
	size_t n = 32 - skip;
	size_t pad = (v[skip] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (uint8_t)(n + pad);
	if (pad)
		out[2] = 0;
	memcpy(out + 2 + pad, v + skip, n);
	return 2 + pad + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum key_scheme scheme = (data[0] & 1) ? SCHEME_P256 : SCHEME_SECP256K1;
	uint8_t out[64], again[64], der[LEDGER_DER_MAX];
	struct err e = { 0 };
	if (!ledger_der_to_compact(data + 1, size - 1, scheme, out, &e))
		return 0;
	size_t n = 2;
	n += der_int(der + n, out);
	n += der_int(der + n, out + 32);
	der[0] = 0x30;
	der[1] = (uint8_t)(n - 2);
	if (!ledger_der_to_compact(der, n, scheme, again, &e) || memcmp(out, again, 64) != 0)
		abort();
	return 0;
}
