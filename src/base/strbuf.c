/* strbuf.c - growable text buffer. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(struct strbuf *b, size_t more)
{
	if (b->failed)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1) {
		if (cap > ((size_t)-1) / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sb_put(struct strbuf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Formats into the free space first: one vsnprintf when it fits, a second
 * after growing when it did not. */
void sb_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
	if (!reserve(b, 0))
		return;
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	if (n >= 0 && (size_t)n >= b->cap - b->len && reserve(b, (size_t)n))
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	if (n < 0)
		b->failed = true;
	else if (!b->failed)
		b->len += (size_t)n;
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(b, fmt, ap);
	va_end(ap);
}

char *sb_take(struct strbuf *b)
{
	char *p = NULL;
	if (!b->failed) {
		if (!b->p)
			reserve(b, 0);
		p = b->failed ? NULL : b->p;
		if (p)
			p[b->len] = '\0';
	}
	if (!p)
		free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return p;
}

void sb_free(struct strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}
