/* listen.h - the signer's listening sockets: the HTTP ports and the
 * socket protocol's tcp:// and unix:// sockets, bound by the key holder
 * (which then hands them to the front). */
#ifndef TZS_SERVER_LISTEN_H
#define TZS_SERVER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"
#include "socket_uri.h"

/* A listening TCP socket on a numeric address (port 0: a free one);
 * *bound is the port bound. */
bool server_listen_tcp(const char *address, uint16_t port, int *fd_out, uint16_t *bound,
		       struct err *e);

/* A --socket's listening socket. A unix path that exists must be a socket
 * (a stale one is replaced); the new one appears with mode 0660 and group
 * (NULL: the process's) at once (bound under a temporary name, then
 * renamed). *bound: the TCP port bound (0 for unix). */
bool server_listen_socket(const struct socket_uri *where, const gid_t *group, int *fd_out,
			  uint16_t *bound, struct err *e);

/* "tcp://127.0.0.1:PORT" with the port bound, or "unix:///PATH". */
void server_socket_name(const struct socket_uri *where, uint16_t bound, char *out, size_t cap);

#endif
