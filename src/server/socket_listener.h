/* socket_listener.h - a listener for octez's socket signer protocol
 * (design §2.8): one per --socket, beside the HTTP server.
 *
 * Like octez-signer (src/bin_signer/socket_daemon.ml, run and
 * handle_client_loop), a connection carries any number of requests one
 * after the other; octez's client (src/lib_signer_backends/unix/socket.ml)
 * opens one per operation and, for a signature or a nonce, first asks for
 * the authorized keys on it. Connections are bounded; a connection idle
 * between requests, or slow within one, is closed at its deadline. */
#ifndef TZS_SERVER_SOCKET_LISTENER_H
#define TZS_SERVER_SOCKET_LISTENER_H

#include <stdbool.h>
#include <sys/types.h>

#include "../base/err.h"
#include "socket_handler.h"
#include "socket_uri.h"

struct socket_listen_opts {
	unsigned int max_connections;
	unsigned int idle_timeout_ms;  /* waiting for a request's first byte */
	unsigned int frame_timeout_ms; /* reading the rest of a request, writing a reply */
	/* unix sockets: mode 0660 and this group (-1: the process's). */
	gid_t group;
	bool has_group;
};

struct socket_listener;

/* Binds and starts accepting. A unix path that exists must be a socket
 * (a stale one is replaced); the new one appears with its final mode and
 * group at once (bound under a temporary name, then renamed). */
bool socket_listener_start(struct socket_listener **out, const struct socket_uri *where,
			   const struct socket_listen_opts *opts, const struct socket_service *svc,
			   struct err *e);
/* "tcp://127.0.0.1:PORT" with the port bound, or "unix:///PATH". */
const char *socket_listener_name(const struct socket_listener *l);
/* Stops accepting, closes the connections, waits for their threads,
 * removes a unix socket's file. NULL is a no-op. */
void socket_listener_stop(struct socket_listener *l);

#endif
