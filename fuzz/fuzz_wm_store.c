/* libFuzzer target: the high watermark file parser. The input is written
 * as <dir>/tzsigner_high_watermarks.json of a scratch directory and loaded
 * as the signer does at start; a loaded store must hold well-formed slots. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../src/crypto/sign.h"
#include "../src/guard/wm_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[128];
	struct wm_store s;
	if (!dir[0]) {
		crypto_init(NULL);
		snprintf(dir, sizeof(dir), "/tmp/tzsigner-fuzz-wm-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
	FILE *f = fopen(path, "wb"); /* no fsync: this is a scratch file */
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	if (wm_store_load(&s, dir, false, NULL)) {
		for (size_t i = 0; i < s.count; i++) {
			const struct wm_slot *x = s.slots[i];
			if ((unsigned)x->kind > OP_ATTESTATION || (unsigned)x->pkh.scheme > SCHEME_BLS)
				abort();
			if (x->mem.known && x->reserve_target && x->mem.level < x->reserve_target)
				abort();
		}
	}
	wm_store_free(&s);
	return 0;
}
