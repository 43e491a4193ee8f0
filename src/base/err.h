/* err.h - a status that says what failed and with which input.
 *
 * Library code returns bool and fills a struct err; only main and the
 * subcommand entry points turn it into an exit code or an HTTP answer. */
#ifndef TZS_BASE_ERR_H
#define TZS_BASE_ERR_H

#include <stdbool.h>
#include <stddef.h>

enum err_kind {
	ERR_NONE = 0,
	ERR_MALFORMED,   /* input does not parse: HTTP 400 */
	ERR_AUTH,        /* missing or invalid authentication: 401 */
	ERR_FORBIDDEN,   /* refused by policy: 403 */
	ERR_NOT_FOUND,   /* unknown key or path: 404 */
	ERR_CONFLICT,    /* watermark refusal: 409 */
	ERR_TOO_LARGE,   /* body over the limit: 413 */
	ERR_UNAVAILABLE, /* backend gone (Ledger unplugged, app closed): 503 */
	ERR_IO,          /* file system or OS call failed */
	ERR_INTERNAL,    /* a bug or an impossible state */
};

#define ERR_MSG_MAX 320

struct err {
	enum err_kind kind;
	char msg[ERR_MSG_MAX];
};

/* Records kind and message; always returns false so callers can write
 * `return err_set(e, ERR_MALFORMED, "hex: odd length %zu", n);`.
 * e may be NULL. */
bool err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like err_set, but appends ": strerror(errno)". */
bool err_errno(struct err *e, enum err_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes an existing message with more context ("loading key 'baker': "). */
bool err_wrap(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct err *e);
const char *err_kind_name(enum err_kind kind);
/* The HTTP status an answer refused with kind goes out with (the
 * comments above; 500 for ERR_IO, ERR_INTERNAL and ERR_NONE). */
unsigned int err_http_status(enum err_kind kind);

#endif
