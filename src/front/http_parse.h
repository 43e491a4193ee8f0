/* http_parse.h - the HTTP/1.1 request head as the front reads it: pure,
 * bounded, no I/O, no allocation (fuzz/fuzz_front_http.c).
 *
 * What the clients send, and all the front accepts:
 *  - octez's signer client (src/lib_signer_backends/http_gen.ml, `sign`,
 *    `public_key`, `authorized_keys`) goes through its RPC client
 *    (src/lib_rpc_http/RPC_client.ml, `call_service`) onto resto's cohttp
 *    client, whose body is Cohttp_lwt.Body.of_string: a fixed
 *    Content-Length, never chunked. GET and POST, origin-form targets,
 *    ?version=N and ?authentication=<base58> query parameters.
 *  - Taquito's RemoteSigner (@taquito/remote-signer, HttpBackend) sends a
 *    JSON string body with Content-Length.
 * So a request must have an origin-form target ("/…"), HTTP/1.0 or 1.1,
 * CRLF line ends, a head of at most HTTP_HEAD_MAX bytes with at most
 * HTTP_HEADERS_MAX fields and no obsolete line folding, and a body given by
 * Content-Length of at most HTTP_BODY_MAX bytes. Transfer-Encoding (chunked
 * or any other) is refused with 411: nothing the signer serves sends it. */
#ifndef TZS_FRONT_HTTP_PARSE_H
#define TZS_FRONT_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define HTTP_HEAD_MAX 8192u
#define HTTP_HEADERS_MAX 64u
#define HTTP_BODY_MAX 65536u
#define HTTP_METHOD_MAX 15u
#define HTTP_PATH_MAX 1024u
#define HTTP_QUERY_MAX 1024u
#define HTTP_CTYPE_MAX 127u

struct http_head {
	char method[HTTP_METHOD_MAX + 1];
	/* The path percent-decoded; a decoded NUL or other control byte is
	 * refused, so this is a plain C string of what was sent. */
	char path[HTTP_PATH_MAX + 1];
	/* The query as sent (after '?', not decoded); "" when none. */
	char query[HTTP_QUERY_MAX + 1];
	bool http11;
	bool keep_alive;        /* HTTP/1.1 unless "close"; 1.0 only with "keep-alive" */
	size_t content_length;  /* 0 when absent */
	bool has_content_type;
	char content_type[HTTP_CTYPE_MAX + 1];
	bool expect_continue;   /* "Expect: 100-continue" */
};

enum http_parse_result {
	HTTP_NEED_MORE, /* no complete head yet, and still within the bounds */
	HTTP_HEAD_DONE, /* *head_len bytes are the head, the body follows */
	HTTP_BAD,       /* refused: *status and e say why */
};

/* Reads the head at the start of buf (len bytes received so far). On
 * HTTP_BAD, *status is the answer's HTTP status (400 malformed, 411
 * Transfer-Encoding, 413 body over HTTP_BODY_MAX, 414 target too long, 417
 * unknown Expect, 431 head too large, 501 unknown method form, 505 version)
 * and e its message. */
enum http_parse_result http_parse_head(const uint8_t *buf, size_t len, struct http_head *h,
				       size_t *head_len, unsigned *status, struct err *e);

/* The first value of parameter name in query (http_head.query), decoded
 * into out. *found false (and true returned) when absent; false with e
 * (ERR_MALFORMED) when its value does not decode or is over cap-1 bytes. */
bool http_query_get(const char *query, const char *name, char *out, size_t cap, bool *found,
		    struct err *e);

#endif
