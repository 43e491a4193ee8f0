/* socket_uri.h - where a socket protocol listener binds (design §2.8):
 * tcp://ADDR:PORT (ADDR numeric; [v6]:PORT) or unix:///PATH (also
 * octez's unix:/PATH form). */
#ifndef TZS_SERVER_SOCKET_URI_H
#define TZS_SERVER_SOCKET_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"

#define SOCKET_PATH_MAX 108 /* sun_path */

struct socket_uri {
	bool is_unix;
	char address[64]; /* tcp */
	uint16_t port;    /* tcp; 0 picks a free one */
	char path[SOCKET_PATH_MAX]; /* unix: absolute */
};

bool socket_uri_parse(const char *text, struct socket_uri *out, struct err *e);

#endif
