/* libFuzzer target: the octez key files parser. The input is split in
 * three at the first two NUL bytes: secret_keys, public_keys,
 * public_key_hashs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/vault/octez_dir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	const char *parts[3] = { "[]", "[]", "[]" };
	size_t lens[3] = { 2, 2, 2 };
	size_t start = 0, part = 0;
	for (size_t i = 0; i <= size && part < 3; i++) {
		if (i == size || p[i] == '\0') {
			parts[part] = p + start;
			lens[part] = i - start;
			part++;
			start = i + 1;
		}
	}
	struct octez_dir d;
	if (octez_dir_parse(&d, parts[0], lens[0], parts[1], lens[1], parts[2], lens[2], NULL)) {
		for (size_t i = 0; i < d.count; i++)
			if (strlen(d.entries[i].name) == 0 || octez_dir_find(&d, d.entries[i].name) == NULL)
				abort();
		octez_dir_free(&d);
	}
	return 0;
}
