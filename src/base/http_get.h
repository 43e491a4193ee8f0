/* http_get.h - one blocking HTTP/1.1 GET to a local status endpoint
 * (`tzsigner status`), with a deadline and a cap on the answer. */
#ifndef TZS_BASE_HTTP_GET_H
#define TZS_BASE_HTTP_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define HTTP_GET_MAX (4 * 1024 * 1024)

/* GET path from host:port within timeout_ms. *body (malloc'd, NUL-ended,
 * caller frees) is the entity of any status, *status its code. */
bool http_get(const char *host, uint16_t port, const char *path, int timeout_ms, int *status,
	      char **body, size_t *body_len, struct err *e);

/* Splits a whole response (read until the peer closed): the status code and
 * where the body starts. Only "Content-Length" or close-delimited bodies
 * (no chunked encoding: we send HTTP/1.0). */
bool http_response_split(const char *buf, size_t len, int *status, size_t *body_off,
			 struct err *e);

#endif
