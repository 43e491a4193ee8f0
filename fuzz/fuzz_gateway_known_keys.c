/* libFuzzer target: a box's GET /known_keys answer as the gateway reads it
 * (src/gateway/known_keys.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/gateway/known_keys.h"
#include "../src/tezos/keycodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	char keys[4][GW_PKH_MAX];
	size_t n = 0;
	if (!gw_known_keys_parse((const char *)data, size, keys, 4, &n, NULL)) {
		if (n != 0)
			abort();
		return 0;
	}
	if (n > 4)
		abort();
	for (size_t i = 0; i < n; i++) {
		struct pkh pkh;
		if (memchr(keys[i], '\0', GW_PKH_MAX) == NULL || !pkh_decode(keys[i], &pkh, NULL))
			abort();
	}
	return 0;
}
