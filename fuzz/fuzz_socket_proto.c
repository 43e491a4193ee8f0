/* libFuzzer target: the socket signer protocol's request decoder
 * (src/server/socket_proto.c), and the error reply built from what it says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/front/socket_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sock_reply reply;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sock_request rq;
	struct err e = { 0 };
	if (size > SOCK_PAYLOAD_MAX + 1)
		return 0;
	if (sock_request_decode(data, size, &rq, &e)) {
		if (rq.data_len > size || (rq.data && (rq.data < data || rq.data + rq.data_len > data + size)))
			abort();
		if (rq.auth_len != 0 && rq.auth_len != 64 && rq.auth_len != 96)
			abort();
		if (rq.has_version && rq.version > 3)
			abort();
	} else {
		if (e.kind != ERR_MALFORMED)
			abort();
		if (!sock_reply_error(&reply, "tzsigner.malformed", e.msg))
			abort();
		if (sock_frame_length(reply.bytes) + 2 != reply.len)
			abort();
	}
	return 0;
}
