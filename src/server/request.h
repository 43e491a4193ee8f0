/* request.h - one HTTP request as the API handlers see it. */
#ifndef TZS_SERVER_REQUEST_H
#define TZS_SERVER_REQUEST_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct server;

struct request {
	struct MHD_Connection *conn;
	const struct server *server;
	const char *method;
	const char *url;
	const char *body; /* NUL-terminated, body_len bytes */
	size_t body_len;
	uint64_t start_ns;
};

/* Answers the request (routes in api.c). */
enum MHD_Result api_handle(const struct request *req);

#endif
