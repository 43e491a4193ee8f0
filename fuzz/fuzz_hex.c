/* libFuzzer target: hex decoding, and the encode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/base/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[512];
	char back[1025];
	size_t n = 0;
	if (size > 1024)
		return 0;
	if (!hex_decode(out, sizeof(out), &n, (const char *)data, size, NULL))
		return 0;
	if (n * 2 != size)
		abort();
	hex_encode(back, out, n);
	for (size_t i = 0; i < size; i++) {
		char c = (char)data[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (back[i] != c)
			abort();
	}
	return 0;
}
