/* libFuzzer target: the watermark journal parser (wm_journal_parse). Every
 * record it accepts must encode back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/crypto/sign.h"
#include "../src/guard/wm_journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready)
		ready = crypto_init(NULL);
	struct wm_records r = { 0 };
	size_t torn;
	if (wm_journal_parse(data, size, "fuzz", &r, &torn, NULL)) {
		if (r.n * WM_JOURNAL_RECORD + (torn ? size % WM_JOURNAL_RECORD ? size % WM_JOURNAL_RECORD : WM_JOURNAL_RECORD : 0) != size)
			abort();
		for (size_t i = 0; i < r.n; i++) {
			uint8_t again[WM_JOURNAL_RECORD];
			wm_journal_encode(again, &r.v[i]);
			if (memcmp(again, data + i * WM_JOURNAL_RECORD, WM_JOURNAL_RECORD) != 0)
				abort();
		}
	}
	wm_records_free(&r);
	return 0;
}
