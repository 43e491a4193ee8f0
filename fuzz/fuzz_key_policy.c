/* libFuzzer target: the per-key policy file parser. */
#include <stdint.h>
#include <stdlib.h>

#include "../src/crypto/sign.h"
#include "../src/guard/key_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct key_policies kp;
	crypto_init(NULL);
	if (key_policies_parse(&kp, (const char *)data, size, NULL)) {
		for (size_t i = 0; i < kp.count; i++)
			if (key_policies_find(&kp, &kp.items[i].pkh) == NULL)
				abort();
		key_policies_free(&kp);
	}
	return 0;
}
