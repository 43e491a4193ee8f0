/* libFuzzer target: the front's HTTP request head parser and query reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/front/http_parse.h"
#include "../src/front/routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_head h;
	size_t head_len = 0;
	unsigned status = 0;
	enum http_parse_result r = http_parse_head(data, size, &h, &head_len, &status, NULL);
	if (r == HTTP_HEAD_DONE) {
		if (head_len > size || head_len > HTTP_HEAD_MAX || h.content_length > HTTP_BODY_MAX)
			abort();
		for (const char *p = h.path; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				abort();
		char v[256];
		bool found;
		(void)http_query_get(h.query, "version", v, sizeof(v), &found, NULL);
		(void)http_query_get(h.query, "authentication", v, sizeof(v), &found, NULL);
		struct route_match m;
		route_match(h.method, h.path, size & 1, &m);
	} else if (r == HTTP_BAD && (status < 400 || status > 505)) {
		abort();
	}
	return 0;
}
