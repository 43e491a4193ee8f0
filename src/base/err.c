/* err.c - error records with a message naming the failing input. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends src to the NUL-terminated dst, truncating to cap. */
static void append(char *dst, size_t cap, const char *src)
{
	size_t used = strnlen(dst, cap);
	while (*src && used + 1 < cap)
		dst[used++] = *src++;
	if (used < cap)
		dst[used] = '\0';
}

bool err_set(struct err *e, enum err_kind kind, const char *fmt, ...)
{
	if (!e)
		return false;
	va_list ap;
	va_start(ap, fmt);
	e->kind = kind;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool err_errno(struct err *e, enum err_kind kind, const char *fmt, ...)
{
	int saved = errno;
	if (!e)
		return false;
	va_list ap;
	va_start(ap, fmt);
	e->kind = kind;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	append(e->msg, sizeof(e->msg), ": ");
	append(e->msg, sizeof(e->msg), strerror(saved));
	errno = saved;
	return false;
}

bool err_wrap(struct err *e, const char *fmt, ...)
{
	if (!e)
		return false;
	char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	e->msg[0] = '\0';
	append(e->msg, sizeof(e->msg), prefix);
	append(e->msg, sizeof(e->msg), ": ");
	append(e->msg, sizeof(e->msg), old);
	return false;
}

void err_clear(struct err *e)
{
	if (e) {
		e->kind = ERR_NONE;
		e->msg[0] = '\0';
	}
}

const char *err_kind_name(enum err_kind kind)
{
	switch (kind) {
	case ERR_NONE: return "none";
	case ERR_MALFORMED: return "malformed";
	case ERR_AUTH: return "authentication";
	case ERR_FORBIDDEN: return "forbidden";
	case ERR_NOT_FOUND: return "not_found";
	case ERR_CONFLICT: return "watermark";
	case ERR_TOO_LARGE: return "too_large";
	case ERR_UNAVAILABLE: return "unavailable";
	case ERR_IO: return "io";
	case ERR_INTERNAL: return "internal";
	}
	return "unknown";
}

unsigned int err_http_status(enum err_kind kind)
{
	switch (kind) {
	case ERR_MALFORMED: return 400;
	case ERR_AUTH: return 401;
	case ERR_FORBIDDEN: return 403;
	case ERR_NOT_FOUND: return 404;
	case ERR_CONFLICT: return 409;
	case ERR_TOO_LARGE: return 413;
	case ERR_UNAVAILABLE: return 503;
	case ERR_NONE:
	case ERR_IO:
	case ERR_INTERNAL: break;
	}
	return 500;
}
