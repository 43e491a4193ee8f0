/* json_secure.c - zeroing allocators for jansson. */
#include "json_secure.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* Each block carries its size in a header so free can zero it. */
#define HEADER (alignof(max_align_t) > sizeof(size_t) ? alignof(max_align_t) : sizeof(size_t))

static void *zeroing_malloc(size_t n)
{
	if (n > SIZE_MAX - HEADER)
		return NULL;
	unsigned char *p = malloc(n + HEADER);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + HEADER;
}

static void zeroing_free(void *ptr)
{
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - HEADER;
	size_t n;
	memcpy(&n, p, sizeof(n));
	sodium_memzero(ptr, n);
	free(p);
}

void json_secure_init(void) { json_set_alloc_funcs(zeroing_malloc, zeroing_free); }

void json_free_text(void *text)
{
	json_malloc_t m;
	json_free_t f;
	json_get_alloc_funcs(&m, &f);
	if (text)
		f(text);
}

char *json_dump_line(json_t *j)
{
	if (!j)
		return NULL;
	char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!text)
		return NULL;
	size_t n = strlen(text);
	char *out = malloc(n + 2);
	if (out) {
		memcpy(out, text, n);
		out[n] = '\n';
		out[n + 1] = '\0';
	}
	json_free_text(text);
	return out;
}
