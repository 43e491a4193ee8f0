/* strbuf.h - a growable text buffer (the forwarder's renderers, the
 * metrics pages). A failed allocation sets failed and makes every later append
 * a no-op, so callers check once at the end (sb_take). */
#ifndef TZS_BASE_STRBUF_H
#define TZS_BASE_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void sb_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sb_put(struct strbuf *b, const char *s, size_t n);

/* The text (NUL-terminated, owned by the caller) or NULL if it failed; the buffer
 * is reset either way. */
char *sb_take(struct strbuf *b);

void sb_free(struct strbuf *b);

#endif
