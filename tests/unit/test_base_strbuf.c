/* Unit tests of src/base/strbuf: growth across the first capacity, text
 * equal to what snprintf makes, a failed buffer answering NULL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/base/strbuf.h"
#include "harness.h"

TEST(base_strbuf_grows_and_keeps_every_byte)
{
	struct strbuf b = { 0 };
	char want[32768];
	size_t wlen = 0;
	/* pieces of 1 to 700 bytes: some fit the free space, some make it
	 * grow (the first capacity is 256) */
	for (int i = 0; i < 40; i++) {
		char piece[701];
		int n = 1 + (i * 97) % 700;
		memset(piece, 'a' + i % 26, (size_t)n);
		piece[n] = '\0';
		sb_printf(&b, "%d:%s|", i, piece);
		wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen, "%d:%s|", i, piece);
		CHECK(wlen < sizeof(want));
	}
	sb_put(&b, "end", 3);
	memcpy(want + wlen, "end", 4);
	wlen += 3;
	CHECK(b.len == wlen);
	char *text = sb_take(&b);
	CHECK(text != NULL);
	CHECK(strlen(text) == wlen);
	CHECK(strcmp(text, want) == 0);
	CHECK(b.p == NULL && b.len == 0 && b.cap == 0);
	free(text);
}

TEST(base_strbuf_empty_and_failed)
{
	struct strbuf b = { 0 };
	char *text = sb_take(&b);
	CHECK(text != NULL && text[0] == '\0');
	free(text);
	sb_printf(&b, "kept %s", "nothing");
	b.failed = true; /* what a failed allocation or a caller's refusal sets */
	sb_printf(&b, "more");
	CHECK(sb_take(&b) == NULL);
	CHECK(!b.failed && b.p == NULL);
}
