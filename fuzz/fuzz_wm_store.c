/* libFuzzer target: the high watermark file parser (wm_format_parse), and
 * the store loading it as the signer does at start: a loaded store must
 * pass its invariant check, and what it writes must parse back. */
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
	struct wm_records r = { 0 };
	if (!dir[0]) {
		crypto_init(NULL);
		snprintf(dir, sizeof(dir), "/tmp/tzsigner-fuzz-wm-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	if (wm_format_parse((const char *)data, size, "fuzz", &r, NULL)) {
		char *text;
		size_t len;
		struct wm_records back = { 0 };
		if (!wm_format_serialise(r.v, r.n, &text, &len, NULL) ||
		    !wm_format_parse(text, len, "again", &back, NULL))
			abort();
		free(text);
		wm_records_free(&back);
	}
	wm_records_free(&r);
	snprintf(path, sizeof(path), "%s/%s", dir, WM_STORE_FILE);
	FILE *f = fopen(path, "wb"); /* no fsync: this is a scratch file */
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	struct wm_store *s;
	if (wm_store_load(&s, dir, false, NULL) && !wm_store_check(s, NULL))
		abort();
	wm_store_free(s);
	return 0;
}
