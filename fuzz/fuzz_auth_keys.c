/* libFuzzer target: the authorized_keys file parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/crypto/sign.h"
#include "../src/guard/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_keys a;
	crypto_init(NULL);
	if (auth_keys_parse(&a, (const char *)data, size, NULL)) {
		for (size_t i = 0; i < a.count; i++)
			if (strncmp(a.keys[i].pkh_text, "tz", 2) != 0)
				abort();
		auth_keys_free(&a);
	}
	return 0;
}
