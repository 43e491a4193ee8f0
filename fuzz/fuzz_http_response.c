/* libFuzzer target: splitting an HTTP answer (`tzsigner status`'s client). */
#include <stdint.h>
#include <stdlib.h>

#include "../src/base/http_get.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int status;
	size_t off;
	if (http_response_split((const char *)data, size, &status, &off, NULL) &&
	    (off > size || status < 0 || status > 999))
		abort();
	return 0;
}
