/* libFuzzer target: the sign request body parsers (JSON hex, octet-stream). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/front/body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = NULL;
	size_t len = 0;
	if (size > 64 * 1024)
		return 0;
	if (body_parse_hex_string((const char *)data, size, &msg, &len, NULL)) {
		if (len > size / 2)
			abort();
	} else if (msg != NULL) {
		abort();
	}
	free(msg);
	msg = NULL;
	if (body_parse("application/octet-stream", (const char *)data, size, &msg, &len, NULL)) {
		if (size < 4 || len != size - 4 || (len && memcmp(msg, data + 4, len) != 0))
			abort();
	} else if (msg != NULL) {
		abort();
	}
	free(msg);
	return 0;
}
