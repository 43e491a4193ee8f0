/* libFuzzer target: the front ↔ key holder frame decoders
 * (src/privsep/kh_frame.c). The first byte picks request or reply; a
 * decoded frame must re-encode to the very bytes it came from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/privsep/kh_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t again[KH_REPLY_MAX > KH_REQ_MAX ? KH_REPLY_MAX : KH_REQ_MAX];

static void request(const uint8_t *p, size_t n)
{
	struct kh_request r;
	struct err e = { 0 };
	size_t m = 0;
	if (!kh_request_decode(p, n, &r, &e)) {
		if (e.kind != ERR_MALFORMED && e.kind != ERR_TOO_LARGE)
			abort();
		return;
	}
	if (r.body_len > KH_BODY_MAX || r.auth_len > KH_AUTH_MAX || strlen(r.pkh) > KH_PKH_MAX)
		abort();
	if (r.body_len && (r.body < p || r.body + r.body_len != p + n))
		abort();
	if (!kh_request_encode(&r, again, sizeof(again), &m, &e) || m != n ||
	    memcmp(again, p, n) != 0)
		abort();
}

static void reply(const uint8_t *p, size_t n)
{
	struct kh_reply r;
	struct err e = { 0 };
	size_t m = 0;
	if (!kh_reply_decode(p, n, &r, &e)) {
		if (e.kind != ERR_MALFORMED)
			abort();
		return;
	}
	if (r.payload_len > KH_PAYLOAD_MAX || (r.payload_len && r.payload + r.payload_len != p + n))
		abort();
	if (!kh_reply_encode(&r, again, sizeof(again), &m, &e) || m != n ||
	    memcmp(again, p, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > KH_REPLY_MAX + 1)
		return 0;
	if (data[0] & 1)
		reply(data + 1, size - 1);
	else
		request(data + 1, size - 1);
	return 0;
}
