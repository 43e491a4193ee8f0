/* socket_handler.h - answers one socket protocol request (design §2.8)
 * through the same guard and vault as the HTTP API. */
#ifndef TZS_SERVER_SOCKET_HANDLER_H
#define TZS_SERVER_SOCKET_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../guard/guard.h"
#include "metrics.h"
#include "../front/socket_proto.h"

struct socket_service {
	const struct guard *guard;
	struct metrics *metrics; /* may be NULL */
	bool allow_prove_possession;
	bool allow_list_known_keys;
};

/* Decodes payload and builds the response frame in *out. Returns false
 * when the request did not decode (the reply is then an error, and the
 * connection should be closed after it, as octez-signer closes it). */
bool socket_handle(const struct socket_service *s, const uint8_t *payload, size_t len,
		   struct sock_reply *out);

#endif
